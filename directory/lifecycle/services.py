"""Posting and editing listings, moderation of revisions, history and archiving.

A listing's editable content travels as a *snapshot*: a plain dict of its fields, term
codes, locations and schedules. Revisions store snapshots, so history, diffs, pending
edits and restores all work the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory import audit
from directory.listings.duplicates import flag_duplicates
from directory.models import (
    Listing,
    ListingRevision,
    Location,
    Organisation,
    Schedule,
    Term,
    User,
    utcnow,
)
from directory.notifications import service as notifications
from directory.rules import listing_input, permissions
from directory.schedules import DAY_NAMES
from directory.vocabularies import label, term_id

# Plain columns a snapshot carries, with the words the diff shows.
FIELDS = {
    "kind": "Kind",
    "name": "Name",
    "summary": "Summary",
    "description": "Description",
    "status": "Status",
    "phone": "Phone",
    "email": "Email",
    "url": "Website",
    "how_to_join": "How to join",
    "cost": "Cost",
    "cost_description": "Cost details",
    "min_age": "Minimum age",
    "max_age": "Maximum age",
    "languages": "Languages",
    "delivered_by": "Run by",
    "format": "Format",
    "course_weeks": "Course length (weeks)",
    "first_visit_support": "First-visit support",
    "group_size": "Group size",
    "mental_health_focus": "Mental health focus",
    "welcome_statement": "Welcome statement",
    "attendance": "In person or online",
}
# The vocabulary fields are defined with the listing input rules; named here for callers.
TERM_VOCABULARIES = listing_input.TERM_VOCABULARIES
CHOICE_VOCABULARIES = listing_input.CHOICE_VOCABULARIES
# A snapshot's places and times hold what the listing input schema gives out.
LOCATION_FIELDS = listing_input.PLACE_OUTPUT
SCHEDULE_FIELDS = listing_input.SCHEDULE_OUTPUT


class LifecycleError(ValueError):
    """Something the user asked for that can't be done, with a message for them."""


# -- snapshots -------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """JSON-friendly values: dates and times as ISO strings."""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


def _from_plain(field: str, value: Any) -> Any:
    if value is None:
        return None
    if field in ("dtstart", "valid_from", "valid_to"):
        return dt.date.fromisoformat(value)
    if field in ("opens_at", "closes_at"):
        return dt.time.fromisoformat(value)
    return value


def snapshot(listing: Listing) -> dict[str, Any]:
    """A listing's editable content as a plain, JSON-storable dict."""
    data: dict[str, Any] = {field: _plain(getattr(listing, field)) for field in FIELDS}
    data["terms"] = {
        vocabulary: [t.code for t in listing.terms_in(vocabulary)]
        for vocabulary in TERM_VOCABULARIES
    }
    data["locations"] = [
        {field: getattr(loc, field) for field in LOCATION_FIELDS} for loc in listing.locations
    ]
    data["schedules"] = _schedules_data(listing)
    return data


def _schedules_data(listing: Listing) -> list[dict[str, Any]]:
    """Schedules as plain dicts; one held at a place names it by its position."""
    places = {id(location): i for i, location in enumerate(listing.locations)}
    rows = []
    for schedule in listing.schedules:
        row = {field: _plain(getattr(schedule, field)) for field in SCHEDULE_FIELDS}
        if schedule.location is not None and id(schedule.location) in places:
            row["location"] = places[id(schedule.location)]
        rows.append(row)
    return rows


def apply_snapshot(session: Session, listing: Listing, data: dict[str, Any]) -> None:
    """Make ``listing`` match ``data``: fields, terms, locations and schedules."""
    for field in FIELDS:
        if field in data and getattr(listing, field) != data[field]:
            setattr(listing, field, data[field])
    wanted_terms = [
        session.get(Term, term_id(vocabulary, code))
        for vocabulary in TERM_VOCABULARIES
        for code in data.get("terms", {}).get(vocabulary, [])
    ]
    wanted_terms = [t for t in wanted_terms if t is not None]
    if {t.id for t in listing.terms} != {t.id for t in wanted_terms}:
        listing.terms = wanted_terms
    current_locations = [{f: getattr(loc, f) for f in LOCATION_FIELDS} for loc in listing.locations]
    places_changed = current_locations != data.get("locations", [])
    if places_changed:
        listing.locations = [
            Location(position=i, **loc) for i, loc in enumerate(data.get("locations", []))
        ]
    # New places mean new rows, so schedules held at the old ones are re-linked too.
    if places_changed or _schedules_data(listing) != data.get("schedules", []):
        listing.schedules = [
            _schedule_from_data(i, row, listing.locations)
            for i, row in enumerate(data.get("schedules", []))
        ]
    session.flush()


def _schedule_from_data(position: int, row: dict[str, Any], places: list[Location]) -> Schedule:
    """A schedule from its snapshot, linked to the place its position names."""
    place = row.get("location")
    return Schedule(
        position=position,
        location=places[place] if place is not None and place < len(places) else None,
        **{f: _from_plain(f, row.get(f)) for f in SCHEDULE_FIELDS},
    )


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Field-by-field differences as (label, before, after), in words a moderator reads."""
    rows = []
    for field, words in FIELDS.items():
        before, after = old.get(field), new.get(field)
        if before != after:
            rows.append((words, _words(field, before), _words(field, after)))
    for vocabulary, words in TERM_VOCABULARIES.items():
        before = old.get("terms", {}).get(vocabulary, [])
        after = new.get("terms", {}).get(vocabulary, [])
        if sorted(before) != sorted(after):
            rows.append(
                (
                    words,
                    ", ".join(label(vocabulary, c) for c in before),
                    ", ".join(label(vocabulary, c) for c in after),
                )
            )
    if old.get("locations") != new.get("locations"):
        rows.append(("Where", _places(old.get("locations")), _places(new.get("locations"))))
    if old.get("schedules") != new.get("schedules"):
        rows.append(("When", _times(old.get("schedules")), _times(new.get("schedules"))))
    return rows


def _words(field: str, value: Any) -> str:
    if value is None or value == "":
        return "(none)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    vocabulary = CHOICE_VOCABULARIES.get(field)
    return label(vocabulary, value) if vocabulary else str(value)


field_words = _words
"""A snapshot field's value in the words a person reads (labels, Yes/No, "(none)")."""


def next_session_dates(
    schedules: list[dict[str, Any]], now: dt.datetime, count: int = 3
) -> list[tuple[str, list[str]]]:
    """Each schedule of a snapshot in words, with the dates of its next ``count`` sessions.

    Counted as the listing page counts them (:func:`directory.schedules.next_occurrences`).
    """
    from types import SimpleNamespace

    from directory.schedules import describe, format_date, next_occurrences

    found = []
    for row in schedules:
        rule = SimpleNamespace(**{f: _from_plain(f, row.get(f)) for f in SCHEDULE_FIELDS})
        dates = [
            f"{DAY_NAMES[when.weekday()]} {format_date(when.date())}"
            for when in next_occurrences(rule, now, count)
        ]
        found.append((describe(rule), dates))
    return found


def _places(locations: list[dict] | None) -> str:
    return (
        "; ".join(
            ", ".join(
                str(loc.get(f)) for f in ("name", "address_1", "city", "postcode") if loc.get(f)
            )
            for loc in locations or []
        )
        or "(none)"
    )


def _times(schedules: list[dict] | None) -> str:
    from types import SimpleNamespace

    from directory.schedules import describe

    return (
        "; ".join(
            describe(SimpleNamespace(**{f: _from_plain(f, s.get(f)) for f in SCHEDULE_FIELDS}))
            for s in schedules or []
        )
        or "(none)"
    )


# -- posting and editing ---------------------------------------------------------------


def create_listing(
    session: Session, user: User, organisation: Organisation, data: dict[str, Any]
) -> Listing:
    """Post a new listing. Untrusted organisations' listings wait for a moderator."""
    direct = permissions.publishes_directly(user, organisation)
    listing = Listing(
        organisation=organisation, published=direct, kind=data["kind"], name=data["name"]
    )
    session.add(listing)
    apply_snapshot(session, listing, data)
    listing.last_verified_at = utcnow()
    listing.last_verified_by = "organisation"
    # Without a domain chosen, suggested ones count in search at once (issue 18); the
    # revision below carries them, marked as suggestions on the listing.
    from directory.listings.suggestions import apply_suggestions

    apply_suggestions(session, listing)
    revision = ListingRevision(
        listing=listing,
        author_id=user.id,
        data=snapshot(listing),
        status="approved" if direct else "pending",
        decided_by_id=user.id if direct else None,
        decided_at=utcnow() if direct else None,
    )
    session.add(revision)
    session.flush()
    audit.record(session, user, "listing.create", "listing", listing.id, published=direct)
    if not direct:
        notifications.notify_moderators_new_listing(session, revision)
    # Probably the same as one we have? A moderator sees both side by side (issue 18).
    flag_duplicates(session, listing)
    return listing


def edit_listing(
    session: Session, user: User, listing: Listing, data: dict[str, Any]
) -> ListingRevision:
    """Change a listing.

    A published listing edited by an untrusted editor gets a pending revision and stays
    as it was until a moderator approves.
    """
    if not permissions.can_edit_organisation(user, listing.organisation_id):
        raise LifecycleError("You can only edit your own organisation's listings.")
    direct = permissions.publishes_directly(user, listing.organisation) or not listing.published
    if direct:
        apply_snapshot(session, listing, data)
        # Editing is a check by the organisation too.
        listing.last_verified_at = utcnow()
        listing.last_verified_by = "moderator" if permissions.is_moderator(user) else "organisation"
        status, decided = "approved", user.id
    else:
        status, decided = "pending", None
        for earlier in pending_revisions(session, listing):
            earlier.status = "superseded"
    revision = ListingRevision(
        listing=listing,
        author_id=user.id,
        data=snapshot(listing) if direct else data,
        status=status,
        decided_by_id=decided,
        decided_at=utcnow() if decided else None,
    )
    session.add(revision)
    session.flush()
    audit.record(
        session, user, "listing.edit", "listing", listing.id, revision=revision.id, status=status
    )
    if status == "pending":
        notifications.notify_moderators_new_listing(session, revision)
    return revision


def pending_revisions(session: Session, listing: Listing) -> list[ListingRevision]:
    """Edits waiting for a moderator, oldest first."""
    return list(
        session.scalars(
            select(ListingRevision)
            .where(ListingRevision.listing_id == listing.id, ListingRevision.status == "pending")
            .order_by(ListingRevision.id)
        )
    )


def previous_approved(session: Session, revision: ListingRevision) -> ListingRevision | None:
    """The last approved revision before ``revision``: what it changes from."""
    return session.scalar(
        select(ListingRevision)
        .where(
            ListingRevision.listing_id == revision.listing_id,
            ListingRevision.status == "approved",
            ListingRevision.id < revision.id,
        )
        .order_by(ListingRevision.id.desc())
    )


def decide_revision(
    session: Session, moderator: User, revision: ListingRevision, approve: bool, reason: str = ""
) -> ListingRevision:
    """Approve (apply and publish) or reject (with a reason the editor sees) a revision.

    Whoever posted it is told either way, with the reason.
    """
    if revision.status != "pending":
        raise LifecycleError("This change has already been decided.")
    if not approve and not reason.strip():
        raise LifecycleError("Give a reason, so the editor knows what to fix.")
    listing = revision.listing
    new_listing = not listing.published
    if approve:
        apply_snapshot(session, listing, revision.data)
        listing.published = True
        listing.last_verified_at = utcnow()
        listing.last_verified_by = "organisation"
        revision.status = "approved"
        revision.data = snapshot(listing)
    else:
        revision.status = "rejected"
    revision.reason = reason.strip() or None
    revision.decided_by_id = moderator.id
    revision.decided_at = utcnow()
    session.flush()
    action = "revision.approve" if approve else "revision.reject"
    audit.record(session, moderator, action, "listing", listing.id, revision=revision.id)
    notifications.notify_listing_decided(
        session, revision, approve, reason, new_listing=new_listing
    )
    return revision


def restore_revision(session: Session, user: User, revision: ListingRevision) -> ListingRevision:
    """Bring back an earlier version, as a new edit (so it is moderated like any edit)."""
    if revision.status not in ("approved", "superseded", "rejected"):
        raise LifecycleError("Only an earlier version can be restored.")
    return edit_listing(session, user, revision.listing, dict(revision.data))


def history(session: Session, listing: Listing) -> list[ListingRevision]:
    """Every revision of a listing, newest first."""
    return list(
        session.scalars(
            select(ListingRevision)
            .where(ListingRevision.listing_id == listing.id)
            .order_by(ListingRevision.id.desc())
        )
    )


def archive_listing(session: Session, user: User, listing: Listing) -> Listing:
    """Archive (hide) a listing; it is purged after the configured period, not now."""
    if not permissions.can_edit_organisation(user, listing.organisation_id):
        raise LifecycleError("You can only archive your own organisation's listings.")
    listing.archived_at = utcnow()
    session.flush()
    audit.record(session, user, "listing.archive", "listing", listing.id)
    return listing


def purge_archived(session: Session, now: dt.datetime, days: int) -> int:
    """Delete listings archived more than ``days`` ago; returns how many.

    A listing merged into another stays (it holds nothing but the pointer), so its old
    links keep leading to the kept listing.
    """
    cutoff = now - dt.timedelta(days=days)
    old = list(
        session.scalars(
            select(Listing).where(Listing.archived_at < cutoff, Listing.merged_into_id.is_(None))
        )
    )
    for listing in old:
        audit.record(session, None, "listing.purge", "listing", listing.id, name=listing.name)
        session.delete(listing)
    session.flush()
    return len(old)
