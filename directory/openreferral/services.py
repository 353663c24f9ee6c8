"""Answering the Open Referral UK feed's queries from the database.

Only public listings (published, not closed, not archived) are ever published; their
organisations are published when they have at least one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from math import ceil
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, false, func, or_, select, true
from sqlalchemy.orm import Session, joinedload, selectinload

from directory.geo import GeoResult, bounding_box, great_circle_km
from directory.models import (
    Listing,
    Location,
    Organisation,
    Schedule,
    Term,
    listing_term,
    public_listings,
)
from directory.openreferral.mapping import (
    COLUMN_VOCABULARIES,
    ORGANISATION_VOCABULARIES,
    PUBLISHED_VOCABULARIES,
    TERM_VOCABULARIES,
)
from directory.vocabularies import read_vocabularies, term_id, vocabulary_id

LISTING_RECORD = (
    joinedload(Listing.organisation),
    selectinload(Listing.terms),
    selectinload(Listing.locations),
    selectinload(Listing.schedules),
    selectinload(Listing.score),
)


@dataclass
class FeedPage:
    """One page of a list endpoint, in ORUK's paginated shape."""

    contents: Sequence[Any]
    total: int
    page: int
    per_page: int

    def body(self, contents: list[dict]) -> dict[str, Any]:
        """The ORUK page object around already-mapped ``contents``."""
        total_pages = ceil(self.total / self.per_page) if self.total else 0
        return {
            "total_items": self.total,
            "total_pages": total_pages,
            "page_number": self.page,
            "size": len(contents),
            "first_page": self.page == 1,
            "last_page": self.page >= total_pages,
            "empty": len(contents) == 0,
            "contents": contents,
        }


def _like(text: str) -> str:
    """``text`` as a LIKE pattern matching it anywhere, with wildcards escaped."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@cache
def _term_lookup() -> dict[str, tuple[str, str]]:
    """Every published term id → (vocabulary, code) (the vocabulary files ship with the code)."""
    vocabularies = read_vocabularies()
    return {
        term_id(code, term.code): (code, term.code)
        for code in PUBLISHED_VOCABULARIES
        for term in vocabularies[code].terms
    }


def term_condition(ids: Sequence[str]) -> ColumnElement[bool]:
    """Listings carrying any of the taxonomy terms ``ids`` (ours; unknown ids match nothing)."""
    lookup = _term_lookup()
    conditions = []
    term_ids = []
    for value in ids:
        vocabulary_code, code = lookup.get(value, (None, None))
        if vocabulary_code in TERM_VOCABULARIES:
            term_ids.append(value)
        elif vocabulary_code in COLUMN_VOCABULARIES:
            conditions.append(getattr(Listing, vocabulary_code) == code)
        elif vocabulary_code in ORGANISATION_VOCABULARIES:
            conditions.append(Listing.organisation.has(Organisation.sector == code))
    if term_ids:
        conditions.append(
            exists().where(
                listing_term.c.listing_id == Listing.id, listing_term.c.term_id.in_(term_ids)
            )
        )
    return or_(*conditions) if conditions else false()


def taxonomy_condition(ids: Sequence[str]) -> ColumnElement[bool]:
    """Listings carrying any term of any of the taxonomies ``ids``."""
    by_id = {vocabulary_id(code): code for code in PUBLISHED_VOCABULARIES}
    conditions = []
    term_vocabularies = []
    for value in ids:
        code = by_id.get(value)
        if code in TERM_VOCABULARIES:
            term_vocabularies.append(code)
        elif code in COLUMN_VOCABULARIES:
            conditions.append(getattr(Listing, code).is_not(None))
        elif code in ORGANISATION_VOCABULARIES:
            conditions.append(true())
    if term_vocabularies:
        conditions.append(
            exists()
            .where(listing_term.c.listing_id == Listing.id)
            .where(listing_term.c.term_id == Term.id)
            .where(Term.vocabulary_code.in_(term_vocabularies))
        )
    return or_(*conditions) if conditions else false()


def filter_listings(stmt: Select, args: dict[str, Any]) -> Select:
    """Apply the ``/services`` filters to a select involving ``Listing``.

    Every filter given must hold (AND):

    - ``search``: every word appears in the name, summary, description or
      organisation name;
    - ``taxonomy_term_id`` / ``taxonomy_id``: any of the terms / taxonomies;
    - ``organization_id``, ``modified_after`` (last change on or after);
    - ``minimum_age`` / ``maximum_age``, as the UK profile defines them: a minimum age
      of at least, a maximum age of at most, the value;
    - ``day``, ``start_time``, ``end_time``: one schedule that meets on that day,
      opening at or after ``start_time`` and closing at or before ``end_time``.
    """
    for condition in (
        *_word_conditions(args.get("search")),
        *_field_conditions(args),
        *_schedule_conditions(args),
    ):
        stmt = stmt.where(condition)
    return stmt


def _word_conditions(search: str | None) -> list[ColumnElement[bool]]:
    """One condition per word of ``search``: in the listing's text or organisation's name."""
    conditions = []
    for word in (search or "").split():
        pattern = _like(word)
        conditions.append(
            or_(
                Listing.name.ilike(pattern, escape="\\"),
                Listing.summary.ilike(pattern, escape="\\"),
                Listing.description.ilike(pattern, escape="\\"),
                Listing.organisation.has(Organisation.name.ilike(pattern, escape="\\")),
            )
        )
    return conditions


def _field_conditions(args: dict[str, Any]) -> list[ColumnElement[bool]]:
    """The conditions of the taxonomy, organisation, modified-after and age filters given."""
    conditions = []
    if args.get("taxonomy_term_id"):
        conditions.append(term_condition(args["taxonomy_term_id"]))
    if args.get("taxonomy_id"):
        conditions.append(taxonomy_condition(args["taxonomy_id"]))
    if args.get("organization_id"):
        conditions.append(Listing.organisation_id == args["organization_id"])
    if args.get("modified_after") is not None:
        conditions.append(Listing.updated_at >= args["modified_after"])
    if args.get("minimum_age") is not None:
        conditions.append(Listing.min_age >= args["minimum_age"])
    if args.get("maximum_age") is not None:
        conditions.append(Listing.max_age <= args["maximum_age"])
    return conditions


def _schedule_conditions(args: dict[str, Any]) -> list[ColumnElement[bool]]:
    """The day and time filters as one condition: a single schedule must meet them all."""
    timing = []
    if args.get("day"):
        timing.append(Schedule.byday.like(f"%{args['day']}%"))
    if args.get("start_time") is not None:
        timing.append(Schedule.opens_at >= args["start_time"])
    if args.get("end_time") is not None:
        timing.append(Schedule.closes_at <= args["end_time"])
    if not timing:
        return []
    return [exists().where(Schedule.listing_id == Listing.id, and_(*timing))]


def _count(session: Session, stmt: Select) -> int:
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def services_page(session: Session, args: dict[str, Any]) -> FeedPage:
    """A page of public listings matching the ``/services`` filters, by name."""
    stmt = filter_listings(public_listings(), args)
    total = _count(session, stmt.with_only_columns(Listing.id))
    page, per_page = args["page"], args["per_page"]
    rows = session.scalars(
        stmt.options(*LISTING_RECORD)
        .order_by(Listing.name, Listing.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).unique()
    return FeedPage(list(rows), total, page, per_page)


def public_service(session: Session, service_id: str) -> Listing | None:
    """One public listing by id, loaded for the full record; None if not public."""
    stmt = public_listings().where(Listing.id == service_id).options(*LISTING_RECORD)
    return session.scalars(stmt).unique().first()


@dataclass
class PlacedLocation:
    """A location on a page of ``/service_at_locations``, with its distance if asked."""

    location: Location
    distance_m: float | None = None


# Nearest first: the search starts this far from the postcode and widens fourfold until
# it holds the page (or everything: beyond half the Earth's circumference).
NEAREST_START_KM = 8.0
NEAREST_WHOLE_EARTH_KM = 20_100.0


def service_at_locations_page(
    session: Session, args: dict[str, Any], origin: GeoResult | None
) -> FeedPage:
    """A page of the public listings' locations matching the ``/services`` filters.

    With a postcode (``origin``) they come nearest first (great-circle distance), and
    ``proximity`` (metres) keeps only those within that distance; otherwise by listing
    name. Only the page's locations are loaded as records: the ones nearer than the page
    are found from their coordinates alone, in a box around the postcode widened until
    it holds the page, never the whole directory.
    """
    page, per_page = args["page"], args["per_page"]
    public = Location.listing_id.in_(public_listings().with_only_columns(Listing.id))
    if origin is None:
        stmt = filter_listings(
            select(Location).join(Listing, Location.listing_id == Listing.id).where(public), args
        ).options(joinedload(Location.listing).options(*LISTING_RECORD))
        total = _count(session, stmt.with_only_columns(Location.id))
        rows = session.scalars(
            stmt.order_by(Listing.name, Listing.id, Location.position)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).unique()
        return FeedPage([PlacedLocation(row) for row in rows], total, page, per_page)
    points = filter_listings(
        select(Location.id, Location.latitude, Location.longitude, Listing.name)
        .join(Listing, Location.listing_id == Listing.id)
        .where(public, Location.latitude.is_not(None), Location.longitude.is_not(None)),
        args,
    )
    start, end = (page - 1) * per_page, page * per_page
    proximity = args.get("proximity")
    if proximity is not None:
        nearest = _points_within(session, points, origin, proximity / 1000)
        total = len(nearest)
    else:
        total = _count(session, points.with_only_columns(Location.id))
        km = NEAREST_START_KM
        nearest = _points_within(session, points, origin, km)
        while len(nearest) < min(end, total) and km < NEAREST_WHOLE_EARTH_KM:
            km *= 4
            nearest = _points_within(session, points, origin, km)
    chosen = nearest[start:end]
    by_id = {
        location.id: location
        for location in session.scalars(
            select(Location)
            .where(Location.id.in_([location_id for _, _, location_id in chosen]))
            .options(joinedload(Location.listing).options(*LISTING_RECORD))
        ).unique()
    }
    placed = [PlacedLocation(by_id[i], metres) for metres, _, i in chosen if i in by_id]
    return FeedPage(placed, total, page, per_page)


def _points_within(
    session: Session, points: Select, origin: GeoResult, km: float
) -> list[tuple[float, str, str]]:
    """(metres, listing name, location id) of ``points`` within ``km``, nearest first."""
    box = bounding_box(origin.latitude, origin.longitude, km)
    found = []
    for location_id, latitude, longitude, name in session.execute(
        points.where(
            Location.latitude.between(box.min_lat, box.max_lat),
            Location.longitude.between(box.min_lon, box.max_lon),
        )
    ):
        distance = great_circle_km(origin.latitude, origin.longitude, latitude, longitude)
        if distance <= km:
            found.append((1000 * distance, name, location_id))
    found.sort()
    return found


def public_location(session: Session, location_id: str) -> Location | None:
    """A public listing's location by id (the id of its service_at_location)."""
    stmt = (
        select(Location)
        .where(
            Location.id == location_id,
            Location.listing_id.in_(public_listings().with_only_columns(Listing.id)),
        )
        .options(joinedload(Location.listing).options(*LISTING_RECORD))
    )
    return session.scalars(stmt).unique().first()


def taxonomy_codes(page: int, per_page: int) -> FeedPage:
    """A page of the published vocabularies' codes."""
    start = (page - 1) * per_page
    codes = PUBLISHED_VOCABULARIES[start : start + per_page]
    return FeedPage(codes, len(PUBLISHED_VOCABULARIES), page, per_page)


def taxonomy_code(taxonomy_id: str) -> str | None:
    """Our vocabulary code for a published taxonomy id, or None."""
    return next((c for c in PUBLISHED_VOCABULARIES if vocabulary_id(c) == taxonomy_id), None)


def taxonomy_terms_page(
    session: Session, page: int, per_page: int, taxonomy_id: str | None = None
) -> FeedPage:
    """A page of the published vocabularies' terms, vocabulary by vocabulary."""
    codes = list(PUBLISHED_VOCABULARIES)
    if taxonomy_id is not None:
        code = taxonomy_code(taxonomy_id)
        codes = [code] if code else []
    if not codes:
        return FeedPage([], 0, page, per_page)
    # Vocabulary order as published, then term order within it.
    order = case({code: i for i, code in enumerate(codes)}, value=Term.vocabulary_code)
    stmt = select(Term).where(Term.vocabulary_code.in_(codes))
    total = _count(session, stmt.with_only_columns(Term.id))
    rows = session.scalars(
        stmt.order_by(order, Term.position, Term.code).limit(per_page).offset((page - 1) * per_page)
    )
    return FeedPage(list(rows), total, page, per_page)


def public_term(session: Session, term_id_: str) -> Term | None:
    """A published vocabulary's term by id, or None."""
    term = session.get(Term, term_id_)
    if term is None or term.vocabulary_code not in PUBLISHED_VOCABULARIES:
        return None
    return term


def _public_organisations() -> Select:
    return select(Organisation).where(
        exists().where(
            Listing.organisation_id == Organisation.id,
            Listing.id.in_(public_listings().with_only_columns(Listing.id)),
        )
    )


def organizations_page(session: Session, args: dict[str, Any]) -> FeedPage:
    """A page of organisations with at least one public listing, by name."""
    stmt = _public_organisations()
    for word in (args.get("search") or "").split():
        stmt = stmt.where(Organisation.name.ilike(_like(word), escape="\\"))
    total = _count(session, stmt.with_only_columns(Organisation.id))
    page, per_page = args["page"], args["per_page"]
    rows = session.scalars(
        stmt.order_by(Organisation.name, Organisation.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return FeedPage(list(rows), total, page, per_page)


def public_organisation(session: Session, organisation_id: str) -> Organisation | None:
    """An organisation with at least one public listing, or None."""
    return session.scalars(
        _public_organisations().where(Organisation.id == organisation_id)
    ).first()


def organisation_services(session: Session, organisation: Organisation) -> list[Listing]:
    """An organisation's public listings, loaded for records, by name."""
    return list(
        session.scalars(
            public_listings()
            .where(Listing.organisation_id == organisation.id)
            .options(*LISTING_RECORD)
            .order_by(Listing.name, Listing.id)
        ).unique()
    )


def all_public_listings(session: Session, batch: int = 200) -> Iterator[Listing]:
    """Every public listing, loaded for full records, a batch at a time (for exports).

    By id, each batch after the last id of the one before (not by offset, which would skip
    or repeat listings added or removed meanwhile). The session holds loaded objects
    weakly, so a batch is freed once its records are written.
    """
    stmt = public_listings().options(*LISTING_RECORD).order_by(Listing.id).limit(batch)
    after = None
    while True:
        page = stmt if after is None else stmt.where(Listing.id > after)
        rows = session.scalars(page).unique().all()
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].id


def count_public_listings(session: Session) -> int:
    """How many listings are public."""
    return _count(session, public_listings().with_only_columns(Listing.id))
