"""The freshness rules.

One intervals type from FRESHNESS_INTERVALS, the reminder ladder, "out of date", hidden
from search, and ranking's freshness signal.
"""

from __future__ import annotations

import datetime as dt

import pytest

from directory.rules.freshness import (
    DEFAULT_INTERVALS,
    Intervals,
    freshness_score,
    freshness_stage,
    hidden_before,
    hide_after_days,
    intervals_for,
    is_hidden,
    is_stale,
)
from tests.conftest import PINNED_NOW

NOW = PINNED_NOW
CHECKED = PINNED_NOW - dt.timedelta(days=326, hours=3)


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


@pytest.mark.parametrize(
    ("age", "stage"),
    [
        (0, None),
        (89, None),
        (90, "remind"),
        (119, "remind"),
        (120, "remind_again"),
        (180, "escalate"),
        (365, "hide"),
        (900, "hide"),
    ],
)
def test_freshness_stage(age, stage):
    assert freshness_stage(CHECKED, CHECKED + dt.timedelta(days=age), DEFAULT_INTERVALS) == stage


def test_never_checked_is_hidden():
    assert freshness_stage(None, NOW, DEFAULT_INTERVALS) == "hide"


def test_intervals_are_configurable_per_kind():
    configured = {"place": {"remind": 180}, "default": {"hide": 400}}
    assert intervals_for("place", configured).remind == 180
    assert intervals_for("group", configured).remind == 90
    assert intervals_for("group", configured)["hide"] == 400
    assert intervals_for("group", None) == DEFAULT_INTERVALS == Intervals(90, 120, 180, 365)
    assert hide_after_days(("group", "place"), {"place": {"hide": 30}}) == {
        "group": 365,
        "place": 30,
    }


def test_an_unknown_step_in_the_setting_is_refused():
    with pytest.raises(ValueError, match="remnd"):
        intervals_for("group", {"group": {"remnd": 10}})


def test_stale_after_the_escalation_interval():
    assert not is_stale(days_ago(180), NOW, DEFAULT_INTERVALS)
    assert is_stale(days_ago(181), NOW, DEFAULT_INTERVALS)
    assert is_stale(None, NOW, DEFAULT_INTERVALS)


def test_stale_respects_the_configured_intervals():
    """FRESHNESS_INTERVALS moves the "out of date" label with the escalation step."""
    places = intervals_for("place", {"place": {"escalate": 60}})
    assert is_stale(days_ago(61), NOW, places)
    assert not is_stale(days_ago(61), NOW, DEFAULT_INTERVALS)


@pytest.mark.parametrize("age", [0, 100, 364, 365, 366, 1000])
@pytest.mark.parametrize("hide", [30, 365])
def test_hidden_from_search_agrees_with_the_hide_step(age, hide):
    """The search engines' filter and the reminder job's "hide" step are one rule."""
    intervals = Intervals(remind=1, remind_again=2, escalate=3, hide=hide)
    checked = days_ago(age)
    assert is_hidden(checked, NOW, hide) == (freshness_stage(checked, NOW, intervals) == "hide")
    assert is_hidden(checked, NOW, hide) == (checked <= hidden_before(NOW, hide))
    assert is_hidden(None, NOW, hide)


@pytest.mark.parametrize(
    ("age", "expected"),
    [(0, 1.0), (89, 1.0), (90, 1.0), (270, 0.5), (450, 0.25)],
)
def test_freshness_is_full_for_90_days_then_halves_every_180(age, expected):
    assert freshness_score(days_ago(age), NOW) == pytest.approx(expected, abs=0.01)


def test_never_verified_is_low_but_not_zero():
    assert freshness_score(None, NOW) == 0.2
    assert freshness_score(days_ago(1000), NOW) < 0.2


def test_practitioners_evidence_pushes_back_the_clock_within_limits():
    from directory.rules.freshness import (
        CONFIRMATION_LIMIT_DAYS,
        WENT_LIMIT_DAYS,
        evidence_checked_at,
    )

    checked = days_ago(300)
    # No evidence: the organisation's own check.
    assert evidence_checked_at(checked) == checked
    # A confirmation 250 days ago moves the clock to it (within the limit).
    assert evidence_checked_at(checked, confirmed_at=days_ago(250)) == days_ago(250)
    # One yesterday moves it at most CONFIRMATION_LIMIT_DAYS past the check.
    assert evidence_checked_at(checked, confirmed_at=days_ago(1)) == checked + dt.timedelta(
        days=CONFIRMATION_LIMIT_DAYS
    )
    # "Went" counts from the day it was shortlisted, at most WENT_LIMIT_DAYS past.
    assert evidence_checked_at(checked, went_at=days_ago(1)) == checked + dt.timedelta(
        days=WENT_LIMIT_DAYS
    )
    both = evidence_checked_at(checked, confirmed_at=days_ago(280), went_at=days_ago(10))
    assert both == checked + dt.timedelta(days=WENT_LIMIT_DAYS)
    # Evidence older than the check never moves the clock back.
    assert evidence_checked_at(checked, confirmed_at=days_ago(400)) == checked
    # Never checked by its organisation: evidence extends a check, it doesn't replace one.
    assert evidence_checked_at(None, confirmed_at=days_ago(1)) is None


def test_evidence_keeps_a_listing_in_search_that_would_have_left_it():
    from directory.rules.freshness import evidence_checked_at

    checked = days_ago(400)  # past the year: hidden
    assert is_hidden(checked, NOW, DEFAULT_INTERVALS.hide)
    clock = evidence_checked_at(checked, confirmed_at=days_ago(5))
    assert not is_hidden(clock, NOW, DEFAULT_INTERVALS.hide)
    assert freshness_score(clock, NOW) > freshness_score(checked, NOW)


def test_still_going_is_the_strongest_evidence():
    from directory.rules.freshness import (
        CONFIRMATION_LIMIT_DAYS,
        STILL_GOING_LIMIT_DAYS,
        WENT_LIMIT_DAYS,
        evidence_checked_at,
    )

    assert max(CONFIRMATION_LIMIT_DAYS, WENT_LIMIT_DAYS) < STILL_GOING_LIMIT_DAYS
    assert DEFAULT_INTERVALS.hide > STILL_GOING_LIMIT_DAYS  # the organisation still checks
    checked = days_ago(500)
    # Recorded still going 20 days ago: the clock moves STILL_GOING_LIMIT_DAYS past the check.
    going = evidence_checked_at(checked, still_going_at=days_ago(20))
    assert going == checked + dt.timedelta(days=STILL_GOING_LIMIT_DAYS)
    few = evidence_checked_at(checked, went_at=days_ago(20))
    assert few == checked + dt.timedelta(days=WENT_LIMIT_DAYS)
    assert not is_hidden(going, NOW, DEFAULT_INTERVALS.hide)
    assert is_hidden(few, NOW, DEFAULT_INTERVALS.hide)
    # Within the limit it counts from its own day; never back, never without a check.
    recent = days_ago(100)
    assert evidence_checked_at(recent, still_going_at=days_ago(20)) == days_ago(20)
    assert evidence_checked_at(recent, still_going_at=days_ago(200)) == recent
    assert evidence_checked_at(None, still_going_at=days_ago(1)) is None
