"""Reading listings and organisations for the public pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from math import ceil
from typing import Generic, TypeVar

from sqlalchemy import Select, bindparam, func, inspect, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from directory.models import (
    DomainSuggestion,
    Listing,
    ListingScore,
    Location,
    Organisation,
    Schedule,
    Term,
    listing_term,
    public_listings,
)
from directory.vocabularies import term_id

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """One page of results and what a pager needs."""

    items: Sequence[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the listings fill (at least one)."""
        return max(1, ceil(self.total / self.per_page))


# What a result card shows (browse, an organisation's listings, exports of a search): a
# fixed number of statements for a page, however many listings it holds. (The search
# page and the API read their results as plain rows: ListingRow below.)
LISTING_CARD = (
    joinedload(Listing.organisation),
    joinedload(Listing.score),
    selectinload(Listing.terms),
    selectinload(Listing.locations),
    selectinload(Listing.schedules),
)
# Everything the listing page shows about its one listing: the one-to-one rows joined
# in the listing's statement, each collection by a plain statement on its foreign key
# (for a single listing, a third cheaper than selectin's IN list). The collections'
# statements are built once (_DETAIL_COLLECTIONS), in their relationships' order.
LISTING_DETAIL = (
    joinedload(Listing.organisation),
    joinedload(Listing.assessment),
    joinedload(Listing.score),
)
# The listing ids a session has read as plain rows (ListingRow), for pages that then
# batch what they show about each (uptake rates): ORM objects are in its identity map.
ROWS_READ = "listing_rows_read"


@dataclass(frozen=True, slots=True)
class OrganisationRow:
    """The organisation as a search result shows it."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class TermRow:
    """A term of a listing, as a search result shows it."""

    vocabulary_code: str
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """What a search result reads of a schedule: what ``schedules.describe`` needs."""

    freq: str
    interval: int | None
    byday: str | None
    bymonthday: str | None
    opens_at: dt.time | None
    closes_at: dt.time | None
    description: str | None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    dtstart: dt.date | None = None


@dataclass(frozen=True, slots=True)
class ListingRow:
    """A search result as the search page's cards and the API read it.

    Plain values read in three statements (:func:`search_rows`), against about twice the
    time for the same through ORM objects. Its words (``domains``, ``domain_codes``,
    ``is_online``) are the model's own, so they can't drift from :class:`Listing`'s.
    """

    id: str
    name: str
    kind: str
    summary: str
    cost: str
    how_to_join: str
    delivered_by: str | None
    attendance: str
    possibly_closed: bool
    last_verified_at: dt.datetime | None
    organisation: OrganisationRow
    # The practitioners' ratings (ListingScore), read in the listing's own statement.
    rating_count: int = 0
    rating_sum: int = 0
    terms: list[TermRow] = field(default_factory=list)
    schedules: list[ScheduleRow] = field(default_factory=list)

    terms_in = Listing.terms_in
    domains = Listing.domains
    domain_codes = Listing.domain_codes
    is_online = Listing.is_online


# The statements of a page of results are built once, with the page's ids a parameter:
# building and keying a statement on every call cost more than running it.
_IDS = bindparam("ids", expanding=True)
_ROW_LISTINGS = (
    select(
        Listing.id,
        Listing.name,
        Listing.kind,
        Listing.summary,
        Listing.cost,
        Listing.how_to_join,
        Listing.delivered_by,
        Listing.attendance,
        Listing.possibly_closed,
        Listing.last_verified_at,
        Organisation.id,
        Organisation.name,
        ListingScore.rating_count,
        ListingScore.rating_sum,
    )
    .join(Organisation, Listing.organisation_id == Organisation.id)
    .outerjoin(ListingScore, ListingScore.listing_id == Listing.id)
    .where(Listing.id.in_(_IDS))
)
_ROW_TERMS = (
    select(listing_term.c.listing_id, Term.vocabulary_code, Term.code, Term.name)
    .join(Term, Term.id == listing_term.c.term_id)
    .where(listing_term.c.listing_id.in_(_IDS))
    .order_by(Term.position)  # as Listing.terms
)
_ROW_SCHEDULES = (
    select(
        Schedule.listing_id,
        Schedule.freq,
        Schedule.interval,
        Schedule.byday,
        Schedule.bymonthday,
        Schedule.opens_at,
        Schedule.closes_at,
        Schedule.description,
        Schedule.valid_from,
        Schedule.valid_to,
        Schedule.dtstart,
    )
    .where(Schedule.listing_id.in_(_IDS))
    .order_by(
        Schedule.listing_id,
        Schedule.position,  # as Listing.schedules
    )
)


def search_rows(session: Session, ids: Sequence[str]) -> list[ListingRow]:
    """The listings ``ids`` as :class:`ListingRow`, in the order of ``ids``.

    Their ids are noted in ``session.info`` (:data:`ROWS_READ`), as ORM objects are in
    the identity map.
    """
    if not ids:
        return []
    # Core statements on the session's connection (the same transaction, and the same
    # replica a read-only request reads from), fetched whole: through the ORM session
    # each plain row passed its result machinery one at a time, a sixth of the time.
    connection, params = session.connection(), {"ids": ids}
    by_id = {
        row[0]: ListingRow(
            *row[:10],
            organisation=OrganisationRow(row[10], row[11]),
            rating_count=row[12] or 0,
            rating_sum=row[13] or 0,
        )
        for row in connection.execute(_ROW_LISTINGS, params).all()
    }
    for listing_id, *term in connection.execute(_ROW_TERMS, params).all():
        by_id[listing_id].terms.append(TermRow(*term))
    for listing_id, *schedule in connection.execute(_ROW_SCHEDULES, params).all():
        by_id[listing_id].schedules.append(ScheduleRow(*schedule))
    session.info.setdefault(ROWS_READ, set()).update(by_id)
    return [by_id[i] for i in ids if i in by_id]


# Built once, the id a parameter: SQLAlchemy keys a statement for its compiled cache
# once per statement object, and keying new ones on every call (the listing with its
# loader options, and the lazy loads that immediateload() made for each collection,
# carrying those options) took about as long as running them.
_LISTING_ID = bindparam("listing_id")
_PUBLIC_LISTING_DETAIL = public_listings().where(Listing.id == _LISTING_ID).options(*LISTING_DETAIL)
_DETAIL_COLLECTIONS = {
    "terms": select(Term)
    .join(listing_term, listing_term.c.term_id == Term.id)
    .where(listing_term.c.listing_id == _LISTING_ID)
    .order_by(Term.position),
    "locations": select(Location)
    .where(Location.listing_id == _LISTING_ID)
    .order_by(Location.position),
    "schedules": select(Schedule)
    .where(Schedule.listing_id == _LISTING_ID)
    .order_by(Schedule.position),
    "domain_suggestions": select(DomainSuggestion)
    .where(DomainSuggestion.listing_id == _LISTING_ID)
    .order_by(DomainSuggestion.code),
}


def get_public_listing(session: Session, listing_id: str) -> Listing | None:
    """The listing with ``listing_id`` if anyone may see it, else None.

    With everything its page shows loaded: the one-to-one rows in its own statement,
    each collection in one more (unless the session already holds it).
    """
    listing = session.scalars(_PUBLIC_LISTING_DETAIL, {"listing_id": listing_id}).first()
    if listing is not None:
        unloaded = inspect(listing).unloaded
        for name, statement in _DETAIL_COLLECTIONS.items():
            if name in unloaded:
                found = session.scalars(statement, {"listing_id": listing.id}).all()
                set_committed_value(listing, name, list(found))
    return listing


def find_public_listing(session: Session, listing_id: str) -> Listing | None:
    """The listing with ``listing_id`` if anyone may see it, else None: in one statement.

    For a write that needs only the listing itself (adding it to a shortlist): its
    collections, which the listing page shows, load only if something reads them.
    """
    return session.scalars(public_listings().where(Listing.id == listing_id)).first()


def get_organisation(session: Session, organisation_id: str) -> Organisation | None:
    """The organisation with ``organisation_id``, or None."""
    return session.get(Organisation, organisation_id)


def _joinable() -> Select:
    """Organisations with a public listing or an approved editor."""
    from directory.models import Membership

    public = (
        public_listings()
        .with_only_columns(Listing.id)
        .where(Listing.organisation_id == Organisation.id)
    )
    editor = select(Membership.id).where(
        Membership.organisation_id == Organisation.id,
        Membership.role == "editor",
        Membership.status == "approved",
    )
    return select(Organisation).where(public.exists() | editor.exists())


def joinable_organisations(session: Session) -> list[Organisation]:
    """Organisations a practitioner may ask to join, by name.

    Those with a public listing or an approved editor. One proposed and not yet approved
    isn't offered to others.
    """
    return list(session.scalars(_joinable().order_by(Organisation.name)))


# The most organisations one search shows: enough to pick from, few enough to read.
ORGANISATION_RESULTS = 20


def find_organisations(
    session: Session, words: str, limit: int = ORGANISATION_RESULTS
) -> list[Organisation]:
    """Joinable organisations (:func:`joinable_organisations`) whose name has every word.

    Case is ignored; names starting with the first word come first, then by name. No
    words, no results: the list is for finding one, not for reading all of them.
    """
    # Control characters (NUL, which PostgreSQL refuses) can't be in a name: dropped.
    typed = "".join(c for c in words if c.isprintable())
    terms = [
        w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        for w in typed.lower().split()
    ][:6]
    if not terms:
        return []
    name = func.lower(Organisation.name)
    stmt = _joinable().where(*(name.like(f"%{term}%", escape="\\") for term in terms))
    starts = name.like(f"{terms[0]}%", escape="\\")
    stmt = stmt.order_by(starts.desc(), Organisation.name).limit(limit)
    return list(session.scalars(stmt))


def organisation_listings(session: Session, organisation: Organisation) -> list[Listing]:
    """An organisation's public listings, by name."""
    stmt = (
        public_listings()
        .where(Listing.organisation_id == organisation.id)
        .options(*LISTING_CARD)
        .order_by(Listing.name)
    )
    return list(session.scalars(stmt))


def browse_listings(
    session: Session,
    kinds: Sequence[str] = (),
    domains: Sequence[str] = (),
    page: int = 1,
    per_page: int = 20,
) -> Page[Listing]:
    """Public listings of the chosen kinds that target any of the chosen domains.

    Alphabetically, one page at a time.
    """
    stmt = public_listings()
    if kinds:
        stmt = stmt.where(Listing.kind.in_(kinds))
    if domains:
        ids = [term_id("civic_domain", code) for code in domains]
        stmt = stmt.where(Listing.terms.any(Term.id.in_(ids)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(
        stmt.options(*LISTING_CARD)
        .order_by(Listing.name, Listing.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return Page(items=list(rows), total=total or 0, page=page, per_page=per_page)


def listings_in_order(session: Session, ids: Sequence[str]) -> list[Listing]:
    """Load listings by id, keeping the order of ``ids`` (the search ranking)."""
    if not ids:
        return []
    stmt = select(Listing).where(Listing.id.in_(ids)).options(*LISTING_CARD)
    by_id = {listing.id: listing for listing in session.scalars(stmt)}
    return [by_id[i] for i in ids if i in by_id]


_POINTS = (
    select(Location.listing_id, Location.latitude, Location.longitude)
    .where(
        Location.listing_id.in_(_IDS),
        Location.latitude.is_not(None),
        Location.longitude.is_not(None),
    )
    .order_by(Location.listing_id, Location.position)
)


def listing_points(session: Session, ids: Sequence[str]) -> dict[str, list[tuple[float, float]]]:
    """Where each of the listings ``ids`` meets: (latitude, longitude) by listing id.

    Plain rows in one statement, for a map: no location objects are made (and, as in
    :func:`search_rows`, the rows don't pass through the ORM session's result).
    """
    points: dict[str, list[tuple[float, float]]] = {}
    if ids:
        rows = session.connection().execute(_POINTS, {"ids": ids}).all()
        for listing_id, latitude, longitude in rows:
            points.setdefault(listing_id, []).append((latitude, longitude))
    return points


def count_public_listings(session: Session) -> int:
    """How many listings the public can see."""
    return session.scalar(select(func.count()).select_from(public_listings().subquery())) or 0
