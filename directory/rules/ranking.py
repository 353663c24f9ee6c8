"""Ranking: the rules that decide what a practitioner sees first ("best match").

Every engine (the SQL index, Whoosh, the database fallback) and the plan builder take
their weights, signals and text-field weights from here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from directory.rules.signals import (
    ESTABLISHED_DAYS,
    FORMAT_COURSE,
    FORMAT_LONG_COURSE,
    FORMAT_ONGOING,
)

# How much each signal counts in "best match"; they add up to 1. (The research's
# signals, felt welcome and the dose Closeness needs, took a tenth from the others in
# proportion, so without them the order is what it was.)
RELEVANCE_WEIGHT = 0.36
DISTANCE_WEIGHT = 0.27
USEFULNESS_WEIGHT = 0.135
FRESHNESS_WEIGHT = 0.135
WELCOME_WEIGHT = 0.05
CLOSENESS_WEIGHT = 0.05

# Service users' "did you feel welcome?" (1..5) counts once this many have answered.
WELCOME_MIN_ANSWERS = 3
# The CIVIC domain whose searches prefer a lasting dose (ongoing groups running more
# than two months; long courses a little less).
CLOSENESS = "closeness"
LONG_COURSE_DOSE = 0.75

# A missing signal (no text typed, no place, no ratings) counts as the middle value, so
# a listing is never punished for having no ratings or no location.
NEUTRAL = 0.5
# The rating scale, and the rating that scores NEUTRAL: the middle of the scale. The
# Bayesian prior of rating aggregates is this value too (directory.rules.aggregates).
RATING_MIN = 1.0
RATING_MAX = 5.0
NEUTRAL_RATING = (RATING_MIN + RATING_MAX) / 2
# Distance credit decays smoothly, keeping this share at the edge of the radius.
CREDIT_AT_RADIUS = 0.25
# Radii below this are treated as this, so the decay never divides by (nearly) zero.
MIN_RADIUS_KM = 0.1

# Text relevance: name > summary > description > organisation name, in this order (the
# order of the SQL index's text columns and of PostgreSQL's weights A, B, C, D).
TEXT_FIELD_WEIGHTS: dict[str, float] = {
    "name": 4.0,
    "summary": 3.0,
    "description": 1.5,
    "organisation": 1.0,
}


def clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    """``value`` limited to ``low``..``high``."""
    return max(low, min(high, value))


def relevance_signal(relevance: float | None) -> float:
    """Text relevance (normalised to 0..1, 1 the best match of the results) as a signal.

    NEUTRAL when no text was typed.
    """
    return NEUTRAL if relevance is None else clamp(relevance)


def distance_signal(distance_km: float | None, radius_km: float) -> float:
    """Nearness from 0 to 1: 1 on the spot, decaying exponentially.

    :data:`CREDIT_AT_RADIUS` at the radius. NEUTRAL when there is no distance (online, no
    place given).
    """
    if distance_km is None:
        return NEUTRAL
    return math.exp(math.log(CREDIT_AT_RADIUS) * distance_km / max(radius_km, MIN_RADIUS_KM))


def usefulness_signal(usefulness: float | None) -> float:
    """A Bayesian-adjusted rating on the rating scale as 0..1; NEUTRAL when unrated."""
    if usefulness is None:
        return NEUTRAL
    return (clamp(usefulness, RATING_MIN, RATING_MAX) - RATING_MIN) / (RATING_MAX - RATING_MIN)


def felt_welcome(welcome_sum: float, welcome_count: int) -> float | None:
    """Service users' mean "felt welcome" answer (1..5), once enough have answered.

    None below :data:`WELCOME_MIN_ANSWERS` answers: one or two people's feelings are not
    yet a signal (and would come close to identifying them).
    """
    if welcome_count < WELCOME_MIN_ANSWERS:
        return None
    return welcome_sum / welcome_count


def welcome_signal(welcome: float | None) -> float:
    """A felt-welcome mean (1..5, from :func:`felt_welcome`) as 0..1; NEUTRAL when None."""
    return usefulness_signal(welcome)


def closeness_dose_signal(formats: Iterable[str], running_days: float | None) -> float:
    """How well a listing gives the lasting dose Closeness needs, from 0 to 1.

    The research: Closeness grows in long-running structured groups; a course longer
    than two months helps. So an ongoing listing running more than
    :data:`directory.rules.signals.ESTABLISHED_DAYS` scores 1; a course of 8 weeks or
    more :data:`LONG_COURSE_DOSE`; an ongoing listing newer than that (or of unknown
    age) NEUTRAL; a shorter course 0. ``formats`` are the listing's format values
    (:func:`directory.rules.signals.format_values`).
    """
    formats = set(formats)
    if FORMAT_LONG_COURSE in formats:
        return LONG_COURSE_DOSE
    if FORMAT_COURSE in formats:
        return 0.0
    if FORMAT_ONGOING in formats and running_days is not None and running_days > ESTABLISHED_DAYS:
        return 1.0
    return NEUTRAL


def best_match_score(
    *,
    relevance: float | None,
    distance_km: float | None,
    radius_km: float,
    usefulness: float | None,
    freshness_score: float,
    welcome: float | None = None,
    closeness_dose: float | None = None,
) -> float:
    """Combine the signals of "best match" into one score from 0 to 1; higher ranks first.

    - ``relevance``: text relevance normalised to 0..1 (1 = best text match in the
      result set); None when no text was typed, so it neither helps nor hurts.
    - ``distance_km``: distance to the nearest location; None for online listings or
      when no location was given. Nearby scores near 1, the edge of the radius 0.25.
    - ``usefulness``: the Bayesian-adjusted practitioner rating on 1..5, or None.
    - ``freshness_score``: from :func:`directory.rules.freshness.freshness_score`.
    - ``welcome``: service users' felt-welcome mean (:func:`felt_welcome`: None until
      :data:`WELCOME_MIN_ANSWERS` have answered).
    - ``closeness_dose``: :func:`closeness_dose_signal` when the search asks for
      Closeness; None otherwise (it then neither helps nor hurts).

    Weights: :data:`RELEVANCE_WEIGHT`, :data:`DISTANCE_WEIGHT`, :data:`USEFULNESS_WEIGHT`,
    :data:`FRESHNESS_WEIGHT`, :data:`WELCOME_WEIGHT` and :data:`CLOSENESS_WEIGHT`.
    Missing signals take the :data:`NEUTRAL` value.
    """
    return (
        RELEVANCE_WEIGHT * relevance_signal(relevance)
        + DISTANCE_WEIGHT * distance_signal(distance_km, radius_km)
        + USEFULNESS_WEIGHT * usefulness_signal(usefulness)
        + FRESHNESS_WEIGHT * clamp(freshness_score)
        + WELCOME_WEIGHT * welcome_signal(welcome)
        + CLOSENESS_WEIGHT * (NEUTRAL if closeness_dose is None else clamp(closeness_dose))
    )


def best_match_ceiling(
    best_usefulness: float | None,
    radius_km: float,
    best_welcome: float | None = RATING_MAX,
    closeness_asked: bool = True,
) -> float:
    """The most "best match" can add to ``RELEVANCE_WEIGHT × relevance`` without a place.

    That is for any listing of a search with no place, when the best usefulness of any
    result is ``best_usefulness`` and the best felt-welcome mean ``best_welcome`` (None:
    nobody is rated, or nobody has enough answers), and the search asks for Closeness or
    not (``closeness_asked``).

    The bound the SQL index's early stop relies on: every such listing scores at most
    ``RELEVANCE_WEIGHT * relevance + best_match_ceiling(...)`` (its distance is neutral,
    its freshness at most full, its usefulness and felt-welcome signals at most the best
    of the results and never below neutral, since listings without them count as
    neutral, and the Closeness dose at most full when asked, neutral when not). The
    tighter the bound, the fewer rows a text search reads; the defaults are the loosest.
    """

    def at_least_neutral(value: float | None) -> float | None:
        return None if value is None else max(value, NEUTRAL_RATING)

    return best_match_score(
        relevance=0.0,
        distance_km=None,
        radius_km=radius_km,
        usefulness=at_least_neutral(best_usefulness),
        freshness_score=1.0,
        welcome=at_least_neutral(best_welcome),
        closeness_dose=1.0 if closeness_asked else None,
    )


# Distances: one definition of "inside the radius", for results, facets, map cells and
# plans alike. Great-circle (haversine) distance on the Earth's mean radius (geopy's),
# within 0.5% of the WGS84 geodesic and a hundredth of its cost.
EARTH_MEAN_RADIUS_KM = 6371.009


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The distance between two points in km, as search measures and shows it."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_MEAN_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def inside_radius(distance_km: float | None, radius_km: float) -> bool:
    """True when a place at ``distance_km`` (:func:`great_circle_km`) is within the radius.

    The edge counts as inside. Every count and every result near a place uses this, so a
    facet count never includes a listing the results leave out.
    """
    return distance_km is not None and distance_km <= radius_km


def bm25_weights() -> str:
    """SQLite FTS5 ``bm25()`` column weights, in the text columns' order."""
    return ", ".join(str(weight) for weight in TEXT_FIELD_WEIGHTS.values())


def ts_rank_weights() -> str:
    """PostgreSQL ``ts_rank`` weights as an array literal ``'{D, C, B, A}'``.

    The text fields' weights (A first), scaled so the heaviest is 1.
    """
    top = max(TEXT_FIELD_WEIGHTS.values())
    scaled = [str(weight / top) for weight in reversed(TEXT_FIELD_WEIGHTS.values())]
    return "'{" + ", ".join(scaled) + "}'"
