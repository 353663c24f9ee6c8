"""Role matrix rows for the import page and the spreadsheet template."""

from __future__ import annotations

import pytest

from directory.models import ImportSource, utcnow
from tests.test_permissions import PUBLIC, assert_route_status, by_role, role_matrix

MATRIX = [
    ("imports.template_xlsx_file", "GET", "/imports/template.xlsx", PUBLIC),
    ("imports.template_csv_file", "GET", "/imports/template.csv", PUBLIC),
    ("imports.import_page", "GET", "/moderation/imports", by_role(302, 403, 403, 200, 200)),
    # An empty form: moderators get the page back with the problems (400).
    ("imports.import_page", "POST", "/moderation/imports", by_role(302, 403, 403, 400, 400)),
    ("imports.trust_source", "POST", "/moderation/imports/sources/{source}/trust", by_role(302, 403, 403, 302, 302)),
    ("moderation.missing_queue", "GET", "/moderation/missing", by_role(302, 403, 403, 200, 200)),
    ("moderation.decide_missing", "POST", "/moderation/missing/{missing}/archive", by_role(302, 403, 403, 302, 302)),
    ("moderation.decide_missing", "POST", "/moderation/missing/{missing}/keep", by_role(302, 403, 403, 302, 302)),
    ("imports.source_listings", "GET", "/moderation/imports/sources/{source}/listings?problem=stale", by_role(302, 403, 403, 200, 200)),
]  # fmt: skip


@pytest.fixture
def world(db, make_listing):
    source = ImportSource(name="Matrix source", kind="spreadsheet")
    db.session.add(source)
    gone = make_listing(source="Matrix feed", source_id="x", missing_from_source_at=utcnow())
    db.session.commit()
    return {"source": source.id, "missing": gone.id}


@role_matrix(MATRIX)
def test_role_matrix(matrix_client, world, role, endpoint, method, url, expected):
    client = matrix_client(role, world.get("organisation"))
    assert_route_status(client, method, url.format(**world), expected[role])
