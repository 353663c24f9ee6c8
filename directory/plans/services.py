"""Shortlists, plans, hand-outs, share links and uptake.

Nothing here stores anything about the person a shortlist is for: a shortlist has the
practitioner's own label, the listings and why each was picked (without distances or
times, which would say where the person lives and when they are free); the home
postcode, free times and preferences of a plan live only in the request, which is a POST
so the postcode never appears in a URL, a log line or the browser's history; an email
address typed to send a hand-out is handed to the mail server and forgotten.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from directory import audit, schedules
from directory.email import send_after_commit
from directory.filters import long_date
from directory.geo import bounding_box
from directory.listings.contact import contact_details
from directory.models import (
    Listing,
    Location,
    Membership,
    Organisation,
    Shortlist,
    ShortlistHandover,
    ShortlistItem,
    Term,
    User,
    public_listings,
    utcnow,
)
from directory.notifications import service as notifications
from directory.plans.labels import label_problem
from directory.rules import permissions
from directory.rules import uptake as uptake_answers
from directory.rules.freshness import freshness_score
from directory.rules.plan_selection import (
    REASON_LENGTH,
    Plan,
    PlanCandidate,
    PlanRequest,
    TimeSlot,
    reason_to_keep,
    select_plan,
)
from directory.rules.ranking import felt_welcome, great_circle_km
from directory.rules.signals import started_on
from directory.vocabularies import term_id, vocabulary

# Feedback codes are read off paper: no 0/O, 1/I/L, 2/Z, 5/S or 8/B to confuse.
FEEDBACK_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
FEEDBACK_CODE_LENGTH = 8
UPTAKE_CHOICES = uptake_answers.ANSWERS
# Fewer known outcomes than this and the rate isn't shown: it would say too little and,
# with one or two records, could hint at one person's choice.
UPTAKE_MIN_ANSWERS = 3
# How far beyond the radius the plan looks for "the nearest option" when nothing is near.
HORIZON_FACTOR = 4
HORIZON_MIN_KM = 25.0
MAX_SHORTLIST_ITEMS = 20

LISTING_LOAD = (
    joinedload(Listing.organisation),
    selectinload(Listing.terms),
    selectinload(Listing.locations),
    selectinload(Listing.schedules),
    selectinload(Listing.score),
)


class PlanError(ValueError):
    """Something the practitioner asked for that can't be done; the message is for them.

    ``field`` names the form field it belongs to, when there is one.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# -- shortlists ------------------------------------------------------------------------


# The teams of the user given as ``user_id`` (team_ids), as a subquery too.
_TEAMS = (
    select(Membership.organisation_id)
    .join(Organisation, Organisation.id == Membership.organisation_id)
    .where(
        Membership.user_id == bindparam("user_id"),
        Membership.status == "approved",
        Organisation.sector.in_(permissions.TEAM_SECTORS),
    )
)


def team_ids(session: Session, user: User) -> set[str]:
    """The teams whose plans ``user`` continues, in one statement.

    The organisations of a team sector (:data:`~directory.rules.permissions.TEAM_SECTORS`)
    they are an approved member of (:func:`~directory.rules.permissions.plan_teams` as a
    query); none for anyone who can't hold plans.
    """
    if not permissions.can_shortlist(user):
        return set()
    return set(session.scalars(_TEAMS, {"user_id": user.id}))


def held_by(user_id: Any, teams: set[str] | Select) -> ColumnElement[bool]:
    """The shortlists the user ``user_id`` continues: their own, and their teams'.

    ``teams`` are the team ids (:func:`team_ids`), or a select of them.
    """
    own = and_(Shortlist.owner_id == user_id, Shortlist.team_id.is_(None))
    # A select can't be asked whether it is empty; an empty set of teams adds nothing.
    return or_(own, Shortlist.team_id.in_(teams)) if isinstance(teams, Select) or teams else own


@dataclass(frozen=True)
class ShortlistChoice:
    """A shortlist as the "Add to shortlist" controls show it: its id and label."""

    id: int
    label: str


# The shortlists the user given as ``user_id`` continues (held_by, with their teams as a
# subquery), as plain rows: for the listing page's "Add to" choices.
_CHOICES = (
    select(Shortlist.id, Shortlist.label)
    .where(held_by(bindparam("user_id"), _TEAMS))
    .order_by(Shortlist.updated_at.desc(), Shortlist.id.desc())
)
# Which of those hold each of the listings ``ids``: only the page's listings are read,
# however many shortlists a practitioner has kept over the years.
_HOLDING = (
    select(ShortlistItem.listing_id, Shortlist.id, Shortlist.label)
    .join(Shortlist, ShortlistItem.shortlist_id == Shortlist.id)
    .where(
        held_by(bindparam("user_id"), _TEAMS),
        ShortlistItem.listing_id.in_(bindparam("ids", expanding=True)),
    )
    .order_by(Shortlist.updated_at.desc(), Shortlist.id.desc())
)


def shortlist_choices(session: Session, user: User) -> list[ShortlistChoice]:
    """The shortlists ``user`` continues (:func:`owned_shortlists`), as "Add to" choices.

    The one worked on most recently first; nothing for someone who can't shortlist.
    """
    if not permissions.can_shortlist(user):
        return []
    rows = session.connection().execute(_CHOICES, {"user_id": user.id}).all()
    return [ShortlistChoice(shortlist_id, label) for shortlist_id, label in rows]


def shortlists_holding(
    session: Session, user: User, listing_ids: Collection[str]
) -> dict[str, list[ShortlistChoice]]:
    """Which shortlists ``user`` continues hold each of ``listing_ids``.

    For the "Add to shortlist" controls on result cards and the listing page: a listing
    id -> those shortlists, the one worked on most recently first (every id given is a
    key). One statement of plain rows for a page's listings, whatever else the
    shortlists hold. Nothing for someone who can't shortlist.
    """
    holding: dict[str, list[ShortlistChoice]] = {listing_id: [] for listing_id in listing_ids}
    if not holding or not permissions.can_shortlist(user):
        return holding
    params = {"user_id": user.id, "ids": sorted(holding)}
    for listing_id, shortlist_id, label in session.connection().execute(_HOLDING, params):
        choice = ShortlistChoice(shortlist_id, label)
        if choice not in holding[listing_id]:
            holding[listing_id].append(choice)
    return holding


def owned_shortlists(session: Session, owner: User) -> list[Shortlist]:
    """The shortlists the practitioner continues, the one worked on most recently first.

    Their own and, since issue 21, those handed to them or to a team they belong to.
    """
    return list(
        session.scalars(
            select(Shortlist)
            .where(held_by(owner.id, team_ids(session, owner)))
            .options(selectinload(Shortlist.items))
            .order_by(Shortlist.updated_at.desc(), Shortlist.id.desc())
        )
    )


# A shortlist with its items' listings, loaded for its page and hand-out in a fixed
# number of statements, however many options it holds.
SHORTLIST_LOAD = (
    selectinload(Shortlist.items).joinedload(ShortlistItem.listing).options(*LISTING_LOAD),
)


def access_to(session: Session, user: User, shortlist: Shortlist, now: dt.datetime) -> str | None:
    """What ``user`` may do with ``shortlist``: "continue", "read" or None.

    :func:`directory.rules.permissions.plan_access`; what it needs is read only when
    the answer depends on it (the holder's own page costs no statement more).
    """
    teams = team_ids(session, user) if shortlist.team_id is not None else ()
    handed = (h.handed_at for h in shortlist.handovers if h.from_user_id == user.id)
    return permissions.plan_access(
        getattr(user, "id", None), teams, shortlist.owner_id, shortlist.team_id, handed, now
    )


def owned_shortlist(session: Session, owner: User, shortlist_id: int) -> Shortlist | None:
    """The shortlist if ``owner`` continues it (holds it, or their team does), else None.

    Others' lists are invisible.
    """
    shortlist = session.get(Shortlist, shortlist_id, options=SHORTLIST_LOAD)
    if shortlist is None or access_to(session, owner, shortlist, utcnow()) != "continue":
        return None
    return shortlist


def readable_shortlist(
    session: Session, user: User, shortlist_id: int, now: dt.datetime
) -> tuple[Shortlist, str] | None:
    """The shortlist and "continue" or "read" if ``user`` may see it, else None.

    "read": they handed it over less than
    :data:`~directory.rules.permissions.HANDOVER_READ_DAYS` days ago.
    """
    shortlist = session.get(Shortlist, shortlist_id, options=SHORTLIST_LOAD)
    if shortlist is None:
        return None
    access = access_to(session, user, shortlist, now)
    return (shortlist, access) if access else None


def working_shortlist(session: Session, owner: User) -> Shortlist | None:
    """The shortlist a quick "Add to shortlist" goes to: the most recently changed one."""
    return session.scalar(
        select(Shortlist)
        .where(Shortlist.owner_id == owner.id, Shortlist.team_id.is_(None))
        .order_by(Shortlist.updated_at.desc(), Shortlist.id.desc())
        .limit(1)
    )


def checked_label(label: str | None) -> str:
    """The label, stripped, or PlanError saying why it can't be used."""
    problem = label_problem(label)
    if problem:
        raise PlanError(problem, field="label")
    return (label or "").strip()


def create_shortlist(session: Session, owner: User, label: str) -> Shortlist:
    """Start a shortlist under the practitioner's own label (never patient details)."""
    shortlist = Shortlist(owner_id=owner.id, label=checked_label(label))
    session.add(shortlist)
    session.flush()
    audit.record(session, owner, "shortlist.create", "shortlist", shortlist.id)
    return shortlist


def rename_shortlist(session: Session, owner: User, shortlist: Shortlist, label: str) -> None:
    """Give a shortlist a new label."""
    shortlist.label = checked_label(label)
    shortlist.updated_at = utcnow()
    session.flush()
    audit.record(session, owner, "shortlist.rename", "shortlist", shortlist.id)


def delete_shortlist(session: Session, owner: User, shortlist: Shortlist) -> None:
    """Delete a shortlist; its share link and feedback code stop working."""
    shortlist_id = shortlist.id
    session.delete(shortlist)
    session.flush()
    audit.record(session, owner, "shortlist.delete", "shortlist", shortlist_id)


def add_to_shortlist(
    session: Session,
    owner: User,
    shortlist: Shortlist,
    listing: Listing,
    reason: str | None = None,
) -> ShortlistItem:
    """Put a public listing on a shortlist (once; adding it again changes nothing)."""
    if not listing.is_public:
        raise PlanError("That listing isn't available any more.")
    for item in shortlist.items:
        if item.listing_id == listing.id:
            return item
    if len(shortlist.items) >= MAX_SHORTLIST_ITEMS:
        raise PlanError(
            f"A shortlist holds up to {MAX_SHORTLIST_ITEMS} options. Remove one, or start a "
            "new shortlist."
        )
    position = max((item.position for item in shortlist.items), default=-1) + 1
    item = ShortlistItem(
        listing_id=listing.id, position=position, reason=(reason or None) and reason[:REASON_LENGTH]
    )
    shortlist.items.append(item)
    shortlist.updated_at = utcnow()
    session.flush()
    audit.record(session, owner, "shortlist.add", "shortlist", shortlist.id, listing_id=listing.id)
    return item


def add_to_working_shortlist(
    session: Session, owner: User, listing: Listing, new_label: str | None = None
) -> Shortlist:
    """The one-click "Add to shortlist".

    Onto a new shortlist when ``new_label`` is given, else onto the working shortlist,
    starting one called "My shortlist" if the practitioner has none.
    """
    if new_label is not None:
        shortlist = create_shortlist(session, owner, new_label)
    else:
        shortlist = working_shortlist(session, owner) or create_shortlist(
            session, owner, "My shortlist"
        )
    add_to_shortlist(session, owner, shortlist, listing)
    return shortlist


def remove_from_shortlist(
    session: Session, owner: User, shortlist: Shortlist, item_id: int
) -> Listing:
    """Take an option off a shortlist; returns its listing (for the message)."""
    item = next((i for i in shortlist.items if i.id == item_id), None)
    if item is None:
        raise PlanError("That option isn't on this shortlist.")
    listing = item.listing
    shortlist.items.remove(item)
    shortlist.updated_at = utcnow()
    session.flush()
    audit.record(
        session, owner, "shortlist.remove", "shortlist", shortlist.id, listing_id=listing.id
    )
    return listing


def record_uptake(
    session: Session, owner: User, shortlist: Shortlist, answers: Mapping[int, str | None]
) -> int:
    """Record, per option, whether the person went: the four-week follow-up.

    Each answer is one of :data:`directory.rules.uptake.ANSWERS` (still going, went a
    few times, didn't go, don't know), or None to clear it; when it changes, the day is
    kept with it. Returns how many answers changed.
    """
    changed = 0
    now = utcnow()
    for item in shortlist.items:
        if item.id not in answers:
            continue
        answer = answers[item.id] or None
        if answer is not None and answer not in UPTAKE_CHOICES:
            raise PlanError("Choose still going, went a few times, didn't go or don't know.")
        if item.uptake != answer:
            item.uptake = answer
            item.uptake_at = now if answer is not None else None
            changed += 1
    if changed:
        shortlist.updated_at = utcnow()
        session.flush()
        audit.record(session, owner, "shortlist.uptake", "shortlist", shortlist.id, answers=changed)
    return changed


@dataclass(frozen=True)
class UptakeRate:
    """How often people went to a listing after it was shortlisted.

    Counted anonymously over every practitioner's shortlists, from the four-week
    follow-up's answers (:class:`directory.rules.uptake.UptakeCounts`).
    """

    counts: uptake_answers.UptakeCounts

    @property
    def went(self) -> int:
        """People who went at least once (still going, or a few times)."""
        return self.counts.went

    @property
    def still_going(self) -> int:
        """People still going at the follow-up."""
        return self.counts.still_going

    @property
    def known(self) -> int:
        """People whose going or not is known."""
        return self.counts.known

    @property
    def enough(self) -> bool:
        """Whether enough answers are known to show a rate."""
        return self.known >= UPTAKE_MIN_ANSWERS

    @property
    def percent(self) -> int | None:
        """The share who went, as a whole percentage; None with no answers."""
        return self.counts.percent(self.went)

    def words(self) -> str:
        """The uptake in words.

        "7 of 10 people went (70%), 4 still going", or why there is no rate yet.
        """
        if not self.enough:
            return "Not enough practitioners have recorded whether people went yet."
        words = f"{self.went} of {self.known} people went ({self.percent}%)"
        if self.still_going:
            words += f", {self.still_going} still going"
        return words


def uptake_rate(session: Session, listing_id: str) -> UptakeRate:
    """The anonymous uptake rate of a listing: counts only, never who or which list."""
    return uptake_rates(session, [listing_id])[listing_id]


# Built once, the listings a parameter (a page of results asks on every request).
_UPTAKE_COUNTS = (
    select(ShortlistItem.listing_id, ShortlistItem.uptake, func.count())
    .where(
        ShortlistItem.listing_id.in_(bindparam("ids", expanding=True)),
        ShortlistItem.uptake.is_not(None),
    )
    .group_by(ShortlistItem.listing_id, ShortlistItem.uptake)
)


def uptake_rates(session: Session, listing_ids: Sequence[str]) -> dict[str, UptakeRate]:
    """The anonymous uptake rates of several listings, in one statement."""
    counts: dict[str, dict[str, int]] = {listing_id: {} for listing_id in listing_ids}
    if counts:
        rows = session.connection().execute(_UPTAKE_COUNTS, {"ids": list(counts)}).all()
        for listing_id, uptake, count in rows:
            counts[listing_id][uptake] = count
    return {
        listing_id: UptakeRate(uptake_answers.UptakeCounts.of(found))
        for listing_id, found in counts.items()
    }


# -- handing a plan over (issue 21) ----------------------------------------------------------


def teams(session: Session) -> list[Organisation]:
    """The teams a plan can be handed to, by name.

    Organisations of a team sector (:func:`~directory.rules.permissions.is_team`) with at
    least one approved member: a team nobody has joined yet couldn't open it.
    """
    members = select(Membership.id).where(
        Membership.organisation_id == Organisation.id, Membership.status == "approved"
    )
    return list(
        session.scalars(
            select(Organisation)
            .where(Organisation.sector.in_(permissions.TEAM_SECTORS), members.exists())
            .order_by(Organisation.name)
        )
    )


def _team_members(session: Session, team_id: str) -> list[User]:
    """The approved members of a team, who continue the plans handed to it."""
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == team_id, Membership.status == "approved")
            .order_by(User.id)
        )
    )


def _receiver(session: Session, giver: User, email: str) -> User:
    """The practitioner a plan is handed to, found by work email, or a PlanError."""
    address = (email or "").strip().lower()
    found = None
    if address:
        found = session.scalar(select(User).where(func.lower(User.email) == address))
    problem = permissions.handover_problem(giver.id, found, found is not None)
    if problem:
        raise PlanError(problem, field="email")
    return found


def _team(session: Session, giver: User, shortlist: Shortlist, team_id: str) -> Organisation:
    """The team a plan is handed to, or a PlanError."""
    team = session.get(Organisation, team_id)
    if team is None or not permissions.is_team(team.sector) or team not in teams(session):
        raise PlanError("Choose a team from the list.", field="team")
    if shortlist.team_id == team.id:
        raise PlanError(f"{team.name} already holds this plan.", field="team")
    return team


def hand_over(
    session: Session,
    giver: User,
    shortlist: Shortlist,
    email: str | None = None,
    team_id: str | None = None,
    now: dt.datetime | None = None,
) -> ShortlistHandover:
    """Hand a plan to a colleague (by their work email in the directory) or to a team.

    The receiver, or every approved member of the team, continues it under their own
    label and is told (in the app, and by email once the transaction commits). The giver
    may read it for :data:`~directory.rules.permissions.HANDOVER_READ_DAYS` days more,
    and the hand-over is in the audit log. Exactly one of ``email`` and ``team_id``;
    anything else is a PlanError naming the field.
    """
    email, team_id = (email or "").strip(), (team_id or "").strip()
    if bool(email) == bool(team_id):
        raise PlanError(
            "Enter a colleague's email address or choose a team, not both."
            if email
            else "Enter a colleague's email address or choose a team.",
            field="email",
        )
    now = now or utcnow()
    if email:
        receiver, team = _receiver(session, giver, email), None
        shortlist.owner_id, shortlist.team_id = receiver.id, None
        told = [receiver]
    else:
        receiver, team = None, _team(session, giver, shortlist, team_id)
        # The team holds it, nobody alone: the giver's account can go, the plan stays.
        shortlist.owner_id, shortlist.team_id = None, team.id
        told = [u for u in _team_members(session, team.id) if u.id != giver.id]
    handover = ShortlistHandover(
        from_user_id=giver.id,
        to_user_id=receiver.id if receiver else None,
        to_team_id=team.id if team else None,
        handed_at=now,
    )
    shortlist.handovers.append(handover)
    shortlist.updated_at = now
    session.flush()
    audit.record(
        session,
        giver,
        "shortlist.handover",
        "shortlist",
        shortlist.id,
        **({"to_user": receiver.id} if receiver else {"to_team": team.id}),
    )
    for person in told:
        notifications.notify_plan_handed_over(session, person, giver, shortlist, team)
    return handover


def latest_handover(shortlist: Shortlist) -> ShortlistHandover | None:
    """The plan's last hand-over (who handed it to its holder, and when), if any."""
    return shortlist.handovers[-1] if shortlist.handovers else None


def handovers_of(session: Session, shortlists: Sequence[Shortlist]) -> dict[int, ShortlistHandover]:
    """The last hand-over of each of ``shortlists`` that has one, in one statement."""
    ids = [s.id for s in shortlists]
    if not ids:
        return {}
    found: dict[int, ShortlistHandover] = {}
    for handover in session.scalars(
        select(ShortlistHandover)
        .where(ShortlistHandover.shortlist_id.in_(ids))
        .options(joinedload(ShortlistHandover.from_user), joinedload(ShortlistHandover.to_team))
        .order_by(ShortlistHandover.handed_at, ShortlistHandover.id)
    ):
        found[handover.shortlist_id] = handover
    return found


def handed_over_by(session: Session, giver: User, now: dt.datetime) -> list[ShortlistHandover]:
    """Plans ``giver`` handed over and may still read, the latest first."""
    since = now - dt.timedelta(days=permissions.HANDOVER_READ_DAYS)
    handovers = session.scalars(
        select(ShortlistHandover)
        .where(ShortlistHandover.from_user_id == giver.id, ShortlistHandover.handed_at > since)
        .options(
            joinedload(ShortlistHandover.shortlist),
            joinedload(ShortlistHandover.to_user),
            joinedload(ShortlistHandover.to_team),
        )
        .order_by(ShortlistHandover.handed_at.desc(), ShortlistHandover.id.desc())
    )
    seen: set[int] = set()
    readable = []
    for handover in handovers:
        shortlist = handover.shortlist
        if shortlist.id in seen:
            continue
        seen.add(shortlist.id)
        if access_to(session, giver, shortlist, now) == "read":
            readable.append(handover)
    return readable


# -- feedback codes and share links ------------------------------------------------------


def new_feedback_code(session: Session) -> str:
    """A short random code no shortlist has yet, from :data:`FEEDBACK_ALPHABET`.

    25 letters and digits, 8 long: about 1.5e11 codes, so a collision (re-drawn here) is
    rare and guessing one is hopeless at the feedback page's rate limit.
    """
    while True:
        code = "".join(secrets.choice(FEEDBACK_ALPHABET) for _ in range(FEEDBACK_CODE_LENGTH))
        taken = session.scalar(
            select(Shortlist.id).where(func.upper(Shortlist.feedback_code) == code)
        )
        if taken is None:
            return code


def ensure_feedback_code(session: Session, actor: User | None, shortlist: Shortlist) -> str:
    """The shortlist's feedback code, made the first time a hand-out is printed or shared."""
    if not shortlist.feedback_code:
        shortlist.feedback_code = new_feedback_code(session)
        session.flush()
        audit.record(session, actor, "shortlist.feedback_code", "shortlist", shortlist.id)
    return shortlist.feedback_code


def share_shortlist(
    session: Session, owner: User, shortlist: Shortlist, lifetime_days: float, now: dt.datetime
) -> str:
    """Make a read-only share link: a new random token that expires after ``lifetime_days``.

    An earlier link for this shortlist stops working.
    """
    if not shortlist.items:
        raise PlanError("Add at least one option before sharing the shortlist.")
    token = secrets.token_urlsafe(32)
    shortlist.share_token = token
    shortlist.share_expires_at = now + dt.timedelta(days=lifetime_days)
    ensure_feedback_code(session, owner, shortlist)
    session.flush()
    audit.record(
        session,
        owner,
        "shortlist.share",
        "shortlist",
        shortlist.id,
        expires=shortlist.share_expires_at.isoformat(timespec="minutes"),
    )
    return token


def current_share_token(shortlist: Shortlist, now: dt.datetime) -> str | None:
    """The shortlist's share token while it is still valid, else None."""
    if shortlist.share_token and shortlist.share_expires_at and shortlist.share_expires_at > now:
        return shortlist.share_token
    return None


def stop_sharing(session: Session, owner: User, shortlist: Shortlist) -> None:
    """Withdraw the share link at once."""
    shortlist.share_token = None
    shortlist.share_expires_at = None
    session.flush()
    audit.record(session, owner, "shortlist.unshare", "shortlist", shortlist.id)


class LinkExpired(PlanError):
    """The share link was real but has expired."""


def shared_shortlist(session: Session, token: str, now: dt.datetime) -> Shortlist | None:
    """The shortlist behind a share link: None if unknown, LinkExpired once expired."""
    if not token or len(token) > 64:
        return None
    shortlist = session.scalar(
        select(Shortlist).where(Shortlist.share_token == token).options(*SHORTLIST_LOAD)
    )
    if shortlist is None:
        return None
    if shortlist.share_expires_at is None or shortlist.share_expires_at <= now:
        raise LinkExpired("This link has expired. Ask the person who gave it to you for a new one.")
    return shortlist


def handout_text(shortlist: Shortlist, link: str, feedback_link: str, now: dt.datetime) -> str:
    """The hand-out as a plain-text email.

    Each option with when, where, how to join, contact and cost, then the link and the
    feedback code. No practitioner names.
    """
    lines = ["Here are some things you could try.", ""]
    for number, listing in enumerate(public_listings_of(shortlist), start=1):
        lines.append(f"{number}. {listing.name}")
        if listing.summary:
            lines.append(f"   {listing.summary}")
        for when in upcoming(listing, now):
            lines.append(f"   When: {when}")
        for location in listing.locations:
            lines.append(f"   Where: {location.address}")
        if listing.attendance != "in_person":
            lines.append("   You can take part online.")
        lines.append(f"   How to join: {join_words(listing)}")
        lines.append(f"   Cost: {cost_words(listing)}")
        who, *details = contact_lines(listing)
        lines.append(f"   Contact: {who}")
        lines.extend(f"   {detail}" for detail in details)
        lines.append("")
    lines += [
        f"See this list online until {long_date(shortlist.share_expires_at)}: {link}",
        "",
        f"Tell us how it went (anonymous): {feedback_link}",
        f"Your feedback code is {shortlist.feedback_code}.",
    ]
    return "\n".join(lines)


def send_shortlist(
    session: Session,
    owner: User,
    shortlist: Shortlist,
    address: str,
    link: str,
    feedback_link: str,
    now: dt.datetime,
    sent: Callable[[], None] | None = None,
    failed: Callable[[], Any] | None = None,
) -> None:
    """Email the hand-out to ``address`` once the transaction commits (never if it rolls back).

    The address is used for this one message and never stored, logged or audited;
    ``sent`` and ``failed`` are as :func:`directory.email.send_after_commit`'s.
    """
    send_after_commit(
        session,
        address,
        "Things you could try, from the CIVIC community directory",
        handout_text(shortlist, link, feedback_link, now),
        sent=sent,
        failed=failed,
    )
    audit.record(session, owner, "shortlist.email", "shortlist", shortlist.id)


# -- the hand-out's words ---------------------------------------------------------------


def public_listings_of(shortlist: Shortlist) -> list[Listing]:
    """The shortlist's listings that are still public, in its order."""
    return [item.listing for item in shortlist.items if item.listing.is_public]


def upcoming(listing: Listing, now: dt.datetime, count: int = 3) -> list[str]:
    """The next ``count`` sessions in words: "Tuesday 1 December 2026 at 10:00"."""
    found = []
    for schedule in listing.schedules:
        try:
            found.extend(schedules.next_occurrences(schedule, now, count))
        except schedules.ScheduleError:
            continue
    words = []
    for when in sorted(found)[:count]:
        text = f"{when:%A} {when.day} {when:%B %Y}"
        if when.hour or when.minute:
            text += f" at {when:%H:%M}"
        words.append(text)
    return words


def join_words(listing: Listing) -> str:
    """How to join, in words from the vocabulary."""
    from directory.vocabularies import label

    return label("how_to_join", listing.how_to_join)


def cost_words(listing: Listing) -> str:
    """The cost in words: "Free", "Low cost: £2 a session", or the detail when it says it."""
    from directory.vocabularies import label

    text = label("cost", listing.cost)
    detail = (listing.cost_description or "").strip()
    if not detail or detail.rstrip(".").lower() == text.lower():
        return text
    if detail.lower().startswith(text.lower()):
        # "Free. Donations welcome": the detail already says it ("Free: Free. ..." did).
        return detail
    return f"{text}: {detail}"


def contact_lines(listing: Listing) -> list[str]:
    """Who runs it, then the listing's public contact details.

    Phone, email and website as :func:`directory.listings.contact.contact_details` gives
    them: the listing's own, else its organisation's.
    """
    details = contact_details(listing)
    lines = [details.organisation]
    if details.phone:
        lines.append(f"Phone: {details.phone}")
    if details.email:
        lines.append(f"Email: {details.email}")
    if details.website:
        lines.append(f"Website: {details.website}")
    return lines


# -- plans --------------------------------------------------------------------------------


def _slot(schedule) -> TimeSlot | None:
    """A schedule as the plan builder sees it, or None if it can't be read."""
    try:
        days = frozenset(schedules.DAY_CODES[d] for d in schedules.weekdays(schedule))
        parts = frozenset(schedules.parts_of_day(schedule))
    except schedules.ScheduleError:
        return None
    weekly = schedule.freq == "WEEKLY" and (schedule.interval or 1) == 1
    label = schedules.describe(schedule)
    if weekly and len(days) == 1 and schedule.byday and "," not in schedule.byday:
        day = schedules.DAY_NAMES[schedules.DAY_CODES.index(next(iter(days)))]
        label = f"{day}s" + (f" {schedule.opens_at:%H:%M}" if schedule.opens_at else "")
    return TimeSlot(days=days, parts=parts, label=label, weekly=weekly)


def plan_candidate(
    listing: Listing, home: tuple[float, float] | None, now: dt.datetime
) -> PlanCandidate:
    """A listing as :func:`select_plan` sees it.

    Distance from home to its nearest place, ratings, freshness, sessions and the
    attributes preferences look at.
    """
    # The distance search measures (one definition of "inside the radius").
    distances = [
        great_circle_km(home[0], home[1], loc.latitude, loc.longitude)
        for loc in listing.locations
        if home is not None and loc.latitude is not None and loc.longitude is not None
    ]
    score = listing.score
    started = started_on((s.valid_from or s.dtstart for s in listing.schedules), listing.created_at)
    mean = (
        score.rating_sum / score.rating_count if score is not None and score.rating_count else None
    )
    return PlanCandidate(
        id=listing.id,
        name=listing.name,
        domains=frozenset(listing.domain_codes),
        distance_km=min(distances) if distances else None,
        usefulness=score.adjusted if score is not None else None,
        rating_mean=mean,
        rating_count=score.rating_count if score is not None else 0,
        freshness=freshness_score(listing.last_verified_at, now),
        slots=tuple(s for s in (_slot(x) for x in listing.schedules) if s is not None),
        kind=listing.kind,
        cost=listing.cost,
        how_to_join=listing.how_to_join,
        delivered_by=listing.delivered_by,
        first_visit_support=listing.first_visit_support,
        mental_health_focus=listing.mental_health_focus,
        online=listing.is_online,
        in_person=listing.attendance != "online" and bool(listing.locations),
        course=listing.format == "course",
        course_weeks=listing.course_weeks,
        running_days=None if started is None else (now - started).total_seconds() / 86400,
        welcome=felt_welcome(score.feedback_welcome_sum, score.feedback_welcome_count)
        if score is not None
        else None,
    )


def candidate_listings(
    session: Session,
    home: tuple[float, float],
    domains: Sequence[str],
    radius_km: float,
    online: bool,
) -> list[Listing]:
    """Public listings targeting any of ``domains`` that meet near enough.

    Within a horizon a few times wider than the radius (so the plan can name the nearest
    option beyond it), and online ones when they are welcome.
    """
    horizon = max(radius_km * HORIZON_FACTOR, HORIZON_MIN_KM)
    south, west, north, east = bounding_box(home[0], home[1], horizon)
    nearby = Listing.locations.any(
        and_(Location.latitude.between(south, north), Location.longitude.between(west, east))
    )
    where = or_(nearby, Listing.attendance.in_(("online", "both"))) if online else nearby
    ids = [term_id("civic_domain", code) for code in domains]
    stmt = (
        public_listings()
        .where(Listing.terms.any(Term.id.in_(ids)), where)
        .options(*LISTING_LOAD)
        .order_by(Listing.id)
    )
    return list(session.scalars(stmt).unique())


def domain_names() -> dict[str, str]:
    """CIVIC domain codes to their names."""
    return {term.code: term.name for term in vocabulary("civic_domain").terms}


def build_plan(
    session: Session,
    home: tuple[float, float],
    request: PlanRequest,
    now: dt.datetime,
) -> tuple[Plan, dict[str, Listing]]:
    """Propose a plan for ``request`` around ``home``.

    Also returns the listings it mentions, by id, for the page.
    """
    listings = candidate_listings(session, home, request.domains, request.radius_km, request.online)
    candidates = [plan_candidate(listing, home, now) for listing in listings]
    plan = select_plan(candidates, request, domain_names())
    return plan, {listing.id: listing for listing in listings}


def save_plan(
    session: Session, owner: User, label: str, plan: Plan, listings: Mapping[str, Listing]
) -> Shortlist:
    """Keep a plan's picks as a new shortlist.

    Each pick keeps the part of its reason that says nothing about where the person lives
    or when they are free (:func:`~directory.rules.plan_selection.reason_to_keep`).
    """
    if not plan.picks:
        raise PlanError("The plan has no options to save.")
    shortlist = create_shortlist(session, owner, label)
    names = domain_names()
    for pick in plan.picks:
        reason = reason_to_keep(pick.candidate, plan.request, names)
        add_to_shortlist(session, owner, shortlist, listings[pick.candidate.id], reason)
    return shortlist
