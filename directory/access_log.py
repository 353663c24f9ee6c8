"""Gunicorn's logs without postcodes or secret links (``deploy/gunicorn.conf.py`` uses it).

Postcodes travel in query strings (``/search?postcode=PL4+8AA``), and so do search words
and feedback codes; secret links carry their token in the path (password reset, email
verification, shared shortlists, freshness checks, feedback codes). None of that may be
written to a log. :class:`PrivateLogger` is gunicorn's logger with every request atom
cleaned before any format sees it: the path without its query string and with any
secret segment replaced by ``[secret]``, the same for the Referer (which names the page
a request came from, query string and all), and no query string at all. So even an
operator's own ``access_log_format`` (``%(r)s``, ``%(q)s``, ``%(f)s``,
``%({raw_uri}e)s``...) can't put one in the access log. Gunicorn's error log names the
request URI when a request fails; that is cleaned the same way.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

from gunicorn import glogging

# Paths whose next segment is a secret: whoever has the URL can use it.
SECRET_PREFIXES = (
    "/accounts/verify/",
    "/accounts/reset/",
    "/listings/check/",
    "/feedback/",
    "/shared/",
)
SECRET = "[secret]"
# Request atoms gunicorn takes from the environ and the request headers that may hold a
# query string or a secret path, as they appear in its atoms (lowercased).
URL_ATOMS = ("{raw_uri}e", "{request_uri}e", "{path_info}e", "{http_referer}e", "{referer}i")
QUERY_ATOMS = ("q", "{query_string}e")


def loggable_path(path: str) -> str:
    """``path`` without its query string, fragment or secret segment."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    for prefix in SECRET_PREFIXES:
        if path.startswith(prefix) and len(path) > len(prefix):
            _secret, slash, rest = path[len(prefix) :].partition("/")
            return f"{prefix}{SECRET}{slash}{rest}"
    return path


def loggable_url(url: str) -> str:
    """A path or absolute URL made loggable: see :func:`loggable_path`."""
    if url.startswith("/"):
        return loggable_path(url)
    parts = urlsplit(url)
    if parts.scheme and parts.netloc:
        return urlunsplit((parts.scheme, parts.netloc, loggable_path(parts.path), "", ""))
    return url.split("?", 1)[0]


def _clean(value: object) -> object:
    if isinstance(value, str) and (value.startswith("/") or "://" in value or "?" in value):
        return loggable_url(value)
    return value


class RequestUriFilter(logging.Filter):
    """Cleans request URIs out of a log record's arguments (gunicorn's error messages)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Clean the record's arguments in place; always let the record through."""
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(arg) for arg in record.args)
        return True


class PrivateLogger(glogging.Logger):
    """Gunicorn's logger, with no query strings and no secret links in either log."""

    def setup(self, cfg: object) -> None:
        """Set up as gunicorn does, then clean request URIs out of the error log."""
        super().setup(cfg)
        if not any(isinstance(f, RequestUriFilter) for f in self.error_log.filters):
            self.error_log.addFilter(RequestUriFilter())

    def atoms(self, resp: object, req: object, environ: dict, request_time: object) -> dict:
        """Gunicorn's access log atoms with paths cleaned and query strings dropped."""
        atoms = super().atoms(resp, req, environ, request_time)
        path = loggable_path(environ.get("PATH_INFO") or "/")
        atoms["U"] = path
        atoms["r"] = f"{atoms.get('m')} {path} {atoms.get('H')}"
        referer = environ.get("HTTP_REFERER")
        atoms["f"] = loggable_url(referer) if referer else "-"
        for key in QUERY_ATOMS:
            if key in atoms:
                atoms[key] = "-"
        for key in URL_ATOMS:
            if isinstance(atoms.get(key), str):
                atoms[key] = loggable_url(atoms[key])
        return atoms
