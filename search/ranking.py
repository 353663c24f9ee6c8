"""Turn candidates into a ranked, paginated, faceted result. Engine-independent."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter

from directory.geo import distance_km
from directory.ranking import best_match_score, freshness
from search.query import FACET_FIELDS, Candidate, SearchOutcome, SearchQuery

# The great-circle distance on a sphere of the Earth's mean radius is within 0.6% of the
# geodesic one; points whose sphere distance exceeds the radius by more than this margin
# are certainly beyond it, so the (much slower) geodesic is only measured for the others.
EARTH_MEAN_RADIUS_KM = 6371.0088
SPHERE_MARGIN = 1.01


def sphere_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in km: a cheap first look, not the shown distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_MEAN_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def measure_distances(candidates: list[Candidate], query: SearchQuery) -> list[Candidate]:
    """Set each candidate's distance to its nearest location and drop those beyond
    the radius. Online listings stay when the user asked for them, with no distance.

    Distances are geodesic (geopy); locations clearly beyond the radius on a sphere are
    left out before measuring, which changes no result and saves most of the work.
    """
    if query.point is None:
        return candidates
    lat0, lon0 = query.point.latitude, query.point.longitude
    reach = query.radius_km * SPHERE_MARGIN
    kept = []
    for candidate in candidates:
        near = [
            (lat, lon) for lat, lon in candidate.points if sphere_km(lat0, lon0, lat, lon) <= reach
        ]
        if near:
            candidate.distance_km = min(distance_km(lat0, lon0, lat, lon) for lat, lon in near)
        if candidate.distance_km is not None and candidate.distance_km <= query.radius_km:
            kept.append(candidate)
        elif candidate.online and (query.online or query.online_only):
            candidate.distance_km = None
            kept.append(candidate)
    return kept


def facet_counts(candidates: list[Candidate]) -> dict[str, dict[str, int]]:
    """For each filter, how many results carry each value."""
    tokens = Counter(token for candidate in candidates for token in candidate.facets)
    counts: dict[str, dict[str, int]] = {name: {} for name in FACET_FIELDS}
    for token, count in tokens.items():
        name, _, value = token.partition(":")
        if name in counts:
            counts[name][value] = count
    return counts


def sort_candidates(candidates: list[Candidate], query: SearchQuery, now: dt.datetime) -> None:
    """Order in place by the chosen sort; ties fall back to best match, then id."""
    top = max((c.relevance or 0.0 for c in candidates), default=0.0) or 1.0
    for c in candidates:
        c.score = best_match_score(
            relevance=None if c.relevance is None else c.relevance / top,
            distance_km=c.distance_km,
            radius_km=query.radius_km,
            usefulness=c.usefulness,
            freshness_score=freshness(c.verified_at, now),
        )
    far = float("inf")
    keys = {
        "best": lambda c: (-c.score, c.id),
        "nearest": lambda c: (
            c.distance_km if c.distance_km is not None else far,
            -c.score,
            c.id,
        ),
        "useful": lambda c: (-(c.usefulness or 0.0), -c.score, c.id),
        "verified": lambda c: (
            -(c.verified_at.timestamp() if c.verified_at else 0.0),
            -c.score,
            c.id,
        ),
    }
    candidates.sort(key=keys[query.sort])


def drop_unverified(
    candidates: list[Candidate], query: SearchQuery, now: dt.datetime
) -> list[Candidate]:
    """Leave out listings nobody has checked for too long, unless the user asked to see them.

    The cut-off per kind comes from the freshness policy (``hide`` step).
    """
    if query.show_unverified or not query.hide_unverified_days:
        return candidates
    kept = []
    for candidate in candidates:
        kind = next((t[5:] for t in candidate.facets if t.startswith("kind:")), "")
        limit = query.hide_unverified_days.get(kind)
        if limit is None or (
            candidate.verified_at is not None and (now - candidate.verified_at).days < limit
        ):
            kept.append(candidate)
    return kept


def rank_and_page(
    candidates: list[Candidate], query: SearchQuery, now: dt.datetime, engine: str
) -> SearchOutcome:
    """Drop unverified listings, apply distance, count facets, sort and cut out the page."""
    kept = measure_distances(drop_unverified(candidates, query, now), query)
    facets = facet_counts(kept)
    sort_candidates(kept, query, now)
    start = (query.page - 1) * query.per_page
    page = kept[start : start + query.per_page]
    return SearchOutcome(
        ids=[c.id for c in page],
        total=len(kept),
        facets=facets,
        distances={c.id: c.distance_km for c in page},
        engine=engine,
    )
