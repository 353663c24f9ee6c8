"""The rating aggregate rules.

The Bayesian score, the sector breakdown, and every aggregate of a listing's ratings.
"""

from __future__ import annotations

import pytest

from directory.rules.aggregates import (
    PRIOR_MEAN,
    PRIOR_WEIGHT,
    RatingAggregates,
    RatingInput,
    aggregate_ratings,
    bayesian_score,
    sector_group,
)
from directory.rules.ranking import NEUTRAL_RATING, usefulness_signal


def test_bayesian_score_with_no_ratings_is_the_prior():
    assert bayesian_score(0, 0) == PRIOR_MEAN
    assert bayesian_score(0, 0, prior_mean=3.5, prior_weight=5) == 3.5


def test_bayesian_score_formula():
    # (C*m + sum) / (C + n) with C=5, m=3.5: one 5 -> (17.5 + 5) / 6
    assert bayesian_score(1, 5, prior_mean=3.5, prior_weight=5) == pytest.approx(22.5 / 6)
    assert bayesian_score(12, 53, prior_mean=3.0, prior_weight=5) == pytest.approx(68 / 17)


def test_few_ratings_stay_near_the_prior_and_many_approach_their_mean():
    one_five = bayesian_score(1, 5)
    twenty_at_4_8 = bayesian_score(20, 96)
    assert one_five < twenty_at_4_8, "a single 5 must not outrank twenty ratings of 4.8"
    assert bayesian_score(1000, 4800) == pytest.approx(4.8, abs=0.01)


def test_one_low_rating_ranks_below_unrated_and_one_high_rating_above():
    """The prior equals the neutral value ranking gives unrated listings (3 of 5)."""
    assert PRIOR_MEAN == 3.0
    assert bayesian_score(1, 1) < PRIOR_MEAN < bayesian_score(1, 5)
    assert PRIOR_WEIGHT == 5


def test_bayesian_score_rejects_nonsense():
    with pytest.raises(ValueError):
        bayesian_score(-1, 0)
    with pytest.raises(ValueError):
        bayesian_score(0, 0, prior_weight=0)


@pytest.mark.parametrize(
    ("sector", "group"),
    [
        ("primary_care", "primary_care"),
        ("secondary_care", "secondary_care"),
        ("third_sector", "third_sector"),
        ("local_authority", "other"),
        ("community", "other"),
        (None, "other"),
    ],
)
def test_sector_group(sector, group):
    assert sector_group(sector) == group


def test_the_prior_is_the_rating_ranking_treats_as_neutral():
    assert PRIOR_MEAN == NEUTRAL_RATING
    assert usefulness_signal(PRIOR_MEAN) == usefulness_signal(None)


def test_no_ratings_aggregate_to_nothing():
    assert aggregate_ratings([]) == RatingAggregates()


def test_aggregate_ratings_counts_every_rating_exactly():
    ratings = [
        RatingInput(5, "primary_care", ["involvement", "closeness"], True),
        RatingInput(4, "primary_care", ["involvement", "involvement"], False),
        RatingInput(2, "community", None, None),
        RatingInput(3, "third_sector", ["cared_for"], True),
    ]
    result = aggregate_ratings(ratings)
    assert (result.rating_count, result.rating_sum) == (4, 14)
    assert result.mean == pytest.approx(3.5)
    assert result.adjusted == pytest.approx(bayesian_score(4, 14))
    # Named sectors first, in their order, then "other"; sectors nobody rated from are left out.
    assert list(result.by_sector.items()) == [
        ("primary_care", {"count": 2, "sum": 9}),
        ("third_sector", {"count": 1, "sum": 3}),
        ("other", {"count": 1, "sum": 2}),
    ]
    # A domain ticked twice by one rater counts once; codes in order.
    assert list(result.helped.items()) == [("cared_for", 1), ("closeness", 1), ("involvement", 2)]
    assert (result.refer_yes, result.refer_answers) == (2, 3)
