"""Addresses built once per request (directory.links)."""

from __future__ import annotations

import uuid

import pytest
from flask import url_for

from directory.links import listing_url


@pytest.mark.parametrize("external", [False, True])
@pytest.mark.parametrize("root", ["", "/directory"])
def test_listing_url_is_the_address_url_for_gives(app, external, root):
    ids = [str(uuid.uuid4()) for _ in range(3)] + ["odd id/with?marks"]
    with app.test_request_context("/search", base_url=f"https://civic.example{root}"):
        for listing_id in ids:
            expected = url_for("listings.listing_page", listing_id=listing_id, _external=external)
            assert listing_url(listing_id, _external=external) == expected
        assert listing_url(ids[0]) != listing_url(ids[1])
