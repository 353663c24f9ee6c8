"""Public pages read from a replica; writes, and reads just after writing, from the primary.

A second engine on the test database stands in for the replica: the statements each
engine runs show where a request read. (tests/cluster runs a real PostgreSQL hot standby.)
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from directory.extensions import READ_REPLICA, after_fork
from directory.extensions import db as _db
from directory.models import AuditEvent
from directory.replicas import (
    COOKIE,
    READ_ONLY_ENDPOINTS,
    Replicas,
    replica_urls,
)
from tests.conftest import database_url, make_test_app

PAGE = "/openreferral/organizations"  # a public feed page: read from the replica


class Counter:
    """Statements run on one engine."""

    def __init__(self, engine: sa.Engine) -> None:
        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self.seen)

    def seen(self, *args, **kwargs) -> None:
        self.count += 1

    def take(self) -> int:
        count, self.count = self.count, 0
        return count


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def replica_app(database: dict, postcode_table: Path, tmp_path: Path, url: str) -> Flask:
    return make_test_app(database, postcode_table, tmp_path, DATABASE_REPLICA_URLS=url)


@pytest.fixture
def routed(
    app: Flask, database: dict, postcode_table: Path, tmp_path: Path
) -> Iterator[tuple[Flask, Counter, Counter]]:
    """An app whose replica is a second engine on the (migrated) test database."""
    routed_app = replica_app(
        database, postcode_table, tmp_path, database["SQLALCHEMY_DATABASE_URI"]
    )
    (replica,) = routed_app.extensions["replicas"].engines
    with routed_app.app_context():
        primary = _db.engines[None]
    try:
        yield routed_app, Counter(primary), Counter(replica)
    finally:
        replica.dispose()
        primary.dispose()


def test_public_pages_read_from_the_replica_and_the_rest_from_the_primary(routed):
    app, primary, replica = routed
    client = app.test_client()
    assert client.get(PAGE).status_code == 200
    assert replica.take() > 0 and primary.take() == 0
    assert client.get("/listings/no-such-listing/report").status_code == 404  # a form
    assert replica.take() == 0 and primary.take() > 0
    assert client.get("/moderation/").status_code == 302  # sign-in pages aren't routed
    assert replica.take() == 0


def test_a_browser_that_wrote_reads_from_the_primary_for_a_while(routed, pinned_clock):
    app, primary, replica = routed
    client, other = app.test_client(), app.test_client()
    response = client.post("/accounts/logout")
    assert response.status_code == 302
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None and cookie.http_only and cookie.max_age == 10
    primary.take(), replica.take()

    assert client.get(PAGE).status_code == 200
    assert replica.take() == 0 and primary.take() > 0
    assert other.get(PAGE).status_code == 200  # someone else: the replica
    assert replica.take() > 0 and primary.take() == 0

    pinned_clock.shift(dt.timedelta(seconds=11))
    client.set_cookie(COOKIE, cookie.value)  # kept past its max-age: its signature expired
    assert client.get(PAGE).status_code == 200
    assert replica.take() > 0 and primary.take() == 0


def test_posting_the_search_form_is_not_a_write(routed):
    """The search form is posted only to keep its postcode out of the address."""
    app, primary, replica = routed
    client = app.test_client()
    response = client.post("/search", data={"q": "walk", "postcode": "PL4 8AA"})
    assert response.status_code == 303
    assert client.get_cookie(COOKIE) is None
    primary.take(), replica.take()
    assert client.get(response.headers["Location"]).status_code == 200
    assert replica.take() > 0 and primary.take() == 0


def test_a_forged_write_cookie_is_ignored(routed):
    app, primary, replica = routed
    client = app.test_client()
    client.set_cookie(COOKIE, "1.forged.signature")
    assert client.get(PAGE).status_code == 200
    assert replica.take() > 0 and primary.take() == 0


def test_a_failing_replica_is_left_alone_and_the_page_read_from_the_primary(
    app, database, postcode_table, tmp_path, caplog
):
    if database_url():
        url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test?connect_timeout=2"
    else:
        url = f"sqlite:///{tmp_path / 'no-such-folder' / 'replica.sqlite'}"
    routed_app = replica_app(database, postcode_table, tmp_path, url)
    replicas: Replicas = routed_app.extensions["replicas"]
    client = routed_app.test_client()
    try:
        response = client.get(PAGE)
        assert response.status_code == 200 and response.get_json()
        assert "Read replica" in caplog.text
        assert replicas.pick() is None  # left alone for REPLICA_RETRY_SECONDS
        caplog.clear()
        assert client.get(PAGE).status_code == 200
        assert "Read replica" not in caplog.text  # not tried again yet
        replicas.down_until.clear()
        assert replicas.pick() is replicas.engines[0]
    finally:
        replicas.engines[0].dispose()
        with routed_app.app_context():
            _db.engines[None].dispose()


def test_writes_in_a_replica_request_go_to_the_primary(routed):
    app, primary, replica = routed
    (replica_engine,) = app.extensions["replicas"].engines
    with app.app_context():
        token = READ_REPLICA.set(replica_engine)
        try:
            session = _db.session
            assert session.get_bind() is replica_engine
            assert session.get_bind(clause=sa.select(AuditEvent)) is replica_engine
            for statement in (
                sa.insert(AuditEvent),
                sa.update(AuditEvent),
                sa.delete(AuditEvent),
            ):
                assert session.get_bind(clause=statement) is _db.engines[None]
        finally:
            READ_REPLICA.reset(token)
        assert _db.session.get_bind() is _db.engines[None]


def test_read_only_endpoints_exist_and_only_read(app):
    for endpoint in READ_ONLY_ENDPOINTS:
        view = app.view_functions[endpoint]
        assert not getattr(view, "writes", False), endpoint
        (rule,) = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, endpoint


def test_replica_urls_are_read_from_a_list_or_a_comma_separated_string():
    assert replica_urls(None) == [] and replica_urls("") == []
    assert replica_urls("postgres://a/x, postgresql://b/x,") == [
        "postgresql+psycopg://a/x",
        "postgresql+psycopg://b/x",
    ]
    assert replica_urls(["sqlite:///r.sqlite"]) == ["sqlite:///r.sqlite"]


def test_without_replicas_nothing_changes(app, client):
    assert "replicas" not in app.extensions
    response = client.post("/accounts/logout")
    assert response.status_code == 302 and client.get_cookie(COOKIE) is None


def test_a_forked_worker_opens_its_own_replica_connections(routed):
    app, _, _ = routed
    (replica,) = app.extensions["replicas"].engines
    pool = replica.pool
    after_fork(app)  # gunicorn's post_fork (deploy/gunicorn.conf.py)
    assert replica.pool is not pool
