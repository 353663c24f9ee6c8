"""The search page: text, CIVIC domains, filters and a postcode."""

from flask import Blueprint

bp = Blueprint("search", __name__)

from directory.search_ui import checkboxes, research_filters, views  # noqa: E402,F401  (register on import)
