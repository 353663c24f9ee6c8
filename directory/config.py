"""Default settings.

Each can be overridden by an environment variable prefixed ``DIRECTORY_``
(``DIRECTORY_SEARCH_INDEX_DIR=/var/lib/civic/index``), and ``DATABASE_URL`` selects the
database.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

# Anyone can read this in the source, and so sign any session with it: only debugging
# and tests may run with it.
DEFAULT_SECRET_KEY = "dev-only-change-me"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
# Where `make run` keeps the random key it makes on first run (inside instance/).
SECRET_KEY_FILE = "secret_key"


class DefaultConfig:
    """Embedded default: SQLite, with the search index in its own tables.

    The database and the offline postcode table live under the instance folder (filled in
    by the factory).
    """

    SECRET_KEY = DEFAULT_SECRET_KEY
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # PostgreSQL streaming replicas for read-only pages (directory.replicas): a list, or
    # a comma-separated string (DIRECTORY_DATABASE_REPLICA_URLS or DATABASE_REPLICA_URLS).
    DATABASE_REPLICA_URLS: list[str] | str = []
    # After a request that may write, that browser reads from the primary for this many
    # seconds, so it sees its own change even if the replicas are a moment behind.
    PRIMARY_AFTER_WRITE_SECONDS = 10
    # A replica that failed (unreachable, say) is left alone for this many seconds; the
    # request that found it failing runs again on the primary.
    REPLICA_RETRY_SECONDS = 30
    SEARCH_INDEX_DIR: str | None = None
    # "sql": search tables in the app's database (FTS5 + R*Tree on SQLite, tsvector + GIN
    # on PostgreSQL); "whoosh": a Whoosh index in SEARCH_INDEX_DIR; "database": no index.
    SEARCH_BACKEND = "sql"
    # SQLite's page cache per connection, in MiB (its default is 2). Searches near a
    # place read thousands of scattered search_document rows; with the default cache each
    # read goes back to the operating system, about a third of such a search.
    SQLITE_CACHE_MIB = 64
    # How much of an SQLite database file, in MiB, is read through a memory map rather
    # than read() (0: none). Address space only: the pages are the operating system's
    # file cache, shared by every connection and process. Under load some connection is
    # always writing (shortlists, ratings, sign-ins, unmet need), which empties the
    # others' page caches; through the map their next reads cost no system call
    # (directory.extensions.configure_sqlite).
    SQLITE_MMAP_MIB = 1024
    # How long an SQLite transaction waits for another's write lock before giving up;
    # the request is then run once more, and answered 503 if it still can't write.
    SQLITE_BUSY_TIMEOUT_MS = 5000
    # Seconds a client is asked to wait (Retry-After) when the database is too busy.
    BUSY_RETRY_AFTER = 5
    # The outbox: emails are queued in the transaction and sent after it commits; `flask
    # directory send-outbox` retries failures, at most this often and this many times.
    OUTBOX_RETRY_MINUTES = 5
    OUTBOX_MAX_ATTEMPTS = 10
    GEO_TABLE_PATH: str | None = None
    GEOCODER_PLACES: str | None = None
    GEOCODER_USER_AGENT = "civic-directory"
    MAP_TILES_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    MAP_TILES_ATTRIBUTION = (
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    )
    # Printed hand-outs: a small street map per option, drawn on the server from this tile
    # server's {z}/{x}/{y} tiles (directory/plans/tiles.py), or directions in words when
    # unset. Off by default: public tile servers such as OpenStreetMap's ask heavy users
    # to run their own. Only the listings' own places are ever looked up. The attribution
    # is printed under each map as the tile server's licence requires.
    HANDOUT_TILES_URL: str | None = None
    HANDOUT_TILES_ATTRIBUTION = "Map data © OpenStreetMap contributors"
    HANDOUT_TILES_TIMEOUT = 3.0  # seconds per tile; after a failure the rest go without
    HANDOUT_TILES_USER_AGENT = "civic-directory hand-out maps"
    HANDOUT_TILES_CACHE_DIR: str | None = None  # default: instance/map-tiles
    # The public address (scheme, host and any path prefix). Every link someone opens
    # later (emails, share links, hand-outs) is built from it, never from the request's
    # Host header. Outside debugging and testing, TRUSTED_HOSTS defaults to its host.
    BASE_URL = "http://127.0.0.1:5000"
    # Host names requests may use (Flask's setting; a leading dot allows subdomains);
    # other Host headers get 400. None: BASE_URL's host, or any host in debug and tests.
    TRUSTED_HOSTS: list[str] | None = None
    HSTS_MAX_AGE = 365 * 24 * 60 * 60  # sent only on requests that came over HTTPS
    PER_PAGE = 20
    MAX_PER_PAGE = 100
    DEMO_LISTINGS = 320
    JSON_SORT_KEYS = False

    # Sessions: secure cookies by default; `make run` serves plain HTTP on loopback and
    # turns SESSION_COOKIE_SECURE off for that alone.
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = 8 * 60 * 60  # seconds: one working day
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024

    # Accounts
    TRUSTED_EMAIL_DOMAINS = ["nhs.net"]  # verified addresses here are approved at once
    PASSWORD_MIN_LENGTH = 10
    VERIFY_TOKEN_MAX_AGE = 3 * 24 * 60 * 60
    RESET_TOKEN_MAX_AGE = 60 * 60
    # memory:// counts per process; with several workers or nodes, share the counts in
    # Redis (redis://host:6379/0) so that each limit holds across all of them.
    RATELIMIT_STORAGE_URI = "memory://"
    # If Redis is unreachable, each process counts in memory until it is back, rather
    # than answering 500 (limits then hold per process, as with memory://).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_LOGIN = "10 per minute;50 per hour"
    RATELIMIT_REGISTER = "5 per minute;20 per hour"
    RATELIMIT_RESET = "5 per minute;20 per hour"

    # Freshness: days without a check before each reminder step, per kind if wanted,
    # e.g. {"place": {"remind": 180, "remind_again": 210, "escalate": 270, "hide": 540}}.
    FRESHNESS_INTERVALS: dict = {}
    FRESHNESS_LINK_MAX_AGE = 30 * 24 * 60 * 60  # one-click reminder links last 30 days
    ARCHIVE_PURGE_DAYS = 365
    RATELIMIT_REPORT = "5 per hour"  # anonymous problem reports
    # Anonymous feedback, per address: submissions, and code look-ups (which slow down
    # guessing codes).
    RATELIMIT_FEEDBACK = "10 per hour"
    RATELIMIT_FEEDBACK_LOOKUP = "60 per hour"

    # Shortlists and the Open Referral feed
    PLANS_SHARE_LIFETIME_DAYS = 14  # read-only share links expire after this
    OPENREFERRAL_INCLUDE_RATINGS = False  # practitioner ratings stay out of the public feed

    # Email: sent over SMTP when MAIL_SERVER is set, otherwise written to the outbox.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_FROM = "CIVIC community directory <no-reply@civic-directory.invalid>"


def database_url_from_env() -> str | None:
    """Return ``DATABASE_URL`` rewritten for psycopg 3, or None when unset."""
    url = os.environ.get("DATABASE_URL")
    return psycopg_url(url) if url else None


def psycopg_url(url: str) -> str:
    """A database URL with psycopg 3 named as the driver of a PostgreSQL one.

    Hosting platforms hand out ``postgres://`` URLs; SQLAlchemy needs the driver named.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def instance_defaults(instance_path: str) -> dict[str, str]:
    """Paths for the embedded default, all inside the instance folder."""
    base = Path(instance_path)
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{base / 'directory.sqlite'}",
        "SEARCH_INDEX_DIR": str(base / "search-index"),
        "GEO_TABLE_PATH": str(base / "postcodes.sqlite"),
        "HANDOUT_TILES_CACHE_DIR": str(base / "map-tiles"),
    }


class InsecureConfiguration(RuntimeError):
    """The app would run with a setting anyone could exploit; the message says the fix."""


def apply_production_settings(app: Flask) -> None:
    """Settings that depend on whether this is a real deployment.

    The secret key comes from ``DIRECTORY_SECRET_KEY`` (or ``config``), else from
    ``instance/secret_key`` (made by ``make run``). Outside debugging and testing, a
    server refuses to start with the default key, and only ``BASE_URL``'s host is trusted
    unless ``TRUSTED_HOSTS`` says otherwise.
    """
    if app.config.get("SECRET_KEY") in (None, "", DEFAULT_SECRET_KEY):
        key_file = Path(app.instance_path) / SECRET_KEY_FILE
        if key_file.is_file() and (key := key_file.read_text().strip()):
            app.config["SECRET_KEY"] = key
    if app.debug or app.testing:
        return
    if app.config.get("TRUSTED_HOSTS") is None:
        host = urlsplit(app.config["BASE_URL"]).hostname
        # `make run` on this machine answers to each name for it.
        app.config["TRUSTED_HOSTS"] = (
            list(LOOPBACK) if host in LOOPBACK else [host] if host else None
        )
    if app.config.get("SECRET_KEY") in (None, "", DEFAULT_SECRET_KEY):
        message = (
            "Refusing to start with the default SECRET_KEY: anyone could sign a session "
            "as any user. Set DIRECTORY_SECRET_KEY to a long random value, for example "
            "export DIRECTORY_SECRET_KEY=\"$(python3 -c 'import secrets; "
            "print(secrets.token_hex(32))')\", or put one in "
            f"{Path(app.instance_path) / SECRET_KEY_FILE} (make run does this for you)."
        )
        if _maintenance_command():
            # `flask db upgrade`, `flask directory build-assets` and the like sign no
            # sessions, and `make` runs them before `make run` has made the key.
            app.logger.warning("%s", message)
            return
        raise InsecureConfiguration(message)


def _maintenance_command() -> bool:
    """Whether the app is being loaded by a ``flask`` command other than ``flask run``.

    Any server (``flask run``, gunicorn or another WSGI server) is not one of these.
    """
    import click
    from flask.cli import ScriptInfo, run_command

    context = click.get_current_context(silent=True)
    if context is None or context.find_object(ScriptInfo) is None:
        return False
    return context.command is not run_command
