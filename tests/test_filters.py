"""Words the pages show about a listing (directory.filters)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from directory.filters import next_session


def _weekly(byday: str, opens_at: dt.time | None) -> SimpleNamespace:
    return SimpleNamespace(
        freq="WEEKLY", interval=1, byday=byday, bymonthday=None, opens_at=opens_at,
        valid_from=None, valid_to=None, dtstart=None,
    )  # fmt: skip


def test_next_session_says_the_day_date_and_time():
    listing = SimpleNamespace(schedules=[_weekly("TU", dt.time(10)), _weekly("MO", dt.time(18))])
    monday_noon = dt.datetime(2026, 11, 30, 12, 0)
    assert next_session(listing, monday_noon) == "Monday 30 November at 18:00"
    assert (
        next_session(listing, monday_noon + dt.timedelta(hours=7)) == "Tuesday 1 December at 10:00"
    )


def test_next_session_names_the_year_only_when_it_is_not_this_one():
    listing = SimpleNamespace(schedules=[_weekly("FR", dt.time(10))])
    assert next_session(listing, dt.datetime(2026, 12, 31, 9)) == "Friday 1 January 2027 at 10:00"
    # The same session seen from its own year (the words are remembered per year too).
    assert next_session(listing, dt.datetime(2027, 1, 1, 8)) == "Friday 1 January at 10:00"
    all_day = SimpleNamespace(schedules=[_weekly("FR", None)])
    assert next_session(all_day, dt.datetime(2027, 1, 1, 8)) == "Friday 8 January"
    assert next_session(SimpleNamespace(schedules=[]), dt.datetime(2026, 12, 31)) is None
