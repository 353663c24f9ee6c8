"""Tests for directory.schedules: parsing, next dates, filters and plain-English words."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from directory.schedules import (
    DAY_CODES,
    DAY_NAMES,
    PARTS_OF_DAY,
    ScheduleError,
    describe,
    describe_validity,
    next_occurrences,
    parse_byday,
    parts_of_day,
    runs_on,
    validate_schedule,
    weekdays,
)


@dataclass
class FakeSchedule:
    """Stand-in with the same attributes as the Schedule model."""

    freq: str = "WEEKLY"
    interval: int | None = 1
    byday: str | None = "TU"
    bymonthday: str | None = None
    opens_at: dt.time | None = None
    closes_at: dt.time | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    dtstart: dt.date | None = None
    description: str | None = None


T = dt.time
D = dt.date


def dates(occurrences: list[dt.datetime]) -> list[dt.date]:
    return [occurrence.date() for occurrence in occurrences]


# --------------------------------------------------------------------------- constants


def test_constants() -> None:
    assert DAY_CODES == ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
    assert DAY_NAMES == (
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    )
    assert PARTS_OF_DAY == ("morning", "afternoon", "evening")


# --------------------------------------------------------------------------- parse_byday


@pytest.mark.parametrize(
    ("byday", "freq", "expected"),
    [
        ("TU", "WEEKLY", [(None, 1)]),
        ("MO,WE", "WEEKLY", [(None, 0), (None, 2)]),
        (" we , mo ,", "WEEKLY", [(None, 0), (None, 2)]),
        ("SU,SA,SU", "WEEKLY", [(None, 5), (None, 6)]),
        ("TU", "MONTHLY", [(None, 1)]),
        ("2TU", "MONTHLY", [(2, 1)]),
        ("+2tu", "monthly", [(2, 1)]),
        ("-1FR", "MONTHLY", [(-1, 4)]),
        ("3MO,1MO", "MONTHLY", [(1, 0), (3, 0)]),
        ("-1MO,1MO,4MO", "MONTHLY", [(1, 0), (4, 0), (-1, 0)]),
        ("2TU,4TH", "MONTHLY", [(2, 1), (4, 3)]),
    ],
)
def test_parse_byday(byday: str, freq: str, expected: list[tuple[int | None, int]]) -> None:
    assert parse_byday(byday, freq) == expected


@pytest.mark.parametrize(
    ("byday", "freq", "message"),
    [
        ("XX", "WEEKLY", r'"XX" is not a day'),
        ("MO,TUE", "WEEKLY", r'"TUE" is not a day'),
        ("2", "MONTHLY", r'"2" is not a day'),
        ("5TU", "MONTHLY", r"must be 1 to 4, or -1"),
        ("0MO", "MONTHLY", r"must be 1 to 4, or -1"),
        ("-2FR", "MONTHLY", r"must be 1 to 4, or -1"),
        ("2TU", "WEEKLY", r"only works for a monthly schedule"),
        ("-1FR", "WEEKLY", r"only works for a monthly schedule"),
        ("", "WEEKLY", r"Choose at least one day"),
        (" , ", "MONTHLY", r"Choose at least one day"),
        ("TU", "DAILY", r'Unknown frequency "DAILY"'),
    ],
)
def test_parse_byday_errors(byday: str, freq: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        parse_byday(byday, freq)


def test_schedule_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_byday("XX", "WEEKLY")


# --------------------------------------------------------------------------- validate_schedule


def validate(**overrides: object) -> dict[str, str]:
    fields: dict[str, object] = {
        "freq": "WEEKLY",
        "interval": 1,
        "byday": "TU",
        "opens_at": T(10),
        "closes_at": T(12),
        "valid_from": None,
        "valid_to": None,
    }
    fields.update(overrides)
    return validate_schedule(**fields)  # type: ignore[arg-type]


def test_validate_accepts_good_schedules() -> None:
    assert validate() == {}
    assert validate(interval=None, opens_at=None, closes_at=None) == {}
    assert validate(freq="MONTHLY", byday="1MO,-1FR", interval=12) == {}
    assert validate(freq="MONTHLY", byday=None, bymonthday="15") == {}
    assert validate(valid_from=D(2026, 3, 3), valid_to=D(2026, 3, 3)) == {}
    assert validate(opens_at=T(19), closes_at=T(0)) == {}, "closing at 00:00 means midnight"


def test_validate_closing_before_opening() -> None:
    errors = validate(opens_at=T(12), closes_at=T(10))
    assert errors == {"closes_at": "Closing time must be after opening time"}
    assert validate(opens_at=T(10), closes_at=T(10)) == {
        "closes_at": "Closing time must be after opening time"
    }


@pytest.mark.parametrize("interval", [0, -1, 13, True, "2", 1.5])
def test_validate_bad_interval(interval: object) -> None:
    assert validate(interval=interval) == {
        "interval": "Repeat interval must be a whole number from 1 to 12"
    }


def test_validate_bad_byday() -> None:
    errors = validate(byday="XX")
    assert list(errors) == ["byday"]
    assert '"XX" is not a day' in errors["byday"]


def test_validate_ordinal_on_weekly() -> None:
    errors = validate(byday="2TU")
    assert list(errors) == ["byday"]
    assert "only works for a monthly schedule" in errors["byday"]
    assert validate(freq="MONTHLY", byday="2TU") == {}


def test_validate_missing_days() -> None:
    assert validate(byday="") == {"byday": "Choose at least one day of the week"}
    assert validate(byday=None) == {"byday": "Choose at least one day of the week"}


def test_validate_frequency_must_be_stored_form() -> None:
    message = "Choose how often it repeats: weekly or monthly"
    assert validate(freq="DAILY") == {"freq": message}
    assert validate(freq="weekly") == {"freq": message}
    assert validate(freq=None) == {"freq": message}


def test_validate_unknown_frequency_still_checks_days() -> None:
    errors = validate(freq="YEARLY", byday="XX")
    assert set(errors) == {"freq", "byday"}


def test_validate_end_before_start() -> None:
    assert validate(valid_from=D(2026, 3, 3), valid_to=D(2026, 3, 2)) == {
        "valid_to": "The end date can't be before the start date"
    }


def test_validate_bymonthday() -> None:
    assert "bymonthday" in validate(bymonthday="15")  # weekly
    assert "bymonthday" in validate(freq="MONTHLY", byday=None, bymonthday="32")
    assert "bymonthday" in validate(freq="MONTHLY", byday=None, bymonthday="0")
    assert "bymonthday" in validate(freq="MONTHLY", byday=None, bymonthday="first")
    assert validate(freq="MONTHLY", byday="FR", bymonthday="13") == {
        "bymonthday": "Give either days of the week or a day of the month, not both"
    }


def test_validate_reports_several_fields_at_once() -> None:
    errors = validate(
        interval=0,
        byday="2TU",
        opens_at=T(12),
        closes_at=T(10),
        valid_from=D(2026, 1, 2),
        valid_to=D(2026, 1, 1),
    )
    assert set(errors) == {"interval", "byday", "closes_at", "valid_to"}


# --------------------------------------------------------------------------- next_occurrences


def test_fortnight_anchored_on_dtstart() -> None:
    schedule = FakeSchedule(interval=2, byday="TU", dtstart=D(2026, 11, 3))
    assert next_occurrences(schedule, dt.datetime(2026, 11, 4)) == [
        dt.datetime(2026, 11, 17),
        dt.datetime(2026, 12, 1),
        dt.datetime(2026, 12, 15),
    ]


def test_fortnight_other_week_with_a_different_dtstart() -> None:
    schedule = FakeSchedule(interval=2, byday="TU", dtstart=D(2026, 11, 10))
    assert dates(next_occurrences(schedule, dt.datetime(2026, 11, 4))) == [
        D(2026, 11, 10),
        D(2026, 11, 24),
        D(2026, 12, 8),
    ]


def test_fortnight_anchored_on_valid_from_without_dtstart() -> None:
    schedule = FakeSchedule(interval=2, byday="TU", valid_from=D(2026, 11, 10))
    assert dates(next_occurrences(schedule, dt.datetime(2026, 11, 1))) == [
        D(2026, 11, 10),
        D(2026, 11, 24),
        D(2026, 12, 8),
    ]


def test_fortnight_default_anchor_is_deterministic() -> None:
    # With no dtstart or valid_from, weeks count from Monday 1 January 2024, so the
    # first Tuesday is 2 January 2024 and every date is a multiple of 14 days on.
    schedule = FakeSchedule(interval=2, byday="TU")
    result = dates(next_occurrences(schedule, dt.datetime(2026, 1, 1)))
    assert result == [D(2026, 1, 13), D(2026, 1, 27), D(2026, 2, 10)]
    assert all((day - D(2024, 1, 2)).days % 14 == 0 for day in result)


def test_fortnight_ignores_process_wide_first_weekday(monkeypatch: pytest.MonkeyPatch) -> None:
    # A Sunday fortnight anchored on a Monday lands on a different Sunday if the week is
    # taken to start on Sunday; the module must always count weeks from Monday.
    schedule = FakeSchedule(interval=2, byday="SU", dtstart=D(2026, 11, 2))
    expected = [D(2026, 11, 8), D(2026, 11, 22)]
    assert dates(next_occurrences(schedule, dt.datetime(2026, 11, 1), 2)) == expected
    monkeypatch.setattr(calendar, "firstweekday", lambda: calendar.SUNDAY)
    assert dates(next_occurrences(schedule, dt.datetime(2026, 11, 1), 2)) == expected


def test_every_three_weeks() -> None:
    schedule = FakeSchedule(interval=3, byday="TH", dtstart=D(2026, 1, 1))
    assert dates(next_occurrences(schedule, dt.datetime(2026, 1, 1, 12), 2)) == [
        D(2026, 1, 22),
        D(2026, 2, 12),
    ]


def test_weekly_start_times_use_opens_at() -> None:
    schedule = FakeSchedule(byday="MO,WE", opens_at=T(10, 30), closes_at=T(12))
    assert next_occurrences(schedule, dt.datetime(2026, 3, 2, 11), 3) == [
        dt.datetime(2026, 3, 4, 10, 30),
        dt.datetime(2026, 3, 9, 10, 30),
        dt.datetime(2026, 3, 11, 10, 30),
    ]


def test_occurrences_are_strictly_after() -> None:
    schedule = FakeSchedule(byday="TU", opens_at=T(10))
    assert next_occurrences(schedule, dt.datetime(2026, 3, 3, 10), 1) == [
        dt.datetime(2026, 3, 10, 10)
    ]
    assert next_occurrences(schedule, dt.datetime(2026, 3, 3, 9, 59), 1) == [
        dt.datetime(2026, 3, 3, 10)
    ]


def test_last_friday_across_months() -> None:
    schedule = FakeSchedule(freq="MONTHLY", byday="-1FR", opens_at=T(18, 30))
    assert next_occurrences(schedule, dt.datetime(2026, 1, 31), 4) == [
        dt.datetime(2026, 2, 27, 18, 30),
        dt.datetime(2026, 3, 27, 18, 30),
        dt.datetime(2026, 4, 24, 18, 30),
        dt.datetime(2026, 5, 29, 18, 30),
    ]


def test_last_friday_across_year_end() -> None:
    schedule = FakeSchedule(freq="MONTHLY", byday="-1FR")
    assert dates(next_occurrences(schedule, dt.datetime(2026, 11, 28), 2)) == [
        D(2026, 12, 25),
        D(2027, 1, 29),
    ]


def test_first_and_third_monday() -> None:
    schedule = FakeSchedule(freq="MONTHLY", byday="1MO,3MO")
    assert dates(next_occurrences(schedule, dt.datetime(2026, 3, 1), 4)) == [
        D(2026, 3, 2),
        D(2026, 3, 16),
        D(2026, 4, 6),
        D(2026, 4, 20),
    ]


def test_monthly_every_other_month_anchored_on_dtstart() -> None:
    schedule = FakeSchedule(freq="MONTHLY", interval=2, byday="1MO", dtstart=D(2026, 2, 1))
    assert dates(next_occurrences(schedule, dt.datetime(2026, 1, 1), 3)) == [
        D(2026, 2, 2),
        D(2026, 4, 6),
        D(2026, 6, 1),
    ]


def test_monthly_by_month_day() -> None:
    schedule = FakeSchedule(freq="MONTHLY", byday=None, bymonthday="15")
    assert dates(next_occurrences(schedule, dt.datetime(2026, 1, 15), 2)) == [
        D(2026, 2, 15),
        D(2026, 3, 15),
    ]


def test_valid_to_cuts_off_inclusive() -> None:
    schedule = FakeSchedule(byday="TU", opens_at=T(19), valid_to=D(2026, 3, 10))
    assert next_occurrences(schedule, dt.datetime(2026, 2, 25), 5) == [
        dt.datetime(2026, 3, 3, 19),
        dt.datetime(2026, 3, 10, 19),
    ]
    assert next_occurrences(schedule, dt.datetime(2026, 3, 10, 19), 5) == []


def test_valid_from_holds_back_occurrences() -> None:
    # dtstart sets the fortnight; valid_from only says when it begins.
    schedule = FakeSchedule(interval=2, byday="TU", dtstart=D(2026, 1, 6), valid_from=D(2026, 3, 1))
    assert dates(next_occurrences(schedule, dt.datetime(2026, 1, 1), 2)) == [
        D(2026, 3, 3),
        D(2026, 3, 17),
    ]


def test_valid_from_day_itself_counts_without_opening_time() -> None:
    schedule = FakeSchedule(byday="TU", valid_from=D(2026, 3, 3))
    assert next_occurrences(schedule, dt.datetime(2026, 3, 2, 23), 1) == [dt.datetime(2026, 3, 3)]


def test_next_occurrences_count_and_errors() -> None:
    schedule = FakeSchedule()
    assert next_occurrences(schedule, dt.datetime(2026, 1, 1), 0) == []
    assert len(next_occurrences(schedule, dt.datetime(2026, 1, 1), 10)) == 10
    with pytest.raises(ValueError, match="naive"):
        next_occurrences(schedule, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(ScheduleError):
        next_occurrences(FakeSchedule(byday="XX"), dt.datetime(2026, 1, 1))


# --------------------------------------------------------------------------- weekdays


def test_weekdays() -> None:
    assert weekdays(FakeSchedule(byday="TU")) == {1}
    assert weekdays(FakeSchedule(byday="MO,WE,FR")) == {0, 2, 4}
    assert weekdays(FakeSchedule(freq="MONTHLY", byday="1MO,-1FR")) == {0, 4}
    assert weekdays(FakeSchedule(freq="MONTHLY", byday=None, bymonthday="15")) == set(range(7))


# --------------------------------------------------------------------------- parts_of_day


@pytest.mark.parametrize(
    ("opens_at", "closes_at", "expected"),
    [
        (T(9, 30), T(13), {"morning", "afternoon"}),
        (T(11), T(12), {"morning"}),
        (T(11, 59), T(12), {"morning"}),
        (T(11, 59), T(12, 1), {"morning", "afternoon"}),
        (T(12), T(14), {"afternoon"}),
        (T(16), T(17), {"afternoon"}),
        (T(16, 30), T(17, 30), {"afternoon", "evening"}),
        (T(17), T(19), {"evening"}),
        (T(10), T(18), {"morning", "afternoon", "evening"}),
        (T(19), T(0), {"evening"}),
        (T(22), T(1), {"evening"}),
        (T(10), None, {"morning"}),
        (T(12), None, {"afternoon"}),
        (T(17), None, {"evening"}),
        (None, T(12), {"morning"}),
        (None, T(17, 30), {"evening"}),
        (None, None, set()),
    ],
)
def test_parts_of_day(
    opens_at: dt.time | None, closes_at: dt.time | None, expected: set[str]
) -> None:
    assert parts_of_day(FakeSchedule(opens_at=opens_at, closes_at=closes_at)) == expected


# --------------------------------------------------------------------------- runs_on


@pytest.mark.parametrize("day", [1, "TU", "tu", "Tuesday", "TUESDAY", "tue", " tuesday "])
def test_runs_on_accepts_day_forms(day: int | str) -> None:
    schedule = FakeSchedule(byday="TU", opens_at=T(19), closes_at=T(21))
    assert runs_on(schedule, day)
    assert runs_on(schedule, day, "evening")
    assert runs_on(schedule, day, "Evening")
    assert not runs_on(schedule, day, "morning")


@pytest.mark.parametrize("day", [0, "MO", "monday", 6, "sunday"])
def test_runs_on_other_days(day: int | str) -> None:
    schedule = FakeSchedule(byday="TU", opens_at=T(19), closes_at=T(21))
    assert not runs_on(schedule, day)


def test_runs_on_without_times_never_matches_a_part_of_day() -> None:
    schedule = FakeSchedule(byday="TU")
    assert runs_on(schedule, "TU")
    assert not runs_on(schedule, "TU", "morning")


def test_runs_on_monthly() -> None:
    schedule = FakeSchedule(freq="MONTHLY", byday="-1FR", opens_at=T(18, 30), closes_at=T(20))
    assert runs_on(schedule, "friday", "evening")
    assert not runs_on(schedule, "thursday", "evening")
    assert runs_on(schedule, "FR", on=D(2026, 2, 27))
    assert not runs_on(schedule, "FR", on=D(2026, 2, 20))


def test_runs_on_exact_date_checks_the_fortnight() -> None:
    schedule = FakeSchedule(interval=2, byday="TU", dtstart=D(2026, 11, 3), opens_at=T(10))
    assert runs_on(schedule, "TU", on=D(2026, 11, 17))
    assert runs_on(schedule, "TU", "morning", on=D(2026, 11, 17))
    assert not runs_on(schedule, "TU", on=D(2026, 11, 10))
    assert not runs_on(schedule, "TU", on=D(2026, 11, 3) - dt.timedelta(days=14))
    # The date has to be the day asked about.
    assert not runs_on(schedule, "WE", on=D(2026, 11, 18))
    assert not runs_on(schedule, "MO", on=D(2026, 11, 17))


def test_runs_on_exact_date_respects_valid_dates() -> None:
    schedule = FakeSchedule(byday="TU", valid_from=D(2026, 3, 3), valid_to=D(2026, 3, 31))
    assert runs_on(schedule, "TU", on=D(2026, 3, 3))
    assert runs_on(schedule, "TU", on=D(2026, 3, 31))
    assert not runs_on(schedule, "TU", on=D(2026, 2, 24))
    assert not runs_on(schedule, "TU", on=D(2026, 4, 7))
    # The general question ignores dates.
    assert runs_on(schedule, "TU")


@pytest.mark.parametrize("day", [7, -1, "XX", "tues day", "", True])
def test_runs_on_rejects_unknown_days(day: object) -> None:
    with pytest.raises(ScheduleError):
        runs_on(FakeSchedule(), day)  # type: ignore[arg-type]


def test_runs_on_rejects_unknown_part_of_day() -> None:
    with pytest.raises(ScheduleError, match="part of the day"):
        runs_on(FakeSchedule(opens_at=T(10)), "TU", "night")


# --------------------------------------------------------------------------- describe


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (
            FakeSchedule(byday="TU", opens_at=T(10), closes_at=T(12)),
            "Every Tuesday, 10:00 to 12:00",
        ),
        (
            FakeSchedule(interval=None, byday="TU", opens_at=T(10), closes_at=T(12)),
            "Every Tuesday, 10:00 to 12:00",
        ),
        (
            FakeSchedule(interval=2, byday="TU", opens_at=T(10), closes_at=T(12)),
            "Every other Tuesday, 10:00 to 12:00",
        ),
        (
            FakeSchedule(freq="MONTHLY", byday="-1FR", opens_at=T(18, 30), closes_at=T(20)),
            "Last Friday of the month, 18:30 to 20:00",
        ),
        (FakeSchedule(byday="MO,WE"), "Every Monday and Wednesday"),
        (FakeSchedule(byday="FR,MO,WE"), "Every Monday, Wednesday and Friday"),
        (
            FakeSchedule(interval=3, byday="TH", opens_at=T(14), closes_at=T(15, 30)),
            "Every 3 weeks on Thursday, 14:00 to 15:30",
        ),
        (
            FakeSchedule(freq="MONTHLY", byday="2TU", opens_at=T(19), closes_at=T(21)),
            "Second Tuesday of the month, 19:00 to 21:00",
        ),
        (FakeSchedule(freq="MONTHLY", byday="1MO,3MO"), "First and third Monday of the month"),
        (
            FakeSchedule(freq="MONTHLY", interval=2, byday="1MO"),
            "First Monday of every other month",
        ),
        (
            FakeSchedule(freq="MONTHLY", interval=3, byday="4TH"),
            "Fourth Thursday of every 3 months",
        ),
        (FakeSchedule(byday="TU", opens_at=T(10)), "Every Tuesday, from 10:00"),
        (FakeSchedule(byday="TU", closes_at=T(12)), "Every Tuesday, until 12:00"),
        (
            FakeSchedule(byday="FR", opens_at=T(19), closes_at=T(0)),
            "Every Friday, 19:00 to midnight",
        ),
        (FakeSchedule(interval=2, byday="MO,WE"), "Every other week on Monday and Wednesday"),
        (FakeSchedule(byday="MO,TU,WE,TH,FR"), "Every weekday"),
        (FakeSchedule(byday="MO,TU,WE,TH,FR,SA,SU"), "Every day"),
        (
            FakeSchedule(freq="MONTHLY", byday="2TU,4TH"),
            "Second Tuesday and fourth Thursday of the month",
        ),
        (FakeSchedule(freq="MONTHLY", byday="MO"), "Every Monday"),
        (FakeSchedule(freq="MONTHLY", interval=2, byday="MO"), "Every Monday, every other month"),
        (FakeSchedule(freq="MONTHLY", byday=None, bymonthday="15"), "15th of the month"),
        (
            FakeSchedule(freq="MONTHLY", byday=None, bymonthday="1,22,-1"),
            "1st, 22nd and last day of the month",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_describe(schedule: FakeSchedule, expected: str) -> None:
    assert describe(schedule) == expected


def test_describe_falls_back_to_free_text_for_unreadable_rules() -> None:
    schedule = FakeSchedule(byday="XX", description=" Ring for times ")
    assert describe(schedule) == "Ring for times"
    assert describe(FakeSchedule(freq="DAILY")) == ""


# --------------------------------------------------------------------------- describe_validity


TODAY = D(2026, 2, 1)


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "expected"),
    [
        (D(2026, 3, 3), D(2026, 5, 26), "From 3 March 2026 until 26 May 2026"),
        (None, D(2026, 5, 26), "Until 26 May 2026"),
        (D(2026, 1, 5), D(2026, 5, 26), "Until 26 May 2026"),
        (D(2026, 3, 3), None, "From 3 March 2026"),
        (D(2026, 2, 2), None, "From 2 February 2026"),
        (D(2026, 2, 1), None, None),
        (D(2025, 9, 1), None, None),
        (None, None, None),
        (None, D(2026, 2, 1), "Until 1 February 2026"),
        (D(2025, 9, 1), D(2026, 1, 31), "Ended 31 January 2026"),
    ],
)
def test_describe_validity(
    valid_from: dt.date | None, valid_to: dt.date | None, expected: str | None
) -> None:
    schedule = FakeSchedule(valid_from=valid_from, valid_to=valid_to)
    assert describe_validity(schedule, TODAY) == expected


# -- starting the rule near the day asked (a fast path that must not change any date) ----

_DAY_CODE = st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"])


@st.composite
def _any_schedule(draw: st.DrawFn) -> FakeSchedule:
    freq = draw(st.sampled_from(["WEEKLY", "MONTHLY"]))
    if freq == "WEEKLY":
        byday = ",".join(sorted(set(draw(st.lists(_DAY_CODE, min_size=1, max_size=3)))))
        bymonthday = None
    elif draw(st.booleans()):
        ordinal = draw(st.sampled_from(["1", "2", "3", "4", "-1"]))
        byday, bymonthday = f"{ordinal}{draw(_DAY_CODE)}", None
    else:
        byday, bymonthday = None, str(draw(st.sampled_from([1, 15, 28, 29, 30, 31, -1])))
    return FakeSchedule(
        freq=freq,
        interval=draw(st.integers(1, 4)),
        byday=byday,
        bymonthday=bymonthday,
        opens_at=draw(st.sampled_from([None, dt.time(10), dt.time(18, 30)])),
        dtstart=draw(st.one_of(st.none(), st.dates(dt.date(2020, 1, 1), dt.date(2027, 1, 1)))),
        valid_from=draw(st.one_of(st.none(), st.dates(dt.date(2020, 1, 1), dt.date(2027, 1, 1)))),
    )


@given(
    schedule=_any_schedule(),
    after=st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2028, 1, 1)),
)
@settings(max_examples=300, deadline=None)
def test_next_dates_are_those_of_the_rule_walked_from_its_start(
    schedule: FakeSchedule, after: dt.datetime
) -> None:
    """Starting the rule late gives the dates walking it from its anchor does.

    For every frequency, interval and kind of day.
    """
    from directory import schedules

    start, inclusive = schedules._first_allowed(schedule, after)
    walked = list(schedules._rule(schedule).xafter(start, count=3, inc=inclusive))
    assert next_occurrences(schedule, after, 3) == walked
    if walked:
        assert schedules._occurs_on(schedule, walked[0].date())


def test_next_start_is_the_first_of_next_occurrences_and_is_remembered_by_rule() -> None:
    from directory.schedules import _next_start, next_start

    tuesday = FakeSchedule(byday="TU", opens_at=dt.time(10))
    # Monday 30 November 2026, 09:59:30: next is Tuesday 1 December at 10:00.
    after = dt.datetime(2026, 11, 30, 9, 59, 30)
    assert next_start(tuesday, after) == next_occurrences(tuesday, after, 1)[0]
    before = _next_start.cache_info().hits
    # Another listing's schedule with the same rule, a few seconds later: remembered.
    assert next_start(FakeSchedule(byday="TU", opens_at=dt.time(10)), after.replace(second=45)) == (
        dt.datetime(2026, 12, 1, 10)
    )
    assert _next_start.cache_info().hits == before + 1


def test_next_start_of_a_session_starting_at_seconds_is_exact() -> None:
    from directory.schedules import next_start

    odd = FakeSchedule(byday="TU", opens_at=dt.time(10, 0, 30))
    during_the_minute = dt.datetime(2026, 12, 1, 10, 0, 40)  # 10 s after it started
    assert next_start(odd, during_the_minute) == dt.datetime(2026, 12, 8, 10, 0, 30)
    assert next_start(odd, dt.datetime(2026, 12, 1, 10, 0, 10)) == dt.datetime(
        2026, 12, 1, 10, 0, 30
    )


def test_next_start_of_a_broken_rule_raises_each_time() -> None:
    from directory.schedules import next_start

    broken = FakeSchedule(byday="XX")
    for _ in range(2):
        with pytest.raises(ScheduleError):
            next_start(broken, dt.datetime(2026, 12, 1))


def test_next_start_after_the_last_date_is_none() -> None:
    from directory.schedules import next_start

    ended = FakeSchedule(byday="TU", valid_to=dt.date(2026, 6, 30))
    assert next_start(ended, dt.datetime(2026, 12, 1)) is None
