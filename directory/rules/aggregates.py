"""Rating aggregates: what a listing's ratings add up to.

Pure maths on rating values; :func:`directory.ratings.aggregates.recompute_score` reads
the rows (under a row lock) and stores what :func:`aggregate_ratings` returns.
Practitioner ratings and service-user feedback are never mixed: feedback has counters
of its own and never feeds the ranking.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from directory.rules.ranking import NEUTRAL_RATING

# The Bayesian prior: a listing starts as if PRIOR_WEIGHT practitioners had rated it
# PRIOR_MEAN. That is the middle of the 1-5 scale, the value ranking gives a listing
# nobody has rated, so one rating of 1 moves a listing below unrated ones, and one rating
# of 5 moves it above them, but only a little. With a weight of 5, five real ratings
# count as much as the prior.
PRIOR_MEAN = NEUTRAL_RATING
PRIOR_WEIGHT = 5

# The sectors the breakdown names; local authority and community raters count as "other".
SECTOR_GROUPS = ("primary_care", "secondary_care", "third_sector")
OTHER_SECTOR = "other"


def bayesian_score(
    n: int, total: float, prior_mean: float = PRIOR_MEAN, prior_weight: float = PRIOR_WEIGHT
) -> float:
    """The Bayesian-adjusted mean ``(C*m + total) / (C + n)``.

    ``n`` ratings summing to ``total`` are pulled towards ``prior_mean`` (m) as if
    ``prior_weight`` (C) more ratings of exactly m had been given. Few ratings stay near
    the prior; many ratings approach their own mean. So a single 5 can't outrank a
    listing rated 4.8 by twenty practitioners. With no ratings it is the prior mean.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    if prior_weight <= 0:
        raise ValueError("prior_weight must be positive")
    return (prior_weight * prior_mean + total) / (prior_weight + n)


def sector_group(sector: str | None) -> str:
    """The breakdown key for a rater's sector: one of :data:`SECTOR_GROUPS` or "other"."""
    return sector if sector in SECTOR_GROUPS else OTHER_SECTOR


@dataclass(frozen=True)
class RatingInput:
    """One practitioner's rating, as the aggregates need it."""

    usefulness: int
    sector: str | None = None
    helped_domains: Sequence[str] | None = None
    would_refer: bool | None = None


@dataclass
class RatingAggregates:
    """What a listing's ratings add up to (the practitioner columns of ``ListingScore``).

    ``adjusted`` is None when nobody has rated it (search then treats it as unrated
    rather than as average).
    """

    rating_count: int = 0
    rating_sum: int = 0
    mean: float | None = None
    adjusted: float | None = None
    by_sector: dict[str, dict[str, int]] = field(default_factory=dict)
    helped: dict[str, int] = field(default_factory=dict)
    refer_yes: int = 0
    refer_answers: int = 0


def aggregate_ratings(ratings: Iterable[RatingInput]) -> RatingAggregates:
    """Every aggregate of one listing's ratings, exactly.

    - ``rating_count``, ``rating_sum``, ``mean``;
    - ``adjusted``: :func:`bayesian_score` with :data:`PRIOR_MEAN` and
      :data:`PRIOR_WEIGHT`, or None with no ratings;
    - ``by_sector``: ``{group: {"count": n, "sum": s}}`` over primary_care,
      secondary_care, third_sector and other (in that order), by the rater's sector;
    - ``helped``: ``{civic domain code: raters who said it helped with it}``, by code;
    - ``refer_yes`` / ``refer_answers``: who would refer again, of those who answered.

    Accepts anything with the attributes of :class:`RatingInput` (such as rows).
    """
    rows = list(ratings)
    count = len(rows)
    total = sum(row.usefulness for row in rows)
    by_sector: dict[str, dict[str, int]] = {}
    helped: dict[str, int] = {}
    for row in rows:
        group = by_sector.setdefault(sector_group(row.sector), {"count": 0, "sum": 0})
        group["count"] += 1
        group["sum"] += row.usefulness
        for code in set(row.helped_domains or ()):
            helped[code] = helped.get(code, 0) + 1
    return RatingAggregates(
        rating_count=count,
        rating_sum=total,
        mean=total / count if count else None,
        adjusted=bayesian_score(count, total) if count else None,
        by_sector={
            key: by_sector[key] for key in (*SECTOR_GROUPS, OTHER_SECTOR) if key in by_sector
        },
        helped=dict(sorted(helped.items())),
        refer_yes=sum(1 for row in rows if row.would_refer is True),
        refer_answers=sum(1 for row in rows if row.would_refer is not None),
    )
