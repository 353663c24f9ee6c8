"""Ranking: the rules that decide what a practitioner sees first ("best match").

Every engine (the SQL index, Whoosh, the database fallback) and the plan builder take
their weights, signals and text-field weights from here.
"""

from __future__ import annotations

import math

# How much each signal counts in "best match"; they add up to 1.
RELEVANCE_WEIGHT = 0.4
DISTANCE_WEIGHT = 0.3
USEFULNESS_WEIGHT = 0.15
FRESHNESS_WEIGHT = 0.15

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


def best_match_score(
    *,
    relevance: float | None,
    distance_km: float | None,
    radius_km: float,
    usefulness: float | None,
    freshness_score: float,
) -> float:
    """Combine the signals of "best match" into one score from 0 to 1; higher ranks first.

    - ``relevance``: text relevance normalised to 0..1 (1 = best text match in the
      result set); None when no text was typed, so it neither helps nor hurts.
    - ``distance_km``: distance to the nearest location; None for online listings or
      when no location was given. Nearby scores near 1, the edge of the radius 0.25.
    - ``usefulness``: the Bayesian-adjusted practitioner rating on 1..5, or None.
    - ``freshness_score``: from :func:`directory.rules.freshness.freshness_score`.

    Weights: :data:`RELEVANCE_WEIGHT`, :data:`DISTANCE_WEIGHT`, :data:`USEFULNESS_WEIGHT`
    and :data:`FRESHNESS_WEIGHT`. Missing signals take the :data:`NEUTRAL` value.
    """
    return (
        RELEVANCE_WEIGHT * relevance_signal(relevance)
        + DISTANCE_WEIGHT * distance_signal(distance_km, radius_km)
        + USEFULNESS_WEIGHT * usefulness_signal(usefulness)
        + FRESHNESS_WEIGHT * clamp(freshness_score)
    )


def best_match_ceiling(best_usefulness: float | None, radius_km: float) -> float:
    """The most "best match" can add to ``RELEVANCE_WEIGHT × relevance`` without a place.

    That is for any listing of a search with no place, when the best usefulness of any
    result is ``best_usefulness`` (None: nobody is rated).

    The bound the SQL index's early stop relies on: every such listing scores at most
    ``RELEVANCE_WEIGHT * relevance + best_match_ceiling(...)`` (its distance is neutral,
    its freshness at most full, its usefulness signal at most the best of the results
    and never below neutral, since unrated listings count as neutral).
    """
    return best_match_score(
        relevance=0.0,
        distance_km=None,
        radius_km=radius_km,
        usefulness=None if best_usefulness is None else max(best_usefulness, NEUTRAL_RATING),
        freshness_score=1.0,
    )


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
