"""Practitioner ratings and anonymous service-user feedback."""

from flask import Blueprint

bp = Blueprint("ratings", __name__)

from directory.ratings import views  # noqa: E402,F401  (routes register on import)
