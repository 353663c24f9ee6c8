"""Importing spreadsheets.

The template, 1,000 rows, idempotence, and every kind of broken row reported with its
row, column and reason.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from directory.models import (
    ImportSource,
    Listing,
    ListingRevision,
    Location,
    Organisation,
    Schedule,
)
from importers.spreadsheet import (
    parse_date,
    parse_days,
    parse_repeats,
    parse_time,
    read_rows,
    template_columns,
    template_csv,
    template_xlsx,
)
from tests.importers.conftest import csv_bytes, good_row, xlsx_bytes

NO_PLACE = {f"location_1_{part}": "" for part in ("name", "address", "town", "postcode")}


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def counts(db) -> dict:
    return {
        m.__name__: count(db, m)
        for m in (Listing, Location, Schedule, Organisation, ListingRevision)
    }


def test_a_generated_1000_row_spreadsheet_imports_and_reimporting_changes_nothing(
    db, runner, write_file
):
    path = write_file("thousand.xlsx", xlsx_bytes([good_row(n) for n in range(1, 1001)]))
    first = runner.invoke(args=["import", "spreadsheet", str(path)])
    assert first.exit_code == 0, first.output
    assert "1000 created, 0 updated, 0 unchanged, 0 rejected" in first.output
    after_first = counts(db)
    assert after_first["Listing"] == 1000
    assert after_first["Location"] == 1000 and after_first["Schedule"] == 1000
    second = runner.invoke(args=["import", "spreadsheet", str(path)])
    assert "0 created, 0 updated, 1000 unchanged, 0 rejected" in second.output
    assert counts(db) == after_first
    source = db.session.scalar(
        select(ImportSource).where(ImportSource.name == "spreadsheet:thousand.xlsx")
    )
    assert source.last_summary["unchanged"] == 1000


def test_a_row_becomes_a_listing_with_its_places_times_and_terms(db, runner, write_file):
    row = good_row(
        7,
        location_2_name="Library",
        location_2_postcode="pl4 8aa",
        schedule_2_repeats="every 3 weeks",
        schedule_2_days="Sat",
        schedule_2_opens="2pm",
        schedule_2_closes="3.30pm",
        schedule_2_from="06/01/2026",
        schedule_2_location="2",
        support_types="Peer support",
    )
    path = write_file("one.csv", csv_bytes([row]))
    result = runner.invoke(args=["import", "spreadsheet", str(path)])
    assert "1 created" in result.output, result.output
    listing = db.session.scalar(select(Listing).where(Listing.source_id == "ROW-00007"))
    assert listing.organisation.name == "Import Org 0"
    assert listing.kind == "place" and listing.cost == "low_cost"
    assert listing.domain_codes == ["involvement", "cared_for"]
    assert [t.code for t in listing.terms_in("intervention_type")] == ["peer"]
    assert [loc.postcode for loc in listing.locations] == ["NG1 1GJ", "PL4 8AA"]
    assert [(s.freq, s.interval, s.byday) for s in listing.schedules] == [
        ("WEEKLY", 2, "TH"),
        ("WEEKLY", 3, "SA"),
    ]
    second = listing.schedules[1]
    assert (second.opens_at, second.closes_at, second.valid_from) == (
        dt.time(14), dt.time(15, 30), dt.date(2026, 1, 6)
    )  # fmt: skip
    assert second.location is listing.locations[1]
    assert listing.languages == ["English", "Polish"]
    assert listing.first_visit_support is True
    assert listing.published is False  # untrusted: waits for a moderator
    assert listing.last_verified_by == "import"


def test_a_trusted_source_publishes_and_a_changed_row_updates(
    db, runner, write_file, make_organisation, search_index
):
    organisation = make_organisation(name="Chosen Org")
    db.session.commit()
    path = write_file("t.xlsx", xlsx_bytes([good_row(1), good_row(2)]))
    args = ["import", "spreadsheet", str(path), "--organisation", organisation.id, "--trusted"]
    assert "2 created" in runner.invoke(args=args).output
    listings = db.session.scalars(
        select(Listing).where(Listing.source == "spreadsheet:t.xlsx")
    ).all()
    assert {(item.published, item.organisation_id) for item in listings} == {
        (True, organisation.id)
    }
    # Each row is committed on its own, and the search index follows each commit.
    assert search_index.check() == 2
    write_file("t.xlsx", xlsx_bytes([good_row(1, name="New name"), good_row(2)]))
    result = runner.invoke(args=["import", "spreadsheet", str(path)])
    assert "0 created, 1 updated, 1 unchanged, 0 rejected" in result.output
    assert (
        db.session.scalar(select(Listing.name).where(Listing.source_id == "ROW-00001"))
        == "New name"
    )


def test_dry_run_counts_but_writes_nothing(db, runner, write_file):
    before = counts(db)
    path = write_file("dry.xlsx", xlsx_bytes([good_row(1), good_row(2, kind="club")]))
    result = runner.invoke(args=["import", "spreadsheet", str(path), "--dry-run"])
    assert (
        "Dry run, nothing written: 1 created, 0 updated, 0 unchanged, 1 rejected" in result.output
    )
    assert "row 3, kind: 'club' is not one of" in result.output
    assert counts(db) == before
    assert count(db, ImportSource) == 0


# Each broken row: what is wrong with it, the column reported and words of the reason.
BROKEN = [
    ({"source_id": ""}, "source_id", "is empty"),
    ({"source_id": "ROW-00001"}, "source_id", "also used on row 2"),
    ({"name": ""}, "name", "Enter a name."),
    ({"name": "x" * 201}, "name", "the most is 200"),
    ({"kind": "club"}, "kind", "'club' is not one of"),
    ({"kind": ""}, "kind", "Choose the kind of listing."),
    ({"summary": "s" * 301}, "summary", "the most is 300"),
    ({"email": "not-an-email"}, "email", "Enter an email address like name@example.org."),
    ({"website": "see our page"}, "website", "Enter a web address starting http://"),
    ({"how_to_join": "by phone"}, "how_to_join", "'by phone' is not one of"),
    ({"cost": "cheap"}, "cost", "'cheap' is not one of"),
    ({"min_age": "eighteen"}, "min_age", "Enter an age from 0 to 120."),
    ({"min_age": "70", "max_age": "30"}, "max_age", "must be more than the minimum age"),
    ({"max_age": "150"}, "max_age", "Enter an age from 0 to 120."),
    ({"delivered_by": "robots"}, "delivered_by", "'robots' is not one of"),
    ({"format": "course"}, "course_weeks", "Enter how many weeks the course lasts."),
    ({"course_weeks": "0"}, "course_weeks", "number of weeks from 1 to 104"),
    ({"first_visit_support": "maybe"}, "first_visit_support", "Answer yes or no."),
    ({"domains": "involvement; happiness"}, "domains", "'happiness' is not one of"),
    ({"audiences": "aliens"}, "audiences", "'aliens' is not one of"),
    ({"location_1_postcode": ""}, "location_1_postcode", "Enter the postcode."),
    ({"location_1_postcode": "NOT A POSTCODE"}, "location_1_postcode", "postcode"),
    ({"location_1_postcode": "PL99 9ZZ"}, "location_1_postcode", "PL99 9ZZ"),
    ({"schedule_1_repeats": "daily"}, "schedule_1_repeats", "'daily' is not weekly"),
    ({"schedule_1_days": "Funday"}, "schedule_1_days", "'Funday' is not a day"),
    (
        {"schedule_1_repeats": "weekly", "schedule_1_days": "15"},
        "schedule_1_days",
        "it repeats weekly",
    ),
    ({"schedule_1_opens": "25:00"}, "schedule_1_opens", "Enter a time like 18:30."),
    (
        {"schedule_1_opens": "14:00", "schedule_1_closes": "12:00"},
        "schedule_1_closes",
        "after opening",
    ),
    (
        {"schedule_1_from": "2026-03-01", "schedule_1_to": "2026-01-01"},
        "schedule_1_to",
        "before the start",
    ),
    ({"schedule_1_from": "31/02/2026"}, "schedule_1_from", "Enter a date like 2026-01-31."),
    ({"schedule_1_location": "2"}, "schedule_1_location", "not one of this row's places"),
    ({"status": "open"}, "status", "'open' is not one of"),
    (
        {**NO_PLACE, "attendance": "in_person", "schedule_1_location": ""},
        "attendance",
        "Enter where it meets, or choose online.",
    ),
    ({"organisation": ""}, "organisation", "is empty"),
    ({"phone": "0" * 41}, "phone", "the most is 40"),
]


def test_an_xlsx_with_every_kind_of_broken_row_reports_each_and_writes_only_good_rows(
    db, runner, write_file
):
    assert len({column for _, column, _ in BROKEN}) >= 20
    rows, expected, good = [good_row(1)], {}, ["ROW-00001"]
    for n, (overrides, column, reason) in enumerate(BROKEN, start=100):
        rows.append(good_row(n, **overrides))
        expected[len(rows) + 1] = (column, reason)  # +1: the header is row 1
        rows.append(good_row(n + 1000))
        good.append(f"ROW-{n + 1000:05d}")
    path = write_file("broken.xlsx", xlsx_bytes(rows))
    result = runner.invoke(args=["import", "spreadsheet", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{len(good)} created, 0 updated, 0 unchanged, {len(BROKEN)} rejected" in result.output

    from importers.runner import RowProblem

    source = db.session.scalar(
        select(ImportSource).where(ImportSource.name == "spreadsheet:broken.xlsx")
    )
    assert source.last_summary["rejected"] == len(BROKEN)
    reported: dict[int, list[RowProblem]] = {}
    for line in result.output.splitlines():
        if line.startswith("  rejected: row "):
            where, _, reason = line.removeprefix("  rejected: row ").partition(": ")
            number, _, column = where.partition(", ")
            reported.setdefault(int(number), []).append((column, reason))
    assert sorted(reported) == sorted(expected)
    for number, (column, words) in expected.items():
        assert len(reported[number]) == 1, (number, reported[number])
        got_column, got_reason = reported[number][0]
        assert (got_column, words in got_reason) == (column, True), (number, got_reason)
    imported = db.session.scalars(
        select(Listing.source_id).where(Listing.source == source.name)
    ).all()
    assert sorted(imported) == sorted(good)
    # A rejected row leaves nothing behind: no stray organisation from it either.
    assert count(db, Location) == len(good)


def test_a_file_without_the_template_headers_is_refused(db, runner, write_file):
    path = write_file("wrong.csv", b"title,place\nA,B\n")
    result = runner.invoke(args=["import", "spreadsheet", str(path)])
    assert result.exit_code == 1
    assert "has no source_id, name, kind column" in result.output
    junk = write_file("junk.xlsx", b"not a zip")
    assert (
        "not a readable XLSX file"
        in runner.invoke(args=["import", "spreadsheet", str(junk)]).output
    )


def test_an_unknown_organisation_id_is_refused(db, runner, write_file):
    path = write_file("a.csv", csv_bytes([good_row(1)]))
    result = runner.invoke(args=["import", "spreadsheet", str(path), "--organisation", "nope"])
    assert result.exit_code == 2
    assert "No organisation has id nope" in result.output


def test_the_template_has_every_column_and_a_guide():
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(template_xlsx()))
    assert book.sheetnames == ["Listings", "Guide"]
    headers = [cell.value for cell in book["Listings"][1]]
    assert headers == [c.name for c in template_columns()]
    # The Listings sheet holds the column names only: the example is on the Guide.
    assert book["Listings"].max_row == 1
    guide = [[cell.value for cell in row] for row in book["Guide"].iter_rows()]
    assert [row[0] for row in guide[1 : len(headers) + 1]] == headers
    assert guide[-2][: len(headers)] == headers
    assert guide[-1][0] == "HV-001" and guide[-1][1] == "Hearing Voices Group"
    # Nothing in the template is read as a listing.
    _, rows = read_rows(template_xlsx(), "template.xlsx")
    assert rows == []


def test_the_template_imports_nothing(db, runner, write_file):
    path = write_file("template.xlsx", template_xlsx())
    result = runner.invoke(args=["import", "spreadsheet", str(path)])
    assert "0 created, 0 updated, 0 unchanged, 0 rejected" in result.output, result.output
    csv_path = write_file("template.csv", template_csv().encode())
    result = runner.invoke(args=["import", "spreadsheet", str(csv_path)])
    assert "0 created, 0 updated, 0 unchanged, 0 rejected" in result.output, result.output


def _guide_example_sheet() -> bytes:
    """The Guide's example row pasted under the Listings sheet's column names."""
    from openpyxl import Workbook, load_workbook

    guide = [
        [cell.value for cell in row]
        for row in load_workbook(io.BytesIO(template_xlsx()))["Guide"].iter_rows()
    ]
    book = Workbook()
    book.active.title = "Listings"
    book.active.append(guide[-2])
    book.active.append(guide[-1])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_example_row_is_valid_but_refused_as_it_is(db, runner, write_file):
    """Copied as it is, it is rejected with why; with its own reference it is a listing."""
    path = write_file("example.xlsx", _guide_example_sheet())
    result = runner.invoke(args=["import", "spreadsheet", str(path)])
    assert "0 created, 0 updated, 0 unchanged, 1 rejected" in result.output, result.output
    assert "the template's example row" in result.output
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(_guide_example_sheet()))
    book.active["A2"] = "OUR-001"
    buffer = io.BytesIO()
    book.save(buffer)
    path = write_file("ours.xlsx", buffer.getvalue())
    result = runner.invoke(args=["import", "spreadsheet", str(path)])
    assert "1 created, 0 updated, 0 unchanged, 0 rejected" in result.output, result.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [("18:30", dt.time(18, 30)), ("6.30pm", dt.time(18, 30)), ("6pm", dt.time(18)),
     ("12am", dt.time(0)), (0.75, dt.time(18)), ("18", None), ("13pm", None), ("24:00", None)],
)  # fmt: skip
def test_times_in_the_forms_people_write_them(text, expected):
    assert parse_time(text) == expected


def test_dates_repeats_and_days():
    assert parse_date("06/01/2026") == dt.date(2026, 1, 6)
    assert parse_date("2026-01-06") == dt.date(2026, 1, 6)
    assert parse_date("31/02/2026") is None
    assert parse_repeats("Fortnightly") == ("WEEKLY", 2)
    assert parse_repeats("every 2 months") == ("MONTHLY", 2)
    assert parse_repeats("every 13 weeks") is None
    assert parse_days("Tuesday; thu", "WEEKLY") == ("TU,TH", None, None)
    assert parse_days("first Tuesday, last Friday", "MONTHLY") == ("1TU,-1FR", None, None)
    assert parse_days("1; 15", "MONTHLY") == (None, "1,15", None)
    assert parse_days("2TU", "MONTHLY") == ("2TU", None, None)
