"""What the search engines know about a listing, derived in one place."""

from __future__ import annotations

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
    }


def listing_points(listing: Listing) -> list[tuple[float, float]]:
    """The coordinates of each location that has them."""
    return [
        (loc.latitude, loc.longitude)
        for loc in listing.locations
        if loc.latitude is not None and loc.longitude is not None
    ]
