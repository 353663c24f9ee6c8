"""The notifications page, opening one, marking them all read, and email preferences."""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from directory.accounts.forms import ConfirmForm
from directory.extensions import WRITE_INTENT, db
from directory.listings.services import Page
from directory.notifications import bp, service
from directory.request_cache import request_cache
from directory.transactions import writes
from directory.urls import safe_next

log = logging.getLogger(__name__)
DELIVERIES = ("immediate", "daily")


@bp.get("/notifications")
@login_required
def index() -> ResponseReturnValue:
    """Your notifications, newest first, unread ones marked, with "Mark all as read"."""
    # A page far beyond the last would overflow the database's OFFSET: clamp it.
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 10**6)
    items, total = service.page_of(db.session, current_user, page)
    return render_template(
        "notifications/index.html",
        page=Page(items=items, total=total, page=page, per_page=service.PER_PAGE),
        unread=service.unread_count(db.session, current_user),
        confirm=ConfirmForm(),
    )


@bp.get("/notifications/<int:notification_id>")
@login_required
@writes
def open_one(notification_id: int) -> ResponseReturnValue:
    """Mark one of your notifications read and go to the thing it is about."""
    notification = service.open_notification(db.session, current_user, notification_id)
    if notification is None:
        abort(404, description="We couldn't find that notification.")
    return redirect(request.script_root + safe_next(notification.link, "/"))


@bp.post("/notifications/read")
@login_required
def mark_all_read() -> ResponseReturnValue:
    """Mark all your notifications as read."""
    if ConfirmForm().validate_on_submit():
        marked = service.mark_all_read(db.session, current_user)
        flash(
            "Marked 1 notification as read."
            if marked == 1
            else f"Marked {marked} notifications as read."
        )
    else:
        flash("The form had expired. Please try again.")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
def preferences() -> ResponseReturnValue:
    """Choose which events you are emailed about; moderators, at once or once a day."""
    form = ConfirmForm()
    problem = None
    if request.method == "POST":
        delivery = request.form.get("delivery", "immediate")
        if not form.validate_on_submit():
            problem = "The form had expired. Please try again."
        elif delivery not in DELIVERIES:
            problem = "Choose when to get emails about things waiting for moderators."
        else:
            service.save_preferences(
                db.session,
                current_user,
                request.form.getlist("email"),
                daily_digest=delivery == "daily",
            )
            flash("Your email preferences are saved.")
            return redirect(url_for("notifications.preferences"))
    choice = service.preferences(db.session, current_user)
    return render_template(
        "notifications/preferences.html",
        form=form,
        problem=problem,
        personal=service.PERSONAL_EVENTS,
        for_moderators=service.MODERATOR_EVENTS if service.is_moderator(current_user) else {},
        emails_off=set(choice.emails_off or []),
        daily_digest=choice.daily_digest,
    ), 400 if problem else 200


@bp.app_context_processor
def notification_helpers() -> dict:
    """``unread_notifications()`` for the header, only when the header asks.

    A read-only page shows the count read with the account as the request signed in
    (:data:`~directory.notifications.service.USER_WITH_UNREAD`); a request that may write
    counts again, as it may have read or made some.
    """

    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        known = request_cache(service.UNREAD)
        if "at_sign_in" in known and not WRITE_INTENT.get():
            # Read with the account as the request signed in; a request that can't
            # write can't have changed it since.
            return known["at_sign_in"]
        try:
            return service.unread_count(db.session, current_user)
        except SQLAlchemyError:
            # The header of an error page must not fail because the database did.
            log.debug("Unread notifications not counted", exc_info=True)
            return 0

    return {"unread_notifications": unread_notifications}
