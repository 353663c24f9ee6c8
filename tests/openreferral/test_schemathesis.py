"""Schemathesis over ``/openreferral/openapi.json``.

Zero server errors, zero schema mismatches against the Open Referral UK schemas the
document carries.
"""

from __future__ import annotations

from directory.openreferral.openapi import openapi_document
from tests.api.fuzzing import FUZZ_SETTINGS, UNCOMPRESSED, load

schema = load(openapi_document(), cross_checked=("/services", "/service_at_locations"))


def test_the_fuzzed_document_is_the_served_one(client):
    assert client.get("/openreferral/openapi.json").get_json() == openapi_document()


@schema.parametrize()
@FUZZ_SETTINGS
def test_feed_conforms_to_its_openapi_document(case, app, feed):
    case.call_and_validate(app=app, headers=UNCOMPRESSED)
