"""The CIVIC community directory: a Flask application factory."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask

from directory.config import (
    DefaultConfig,
    apply_production_settings,
    database_url_from_env,
    instance_defaults,
)
from directory.extensions import configure_sqlite, db, migrate
from directory.resources import shipped_folder

# The repository's top-level folders, or their copies inside an installed wheel.
TEMPLATES_DIR = shipped_folder("templates")
MIGRATIONS_DIR = shipped_folder("migrations")


def create_app(config: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build the application.

    Settings come, in increasing priority, from :class:`DefaultConfig`, the instance
    defaults (SQLite, index and postcode table under ``instance/``), ``DATABASE_URL`` and
    ``DATABASE_REPLICA_URLS``, ``DIRECTORY_*`` environment variables and finally
    ``config`` (used by tests).
    Outside debugging and testing it refuses to start with the default secret key
    (see :func:`directory.config.apply_production_settings`).
    """
    app = Flask(
        __name__,
        template_folder=str(TEMPLATES_DIR),
        instance_relative_config=True,
        instance_path=instance_path,
    )
    # Before any route is added: every <int:...> in a rule is read with this converter.
    from directory import converters

    converters.register(app)
    app.config.from_object(DefaultConfig)
    app.config.update(instance_defaults(app.instance_path))
    if url := database_url_from_env():
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    if replica_urls := os.environ.get("DATABASE_REPLICA_URLS"):
        app.config["DATABASE_REPLICA_URLS"] = replica_urls
    app.config.from_prefixed_env("DIRECTORY")
    if config:
        app.config.update(config)
    apply_production_settings(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    with app.app_context():
        for engine in db.engines.values():
            configure_sqlite(
                engine,
                cache_mib=app.config["SQLITE_CACHE_MIB"],
                busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"],
                mmap_mib=app.config["SQLITE_MMAP_MIB"],
            )

    from directory import auth, errors, filters, replicas, security, transactions
    from directory.maps import configure_folium

    errors.register(app)
    auth.register(app)
    filters.register(app)
    security.register(app)
    transactions.register(app)
    replicas.register(app)
    configure_folium(app)

    from directory.accounts import bp as accounts_bp
    from directory.api import bp as api_bp
    from directory.listings import bp as listings_bp
    from directory.main import bp as main_bp
    from directory.moderation import bp as moderation_bp
    from directory.search_ui import bp as search_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(listings_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(api_bp, url_prefix="/api")
    app.register_blueprint(accounts_bp, url_prefix="/accounts")
    app.register_blueprint(moderation_bp, url_prefix="/moderation")

    from directory.lifecycle import bp as lifecycle_bp
    from directory.openreferral import bp as openreferral_bp
    from directory.plans import bp as plans_bp
    from directory.ratings import bp as ratings_bp

    app.register_blueprint(lifecycle_bp)
    app.register_blueprint(ratings_bp)
    app.register_blueprint(plans_bp)
    app.register_blueprint(openreferral_bp, url_prefix="/openreferral")

    from directory.imports import bp as imports_bp
    from directory.notifications import bp as notifications_bp

    app.register_blueprint(notifications_bp)

    app.register_blueprint(imports_bp)

    from directory.exports import bp as exports_bp

    app.register_blueprint(exports_bp)

    from directory.insights import bp as insights_bp
    from directory.insights.history import install_history

    app.register_blueprint(insights_bp, url_prefix="/insights")
    # Every listing opened, lost or purged leaves a line in its history (issue 19).
    install_history()

    import search

    search.init_app(app)

    from directory.accounts.cli import accounts_cli
    from directory.cli import directory_cli
    from directory.geo.cli import geo_cli

    app.cli.add_command(directory_cli)
    app.cli.add_command(accounts_cli)
    app.cli.add_command(geo_cli)

    from importers.cli import import_cli

    app.cli.add_command(import_cli)

    from directory import compression, static_files

    # Outermost: WhiteNoise answers static files before Flask sees them, and every
    # response, static or not, passes through compression.
    static_files.register(app)
    compression.register(app)

    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO)
    return app


def compile_templates(app: Flask) -> int:
    """Compile every page template now, into the app's template cache; how many.

    For a server that loads the app once and then forks its workers (gunicorn's
    ``preload_app``, as ``wsgi.py`` is served): each worker starts with the templates
    compiled, instead of spending a few hundred milliseconds compiling them while its
    first requests wait, as it would again after each restart (``max_requests``).
    """
    names = [name for name in app.jinja_env.list_templates() if name.endswith(".html")]
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)
