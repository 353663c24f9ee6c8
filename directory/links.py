"""Addresses of pages that a page links to many times over.

A page of results links to twenty listings, on its cards, its map and in the API's
answer. ``url_for`` matches the endpoint's rule each time (17 µs, a millisecond a page);
here it runs once per request and the id is put into the address it gave.
"""

from __future__ import annotations

from urllib.parse import quote, quote_plus

from flask import g, request, url_for

from directory.request_cache import request_cache

_ID = "__listing_id__"  # a value url_for leaves as it is, replaced afterwards
# What werkzeug's path converters leave unquoted (BaseConverter.to_url); tests/test_links.py
# checks the two agree.
_PATH_SAFE = "!$&'()*+,/:;=@"
# What werkzeug leaves unquoted in a query string's values (werkzeug.urls._urlencode).
_QUERY_SAFE = "!$'()*,/:;?@"


def listing_url(listing_id: str, _external: bool = False) -> str:
    """The listing page's address, as ``url_for("listings.listing_page", ...)`` gives it."""
    addresses = request_cache("listing_url")
    pattern = addresses.get(_external)
    if pattern is None:
        pattern = url_for("listings.listing_page", listing_id=_ID, _external=_external)
        addresses[_external] = pattern
    return pattern.replace(_ID, quote(str(listing_id), safe=_PATH_SAFE))


def add_to_shortlist_url(listing_id: str) -> str:
    """Where a result card's "Add to shortlist" posts, coming back to this card after.

    As ``url_for("plans.add", listing_id=..., next=<this page> + "#listing-...")``
    gives it: the address, then ``next`` quoted as werkzeug quotes a query value (a
    character at a time, so this page's part is quoted once and the id's part per card).
    """
    parts = request_cache("add_to_shortlist_url")
    if not parts:
        parts["path"] = url_for("plans.add", listing_id=_ID)
        # The page's address as its own links carry it, where it says (the search page:
        # its place sealed, not the postcode typed; directory.search_ui.place).
        here = g.get("page_address") or request.full_path
        parts["next"] = quote_plus(here + "#listing-", safe=_QUERY_SAFE)
    listing_id = str(listing_id)
    path = parts["path"].replace(_ID, quote(listing_id, safe=_PATH_SAFE))
    return f"{path}?next={parts['next']}{quote_plus(listing_id, safe=_QUERY_SAFE)}"
