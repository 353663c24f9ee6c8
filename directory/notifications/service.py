"""Telling people about decisions and requests: in the app, and by email after the commit.

One function per event. Each writes a :class:`~directory.models.Notification` for every
person concerned (shown on their notifications page, counted in the header) and queues
an email through the outbox (:func:`directory.email.send_email`), so it goes out only if
the caller's transaction commits. Someone who turned an event's emails off still gets
the notification in the app; a moderator who chose the daily digest gets moderators'
events in one email a day (:func:`send_digests`).

Who is told what:

- the person decided about: :func:`notify_account_decided`,
  :func:`notify_membership_decided`, :func:`notify_listing_decided` (a new listing or an
  edit, with the moderator's reason), :func:`notify_report_resolved` (to a signed-in
  reporter; anonymous reporters left no address);
- the practitioner, or each member of the team, a plan is handed to:
  :func:`notify_plan_handed_over`;
- every moderator: :func:`notify_moderators_account_waiting`,
  :func:`notify_moderators_join_request`, :func:`notify_moderators_new_listing`,
  :func:`notify_moderators_report`.

Like every service these take the session and only flush. The words are the product's
and say only what was decided about what: never the free text of a problem report
(anyone can type anything there), never anything about a person using services.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, bindparam, func, select, update
from sqlalchemy.orm import Session

from directory.email import send_email
from directory.models import (
    ListingRevision,
    Membership,
    Notification,
    NotificationPreference,
    Organisation,
    ProblemReport,
    Shortlist,
    User,
    utcnow,
)
from directory.urls import external_url

# Event codes, with the words the preferences page uses for each.
PERSONAL_EVENTS = {
    "account_decided": "Your account is approved or turned down",
    "membership_decided": "Your request to join an organisation is decided",
    "listing_decided": "Your new listing or change is approved or turned down",
    "report_resolved": "A problem you reported about a listing is resolved",
    "plan_handed_over": "A colleague hands a plan over to you or your team",
}
MODERATOR_EVENTS = {
    "account_waiting": "An account is waiting for approval",
    "join_request": "Someone asks to join an organisation",
    "new_listing": "A new listing or change is waiting for approval",
    "report": "Someone reports a problem with a listing",
}
EVENTS = {**PERSONAL_EVENTS, **MODERATOR_EVENTS}
MODERATOR_ROLES = ("moderator", "admin")
PER_PAGE = 50


@dataclass(frozen=True)
class Link:
    """Where a notification leads: a path for the app's own pages, a URL for email."""

    endpoint: str
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        """The path on this site (without any prefix the site is served under)."""
        adapter = current_app.url_map.bind("localhost", script_name="/")
        return adapter.build(self.endpoint, dict(self.values))

    @property
    def url(self) -> str:
        """The absolute address at ``BASE_URL``, for a one-click link in an email."""
        return external_url(self.endpoint, **self.values)


# -- preferences -----------------------------------------------------------------------


def is_moderator(user: User) -> bool:
    """Whether ``user`` receives moderators' notifications (and may choose the digest)."""
    return user.role in MODERATOR_ROLES


def events_for(user: User) -> dict[str, str]:
    """The events ``user`` can be told about, with their words, for the preferences page."""
    return EVENTS if is_moderator(user) else PERSONAL_EVENTS


def preferences(session: Session, user: User) -> NotificationPreference:
    """``user``'s choices; the defaults (every email, at once) if they never chose."""
    found = session.get(NotificationPreference, user.id)
    if found is None:
        found = NotificationPreference(user_id=user.id, emails_off=[], daily_digest=False)
    return found


def save_preferences(
    session: Session, user: User, emails_on: Iterable[str], daily_digest: bool
) -> NotificationPreference:
    """Keep which events ``user`` is emailed about and, for moderators, the daily digest.

    Unknown event codes are ignored; a non-moderator's digest choice is ignored too.
    """
    wanted = set(emails_on)
    chosen = session.get(NotificationPreference, user.id)
    if chosen is None:
        chosen = NotificationPreference(user_id=user.id)
        session.add(chosen)
    chosen.emails_off = sorted(code for code in events_for(user) if code not in wanted)
    chosen.daily_digest = bool(daily_digest) and is_moderator(user)
    session.flush()
    return chosen


# -- the one place a notification is made ----------------------------------------------


def notify(
    session: Session,
    user: User,
    event: str,
    subject: str,
    text: str,
    link: Link,
    choice: NotificationPreference | None = None,
) -> Notification:
    """Tell ``user`` about ``event``: a notification, and an email unless they said not.

    A moderator's event for a moderator who chose the daily digest is held for it.
    ``choice`` is the user's preferences when the caller has already read them.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    choice = choice if choice is not None else preferences(session, user)
    held = event in MODERATOR_EVENTS and choice.daily_digest
    emailed = not held and event not in (choice.emails_off or [])
    notification = Notification(
        user_id=user.id,
        event=event,
        subject=subject[:200],
        text=text,
        link=link.path,
        emailed=emailed,
        held_for_digest=held,
    )
    session.add(notification)
    if emailed:
        send_email(session, user.email, subject[:200], _email_body(user, text, link.url))
    session.flush()
    return notification


def _email_body(user: User, text: str, url: str) -> str:
    """A notification as an email: the news, its one-click link, and the way to stop."""
    return (
        f"Hello {user.name},\n\n{text}\n\nOpen it here: {url}\n\n"
        f"You can see all your notifications at {external_url('notifications.index')}.\n"
        "To choose which emails you get, change your preferences: "
        f"{external_url('notifications.preferences')}"
    )


def moderators(session: Session, exclude: int | None = None) -> list[User]:
    """Every approved moderator and administrator, but the one who caused the event."""
    stmt = select(User).where(User.role.in_(MODERATOR_ROLES), User.status == "approved")
    if exclude is not None:
        stmt = stmt.where(User.id != exclude)
    return list(session.scalars(stmt.order_by(User.id)))


def _notify_moderators(
    session: Session, event: str, subject: str, text: str, link: Link, exclude: int | None
) -> list[Notification]:
    """Tell every moderator, reading all their preferences in one statement."""
    people = moderators(session, exclude)
    chosen = {
        p.user_id: p
        for p in session.scalars(
            select(NotificationPreference).where(
                NotificationPreference.user_id.in_([u.id for u in people])
            )
        )
    }
    return [
        notify(
            session,
            person,
            event,
            subject,
            text,
            link,
            choice=chosen.get(person.id)
            or NotificationPreference(user_id=person.id, emails_off=[]),
        )
        for person in people
    ]


# -- decisions, for the person decided about -------------------------------------------


def notify_account_decided(
    session: Session, user: User, approved: bool, reason: str = ""
) -> Notification:
    """Tell someone their account was approved (they can sign in) or turned down (why)."""
    if approved:
        return notify(
            session,
            user,
            "account_decided",
            "Your account is approved",
            "A moderator has approved your account for the CIVIC community directory. "
            "You can sign in now.",
            Link("accounts.account"),
        )
    because = f" The reason given: {reason.strip()}" if reason.strip() else ""
    return notify(
        session,
        user,
        "account_decided",
        "Your account was not approved",
        f"A moderator has not approved your account for the CIVIC community directory.{because}",
        Link("main.home"),
    )


def notify_membership_decided(
    session: Session, membership: Membership, approved: bool, reason: str = ""
) -> Notification:
    """Tell someone whether they may now post for the organisation they asked to join."""
    name = membership.organisation.name
    if approved:
        return notify(
            session,
            membership.user,
            "membership_decided",
            f"You can now post for {name}",
            f"Your request to join {name} has been approved. You can now add and update "
            "its listings.",
            Link("lifecycle.manage", {"organisation_id": membership.organisation_id}),
        )
    because = f" The reason given: {reason.strip()}" if reason.strip() else ""
    return notify(
        session,
        membership.user,
        "membership_decided",
        f"Your request to join {name} was not approved",
        f"Your request to join {name} was not approved.{because}",
        Link("accounts.account"),
    )


def notify_plan_handed_over(
    session: Session,
    receiver: User,
    giver: User,
    shortlist: Shortlist,
    team: Organisation | None = None,
) -> Notification:
    """Tell a practitioner a colleague handed them (or their ``team``) a plan.

    Names the giver and the plan's label (the practitioner's own words, never patient
    details) and links to the plan.
    """
    to = f"your team, {team.name}" if team is not None else "you"
    return notify(
        session,
        receiver,
        "plan_handed_over",
        f"{giver.name} handed a plan over to {to}",
        f"{giver.name} handed the plan “{shortlist.label}” over to {to}. You can now see "
        "it, give it a label of your own and continue it.",
        Link("plans.shortlist", {"shortlist_id": shortlist.id}),
    )


def notify_listing_decided(
    session: Session,
    revision: ListingRevision,
    approved: bool,
    reason: str = "",
    new_listing: bool | None = None,
) -> Notification | None:
    """Tell whoever posted a new listing or a change that it is live, or why it isn't.

    ``new_listing`` says whether it was a new listing rather than a change; by default a
    listing that isn't published is a new one, so a caller approving a new listing (which
    publishes it) says so. Nobody is told about a decision on their own posting.
    """
    author = session.get(User, revision.author_id) if revision.author_id else None
    if author is None or author.id == revision.decided_by_id:
        return None
    listing = revision.listing
    new = (not listing.published) if new_listing is None else new_listing
    what = "new listing" if new else "change to"
    if approved:
        return notify(
            session,
            author,
            "listing_decided",
            f"Your {what} \u201c{listing.name}\u201d is live",
            f"A moderator has approved your {what} \u201c{listing.name}\u201d. "
            "It now shows in search.",
            Link("listings.listing_page", {"listing_id": listing.id}),
        )
    because = f"\n\nThe reason given: {reason.strip()}" if reason.strip() else ""
    return notify(
        session,
        author,
        "listing_decided",
        f"Your {what} \u201c{listing.name}\u201d was not approved",
        f"A moderator has not approved your {what} \u201c{listing.name}\u201d.{because}\n\n"
        "You can change it and send it again.",
        Link("lifecycle.manage", {"organisation_id": listing.organisation_id}),
    )


OUTCOME_WORDS = {
    "fixed": "the listing has been corrected",
    "still_running": "the organisation has confirmed it is still running as listed",
    "closed": "the listing has been marked as closed",
    "dismissed": "it was looked at and nothing needed changing",
}


def notify_report_resolved(session: Session, report: ProblemReport) -> Notification | None:
    """Tell a signed-in reporter what became of their report (anonymous ones can't be)."""
    reporter = session.get(User, report.reporter_id) if report.reporter_id else None
    if reporter is None or reporter.id == report.resolved_by_id:
        return None
    listing = report.listing
    outcome = (report.resolution or "").split(":", 1)[0]
    words = OUTCOME_WORDS.get(outcome, "it has been dealt with")
    link = (
        Link("listings.listing_page", {"listing_id": listing.id})
        if listing.is_public
        else Link("main.home")
    )
    return notify(
        session,
        reporter,
        "report_resolved",
        f"Your report about \u201c{listing.name}\u201d is resolved",
        f"Thank you for reporting a problem with \u201c{listing.name}\u201d: {words}.",
        link,
    )


# -- requests, for moderators ----------------------------------------------------------


def notify_moderators_account_waiting(session: Session, user: User) -> list[Notification]:
    """Tell moderators a verified account is waiting for their approval."""
    as_what = " as a commissioner" if user.role == "commissioner" else ""
    return _notify_moderators(
        session,
        "account_waiting",
        "An account is waiting for approval",
        f"{user.name} ({user.email}) has confirmed their email address and is waiting for "
        f"approval{as_what}.",
        Link("moderation.queue_page", {"kind": "accounts"}),
        exclude=user.id,
    )


def notify_moderators_join_request(session: Session, membership: Membership) -> list[Notification]:
    """Tell moderators someone asks to join an organisation (or proposes a new one)."""
    organisation = membership.organisation
    new = " (a new organisation they proposed)" if not organisation.trusted else ""
    return _notify_moderators(
        session,
        "join_request",
        f"{membership.user.name} asks to join {organisation.name}",
        f"{membership.user.name} asks to join {organisation.name}{new} so they can post "
        "its listings.",
        Link("moderation.organisation_members", {"organisation_id": organisation.id}),
        exclude=membership.user_id,
    )


def notify_moderators_new_listing(
    session: Session, revision: ListingRevision
) -> list[Notification]:
    """Tell moderators a new listing or a change to one is waiting for approval."""
    listing = revision.listing
    organisation = listing.organisation
    # A change waits only for a published listing; an unpublished one's is its first.
    if listing.published:
        subject = f"A change to \u201c{listing.name}\u201d is waiting for approval"
        text = f"{organisation.name} has changed \u201c{listing.name}\u201d."
    else:
        subject = f"A new listing \u201c{listing.name}\u201d is waiting for approval"
        text = f"{organisation.name} has posted a new listing, \u201c{listing.name}\u201d."
    return _notify_moderators(
        session,
        "new_listing",
        subject,
        f"{text} Please check it and approve it or say what to fix.",
        Link("lifecycle.review_revision", {"revision_id": revision.id}),
        exclude=revision.author_id,
    )


def notify_moderators_report(session: Session, report: ProblemReport) -> list[Notification]:
    """Tell moderators someone reported a problem with a listing (its kind, not its text)."""
    listing = report.listing
    kind = report.kind.replace("_", " ")
    return _notify_moderators(
        session,
        "report",
        f"A problem was reported with \u201c{listing.name}\u201d",
        f"Someone reported a problem with \u201c{listing.name}\u201d ({kind}).",
        Link("lifecycle.dashboard"),
        exclude=report.reporter_id,
    )


# -- the notifications page ------------------------------------------------------------


def _unread(user_id: Any) -> ColumnElement[bool]:
    """The unread notifications of the user ``user_id`` (an id, or a column)."""
    return and_(Notification.user_id == user_id, Notification.read_at.is_(None))


def unread_count(session: Session, user: User) -> int:
    """How many of ``user``'s notifications are unread: one COUNT, for the header."""
    return session.scalar(select(func.count()).select_from(Notification).where(_unread(user.id)))


# The request_cache holding the unread count read with the signed-in account.
UNREAD = "notifications_unread"
# An account with its unread count (unread_count), in one statement: signing a request
# in reads it (directory.auth), so a read-only page's header costs no statement more.
USER_WITH_UNREAD = select(
    User,
    select(func.count())
    .select_from(Notification)
    .where(_unread(User.id))
    .correlate(User)
    .scalar_subquery(),
).where(User.id == bindparam("user_id"))


def page_of(session: Session, user: User, page: int) -> tuple[list[Notification], int]:
    """One page of ``user``'s notifications, newest first, and how many there are."""
    total = session.scalar(
        select(func.count()).select_from(Notification).where(Notification.user_id == user.id)
    )
    items = session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return list(items), total


def open_notification(session: Session, user: User, notification_id: int) -> Notification | None:
    """``user``'s notification, marked read; None if there is no such one of theirs."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        return None
    if notification.read_at is None:
        notification.read_at = utcnow()
        session.flush()
    return notification


def mark_all_read(session: Session, user: User) -> int:
    """Mark every unread notification of ``user`` read; returns how many there were."""
    marked = session.execute(
        update(Notification)
        .where(_unread(user.id))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    session.flush()
    return marked


# -- the moderators' daily digest ------------------------------------------------------


@dataclass
class DigestRun:
    """What one run of the daily digest did."""

    sent: int = 0
    nothing_to_say: int = 0
    already_sent: int = 0

    def __str__(self) -> str:
        return (
            f"{self.sent} sent, {self.nothing_to_say} with nothing waiting, "
            f"{self.already_sent} already sent today"
        )


def waiting_counts(session: Session) -> dict[str, int]:
    """What waits for a moderator now, in the words of the digest."""
    return {
        "accounts waiting for approval": session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.status == "pending", User.email_verified_at.is_not(None))
        ),
        "requests to join an organisation": session.scalar(
            select(func.count()).select_from(Membership).where(Membership.status == "requested")
        ),
        "new listings and changes waiting for approval": session.scalar(
            select(func.count())
            .select_from(ListingRevision)
            .where(ListingRevision.status == "pending")
        ),
        "open problem reports": session.scalar(
            select(func.count()).select_from(ProblemReport).where(ProblemReport.status == "open")
        ),
    }


def send_digests(session: Session, today: dt.date) -> DigestRun:
    """Send each moderator who chose the daily digest one email with what waits today.

    It lists what they were told since their last digest and counts what still waits.
    A moderator already sent one ``today`` gets nothing more, so running this twice in a
    day (or on every node) sends each digest once. Nothing waiting, nothing sent.
    """
    run = DigestRun()
    counts: dict[str, int] | None = None
    chosen = session.scalars(
        select(NotificationPreference)
        .join(User, User.id == NotificationPreference.user_id)
        .where(
            NotificationPreference.daily_digest.is_(True),
            User.role.in_(MODERATOR_ROLES),
            User.status == "approved",
        )
        .order_by(NotificationPreference.user_id)
    ).all()
    for choice in chosen:
        if choice.last_digest_on is not None and choice.last_digest_on >= today:
            run.already_sent += 1
            continue
        counts = counts if counts is not None else waiting_counts(session)
        held = session.scalars(
            select(Notification)
            .where(
                Notification.user_id == choice.user_id,
                Notification.held_for_digest.is_(True),
                Notification.digested_at.is_(None),
            )
            .order_by(Notification.created_at, Notification.id)
        ).all()
        if not held and not any(counts.values()):
            run.nothing_to_say += 1
            continue
        moderator = session.get(User, choice.user_id)
        waiting = sum(counts.values())
        send_email(
            session,
            moderator.email,
            f"Your daily summary: {waiting} thing{'' if waiting == 1 else 's'} waiting",
            _digest_body(moderator, held, counts, today),
        )
        now = utcnow()
        for notification in held:
            notification.digested_at = now
        choice.last_digest_on = today
        run.sent += 1
    session.flush()
    return run


def _digest_body(
    moderator: User, held: list[Notification], counts: dict[str, int], today: dt.date
) -> str:
    """The digest email: what arrived since the last one, with links, then what waits."""
    base = current_app.config["BASE_URL"].rstrip("/")
    lines = [f"Hello {moderator.name},", "", f"Your summary for {today:%A %-d %B %Y}."]
    if held:
        lines += ["", "Since your last summary:"]
        lines += [f"- {n.subject}: {base}{n.link}" for n in held]
    lines += ["", "Waiting now:"]
    lines += [f"- {count} {words}" for words, count in counts.items()]
    lines += [
        "",
        f"Open the moderation queue: {external_url('moderation.queue_page')}",
        "",
        "To get each of these as it happens instead, or to choose which emails you get, "
        f"change your preferences: {external_url('notifications.preferences')}",
    ]
    return "\n".join(lines)
