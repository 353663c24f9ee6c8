"""Addresses of pages that a page links to many times over.

A page of results links to twenty listings, on its cards, its map and in the API's
answer. ``url_for`` matches the endpoint's rule each time (17 µs, a millisecond a page);
here it runs once per request and the id is put into the address it gave.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import url_for

from directory.request_cache import request_cache

_ID = "__listing_id__"  # a value url_for leaves as it is, replaced afterwards
# What werkzeug's path converters leave unquoted (BaseConverter.to_url); tests/test_links.py
# checks the two agree.
_PATH_SAFE = "!$&'()*+,/:;=@"


def listing_url(listing_id: str, _external: bool = False) -> str:
    """The listing page's address, as ``url_for("listings.listing_page", ...)`` gives it."""
    addresses = request_cache("listing_url")
    pattern = addresses.get(_external)
    if pattern is None:
        pattern = url_for("listings.listing_page", listing_id=_ID, _external=_external)
        addresses[_external] = pattern
    return pattern.replace(_ID, quote(str(listing_id), safe=_PATH_SAFE))
