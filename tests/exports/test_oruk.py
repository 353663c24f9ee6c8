"""The whole directory as one ORUK document.

``directory_as_oruk``, the download and the ``flask directory export-oruk`` command.
"""

from __future__ import annotations

import json

from directory.exports.oruk import directory_as_oruk
from directory.models import ListingScore
from tests.openreferral.oruk_schemas import page_schema, schema_errors


def test_every_public_listing_fully_nested_and_valid(db, feed):
    document = directory_as_oruk(db.session)
    assert schema_errors(document, page_schema("compiled/service_list.json")) == []
    assert schema_errors(document["contents"][0], {"$ref": _service()}) == []
    assert {s["id"] for s in document["contents"]} == {listing.id for listing in feed.public}
    assert document["total_items"] == document["size"] == 3
    peer = next(s for s in document["contents"] if s["id"] == feed.peer_group.id)
    # What an importer needs to rebuild the listing and its organisation.
    assert peer["organization"]["organization_identifiers"][0]["identifier"] == "1234567"
    assert {a["taxonomy_term"]["term"] for a in peer["organization"]["attributes"]} == {
        "third_sector"
    }
    assert peer["schedules"] and peer["service_at_locations"] and peer["x-civic"]["summary"]


def _service() -> str:
    from tests.openreferral.oruk_schemas import BASE

    return BASE + "compiled/service.json"


def test_an_empty_directory_is_an_empty_page(db):
    document = directory_as_oruk(db.session)
    assert document["contents"] == [] and document["empty"] and document["total_pages"] == 0


def test_ratings_are_never_exported(db, feed):
    db.session.add(ListingScore(listing_id=feed.cafe.id, rating_count=2, rating_sum=8, mean=4.0))
    db.session.commit()
    assert "rating" not in json.dumps(directory_as_oruk(db.session))


def test_download_is_the_same_document(client, db, feed):
    response = client.get("/openreferral/export.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_json() == directory_as_oruk(db.session)


def test_cli_writes_the_document_to_a_file(runner, db, feed, tmp_path):
    path = tmp_path / "directory.json"
    result = runner.invoke(args=["directory", "export-oruk", str(path)])
    assert result.exit_code == 0, result.output
    assert "Exported 3 services" in result.output
    assert json.loads(path.read_text(encoding="utf-8")) == directory_as_oruk(db.session)


def test_cli_reports_an_unwritable_file(runner, db, tmp_path):
    result = runner.invoke(args=["directory", "export-oruk", str(tmp_path)])
    assert result.exit_code != 0
    assert "directory" in result.output.lower()
