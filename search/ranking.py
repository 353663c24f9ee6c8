"""Turn candidates into a ranked, paginated, faceted result. Engine-independent."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping

from directory.rules.freshness import freshness_score, is_hidden
from directory.rules.ranking import (
    CLOSENESS,
    best_match_score,
    closeness_dose_signal,
    great_circle_km,
    inside_radius,
)
from directory.rules.visibility import has_ended
from search.query import FACET_FIELDS, Candidate, SearchOutcome, SearchQuery

# One distance for measuring, counting and showing (directory.rules.ranking).
sphere_km = great_circle_km


def measure_distances(candidates: list[Candidate], query: SearchQuery) -> list[Candidate]:
    """Set each candidate's distance to its nearest location; drop those beyond the radius.

    Online listings stay when the user asked for them, with no distance.

    Distances are great-circle distances on the Earth's mean radius
    (:func:`directory.rules.ranking.great_circle_km`), the same for every candidate and
    for the page shown, and "within the radius" is
    :func:`directory.rules.ranking.inside_radius`: facets, map cells and results all
    count exactly the listings this keeps. Within 0.5% of the WGS84 geodesic, well under
    the precision shown, and an order of magnitude cheaper.
    """
    if query.point is None:
        return candidates
    lat0, lon0 = query.point.latitude, query.point.longitude
    kept = []
    for candidate in candidates:
        nearest = nearest_km(lat0, lon0, candidate.points)
        if inside_radius(nearest, query.radius_km):
            candidate.distance_km = nearest
            kept.append(candidate)
        elif candidate.online and (query.online or query.online_only):
            candidate.distance_km = None
            kept.append(candidate)
    return kept


def nearest_km(lat0: float, lon0: float, points: list[tuple[float, float]]) -> float | None:
    """The distance from (``lat0``, ``lon0``) to the nearest of ``points``; None without any."""
    if len(points) == 1:  # most listings: skip min() over a generator
        return sphere_km(lat0, lon0, *points[0])
    return min((sphere_km(lat0, lon0, lat, lon) for lat, lon in points), default=None)


def page_distance_km(candidate: Candidate, query: SearchQuery) -> float:
    """The distance shown for a listing on the page: to its nearest location.

    The very distance that put it inside the radius, so a listing shown at "5.0 km" in a
    5 km search is one the counts include too.
    """
    return nearest_km(query.point.latitude, query.point.longitude, candidate.points)


def facet_counts(candidates: list[Candidate]) -> dict[str, dict[str, int]]:
    """For each filter, how many results carry each value."""
    return count_facet_tokens(token for candidate in candidates for token in candidate.facets)


def count_facet_tokens(all_tokens: Iterable[str]) -> dict[str, dict[str, int]]:
    """Facet counts from every "field:value" token of every result."""
    return facet_counts_of(Counter(all_tokens))


def facet_counts_of(tokens: Mapping[str, int]) -> dict[str, dict[str, int]]:
    """Facet counts from how many results carry each "field:value" token."""
    counts: dict[str, dict[str, int]] = {name: {} for name in FACET_FIELDS}
    for token, count in tokens.items():
        name, _, value = token.partition(":")
        if name in counts:
            counts[name][value] = count
    return counts


def facet_counts_within(candidates: list[Candidate], name: str) -> dict:
    """Facet counts among the results carrying each value of the facet field ``name``.

    ``{"group": {"domain": {"closeness": 3, ...}, ...}, ...}`` for ``name="kind"``: each
    value's counts are :func:`facet_counts` of exactly the results a filter on that value
    would keep.
    """
    prefix = f"{name}:"
    groups: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        for token in candidate.facets:
            if token.startswith(prefix):
                groups.setdefault(token[len(prefix) :], []).append(candidate)
    return {value: facet_counts(group) for value, group in groups.items()}


def count_cells(candidates: list[Candidate], query: SearchQuery) -> dict[str, int]:
    """How many results have a location in each map cell (``query.point_cell``).

    A result counts once in each cell holding one of its locations, and near a place
    only locations within the radius count (a listing's other locations are elsewhere).
    """
    cell_of = query.point_cell
    counts: Counter[str] = Counter()
    for candidate in candidates:
        points = candidate.points
        if query.point is not None and len(points) > 1:
            lat0, lon0 = query.point.latitude, query.point.longitude
            points = [
                p for p in points if inside_radius(sphere_km(lat0, lon0, *p), query.radius_km)
            ]
        counts.update({cell_of(lat, lon) for lat, lon in points})
    return dict(counts)


def nearest_by(candidates: list[Candidate], query: SearchQuery) -> dict[str, tuple[str, float]]:
    """For each value of the facet field ``query.nearest_by``, the nearest result carrying it.

    (listing id, distance in km), the distance as the page shows it;
    the nearest by distance, ties to the smaller id. Online results without a place are
    never the nearest.
    """
    prefix = f"{query.nearest_by}:"
    best: dict[str, tuple[float, str, Candidate]] = {}
    for candidate in candidates:
        if candidate.distance_km is None:
            continue
        key = (candidate.distance_km, candidate.id)
        for token in candidate.facets:
            if token.startswith(prefix):
                value = token[len(prefix) :]
                if value not in best or key < best[value][:2]:
                    best[value] = (*key, candidate)
    return {
        value: (listing_id, page_distance_km(candidate, query))
        for value, (_, listing_id, candidate) in best.items()
    }


def candidate_score(
    query: SearchQuery,
    now: dt.datetime,
    *,
    relevance: float | None,
    distance_km: float | None,
    usefulness: float | None,
    verified_at: dt.datetime | None,
    welcome: float | None,
    facets: Iterable[str],
    started_at: dt.datetime | None,
) -> float:
    """A result's "best match" score (:func:`directory.rules.ranking.best_match_score`).

    ``relevance`` already divided by the best of the results. The Closeness dose counts
    only when the search asks for Closeness.
    """
    dose = None
    if CLOSENESS in query.domains:
        formats = [t[7:] for t in facets if t.startswith("format:")]
        running = None if started_at is None else (now - started_at).total_seconds() / 86400
        dose = closeness_dose_signal(formats, running)
    return best_match_score(
        relevance=relevance,
        distance_km=distance_km,
        radius_km=query.radius_km,
        usefulness=usefulness,
        freshness_score=freshness_score(verified_at, now),
        welcome=welcome,
        closeness_dose=dose,
    )


def sort_candidates(candidates: list[Candidate], query: SearchQuery, now: dt.datetime) -> None:
    """Order in place by the chosen sort; ties fall back to best match, then id."""
    top = max((c.relevance or 0.0 for c in candidates), default=0.0) or 1.0
    for c in candidates:
        c.score = candidate_score(
            query,
            now,
            relevance=None if c.relevance is None else c.relevance / top,
            distance_km=c.distance_km,
            usefulness=c.usefulness,
            verified_at=c.verified_at,
            welcome=c.welcome,
            facets=c.facets,
            started_at=c.started_at,
        )
    sort = query.sort
    candidates.sort(
        key=lambda c: result_order(sort, c.score, c.distance_km, c.usefulness, c.verified_at, c.id)
    )


FAR = float("inf")


def result_order(
    sort: str,
    score: float,
    distance_km: float | None,
    usefulness: float | None,
    verified_at: dt.datetime | None,
    listing_id: str,
) -> tuple:
    """A result's place in the order ``sort`` asks for: the smaller key comes first.

    "best": the best match first; "nearest": the nearest (online listings without a
    place last); "useful": the most useful; "verified": the most recently checked. Ties
    fall back to best match, then id, so no two results ever tie.
    """
    if sort == "best":
        return (-score, listing_id)
    if sort == "nearest":
        return (FAR if distance_km is None else distance_km, -score, listing_id)
    if sort == "useful":
        return (-(usefulness or 0.0), -score, listing_id)
    return (-(verified_at.timestamp() if verified_at else 0.0), -score, listing_id)


def drop_unverified(
    candidates: list[Candidate], query: SearchQuery, now: dt.datetime
) -> list[Candidate]:
    """Leave out listings nobody has checked for too long, unless the user asked to see them.

    The cut-off per kind comes from the freshness policy (``hide`` step,
    :func:`directory.rules.freshness.is_hidden`).
    """
    if query.show_unverified or not query.hide_unverified_days:
        return candidates
    kept = []
    for candidate in candidates:
        kind = next((t[5:] for t in candidate.facets if t.startswith("kind:")), "")
        limit = query.hide_unverified_days.get(kind)
        if limit is None or not is_hidden(candidate.verified_at, now, limit):
            kept.append(candidate)
    return kept


def drop_ended(candidates: list[Candidate], now: dt.datetime) -> list[Candidate]:
    """Leave out courses whose last day has passed (:func:`directory.rules.visibility.has_ended`).

    Whatever the filters: an ended course matches no day, no search.
    """
    today = now.date()
    return [c for c in candidates if not has_ended(c.ends_on, today)]


def rank_and_page(
    candidates: list[Candidate],
    query: SearchQuery,
    now: dt.datetime,
    engine: str,
    facets: dict[str, dict[str, int]] | None = None,
    stale_dropped: bool = False,
) -> SearchOutcome:
    """Finish a search's candidates into the page shown.

    Drop unverified listings (unless the engine has: ``stale_dropped``) and ended
    courses, apply distance,
    count facets (unless the engine has counted them), sort and cut out the page. A
    ``counts_only`` query stops after counting: the same total and facets, no page.
    """
    if not stale_dropped:
        candidates = drop_unverified(candidates, query, now)
    kept = measure_distances(drop_ended(candidates, now), query)
    if facets is None:
        facets = facet_counts(kept)
    within = facet_counts_within(kept, query.facets_within) if query.facets_within else {}
    cells = count_cells(kept, query) if query.point_cell else {}
    nearest = nearest_by(kept, query) if query.nearest_by and query.point else {}
    if query.counts_only:
        return SearchOutcome(
            [],
            len(kept),
            facets,
            {},
            engine=engine,
            facets_within=within,
            cells=cells,
            nearest=nearest,
        )
    sort_candidates(kept, query, now)
    start = (query.page - 1) * query.per_page
    page = kept[start : start + query.per_page]
    for candidate in page:
        if candidate.distance_km is not None:
            candidate.distance_km = page_distance_km(candidate, query)
    return SearchOutcome(
        ids=[c.id for c in page],
        total=len(kept),
        facets=facets,
        distances={c.id: c.distance_km for c in page},
        engine=engine,
        facets_within=within,
        cells=cells,
        nearest=nearest,
    )
