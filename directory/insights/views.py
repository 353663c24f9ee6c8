"""``/insights``: what a commissioner comes for (journey 4)."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from directory.insights import bp
from directory.rules import permissions


@bp.get("/")
def index() -> ResponseReturnValue:
    """The commissioner's start page: coverage (public), unmet need and trends."""
    return render_template(
        "insights/index.html", can_see_insights=permissions.can_see_insights(current_user)
    )
