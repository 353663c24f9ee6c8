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
from dataclasses import field as dataclass_field
from functools import partial
from pathlib import Path
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from directory.geo import GeocodingError
from directory.listings.cleaning import clean_listing_data
from directory.listings.suggestions import apply_suggestions
from directory.models import ImportSource, Organisation, User, stable_id
from directory.rules.listing_input import (
    SPREADSHEET,
    ListingInput,
    flatten,
    match_term,
    parse_whole_number,
    read_vocabularies,
    too_long,
)
from directory.schedules import MAX_INTERVAL
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
    suggest_for_import,
    write_listing,
)

LOCATIONS = 2
SCHEDULES = 3


@dataclass(frozen=True)
class Column:
    """One template column.

    Its header, whether it must be filled, what goes in it, and an example value.
    """

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
# The spreadsheet's own columns and their limits; a listing's limits are the schema's.
LIMITS = {"source_id": 200, "organisation": 200}
# Snapshot field: the column it is read from.
ROW_FIELDS = {
    "kind": "kind", "name": "name", "summary": "summary", "description": "description",
    "status": "status", "phone": "phone", "email": "email", "url": "website",
    "how_to_join": "how_to_join", "cost": "cost", "cost_description": "cost_details",
    "min_age": "min_age", "max_age": "max_age", "languages": "languages",
    "delivered_by": "delivered_by", "format": "format", "course_weeks": "course_weeks",
    "first_visit_support": "first_visit_support", "group_size": "group_size",
    "mental_health_focus": "mental_health_focus", "welcome_statement": "welcome_statement",
    "attendance": "attendance",
}  # fmt: skip
# What an empty column means (the template's documented defaults).
ROW_DEFAULTS = {"status": "active", "how_to_join": "drop_in", "cost": "free", "format": "ongoing"}
TERM_COLUMNS = {code: column for column, code in VOCABULARY_COLUMNS.items()}
PLACE_COLUMNS = {"name": "name", "address_1": "address", "address_2": "address_2",
                 "city": "town", "postcode": "postcode"}  # fmt: skip
SCHEDULE_COLUMNS = {"freq": "repeats", "interval": "repeats", "byday": "days",
                    "bymonthday": "days", "opens_at": "opens", "closes_at": "closes",
                    "valid_from": "from", "valid_to": "to", "description": "notes"}  # fmt: skip
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


# Hostile or broken files are refused with a message, quickly and in bounded memory.
MAX_ROWS = 20_000  # listings in one sheet; a whole county's directory is a few thousand
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024  # an XLSX is a zip: refuse a "zip bomb"
TOO_MANY_ROWS = (
    "This sheet has more than {limit:,} rows. Split it into files of up to {limit:,} "
    "listings and import each."
)


def _xlsx_rows(content: bytes) -> Iterator[tuple]:
    import zipfile

    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unzipped = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise SpreadsheetError("This is not a readable XLSX file (it is not a zip).") from None
    if unzipped > MAX_UNZIPPED_BYTES:
        raise SpreadsheetError(
            "This XLSX file unpacks to more than 200 MB; it is not a listings sheet."
        )
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = book["Listings"] if "Listings" in book.sheetnames else book.worksheets[0]
        # The sheet's stated size, when it gives one, refuses a huge sheet before reading.
        if (sheet.max_row or 0) > MAX_ROWS + 1:
            book.close()
            raise SpreadsheetError(TOO_MANY_ROWS.format(limit=MAX_ROWS))
        rows = []
        for row in sheet.iter_rows(values_only=True):
            if len(rows) > MAX_ROWS:
                raise SpreadsheetError(TOO_MANY_ROWS.format(limit=MAX_ROWS))
            rows.append(tuple(row))
        book.close()
    except SpreadsheetError:
        raise
    except Exception as error:  # openpyxl raises many kinds for a file that isn't XLSX
        raise SpreadsheetError(
            f"This is not a readable XLSX file ({type(error).__name__})."
        ) from None
    return iter(rows)


def _csv_rows(content: bytes) -> Iterator[tuple]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    rows = []
    reader = csv.reader(io.StringIO(text))
    try:
        for row in reader:
            if len(rows) > MAX_ROWS:
                raise SpreadsheetError(TOO_MANY_ROWS.format(limit=MAX_ROWS))
            rows.append(tuple(row))
    except csv.Error as error:
        # csv's own field limit (128 KiB) is far beyond any real cell.
        if "field larger than field limit" in str(error):
            raise SpreadsheetError(
                f"Row {reader.line_num} has a cell longer than 128 KiB; no listing needs "
                "that much. Shorten it and import again."
            ) from None
        raise SpreadsheetError(
            f"This is not a readable CSV file (line {reader.line_num}: {error})."
        ) from None
    return iter(rows)


# -- checking one row ---------------------------------------------------------------------


def _word(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().lower())


def choice(vocabulary_code: str, text: str) -> str | None:
    """The code of the term ``text`` names (its code or its name, loosely), or None."""
    return match_term(read_vocabularies()[vocabulary_code], text)


def _split(value: Any) -> list[str]:
    return [part.strip() for part in re.split(r"[;,\n]", str(value)) if part.strip()]


parse_int = parse_whole_number


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
    """(byday, bymonthday, problem) from day words.

    Words such as ``Tuesday; Thursday``, ``first Tuesday``, ``last Friday``, ``2TU`` or
    (monthly) dates such as ``1; 15``.
    """
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
    schema: ListingInput = dataclass_field(
        default_factory=lambda: ListingInput(require=SPREADSHEET)
    )
    # Organisations the rows created (proposed until a moderator approves a listing).
    created: list[str] = dataclass_field(default_factory=list)


Problem = Callable[[str, str], None]
# Schedule fields read from a time's columns, and how (what can't be read is passed on).
SCHEDULE_CELLS = (
    ("opens_at", "opens", parse_time),
    ("closes_at", "closes", parse_time),
    ("valid_from", "from", parse_date),
    ("valid_to", "to", parse_date),
)


def check_row(
    number: int, cells: dict[str, Any], context: RowContext
) -> tuple[str, Organisation, dict]:
    """A row as (source_id, organisation, snapshot), or :class:`RowRejected`.

    The rejection lists every problem found in the row, each with the column and the
    reason. The cells are read into listing input (:func:`row_input`) and checked by the
    one listing schema (:class:`directory.rules.listing_input.ListingInput`), so a row gets
    the messages the form gives; what only a spreadsheet has (its own reference, the
    organisation, day and time words, which place a time is at) is checked here.
    """
    problems: list[RowProblem] = []

    def problem(column: str, reason: str) -> None:
        problems.append(RowProblem(number, column, reason))

    source_id = _source_id(number, cells, context, problem)
    organisation = _row_organisation(cells, context, problem)
    places = _read_places(cells)
    times = _read_schedules(cells, [n for n, _ in places], problem)
    raw = row_input(cells, [place for _, place in places], [s for _, s, _ in times])
    # Markup made safe and web addresses usable before the rules check them (issue 18).
    raw, notes = clean_listing_data(raw)
    try:
        data = context.schema.load_listing(raw)
    except ValidationError as error:
        for path, message in flatten(error.messages):  # type: ignore[arg-type]
            problem(_column(path, places, times), message)
        data = None
    located = _locate_places(places, context.locator, problem)
    if problems or data is None:
        raise RowRejected(problems)
    data["locations"] = [located[n] for n, _ in places]
    data["row_notes"] = notes
    data["schedule_links"] = [
        None if link is None else [n for n, _ in places].index(link) for _, _, link in times
    ]
    return source_id, organisation, data  # type: ignore[return-value]


def _cell_text(cells: dict[str, Any], column: str) -> str | None:
    value = cells.get(column)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() or None


def _source_id(
    number: int, cells: dict[str, Any], context: RowContext, problem: Problem
) -> str | None:
    source_id = _cell_text(cells, "source_id")
    if source_id is None:
        problem("source_id", "is empty: every row needs its own reference")
    elif len(source_id) > LIMITS["source_id"]:
        problem("source_id", too_long(len(source_id), LIMITS["source_id"]))
    elif source_id in context.seen:
        problem("source_id", f"{source_id!r} is also used on row {context.seen[source_id]}")
    else:
        context.seen[source_id] = number
    return source_id


def _row_organisation(
    cells: dict[str, Any], context: RowContext, problem: Problem
) -> Organisation | None:
    if context.organisation is not None:
        return context.organisation
    name = _cell_text(cells, "organisation")
    if name is None:
        problem(
            "organisation", "is empty: say who runs it, or choose one organisation for the file"
        )
        return None
    if len(name) > LIMITS["organisation"]:
        problem("organisation", too_long(len(name), LIMITS["organisation"]))
        return None
    return _organisation_named(context.session, name, context.created)


def row_input(
    cells: dict[str, Any], places: list[dict[str, Any]], schedules: list[dict[str, Any]]
) -> dict[str, Any]:
    """A row's cells as listing input.

    The columns go under the snapshot's field names, with the template's defaults for
    empty ones.
    """
    raw: dict[str, Any] = {field: cells.get(column) for field, column in ROW_FIELDS.items()}
    for field, default in ROW_DEFAULTS.items():
        if _blank(raw[field]):
            raw[field] = default
    if _blank(raw["attendance"]):
        has_place = any(key.startswith("location_") for key in cells)
        raw["attendance"] = "in_person" if has_place else "online"
    if _blank(raw["summary"]):
        raw["summary"] = _summary(_cell_text(cells, "description") or "")
    raw["languages"] = _split(cells["languages"]) if "languages" in cells else []
    raw["terms"] = {
        code: _split(cells[column]) if column in cells else []
        for column, code in VOCABULARY_COLUMNS.items()
    }
    raw["locations"], raw["schedules"] = places, schedules
    return raw


def _read_places(cells: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """The places a row fills in, numbered as in its columns, in the schema's words."""
    places = []
    for n in range(1, LOCATIONS + 1):
        prefix = f"location_{n}_"
        if any(key.startswith(prefix) for key in cells):
            places.append(
                (n, {field: cells.get(prefix + column) for field, column in PLACE_COLUMNS.items()})
            )
    return places


def _locate_places(
    places: list[tuple[int, dict[str, Any]]], locator: Locator, problem: Problem
) -> dict[int, dict[str, Any]]:
    """Each place with a postcode, placed on the map.

    A postcode that can't be placed is a problem in its column.
    """
    located = {}
    for n, place in places:
        postcode = _cell_text(place, "postcode")
        if postcode is None:
            continue  # reported by the schema
        try:
            matched, latitude, longitude = locator.place(postcode)
        except GeocodingError as error:
            problem(f"location_{n}_postcode", str(error))
            continue
        located[n] = {
            "name": _cell_text(place, "name"),
            "address_1": _cell_text(place, "address_1") or "",
            "address_2": _cell_text(place, "address_2"),
            "city": _cell_text(place, "city") or "",
            "postcode": matched,
            "latitude": latitude,
            "longitude": longitude,
        }
    return located


def _read_schedules(
    cells: dict[str, Any], place_numbers: list[int], problem: Problem
) -> list[tuple[int, dict[str, Any], int | None]]:
    """(number, schedule input, place number) for each time a row fills in.

    Only times whose words can be read; words that can't are problems in their columns.
    """
    found = []
    for n in range(1, SCHEDULES + 1):
        prefix = f"schedule_{n}_"
        if not any(key.startswith(prefix) for key in cells):
            continue
        schedule = _read_schedule(prefix, cells, problem)
        link = None
        if (value := cells.get(prefix + "location")) is not None:
            link = parse_int(value)
            if link not in place_numbers:
                problem(prefix + "location", f"{value!r} is not one of this row's places")
                continue
        if schedule is not None:
            found.append((n, schedule, link))
    return found


def _read_schedule(prefix: str, cells: dict[str, Any], problem: Problem) -> dict[str, Any] | None:
    """One time's columns as schedule input, or None if its words can't be read.

    Times and dates that can't be read are passed on as written, for the schema to
    reject.
    """
    repeats = cells.get(prefix + "repeats")
    parsed = parse_repeats(repeats) if repeats is not None else ("WEEKLY", 1)
    if parsed is None:
        problem(
            prefix + "repeats", f"{repeats!r} is not weekly, fortnightly, every N weeks or monthly"
        )
        return None
    freq, interval = parsed
    byday = bymonthday = None
    if (days := cells.get(prefix + "days")) is not None:
        byday, bymonthday, trouble = parse_days(days, freq)
        if trouble:
            problem(prefix + "days", trouble)
            return None
    schedule: dict[str, Any] = {"freq": freq, "interval": interval, "byday": byday,
                                "bymonthday": bymonthday, "dtstart": None}  # fmt: skip
    for field, column, parse in SCHEDULE_CELLS:
        value = cells.get(prefix + column)
        schedule[field] = None if value is None else (parse(value) or value)
    notes = cells.get(prefix + "notes")
    schedule["description"] = str(notes).strip() if notes is not None else None
    return schedule


def _column(
    path: tuple,
    places: list[tuple[int, dict[str, Any]]],
    times: list[tuple[int, dict[str, Any], int | None]],
) -> str:
    """The column a schema error is about.

    ``("schedules", 0, "closes_at")`` is ``schedule_N_closes`` for the row's Nth
    filled-in time.
    """
    head = path[0]
    if head == "terms" and len(path) > 1:
        return TERM_COLUMNS[path[1]]
    if head == "locations" and len(path) > 2:
        if not places:
            return "attendance"  # in person, but no place at all
        return f"location_{places[path[1]][0]}_{PLACE_COLUMNS[path[2]]}"
    if head == "schedules" and len(path) > 2:
        return f"schedule_{times[path[1]][0]}_{SCHEDULE_COLUMNS.get(path[2], path[2])}"
    return ROW_FIELDS.get(head, head)


def _summary(description: str) -> str:
    from importers.openreferral import summarise

    return summarise(description)


def _organisation_named(
    session: Session, name: str, created: list[str] | None = None
) -> Organisation:
    """The organisation called ``name`` (any case), created the first time it is seen.

    A new one is noted in ``created``: it is proposed, not public, until a moderator
    approves one of its listings (or, from a trusted source, they publish).
    """
    found = session.scalar(
        select(Organisation).where(func.lower(Organisation.name) == name.lower())
    )
    if found is not None:
        return found
    organisation = Organisation(id=stable_id("organisation", name.lower()), name=name)
    session.add(organisation)
    session.flush()
    if created is not None:
        created.append(organisation.id)
    return organisation


# -- importing -------------------------------------------------------------------------

TEMPLATE_EXAMPLE = (
    "is the template's example row, not a real listing: delete it, or put your own "
    "listing in its place"
)


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
    summary = ImportSummary(source=source.name, dry_run=dry_run, source_id=source.id)
    context = RowContext(locator=locator, organisation=organisation, session=session, seen={})

    def write(number: int, cells: dict[str, Any]) -> str:
        summary.row_names[number] = (_cell_text(cells, "name") or "")[:200]
        if is_template_example(cells):
            raise RowRejected([RowProblem(number, "", TEMPLATE_EXAMPLE)])
        source_id, owner, data = check_row(number, cells, context)
        links = data.pop("schedule_links")
        notes = data.pop("row_notes", [])
        suggestion = suggest_for_import(session, source, source_id, data)
        outcome, listing = write_listing(
            session, actor, source, owner, source_id, data, schedule_locations=links, notes=notes
        )
        if suggestion is not None and outcome != "pending":
            apply_suggestions(session, listing, suggestion)
        summary.listing_ids.append(listing.id)
        summary.warnings.extend(RowProblem(number, "", note) for note in notes)
        return outcome

    def note_organisations() -> None:
        from importers.openreferral import note_organisations

        summary.organisations_created = context.created
        note_organisations(session, source, summary)

    return run_rows(
        session,
        summary,
        rows,
        write,
        dry_run=dry_run,
        progress=progress,
        before_end=note_organisations,
    )


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
    """Read a spreadsheet and import it.

    A file that can't be read raises :class:`SpreadsheetError` and imports nothing.
    """
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
    """The downloadable template.

    A Listings sheet with the column names only (everything below them is imported), and
    a Guide sheet describing every column, then an example row laid out as the Listings
    sheet: on the Guide it is never imported as a real listing (issue 15).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    columns = template_columns()
    book = Workbook()
    sheet = book.active
    sheet.title = "Listings"
    sheet.append([c.name for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    guide = book.create_sheet("Guide")
    guide.append(["column", "required", "what goes in it", "example"])
    for c in columns:
        guide.append([c.name, "yes" if c.required else "", c.help, c.example])
    guide.append([])
    guide.append([EXAMPLE_HEADING])
    guide[guide.max_row][0].font = Font(bold=True)
    guide.append([c.name for c in columns])
    guide.append([c.example or None for c in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


EXAMPLE_HEADING = (
    "An example row, laid out as the Listings sheet. Copy its pattern into the Listings "
    "sheet; this Guide sheet is never imported."
)


def template_csv() -> str:
    """The template as CSV: the column names only (the example is in the XLSX Guide)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([c.name for c in template_columns()])
    return buffer.getvalue()


def is_template_example(cells: dict[str, Any]) -> bool:
    """Whether a row is the template's own example, copied in by mistake.

    Its reference, name, phone and email all as the example has them (the phone is one of
    Ofcom's numbers reserved for drama, so no real listing has it).
    """
    examples = {c.name: c.example for c in template_columns()}
    return all(
        _cell_text(cells, column) == examples[column]
        for column in ("source_id", "name", "phone", "email")
    )
