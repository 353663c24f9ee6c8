"""The periods commissioners' insights cover: a start and an end date, in calendar quarters.

A period is whole days, from its start to its end date inclusive, never reaching into
the future. Trends are counted by calendar quarter ("Jan–Mar 2026"), named by their
months so nobody wonders whether Q1 is the calendar's or the financial year's.
"""

from __future__ import annotations

import datetime as dt

# The longest period a page answers for: enough for a decade's trends, and a bound on
# the work one request can ask for.
MAX_PERIOD_YEARS = 10
# A period not given is the last four quarters: this quarter so far and the three before.
DEFAULT_QUARTERS = 4

MONTH_ABBREVIATIONS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)

Quarter = tuple[int, int]  # (year, 1..4)


def long_date(day: dt.date) -> str:
    """A date as pages write it: "23 November 2026"."""
    return f"{day.day} {day:%B %Y}"


def period_problems(start: dt.date, end: dt.date, today: dt.date) -> dict[str, str]:
    """What is wrong with a period, by the field to fix ("from" or "to"); empty if nothing.

    The end may not be after ``today`` (there is nothing to count yet), nor the start
    after the end (a period back to front), and a period is at most
    :data:`MAX_PERIOD_YEARS` long.
    """
    problems: dict[str, str] = {}
    if end > today:
        problems["to"] = f"The end can't be in the future: today is {long_date(today)}."
    if start > today:
        problems["from"] = f"The start can't be in the future: today is {long_date(today)}."
    elif start > end:
        problems["from"] = (
            f"The start ({long_date(start)}) is after the end ({long_date(end)}): "
            "the period is back to front."
        )
    elif not problems and start < years_before(end, MAX_PERIOD_YEARS):
        problems["from"] = f"A period can be at most {MAX_PERIOD_YEARS} years long."
    return problems


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier (28 February for a 29 February with no twin)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def quarter_of(day: dt.date) -> Quarter:
    """The calendar quarter a day falls in, as (year, 1..4)."""
    return day.year, (day.month - 1) // 3 + 1


def quarter_start(quarter: Quarter) -> dt.date:
    """The first day of a quarter."""
    year, number = quarter
    return dt.date(year, 3 * (number - 1) + 1, 1)


def next_quarter(quarter: Quarter) -> Quarter:
    """The quarter after ``quarter``."""
    year, number = quarter
    return (year + 1, 1) if number == 4 else (year, number + 1)


def quarters_between(start: dt.date, end: dt.date) -> list[Quarter]:
    """Every quarter from the one holding ``start`` to the one holding ``end``, in order."""
    quarters = []
    quarter, last = quarter_of(start), quarter_of(end)
    while quarter <= last:
        quarters.append(quarter)
        quarter = next_quarter(quarter)
    return quarters


def quarter_label(quarter: Quarter) -> str:
    """A quarter in words: (2026, 4) is "Oct–Dec 2026"."""
    year, number = quarter
    first = 3 * (number - 1)
    return f"{MONTH_ABBREVIATIONS[first]}\u2013{MONTH_ABBREVIATIONS[first + 2]} {year}"


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The period a page shows when none is chosen: the last :data:`DEFAULT_QUARTERS` quarters.

    From the start of the quarter ``DEFAULT_QUARTERS - 1`` before today's, to today.
    """
    quarter = quarter_of(today)
    for _ in range(DEFAULT_QUARTERS - 1):
        year, number = quarter
        quarter = (year - 1, 4) if number == 1 else (year, number - 1)
    return quarter_start(quarter), today
