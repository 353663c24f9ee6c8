"""The ranking rules: freshness and the best-match score."""

from __future__ import annotations

import datetime as dt

import pytest

from directory.ranking import best_match_score, freshness, is_stale
from tests.conftest import PINNED_NOW

NOW = PINNED_NOW


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


@pytest.mark.parametrize(
    ("age", "expected"),
    [(0, 1.0), (89, 1.0), (90, 1.0), (270, 0.5), (450, 0.25)],
)
def test_freshness_is_full_for_90_days_then_halves_every_180(age, expected):
    assert freshness(days_ago(age), NOW) == pytest.approx(expected, abs=0.01)


def test_never_verified_is_low_but_not_zero():
    assert freshness(None, NOW) == 0.2
    assert freshness(days_ago(1000), NOW) < 0.2


def test_stale_after_180_days():
    assert not is_stale(days_ago(180), NOW)
    assert is_stale(days_ago(181), NOW)
    assert is_stale(None, NOW)


def score(**overrides) -> float:
    values = {
        "relevance": None,
        "distance_km": 1.0,
        "radius_km": 5.0,
        "usefulness": None,
        "freshness_score": 1.0,
    }
    values.update(overrides)
    return best_match_score(**values)


def test_each_signal_moves_the_score_the_right_way():
    assert score(relevance=1.0) > score(relevance=0.2)
    assert score(distance_km=0.5) > score(distance_km=4.5)
    assert score(usefulness=4.8) > score(usefulness=2.0)
    assert score(freshness_score=1.0) > score(freshness_score=0.3)


def test_missing_signals_are_neutral():
    assert score(usefulness=None) == pytest.approx(score(usefulness=3.0))
    assert score(relevance=None) == pytest.approx(score(relevance=0.5))


def test_distance_decays_to_a_quarter_at_the_radius():
    at_centre = score(distance_km=0.0, freshness_score=0.0)
    at_edge = score(distance_km=5.0, freshness_score=0.0)
    base = score(distance_km=1e9, freshness_score=0.0)
    assert (at_edge - base) == pytest.approx((at_centre - base) / 4, rel=0.01)


def test_text_outweighs_a_small_distance_difference():
    close_weak = score(relevance=0.2, distance_km=0.5)
    further_strong = score(relevance=1.0, distance_km=2.5)
    assert further_strong > close_weak


def test_scores_are_bounded():
    best = score(relevance=1.0, distance_km=0.0, usefulness=5.0, freshness_score=1.0)
    worst = score(relevance=0.0, distance_km=50.0, usefulness=1.0, freshness_score=0.0)
    assert best == pytest.approx(1.0)
    assert 0.0 <= worst < 0.1
