"""What the search engines know about a listing, derived in one place."""

from __future__ import annotations

import datetime as dt

from directory import schedules
from directory.models import Listing


def listing_facets(listing: Listing) -> dict[str, tuple[str, ...]]:
    """The filterable values of a listing, keyed by facet name.

    Days and parts of day are worked out from the schedules, so "Tuesday evening"
    means a session that runs on a Tuesday and overlaps the evening.
    """
    days: set[str] = set()
    parts: set[str] = set()
    day_parts: set[str] = set()
    for schedule in listing.schedules:
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
    """The search document for a listing: text, filters, grid cells and ranking data."""
    facets = listing_facets(listing)
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
        "verified": to_timestamp(listing.last_verified_at),
    }


def to_timestamp(value: dt.datetime | None) -> int:
    """Seconds since the epoch for a naive UTC datetime; 0 for None."""
    return int(value.replace(tzinfo=dt.UTC).timestamp()) if value else 0


def from_timestamp(value: int) -> dt.datetime | None:
    """The naive UTC datetime for :func:`to_timestamp`'s seconds; None for 0."""
    return dt.datetime.fromtimestamp(value, dt.UTC).replace(tzinfo=None) if value else None
