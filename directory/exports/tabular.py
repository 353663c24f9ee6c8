"""Search results as a table: the columns, and CSV and XLSX files of them.

One row per listing, in the search's order, with what a practitioner needs to pass the
options on: what it is, who runs it, when and where, how to join and how to get in
touch. Practitioners' ratings are not exported: the file may be handed to anyone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from directory import schedules
from directory.models import Listing
from directory.vocabularies import label

# Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` made safe to put into a spreadsheet cell.

    Text that a spreadsheet would run as a formula (starting ``=``, ``+``, ``-``, ``@``,
    tab or carriage return) gets a leading apostrophe, so a listing's text can never run
    code on the reader's machine. Numbers, booleans and None pass unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    """One exported column: its heading and how to read it from a listing.

    The reader also gets the listing's distance from the searched place in km, when
    there was one.
    """

    heading: str
    read: Callable[[Listing, float | None], Any]


def _place(listing: Listing) -> str:
    if not listing.locations:
        return "Online" if listing.is_online else ""
    return "; ".join(location.address for location in listing.locations)


def _terms(vocabulary_code: str) -> Callable[[Listing, float | None], str]:
    return lambda listing, _: "; ".join(t.name for t in listing.terms_in(vocabulary_code))


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def _distance(listing: Listing, distance_km: float | None) -> float | None:
    return None if distance_km is None else round(distance_km, 1)


def _website_page(listing: Listing) -> str:
    from flask import url_for

    return url_for("listings.listing_page", listing_id=listing.id, _external=True)


COLUMNS: tuple[Column, ...] = (
    Column("Name", lambda listing, _: listing.name),
    Column("Kind", lambda listing, _: label("kind", listing.kind)),
    Column("Organisation", lambda listing, _: listing.organisation.name),
    Column("Summary", lambda listing, _: listing.summary),
    Column("CIVIC domains", _terms("civic_domain")),
    Column("When", lambda listing, _: "; ".join(schedules.describe(s) for s in listing.schedules)),
    Column("Where", lambda listing, _: _place(listing)),
    Column(
        "Postcode",
        lambda listing, _: "; ".join(location.postcode for location in listing.locations),
    ),
    Column("Distance (km)", _distance),
    Column("Online", lambda listing, _: _yes_no(listing.is_online)),
    Column("How to join", lambda listing, _: label("how_to_join", listing.how_to_join)),
    Column("Cost", lambda listing, _: label("cost", listing.cost)),
    Column("Cost details", lambda listing, _: listing.cost_description or ""),
    Column(
        "Run by",
        lambda listing, _: (
            label("delivered_by", listing.delivered_by) if listing.delivered_by else ""
        ),
    ),
    Column("First visit support", lambda listing, _: _yes_no(listing.first_visit_support)),
    Column("Who it is for", _terms("audience")),
    Column("Accessibility", _terms("accessibility")),
    Column("Phone", lambda listing, _: listing.phone or ""),
    Column("Email", lambda listing, _: listing.email or ""),
    Column("Website", lambda listing, _: listing.url or ""),
    Column(
        "Last checked",
        lambda listing, _: (
            listing.last_verified_at.date().isoformat() if listing.last_verified_at else ""
        ),
    ),
    Column("Directory page", lambda listing, _: _website_page(listing)),
)


def result_rows(listings: Iterable[Listing], distances: dict[str, float | None]) -> list[list[Any]]:
    """The heading row, then one row per listing in the given order.

    Every cell is made safe with :func:`safe_cell`. Needs an app context (for the listing
    page links).
    """
    rows: list[list[Any]] = [[column.heading for column in COLUMNS]]
    for listing in listings:
        distance = distances.get(listing.id)
        rows.append([safe_cell(column.read(listing, distance)) for column in COLUMNS])
    return rows


def as_csv(rows: Sequence[Sequence[Any]]) -> bytes:
    """``rows`` as UTF-8 CSV with a byte-order mark, so Excel reads £ and accents right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([["" if cell is None else cell for cell in row] for row in rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_xlsx(rows: Sequence[Sequence[Any]], title: str = "Search results") -> bytes:
    """``rows`` as an XLSX workbook with one sheet.

    Headings are bold and frozen, and columns wide enough to read.
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    for row in rows:
        sheet.append(list(row))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, heading in enumerate(rows[0] if rows else [], start=1):
        longest = max((len(str(row[index - 1] or "")) for row in rows), default=len(heading))
        sheet.column_dimensions[get_column_letter(index)].width = min(60, max(10, longest + 2))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
