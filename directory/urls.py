"""Addresses that leave a request: links in emails and hand-outs, and where to go back to.

Links someone will open later (reset, verification, share and feedback links, reminder
one-click links) are built from the configured ``BASE_URL``, never from the request's
``Host`` header, which the client chooses: a forged header would otherwise put a valid
token into a link to another site.

Redirects to a page named by the request (``next``, the ``Referer``) only ever go to a
path on this site; everything else goes to the fallback.
"""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, request

# Longer than any page of ours with its query; a longer ``next`` is not one of ours.
MAX_NEXT_LENGTH = 2000


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint`` on the site at ``BASE_URL``.

    Scheme, host and any path prefix are taken from ``BASE_URL``, whatever the current
    request's host.
    """
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc,
        script_name=base.path.rstrip("/") or "/",
        url_scheme=base.scheme or "https",
    )
    current_app.inject_url_defaults(endpoint, values)
    anchor = values.pop("_anchor", None)
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{anchor}" if anchor else url


def is_safe_path(target: object) -> bool:
    r"""Whether ``target`` is a path on this site that a browser can't read as another.

    Refused: anything not starting with one ``/`` (``//host``, ``/\host``, schemes such
    as ``javascript:``), backslashes (browsers read them as ``/``), control and invisible
    characters (browsers drop tabs and newlines, turning ``/\t/host`` into ``//host``;
    newlines would also split the header), and anything implausibly long.
    """
    if not isinstance(target, str) or not target or len(target) > MAX_NEXT_LENGTH:
        return False
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(unicodedata.category(char)[0] in "CZ" and char != " " for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` if it is a safe path on this site, else ``fallback``."""
    return target if is_safe_path(target) else fallback


def safe_referrer(fallback: str) -> str:
    """The page the request came from, if it is on this site, as a path; else ``fallback``.

    Only the path and query are kept, so the redirect can't leave the site even when
    the ``Referer`` names this host with a different scheme or port.
    """
    referrer = request.referrer
    if not referrer:
        return fallback
    try:
        parts = urlsplit(referrer)
    except ValueError:
        return fallback
    if parts.netloc != request.host:
        return fallback
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(path, fallback)
