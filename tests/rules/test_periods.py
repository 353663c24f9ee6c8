"""Periods and quarters for the insights pages."""

from __future__ import annotations

import datetime as dt

import pytest

from directory.rules.periods import (
    MAX_PERIOD_YEARS,
    default_period,
    period_problems,
    quarter_label,
    quarter_of,
    quarter_start,
    quarters_between,
    years_before,
)

TODAY = dt.date(2026, 11, 23)


def test_a_period_up_to_today_is_fine():
    assert period_problems(dt.date(2026, 1, 1), TODAY, TODAY) == {}
    assert period_problems(TODAY, TODAY, TODAY) == {}


def test_an_end_in_the_future_is_refused_on_the_end():
    problems = period_problems(dt.date(2026, 1, 1), dt.date(2026, 11, 24), TODAY)
    assert set(problems) == {"to"}
    assert "future" in problems["to"] and "23 November 2026" in problems["to"]


def test_a_start_in_the_future_is_refused_on_both_fields():
    problems = period_problems(dt.date(2027, 1, 1), dt.date(2027, 2, 1), TODAY)
    assert set(problems) == {"from", "to"}
    assert "future" in problems["from"]


def test_a_period_back_to_front_is_refused_on_the_start():
    problems = period_problems(dt.date(2026, 6, 1), dt.date(2026, 3, 1), TODAY)
    assert set(problems) == {"from"}
    assert "back to front" in problems["from"]
    assert "1 June 2026" in problems["from"] and "1 March 2026" in problems["from"]


def test_a_period_longer_than_the_limit_is_refused():
    end = TODAY
    assert period_problems(years_before(end, MAX_PERIOD_YEARS), end, TODAY) == {}
    too_long = years_before(end, MAX_PERIOD_YEARS) - dt.timedelta(days=1)
    assert set(period_problems(too_long, end, TODAY)) == {"from"}


def test_years_before_a_leap_day():
    assert years_before(dt.date(2028, 2, 29), 1) == dt.date(2027, 2, 28)


@pytest.mark.parametrize(
    ("day", "quarter"),
    [
        (dt.date(2026, 1, 1), (2026, 1)),
        (dt.date(2026, 3, 31), (2026, 1)),
        (dt.date(2026, 4, 1), (2026, 2)),
        (dt.date(2026, 9, 30), (2026, 3)),
        (dt.date(2026, 12, 31), (2026, 4)),
    ],
)
def test_quarter_of(day, quarter):
    assert quarter_of(day) == quarter


def test_quarters_between_crosses_years():
    assert quarters_between(dt.date(2025, 11, 5), dt.date(2026, 4, 2)) == [
        (2025, 4),
        (2026, 1),
        (2026, 2),
    ]
    assert quarters_between(TODAY, TODAY) == [(2026, 4)]


def test_quarters_are_named_by_their_months():
    assert quarter_label((2026, 4)) == "Oct\u2013Dec 2026"
    assert quarter_label((2027, 1)) == "Jan\u2013Mar 2027"
    assert quarter_start((2026, 4)) == dt.date(2026, 10, 1)


def test_the_default_period_is_four_quarters_to_today():
    assert default_period(TODAY) == (dt.date(2026, 1, 1), TODAY)
    assert default_period(dt.date(2026, 2, 10)) == (dt.date(2025, 4, 1), dt.date(2026, 2, 10))
    start, end = default_period(TODAY)
    assert period_problems(start, end, TODAY) == {}
