"""Dry run, the names it will create, update and reject, then "Import now" (issue 15).

The checked file is kept for the moderator who checked it, for an hour, and deleted once
imported: "Import now" needs no second upload.
"""

from __future__ import annotations

import datetime as dt
import io
import re

from sqlalchemy import func, select

from directory.models import ImportUpload, Listing, Organisation
from directory.rules.uploads import KEPT_FOR
from tests.importers.conftest import good_row, xlsx_bytes


def upload(client, content: bytes, filename: str, **fields):
    data = {"kind": "spreadsheet", **fields, "upload": (io.BytesIO(content), filename)}
    return client.post("/moderation/imports", data=data, content_type="multipart/form-data")


def kept_token(page: str) -> str:
    found = re.search(r'name="kept" value="([^"]+)"', page)
    assert found, "no Import now form"
    return found.group(1)


def import_now(client, token: str, **fields):
    return client.post("/moderation/imports", data={"kind": "spreadsheet", "kept": token, **fields})


def listings(source_id_prefix: str = "ROW-") -> int:
    from directory.extensions import db

    return db.session.scalar(
        select(func.count(Listing.id)).where(Listing.source_id.startswith(source_id_prefix))
    )


def test_dry_run_names_what_will_be_created_and_rejected(db, client_as):
    moderator = client_as("moderator")
    db.session.commit()
    content = xlsx_bytes([good_row(1), good_row(2, email="nope", name="Broken Choir"), good_row(3)])
    response = upload(moderator, content, "groups.xlsx", dry_run="y")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "Will be created (2)" in page
    created = re.search(r'data-outcome="created">(.*?)</ul>', page, re.S).group(1)
    assert "Row 2</span> Imported group 1" in created
    assert "Row 4</span> Imported group 3" in created
    assert "Broken Choir" not in created
    assert "Will be rejected (1)" in page
    assert ">3</td>" in page and ">Broken Choir</td>" in page and ">email</td>" in page
    assert "Enter an email address like name@example.org." in page
    assert listings() == 0  # a dry run writes no listing


def test_import_now_after_a_dry_run_without_choosing_the_file_again(db, client_as):
    moderator = client_as("moderator")
    db.session.commit()
    content = xlsx_bytes([good_row(1), good_row(2)])
    page = upload(moderator, content, "groups.xlsx", dry_run="y").get_data(as_text=True)
    token = kept_token(page)
    assert token not in str(db.session.scalars(select(ImportUpload.token_hash)).all())
    assert db.session.scalar(select(func.count(ImportUpload.id))) == 1

    response = import_now(moderator, token)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "Imported from spreadsheet:groups.xlsx" in page
    assert "Created (2)" in page and "Imported group 2" in page
    assert listings() == 2
    # Imported, so no longer kept: the same token again is refused, with what to do.
    db.session.expire_all()
    assert db.session.scalar(select(func.count(ImportUpload.id))) == 0
    again = import_now(moderator, token)
    assert again.status_code == 400
    assert "no longer kept" in again.get_data(as_text=True)
    assert listings() == 2


def test_a_kept_file_is_only_for_the_moderator_who_checked_it(db, client_as):
    first, second = client_as("moderator"), client_as("moderator")
    db.session.commit()
    page = upload(first, xlsx_bytes([good_row(1)]), "a.xlsx", dry_run="y").get_data(as_text=True)
    response = import_now(second, kept_token(page))
    assert response.status_code == 400
    assert listings() == 0


def test_a_kept_file_expires_after_an_hour(db, client_as, pinned_clock):
    moderator = client_as("moderator")
    db.session.commit()
    page = upload(moderator, xlsx_bytes([good_row(1)]), "a.xlsx", dry_run="y").get_data(
        as_text=True
    )
    token = kept_token(page)
    pinned_clock.shift(KEPT_FOR + dt.timedelta(seconds=1))
    response = import_now(moderator, token)
    assert response.status_code == 400
    assert "no longer kept" in response.get_data(as_text=True)
    assert listings() == 0
    # The next check deletes files past keeping (anyone's), and keeps only the new one.
    upload(moderator, xlsx_bytes([good_row(1)]), "a.xlsx", dry_run="y")
    assert db.session.scalar(select(func.count(ImportUpload.id))) == 1


def test_purge_archived_deletes_expired_kept_files(db, client_as, runner, pinned_clock):
    moderator = client_as("moderator")
    db.session.commit()
    upload(moderator, xlsx_bytes([good_row(1)]), "a.xlsx", dry_run="y")
    pinned_clock.shift(KEPT_FOR)
    result = runner.invoke(args=["directory", "purge-archived"])
    assert "1 expired import files" in result.output, result.output
    assert db.session.scalar(select(func.count(ImportUpload.id))) == 0


def test_organisations_from_a_sheet_are_proposed(db, client_as):
    """An untrusted sheet's new organisations wait in the queue with their listings."""
    moderator = client_as("moderator")
    db.session.commit()
    page = upload(moderator, xlsx_bytes([good_row(1), good_row(2)]), "o.xlsx").get_data(
        as_text=True
    )
    assert "2 organisations created. They are proposed" in page
    queue = moderator.get("/moderation/queue?kind=organisations").get_data(as_text=True)
    assert "Import Org 1" in queue and "Import Org 2" in queue
    org = db.session.scalar(select(Organisation).where(Organisation.name == "Import Org 1"))
    assert not any(listing.published for listing in org.listings)


def test_the_template_example_is_not_imported(db, client_as):
    from importers.spreadsheet import template_csv, template_xlsx

    moderator = client_as("moderator")
    db.session.commit()
    for content, name in ((template_xlsx(), "template.xlsx"), (template_csv().encode(), "t.csv")):
        page = upload(moderator, content, name).get_data(as_text=True)
        assert "Hearing Voices Group" not in page
    assert (
        db.session.scalar(select(func.count(Listing.id)).where(Listing.source_id == "HV-001")) == 0
    )
