"""Listing lifecycle: posting, moderation, problem reports and freshness."""

from flask import Blueprint

bp = Blueprint("lifecycle", __name__)

from directory.lifecycle import views  # noqa: E402,F401  (routes register on import)
