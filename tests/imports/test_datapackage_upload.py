"""The import page takes an HSDS datapackage zip.

The same summary and row-by-row report as the CLI, and a refused package is a 400 with
the reason, never a 500.
"""

from __future__ import annotations

from sqlalchemy import func, select

from directory.models import Listing
from tests.importers.test_datapackage import FIXTURE, ORG, small_package, table, zipped
from tests.imports.test_views import upload


def test_a_datapackage_zip_upload_imports_and_reports_rows(db, client_as):
    moderator = client_as("moderator")
    db.session.commit()
    services = table(
        ["id", "organization_id", "name", "description"],
        ["ok", ORG, "Good group", "Fine."],
        ["nameless", ORG, "", "No name."],
    )
    response = upload(moderator, zipped(small_package(services)), "council.zip", kind="datapackage")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "Imported from hsds:council.zip" in page
    assert "services.csv row 3 (service nameless)" in page
    assert db.session.scalar(select(Listing).where(Listing.source_id == "ok")) is not None


def test_the_realfeeds_package_uploads(db, client_as):
    moderator = client_as("moderator")
    db.session.commit()
    content = zipped({p.name: p.read_bytes() for p in FIXTURE.iterdir()})
    response = upload(moderator, content, "realfeeds.zip", kind="datapackage")
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Listing)) == 30


def test_a_refused_package_or_a_url_answers_400_with_the_reason(db, client_as):
    moderator = client_as("moderator")
    db.session.commit()
    bomb = zipped(small_package(**{f"../x{n}.csv": b"id\n" for n in range(2)}))
    response = upload(moderator, bomb, "evil.zip", kind="datapackage")
    assert response.status_code == 400
    assert "points outside the package" in response.get_data(as_text=True)
    response = upload(moderator, b"junk", "junk.zip", kind="datapackage")
    assert response.status_code == 400
    assert "junk.zip is not a zip file that can be read." in response.get_data(as_text=True)
    response = moderator.post(
        "/moderation/imports", data={"kind": "datapackage", "url": "https://example.org/x.zip"}
    )
    assert response.status_code == 400
    assert "Datapackages are imported from a zip file." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Listing)) == 0
