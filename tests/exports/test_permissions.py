"""Role matrix rows for the exports and the API's own description: public downloads."""

from __future__ import annotations

import pytest

from tests.test_permissions import ROLES, assert_route_status, role_matrix

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


@role_matrix(MATRIX)
def test_role_matrix(matrix_client, world, role, endpoint, method, url, expected):
    client = matrix_client(role, world.get("organisation"))
    assert_route_status(client, method, url.format(**world), expected[role])
