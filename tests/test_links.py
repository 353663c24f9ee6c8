"""Addresses built once per request (directory.links)."""

from __future__ import annotations

import uuid

import pytest
from flask import url_for

from directory.links import add_to_shortlist_url, listing_url


@pytest.mark.parametrize("external", [False, True])
@pytest.mark.parametrize("root", ["", "/directory"])
def test_listing_url_is_the_address_url_for_gives(app, external, root):
    ids = [str(uuid.uuid4()) for _ in range(3)] + ["odd id/with?marks"]
    with app.test_request_context("/search", base_url=f"https://civic.example{root}"):
        for listing_id in ids:
            expected = url_for("listings.listing_page", listing_id=listing_id, _external=external)
            assert listing_url(listing_id, _external=external) == expected
        assert listing_url(ids[0]) != listing_url(ids[1])


@pytest.mark.parametrize("root", ["", "/directory"])
@pytest.mark.parametrize(
    "page", ["/search?q=walking&domain=C&domain=I", "/search?q=caf%C3%A9+&+tea%2Bcake#x", "/browse"]
)
def test_add_to_shortlist_url_is_the_address_url_for_gives(app, root, page):
    ids = [str(uuid.uuid4()) for _ in range(2)] + ["odd id/with?marks&more=1#x", "café"]
    with app.test_request_context(page, base_url=f"https://civic.example{root}"):
        from flask import request

        for listing_id in ids:
            expected = url_for(
                "plans.add", listing_id=listing_id, next=f"{request.full_path}#listing-{listing_id}"
            )
            assert add_to_shortlist_url(listing_id) == expected
        assert add_to_shortlist_url(ids[0]) != add_to_shortlist_url(ids[1])
