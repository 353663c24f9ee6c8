"""``flask import sync``: registered ORUK and calendar feeds re-read from a loopback server.

New services created, changes to live listings waiting for a moderator, services gone
from the feed marked (never deleted), failing feeds marking nothing.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
import time

import pytest
from sqlalchemy import func, select

from directory.models import AuditEvent, ImportSource, Listing, ListingRevision, OutboxEmail
from importers import openreferral
from importers.runner import find_or_create_source
from importers.sync import due_sources, sync_source
from tests.importers.test_calendars import CALENDAR, TODAY

ORG = {"id": "2b1f0e6e-0d5c-4c44-8d5f-0a0a0a0a0a01", "name": "Walk Trust"}
PAGE_ONE = "/services?full=true&page=1&per_page=100"


def service(n: int, description: str = "A gentle walk. Everyone welcome.") -> dict:
    return {
        "id": f"svc-{n}",
        "name": f"Wellbeing Walk {n}",
        "description": description,
        "status": "active",
        "organization": ORG,
        "service_at_locations": [],
        "schedules": [
            {"freq": "WEEKLY", "byday": "TU", "opens_at": "10:00:00", "closes_at": "12:00:00"}
        ],
        "attributes": [],
    }


def serve(routes: dict, *services: dict) -> None:
    routes[PAGE_ONE] = json.dumps({"contents": list(services), "total_pages": 1}).encode()


def register(db, url: str, name: str = "council", kind: str = "openreferral", **fields):
    source = find_or_create_source(db.session, name, kind, url=url)
    for key, value in fields.items():
        setattr(source, key, value)
    db.session.commit()
    return source


def by_source_id(db, source_id: str) -> Listing:
    return db.session.scalar(select(Listing).where(Listing.source_id == source_id))


def test_a_sync_creates_updates_through_moderation_and_marks_what_is_gone(db, locator, http_server):
    base, routes, _ = http_server
    serve(routes, service(1), service(2), service(3))
    source = register(db, base)
    first = sync_source(db.session, source, actor=None, locator=locator)
    assert first.error is None and first.summary.created == 3 and first.missing == 0
    # A moderator approved the first walk; the source is still untrusted.
    walk = by_source_id(db, "svc-1")
    walk.published = True
    db.session.commit()

    serve(routes, service(1, "Now on Thursdays."), service(3), service(4))
    second = sync_source(db.session, source, actor=None, locator=locator)
    assert (second.summary.created, second.summary.pending) == (1, 1)
    assert (second.missing, second.back) == (1, 0)
    db.session.expire_all()
    walk = by_source_id(db, "svc-1")
    assert "Everyone welcome" in walk.description  # the live listing is unchanged...
    pending = db.session.scalar(
        select(ListingRevision).where(
            ListingRevision.listing_id == walk.id, ListingRevision.status == "pending"
        )
    )
    assert "Now on Thursdays." in pending.data["description"]  # ...the change waits
    gone = by_source_id(db, "svc-2")
    assert gone is not None and gone.archived_at is None  # not deleted
    assert gone.missing_from_source_at is not None
    assert by_source_id(db, "svc-3").missing_from_source_at is None
    assert by_source_id(db, "svc-4") is not None
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "import.missing")
        )
        == 1
    )
    source = db.session.get(ImportSource, source.id)
    assert source.last_error is None and source.last_run_at is not None

    # Running again changes nothing; the service coming back unmarks it.
    again = sync_source(db.session, source, actor=None, locator=locator)
    assert again.missing == 0 and again.summary.created == 0
    serve(routes, service(1, "Now on Thursdays."), service(2), service(3), service(4))
    back = sync_source(db.session, source, actor=None, locator=locator)
    assert (back.missing, back.back) == (0, 1)
    db.session.expire_all()
    assert by_source_id(db, "svc-2").missing_from_source_at is None


def test_a_trusted_source_updates_live_listings_directly(db, locator, http_server):
    base, routes, _ = http_server
    serve(routes, service(1))
    source = register(db, base, trusted=True)
    sync_source(db.session, source, actor=None, locator=locator)
    serve(routes, service(1, "Moved to the library."))
    result = sync_source(db.session, source, actor=None, locator=locator)
    assert (result.summary.updated, result.summary.pending) == (1, 0)
    db.session.expire_all()
    assert "Moved to the library." in by_source_id(db, "svc-1").description


class Slow(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the http.server name)
        time.sleep(1.0)
        try:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")
        except OSError:
            pass

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def slow_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("failure", ["http", "json", "timeout", "empty", "not_oruk"])
def test_a_feed_that_fails_marks_nothing_and_records_the_error(
    db, locator, http_server, slow_server, monkeypatch, failure
):
    base, routes, _ = http_server
    serve(routes, service(1), service(2))
    source = register(db, base)
    sync_source(db.session, source, actor=None, locator=locator)
    before = db.session.get(ImportSource, source.id).last_run_at
    routes.clear()
    if failure == "json":
        routes[PAGE_ONE] = b"<html>Service unavailable</html>"
    elif failure == "timeout":
        monkeypatch.setattr(openreferral, "TIMEOUT", 0.2)
        source.url = slow_server
        db.session.commit()
    elif failure == "empty":
        serve(routes)
    elif failure == "not_oruk":
        routes[PAGE_ONE] = b'{"services": "none"}'
    result = sync_source(db.session, source, actor=None, locator=locator)
    expected = {
        "http": "answered 404",
        "json": "did not return JSON",
        "timeout": "Couldn't reach",
        "empty": "listed no services; nothing was marked as gone",
        "not_oruk": "is not an ORUK page of services",
    }[failure]
    assert result.error and expected in result.error
    db.session.expire_all()
    source = db.session.get(ImportSource, source.id)
    assert expected in source.last_error
    assert source.last_run_at == before  # still due next time
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Listing)
            .where(Listing.missing_from_source_at.is_not(None))
        )
        == 0
    )
    assert db.session.scalar(select(func.count()).select_from(Listing)) == 2


def test_due_sources_are_those_with_a_url_not_run_recently(db):
    now = dt.datetime(2026, 11, 23, 7, 0)
    register(db, "http://127.0.0.1:9/a", name="never run")
    register(db, "http://127.0.0.1:9/b", name="yesterday", last_run_at=now - dt.timedelta(days=1))
    register(
        db, "http://127.0.0.1:9/c", name="an hour ago", last_run_at=now - dt.timedelta(hours=1)
    )
    find_or_create_source(db.session, "a spreadsheet", "spreadsheet")
    register(db, None, name="an uploaded file")
    db.session.commit()
    assert [s.name for s in due_sources(db.session, now)] == ["never run", "yesterday"]
    assert [s.name for s in due_sources(db.session, now, name="an hour ago")] == ["an hour ago"]
    assert due_sources(db.session, now, name="a spreadsheet") == []


def test_a_calendar_feed_is_synced_and_a_failing_one_emails_after_commit(
    db, locator, http_server, make_organisation, make_user
):
    base, routes, _ = http_server
    organisation = make_organisation(name="Park Friends")
    make_user(role="moderator", email="mod@nhs.net")
    routes["/cal.ics"] = CALENDAR
    source = register(
        db, base + "/cal.ics", name="ical:park", kind="ical", organisation_id=organisation.id
    )
    first = sync_source(db.session, source, actor=None, locator=locator, today=TODAY)
    assert first.error is None and first.summary.created >= 2
    without_walk = CALENDAR.replace(b"SUMMARY:Wellbeing Walk", b"SUMMARY:Memory Cafe")
    routes["/cal.ics"] = without_walk
    second = sync_source(db.session, source, actor=None, locator=locator, today=TODAY)
    assert second.missing == 1
    db.session.expire_all()
    missing = db.session.scalars(
        select(Listing.name).where(Listing.missing_from_source_at.is_not(None))
    ).all()
    assert missing == ["Wellbeing Walk"]

    routes["/cal.ics"] = b"not a calendar"
    failed = sync_source(db.session, source, actor=None, locator=locator, today=TODAY)
    assert failed.error
    db.session.expire_all()
    assert db.session.get(ImportSource, source.id).last_error == failed.error
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(OutboxEmail)
            .where(OutboxEmail.recipient == "mod@nhs.net")
        )
        == 1
    )
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Listing)
            .where(Listing.missing_from_source_at.is_not(None))
        )
        == 1
    )


def test_the_cli_syncs_due_feeds_with_a_summary_per_source(db, runner, http_server):
    base, routes, _ = http_server
    serve(routes, service(1), service(2))
    register(db, base, name="council")
    register(db, base + "/broken", name="broken")
    result = runner.invoke(args=["import", "sync"])
    assert result.exit_code == 1, result.output
    assert "2 created" in result.output
    assert "Failed, nothing marked as gone:" in result.output and "answered 404" in result.output
    assert "2 feeds read, 1 failed." in result.output
    serve(routes, service(1))
    result = runner.invoke(args=["import", "sync", "council"])
    assert result.exit_code == 0, result.output
    assert "1 no longer in the source feed, marked for a moderator" in result.output
    result = runner.invoke(args=["import", "sync"])
    assert "broken (" in result.output and "council (" not in result.output
    result = runner.invoke(args=["import", "sync", "nobody"])
    assert result.exit_code == 1 and "No source called 'nobody'" in result.output


def test_a_dry_run_sync_counts_but_writes_and_marks_nothing(db, runner, http_server):
    base, routes, _ = http_server
    serve(routes, service(1), service(2))
    register(db, base, name="council")
    runner.invoke(args=["import", "sync"])
    serve(routes, service(1))
    result = runner.invoke(args=["import", "sync", "council", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "1 would be marked no longer in the source feed" in result.output
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Listing)
            .where(Listing.missing_from_source_at.is_not(None))
        )
        == 0
    )
