"""Read-only pages answered from PostgreSQL streaming replicas; everything else from the primary.

With ``DATABASE_REPLICA_URLS`` set (one URL or several, comma-separated), a request is
read from a replica (one of them, at random, for the whole request) when all of these
hold:

- it is a GET or HEAD of one of :data:`READ_ONLY_ENDPOINTS` (the public pages and feeds
  anyone may read: search, listings, organisations, the API's search, the Open Referral
  feed, exports), not marked :func:`directory.transactions.writes`;
- it is the request's first run (a request run again after a lock or a failing replica
  reads from the primary);
- the browser hasn't written in the last ``PRIMARY_AFTER_WRITE_SECONDS``: every request
  that may write (any method but GET, HEAD and OPTIONS, or a view marked ``writes``) and
  succeeds sets a short signed cookie (:data:`COOKIE`) with the time, and while it is
  fresh that browser reads from the primary, so it sees its own change even when the
  replicas are a moment behind. Other people see it as soon as the replica has replayed
  it (milliseconds, on a healthy stream).

Everything else (signed-in pages, moderation, forms, ``/health``, every command) uses the
primary. Within a replica-read request, writes still go to the primary
(:class:`directory.extensions.RoutingSession`: a flush, or an INSERT, UPDATE or DELETE).

A replica that fails (it is down, or cancels a query that conflicts with replay) is left
alone for ``REPLICA_RETRY_SECONDS`` by this process, and the request runs again on the
primary (:class:`directory.transactions.RetryOnLock`): a reader never sees the error.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from flask import Flask, Response, current_app, request, request_started
from itsdangerous import BadSignature, TimestampSigner
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from directory.config import psycopg_url
from directory.extensions import READ_REPLICA, configure_sqlite

# Endpoints whose GET only reads, and that anyone may read: answered from a replica.
READ_ONLY_ENDPOINTS = frozenset(
    {
        "search.search_page",
        "api.search",
        "api.listing_detail",
        "listings.listing_page",
        "listings.organisation_page",
        "listings.browse_page",
        "exports.search_csv",
        "exports.search_xlsx",
        "exports.listing_ics",
        "openreferral.index",
        "openreferral.services",
        "openreferral.service_detail",
        "openreferral.service_at_locations",
        "openreferral.service_at_location_detail",
        "openreferral.organizations",
        "openreferral.organization_detail",
        "openreferral.taxonomies",
        "openreferral.taxonomy_detail",
        "openreferral.taxonomy_terms",
        "openreferral.taxonomy_term_detail",
        "openreferral.export",
    }
)
READ_METHODS = frozenset({"GET", "HEAD"})
# The cookie saying "this browser has just written: read from the primary".
COOKIE = "directory_wrote"
SALT = "directory.replicas.wrote"
EXTENSION = "replicas"
# Errors that mean the replica itself failed (unreachable, gone, shut down).
REPLICA_FAILURES = (OperationalError, InterfaceError)


@dataclass
class Replicas:
    """This process's replica engines and which of them failed lately."""

    engines: list[Engine]
    retry_seconds: float
    down_until: dict[int, float] = field(default_factory=dict)

    def pick(self) -> Engine | None:
        """A replica not known to be failing, at random; None if there is none."""
        now = time.monotonic()
        healthy = [
            engine
            for number, engine in enumerate(self.engines)
            if self.down_until.get(number, 0.0) <= now
        ]
        return random.choice(healthy) if healthy else None

    def mark_down(self, engine: Engine) -> None:
        """Leave ``engine`` alone for a while: it just failed."""
        for number, candidate in enumerate(self.engines):
            if candidate is engine:
                self.down_until[number] = time.monotonic() + self.retry_seconds


def replica_urls(setting: list[str] | str | None) -> list[str]:
    """The replica URLs of a ``DATABASE_REPLICA_URLS`` value, for psycopg 3."""
    if not setting:
        return []
    urls = setting.split(",") if isinstance(setting, str) else setting
    return [psycopg_url(url.strip()) for url in urls if url.strip()]


def register(app: Flask) -> None:
    """Create the replica engines (if any) and route each request's reads."""
    urls = replica_urls(app.config.get("DATABASE_REPLICA_URLS"))
    if not urls:
        return
    options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
    engines = [create_engine(url, **options) for url in urls]
    for engine in engines:
        configure_sqlite(
            engine,
            cache_mib=app.config["SQLITE_CACHE_MIB"],
            busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"],
            mmap_mib=app.config["SQLITE_MMAP_MIB"],
        )
    app.extensions[EXTENSION] = Replicas(engines, float(app.config["REPLICA_RETRY_SECONDS"]))

    def choose(sender: Flask, **extra) -> None:
        READ_REPLICA.set(_replica_for_request(app))

    request_started.connect(choose, app, weak=False)

    @app.after_request
    def remember_write(response: Response) -> Response:
        """After a request that may have written, read from the primary for a while."""
        if response.status_code < 400 and _may_write(app):
            signer = TimestampSigner(app.secret_key, salt=SALT)
            response.set_cookie(
                COOKIE,
                signer.sign(b"1").decode(),
                max_age=int(app.config["PRIMARY_AFTER_WRITE_SECONDS"]),
                secure=app.config["SESSION_COOKIE_SECURE"],
                httponly=True,
                samesite="Lax",
            )
        return response

    @app.teardown_request
    def forget_replica(exc: BaseException | None) -> None:
        READ_REPLICA.set(None)


def _may_write(app: Flask) -> bool:
    from directory.transactions import may_write

    return may_write(app.view_functions.get(request.endpoint or ""), request.method)


def _replica_for_request(app: Flask) -> Engine | None:
    """The replica this request reads from, or None for the primary."""
    from directory.transactions import ATTEMPT

    if (
        request.method not in READ_METHODS
        or request.endpoint not in READ_ONLY_ENDPOINTS
        or request.environ.get(ATTEMPT, 1) > 1
        or _may_write(app)
        or _wrote_lately(app)
    ):
        return None
    return app.extensions[EXTENSION].pick()


def _wrote_lately(app: Flask) -> bool:
    """Whether this browser's write cookie is there, genuine and fresh."""
    value = request.cookies.get(COOKIE)
    if not value:
        return False
    signer = TimestampSigner(app.secret_key, salt=SALT)
    try:
        signer.unsign(value, max_age=int(app.config["PRIMARY_AFTER_WRITE_SECONDS"]))
    except BadSignature:  # tampered with, or expired (SignatureExpired is a BadSignature)
        return False
    return True


def replica_failed(error: DBAPIError) -> bool:
    """Whether ``error`` is this request's replica failing; if so, leave it alone a while.

    The caller then has the request run again, on the primary.
    """
    replica = READ_REPLICA.get()
    if replica is None or not isinstance(error, REPLICA_FAILURES):
        return False
    current_app.extensions[EXTENSION].mark_down(replica)
    current_app.logger.warning("Read replica %s failed: %s", replica.url, error.orig)
    return True
