"""The moderators' import page: uploads run the same imports as the CLI.

The page shows the summary and every rejected row, and sources can be trusted.
"""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import select

from directory.models import AuditEvent, ImportSource, Listing
from tests.importers.conftest import good_row, xlsx_bytes

# Copied from the ORUK profile (see its NOTICE.txt), so a fresh clone has them.
EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "openreferral-examples"


def upload(client, content: bytes, filename: str, **fields):
    data = {"kind": "spreadsheet", **fields, "upload": (io.BytesIO(content), filename)}
    return client.post("/moderation/imports", data=data, content_type="multipart/form-data")


def test_a_spreadsheet_upload_shows_the_summary_and_each_rejected_row(db, client_as):
    moderator = client_as("moderator")
    db.session.commit()
    content = xlsx_bytes([good_row(1), good_row(2, email="nope"), good_row(3)])
    response = upload(moderator, content, "groups.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "Imported from spreadsheet:groups.xlsx" in page
    assert '<dd class="nhsuk-summary-list__value">2</dd>' in page
    assert "Enter an email address like name@example.org." in page
    assert ">3</td>" in page and ">email</td>" in page
    assert db.session.scalar(select(Listing).where(Listing.source_id == "ROW-00001")) is not None
    # The same upload again changes nothing.
    again = upload(moderator, content, "groups.xlsx").get_data(as_text=True)
    assert 'Unchanged</dt><dd class="nhsuk-summary-list__value">2</dd>' in again


def test_a_dry_run_upload_writes_nothing(db, client_as):
    moderator = client_as("moderator")
    db.session.commit()
    response = upload(moderator, xlsx_bytes([good_row(1)]), "dry.xlsx", dry_run="y")
    assert "Check only: nothing was written" in response.get_data(as_text=True)
    assert db.session.scalar(select(Listing).where(Listing.source_id == "ROW-00001")) is None


def test_an_oruk_upload_imports_an_example(db, client_as):
    moderator = client_as("moderator")
    db.session.commit()
    content = (EXAMPLES / "service_full.json").read_bytes()
    response = upload(moderator, content, "service_full.json", kind="openreferral")
    assert response.status_code == 200
    assert db.session.get(Listing, "ac148810-d857-441c-9679-408f346de14b") is not None


def test_a_broken_file_or_missing_choices_answer_400_with_the_problem(db, client_as):
    moderator = client_as("moderator")
    db.session.commit()
    response = upload(moderator, b"title\nA\n", "wrong.csv")
    assert response.status_code == 400
    assert "has no source_id, name, kind column" in response.get_data(as_text=True)
    calendar = upload(moderator, b"BEGIN:VCALENDAR\nEND:VCALENDAR\n", "cal.ics", kind="calendar")
    assert calendar.status_code == 400
    assert "Choose whose calendar this is." in calendar.get_data(as_text=True)
    nothing = moderator.post("/moderation/imports", data={"kind": "spreadsheet"})
    assert nothing.status_code == 400
    assert "Choose a file, or give a web address." in nothing.get_data(as_text=True)


def test_a_failing_calendar_upload_is_reported(db, client_as, make_organisation):
    moderator = client_as("moderator")
    organisation = make_organisation(name="Park Friends")
    db.session.commit()
    response = upload(moderator, b"junk", "cal.ics", kind="calendar", organisation=organisation.id)
    assert response.status_code == 400
    assert "editors and the moderators have been told" in response.get_data(as_text=True)
    source = db.session.scalar(select(ImportSource).where(ImportSource.kind == "ical"))
    assert source.last_error  # kept although the page answered 400


def test_moderators_mark_a_source_trusted_and_its_listings_then_publish(db, client_as):
    moderator = client_as("moderator")
    source = ImportSource(name="spreadsheet:groups.xlsx", kind="spreadsheet")
    db.session.add(source)
    db.session.commit()
    response = moderator.post(
        f"/moderation/imports/sources/{source.id}/trust", data={"trusted": "y"}
    )
    assert response.status_code == 302
    assert source.trusted is True
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "import_source.trust")
    ).details == {"trusted": True}
    upload(moderator, xlsx_bytes([good_row(1)]), "groups.xlsx")
    listing = db.session.scalar(select(Listing).where(Listing.source_id == "ROW-00001"))
    assert listing.published is True
    moderator.post(f"/moderation/imports/sources/{source.id}/trust", data={})
    assert source.trusted is False


def test_the_template_downloads(client):
    response = client.get("/imports/template.xlsx")
    assert response.status_code == 200
    assert response.data[:2] == b"PK"
    csv = client.get("/imports/template.csv").get_data(as_text=True)
    assert csv.startswith("source_id,name,kind,")
