"""Role matrix rows for the Open Referral UK feed: public and read-only, for everyone."""

from __future__ import annotations

import pytest

from directory.vocabularies import term_id, vocabulary_id
from tests.test_permissions import ROLES, assert_route_status, role_matrix

PUBLIC = dict.fromkeys(ROLES, 200)

MATRIX = [
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


@role_matrix(MATRIX)
def test_role_matrix(matrix_client, world, role, endpoint, method, url, expected):
    client = matrix_client(role, world.get("organisation"))
    assert_route_status(client, method, url.format(**world), expected[role])


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_the_feed_is_read_only(matrix_client, world, method):
    for _, _, url, _ in MATRIX:
        response = matrix_client("admin").open(url.format(**world), method=method)
        assert response.status_code == 405, (method, url)
