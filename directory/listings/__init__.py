"""Listing, organisation and browse pages."""

from flask import Blueprint

bp = Blueprint("listings", __name__)

from directory.listings import views  # noqa: E402,F401  (routes register on import)
