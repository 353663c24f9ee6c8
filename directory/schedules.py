"""Reading Open Referral UK (HSDS 3.0) schedules: next dates, day/time filters and plain words.

Everything here works on any object with the attributes of ``directory.models.Schedule``
(``freq``, ``interval``, ``byday``, ``bymonthday``, ``opens_at``, ``closes_at``,
``valid_from``, ``valid_to``, ``dtstart``, ``description``), so it can be used on model rows,
importer records and test stand-ins alike. It deliberately imports neither Flask nor
SQLAlchemy.

Recurrence maths is delegated to :mod:`dateutil.rrule` so that we match the iCalendar
(RFC 5545) rules that HSDS borrows rather than our own reading of them. All datetimes are
naive and mean local UK time, which is how groups advertise their sessions.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from dateutil.rrule import MO, MONTHLY, WEEKLY, rrule, weekday

__all__ = [
    "DAY_CODES",
    "DAY_NAMES",
    "DEFAULT_ANCHOR",
    "PARTS_OF_DAY",
    "ScheduleError",
    "describe",
    "describe_validity",
    "format_date",
    "next_occurrences",
    "parse_byday",
    "parts_of_day",
    "runs_on",
    "validate_schedule",
    "weekdays",
]

DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PARTS_OF_DAY = ("morning", "afternoon", "evening")

FREQUENCIES = ("WEEKLY", "MONTHLY")
MAX_INTERVAL = 12
# Ordinals a group would actually advertise ("second Tuesday", "last Friday"). A "fifth
# Tuesday" only exists in some months, which confuses people more than it helps.
ORDINALS = (1, 2, 3, 4, -1)

# Fortnightly rules need a fixed week to count from. When a schedule gives neither dtstart
# nor valid_from we still want the same answer on every run and every server, so pick a
# known Monday rather than "today".
DEFAULT_ANCHOR = datetime.date(2024, 1, 1)

# Matches the schedule.byday / schedule.bymonthday column width, so validation catches
# values the database would reject.
MAX_RULE_LENGTH = 40

EVENING_START = datetime.time(17, 0)

_SECONDS_PER_DAY = 24 * 60 * 60
# Half-open [start, end) windows in seconds since midnight.
_PART_WINDOWS = {
    "morning": (0, 12 * 3600),
    "afternoon": (12 * 3600, 17 * 3600),
    "evening": (17 * 3600, _SECONDS_PER_DAY),
}

_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_ORDINAL_WORDS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
_BYDAY_PART = re.compile(r"^([+-]?\d+)?([A-Z]{2})$")

_DAY_LOOKUP: dict[str, int] = {}
for _index, (_code, _name) in enumerate(zip(DAY_CODES, DAY_NAMES, strict=True)):
    _DAY_LOOKUP[_code.lower()] = _index
    _DAY_LOOKUP[_name.lower()] = _index
    _DAY_LOOKUP[_name[:3].lower()] = _index
del _index, _code, _name


class ScheduleError(ValueError):
    """A schedule rule that can't be understood; the message is fit to show to an editor."""


# --------------------------------------------------------------------------- parsing


def _normalise_freq(freq: str | None) -> str:
    # RFC 5545 makes enumerated values case-insensitive, and imported feeds aren't tidy.
    value = (freq or "").strip().upper()
    if value not in FREQUENCIES:
        raise ScheduleError(f'Unknown frequency "{freq}": use WEEKLY or MONTHLY')
    return value


def _ordinal_sort_key(ordinal: int | None) -> int:
    # Plain days first, then first..fourth, then last.
    if ordinal is None:
        return 0
    return ordinal if ordinal > 0 else 5


def parse_byday(byday: str, freq: str) -> list[tuple[int | None, int]]:
    """Parse an iCalendar BYDAY value such as ``"TU"``, ``"MO,WE"`` or ``"1MO,-1FR"``.

    Returns ``(ordinal, weekday)`` pairs, where ``weekday`` is 0 (Monday) to 6 (Sunday) and
    ``ordinal`` is ``None`` for "every such day" or 1..4 / -1 for "first".."fourth" / "last"
    such day of the month. Pairs come back de-duplicated in weekday order so callers can
    compare and describe them directly.

    Ordinals are only allowed when ``freq`` is ``"MONTHLY"``. Raises :class:`ScheduleError`
    with a message suitable for a form if anything can't be understood.
    """
    freq = _normalise_freq(freq)
    parts = [part.strip().upper() for part in (byday or "").split(",")]
    # Tolerate a stray trailing comma from hand-edited data; it can't change the meaning.
    parts = [part for part in parts if part]
    if not parts:
        raise ScheduleError("Choose at least one day of the week")

    found: set[tuple[int | None, int]] = set()
    for part in parts:
        match = _BYDAY_PART.match(part)
        if not match or match.group(2) not in DAY_CODES:
            raise ScheduleError(
                f'"{part}" is not a day. Use two-letter codes: {", ".join(DAY_CODES)}, '
                "optionally with a week of the month for monthly schedules, such as 2TU or -1FR"
            )
        day = DAY_CODES.index(match.group(2))
        ordinal: int | None = None
        if match.group(1) is not None:
            if freq != "MONTHLY":
                raise ScheduleError(
                    f'"{part}" picks a week of the month, which only works for a monthly '
                    "schedule. Use a plain day such as "
                    f"{match.group(2)} for a weekly one"
                )
            ordinal = int(match.group(1))
            if ordinal not in ORDINALS:
                raise ScheduleError(
                    f'"{part}": the week of the month must be 1 to 4, or -1 for the last one'
                )
        found.add((ordinal, day))
    return sorted(found, key=lambda pair: (pair[1], _ordinal_sort_key(pair[0])))


def _parse_bymonthday(bymonthday: str | None) -> list[int]:
    parts = [part.strip() for part in (bymonthday or "").split(",")]
    days: set[int] = set()
    for part in parts:
        if not part:
            continue
        try:
            day = int(part)
        except ValueError:
            day = 0
        # -1 ("last day of the month") is the only negative anyone advertises.
        if not (1 <= day <= 31 or day == -1):
            raise ScheduleError(
                f'"{part}" is not a day of the month. Use 1 to 31, or -1 for the last day'
            )
        days.add(day)
    return sorted(days, key=lambda d: d if d > 0 else 32)


def _interval(schedule: Any) -> int:
    interval = schedule.interval
    if interval is None:
        return 1
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise ScheduleError(f"Repeat interval must be a whole number, not {interval!r}")
    return interval


def _day_rules(schedule: Any) -> tuple[str, list[tuple[int | None, int]], list[int]]:
    """Frequency, BYDAY pairs and (monthly only) BYMONTHDAY days of a schedule."""
    freq = _normalise_freq(schedule.freq)
    byday = schedule.byday
    # Day-of-month only means something monthly; ignoring it on weekly rules keeps the
    # dates we compute in step with the words describe() gives.
    monthdays = (
        _parse_bymonthday(getattr(schedule, "bymonthday", None)) if freq == "MONTHLY" else []
    )
    if byday and byday.strip(" ,"):
        days = parse_byday(byday, freq)
    elif monthdays:
        days = []
    else:
        raise ScheduleError("Choose at least one day of the week")
    return freq, days, monthdays


def _midnight_as_end(closes_at: datetime.time) -> int:
    # "19:00 to 00:00" means until midnight, not a session that ends before it starts.
    seconds = _seconds(closes_at)
    return _SECONDS_PER_DAY if seconds == 0 else seconds


def _seconds(value: datetime.time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


# --------------------------------------------------------------------------- validation


def validate_schedule(
    freq: str | None,
    interval: int | None,
    byday: str | None,
    opens_at: datetime.time | None,
    closes_at: datetime.time | None,
    valid_from: datetime.date | None,
    valid_to: datetime.date | None,
    bymonthday: str | None = None,
) -> dict[str, str]:
    """Check the fields of a schedule as an editor entered them.

    Returns a mapping of field name to a message to show next to that field; an empty
    dict means the schedule is valid. ``freq`` must be exactly ``"WEEKLY"`` or
    ``"MONTHLY"`` because that is what the database stores and checks.
    """
    errors: dict[str, str] = {}

    freq_ok = freq in FREQUENCIES
    if not freq_ok:
        errors["freq"] = "Choose how often it repeats: weekly or monthly"

    if interval is not None and (
        isinstance(interval, bool)
        or not isinstance(interval, int)
        or not 1 <= interval <= MAX_INTERVAL
    ):
        errors["interval"] = f"Repeat interval must be a whole number from 1 to {MAX_INTERVAL}"

    has_monthday = bool(bymonthday and bymonthday.strip(" ,"))
    if has_monthday and (problem := _monthday_problem(bymonthday or "", freq)) is not None:
        errors["bymonthday"] = problem

    has_byday = bool(byday and byday.strip(" ,"))
    if has_byday:
        if (problem := _byday_problem(byday or "", freq)) is not None:
            errors["byday"] = problem
        if has_monthday and "bymonthday" not in errors and "byday" not in errors:
            errors["bymonthday"] = "Give either days of the week or a day of the month, not both"
    elif not has_monthday:
        errors["byday"] = "Choose at least one day of the week"

    if (
        opens_at is not None
        and closes_at is not None
        and _midnight_as_end(closes_at) <= _seconds(opens_at)
    ):
        errors["closes_at"] = "Closing time must be after opening time"

    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        errors["valid_to"] = "The end date can't be before the start date"

    return errors


def _monthday_problem(bymonthday: str, freq: str | None) -> str | None:
    """What is wrong with the days of the month given, if anything."""
    if freq in FREQUENCIES and freq != "MONTHLY":
        return "A day of the month can only be used on a monthly schedule"
    if len(bymonthday) > MAX_RULE_LENGTH:
        return "Too many days of the month"
    try:
        _parse_bymonthday(bymonthday)
    except ScheduleError as exc:
        return str(exc)
    return None


def _byday_problem(byday: str, freq: str | None) -> str | None:
    """What is wrong with the days of the week given, if anything."""
    if len(byday) > MAX_RULE_LENGTH:
        return "Too many days of the week"
    try:
        # With an unknown frequency, still report junk day codes; use the more
        # permissive monthly rules so we don't invent an ordinal complaint.
        parse_byday(byday, freq if freq in FREQUENCIES else "MONTHLY")
    except ScheduleError as exc:
        return str(exc)
    return None


# --------------------------------------------------------------------------- occurrences


def _as_date(value: datetime.date) -> datetime.date:
    # A datetime is a date too, but mixing them in comparisons raises TypeError.
    return value.date() if isinstance(value, datetime.datetime) else value


def _rule(schedule: Any, near: datetime.date | None = None) -> rrule:
    """The schedule's rule; with ``near``, started as late as it can be before that day.

    rrule walks every occurrence from its start, and a weekly group anchored in 2024 has
    a hundred before today: starting the rule at the latest whole repeat (of ``interval``
    weeks or months) on or before ``near`` gives the same dates from there on, cheaply.
    """
    freq, days, monthdays = _day_rules(schedule)
    anchor = _as_date(getattr(schedule, "dtstart", None) or schedule.valid_from or DEFAULT_ANCHOR)
    if near is not None:
        anchor = _latest_period_start(anchor, near, freq, _interval(schedule))
    start = datetime.datetime.combine(anchor, schedule.opens_at or datetime.time(0))
    until = None
    if schedule.valid_to is not None:
        until = datetime.datetime.combine(_as_date(schedule.valid_to), datetime.time.max)
    return rrule(
        MONTHLY if freq == "MONTHLY" else WEEKLY,
        dtstart=start,
        interval=_interval(schedule),
        # rrule otherwise takes the week start from the process-wide calendar setting,
        # which would shift which fortnight a rule lands on.
        wkst=MO,
        byweekday=[weekday(day, ordinal) for ordinal, day in days] or None,
        bymonthday=monthdays or None,
        until=until,
    )


def _latest_period_start(
    anchor: datetime.date, near: datetime.date, freq: str, interval: int
) -> datetime.date:
    """The first day of the latest repeat period on or before ``near``.

    Periods are in step with ``anchor``'s, and ``anchor`` itself is the answer while
    ``near`` is still in its first period. A period is ``interval`` weeks (from Monday,
    the rule's week start) or months. Every schedule has days of the week or of the
    month, so the first day of a period loses nothing that falls in it.
    """
    if freq == "MONTHLY":
        first = anchor.year * 12 + anchor.month - 1
        periods = (near.year * 12 + near.month - 1 - first) // interval
        if periods <= 0:
            return anchor
        month = first + periods * interval
        return datetime.date(month // 12, month % 12 + 1, 1)
    monday = anchor - datetime.timedelta(days=anchor.weekday())
    periods = (near - monday).days // (7 * interval)
    if periods <= 0:
        return anchor
    return monday + datetime.timedelta(weeks=periods * interval)


def _first_allowed(schedule: Any, after: datetime.datetime) -> tuple[datetime.datetime, bool]:
    """Where to start searching, and whether that instant itself may be returned."""
    if schedule.valid_from is not None:
        opening = datetime.datetime.combine(_as_date(schedule.valid_from), datetime.time(0))
        if opening > after:
            return opening, True
    return after, False


def next_occurrences(
    schedule: Any, after: datetime.datetime, count: int = 3
) -> list[datetime.datetime]:
    """The next ``count`` start times strictly after ``after``.

    Each start is the occurrence date combined with ``opens_at`` (midnight when there is no
    opening time). Dates before ``valid_from`` or after ``valid_to`` are never returned, and
    rules with an interval count from the week (or month) of ``dtstart``, falling back to
    ``valid_from`` and then :data:`DEFAULT_ANCHOR`. ``after`` must be naive local time.

    Raises :class:`ScheduleError` if the schedule's rule can't be understood.
    """
    if after.tzinfo is not None:
        raise ValueError("next_occurrences() works in naive local time; got an aware datetime")
    if count <= 0:
        return []
    start, inclusive = _first_allowed(schedule, after)
    return list(_rule(schedule, start.date()).xafter(start, count=count, inc=inclusive))


@dataclass(frozen=True)
class _RuleFields:
    """The fields of a schedule its dates depend on: the key next dates are kept by."""

    freq: Any
    interval: Any
    byday: Any
    bymonthday: Any
    opens_at: Any
    valid_from: Any
    valid_to: Any
    dtstart: Any


def next_start(schedule: Any, after: datetime.datetime) -> datetime.datetime | None:
    """The next start strictly after ``after`` (``next_occurrences(schedule, after, 1)``).

    Remembered by the schedule's rule and the minute: a page of results asks it for
    every card, and many groups share a rule ("Tuesdays at 10:00"). Sessions start on
    the minute, so within a minute the answer doesn't change; a start time with seconds
    is worked out to the second.

    Raises :class:`ScheduleError` if the schedule's rule can't be understood.
    """
    fields = _RuleFields(*(getattr(schedule, f.name, None) for f in dataclass_fields(_RuleFields)))
    opens_at = fields.opens_at
    if opens_at is None or (opens_at.second == 0 and opens_at.microsecond == 0):
        after = after.replace(second=0, microsecond=0)
    try:
        found = _next_start(fields, after)
    except TypeError:  # a value that can't be a key (never from the database)
        found = _first_or_problem(fields, after)
    if isinstance(found, ScheduleError):
        raise ScheduleError(str(found))  # a fresh one: the remembered one keeps no trace
    return found


@lru_cache(maxsize=8192)
def _next_start(
    fields: _RuleFields, after: datetime.datetime
) -> datetime.datetime | None | ScheduleError:
    return _first_or_problem(fields, after)


def _first_or_problem(
    fields: _RuleFields, after: datetime.datetime
) -> datetime.datetime | None | ScheduleError:
    # The problem is returned rather than raised so that it is remembered too.
    try:
        found = next_occurrences(fields, after, 1)
    except ScheduleError as problem:
        return problem
    return found[0] if found else None


def _occurs_on(schedule: Any, on: datetime.date) -> bool:
    if schedule.valid_from is not None and on < _as_date(schedule.valid_from):
        return False
    if schedule.valid_to is not None and on > _as_date(schedule.valid_to):
        return False
    found = _rule(schedule, on).after(datetime.datetime.combine(on, datetime.time(0)), inc=True)
    return found is not None and found.date() == on


# --------------------------------------------------------------------------- filters


def weekdays(schedule: Any) -> set[int]:
    """Weekdays (0 = Monday .. 6 = Sunday) on which the schedule can fall.

    A rule based only on a day of the month ("the 15th") can land on any weekday.
    """
    _, days, monthdays = _day_rules(schedule)
    if not days and monthdays:
        return set(range(7))
    return {day for _, day in days}


def parts_of_day(schedule: Any) -> set[str]:
    """Which of ``"morning"``, ``"afternoon"`` and ``"evening"`` a session overlaps.

    Morning is before 12:00, afternoon 12:00 to 17:00 and evening from 17:00. A session
    counts for every part it overlaps, but touching a boundary isn't overlapping: 11:00 to
    12:00 is morning only and 17:00 to 19:00 is evening only. With only one time we use
    the part that time falls in; with no times the answer is unknown, so the set is empty.
    """
    opens_at, closes_at = schedule.opens_at, schedule.closes_at
    if opens_at is None and closes_at is None:
        return set()
    if opens_at is not None and closes_at is not None:
        start = _seconds(opens_at)
        end = _midnight_as_end(closes_at)
        if end <= start:
            # Overnight or inconsistent times: trust the opening time and run to midnight.
            end = _SECONDS_PER_DAY
    elif opens_at is not None:
        start = _seconds(opens_at)
        end = start + 1
    else:
        end = _midnight_as_end(closes_at)
        start = end - 1
    return {
        part
        for part, (part_start, part_end) in _PART_WINDOWS.items()
        if start < part_end and end > part_start
    }


def _day_index(day: int | str) -> int:
    if isinstance(day, bool):
        raise ScheduleError(f"Unknown day {day!r}")
    if isinstance(day, int):
        if 0 <= day <= 6:
            return day
        raise ScheduleError(f"Unknown day {day!r}: use 0 (Monday) to 6 (Sunday)")
    index = _DAY_LOOKUP.get(str(day).strip().lower())
    if index is None:
        raise ScheduleError(f'Unknown day "{day}": use a name such as "tuesday" or a code "TU"')
    return index


def runs_on(
    schedule: Any,
    day: int | str,
    part_of_day: str | None = None,
    on: datetime.date | None = None,
) -> bool:
    """Answer "does it run on a Tuesday evening?".

    ``day`` may be 0..6 (Monday = 0), a code such as ``"TU"`` or a name such as
    ``"tuesday"`` / ``"Tue"`` (any case). ``part_of_day`` is one of :data:`PARTS_OF_DAY`;
    a schedule without times never matches a part of the day, because we can't say it
    does. Without ``on`` this is the general question (any week it runs); with ``on`` the
    date must also be that weekday and an actual occurrence within the valid dates,
    including the right fortnight or week of the month.
    """
    index = _day_index(day)
    if part_of_day is not None:
        wanted = part_of_day.strip().lower()
        if wanted not in PARTS_OF_DAY:
            raise ScheduleError(
                f'Unknown part of the day "{part_of_day}": use {", ".join(PARTS_OF_DAY)}'
            )
        if wanted not in parts_of_day(schedule):
            return False
    if index not in weekdays(schedule):
        return False
    if on is not None:
        on = _as_date(on)
        return on.weekday() == index and _occurs_on(schedule, on)
    return True


# --------------------------------------------------------------------------- words


def _join_words(words: Iterable[str]) -> str:
    items = list(words)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _format_time(value: datetime.time) -> str:
    return value.strftime("%H:%M")


def _time_words(opens_at: datetime.time | None, closes_at: datetime.time | None) -> str:
    closing = None
    if closes_at is not None:
        closing = "midnight" if _seconds(closes_at) == 0 else _format_time(closes_at)
    if opens_at is not None and closing is not None:
        return f", {_format_time(opens_at)} to {closing}"
    if opens_at is not None:
        return f", from {_format_time(opens_at)}"
    if closing is not None:
        return f", until {closing}"
    return ""


def _weekly_words(days: list[tuple[int | None, int]], interval: int) -> str:
    day_set = [day for _, day in days]
    names = _join_words(DAY_NAMES[day] for day in day_set)
    if interval == 1:
        if len(day_set) == 7:
            return "Every day"
        if day_set == [0, 1, 2, 3, 4]:
            return "Every weekday"
        return f"Every {names}"
    if interval == 2:
        # "Every other Monday and Wednesday" could be read as alternating between them.
        return f"Every other {names}" if len(day_set) == 1 else f"Every other week on {names}"
    return f"Every {interval} weeks on {names}"


def _month_suffix(interval: int) -> str:
    if interval == 1:
        return "the month"
    if interval == 2:
        return "every other month"
    return f"every {interval} months"


def _monthday_word(day: int) -> str:
    if day == -1:
        return "last day"
    # 11th, 12th and 13th (and 111th...) break the 1st, 2nd, 3rd pattern.
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _monthly_words(days: list[tuple[int | None, int]], monthdays: list[int], interval: int) -> str:
    suffix = _month_suffix(interval)
    day_phrases: list[str] = []
    for day in sorted({day for _, day in days}):
        ordinals = [ordinal for ordinal, d in days if d == day]
        if None in ordinals:
            # "Every Monday" already covers "first Monday", so the ordinals add nothing.
            day_phrases.append(f"every {DAY_NAMES[day]}")
        else:
            words = _join_words(_ORDINAL_WORDS[ordinal] for ordinal in ordinals)
            day_phrases.append(f"{words} {DAY_NAMES[day]}")
    monthday_phrase = _join_words(_monthday_word(day) for day in monthdays)

    if day_phrases and monthdays:
        text = f"{_join_words(day_phrases)} that falls on the {monthday_phrase} of {suffix}"
    elif monthdays:
        text = f"{monthday_phrase} of {suffix}"
    elif all(ordinal is None for ordinal, _ in days):
        # Every Monday of every month is just every Monday.
        text = _join_words(day_phrases)
        if interval > 1:
            text = f"{text}, {suffix}"
    else:
        text = f"{_join_words(day_phrases)} of {suffix}"
    return _capitalise(text)


# What describe() reads of a schedule: the words are a function of these alone.
_DESCRIBED = ("freq", "interval", "byday", "bymonthday", "opens_at", "closes_at", "description")


def describe(schedule: Any) -> str:
    """The schedule in plain English, e.g. ``"Every other Tuesday, 10:00 to 12:00"``.

    Covers the repeat pattern and times only; see :func:`describe_validity` for the dates it
    runs between. If the rule can't be understood (bad imported data) this returns the
    free-text ``description`` instead, or an empty string, so one bad row can't break a page.
    Remembered per rule and times: a results page describes the same few patterns again
    and again.
    """
    values = tuple(getattr(schedule, name, None) for name in _DESCRIBED)
    key = (values, tuple(type(value) for value in values))  # True is not 1 here
    try:
        return _describe(key)
    except TypeError:  # a value that can't be a key (bad imported data): no memory
        return _describe.__wrapped__(key)


@lru_cache(maxsize=4096)
def _describe(key: tuple[tuple, tuple]) -> str:
    schedule = SimpleNamespace(**dict(zip(_DESCRIBED, key[0], strict=True)))
    try:
        freq, days, monthdays = _day_rules(schedule)
        interval = _interval(schedule)
    except ScheduleError:
        return (schedule.description or "").strip()
    if freq == "WEEKLY":
        text = _weekly_words(days, interval)
    else:
        text = _monthly_words(days, monthdays, interval)
    return text + _time_words(schedule.opens_at, schedule.closes_at)


def format_date(value: datetime.date) -> str:
    """A date as ``3 March 2026``, the same whatever the server's locale.

    Spelled out by hand because strftime("%B") follows the server's locale.
    """
    return f"{value.day} {_MONTH_NAMES[value.month - 1]} {value.year}"


_format_date = format_date


def describe_validity(schedule: Any, today: datetime.date) -> str | None:
    """The dates a schedule runs between, when that matters to someone reading it today.

    Returns ``"From 3 March 2026 until 26 May 2026"``, ``"Until 26 May 2026"``,
    ``"From 3 March 2026"`` or, once ``valid_to`` has passed, ``"Ended 26 May 2026"``.
    A start date that has already passed is not worth mentioning; with no end date either,
    the result is ``None``.
    """
    valid_from = _as_date(schedule.valid_from) if schedule.valid_from else None
    valid_to = _as_date(schedule.valid_to) if schedule.valid_to else None
    if valid_to is not None and valid_to < today:
        return f"Ended {_format_date(valid_to)}"
    starts_later = valid_from is not None and valid_from > today
    if starts_later and valid_to is not None:
        return f"From {_format_date(valid_from)} until {_format_date(valid_to)}"
    if starts_later:
        return f"From {_format_date(valid_from)}"
    if valid_to is not None:
        return f"Until {_format_date(valid_to)}"
    return None
