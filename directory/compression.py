"""Responses compressed on their way out: Brotli when the browser takes it, else gzip.

A WSGI middleware around the whole app, static files included: pages, JSON, stylesheets,
scripts and SVG whose ``Content-Length`` is at least :data:`MIN_SIZE` bytes are compressed
(a smaller body gains less than the header costs). It leaves alone:

- responses already encoded (the vendor files' precompressed ``.br``/``.gz`` copies),
  partial ones (``Content-Range``), ones marked ``no-transform``, ``HEAD`` requests;
- streamed responses (no ``Content-Length``) and bodies over :data:`MAX_SIZE`, which
  would otherwise be held whole in memory;
- ``Cache-Control: no-store`` responses: the pages of a signed-in person and of secret
  links (:mod:`directory.security`). They carry a CSRF token beside text the request
  chose (a search echoes its words), and compressing the two together would let someone
  who watches the encrypted sizes of many such responses guess the token (BREACH).

Every compressible type gets ``Vary: Accept-Encoding``, so a shared cache keeps the
encodings apart. The body is compressed once it is complete; the response's ``close()``
(which sends queued email) still runs when the server closes the response.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import brotli
from flask import Flask
from werkzeug.datastructures import Headers
from werkzeug.http import parse_accept_header
from werkzeug.wsgi import ClosingIterator

# Bytes: below this, compression gains less than its headers cost.
MIN_SIZE = 1024
# Bytes: above this, a body passes through rather than being held in memory whole.
MAX_SIZE = 8 * 1024 * 1024
# The demo search page's 60 kB of HTML: Brotli 5 makes 8.0 kB, gzip 6 8.5 kB, each in a
# few milliseconds (Brotli 11, for the static files, takes a hundred times longer).
BROTLI_QUALITY = 5
GZIP_LEVEL = 6
COMPRESSIBLE_TYPES = frozenset(
    {
        "application/geo+json",
        "application/javascript",
        "application/json",
        "application/ld+json",
        "application/manifest+json",
        "application/problem+json",
        "application/xml",
        "image/svg+xml",
        "text/calendar",
        "text/css",
        "text/csv",
        "text/html",
        "text/javascript",
        "text/plain",
        "text/xml",
    }
)
UNCOMPRESSED_STATUSES = frozenset({204, 206, 304})


def choose_encoding(accept_encoding: str) -> str | None:
    """``br`` or ``gzip``, whichever the ``Accept-Encoding`` value prefers (ties: ``br``)."""
    accepted = parse_accept_header(accept_encoding)
    best = max(("br", "gzip"), key=lambda coding: accepted.quality(coding))
    return best if accepted.quality(best) > 0 else None


def compress(body: bytes, encoding: str) -> bytes:
    """``body`` (text: every compressible type is) compressed with ``br`` or ``gzip``."""
    if encoding == "br":
        return brotli.compress(body, quality=BROTLI_QUALITY, mode=brotli.MODE_TEXT)
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


def is_compressible(headers: Headers) -> bool:
    """Whether a response of this type is worth compressing at all (and so varies)."""
    media_type = headers.get("Content-Type", "").split(";")[0].strip().lower()
    return media_type in COMPRESSIBLE_TYPES


def should_compress(status: int, headers: Headers, min_size: int = MIN_SIZE) -> bool:
    """Whether to compress a response with this status and these headers (see the module)."""
    if status in UNCOMPRESSED_STATUSES or status < 200 or not is_compressible(headers):
        return False
    if "Content-Encoding" in headers or "Content-Range" in headers:
        return False
    cache_control = headers.get("Cache-Control", "").lower()
    if "no-transform" in cache_control or "no-store" in cache_control:
        return False
    try:
        length = int(headers.get("Content-Length", ""))
    except ValueError:
        return False
    return min_size <= length <= MAX_SIZE


def add_vary(headers: Headers) -> None:
    """Add ``Accept-Encoding`` to the response's ``Vary`` header, once."""
    values = [value.strip() for value in headers.get("Vary", "").split(",") if value.strip()]
    if "*" in values or any(value.lower() == "accept-encoding" for value in values):
        return
    headers["Vary"] = ", ".join([*values, "Accept-Encoding"])


@dataclass
class _Captured:
    """What the app passed to ``start_response`` while it was held back."""

    status: str = ""
    headers: Headers = field(default_factory=Headers)
    exc_info: object = None
    held: bool = False
    too_late: bool = False


class CompressResponses:
    """WSGI middleware compressing the responses of ``app`` (see the module)."""

    def __init__(self, app: Callable, min_size: int = MIN_SIZE):
        self.app = app
        self.min_size = min_size

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """Run the app; compress its response if it qualifies, else pass it straight on."""
        encoding = None
        if environ.get("REQUEST_METHOD") != "HEAD":
            encoding = choose_encoding(environ.get("HTTP_ACCEPT_ENCODING", ""))
        captured = _Captured()

        def capture(status: str, headers: list, exc_info: object = None) -> Callable:
            response_headers = Headers(headers)
            if is_compressible(response_headers):
                add_vary(response_headers)
            compressing = (
                encoding is not None
                and not captured.too_late
                and should_compress(int(status.split(" ", 1)[0]), response_headers, self.min_size)
            )
            if not compressing:
                return start_response(status, response_headers.to_wsgi_list(), exc_info)
            captured.status, captured.headers = status, response_headers
            captured.exc_info, captured.held = exc_info, True
            return _no_write

        body = self.app(environ, capture)
        if not captured.held:
            # Passed on already, or the app will call start_response while it's iterated.
            captured.too_late = True
            return body
        try:
            data = b"".join(body)
        except BaseException:
            if hasattr(body, "close"):
                body.close()
            raise
        headers = captured.headers
        packed = compress(data, encoding)
        if len(packed) < len(data):
            data = packed
            headers["Content-Encoding"] = encoding
        headers["Content-Length"] = str(len(data))
        start_response(captured.status, headers.to_wsgi_list(), captured.exc_info)
        return ClosingIterator([data], [body.close] if hasattr(body, "close") else [])


def _no_write(data: bytes) -> None:
    """The ``write`` callable of a held-back response (neither Flask nor WhiteNoise uses it)."""
    raise RuntimeError("write() is not supported for responses that may be compressed")


def register(app: Flask) -> None:
    """Compress ``app``'s responses, static files included (call after WhiteNoise is in)."""
    app.wsgi_app = CompressResponses(app.wsgi_app)  # type: ignore[method-assign]
