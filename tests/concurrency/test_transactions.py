"""One unit of work per request under lock contention (issue 20).

A request that hits a lock runs once more from the start; one that still can't write is
a 503 with Retry-After (a page, or JSON under the API), never a 500; a rolled-back
request emails nobody.
"""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from directory.models import OutboxEmail, Rating, User, utcnow
from tests.conftest import database_url, make_test_app, sign_in

STRONG = "violet kettle harbour mosaic"


def lock_error() -> OperationalError:
    """What SQLAlchemy raises when SQLite gave up waiting for the write lock."""
    original = sqlite3.OperationalError("database is locked")
    original.sqlite_errorcode = 5  # SQLITE_BUSY
    return OperationalError("INSERT ...", {}, original)


def failing(times: int, then=None):
    """A stand-in that raises a lock error ``times`` times, then calls ``then``."""
    calls = []

    def fake(*args, **kwargs):
        calls.append(args)
        if len(calls) <= times:
            raise lock_error()
        return then(*args, **kwargs) if then else None

    fake.calls = calls
    return fake


@pytest.fixture
def gp(client_as):
    return client_as("practitioner")


def rate(client, listing_id: str, usefulness: int = 4):
    return client.post(
        f"/listings/{listing_id}/rate", data={"usefulness": str(usefulness), "would_refer": "yes"}
    )


def test_a_request_that_hits_a_lock_runs_again_and_is_saved_once(db, gp, make_listing, monkeypatch):
    from directory.ratings import services

    listing = make_listing()
    db.session.commit()
    flaky = failing(1, then=services.recompute_score)
    monkeypatch.setattr(services, "recompute_score", flaky)
    response = rate(gp, listing.id)
    assert response.status_code == 303
    assert len(flaky.calls) == 2  # the first run's rating was rolled back, then made again
    ratings = db.session.scalars(select(Rating).where(Rating.listing_id == listing.id)).all()
    assert [r.usefulness for r in ratings] == [4]
    assert listing.score.rating_count == 1


def test_a_request_that_still_cannot_write_is_a_503_page_with_retry_after(
    db, gp, make_listing, monkeypatch
):
    from directory.ratings import services

    listing = make_listing()
    db.session.commit()
    monkeypatch.setattr(services, "recompute_score", failing(2))
    response = rate(gp, listing.id)
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert "X-Directory-Retry-Unit-Of-Work" not in response.headers
    page = response.get_data(as_text=True)
    assert "very busy" in page and "Nothing was changed" in page
    assert "Traceback" not in page and "locked" not in page
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 0


def test_the_api_answers_503_in_json(db, client, monkeypatch):
    from directory.api import views

    monkeypatch.setattr(views, "search_listings", failing(2))
    response = client.get("/api/search?q=walking")
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.json["error"] == "Service Unavailable"


def test_other_database_errors_are_still_faults(db, gp, make_listing, monkeypatch, app):
    from directory.ratings import services

    listing = make_listing()
    db.session.commit()

    def broken(*args, **kwargs):
        raise OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x"))

    monkeypatch.setattr(services, "recompute_score", broken)
    with pytest.raises(OperationalError):  # TESTING propagates what would be a 500
        rate(gp, listing.id)


def test_a_rolled_back_request_emails_nobody_and_a_retried_one_once(db, client, mail, monkeypatch):
    from directory.accounts import services

    real = services.audit.record

    def record_then_fail(session, actor, action, *args, **kwargs):
        real(session, actor, action, *args, **kwargs)
        if action == "user.register":
            raise lock_error()

    monkeypatch.setattr(services.audit, "record", record_then_fail)
    form = {
        "name": "Ada Lovelace", "email": "ada@charity.example.org",
        "profession": "volunteer_coordinator", "sector": "third_sector",
        "password": STRONG, "confirm": STRONG,
    }  # fmt: skip
    response = client.post("/accounts/register", data=form)
    assert response.status_code == 503
    assert mail == []
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 0

    monkeypatch.setattr(services.audit, "record", real)
    # Fails once only this time: the retry registers, and one email goes out.
    flaky = failing(1, then=real)
    monkeypatch.setattr(services.audit, "record", flaky)
    response = client.post("/accounts/register", data=form)
    assert response.status_code in (302, 303)
    assert [m["To"] for m in mail] == ["ada@charity.example.org"]
    (queued,) = db.session.scalars(select(OutboxEmail)).all()
    assert queued.sent_at is not None and queued.attempts == 1


def test_post_requests_take_the_sqlite_write_lock_up_front_and_gets_do_not(
    db, gp, make_listing, app
):
    from flask import request_started

    from directory.extensions import WRITE_INTENT

    seen = []

    def note(*args, **kwargs) -> None:
        seen.append(WRITE_INTENT.get())

    listing = make_listing()
    db.session.commit()
    request_started.connect(note, app)
    try:
        gp.get(f"/listings/{listing.id}")
        rate(gp, listing.id)
        gp.get(f"/listings/{listing.id}")
    finally:
        request_started.disconnect(note, app)
    # (request_started runs in registration order: the intent is set before `note`.)
    assert seen == [False, True, False]
    assert WRITE_INTENT.get() is False


@pytest.mark.skipif(database_url() is not None, reason="SQLite's write lock")
def test_a_real_lock_held_elsewhere_gives_503_then_the_write_goes_through(
    tmp_path: Path, postcode_table: Path
):
    """Another connection holds SQLite's write lock for the whole request: 503, then saved.

    Both runs wait the busy timeout and give up, so the answer is 503; once it lets go, the
    same request is saved.
    """
    from flask_migrate import upgrade

    from directory.extensions import db as _db
    from directory.vocabularies import load_vocabularies

    path = tmp_path / "locked.sqlite"
    app = make_test_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"}, postcode_table, tmp_path,
        SQLITE_BUSY_TIMEOUT_MS=50,
    )  # fmt: skip
    with app.app_context():
        upgrade()
        load_vocabularies(_db.session)
        user = User(
            email="gp@example.org", name="GP", profession="gp", sector="primary_care",
            password_hash="x", role="practitioner", status="approved",
            email_verified_at=utcnow(),
        )  # fmt: skip
        _db.session.add(user)
        _db.session.commit()
        client = sign_in(app.test_client(), user)
        _db.session.remove()
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        response = client.post("/shortlists", data={"label": "Tuesday clinic"})
        assert response.status_code == 503
        assert response.headers["Retry-After"].isdigit()
        holder.execute("ROLLBACK")
        response = client.post("/shortlists", data={"label": "Tuesday clinic"})
        assert response.status_code in (302, 303)
        assert "/shortlists/" in response.headers["Location"]
        count = holder.execute("SELECT count(*) FROM shortlist").fetchone()[0]
        assert count == 1
    finally:
        holder.close()
        with app.app_context():
            for engine in _db.engines.values():
                engine.dispose()


def closed_port() -> int:
    """A loopback port nothing listens on: a mail server that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def register_form(email: str) -> dict:
    return {
        "name": "Ada Lovelace", "email": email, "profession": "volunteer_coordinator",
        "sector": "third_sector", "password": STRONG, "confirm": STRONG,
    }  # fmt: skip


def test_an_email_the_server_refused_stays_queued_and_send_outbox_retries_it(
    db, client, app, smtp_server, runner, monkeypatch
):
    controller, inbox = smtp_server
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", closed_port())
    response = client.post("/accounts/register", data=register_form("ada@charity.example.org"))
    assert response.status_code in (302, 303)  # the account is made all the same
    (queued,) = db.session.scalars(select(OutboxEmail)).all()
    assert queued.sent_at is None and queued.attempts == 1 and queued.last_error

    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    result = runner.invoke(args=["directory", "send-outbox"])
    assert result.exit_code == 0 and "0 sent" in result.output  # not due again yet
    monkeypatch.setitem(app.config, "OUTBOX_RETRY_MINUTES", 0)
    result = runner.invoke(args=["directory", "send-outbox"])
    assert result.exit_code == 0, result.output
    assert "1 sent, 0 failed" in result.output
    assert [m["To"] for m in inbox.messages] == ["ada@charity.example.org"]
    db.session.refresh(queued)
    assert queued.sent_at is not None and queued.attempts == 2 and queued.last_error is None
    result = runner.invoke(args=["directory", "send-outbox"])
    assert "0 sent" in result.output and len(inbox.messages) == 1


def test_send_outbox_needs_a_mail_server(db, runner, app):
    assert not app.config.get("MAIL_SERVER")
    result = runner.invoke(args=["directory", "send-outbox"])
    assert result.exit_code != 0 and "MAIL_SERVER" in result.output


def test_a_hand_out_the_mail_server_refused_says_so_and_keeps_no_address(
    db, gp, app, make_listing, monkeypatch
):
    from directory.models import Shortlist, ShortlistItem

    shortlist = Shortlist(owner=gp.user, label="Tuesday")
    shortlist.items.append(ShortlistItem(listing=make_listing(), position=0))
    db.session.add(shortlist)
    db.session.commit()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", closed_port())
    response = gp.post(f"/shortlists/{shortlist.id}/email", data={"address": "jo@example.com"})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "send the email just now" in page and "kept the email address" not in page
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 0
