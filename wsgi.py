"""WSGI entry point: ``gunicorn wsgi:app``."""

from directory import compile_templates, create_app

app = create_app()
# Before gunicorn forks its workers (preload_app): they start with them compiled.
compile_templates(app)
