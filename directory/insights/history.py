"""The history of listings' lives, and the trends commissioners read from it.

Every way a listing opens or is lost — posted, approved, edited closed, closed by a
one-click reminder or a moderator, archived, merged, imported, purged — goes through
the ORM, so the history is written by one session hook rather than by each of those
paths (the importers included): before each flush, :func:`note_transitions` compares
each new, changed or deleted listing's visibility fields with what the database holds
and adds a ``ListingEvent`` for each change :func:`directory.rules.churn.transitions`
names, in the same transaction. "Went out of date" is no change of a field; the daily
reminder job records it (:func:`record_stale`), once per unchecked stretch.

An event keeps what the listing *was*: its kind, CIVIC domains and outward codes, read
again at every flush of the transaction that made it (a new listing's suggested domains
arrive after its first flush), so the row says the same after the listing is purged.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, case, event, func, or_, select, true
from sqlalchemy.orm import Session

from directory.geo import looks_like_outward, outward_code
from directory.models import (
    Listing,
    ListingEvent,
    Location,
    Term,
    listing_term,
    new_id,
    utcnow,
)
from directory.rules import churn
from directory.rules.periods import Quarter, quarter_of, quarters_between

# session.info key: the events added in this transaction, with their listings, whose
# profile is read again at each flush until the transaction ends.
PENDING = "listing_events_pending"
# The fields of the visibility rule, and the merge pointer (a merged copy is archived).
LIFE_FIELDS = ("published", "status", "archived_at", "merged_into_id")


def install_history() -> None:
    """Listen to every ORM session (idempotent)."""
    if not event.contains(Session, "before_flush", note_transitions):
        event.listen(Session, "before_flush", note_transitions)
        event.listen(Session, "after_commit", forget_pending)
        event.listen(Session, "after_soft_rollback", forget_pending_after_rollback)


# -- what a listing is, and how it changed ----------------------------------------------


def outward_codes(postcodes: Iterable[str | None]) -> list[str]:
    """The outward codes of some postcodes ("NG7 2RD" → "NG7"), skipping any that aren't."""
    codes = {outward_code(p) for p in postcodes if p and p.strip()}
    return sorted(code for code in codes if looks_like_outward(code))


def profile(listing: Listing) -> dict[str, str]:
    """What an event keeps of a listing: its kind, CIVIC domains and outward codes."""
    return {
        "kind": listing.kind,
        "domains": churn.padded(listing.domain_codes),
        "outward_codes": churn.padded(outward_codes(loc.postcode for loc in listing.locations)),
    }


def _state(
    published: bool, status: str, archived_at: object, merged_into: object
) -> churn.LifeState:
    return churn.LifeState(
        published=bool(published),
        status=status,
        archived=archived_at is not None,
        merged=merged_into is not None,
    )


def _current_state(listing: Listing) -> churn.LifeState:
    """The listing's visibility as this flush will write it.

    A field a new listing leaves unset gets its column's default at the insert
    (``published`` True, ``status`` "active").
    """
    return _state(*(_value_to_write(listing, name) for name in LIFE_FIELDS))


def _value_to_write(listing: Listing, name: str) -> object:
    value = getattr(listing, name)
    default = Listing.__table__.c[name].default
    if value is None and default is not None and default.is_scalar:
        return default.arg
    return value


def _stored_states(session: Session, ids: list[str]) -> dict[str, churn.LifeState]:
    """The listings' visibility as the database holds it (before this flush)."""
    if not ids:
        return {}
    rows = session.connection().execute(
        select(Listing.id, *(getattr(Listing, name) for name in LIFE_FIELDS)).where(
            Listing.id.in_(ids)
        )
    )
    return {row[0]: _state(*row[1:]) for row in rows}


def _life_changed(listing: Listing) -> bool:
    """Whether this flush changes any of the listing's visibility fields."""
    state = listing._sa_instance_state  # the public sqlalchemy.inspect(), without the lookup
    return any(state.attrs[name].history.has_changes() for name in LIFE_FIELDS)


def note_transitions(session: Session, flush_context: object, instances: object) -> None:
    """Add a history event for each listing this flush opens, loses or deletes.

    Also reads again what the transaction's earlier events keep, for listings changed
    since.
    """
    new = [obj for obj in session.new if isinstance(obj, Listing)]
    deleted = [obj for obj in session.deleted if isinstance(obj, Listing)]
    changed = [obj for obj in session.dirty if isinstance(obj, Listing) and _life_changed(obj)]
    # A listing's domains and places change by replacing its collections, which marks
    # the listing itself changed; those are the events to read again.
    touched = {id(obj) for obj in session.dirty if isinstance(obj, Listing)}
    for listing_event, listing in session.info.get(PENDING, ()):
        if id(listing) in touched and listing_event in session:
            _fill(listing_event, profile(listing))
    if not (new or deleted or changed):
        return
    stored = _stored_states(session, [obj.id for obj in deleted + changed if obj.id])
    for listing in new:
        _add_events(session, listing, None, _current_state(listing), keep_reading=True)
    for listing in changed:
        before = stored.get(listing.id)
        _add_events(session, listing, before, _current_state(listing), keep_reading=True)
    for listing in deleted:
        _add_events(session, listing, stored.get(listing.id), None, keep_reading=False)


def _add_events(
    session: Session,
    listing: Listing,
    before: churn.LifeState | None,
    after: churn.LifeState | None,
    keep_reading: bool,
) -> None:
    """Add the events of one change; keep reading the profile of a listing that stays."""
    names = churn.transitions(before, after)
    if not names:
        return
    if listing.id is None:  # a new listing gets its id at the insert; the event needs it now
        listing.id = new_id()
    what = profile(listing)
    for name in names:
        listing_event = record_event(session, listing, name, what)
        if keep_reading:
            session.info.setdefault(PENDING, []).append((listing_event, listing))


def _fill(listing_event: ListingEvent, what: dict[str, str]) -> None:
    for name, value in what.items():
        if getattr(listing_event, name) != value:
            setattr(listing_event, name, value)


def forget_pending(session: Session) -> None:
    """The transaction is committed: its events are what they are."""
    if session.get_nested_transaction() is None:
        session.info.pop(PENDING, None)


def forget_pending_after_rollback(session: Session, previous_transaction: object) -> None:
    """A rollback took the events with it."""
    if getattr(previous_transaction, "parent", None) is None:
        session.info.pop(PENDING, None)


def record_event(
    session: Session,
    listing: Listing,
    name: str,
    what: dict[str, str] | None = None,
    on: dt.date | None = None,
) -> ListingEvent:
    """Add one event of ``listing``'s life, dated ``on`` (today by default).

    No flush: it goes to the database with the change it records.
    """
    if name not in churn.EVENTS:
        raise ValueError(f"unknown listing event {name!r}")
    listing_event = ListingEvent(
        listing_id=listing.id,
        event=name,
        happened_on=on or utcnow().date(),
        **(what or profile(listing)),
    )
    session.add(listing_event)
    return listing_event


def record_stale(session: Session, listing: Listing, on: dt.date) -> ListingEvent:
    """The listing went out of date on ``on`` (the daily job: once per unchecked stretch)."""
    listing_event = record_event(session, listing, churn.STALE, on=on)
    session.flush()
    return listing_event


# -- trends -----------------------------------------------------------------------------


@dataclass
class DomainNow:
    """Public listings targeting one domain now, and how many were checked recently."""

    listings: int = 0
    verified: int = 0

    @property
    def percent_verified(self) -> int | None:
        """The share checked in the last six months, in whole percent (None with none)."""
        return churn.share(self.verified, self.listings)


@dataclass
class Trends:
    """Listings opened and lost in an area over a period, by quarter and domain.

    ``by_quarter[q][event]``: events of each kind per quarter; ``by_quarter_domain[q][d]``
    and ``by_domain[d]``: ``{"opened": n, "lost": n}``; ``now[d]`` the domain's public
    listings and how many were checked in the last six months (``now[""]`` all of them).
    """

    quarters: list[Quarter]
    by_quarter: dict[Quarter, dict[str, int]] = field(default_factory=dict)
    by_quarter_domain: dict[Quarter, dict[str, dict[str, int]]] = field(default_factory=dict)
    by_domain: dict[str, dict[str, int]] = field(default_factory=dict)
    now: dict[str, DomainNow] = field(default_factory=dict)

    def lost_in(self, quarter: Quarter) -> int:
        """Listings lost in a quarter: closed, archived or withdrawn."""
        return sum(self.by_quarter[quarter][name] for name in churn.LOSSES)


def _in_area(codes_column: ColumnElement[str], area: str | None) -> ColumnElement[bool]:
    """The condition "meets in ``area``" on a padded outward-codes column (true for no area)."""
    return codes_column.like(f"% {area} %") if area else true()


def trends(
    session: Session, area: str | None, start: dt.date, end: dt.date, now: dt.datetime
) -> Trends:
    """Listings opened and lost per quarter by domain in ``area`` (an outward code; None: all).

    Events from ``start`` to ``end`` inclusive; and today's public listings there by
    domain with the share verified in the last six months.
    """
    result = Trends(quarters=quarters_between(start, end))
    for quarter in result.quarters:
        result.by_quarter[quarter] = dict.fromkeys(churn.EVENTS, 0)
        result.by_quarter_domain[quarter] = {}
    rows = session.execute(
        select(ListingEvent.happened_on, ListingEvent.event, ListingEvent.domains, func.count())
        .where(
            ListingEvent.happened_on.between(start, end),
            _in_area(ListingEvent.outward_codes, area),
        )
        .group_by(ListingEvent.happened_on, ListingEvent.event, ListingEvent.domains)
    )
    for happened_on, name, domains, count in rows:
        _count_event(result, quarter_of(happened_on), name, churn.unpadded(domains), count)
    result.now = provision_now(session, area, now)
    return result


def _count_event(
    result: Trends, quarter: Quarter, name: str, domains: list[str], count: int
) -> None:
    """Add ``count`` events of one kind, for listings with ``domains``, to the quarter."""
    result.by_quarter[quarter][name] += count
    column = churn.OPENED if name == churn.OPENED else "lost" if name in churn.LOSSES else None
    if column is None:
        return
    for domain in domains:
        cell = result.by_quarter_domain[quarter].setdefault(domain, {"opened": 0, "lost": 0})
        cell[column] += count
        total = result.by_domain.setdefault(domain, {"opened": 0, "lost": 0})
        total[column] += count


def provision_now(session: Session, area: str | None, now: dt.datetime) -> dict[str, DomainNow]:
    """Public listings meeting in ``area`` now by domain, and how many were checked recently.

    Keyed by domain code, and ``""`` for all listings (each counted once).
    """
    since = churn.verified_since(now)
    recent = func.sum(case((Listing.last_verified_at >= since, 1), else_=0))
    where = [Listing.is_public]
    if area:
        where.append(
            Listing.locations.any(
                or_(Location.postcode == area, Location.postcode.like(f"{area} %"))
            )
        )
    found: dict[str, DomainNow] = defaultdict(DomainNow)
    total = session.execute(select(func.count(), recent).select_from(Listing).where(*where)).one()
    found[""] = DomainNow(total[0], int(total[1] or 0))
    rows = session.execute(
        select(Term.code, func.count(), recent)
        .select_from(Listing)
        .join(listing_term, listing_term.c.listing_id == Listing.id)
        .join(Term, and_(Term.id == listing_term.c.term_id, Term.vocabulary_code == "civic_domain"))
        .where(*where)
        .group_by(Term.code)
    )
    for code, count, verified in rows:
        found[code] = DomainNow(count, int(verified or 0))
    return dict(found)
