"""Anonymous service-user feedback through the code printed on a shortlist.

The page, what is stored (and what isn't), the "used up" rule, refusals, moderation of
free text and the rate limit.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, select

from directory.extensions import db as _db
from directory.models import AuditEvent, ListingScore, ServiceUserFeedback, Shortlist, utcnow
from directory.ratings import services
from tests.conftest import sign_in
from tests.ratings.conftest import body, count, snapshot


@pytest.fixture
def handout(make_listing, make_shortlist):
    """A shortlist of two groups with a feedback code, as a practitioner hands it out."""
    walk = make_listing(name="Riverside Walking Group")
    choir = make_listing(name="Community Choir")
    shortlist = make_shortlist([walk, choir], code="K7P2QX")
    _db.session.commit()
    return shortlist, walk, choir


def send(client, code: str, data: dict):
    """Post the feedback form, committing the test's set-up first (a refusal rolls back)."""
    _db.session.commit()
    return client.post(f"/feedback/{code}", data=data)


# -- the "used up" rule -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uses", "days_old", "is_open"),
    [
        (0, 0, True),
        (services.FEEDBACK_MAX_USES - 1, 0, True),
        (services.FEEDBACK_MAX_USES, 0, False),
        (0, services.FEEDBACK_OPEN_DAYS - 1, True),
        (0, services.FEEDBACK_OPEN_DAYS + 1, False),
    ],
)
def test_feedback_open_rule(uses, days_old, is_open, now):
    made = now - dt.timedelta(days=400)
    shortlist = Shortlist(
        feedback_uses=uses, created_at=made, updated_at=now - dt.timedelta(days=days_old)
    )
    assert services.feedback_open(shortlist, now) is is_open


# -- the page and a good submission ---------------------------------------------------------


def test_feedback_page_asks_about_each_listing(client, handout):
    shortlist, walk, choir = handout
    page = client.get("/feedback/K7P2QX")
    assert page.status_code == 200
    html = body(page)
    for name in (walk.name, choir.name):
        assert f"Did you go to {name}?" in html
        assert f"Did you feel welcome at {name}?" in html
    assert "nothing you tell us is linked to you" in html
    assert shortlist.label not in html, "the practitioner's label is not shown"


def test_typing_a_code_finds_the_page(client, handout):
    response = client.get("/feedback?code=+k7p2qx+")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/feedback/k7p2qx")
    assert client.get("/feedback/k7p2qx").status_code == 200, "codes copied off paper"
    empty = client.get("/feedback?code=")
    assert empty.status_code == 400
    assert "Enter the code printed on your list" in body(empty)


def test_feedback_is_stored_anonymously_and_counted_apart(db, client, handout):
    shortlist, walk, choir = handout
    changed = shortlist.updated_at
    response = send(
        client,
        "K7P2QX",
        {
            f"went-{walk.id}": "yes",
            f"welcome-{walk.id}": "5",
            f"text-{walk.id}": "Everyone said hello.",
            f"went-{choir.id}": "no",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/feedback/K7P2QX/thanks")
    assert "Thank you for your feedback" in body(client.get(response.headers["Location"]))

    rows = db.session.scalars(select(ServiceUserFeedback)).all()
    rows = sorted(rows, key=lambda r: [walk.id, choir.id].index(r.listing_id))  # ids are random
    assert [(r.listing_id, r.went, r.welcome, r.text, r.text_status) for r in rows] == [
        (walk.id, True, 5, "Everyone said hello.", "pending"),
        (choir.id, False, None, None, "none"),
    ]
    assert rows[0].created_at == utcnow().date(), "the day only, not the time"
    columns = {c.key for c in inspect(ServiceUserFeedback).columns}
    assert columns == {"id", "listing_id", "went", "welcome", "text", "text_status", "created_at"}
    # No audit event at all: its timestamp would group the submission's rows (hole 7).
    assert count(db, AuditEvent, AuditEvent.target_type == "service_user_feedback") == 0

    db.session.refresh(shortlist)
    assert shortlist.feedback_uses == 1
    assert shortlist.updated_at == changed, "no timestamp ties the feedback to the list"
    score = db.session.get(ListingScore, walk.id)
    assert (score.feedback_count, score.feedback_went) == (1, 1)
    assert (score.feedback_welcome_sum, score.feedback_welcome_count) == (5, 1)
    assert score.rating_count == 0 and score.adjusted is None, "never mixed with ratings"
    assert db.session.get(ListingScore, choir.id).feedback_went == 0

    html = body(client.get(f"/listings/{walk.id}"))
    assert "1 person gave feedback; 1 said they went." in html
    assert "1 person said how welcome they felt: 5.0 out of 5." in html
    assert "Everyone said hello." not in html, "free text waits for a moderator"


# -- refusals: a clear message, and nothing changes -------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unknown_code_is_refused_and_changes_nothing(db, client, handout, method):
    shortlist, walk, _ = handout
    before = snapshot(db)
    for code in ("ZZZZZZ", "K7P2Q", "x" * 40):
        response = client.open(f"/feedback/{code}", method=method, data={f"went-{walk.id}": "yes"})
        assert response.status_code == 404
        html = body(response)
        assert "We don't recognise that code" in html
        assert "Check it against the code printed on your list" in html
    assert snapshot(db) == before


def test_used_up_code_is_refused_and_changes_nothing(db, client, make_listing, make_shortlist):
    listing = make_listing()
    make_shortlist([listing], code="USEDUP", uses=services.FEEDBACK_MAX_USES - 1)
    assert send(client, "USEDUP", {f"went-{listing.id}": "yes"}).status_code == 303, "last use"
    before = snapshot(db)
    for method in ("GET", "POST"):
        response = client.open(
            "/feedback/USEDUP", method=method, data={f"went-{listing.id}": "yes"}
        )
        assert response.status_code == 410
        html = body(response)
        assert "This feedback code is used up" in html
        assert "used as many times as it can be" in html
    assert snapshot(db) == before
    with pytest.raises(services.CodeUsedUp):
        services.submit_feedback(
            db.session, "USEDUP", [services.FeedbackAnswer(listing.id, went=True)]
        )
    assert snapshot(db) == before


def test_expired_code_is_refused_and_changes_nothing(db, client, make_listing, make_shortlist):
    listing = make_listing()
    shortlist = make_shortlist([listing], code="OLDLST")
    shortlist.updated_at = utcnow() - dt.timedelta(days=services.FEEDBACK_OPEN_DAYS + 1)
    _db.session.commit()
    before = snapshot(db)
    response = send(client, "OLDLST", {f"went-{listing.id}": "yes"})
    assert response.status_code == 410
    assert "This feedback code has expired" in body(response)
    assert snapshot(db) == before


@pytest.mark.parametrize("welcome", ["0", "6"])
def test_welcome_out_of_range_is_refused_and_changes_nothing(db, client, handout, welcome):
    _, walk, choir = handout
    before = snapshot(db)
    response = send(
        client,
        "K7P2QX",
        {
            f"went-{walk.id}": "yes",
            f"welcome-{walk.id}": welcome,
            f"text-{walk.id}": "Typed this",
            f"went-{choir.id}": "yes",
        },
    )
    assert response.status_code == 400
    html = body(response)
    assert "Choose how welcome you felt, from 1 (not at all) to 5 (very welcome)." in html
    assert f'href="#welcome-{walk.id}"' in html, "the error summary links to the field"
    assert "Typed this" in html, "the form keeps what was typed"
    assert snapshot(db) == before, "the good answer about the choir isn't saved either"


def test_double_submit_of_feedback_counts_once(db, client, handout):
    """The page carries the code's use count; sending the same page twice changes nothing."""
    _, walk, _ = handout
    page = body(client.get("/feedback/K7P2QX"))
    assert 'name="seen_uses" type="hidden" value="0"' in page
    answers = {"seen_uses": "0", f"went-{walk.id}": "yes", f"welcome-{walk.id}": "4"}
    assert send(client, "K7P2QX", answers).status_code == 303
    before = snapshot(db)
    again = send(client, "K7P2QX", answers)
    assert again.status_code == 303
    assert again.headers["Location"].endswith("/feedback/K7P2QX/thanks")
    thanks = body(client.get(again.headers["Location"]))
    assert "Your feedback had already been sent, so we've counted it once." in thanks
    assert snapshot(db) == before
    assert count(db, ServiceUserFeedback) == 1
    # A fresh page can send more.
    assert 'name="seen_uses" type="hidden" value="1"' in body(client.get("/feedback/K7P2QX"))
    assert send(client, "K7P2QX", {**answers, "seen_uses": "1"}).status_code == 303
    assert count(db, ServiceUserFeedback) == 2


def test_empty_feedback_is_refused_and_changes_nothing(db, client, handout):
    before = snapshot(db)
    response = send(client, "K7P2QX", {})
    assert response.status_code == 400
    assert "Answer at least one question before you send your feedback." in body(response)
    assert snapshot(db) == before


def test_listings_not_on_the_shortlist_are_refused(db, handout, make_listing):
    elsewhere = make_listing()
    before = snapshot(db)
    with pytest.raises(services.FeedbackError) as error:
        services.submit_feedback(
            db.session, "K7P2QX", [services.FeedbackAnswer(elsewhere.id, went=True)]
        )
    assert error.value.errors == {
        f"listing-{elsewhere.id}": (
            "That isn't on this list any more. Reload the page and try again."
        )
    }
    assert snapshot(db) == before


def test_closed_listings_drop_off_the_form(client, handout):
    _, walk, choir = handout
    choir.status = "closed"
    _db.session.commit()
    html = body(client.get("/feedback/K7P2QX"))
    assert walk.name in html and choir.name not in html


# -- moderation of free text ------------------------------------------------------------------


def test_moderators_approve_or_reject_feedback_text(db, app, client, handout, client_as, make_user):
    _, walk, choir = handout
    send(
        client,
        "K7P2QX",
        {
            f"went-{walk.id}": "yes",
            f"text-{walk.id}": "The tea was great.",
            f"text-{choir.id}": "Call me on 07700 900123",
        },
    )
    rows = {row.listing_id: row for row in db.session.scalars(select(ServiceUserFeedback))}
    kind, nasty = rows[walk.id], rows[choir.id]  # ids are random: no order to rely on
    moderator = client_as("moderator")
    practitioner = sign_in(app.test_client(), make_user())
    _db.session.commit()
    queue = body(moderator.get("/ratings/moderation"))
    assert "The tea was great." in queue and "Call me on 07700 900123" in queue
    home = body(moderator.get("/"))
    assert "0 reported comments and 2 feedback notes" in home

    assert (
        moderator.post(
            f"/ratings/moderation/feedback/{kind.id}", data={"decision": "approve"}
        ).status_code
        == 303
    )
    assert (
        moderator.post(
            f"/ratings/moderation/feedback/{nasty.id}", data={"decision": "reject"}
        ).status_code
        == 303
    )
    db.session.refresh(kind)
    db.session.refresh(nasty)
    assert (kind.text_status, nasty.text_status) == ("approved", "rejected")
    assert "The tea was great." in body(practitioner.get(f"/listings/{walk.id}"))
    assert "The tea was great." not in body(app.test_client().get(f"/listings/{walk.id}"))
    assert "07700 900123" not in body(practitioner.get(f"/listings/{choir.id}"))
    assert "No feedback is waiting for review." in body(moderator.get("/ratings/moderation"))
    again = moderator.post(f"/ratings/moderation/feedback/{kind.id}", data={"decision": "reject"})
    assert again.status_code == 404
    assert (
        count(db, AuditEvent, AuditEvent.action.in_(["feedback.approve", "feedback.reject"])) == 2
    )


# -- the rate limit ---------------------------------------------------------------------------


def test_feedback_is_rate_limited(app, db, client, make_listing, make_shortlist, monkeypatch):
    listing = make_listing()
    make_shortlist([listing], code="LIMITS")
    monkeypatch.setitem(app.config, "RATELIMIT_FEEDBACK", "2 per hour")
    for _ in range(2):
        assert send(client, "LIMITS", {f"went-{listing.id}": "yes"}).status_code == 303
    before = snapshot(db)
    response = send(client, "LIMITS", {f"went-{listing.id}": "yes"})
    assert response.status_code == 429
    assert "Please try again in an hour." in body(response)
    assert snapshot(db) == before


def test_approved_feedback_is_the_newest_approved_texts_up_to_the_limit(db, make_listing, now):
    listing, other = make_listing(), make_listing()
    for n in range(12):
        status = "rejected" if n == 11 else "approved"
        db.session.add(
            ServiceUserFeedback(
                listing_id=listing.id, text=f"Text {n}", text_status=status,
                created_at=now - dt.timedelta(days=30 - n),
            )
        )  # fmt: skip
    db.session.add(ServiceUserFeedback(listing_id=other.id, text="Else", text_status="approved"))
    db.session.flush()
    texts = [f.text for f in services.approved_feedback(db.session, listing.id)]
    assert texts == [f"Text {n}" for n in range(10, 0, -1)]
    assert [f.text for f in services.approved_feedback(db.session, listing.id, limit=2)] == [
        "Text 10",
        "Text 9",
    ]
