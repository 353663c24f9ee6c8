"""Commissioner insights: coverage and gaps by CIVIC domain and area, unmet need, trends.

Coverage of public listings is public (it is derived from the public directory); unmet
need and trends are for commissioners and moderators
(:func:`directory.rules.permissions.can_see_insights`).
"""

from flask import Blueprint

bp = Blueprint("insights", __name__)

from directory.insights import evidence_views, views  # noqa: E402,F401  (routes register on import)
