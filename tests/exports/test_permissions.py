"""Role matrix rows for the exports and the API's own description: public downloads.

tests/test_permissions.py checks the areas it knows by name, so the feed's matrix
(tests/openreferral/test_permissions.py) adds these rows to its ``MATRIX``.
"""

from __future__ import annotations

import pytest

from tests.test_permissions import ROLES

PUBLIC = dict.fromkeys(ROLES, 200)

MATRIX = [
    ("exports.search_csv", "GET", "/search/export.csv?postcode=PL4+8AA", PUBLIC),
    ("exports.search_xlsx", "GET", "/search/export.xlsx?domain=involvement", PUBLIC),
    ("exports.listing_ics", "GET", "/listings/{listing}/calendar.ics", PUBLIC),
    ("api.openapi", "GET", "/api/openapi.json", PUBLIC),
    ("api.docs", "GET", "/api/docs", PUBLIC),
]  # fmt: skip


@pytest.fixture
def world(db, make_listing):
    listing = make_listing()
    db.session.commit()
    return {"listing": listing.id}


@pytest.fixture
def client_for(app, db, client_as, world):
    def make(role: str):
        if role == "anonymous":
            return app.test_client()
        client = client_as(role)
        db.session.commit()
        return client

    return make


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("endpoint", "method", "url", "expected"),
    MATRIX,
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_role_matrix(client_for, world, role, endpoint, method, url, expected):
    response = client_for(role).open(url.format(**world), method=method)
    status, body = response.status_code, response.get_data()[:300]
    response.close()
    assert status == expected[role], body
