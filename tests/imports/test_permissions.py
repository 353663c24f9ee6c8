"""Role matrix rows for the import page and the spreadsheet template."""

from __future__ import annotations

import pytest

from directory.models import ImportSource
from tests.test_permissions import PUBLIC, ROLES, by_role

MATRIX = [
    ("imports.template_xlsx_file", "GET", "/imports/template.xlsx", PUBLIC),
    ("imports.template_csv_file", "GET", "/imports/template.csv", PUBLIC),
    ("imports.import_page", "GET", "/moderation/imports", by_role(302, 403, 403, 200, 200)),
    # An empty form: moderators get the page back with the problems (400).
    ("imports.import_page", "POST", "/moderation/imports", by_role(302, 403, 403, 400, 400)),
    ("imports.trust_source", "POST", "/moderation/imports/sources/{source}/trust", by_role(302, 403, 403, 302, 302)),
]  # fmt: skip


@pytest.fixture
def world(db):
    source = ImportSource(name="Matrix source", kind="spreadsheet")
    db.session.add(source)
    db.session.commit()
    return {"source": source.id}


@pytest.fixture
def client_for(app, db, client_as, make_organisation, make_user, world):
    def make(role: str):
        if role == "anonymous":
            return app.test_client()
        client = client_as(role)
        db.session.commit()
        return client

    return make


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("endpoint", "method", "url", "expected"), MATRIX, ids=lambda v: v if isinstance(v, str) else ""
)
def test_role_matrix(client_for, world, role, endpoint, method, url, expected):
    response = client_for(role).open(url.format(**world), method=method)
    status, body = response.status_code, response.get_data()[:300]
    response.close()
    assert status == expected[role], body
