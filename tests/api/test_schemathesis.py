"""Schemathesis over ``/api/openapi.json``: zero server errors, zero schema mismatches."""

from __future__ import annotations

import pytest

from directory.accounts.services import create_api_token
from directory.api.openapi import api_document
from tests.api.fuzzing import FUZZ_SETTINGS, UNCOMPRESSED, load

schema = load(api_document(), cross_checked=("/search", "/insights/coverage"))


@pytest.fixture
def seeded(db, make_listing, make_user, make_organisation):
    """Listings of every shape the API sends, and a token for ``/me``."""
    organisation = make_organisation(name="Fuzz Trust")
    make_listing(name="Fuzz Peer Group", organisation=organisation, domains=("closeness",))
    make_listing(
        name="Fuzz Online Course",
        kind="activity",
        organisation=organisation,
        attendance="online",
        domains=("identity", "beyond"),
        terms={"accessibility": ("hearing_loop",)},
        min_age=18,
        cost_description="Free",
        welcome_statement="All welcome.",
    )
    user = make_user(role="practitioner", editor_of=organisation)
    _, token = create_api_token(db.session, user, "fuzz")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_the_fuzzed_document_is_the_served_one(client):
    assert client.get("/api/openapi.json").get_json() == api_document()


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_conforms_to_its_openapi_document(case, app, seeded):
    case.call_and_validate(app=app, headers={**UNCOMPRESSED, **seeded})
