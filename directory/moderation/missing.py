"""The moderators' list of listings no longer in their source feed, with archive / keep."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from directory.accounts.forms import ConfirmForm
from directory.extensions import db
from directory.listings import missing
from directory.listings.services import Page
from directory.models import Listing
from directory.moderation import bp
from directory.permissions import requires
from directory.rules import permissions

PER_PAGE = 50


@bp.get("/missing")
@requires(permissions.can_moderate_content)
def missing_queue() -> ResponseReturnValue:
    """Imported listings their source feed no longer has, longest gone first.

    Each has the buttons "Archive" and "Keep".
    """
    # A page far beyond the last would overflow the database's OFFSET: clamp it.
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 10**6)
    items, total = missing.missing_listings(
        db.session, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
    )
    return render_template(
        "moderation/missing.html",
        page=Page(items=items, total=total, page=page, per_page=PER_PAGE),
        confirm=ConfirmForm(),
    )


@bp.post("/missing/<listing_id>/<any(archive, keep):decision>")
@requires(permissions.can_moderate_content)
def decide_missing(listing_id: str, decision: str) -> ResponseReturnValue:
    """Archive a listing its feed dropped, or keep it live."""
    listing = db.session.get(Listing, listing_id[:36])
    if listing is None:
        abort(404, description="No such listing.")
    if not ConfirmForm().validate_on_submit():
        flash("The form had expired. Please try again.")
        return redirect(url_for("moderation.missing_queue"))
    try:
        if decision == "archive":
            missing.archive(db.session, current_user, listing)
            flash(f"{listing.name} is archived.")
        else:
            missing.keep(db.session, current_user, listing)
            flash(f"{listing.name} is kept.")
    except missing.MissingError as problem:
        flash(str(problem))
    return redirect(url_for("moderation.missing_queue"))
