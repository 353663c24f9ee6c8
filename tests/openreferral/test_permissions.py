"""Role matrix rows for the Open Referral UK feed: public and read-only, for everyone."""

from __future__ import annotations

import pytest

from directory.vocabularies import term_id, vocabulary_id
from tests.exports.test_permissions import MATRIX as EXPORTS_MATRIX
from tests.test_permissions import ROLES

PUBLIC = dict.fromkeys(ROLES, 200)

FEED_MATRIX = [
    ("openreferral.index", "GET", "/openreferral/", PUBLIC),
    ("openreferral.openapi", "GET", "/openreferral/openapi.json", PUBLIC),
    ("openreferral.services", "GET", "/openreferral/services", PUBLIC),
    ("openreferral.service_detail", "GET", "/openreferral/services/{listing}", PUBLIC),
    ("openreferral.service_at_locations", "GET", "/openreferral/service_at_locations?postcode=PL4+8AA&proximity=1000", PUBLIC),
    ("openreferral.service_at_location_detail", "GET", "/openreferral/service_at_locations/{location}", PUBLIC),
    ("openreferral.taxonomies", "GET", "/openreferral/taxonomies", PUBLIC),
    ("openreferral.taxonomy_detail", "GET", "/openreferral/taxonomies/{taxonomy}", PUBLIC),
    ("openreferral.taxonomy_terms", "GET", "/openreferral/taxonomy_terms", PUBLIC),
    ("openreferral.taxonomy_term_detail", "GET", "/openreferral/taxonomy_terms/{term}", PUBLIC),
    ("openreferral.organizations", "GET", "/openreferral/organizations", PUBLIC),
    ("openreferral.organization_detail", "GET", "/openreferral/organizations/{organisation}", PUBLIC),
    ("openreferral.export", "GET", "/openreferral/export.json", PUBLIC),
]  # fmt: skip

# tests/test_permissions.py reads each area's MATRIX to check every route is covered;
# it doesn't know the exports area by name, so its rows (run in tests/exports) join here.
MATRIX = FEED_MATRIX + EXPORTS_MATRIX


@pytest.fixture
def world(db, make_organisation, make_listing):
    organisation = make_organisation()
    listing = make_listing(organisation=organisation)
    db.session.commit()
    return {
        "organisation": organisation.id,
        "listing": listing.id,
        "location": listing.locations[0].id,
        "taxonomy": vocabulary_id("civic_domain"),
        "term": term_id("civic_domain", "closeness"),
    }


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
    FEED_MATRIX,
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_role_matrix(client_for, world, role, endpoint, method, url, expected):
    response = client_for(role).open(url.format(**world), method=method)
    status, body = response.status_code, response.get_data(as_text=True)[:300]
    response.close()
    assert status == expected[role], body


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_the_feed_is_read_only(client_for, world, method):
    for _, _, url, _ in FEED_MATRIX:
        response = client_for("admin").open(url.format(**world), method=method)
        assert response.status_code == 405, (method, url)
