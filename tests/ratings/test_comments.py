"""Reporting comments: two practitioners hide one until a moderator reviews it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from directory.extensions import db as _db
from directory.models import AuditEvent, CommentReport, Rating, RatingHistory
from directory.ratings import services
from tests.conftest import sign_in
from tests.ratings.conftest import body, count, snapshot


@pytest.mark.parametrize(("reports", "hidden"), [(0, False), (1, False), (2, True), (3, True)])
def test_should_hide(reports, hidden):
    assert services.should_hide(reports) is hidden


@pytest.fixture
def commented(db, make_user, make_listing):
    """A listing with one practitioner's rating carrying a comment."""
    listing = make_listing()
    author = make_user()
    rating = Rating(
        listing_id=listing.id,
        user_id=author.id,
        usefulness=2,
        comment="The organiser was rude to my client.",
        sector=author.sector,
    )
    db.session.add(rating)
    db.session.commit()
    return rating


def practitioner_client(app, make_user):
    client = sign_in(app.test_client(), user := make_user())
    client.user = user
    _db.session.commit()
    return client


def report(client, rating):
    return client.post(f"/ratings/{rating.id}/report")


def test_two_reports_hide_a_comment_until_a_moderator_keeps_it(
    db, app, make_user, commented, client_as
):
    listing_url = f"/listings/{commented.listing_id}"
    first, second, reader = (practitioner_client(app, make_user) for _ in range(3))
    assert "Report this comment" in body(first.get(listing_url))

    response = report(first, commented)
    assert response.status_code == 303
    assert "A moderator will look at the comment." in body(first.get(listing_url))
    assert "You reported this comment." in body(first.get(listing_url))
    assert commented.comment_hidden is False
    assert "The organiser was rude" in body(reader.get(listing_url)), "one report doesn't hide"

    assert report(second, commented).status_code == 303
    db.session.refresh(commented)
    assert commented.comment_hidden is True
    assert "The organiser was rude" not in body(reader.get(listing_url))
    assert count(db, AuditEvent, AuditEvent.action == "rating.comment_report") == 2

    moderator = client_as("moderator")
    _db.session.commit()
    queue = body(moderator.get("/ratings/moderation"))
    assert "The organiser was rude to my client." in queue and "2 open reports" in queue
    response = moderator.post(
        f"/ratings/moderation/comments/{commented.id}", data={"decision": "keep"}
    )
    assert response.status_code == 303
    db.session.refresh(commented)
    assert commented.comment_hidden is False
    assert "The organiser was rude" in body(reader.get(listing_url))
    reports = db.session.scalars(select(CommentReport)).all()
    assert all(r.reviewed for r in reports)
    assert "No comments are waiting for review." in body(moderator.get("/ratings/moderation"))

    # Two new reporters are needed to hide it again; earlier reporters can't report twice.
    response = report(first, commented)
    assert "already reported this comment" in body(first.get(response.headers["Location"]))
    third, fourth = (practitioner_client(app, make_user) for _ in range(2))
    report(third, commented)
    db.session.refresh(commented)
    assert commented.comment_hidden is False
    report(fourth, commented)
    db.session.refresh(commented)
    assert commented.comment_hidden is True


def test_moderator_removes_a_comment_and_the_score_stays(db, app, make_user, commented, client_as):
    from directory.ratings.aggregates import recompute_score

    recompute_score(db.session, commented.listing_id)
    for _ in range(2):
        report(practitioner_client(app, make_user), commented)
    before = snapshot(db)["scores"]
    moderator = client_as("moderator")
    _db.session.commit()
    response = moderator.post(
        f"/ratings/moderation/comments/{commented.id}", data={"decision": "remove"}
    )
    assert response.status_code == 303
    db.session.refresh(commented)
    assert commented.comment is None and commented.comment_hidden is False
    history = db.session.scalars(select(RatingHistory)).all()
    assert history[-1].data["comment"] == "The organiser was rude to my client."
    assert snapshot(db)["scores"] == before
    # Nothing left to review: a second decision is refused.
    again = moderator.post(
        f"/ratings/moderation/comments/{commented.id}", data={"decision": "keep"}
    )
    assert again.status_code == 404


def test_you_cant_report_your_own_comment(db, app, commented):
    from directory.models import User

    author = db.session.get(User, commented.user_id)
    client = sign_in(app.test_client(), author)
    before = snapshot(db)
    response = report(client, commented)
    assert "can't report your own comment" in body(client.get(response.headers["Location"]))
    assert snapshot(db) == before


def test_reporting_a_missing_comment(db, app, make_user, make_listing, commented):
    client = practitioner_client(app, make_user)
    assert report(client, type("R", (), {"id": 999999})()).status_code == 404
    commented.comment = None
    db.session.commit()
    before = snapshot(db)
    assert report(client, commented).status_code == 404
    assert snapshot(db) == before


def test_bad_moderation_decisions_are_refused(db, commented, client_as, app, make_user):
    for _ in range(2):
        report(practitioner_client(app, make_user), commented)
    moderator = client_as("moderator")
    _db.session.commit()
    before = snapshot(db)
    response = moderator.post(
        f"/ratings/moderation/comments/{commented.id}", data={"decision": "delete"}
    )
    assert response.status_code == 400
    assert (
        moderator.post("/ratings/moderation/comments/999999", data={"decision": "keep"}).status_code
        == 404
    )
    assert snapshot(db) == before


def test_comment_reports_race_still_hides(db, make_user, commented):
    """Service level: the second distinct reporter hides it, whatever the order."""
    a, b = make_user(), make_user()
    services.report_comment(db.session, a, commented.id)
    assert commented.comment_hidden is False
    services.report_comment(db.session, b, commented.id, reason="Personal attack")
    assert commented.comment_hidden is True
    with pytest.raises(services.RatingError):
        services.report_comment(db.session, make_user(), commented.id)
