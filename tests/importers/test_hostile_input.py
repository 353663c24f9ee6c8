"""Everything an importer reads is hostile until checked (issue 18).

Each kind of bad input is a clear message from the CLI and the page, quickly, with
nothing written.
"""

from __future__ import annotations

import io
import json
import time
import zipfile

import pytest
from sqlalchemy import func, select

from directory.models import Listing, Organisation
from tests.importers.conftest import HEADERS, csv_bytes, good_row, xlsx_bytes


def listing_count(db) -> int:
    return db.session.scalar(select(func.count(Listing.id)))


def run(runner, *args):
    """The command's result, and how long it took.

    Printed with -s; the guide keeps timing out of assertions: each of these takes well
    under a second here.
    """
    started = time.monotonic()
    result = runner.invoke(args=list(args))
    seconds = time.monotonic() - started
    print(f"{' '.join(args[:2])}: {seconds:.2f} s")
    return result, seconds


def test_a_broken_xlsx_is_a_message(db, runner, write_file):
    good = xlsx_bytes([good_row(1)])
    for content in (b"PK\x03\x04 not really a zip", good[: len(good) // 2], b"\x00" * 100):
        path = write_file("broken.xlsx", content)
        result, seconds = run(runner, "import", "spreadsheet", str(path))
        assert result.exit_code == 1 and "This is not a readable XLSX file" in result.output
    assert listing_count(db) == 0


def test_an_xlsx_zip_bomb_is_refused(db, runner, write_file):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (210 * 1024 * 1024))
    path = write_file("bomb.xlsx", buffer.getvalue())
    result, seconds = run(runner, "import", "spreadsheet", str(path))
    assert result.exit_code == 1 and "unpacks to more than 200 MB" in result.output


def test_a_csv_cell_over_128_kib_is_a_message(db, runner, write_file):
    content = csv_bytes([good_row(1), good_row(2, description="x" * (129 * 1024))])
    path = write_file("huge-cell.csv", content)
    result, seconds = run(runner, "import", "spreadsheet", str(path))
    assert result.exit_code == 1, result.output
    assert "has a cell longer than 128 KiB" in result.output
    assert listing_count(db) == 0


def _sheet_xml(rows: int) -> bytes:
    """A worksheet with ``rows`` rows that says how big it is, as Excel writes it."""
    body = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>x</t></is></c></row>'
                   for n in range(1, rows + 1))  # fmt: skip
    return (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
        f'.org/spreadsheetml/2006/main"><dimension ref="A1:A{rows}"/><sheetData>{body}'
        "</sheetData></worksheet>"
    ).encode()


def _replace_sheet(xlsx: bytes, sheet: bytes) -> bytes:
    source, target = zipfile.ZipFile(io.BytesIO(xlsx)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = sheet if item.filename == "xl/worksheets/sheet1.xml" else source.read(item)
            out.writestr(item, data)
    return target.getvalue()


def test_a_200000_row_sheet_is_refused_quickly(db, runner, write_file):
    xlsx = _replace_sheet(xlsx_bytes([good_row(1)]), _sheet_xml(200_000))
    result, seconds = run(runner, "import", "spreadsheet", str(write_file("big.xlsx", xlsx)))
    assert result.exit_code == 1 and "more than 20,000 rows" in result.output
    header = ",".join(HEADERS) + "\n"
    row = ",".join("x" for _ in HEADERS) + "\n"
    path = write_file("big.csv", (header + row * 200_000).encode())
    result, seconds = run(runner, "import", "spreadsheet", str(path))
    assert result.exit_code == 1 and "more than 20,000 rows" in result.output
    assert listing_count(db) == 0


@pytest.mark.parametrize(
    "text",
    [
        "[" * 10_000 + "]" * 10_000,
        '{"a":' * 10_000 + "1" + "}" * 10_000,
        '{"contents": [' + "[" * 100 + "]" * 100 + "]}",
    ],
    ids=["arrays", "objects", "past-the-limit"],
)
def test_json_nested_deeply_is_a_message(db, runner, write_file, text):
    path = write_file("deep.json", text.encode())
    result, seconds = run(runner, "import", "openreferral", str(path))
    assert result.exit_code == 1, result.output
    assert "nested" in result.output and "deep" in result.output
    assert listing_count(db) == 0


def test_deep_json_uploaded_to_the_page_is_a_400_with_the_message(db, client_as):
    moderator = client_as("moderator")
    db.session.commit()
    response = moderator.post(
        "/moderation/imports",
        data={
            "kind": "openreferral",
            "upload": (io.BytesIO(("[" * 10_000 + "]" * 10_000).encode()), "deep.json"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.get_data(as_text=True)


def _ics(*events: str) -> bytes:
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:{n}@test\r\n{event}\r\nEND:VEVENT\r\n"
        for n, event in enumerate(events)
    )
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + body + "END:VCALENDAR\r\n"
    ).encode()


GOOD_EVENT = "SUMMARY:Tuesday craft group\r\nDTSTART:20260106T100000Z\r\nRRULE:FREQ=WEEKLY"


@pytest.mark.parametrize(
    ("event", "note"),
    [
        ("SUMMARY:Every minute\r\nDTSTART:20260101T100000Z\r\nRRULE:FREQ=MINUTELY",
         "repeats minutely"),
        ("SUMMARY:Every second\r\nDTSTART:20260101T100000Z\r\nRRULE:FREQ=SECONDLY;COUNT=5000000",
         "repeats secondly"),
        ("SUMMARY:Bad date\r\nDTSTART:2026-13-45T99:99", "can't be read"),
        ("SUMMARY:Bad rule\r\nDTSTART:20260101T100000Z\r\nRRULE:FREQ=WEEKLY;BYDAY=XX;INTERVAL=x",
         "can't be read"),
    ],
    ids=["minutely-forever", "millions", "bad-date", "bad-rule"],
)  # fmt: skip
def test_hostile_calendar_events_are_left_out_with_a_note(
    db, runner, make_organisation, write_file, event, note
):
    organisation = make_organisation()
    db.session.commit()
    path = write_file("hostile.ics", _ics(event, GOOD_EVENT))
    result, seconds = run(
        runner, "import", "calendar", str(path), "--organisation", organisation.id
    )
    if result.exit_code == 0:
        assert note in result.output
        assert "1 created" in result.output
        names = set(db.session.scalars(select(Listing.name)))
        assert names == {"Tuesday craft group"}
    else:
        # A rule the recurrence library can't expand at all refuses the whole file.
        assert "can't be read" in result.output
        assert listing_count(db) == 0


def test_a_daily_rule_that_never_ends_stops_at_the_horizon(
    db, runner, make_organisation, write_file
):
    organisation = make_organisation()
    db.session.commit()
    event = "SUMMARY:Daily walk\r\nDTSTART:20200101T100000Z\r\nRRULE:FREQ=DAILY"
    path = write_file("daily.ics", _ics(event))
    result, seconds = run(
        runner, "import", "calendar", str(path), "--organisation", organisation.id
    )
    assert result.exit_code == 0, result.output
    listing = db.session.scalars(select(Listing)).one()
    assert 0 < len(listing.schedules) <= 200


# -- an untrusted import can't take over organisations or listings ----------------------


def _feed(tmp_path, organisation: dict, name="Shared walking group"):
    path = tmp_path / "feed.json"
    path.write_text(
        json.dumps(
            [{"id": "svc-1", "name": name, "status": "active", "organization": organisation}]
        )
    )
    return str(path)


def test_an_untrusted_import_never_moves_a_listing_to_another_organisation(
    db, runner, tmp_path, make_organisation
):
    first = make_organisation(name="First Charity")
    other = make_organisation(name="Other Charity")
    db.session.commit()
    result = runner.invoke(
        args=["import", "openreferral", _feed(tmp_path, {"id": first.id, "name": first.name})]
    )
    assert "1 created" in result.output
    listing = db.session.scalars(select(Listing).where(Listing.source_id == "svc-1")).one()
    assert listing.organisation_id == first.id
    result = runner.invoke(
        args=[
            "import",
            "openreferral",
            _feed(tmp_path, {"id": other.id, "name": other.name}, name="Shared walking group!"),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "stays with its own until a moderator moves it" in result.output
    db.session.expire_all()
    assert listing.organisation_id == first.id


def test_an_untrusted_feed_naming_a_trusted_organisation_still_waits(
    db, runner, tmp_path, make_organisation
):
    trusted = make_organisation(name="Trusted Charity", trusted=True)
    db.session.commit()
    runner.invoke(
        args=["import", "openreferral", _feed(tmp_path, {"id": trusted.id, "name": trusted.name})]
    )
    listing = db.session.scalars(select(Listing).where(Listing.source_id == "svc-1")).one()
    assert listing.organisation_id == trusted.id
    assert listing.published is False


def test_an_untrusted_import_only_proposes_organisations(db, runner, client, tmp_path):
    result = runner.invoke(
        args=["import", "openreferral", _feed(tmp_path, {"name": "Brand New Group CIC"})]
    )
    assert "They are proposed" in result.output
    organisation = db.session.scalars(
        select(Organisation).where(Organisation.name == "Brand New Group CIC")
    ).one()
    # Not public until a moderator lets one of its listings through.
    assert client.get(f"/organisations/{organisation.id}").status_code == 404
    assert all(not listing.published for listing in organisation.listings)
