"""The moderators' "Possible duplicates" queue: both listings side by side, merge or not."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import func, select

from directory.listings import duplicates
from directory.models import (
    AuditEvent,
    DuplicateFlag,
    Listing,
    ListingScore,
    Rating,
    Shortlist,
    ShortlistItem,
    utcnow,
)
from directory.ratings.aggregates import recompute_score


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def moderator(client_as, db):
    client = client_as("moderator")
    db.session.commit()
    return client


@pytest.fixture
def pair(db, make_organisation, make_listing, make_user):
    """A group posted by its charity and the same group from the council's feed."""
    charity = make_organisation(name="Tamar Walkers")
    council = make_organisation(name="Plymouth City Council")
    left = make_listing(
        name="Plymouth Walking Group",
        organisation=charity,
        phone="01752 000111",
        summary="Gentle walks on the Hoe.",
        description="<p>Tea &amp;amp; cake <strong>after</strong>.</p>",
        last_verified_at=utcnow() - dt.timedelta(days=10),
    )
    right = make_listing(
        name="Walking group - Plymouth",
        organisation=council,
        email="walks@council.example.org",
        source="council-feed",
        source_id="S-1",
        published=False,
        schedules=[{"byday": "TH", "opens_at": dt.time(14), "closes_at": dt.time(15)}],
        last_verified_at=None,
    )
    rater = make_user()
    db.session.add(Rating(listing_id=right.id, user_id=rater.id, usefulness=4, sector="gp"))
    db.session.flush()
    recompute_score(db.session, right.id)
    [flag] = duplicates.flag_duplicates(db.session, right)
    db.session.commit()
    return left, right, flag


def test_the_queue_shows_both_listings_side_by_side_with_the_reason(moderator, pair):
    left, right, flag = pair
    response = moderator.get("/moderation/duplicates")
    assert response.status_code == 200
    page = text(response)
    assert "names 100% alike, under 0.1 km apart" in page
    sides = re.findall(r'data-side="(left|right)" data-listing-id="([^"]+)"', page)
    assert sides == [("left", right.id), ("right", left.id)]
    for words in (
        "Tamar Walkers",
        "Plymouth City Council",
        "Community Hall, 1 Test Street, Plymouth, PL4 8AA",
        "Every Tuesday, 10:00 to 12:00",
        "Every Thursday, 14:00 to 15:00",
        "01752 000111",
        "walks@council.example.org",
        "Gentle walks on the Hoe. Tea & cake after.",
        "Waiting for a moderator",
        "Imported from council-feed",
        "Merge into left",
        "Merge into right",
        "Not the same",
    ):
        assert words in page, words
    ratings = re.findall(r"Ratings</dt><dd[^>]*>(\d+)<", page)
    assert ratings == ["1", "0"]
    checked = re.findall(r"Last checked</dt><dd[^>]*>([^<]+)<", page)
    assert checked[0] == "Never" and checked[1].endswith(str(left.last_verified_at.year))


def test_the_queue_is_linked_from_the_moderators_pages(moderator, pair):
    for url in ("/moderation/", "/moderation/listings"):
        assert 'href="/moderation/duplicates"' in text(moderator.get(url))
    assert "Possible duplicates (1)" in text(moderator.get("/moderation/"))


def test_merge_into_right_keeps_the_right_listing_with_the_ratings_and_shortlists(
    moderator, pair, db, make_user
):
    left, right, flag = pair  # the flag's left is the imported listing
    shortlist = Shortlist(owner=make_user(), label="Plan")
    shortlist.items = [ShortlistItem(listing_id=right.id, position=0)]
    db.session.add(shortlist)
    db.session.commit()
    response = moderator.post(f"/moderation/duplicates/{flag.id}/right")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/moderation/duplicates")
    db.session.expire_all()
    imported, posted = db.session.get(Listing, right.id), db.session.get(Listing, left.id)
    assert imported.merged_into_id == posted.id and imported.archived_at is not None
    assert posted.archived_at is None
    assert db.session.get(DuplicateFlag, flag.id).status == "merged"
    assert db.session.get(DuplicateFlag, flag.id).decided_by_id == moderator.user.id
    assert count(db, Rating, Rating.listing_id == posted.id) == 1
    assert db.session.get(ListingScore, posted.id).rating_count == 1
    assert db.session.scalar(select(ShortlistItem.listing_id)) == posted.id
    assert {
        (e.action, e.target_id, e.actor_id)
        for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("listing.merge%"))
        )
    } == {
        ("listing.merge", posted.id, moderator.user.id),
        ("listing.merged_into", imported.id, moderator.user.id),
    }
    page = text(moderator.get("/moderation/duplicates"))
    assert "Merged into “Plymouth Walking Group”." in page
    assert "data-flag-id" not in page and "Open (0)" in page


def test_merge_into_left_keeps_the_left_listing(moderator, pair, db):
    left, right, flag = pair
    assert moderator.post(f"/moderation/duplicates/{flag.id}/left").status_code == 302
    db.session.expire_all()
    assert db.session.get(Listing, left.id).merged_into_id == right.id


def test_not_the_same_closes_the_flag_for_good(moderator, pair, db):
    left, right, flag = pair
    response = moderator.post(f"/moderation/duplicates/{flag.id}/dismiss", follow_redirects=True)
    assert "Marked as not the same" in text(response)
    db.session.expire_all()
    assert db.session.get(DuplicateFlag, flag.id).status == "dismissed"
    assert db.session.get(Listing, left.id).archived_at is None
    assert db.session.get(Listing, right.id).archived_at is None
    assert count(db, AuditEvent, AuditEvent.action == "duplicate.dismiss") == 1
    assert duplicates.flag_duplicates(db.session, db.session.get(Listing, right.id)) == []


def test_deciding_twice_or_on_an_archived_listing_says_why_and_changes_nothing(moderator, pair, db):
    left, right, flag = pair
    moderator.post(f"/moderation/duplicates/{flag.id}/dismiss")
    again = moderator.post(f"/moderation/duplicates/{flag.id}/left", follow_redirects=True)
    assert again.status_code == 200
    assert "already been decided" in text(again)
    db.session.expire_all()
    assert db.session.get(Listing, left.id).archived_at is None

    # An open flag whose listing an editor has since archived.
    db.session.delete(db.session.get(DuplicateFlag, flag.id))
    db.session.flush()
    other = DuplicateFlag(listing_id=left.id, other_id=right.id, reason="x", score=90)
    db.session.add(other)
    db.session.get(Listing, right.id).archived_at = utcnow()
    db.session.commit()
    # Not in the queue, and a stale page's button is refused with a message.
    assert "data-flag-id" not in text(moderator.get("/moderation/duplicates"))
    refused = moderator.post(f"/moderation/duplicates/{other.id}/left", follow_redirects=True)
    assert "archived or merged already" in text(refused)
    assert count(db, AuditEvent, AuditEvent.action == "listing.merge") == 0


@pytest.mark.parametrize(
    "url",
    [
        "/moderation/duplicates/999999/left",
        "/moderation/duplicates/999999/dismiss",
        f"/moderation/duplicates/{2**31}/right",
        f"/moderation/duplicates/{2**70}/right",
        "/moderation/duplicates/-1/left",
        "/moderation/duplicates/abc/left",
        "/moderation/duplicates/1/sideways",
    ],
)
def test_unknown_flags_and_decisions_are_404s(moderator, pair, url):
    assert moderator.post(url).status_code == 404


@pytest.mark.parametrize("page", ["0", "-3", "x", "99999999999999999999", "5"])
def test_any_page_number_answers(moderator, pair, page):
    assert moderator.get(f"/moderation/duplicates?page={page}").status_code == 200


def test_a_post_without_the_csrf_token_changes_nothing(app, moderator, pair, db):
    left, right, flag = pair
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = moderator.post(f"/moderation/duplicates/{flag.id}/left")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert "Form expired" in text(response)
    db.session.expire_all()
    assert db.session.get(DuplicateFlag, flag.id).status == "open"
    assert db.session.get(Listing, left.id).archived_at is None


def test_only_moderators_decide(client_as, pair, db):
    left, right, flag = pair
    for role in ("practitioner", "editor"):
        client = client_as(role)
        db.session.commit()
        assert client.get("/moderation/duplicates").status_code == 403
        assert client.post(f"/moderation/duplicates/{flag.id}/left").status_code == 403
    db.session.expire_all()
    assert db.session.get(DuplicateFlag, flag.id).status == "open"
