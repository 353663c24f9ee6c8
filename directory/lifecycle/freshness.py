"""Keeping listings fresh.

Owners' checks, practitioners' confirmations, the daily reminder job and its signed
one-click links.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from directory import audit
from directory.email import send_email
from directory.insights.history import record_stale
from directory.models import (
    Listing,
    Membership,
    ReminderSent,
    StillRunningConfirmation,
    User,
    utcnow,
)
from directory.rules import permissions
from directory.rules.freshness import STEPS, freshness_stage, intervals_for
from directory.urls import external_url

CHECK_ACTIONS = ("running", "changes", "closed")
# The step at which a listing is out of date (moderators are told).
ESCALATE = STEPS.index("escalate")


class NotPublic(LookupError):
    """The listing isn't public (unpublished, closed or archived).

    So nobody may confirm it is running; the views answer 404 before it gets here.
    """


class CheckLinkError(ValueError):
    """A one-click link that is tampered with, expired or already used."""


def verify_listing(session: Session, listing: Listing, by: str, user: User | None) -> Listing:
    """Record a check of the listing today, by the organisation or a moderator."""
    listing.last_verified_at = utcnow()
    listing.last_verified_by = by
    session.flush()
    audit.record(session, user, "listing.verify", "listing", listing.id, by=by)
    return listing


def confirm_still_running(
    session: Session, user: User, listing: Listing
) -> StillRunningConfirmation:
    """A practitioner's "I know this is still running": recorded apart from the owner's check."""
    if not permissions.is_practitioner(user):
        raise PermissionError("Sign in as a practitioner to confirm.")
    if not listing.is_public:  # the one visibility rule (Listing.is_public)
        raise NotPublic("We couldn't find that listing.")
    confirmation = StillRunningConfirmation(listing_id=listing.id, user_id=user.id)
    session.add(confirmation)
    session.flush()
    audit.record(session, user, "listing.confirm_running", "listing", listing.id)
    return confirmation


# Built once, for every listing page: keying a new statement for SQLAlchemy's compiled
# cache on each call cost more than running it.
_LATEST_CONFIRMATION = (
    select(StillRunningConfirmation)
    .where(StillRunningConfirmation.listing_id == bindparam("listing_id"))
    .order_by(StillRunningConfirmation.created_at.desc())
    .limit(1)
)


def latest_confirmation(session: Session, listing: Listing) -> StillRunningConfirmation | None:
    """The most recent practitioner confirmation, if any."""
    return session.scalar(_LATEST_CONFIRMATION, {"listing_id": listing.id})


# -- signed one-click links ------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="freshness-check")


def verified_key(listing: Listing) -> str:
    """Identifies the check a reminder is about: a new check makes old links spent."""
    return listing.last_verified_at.isoformat() if listing.last_verified_at else "never"


def check_token(listing: Listing, action: str) -> str:
    """A signed token for one action on one listing's current check."""
    return _serializer().dumps({"l": listing.id, "a": action, "v": verified_key(listing)})


def read_check_token(session: Session, token: str) -> tuple[Listing, str]:
    """The listing and action a link was made for; CheckLinkError if it can't be used."""
    try:
        data = _serializer().loads(token, max_age=current_app.config["FRESHNESS_LINK_MAX_AGE"])
    except SignatureExpired:
        raise CheckLinkError("This link has expired. Sign in to check the listing.") from None
    except BadSignature:
        raise CheckLinkError("This link is not valid. Check you copied all of it.") from None
    listing = session.get(Listing, data.get("l")) if isinstance(data, dict) else None
    if listing is None or data.get("a") not in CHECK_ACTIONS:
        raise CheckLinkError("This link is not valid. Check you copied all of it.")
    if data.get("v") != verified_key(listing):
        raise CheckLinkError("This listing has been checked since this email was sent. Thank you.")
    return listing, data["a"]


def apply_check(session: Session, listing: Listing, action: str) -> Listing:
    """Carry out a one-click answer: still running (verify) or has closed."""
    if action == "running":
        return verify_listing(session, listing, "organisation", None)
    if action == "closed":
        listing.status = "closed"
        listing.last_verified_at = utcnow()
        listing.last_verified_by = "organisation"
        session.flush()
        audit.record(session, None, "listing.close", "listing", listing.id, via="reminder")
        return listing
    raise ValueError(f"unknown action {action!r}")


# -- the daily reminder job ------------------------------------------------------------


@dataclass
class ReminderSummary:
    """What one run of the reminder job did: the ids of the listings at each step."""

    reminded: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{len(self.reminded)} reminded, {len(self.escalated)} escalated to moderators, "
            f"{len(self.hidden)} hidden from default search"
        )


def editor_emails(session: Session, listing: Listing) -> list[str]:
    """Work addresses of the listing's organisation's approved editors."""
    return list(
        session.scalars(
            select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organisation_id == listing.organisation_id,
                Membership.role == "editor",
                Membership.status == "approved",
                User.status == "approved",
            )
        )
    )


def moderator_emails(session: Session) -> list[str]:
    """The email addresses of approved moderators and admins."""
    return list(
        session.scalars(
            select(User.email).where(
                User.role.in_(("moderator", "admin")), User.status == "approved"
            )
        )
    )


def send_reminders(session: Session, now: dt.datetime) -> ReminderSummary:
    """The daily freshness job. Idempotent: each step is sent once per unchecked stretch.

    At the "remind" and "remind_again" steps it emails the editors one-click links; at
    "escalate" it tells the moderators; at "hide" the listing leaves default search
    (search applies the same policy) and moderators are told.
    """
    summary = ReminderSummary()
    configured = current_app.config.get("FRESHNESS_INTERVALS")
    listings = session.scalars(
        select(Listing).where(Listing.is_public).options(joinedload(Listing.organisation))
    ).unique()
    for listing in listings:
        stage = freshness_stage(
            listing.last_verified_at or listing.created_at,
            now,
            intervals_for(listing.kind, configured),
        )
        if stage is None:
            continue
        key = verified_key(listing)
        already = set(
            session.scalars(
                select(ReminderSent.stage).where(
                    ReminderSent.listing_id == listing.id, ReminderSent.verified_at_key == key
                )
            )
        )
        step = STEPS.index(stage)
        if step in already:
            continue
        if step >= ESCALATE and ESCALATE not in already:
            # Out of date from today: a line in the listing's history (issue 19).
            record_stale(session, listing, now.date())
        # Catching up (e.g. the job didn't run for weeks) sends only the furthest step.
        for earlier in range(step + 1):
            if earlier not in already:
                session.add(ReminderSent(listing_id=listing.id, stage=earlier, verified_at_key=key))
        if stage in ("remind", "remind_again"):
            _remind_editors(session, listing, again=stage == "remind_again")
            summary.reminded.append(listing.id)
        elif stage == "escalate":
            _tell_moderators(session, listing, "has not been checked for six months")
            summary.escalated.append(listing.id)
        else:
            _tell_moderators(session, listing, "is now hidden from search: unchecked for a year")
            summary.hidden.append(listing.id)
        session.flush()
    return summary


def _remind_editors(session: Session, listing: Listing, again: bool) -> None:
    recipients = editor_emails(session, listing) or (
        [listing.organisation.email] if listing.organisation.email else []
    )
    links = {
        action: external_url("lifecycle.check", token=check_token(listing, action))
        for action in CHECK_ACTIONS
    }
    subject = f"{'Reminder: ' if again else ''}Is \u201c{listing.name}\u201d still running?"
    body = (
        "Practitioners use the CIVIC community directory to refer people to "
        f"\u201c{listing.name}\u201d. "
        "Please tell us if it is still as listed. Each link works without signing in.\n\n"
        f"Still running as listed: {links['running']}\n\n"
        f"Needs changes: {links['changes']}\n\n"
        f"Has closed: {links['closed']}\n"
    )
    for recipient in recipients:
        send_email(session, recipient, subject, body)


def _tell_moderators(session: Session, listing: Listing, what: str) -> None:
    link = external_url("lifecycle.dashboard")
    for recipient in moderator_emails(session):
        send_email(
            session,
            recipient,
            f"\u201c{listing.name}\u201d {what}",
            f"\u201c{listing.name}\u201d ({listing.organisation.name}) {what}.\n\n"
            f"Stale listings: {link}",
        )
