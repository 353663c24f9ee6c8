"""Social prescribing: shortlists, the CIVIC-balanced plan builder and hand-outs."""

from flask import Blueprint

bp = Blueprint("plans", __name__)

# Routes register on import: the plans' pages, and the CIVIC check and sketch (issue 21).
from directory.plans import conversation_views, views  # noqa: E402,F401
