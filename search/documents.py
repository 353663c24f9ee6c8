"""What the search engines know about a listing, derived in one place."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from directory import schedules
from directory.models import (
    Listing,
    ListingScore,
    Location,
    Organisation,
    Rating,
    Schedule,
    ShortlistItem,
    StillRunningConfirmation,
    Term,
    listing_term,
    public_listings,
    utcnow,
)
from directory.rules import signals, uptake
from directory.rules.freshness import evidence_checked_at
from directory.rules.ranking import felt_welcome


def listing_facets(
    listing: Listing, suits: tuple[str, ...] = (), today: dt.date | None = None
) -> dict[str, tuple[str, ...]]:
    """The filterable values of a listing, keyed by facet name.

    Days and parts of day are worked out from the schedules, so "Tuesday evening"
    means a session that runs on a Tuesday and overlaps the evening; sessions whose end
    date has passed by ``today`` (default: today) don't count. ``suits`` are the
    "suits" tags practitioners agree on (:func:`directory.rules.signals.agreed_suits`).
    """
    today = today or utcnow().date()
    days: set[str] = set()
    parts: set[str] = set()
    day_parts: set[str] = set()
    running = [s for s in listing.schedules if not (s.valid_to and s.valid_to < today)]
    for schedule in running:
        schedule_days = {schedules.DAY_CODES[d] for d in schedules.weekdays(schedule)}
        schedule_parts = schedules.parts_of_day(schedule)
        days |= schedule_days
        parts |= schedule_parts
        day_parts |= {f"{d}_{p}" for d in schedule_days for p in schedule_parts}
    return {
        "domain": tuple(t.code for t in listing.terms_in("civic_domain")),
        "kind": (listing.kind,),
        "intervention": tuple(t.code for t in listing.terms_in("intervention_type")),
        "cost": (listing.cost,),
        "join": (listing.how_to_join,),
        "delivered_by": (listing.delivered_by,) if listing.delivered_by else (),
        "day": tuple(sorted(days, key=schedules.DAY_CODES.index)),
        "part": tuple(p for p in schedules.PARTS_OF_DAY if p in parts),
        "day_part": tuple(sorted(day_parts)),
        "audience": tuple(t.code for t in listing.terms_in("audience")),
        "accessibility": tuple(t.code for t in listing.terms_in("accessibility")),
        "online": ("yes",) if listing.is_online else (),
        "first_visit": ("yes",) if listing.first_visit_support else (),
        "focus": (listing.mental_health_focus,) if listing.mental_health_focus else (),
        "regularity": (signals.REGULARITY_WEEKLY,) if signals.meets_weekly(running) else (),
        "format": signals.format_values(listing.format, listing.course_weeks),
        "language": signals.language_codes(listing.languages),
        "suits": tuple(suits),
    }


def listing_signals(listing: Listing) -> dict[str, Any]:
    """What ranking and the ended-course rule read of a listing beyond its facets.

    ``started`` (:func:`directory.rules.signals.started_on`) and ``ends`` (a course's
    last day, :func:`directory.rules.signals.ends_on`) as timestamps (0: unknown, none),
    ``welcome`` (the felt-welcome mean, 0 until enough answered).
    """
    started = signals.started_on(
        (s.valid_from or s.dtstart for s in listing.schedules), listing.created_at
    )
    ends = signals.ends_on(listing.format, (s.valid_to for s in listing.schedules))
    score = listing.score
    welcome = (
        felt_welcome(score.feedback_welcome_sum or 0, score.feedback_welcome_count or 0)
        if score is not None
        else None
    )
    return {
        "started": to_timestamp(started),
        "ends": to_timestamp(dt.datetime.combine(ends, dt.time())) if ends else 0,
        "welcome": welcome or 0.0,
    }


def listing_points(listing: Listing) -> list[tuple[float, float]]:
    """The coordinates of each location that has them."""
    return [
        (loc.latitude, loc.longitude)
        for loc in listing.locations
        if loc.latitude is not None and loc.longitude is not None
    ]


def facet_tokens(facets: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Facet values flattened to "field:value" tokens, the form both engines count."""
    return tuple(f"{name}:{value}" for name, values in facets.items() for value in values)


# Geo grid for the index: cells of FINE_DEG degrees latitude by 1.6 times that of
# longitude are roughly square at British latitudes. Fine cells serve radii up to
# FINE_MAX_RADIUS_KM; coarse cells wider ones, so a query never ORs too many cells.
FINE_DEG = 0.05
COARSE_DEG = 0.25
LON_FACTOR = 1.6
FINE_MAX_RADIUS_KM = 12.0


def cell(lat: float, lon: float, size: float) -> str:
    """The name of the grid cell of ``size`` degrees containing a point."""
    return f"{int((lat + 90) // size)}_{int((lon + 180) // (size * LON_FACTOR))}"


def cells_for_points(points: list[tuple[float, float]], size: float) -> set[str]:
    """The cells containing each point."""
    return {cell(lat, lon, size) for lat, lon in points}


def cells_covering(
    min_lat: float, min_lon: float, max_lat: float, max_lon: float, size: float
) -> list[str]:
    """Every cell of ``size`` degrees overlapping a bounding box."""
    lat_size, lon_size = size, size * LON_FACTOR
    first_row, last_row = int((min_lat + 90) // lat_size), int((max_lat + 90) // lat_size)
    first_col, last_col = int((min_lon + 180) // lon_size), int((max_lon + 180) // lon_size)
    return [
        f"{row}_{col}"
        for row in range(first_row, last_row + 1)
        for col in range(first_col, last_col + 1)
    ]


def listing_document(listing: Listing) -> dict:
    """The search document for a listing: text, filters, grid cells and ranking data.

    Its last check is the organisation's, pushed back by practitioners' evidence
    (:func:`directory.rules.freshness.evidence_checked_at`).
    """
    facets = listing_facets(listing, getattr(listing, "agreed_suits", ()))
    points = listing_points(listing)
    text = " ".join((listing.name, listing.summary, listing.description))
    return {
        "id": listing.id,
        "name": listing.name,
        "summary": listing.summary,
        "description": listing.description,
        "organisation": listing.organisation.name,
        "spell": f"{text} {listing.organisation.name}",
        **{name: " ".join(values) for name, values in facets.items()},
        "fine": " ".join(sorted(cells_for_points(points, FINE_DEG))),
        "coarse": " ".join(sorted(cells_for_points(points, COARSE_DEG))),
        "points": ";".join(f"{lat:.6f},{lon:.6f}" for lat, lon in points).encode(),
        "facets": " ".join(facet_tokens(facets)).encode(),
        "usefulness": float(listing.score.adjusted or 0.0) if listing.score else 0.0,
        "verified": to_timestamp(checked_at(listing)),
        **listing_signals(listing),
    }


def checked_at(listing: Listing) -> dt.datetime | None:
    """The last check search counts from: the organisation's, pushed back by evidence.

    A :class:`ListingRecord` carries the latest confirmation, "went" and "still going";
    a Listing read without them counts the organisation's check alone.
    """
    return evidence_checked_at(
        listing.last_verified_at,
        getattr(listing, "confirmed_at", None),
        getattr(listing, "went_at", None),
        getattr(listing, "still_going_at", None),
    )


def to_timestamp(value: dt.datetime | None) -> int:
    """Seconds since the epoch for a naive UTC datetime; 0 for None."""
    return int(value.replace(tzinfo=dt.UTC).timestamp()) if value else 0


# (Adding a timedelta to the epoch is exact for whole seconds and twice as fast as
# fromtimestamp() and replace(); a search near a place converts thousands.)
EPOCH = dt.datetime(1970, 1, 1)


def from_timestamp(value: int) -> dt.datetime | None:
    """The naive UTC datetime for :func:`to_timestamp`'s seconds; None for 0."""
    return EPOCH + dt.timedelta(seconds=value) if value else None


# -- bulk reading ----------------------------------------------------------------------


@dataclass
class ListingRecord:
    """A public listing read as plain rows, without the ORM's cost.

    What :func:`listing_document` reads of a :class:`Listing`; a rebuild at 100,000
    listings spends most of its time building objects otherwise.
    """

    id: str
    name: str
    summary: str
    description: str
    kind: str
    cost: str
    how_to_join: str
    delivered_by: str | None
    attendance: str
    first_visit_support: bool
    last_verified_at: dt.datetime | None
    organisation: Any
    format: str = "ongoing"
    course_weeks: int | None = None
    mental_health_focus: str | None = None
    languages: list[str] = field(default_factory=list)
    created_at: dt.datetime | None = None
    score: Any = None
    agreed_suits: tuple[str, ...] = ()
    confirmed_at: dt.datetime | None = None
    went_at: dt.datetime | None = None
    still_going_at: dt.datetime | None = None
    terms: list[Any] = field(default_factory=list)
    locations: list[Any] = field(default_factory=list)
    schedules: list[Any] = field(default_factory=list)

    # The model's own rules, so a record and a Listing always agree.
    is_online = Listing.is_online
    terms_in = Listing.terms_in


_RECORD_COLUMNS = (
    Listing.id, Listing.name, Listing.summary, Listing.description, Listing.kind,
    Listing.cost, Listing.how_to_join, Listing.delivered_by, Listing.attendance,
    Listing.first_visit_support, Listing.last_verified_at,
    Organisation.name.label("organisation"), ListingScore.adjusted,
    Listing.format, Listing.course_weeks, Listing.mental_health_focus, Listing.languages,
    Listing.created_at, ListingScore.feedback_welcome_sum, ListingScore.feedback_welcome_count,
)  # fmt: skip


def _public_rows() -> Select:
    """The public listings' columns a record holds, with organisation and score joined."""
    return (
        public_listings()
        .with_only_columns(*_RECORD_COLUMNS)
        .join(Organisation, Organisation.id == Listing.organisation_id)
        .outerjoin(ListingScore, ListingScore.listing_id == Listing.id)
    )


def _records(rows: Sequence[Any]) -> dict[str, ListingRecord]:
    """Records for rows of :func:`_public_rows`, by listing id (related rows still empty)."""
    return {
        row.id: ListingRecord(
            id=row.id, name=row.name, summary=row.summary, description=row.description,
            kind=row.kind, cost=row.cost, how_to_join=row.how_to_join,
            delivered_by=row.delivered_by, attendance=row.attendance,
            first_visit_support=bool(row.first_visit_support),
            last_verified_at=row.last_verified_at,
            organisation=SimpleNamespace(name=row.organisation),
            format=row.format, course_weeks=row.course_weeks,
            mental_health_focus=row.mental_health_focus, languages=row.languages or [],
            created_at=row.created_at,
            score=None if row.feedback_welcome_count is None else SimpleNamespace(
                adjusted=row.adjusted, feedback_welcome_sum=row.feedback_welcome_sum,
                feedback_welcome_count=row.feedback_welcome_count,
            ),
        )
        for row in rows
    }  # fmt: skip


def listing_records(session: Session, batch: int = 2000) -> Iterator[ListingRecord]:
    """Every public listing as a :class:`ListingRecord`, in id order, a batch at a time.

    Keyset pagination, so memory stays flat and each batch costs the same.
    """
    base = _public_rows().order_by(Listing.id).limit(batch)
    last = ""
    while True:
        rows = session.execute(base.where(Listing.id > last)).all()
        if not rows:
            return
        records = _records(rows)
        span = (rows[0].id, rows[-1].id)
        _attach_related(session, records, lambda column, span=span: column.between(*span))
        yield from records.values()
        if len(rows) < batch:
            return
        last = span[1]


def public_records(session: Session, ids: Iterable[str], chunk: int = 500) -> list[ListingRecord]:
    """The public listings among ``ids`` as :class:`ListingRecord` (in no set order).

    What the index sync reads after a commit: plain rows, a chunk of ids at a time, so a
    batch of thousands of imported listings costs a few statements, not thousands of
    objects.
    """
    wanted = list(dict.fromkeys(ids))
    found: list[ListingRecord] = []
    for start in range(0, len(wanted), chunk):
        part = wanted[start : start + chunk]
        records = _records(session.execute(_public_rows().where(Listing.id.in_(part))).all())
        if records:
            in_part = list(records)
            _attach_related(session, records, lambda column, ids=in_part: column.in_(ids))
            found += records.values()
    return found


def _attach_related(
    session: Session,
    records: dict[str, ListingRecord],
    which: Callable[[Any], ColumnElement[bool]],
) -> None:
    """Fill in the terms, locations and schedules of a batch, in the ORM's order.

    ``which(listing_id_column)`` is the condition picking the batch's related rows.
    """
    terms = (
        select(listing_term.c.listing_id, Term.vocabulary_code, Term.code)
        .join(Term, Term.id == listing_term.c.term_id)
        .where(which(listing_term.c.listing_id))
        .order_by(Term.position)
    )
    places = (
        select(Location.listing_id, Location.latitude, Location.longitude)
        .where(which(Location.listing_id))
        .order_by(Location.position)
    )
    times = (
        select(
            Schedule.listing_id, Schedule.freq, Schedule.interval, Schedule.byday,
            Schedule.bymonthday, Schedule.opens_at, Schedule.closes_at, Schedule.dtstart,
            Schedule.valid_from, Schedule.valid_to,
        )
        .where(which(Schedule.listing_id))
        .order_by(Schedule.position)
    )  # fmt: skip
    related: dict[str, defaultdict] = {}
    for name, stmt in (("terms", terms), ("locations", places), ("schedules", times)):
        related[name] = defaultdict(list)
        for row in session.execute(stmt):
            related[name][row.listing_id].append(row)
    evidence = listing_evidence(session, which)
    for listing_id, record in records.items():
        record.terms = related["terms"].get(listing_id, [])
        record.locations = related["locations"].get(listing_id, [])
        record.schedules = related["schedules"].get(listing_id, [])
        (
            record.agreed_suits,
            record.confirmed_at,
            record.went_at,
            record.still_going_at,
        ) = evidence.get(listing_id, NO_EVIDENCE)


Evidence = tuple[tuple[str, ...], dt.datetime | None, dt.datetime | None, dt.datetime | None]
NO_EVIDENCE: Evidence = ((), None, None, None)


def listing_evidence(
    session: Session, which: Callable[[Any], ColumnElement[bool]]
) -> dict[str, Evidence]:
    """What practitioners have said of a batch of listings.

    (agreed "suits" tags, latest "still running" confirmation, latest day shortlisted for
    someone who went (still going or a few times: :data:`directory.rules.uptake.WENT`),
    latest day someone was recorded still going), by listing id.
    ``which(listing_id_column)`` picks the batch. Four statements a batch; listings
    nobody has said anything of are left out.
    """
    suits: dict[str, list] = defaultdict(list)
    for listing_id, tags in session.execute(
        select(Rating.listing_id, Rating.suits).where(which(Rating.listing_id))
    ):
        if tags:
            suits[listing_id].append(tags)
    confirmed = dict(
        session.execute(
            select(
                StillRunningConfirmation.listing_id, func.max(StillRunningConfirmation.created_at)
            )
            .where(which(StillRunningConfirmation.listing_id))
            .group_by(StillRunningConfirmation.listing_id)
        ).all()
    )
    went = dict(
        session.execute(
            select(ShortlistItem.listing_id, func.max(ShortlistItem.added_at))
            .where(which(ShortlistItem.listing_id), ShortlistItem.uptake.in_(uptake.WENT))
            .group_by(ShortlistItem.listing_id)
        ).all()
    )
    # Answers from before their day was kept count from the day shortlisted.
    still_going = dict(
        session.execute(
            select(
                ShortlistItem.listing_id,
                func.max(func.coalesce(ShortlistItem.uptake_at, ShortlistItem.added_at)),
            )
            .where(which(ShortlistItem.listing_id), ShortlistItem.uptake == uptake.STILL_GOING)
            .group_by(ShortlistItem.listing_id)
        ).all()
    )
    return {
        listing_id: (
            signals.agreed_suits(suits.get(listing_id, ())),
            confirmed.get(listing_id),
            went.get(listing_id),
            still_going.get(listing_id),
        )
        for listing_id in {*suits, *confirmed, *went}
    }
