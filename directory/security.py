"""Security headers, including a Content-Security-Policy the pages and maps satisfy.

Scripts and styles come from the app itself; the one inline script per map carries the
request's nonce. Map tiles may come from the configured tile server.

Pages for a signed-in person, and pages reached by a secret link (share, reset,
verification, one-click reminder and feedback-code pages), are sent with
``Cache-Control: no-store``, so no shared cache or back button shows them to someone
else. Over HTTPS, browsers are told to keep to HTTPS (HSTS). The ``Server`` header names
no versions.
"""

from __future__ import annotations

import logging
import re
import secrets

from flask import Flask, Response, g, request, session

from directory.maps import tile_origin

# Views whose URL carries a secret: whoever holds the URL sees the page, so it must not
# be kept by a cache that someone else could reach.
NO_STORE_ENDPOINTS = frozenset(
    {
        "accounts.verify",
        "accounts.reset_password",
        "plans.shared",
        "lifecycle.check",
        "ratings.feedback_start",  # the code may be in the query string
        "ratings.feedback",
        "ratings.feedback_thanks",
        # The CIVIC check and sketch (issue 21): what the person said is never kept,
        # even by a browser cache, whoever is signed in.
        "plans.civic_check",
        "plans.conversation_sketch",
        "plans.conversation_suggestion",
    }
)
# What Werkzeug's development server (`flask run`) says in its Server header instead of
# its and Python's versions. Gunicorn sends "Server: gunicorn", without a version, by
# itself (see deploy/gunicorn.conf.py); a header set by the app would come as a second one.
SERVER_HEADER = "civic-directory"


def csp_nonce() -> str:
    """This request's nonce for inline scripts (created on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def register(app: Flask) -> None:
    """Add the nonce to templates and the headers to every response."""
    app.add_template_global(csp_nonce, "csp_nonce")

    @app.after_request
    def security_headers(response: Response) -> Response:
        img = "'self' data:"
        origin = tile_origin(app.config["MAP_TILES_URL"])
        if origin:
            img += f" {origin}"
        policy = "; ".join(
            (
                "default-src 'self'",
                f"script-src 'self' 'nonce-{csp_nonce()}'",
                "style-src 'self'",
                f"img-src {img}",
                "font-src 'self'",
                "connect-src 'self'",
                "object-src 'none'",
                "base-uri 'self'",
                "form-action 'self'",
                "frame-ancestors 'none'",
            )
        )
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault(
            "Permissions-Policy", "geolocation=(), camera=(), microphone=()"
        )
        if _private(response):
            response.headers["Cache-Control"] = "no-store"
        if request.is_secure:
            response.headers.setdefault(
                "Strict-Transport-Security", f"max-age={int(app.config['HSTS_MAX_AGE'])}"
            )
        return response

    _hide_development_server_version()
    _keep_query_strings_out_of_the_development_log()


class QueryStringFilter(logging.Filter):
    """Drop the query string from request lines in Werkzeug's access log.

    Searches carry a postcode in the query string, and the privacy rule says nothing
    that could place a person is logged. Werkzeug's development server (``make run``)
    logs ``"GET /search?postcode=PL4+8AA HTTP/1.1" 200 -``; this keeps the path only.
    Gunicorn's access log format in ``deploy/gunicorn.conf.py`` does the same in
    production.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the request line, if the record has one; always keep the record."""
        if isinstance(record.args, tuple) and record.args and isinstance(record.args[0], str):
            first, *rest = record.args
            record.args = (QUERY_IN_REQUEST_LINE.sub(r"\1", first), *rest)
        return True


# "GET /search?postcode=PL4+8AA HTTP/1.1": everything from ? up to the protocol.
QUERY_IN_REQUEST_LINE = re.compile(r"^(\S+ [^?\s]*)\?\S*")


def _keep_query_strings_out_of_the_development_log() -> None:
    """Put the query-string filter on Werkzeug's logger, once per process."""
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, QueryStringFilter) for f in logger.filters):
        logger.addFilter(QueryStringFilter())


def _hide_development_server_version() -> None:
    """Make Werkzeug's development server name no versions in ``Server``.

    It writes the header itself, before the app's headers, so the app can't replace it;
    its request handler is the one place to change. Other servers are unaffected.
    """
    from werkzeug.serving import WSGIRequestHandler

    WSGIRequestHandler.version_string = lambda handler: SERVER_HEADER  # type: ignore[method-assign]


def _private(response: Response) -> bool:
    """Whether the response is for one person.

    A secret-link page, or anything (but the shared static files) asked for with a
    session cookie naming an account or an API token. The session is read, not the
    account loaded, so this costs no query.
    """
    if request.endpoint == "static":
        return False
    if request.endpoint in NO_STORE_ENDPOINTS:
        return True
    return "_user_id" in session or "Authorization" in request.headers
