"""Social prescribing: shortlists, the CIVIC-balanced plan builder and hand-outs."""

from flask import Blueprint

bp = Blueprint("plans", __name__)

from directory.plans import views  # noqa: E402,F401  (routes register on import)
