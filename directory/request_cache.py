"""Per-request memos for what a page asks once per card (shortlists, uptake, freshness)."""

from __future__ import annotations

from flask import g, request


def request_cache(name: str) -> dict:
    """A dict kept in ``g`` for this request only.

    Keyed by the request too, as tests run several requests in one app context (and so
    one ``g``).
    """
    this_request = request._get_current_object()
    cached = g.get(name)
    if cached is None or cached[0] is not this_request:
        cached = (this_request, {})
        setattr(g, name, cached)
    return cached[1]
