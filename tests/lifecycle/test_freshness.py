"""The daily reminder job (with frozen time) and one-click links.

The freshness policy itself is tested in tests/rules/test_freshness.py.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from directory.lifecycle.freshness import check_token, send_reminders
from directory.models import OutboxEmail, StillRunningConfirmation
from tests.conftest import PINNED_NOW

# Checked by the organisation most of a year before the pinned clock.
CHECKED = PINNED_NOW - dt.timedelta(days=326, hours=3)


def day(n: int) -> dt.datetime:
    return CHECKED + dt.timedelta(days=n, hours=1)


@pytest.fixture
def stale_setup(db, make_listing, make_organisation, make_user):
    organisation = make_organisation()
    make_user(editor_of=organisation, email="owner@charity.example.org")
    make_user(role="moderator", email="mod@hub.example.org")
    listing = make_listing(
        organisation=organisation, name="Allotment Mornings", last_verified_at=CHECKED
    )
    db.session.commit()
    return listing


def outbox(db):
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def test_reminder_ladder_with_frozen_time_and_idempotence(db, app, stale_setup):
    with app.test_request_context():
        assert str(send_reminders(db.session, day(89))).startswith("0 reminded")
        assert outbox(db) == []
        first = send_reminders(db.session, day(90))
        assert len(first.reminded) == 1
        again = send_reminders(db.session, day(90))  # twice in a day: nothing twice
        assert again.reminded == [] and len(outbox(db)) == 1
        assert outbox(db)[0].recipient == "owner@charity.example.org"
        assert "Still running as listed: http" in outbox(db)[0].body
        send_reminders(db.session, day(120))
        assert [m.recipient for m in outbox(db)][-1] == "owner@charity.example.org"
        assert outbox(db)[-1].subject.startswith("Reminder:")
        escalated = send_reminders(db.session, day(180))
        assert len(escalated.escalated) == 1 and outbox(db)[-1].recipient == "mod@hub.example.org"
        hidden = send_reminders(db.session, day(365))
        assert len(hidden.hidden) == 1
        send_reminders(db.session, day(366))
        assert len(outbox(db)) == 4


def test_catching_up_sends_only_the_furthest_step(db, app, stale_setup):
    with app.test_request_context():
        summary = send_reminders(db.session, day(200))
    assert summary.reminded == [] and len(summary.escalated) == 1
    assert [m.recipient for m in outbox(db)] == ["mod@hub.example.org"]


def test_one_click_still_running_updates_the_verified_date(db, app, client, stale_setup):
    listing = stale_setup
    with app.test_request_context():
        send_reminders(db.session, day(90))
    base = re.escape(app.config["BASE_URL"])  # links are built from it, not the request
    link = re.search(rf"Still running as listed: {base}(\S+)", outbox(db)[0].body).group(1)
    page = client.get(link)
    assert page.status_code == 200 and listing.last_verified_at == CHECKED  # a GET changes nothing
    done = client.post(link)
    assert done.status_code == 200
    assert listing.last_verified_at > CHECKED and listing.last_verified_by == "organisation"
    again = client.post(link)
    assert again.status_code == 400 and "checked since" in again.get_data(as_text=True)


@pytest.mark.parametrize("mangle", [lambda t: t[:-4] + "abcd", lambda t: "nonsense"])
def test_tampered_check_link(db, app, client, stale_setup, mangle):
    with app.test_request_context():
        token = check_token(stale_setup, "running")
    response = client.post(f"/listings/check/{mangle(token)}")
    assert response.status_code == 400
    assert stale_setup.last_verified_at == CHECKED


def test_expired_check_link(db, app, client, stale_setup, monkeypatch):
    with app.test_request_context():
        token = check_token(stale_setup, "closed")
    monkeypatch.setitem(app.config, "FRESHNESS_LINK_MAX_AGE", -1)
    response = client.post(f"/listings/check/{token}")
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    assert stale_setup.status == "active"


def test_has_closed_link_closes_the_listing(db, app, client, stale_setup):
    with app.test_request_context():
        token = check_token(stale_setup, "closed")
    client.post(f"/listings/check/{token}")
    assert stale_setup.status == "closed"


def test_year_old_listings_leave_default_search_but_can_be_found(db, client, make_listing):
    old = make_listing(
        name="Forgotten Walk", last_verified_at=dt.datetime.now() - dt.timedelta(days=400)
    )
    fresh = make_listing(name="Fresh Walk")
    db.session.commit()
    default = client.get("/api/search?q=walk").get_json()
    assert [r["id"] for r in default["results"]] == [fresh.id]
    everything = client.get("/api/search?q=walk&show_unverified=true").get_json()
    assert {r["id"] for r in everything["results"]} == {old.id, fresh.id}
    page = client.get("/search?q=walk&show_unverified=true").get_data(as_text=True)
    assert "Not checked for over 6 months" in page


def test_practitioner_confirmation_is_shown_apart_from_the_owners_check(
    db, client_as, make_listing
):
    listing = make_listing(last_verified_at=CHECKED)
    db.session.commit()
    practitioner = client_as("practitioner")
    assert practitioner.post(f"/listings/{listing.id}/still-running").status_code == 302
    assert db.session.scalar(select(StillRunningConfirmation)).listing_id == listing.id
    page = practitioner.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "A practitioner confirmed it is still running on" in page
    assert f"Checked by the organisation on {CHECKED.day} {CHECKED:%B %Y}" in page


def test_send_reminders_command(runner, db, stale_setup):
    result = runner.invoke(args=["directory", "send-reminders"])
    assert result.exit_code == 0 and "Reminders:" in result.output
