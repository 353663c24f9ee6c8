"""Importing listings from a spreadsheet (CSV or XLSX) laid out as the template.

One row per listing; locations and schedules in numbered columns (``location_1_...``,
``schedule_1_...``). Rows are matched on ``source_id``, so importing the same file again
changes nothing. Every problem is reported with the row number as the spreadsheet shows
it (the header is row 1), the column and the reason; a row with any problem is rejected
whole and the rest are imported. The columns are documented in ``docs/importing.md``
and in the template's Guide sheet (:func:`template_xlsx`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from directory.geo import GeocodingError
from directory.lifecycle.services import CHOICE_VOCABULARIES, TERM_VOCABULARIES
from directory.models import ImportSource, Organisation, User, stable_id
from directory.schedules import MAX_INTERVAL, validate_schedule
from directory.vocabularies import vocabulary
from importers.runner import (
    ImportSummary,
    Locator,
    Progress,
    RowProblem,
    RowRejected,
    complete_run,
    find_or_create_source,
    run_rows,
    run_with_progress,
    write_listing,
)

LOCATIONS = 2
SCHEDULES = 3


@dataclass(frozen=True)
class Column:
    """One template column: its header, whether it must be filled, what goes in it, and
    an example value."""

    name: str
    required: bool
    help: str
    example: str = ""


def _choices(code: str) -> str:
    return ", ".join(term.code for term in vocabulary(code).terms)


def template_columns() -> list[Column]:
    """The template's columns, in order (the documentation is generated from these)."""
    columns = [
        Column(
            "source_id", True, "Your own unique reference for the row; never reuse one.", "HV-001"
        ),
        Column("name", True, "The listing's name (up to 200 characters).", "Hearing Voices Group"),
        Column("kind", True, f"One of: {_choices('kind')}.", "group"),
        Column(
            "organisation",
            False,
            "The organisation that runs it (unless chosen for the whole file).",
            "Plymouth Peer Network",
        ),
        Column(
            "summary",
            False,
            "One sentence (up to 300 characters); taken from the description if empty.",
            "A peer group for people who hear voices.",
        ),
        Column(
            "description",
            False,
            "What happens, who it is for, what to expect.",
            "We meet for tea and mutual support.",
        ),
        Column(
            "status", False, f"One of: {_choices('listing_status')} (default active).", "active"
        ),
        Column("phone", False, "A contact number.", "01632 960001"),
        Column("email", False, "A contact email address.", "voices@example.org"),
        Column(
            "website",
            False,
            "A web address starting http:// or https://.",
            "https://example.org/voices",
        ),
        Column(
            "how_to_join", False, f"One of: {_choices('how_to_join')} (default drop_in).", "drop_in"
        ),
        Column("cost", False, f"One of: {_choices('cost')} (default free).", "free"),
        Column("cost_details", False, "What it costs, in words.", ""),
        Column("min_age", False, "Youngest age welcome, a whole number.", "18"),
        Column("max_age", False, "Oldest age welcome, a whole number.", ""),
        Column("languages", False, "Languages, separated by semicolons.", "English; Polish"),
        Column("delivered_by", False, f"One of: {_choices('delivered_by')}.", "peers"),
        Column("format", False, f"One of: {_choices('format')} (default ongoing).", "ongoing"),
        Column("course_weeks", False, "For a course: how many weeks it lasts.", ""),
        Column(
            "first_visit_support",
            False,
            "yes if someone can go with a newcomer the first time.",
            "yes",
        ),
        Column("group_size", False, f"One of: {_choices('group_size')}.", "small"),
        Column(
            "mental_health_focus", False, f"One of: {_choices('mental_health_focus')}.", "specific"
        ),
        Column(
            "welcome_statement",
            False,
            "A welcome or non-judgement commitment.",
            "Everyone is welcome.",
        ),
        Column(
            "attendance",
            False,
            f"One of: {_choices('attendance')} (default in_person, or online without a location).",
            "in_person",
        ),
    ]
    for column, code in VOCABULARY_COLUMNS.items():
        columns.append(
            Column(
                column,
                False,
                f"Any of: {_choices(code)}, separated by semicolons.",
                "involvement; cared_for" if code == "civic_domain" else "",
            )
        )
    for n in range(1, LOCATIONS + 1):
        columns += [
            Column(
                f"location_{n}_name",
                False,
                f"Place {n}: its name.",
                "Devonport Hall" if n == 1 else "",
            ),
            Column(
                f"location_{n}_address",
                False,
                f"Place {n}: first line of the address.",
                "1 Fore Street" if n == 1 else "",
            ),
            Column(f"location_{n}_address_2", False, f"Place {n}: second line of the address.", ""),
            Column(
                f"location_{n}_town",
                False,
                f"Place {n}: town or city.",
                "Plymouth" if n == 1 else "",
            ),
            Column(
                f"location_{n}_postcode",
                False,
                f"Place {n}: full postcode (needed when any place {n} column is filled).",
                "PL4 8AA" if n == 1 else "",
            ),
        ]
    for n in range(1, SCHEDULES + 1):
        first = n == 1
        columns += [
            Column(
                f"schedule_{n}_repeats",
                False,
                f"Time {n}: weekly, fortnightly, every 3 weeks, monthly or every 2 months.",
                "fortnightly" if first else "",
            ),
            Column(
                f"schedule_{n}_days",
                False,
                f"Time {n}: days such as Tuesday; Thursday. Monthly: first Tuesday, "
                "last Friday, or dates such as 1; 15.",
                "Tuesday" if first else "",
            ),
            Column(
                f"schedule_{n}_opens",
                False,
                f"Time {n}: start time, such as 18:30.",
                "18:30" if first else "",
            ),
            Column(
                f"schedule_{n}_closes",
                False,
                f"Time {n}: end time, such as 20:00.",
                "20:00" if first else "",
            ),
            Column(
                f"schedule_{n}_from", False, f"Time {n}: first date (YYYY-MM-DD or DD/MM/YYYY).", ""
            ),
            Column(
                f"schedule_{n}_to", False, f"Time {n}: last date, for a course or a season.", ""
            ),
            Column(
                f"schedule_{n}_location",
                False,
                f"Time {n}: which place (1 or 2) it happens at, if several.",
                "",
            ),
            Column(f"schedule_{n}_notes", False, f"Time {n}: anything else about the times.", ""),
        ]
    return columns


# Multi-choice columns and the vocabularies they take.
VOCABULARY_COLUMNS = {
    "domains": "civic_domain",
    "support_types": "intervention_type",
    "recovery_processes": "chime_process",
    "outcomes": "recovery_outcome",
    "audiences": "audience",
    "accessibility": "accessibility",
}
LIMITS = {
    "source_id": 200,
    "name": 200,
    "organisation": 200,
    "summary": 300,
    "phone": 40,
    "cost_details": 300,
}
DAYS = {
    "MO": ("mo", "mon", "monday", "mondays"),
    "TU": ("tu", "tue", "tues", "tuesday", "tuesdays"),
    "WE": ("we", "wed", "weds", "wednesday", "wednesdays"),
    "TH": ("th", "thu", "thur", "thurs", "thursday", "thursdays"),
    "FR": ("fr", "fri", "friday", "fridays"),
    "SA": ("sa", "sat", "saturday", "saturdays"),
    "SU": ("su", "sun", "sunday", "sundays"),
}
DAY_WORDS = {word: code for code, words in DAYS.items() for word in words}
ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
            "4th": 4, "last": -1}  # fmt: skip
PLACE_LIMITS = (
    ("name", "name", 200),
    ("address_1", "address", 200),
    ("address_2", "address_2", 200),
    ("city", "town", 100),
)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


class SpreadsheetError(ValueError):
    """A file that can't be read as a listings spreadsheet at all."""


# -- reading ---------------------------------------------------------------------------


def _header(value: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(value or "").strip().lower())


def read_rows(content: bytes, filename: str) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """The headers and the non-blank rows (with spreadsheet row numbers) of a CSV or XLSX."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx":
        raw = _xlsx_rows(content)
    elif suffix == ".csv":
        raw = _csv_rows(content)
    else:
        raise SpreadsheetError(f"{filename} is not a .csv or .xlsx file.")
    try:
        header_row = next(raw)
    except StopIteration:
        raise SpreadsheetError(f"{filename} is empty.") from None
    headers = [_header(value) for value in header_row]
    missing = [c.name for c in template_columns() if c.required and c.name not in headers]
    if missing:
        raise SpreadsheetError(
            f"{filename} has no {', '.join(missing)} column: use the template's first row."
        )
    rows = []
    for number, values in enumerate(raw, start=2):
        cells = {
            header: value
            for header, value in zip(headers, values, strict=False)
            if header and not _blank(value)
        }
        if cells:
            rows.append((number, cells))
    return headers, rows


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _xlsx_rows(content: bytes) -> Iterator[tuple]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that isn't XLSX
        raise SpreadsheetError(
            f"This is not a readable XLSX file ({type(error).__name__})."
        ) from None
    sheet = book["Listings"] if "Listings" in book.sheetnames else book.worksheets[0]
    rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    book.close()
    return iter(rows)


def _csv_rows(content: bytes) -> Iterator[tuple]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    return iter([tuple(row) for row in csv.reader(io.StringIO(text))])


# -- checking one row ---------------------------------------------------------------------


def _word(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().lower())


def choice(vocabulary_code: str, text: str) -> str | None:
    """The code of the term ``text`` names (its code or its name, loosely), or None."""
    wanted = _word(text)
    for term in vocabulary(vocabulary_code).terms:
        if wanted in (_word(term.code), _word(term.name)):
            return term.code
    return None


def _split(value: Any) -> list[str]:
    return [part.strip() for part in re.split(r"[;,\n]", str(value)) if part.strip()]


def parse_int(value: Any) -> int | None:
    """A whole number from a cell, or None if it isn't one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip()
    return int(text) if re.fullmatch(r"-?\d+", text) else None


def parse_time(value: Any) -> dt.time | None:
    """A time from a cell: an Excel time, ``18:30``, ``18.30``, ``6:30pm`` or ``6pm``."""
    if isinstance(value, dt.datetime):
        return value.time().replace(microsecond=0)
    if isinstance(value, dt.time):
        return value.replace(microsecond=0)
    if isinstance(value, float) and 0 <= value < 1:
        seconds = round(value * 86400)
        return dt.time(seconds // 3600, seconds // 60 % 60)
    text = str(value).strip().lower().replace(" ", "")
    match = re.fullmatch(r"(\d{1,2})(?:[:.](\d{2}))?(?::(\d{2}))?(am|pm)?", text)
    if not match:
        return None
    hour, minute = int(match[1]), int(match[2] or 0)
    if match[4]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match[4] == "pm" else 0)
    elif match[2] is None:
        return None  # a bare number is too ambiguous to be a time
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def parse_date(value: Any) -> dt.date | None:
    """A date from a cell: an Excel date, ``2026-01-06`` or ``06/01/2026`` (day first)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def parse_yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "y", "true", "1"):
        return True
    if text in ("no", "n", "false", "0"):
        return False
    return None


def parse_repeats(value: Any) -> tuple[str, int] | None:
    """(freq, interval) from words: weekly, fortnightly, every 3 weeks, monthly..."""
    text = _word(str(value))
    named = {
        "weekly": ("WEEKLY", 1),
        "every week": ("WEEKLY", 1),
        "fortnightly": ("WEEKLY", 2),
        "every other week": ("WEEKLY", 2),
        "monthly": ("MONTHLY", 1),
        "every month": ("MONTHLY", 1),
    }
    if text in named:
        return named[text]
    match = re.fullmatch(r"every (\d+) (weeks?|months?)", text)
    if match and 1 <= int(match[1]) <= MAX_INTERVAL:
        return ("WEEKLY" if match[2].startswith("week") else "MONTHLY", int(match[1]))
    return None


def parse_days(value: Any, freq: str) -> tuple[str | None, str | None, str | None]:
    """(byday, bymonthday, problem) from words such as ``Tuesday; Thursday``, ``first
    Tuesday``, ``last Friday``, ``2TU`` or (monthly) dates such as ``1; 15``."""
    days, dates = [], []
    for part in _split(value):
        words = _word(part).split()
        code = re.fullmatch(r"(-?\d)?([a-z]{2})", words[0]) if len(words) == 1 else None
        if len(words) == 1 and words[0] in DAY_WORDS:
            days.append(DAY_WORDS[words[0]])
        elif code and code[2].upper() in DAYS and code[1]:
            days.append(f"{code[1]}{code[2].upper()}")
        elif len(words) == 2 and words[0] in ORDINALS and words[1] in DAY_WORDS:
            days.append(f"{ORDINALS[words[0]]}{DAY_WORDS[words[1]]}")
        elif len(words) == 1 and (number := parse_int(words[0])) is not None:
            if freq != "MONTHLY":
                return None, None, f"{part!r} is a date in the month, but it repeats weekly"
            if not 1 <= number <= 31:
                return None, None, f"{part!r} is not a day of the month"
            dates.append(str(number))
        else:
            return None, None, f"{part!r} is not a day (write e.g. Tuesday or first Tuesday)"
    if days and dates:
        return None, None, "give days of the week or dates in the month, not both"
    return (",".join(days) or None, ",".join(dates) or None, None)


@dataclass
class RowContext:
    """What checking a row needs besides the row."""

    locator: Locator
    organisation: Organisation | None
    session: Session
    seen: dict[str, int]


def check_row(
    number: int, cells: dict[str, Any], context: RowContext
) -> tuple[str, Organisation, dict]:
    """A row as (source_id, organisation, snapshot), or :class:`RowRejected` with every
    problem found in it (each with the column and the reason)."""
    problems: list[RowProblem] = []

    def problem(column: str, reason: str) -> None:
        problems.append(RowProblem(number, column, reason))

    def text(column: str) -> str | None:
        value = cells.get(column)
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        value = str(value).strip()
        limit = LIMITS.get(column)
        if limit and len(value) > limit:
            problem(column, f"is {len(value)} characters long; the most is {limit}")
        return value or None

    source_id = text("source_id")
    if source_id is None:
        problem("source_id", "is empty: every row needs its own reference")
    elif source_id in context.seen:
        problem("source_id", f"{source_id!r} is also used on row {context.seen[source_id]}")
    else:
        context.seen[source_id] = number
    name = text("name")
    if name is None:
        problem("name", "is empty")

    data: dict[str, Any] = {}
    for column, code in CHOICE_VOCABULARIES.items():
        value = text(column)
        if value is None:
            data[column] = None
            continue
        found = choice(code, value)
        if found is None:
            problem(column, f"{value!r} is not one of: {_choices(code)}")
        data[column] = found
    if cells.get("kind") is None:
        problem("kind", f"is empty: choose one of {_choices('kind')}")

    email = text("email")
    if email and (not EMAIL_RE.match(email) or len(email) > 254):
        problem("email", f"{email!r} is not an email address")
    website = text("website")
    if website and (not URL_RE.match(website) or len(website) > 500):
        problem("website", f"{website!r} is not a web address starting http:// or https://")

    ages = {}
    for column in ("min_age", "max_age"):
        value = cells.get(column)
        ages[column] = None if value is None else parse_int(value)
        if value is not None and (ages[column] is None or not 0 <= ages[column] <= 120):
            problem(column, f"{value!r} is not an age (a whole number from 0 to 120)")
            ages[column] = None
    if (
        ages["min_age"] is not None
        and ages["max_age"] is not None
        and ages["min_age"] > ages["max_age"]
    ):
        problem("max_age", "is below min_age")

    course_weeks = None
    if (value := cells.get("course_weeks")) is not None:
        course_weeks = parse_int(value)
        if course_weeks is None or not 1 <= course_weeks <= 104:
            problem("course_weeks", f"{value!r} is not a number of weeks (1 to 104)")
    if data["format"] == "course" and course_weeks is None and "course_weeks" not in cells:
        problem("course_weeks", "is empty: say how many weeks the course lasts")

    first_visit = False
    if (value := cells.get("first_visit_support")) is not None:
        first_visit = parse_yes_no(value)
        if first_visit is None:
            problem("first_visit_support", f"{value!r} is not yes or no")

    terms: dict[str, list[str]] = {code: [] for code in TERM_VOCABULARIES}
    for column, code in VOCABULARY_COLUMNS.items():
        if (value := cells.get(column)) is None:
            continue
        for part in _split(value):
            found = choice(code, part)
            if found is None:
                problem(column, f"{part!r} is not one of: {_choices(code)}")
            elif found not in terms[code]:
                terms[code].append(found)
        order = vocabulary(code).codes
        terms[code].sort(key=order.index)

    locations, broken_places = [], set()
    for n in range(1, LOCATIONS + 1):
        prefix = f"location_{n}_"
        if not any(key.startswith(prefix) for key in cells):
            continue
        postcode = text(prefix + "postcode")
        if postcode is None:
            problem(prefix + "postcode", f"is empty, but place {n} has other details")
            broken_places.add(n)
            continue
        try:
            matched, latitude, longitude = context.locator.place(postcode)
        except GeocodingError as error:
            problem(prefix + "postcode", str(error))
            broken_places.add(n)
            continue
        place = {
            "name": text(prefix + "name"),
            "address_1": text(prefix + "address") or "",
            "address_2": text(prefix + "address_2"),
            "city": text(prefix + "town") or "",
            "postcode": matched,
            "latitude": latitude,
            "longitude": longitude,
        }
        for key, column, limit in PLACE_LIMITS:
            if place[key] and len(place[key]) > limit:
                problem(prefix + column, f"is longer than {limit} characters")
        locations.append((n, place))
    location_numbers = [n for n, _ in locations]

    schedules, links = [], []
    for n in range(1, SCHEDULES + 1):
        prefix = f"schedule_{n}_"
        if not any(key.startswith(prefix) for key in cells):
            continue
        schedule = _check_schedule(prefix, cells, problem)
        if schedule is None:
            continue
        link = None
        if (value := cells.get(prefix + "location")) is not None:
            place_number = parse_int(value)
            if place_number in broken_places:
                continue  # the place itself is already reported
            if place_number not in location_numbers:
                problem(prefix + "location", f"{value!r} is not one of this row's places")
                continue
            link = location_numbers.index(place_number)
        schedules.append(schedule)
        links.append(link)

    attendance = data["attendance"] or ("in_person" if locations else "online")
    if attendance in ("in_person", "both") and not locations and "attendance" in cells:
        problem("attendance", "is in person, but the row has no place: fill in location_1_postcode")
    if (
        not locations
        and cells.get("attendance") is None
        and any(key.startswith("location_") for key in cells)
    ):
        attendance = "in_person"  # its place was rejected above; keep the row's intent

    organisation = context.organisation
    if organisation is None:
        organisation_name = text("organisation")
        if organisation_name is None:
            problem(
                "organisation", "is empty: say who runs it, or choose one organisation for the file"
            )
        else:
            organisation = _organisation_named(context.session, organisation_name)

    summary, phone, cost_details = text("summary"), text("phone"), text("cost_details")
    if problems:
        raise RowRejected(problems)
    description = text("description") or ""
    data.update(
        {
            "name": name,
            "summary": summary or _summary(description),
            "description": description,
            "status": data["status"] or "active",
            "phone": phone,
            "email": email,
            "url": website,
            "how_to_join": data["how_to_join"] or "drop_in",
            "cost": data["cost"] or "free",
            "cost_description": cost_details,
            "min_age": ages["min_age"],
            "max_age": ages["max_age"],
            "languages": list(dict.fromkeys(_split(cells["languages"])))
            if "languages" in cells
            else [],
            "format": data["format"] or "ongoing",
            "course_weeks": course_weeks,
            "first_visit_support": bool(first_visit),
            "welcome_statement": text("welcome_statement"),
            "attendance": attendance,
            "terms": terms,
            "locations": [place for _, place in locations],
            "schedules": schedules,
        }
    )
    data["schedule_links"] = links
    return source_id, organisation, data


def _summary(description: str) -> str:
    from importers.openreferral import summarise

    return summarise(description)


def _check_schedule(
    prefix: str, cells: dict[str, Any], problem: Callable[[str, str], None]
) -> dict | None:
    ok = True
    repeats = cells.get(prefix + "repeats")
    parsed = parse_repeats(repeats) if repeats is not None else ("WEEKLY", 1)
    if parsed is None:
        problem(
            prefix + "repeats", f"{repeats!r} is not weekly, fortnightly, every N weeks or monthly"
        )
        return None
    freq, interval = parsed
    byday = bymonthday = None
    if (days := cells.get(prefix + "days")) is None:
        problem(prefix + "days", "is empty: say which days")
        ok = False
    else:
        byday, bymonthday, trouble = parse_days(days, freq)
        if trouble:
            problem(prefix + "days", trouble)
            ok = False
    times = {}
    for column in ("opens", "closes"):
        value = cells.get(prefix + column)
        times[column] = None if value is None else parse_time(value)
        if value is not None and times[column] is None:
            problem(prefix + column, f"{value!r} is not a time (write e.g. 18:30)")
            ok = False
    dates = {}
    for column in ("from", "to"):
        value = cells.get(prefix + column)
        dates[column] = None if value is None else parse_date(value)
        if value is not None and dates[column] is None:
            problem(prefix + column, f"{value!r} is not a date (write e.g. 2026-01-31)")
            ok = False
    if not ok:
        return None
    errors = validate_schedule(
        freq,
        interval,
        byday,
        times["opens"],
        times["closes"],
        dates["from"],
        dates["to"],
        bymonthday,
    )
    columns = {"freq": "repeats", "interval": "repeats", "byday": "days", "bymonthday": "days",
               "closes_at": "closes", "valid_to": "to"}  # fmt: skip
    for field, message in errors.items():
        problem(prefix + columns.get(field, field), message)
    if errors:
        return None
    notes = cells.get(prefix + "notes")
    return {
        "freq": freq,
        "interval": interval,
        "byday": byday,
        "bymonthday": bymonthday,
        "dtstart": None,
        "opens_at": times["opens"].isoformat() if times["opens"] else None,
        "closes_at": times["closes"].isoformat() if times["closes"] else None,
        "valid_from": dates["from"].isoformat() if dates["from"] else None,
        "valid_to": dates["to"].isoformat() if dates["to"] else None,
        "description": str(notes).strip() if notes is not None else None,
    }


def _organisation_named(session: Session, name: str) -> Organisation:
    """The organisation called ``name`` (any case), created the first time it is seen."""
    found = session.scalar(
        select(Organisation).where(func.lower(Organisation.name) == name.lower())
    )
    if found is not None:
        return found
    organisation = Organisation(id=stable_id("organisation", name.lower()), name=name)
    session.add(organisation)
    session.flush()
    return organisation


# -- importing -------------------------------------------------------------------------


def import_spreadsheet(
    session: Session,
    rows: list[tuple[int, dict[str, Any]]],
    source: ImportSource,
    *,
    actor: User | None,
    locator: Locator,
    organisation: Organisation | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import read spreadsheet rows from ``source``, each row in its own savepoint."""
    summary = ImportSummary(source=source.name, dry_run=dry_run)
    context = RowContext(locator=locator, organisation=organisation, session=session, seen={})

    def write(number: int, cells: dict[str, Any]) -> str:
        source_id, owner, data = check_row(number, cells, context)
        links = data.pop("schedule_links")
        outcome, _ = write_listing(
            session, actor, source, owner, source_id, data, schedule_locations=links
        )
        return outcome

    return run_rows(session, summary, rows, write, dry_run=dry_run, progress=progress)


def run_spreadsheet(
    session: Session,
    content: bytes,
    filename: str,
    *,
    actor: User | None,
    locator: Locator,
    source_name: str | None = None,
    organisation: Organisation | None = None,
    trusted: bool | None = None,
    dry_run: bool = False,
    progress_factory: Callable[[int], Any] | None = None,
) -> ImportSummary:
    """Read a spreadsheet and import it; a file that can't be read raises
    :class:`SpreadsheetError` and imports nothing."""
    _, rows = read_rows(content, filename)
    source = find_or_create_source(
        session, source_name or f"spreadsheet:{Path(filename).name}", "spreadsheet",
        organisation=organisation,
    )  # fmt: skip
    if trusted is not None:
        source.trusted = trusted
    if not dry_run:
        session.commit()
    arguments = {
        "actor": actor,
        "locator": locator,
        "organisation": organisation,
        "dry_run": dry_run,
    }
    summary = run_with_progress(
        len(rows), progress_factory, partial(import_spreadsheet, session, rows, source, **arguments)
    )
    return complete_run(session, source, summary, dry_run=dry_run)


# -- the template ----------------------------------------------------------------------


def template_xlsx() -> bytes:
    """The downloadable template: a Listings sheet (headers and one example row) and a
    Guide sheet describing every column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    columns = template_columns()
    book = Workbook()
    sheet = book.active
    sheet.title = "Listings"
    sheet.append([c.name for c in columns])
    sheet.append([c.example or None for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    guide = book.create_sheet("Guide")
    guide.append(["column", "required", "what goes in it", "example"])
    for c in columns:
        guide.append([c.name, "yes" if c.required else "", c.help, c.example])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def template_csv() -> str:
    """The template as CSV: the header row and one example row."""
    columns = template_columns()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.name for c in columns])
    writer.writerow([c.example for c in columns])
    return buffer.getvalue()
