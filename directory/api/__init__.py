"""The project's own JSON API under ``/api``."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from directory.api import openapi, views  # noqa: E402,F401  (routes register on import)
