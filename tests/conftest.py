"""Shared fixtures.

The suite runs on SQLite by default and on PostgreSQL when ``TEST_DATABASE_URL`` is set
(``make test`` does both). Each run migrates a fresh database (on PostgreSQL, a schema of
its own) to head with Alembic; each test runs inside a transaction that is rolled back,
with the app's commits turned into savepoints.

Every test (bar the browser tests) runs on a pinned clock: ``PINNED_NOW`` (the ``now``
fixture), a fixed Monday noon UTC moved on by ``TEST_CLOCK_OFFSET_DAYS`` when set, so
``make test-future`` can run the suite two years ahead. Dates a test stores or compares
with the app's clock are written relative to it (``now - dt.timedelta(days=400)``), never
as calendar dates, so the suite doesn't expire. Tests of pure calendar arithmetic (a
fortnight's anchor, the last Friday of a month, the clocks going forward) name the dates
they need and pass their own "now"; the clock can't reach them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask, g, request_started
from flask.testing import FlaskClient, FlaskCliRunner

from directory import create_app
from directory.extensions import db as _db
from directory.geo.offline import build_postcode_table, default_source_dir
from directory.models import (
    Listing,
    Location,
    Membership,
    Organisation,
    Schedule,
    Term,
    User,
)
from directory.vocabularies import load_vocabularies, term_id
from search import SearchIndex
from search.sql_index import SqlIndex
from search.whoosh_index import WhooshIndex

TEST_PASSWORD = "correct horse battery staple"

# Postcode areas the tests and the demo data use; building only these keeps set-up quick.
TEST_POSTCODE_AREAS = {
    "pl", "ng", "de", "le", "ex", "tq", "tr", "e", "n", "se", "sw", "nw", "w", "ec", "wc",
}  # fmt: skip


# The pinned "now" every test date is relative to: naive UTC, like the app's ``utcnow()``.
# A Monday, so "tomorrow is a Tuesday" holds at offset 0; tests needing a weekday at any
# offset find it from here (see ``next_weekday``).
CLOCK_OFFSET_DAYS = int(os.environ.get("TEST_CLOCK_OFFSET_DAYS") or 0)
PINNED_NOW = dt.datetime(2026, 11, 23, 12, 0) + dt.timedelta(days=CLOCK_OFFSET_DAYS)


def next_weekday(day: dt.date, weekday: int) -> dt.date:
    """The first date on or after ``day`` falling on ``weekday`` (Monday is 0)."""
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


@pytest.fixture(autouse=True)
def pinned_clock(request: pytest.FixtureRequest) -> Iterator[time_machine.Coordinates | None]:
    """Start every test at ``PINNED_NOW``; the clock then ticks on as usual.

    Browser tests keep the real clock: Chromium does, and cookies the server dates on a
    pinned clock could already have expired by the browser's. So do the cluster tests:
    their servers and jobs are other processes, on the real clock.
    """
    if request.node.get_closest_marker("browser") or request.node.get_closest_marker("cluster"):
        yield None
        return
    with time_machine.travel(PINNED_NOW.replace(tzinfo=dt.UTC), tick=True) as traveller:
        yield traveller


@pytest.fixture
def now() -> dt.datetime:
    """The pinned "now" (naive UTC) the test started at."""
    return PINNED_NOW


def database_url() -> str | None:
    """The PostgreSQL URL to test against, or None for SQLite."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url or None


@pytest.fixture(scope="session")
def postcode_table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An offline postcode table covering the areas the tests use."""
    path = tmp_path_factory.mktemp("geo") / "postcodes.sqlite"
    build_postcode_table(default_source_dir(), path, areas=TEST_POSTCODE_AREAS)
    return path


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Engine settings for one migrated test database, dropped at the end of the run."""
    with throwaway_database(tmp_path_factory, "test") as settings:
        yield settings


@contextlib.contextmanager
def throwaway_database(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[dict]:
    """Engine settings for a new, empty database.

    A SQLite file, or on PostgreSQL (``TEST_DATABASE_URL``) a schema of its own, dropped
    afterwards.
    """
    url = database_url()
    if url is None:
        path = tmp_path_factory.mktemp(name) / f"{name}.sqlite"
        yield {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"}
        return
    schema = f"{name}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield {
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}},
            "TEST_SCHEMA": schema,
        }
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


class ClosingClient(FlaskClient):
    """A test client that reads each response whole and closes it, as a WSGI server does.

    A server closes the response once it is sent: what the app does after the response
    (sending the outbox) has happened when a request returns.
    """

    def open(self, *args, buffered: bool = True, **kwargs):
        return super().open(*args, buffered=buffered, **kwargs)


def make_test_app(database: dict, postcode_table: Path, tmp_path: Path, **overrides) -> Flask:
    """An app configured for tests, with its own index directory."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "GEO_TABLE_PATH": str(postcode_table),
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        # A local image stands in for every map tile: tests make no external requests.
        "MAP_TILES_URL": "/static/vendor/leaflet/images/layers.png?{z}/{x}/{y}",
        "SERVER_NAME": None,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        # Tightened or turned on by the tests of CSRF and rate limiting themselves.
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_LOGIN": "10000 per minute",
        "RATELIMIT_REGISTER": "10000 per minute",
        "RATELIMIT_RESET": "10000 per minute",
        "RATELIMIT_REPORT": "10000 per minute",
        "RATELIMIT_FEEDBACK": "10000 per minute",
        "RATELIMIT_FEEDBACK_LOOKUP": "10000 per minute",
        **database,
        **overrides,
    }
    app = create_app(config)
    app.test_client_class = ClosingClient
    return app


def forget_request_state(sender: Flask, **extra) -> None:
    """Clear what Flask-Login and the CSP keep in ``g`` for one request."""
    g.pop("_login_user", None)
    g.pop("csp_nonce", None)


@pytest.fixture(scope="session")
def app(
    database: dict, postcode_table: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """The application, with its database migrated to head and vocabularies loaded."""
    from flask_migrate import upgrade

    app = make_test_app(database, postcode_table, tmp_path_factory.mktemp("app"))
    # Test requests share the test's app context (and so its session and `g`); forget
    # per-request state as a real request would.
    request_started.connect(forget_request_state, app)
    with app.app_context():
        upgrade()
        load_vocabularies(_db.session)
        _db.session.commit()
        _db.session.remove()
    yield app
    with app.app_context():
        for engine in _db.engines.values():
            engine.dispose()


def empty_index(app: Flask, backend: str, tmp_path: Path) -> SearchIndex:
    """An empty index of the given engine (``sql`` or ``whoosh``) for one test."""
    if backend == "whoosh":
        index = WhooshIndex(tmp_path / "index")
        index.rebuild([])
        return index
    index = SqlIndex()
    with app.app_context():
        # Each test's writes are rolled back, so the tables are normally empty already.
        if not index.exists() or index.check():
            index.rebuild([])
            _db.session.commit()
        _db.session.remove()
    return index


@pytest.fixture
def search_index(app: Flask, tmp_path: Path) -> SearchIndex:
    """A fresh, empty search index for one test (the database is rolled back; so is this)."""
    index = empty_index(app, app.config["SEARCH_BACKEND"], tmp_path)
    previous = app.extensions["search"]
    app.extensions["search"] = index
    yield index
    app.extensions["search"] = previous


@pytest.fixture(autouse=True)
def fresh_rate_limits(request: pytest.FixtureRequest) -> None:
    """Start each test with an app with no requests counted by the rate limiter.

    Every test client shares one address.
    """
    from directory.extensions import limiter

    if "app" in request.fixturenames:
        request.getfixturevalue("app")  # the limiter gets its storage from the app
        limiter.reset()


@pytest.fixture
def db(app: Flask, search_index: SearchIndex) -> Iterator:
    """The database, inside a transaction rolled back after the test, with an empty index.

    The app's own commits become savepoint releases, so code under test behaves as in
    production while the test leaves nothing behind.
    """
    from directory.main.views import forget_public_listing_count

    forget_public_listing_count(app)  # counted in an earlier test's database
    with app.app_context():
        engines = _db.engines
        engine = engines[None]
        connection = engine.connect()
        transaction = connection.begin()
        engines[None] = connection
        _db.session.remove()
        factory_options = _db.session.session_factory.kw
        previous_mode = factory_options.get("join_transaction_mode")
        _db.session.configure(join_transaction_mode="create_savepoint")
        try:
            yield _db
        finally:
            _db.session.remove()
            if previous_mode is None:
                factory_options.pop("join_transaction_mode", None)
            else:
                _db.session.configure(join_transaction_mode=previous_mode)
            engines[None] = engine
            transaction.rollback()
            connection.close()


@pytest.fixture
def client(app: Flask, db) -> FlaskClient:
    """A test client sharing the test's transaction."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask, db) -> FlaskCliRunner:
    """A CLI runner sharing the test's transaction."""
    return app.test_cli_runner()


_counter = itertools.count(1)


@pytest.fixture
def make_organisation(db) -> Callable[..., Organisation]:
    """Create organisations with sensible defaults; keyword arguments override them."""

    def make(**fields) -> Organisation:
        n = next(_counter)
        values = {
            "name": f"Test Organisation {n}",
            "description": "A test organisation.",
            "sector": "third_sector",
            "email": f"org{n}@example.org",
        }
        values.update(fields)
        organisation = Organisation(**values)
        db.session.add(organisation)
        db.session.flush()
        return organisation

    return make


@pytest.fixture
def make_listing(db, make_organisation) -> Callable[..., Listing]:
    """Create listings: by default a free weekly Tuesday-morning peer group at PL4 8AA.

    It targets Involvement unless told otherwise. ``domains``, ``audiences`` etc. take
    vocabulary codes; ``postcode=None`` or ``attendance="online"`` gives no location;
    ``schedules`` takes dicts of Schedule fields.
    """

    def make(
        *,
        domains: tuple[str, ...] = ("involvement",),
        terms: dict[str, tuple[str, ...]] | None = None,
        postcode: str | None = "PL4 8AA",
        latitude: float = 50.3755,
        longitude: float = -4.1290,
        schedules: list[dict] | None = None,
        organisation: Organisation | None = None,
        **fields,
    ) -> Listing:
        n = next(_counter)
        values = {
            "kind": "group",
            "name": f"Test Listing {n}",
            "summary": "A friendly weekly group.",
            "description": "People meet for tea and a chat.",
            "cost": "free",
            "how_to_join": "drop_in",
            "delivered_by": "peers",
            # Checked three weeks ago: fresh, and not "checked this week".
            "last_verified_at": PINNED_NOW - dt.timedelta(days=22, hours=2),
        }
        values.update(fields)
        listing = Listing(organisation=organisation or make_organisation(), **values)
        _db.session.add(listing)
        codes = {"civic_domain": domains, **(terms or {})}
        listing.terms = [
            _db.session.get(Term, term_id(vocabulary, code))
            for vocabulary, chosen in codes.items()
            for code in chosen
        ]
        if postcode and listing.attendance != "online":
            listing.locations = [
                Location(
                    address_1="Community Hall, 1 Test Street",
                    city="Plymouth",
                    postcode=postcode,
                    latitude=latitude,
                    longitude=longitude,
                )
            ]
        for position, schedule in enumerate(
            schedules
            if schedules is not None
            else [{"byday": "TU", "opens_at": dt.time(10), "closes_at": dt.time(12)}]
        ):
            listing.schedules.append(Schedule(position=position, **{"freq": "WEEKLY", **schedule}))
        _db.session.flush()
        return listing

    return make


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    """Create accounts: an approved, verified practitioner unless told otherwise.

    ``editor_of`` makes the user an approved editor of that organisation.
    """
    password_hash = _test_password_hash()

    def make(*, editor_of: Organisation | None = None, **fields) -> User:
        n = next(_counter)
        values = {
            "email": f"user{n}@example.org",
            "name": f"Test User {n}",
            "profession": "link_worker",
            "sector": "primary_care",
            "password_hash": password_hash,
            "role": "practitioner",
            "status": "approved",
            "email_verified_at": PINNED_NOW - dt.timedelta(days=326),
        }
        values.update(fields)
        user = User(**values)
        _db.session.add(user)
        if editor_of is not None:
            user.memberships.append(
                Membership(organisation=editor_of, role="editor", status="approved")
            )
        _db.session.flush()
        return user

    return make


@functools.cache
def _test_password_hash() -> str:
    """Hashed once per run: argon2 is deliberately slow."""
    from directory.accounts.services import hash_password

    return hash_password(TEST_PASSWORD)


def sign_in(client: FlaskClient, user: User) -> FlaskClient:
    """Put ``user`` in the client's session, as Flask-Login would after signing in."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


@pytest.fixture
def client_as(app: Flask, make_user, make_organisation) -> Callable[[str], FlaskClient]:
    """A signed-in client for a role: practitioner, editor, moderator or admin.

    An editor edits a new organisation, or the one whose id is given.
    """

    def make(role: str, organisation_id: str | None = None) -> FlaskClient:
        if role == "editor":
            organisation = (
                _db.session.get(Organisation, organisation_id)
                if organisation_id
                else make_organisation()
            )
            user = make_user(editor_of=organisation)
        else:
            user = make_user(role=role)
        client = app.test_client()
        client.user = user
        return sign_in(client, user)

    return make


@pytest.fixture
def matrix_client(app: Flask, client_as) -> Callable[..., FlaskClient]:
    """A client for a row of a role matrix: anonymous, or signed in for the role.

    What the test made is committed first, because an error response rolls back.
    """

    def make(role: str, organisation_id: str | None = None) -> FlaskClient:
        client = app.test_client() if role == "anonymous" else client_as(role, organisation_id)
        _db.session.commit()
        return client

    return make


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback; the app sends to it for the test's duration."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    class Inbox(Message):
        def __init__(self) -> None:
            super().__init__()
            self.messages: list = []

        def handle_message(self, message) -> None:
            self.messages.append(message)

    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture
def mail(app: Flask, smtp_server):
    """Send the app's email to the local SMTP server; yields the list of messages."""
    controller, inbox = smtp_server
    previous = {key: app.config.get(key) for key in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.server.sockets[0].getsockname()[1]
    )
    yield inbox.messages
    app.config.update(previous)
