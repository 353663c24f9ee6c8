"""Fixtures for the importers: spreadsheets built in memory, a loopback HTTP server."""

from __future__ import annotations

import csv
import http.server
import io
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from directory.geo import get_geocoder
from importers.runner import Locator
from importers.spreadsheet import template_columns

HEADERS = [c.name for c in template_columns()]
# Real postcodes in the test postcode table.
POSTCODES = ("PL4 8AA", "NG1 1GJ", "NG1 2JG", "E1 0NX", "E2 6BG", "EX1 1UN")


def good_row(n: int, **overrides) -> dict:
    """A complete, valid template row; ``n`` makes its id and name unique."""
    row = {
        "source_id": f"ROW-{n:05d}",
        "name": f"Imported group {n}",
        "kind": ("group", "place", "activity")[n % 3],
        "organisation": f"Import Org {n % 7}",
        "summary": "A friendly group.",
        "description": "People meet for tea and a chat.",
        "email": f"group{n}@example.org",
        "website": "https://example.org/group",
        "how_to_join": "drop_in",
        "cost": ("free", "low_cost", "paid")[n % 3],
        "min_age": "18",
        "languages": "English; Polish",
        "delivered_by": "peers",
        "first_visit_support": "yes" if n % 2 else "no",
        "domains": "involvement; cared_for" if n % 2 else "closeness",
        "audiences": "carers" if n % 5 == 0 else "",
        "location_1_name": "Community Hall",
        "location_1_address": f"{n} Test Street",
        "location_1_town": "Plymouth",
        "location_1_postcode": POSTCODES[n % len(POSTCODES)],
        "schedule_1_repeats": ("weekly", "fortnightly", "monthly")[n % 3],
        "schedule_1_days": ("Tuesday", "Thursday", "first Monday")[n % 3],
        "schedule_1_opens": "10:00",
        "schedule_1_closes": "12:00",
        "schedule_1_location": "1",
    }
    row.update(overrides)
    return row


def xlsx_bytes(rows: list[dict], headers: list[str] = HEADERS) -> bytes:
    """An XLSX with the template's headers and these rows."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Listings"
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h) if row.get(h) != "" else None for h in headers])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[dict], headers: list[str] = HEADERS) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=headers, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


@pytest.fixture
def locator(app) -> Locator:
    return Locator(get_geocoder(app))


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str, bytes], Path]:
    def write(name: str, content: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(content)
        return path

    return write


class Pages(http.server.BaseHTTPRequestHandler):
    """Serves ``routes`` (path with query → JSON bytes) and records what was asked."""

    routes: dict[str, bytes] = {}
    asked: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (the http.server name)
        self.asked.append(self.path)
        body = self.routes.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[tuple[str, dict[str, bytes], list[str]]]:
    """A loopback HTTP server: (base URL, routes to fill in, paths asked for)."""
    handler = type("Handler", (Pages,), {"routes": {}, "asked": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.routes, handler.asked
    finally:
        server.shutdown()
        server.server_close()
