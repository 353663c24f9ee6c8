"""The import summary says out loud what practitioners won't find (issue 18).

There is a list behind each count.
"""

from __future__ import annotations

import io
import json

SERVICES = [
    {
        "id": "svc-no-place",
        "name": "Debt advice line",
        "description": "<p>Phone us for help with council tax debt and benefits.</p>",
        "status": "active",
        "organization": {"name": "Attention Council"},
        "assured_date": "2019-01-01",
    },
    {
        "id": "svc-walk",
        "name": "Wednesday walking group",
        "description": "A friendly weekly walking group with peer support. Meet at "
        "Community Hall, 1 Test Street, Plymouth PL4 8AA.",
        "status": "active",
        "organization": {"name": "Attention Council"},
    },
]


def _upload(client, services):
    content = json.dumps({"content": services, "totalPages": 1}).encode()
    return client.post(
        "/moderation/imports",
        data={"kind": "openreferral", "upload": (io.BytesIO(content), "attention.json")},
        content_type="multipart/form-data",
    )


def test_the_page_counts_what_is_hidden_and_links_to_each_list(db, client_as):
    moderator = client_as("moderator")
    db.session.commit()
    page = _upload(moderator, SERVICES).get_data(as_text=True)
    assert "2 created" in page or ">2</dd>" in page
    assert "1 arrived without a place" in page
    assert "1 are not about social connection" in page
    assert "1 were last checked over a year ago" in page
    assert "/moderation/imports/sources/" in page and "problem=no_place" in page

    from directory.models import ImportSource

    source = db.session.query(ImportSource).one()
    listing_page = moderator.get(
        f"/moderation/imports/sources/{source.id}/listings?problem=no_place"
    ).get_data(as_text=True)
    assert "Debt advice line" in listing_page and "Wednesday walking group" not in listing_page
    stale = moderator.get(
        f"/moderation/imports/sources/{source.id}/listings?problem=stale"
    ).get_data(as_text=True)
    assert "Debt advice line" in stale and "Wednesday walking group" not in stale
    assert (
        moderator.get(
            f"/moderation/imports/sources/{source.id}/listings?problem=nonsense"
        ).status_code
        == 404
    )


def test_the_lists_are_for_moderators_only(db, client_as, client):
    practitioner = client_as("practitioner")
    db.session.commit()
    assert practitioner.get("/moderation/imports/sources/1/listings?problem=stale").status_code in (
        403,
        404,
    )


def test_the_cli_says_it_too(db, runner, tmp_path):
    path = tmp_path / "attention.json"
    path.write_text(json.dumps({"content": SERVICES}))
    result = runner.invoke(args=["import", "openreferral", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 arrived without a place" in result.output
    assert "hidden from default search" in result.output
    assert "problem=stale" in result.output
