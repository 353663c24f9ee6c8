"""Asking at the right moment: the home page lists what to rate.

What a practitioner shortlisted four or more weeks ago and hasn't rated.
"""

from __future__ import annotations

from directory.extensions import db as _db
from directory.models import Rating
from directory.ratings import services
from tests.conftest import sign_in
from tests.ratings.conftest import body

HEADING = "You shortlisted these four or more weeks ago — how useful were they?"


def test_prompts_list_old_unrated_shortlisted_listings(
    db, make_user, make_listing, make_organisation, make_shortlist
):
    organisation = make_organisation()
    user = make_user(editor_of=organisation)
    old = make_listing(name="Old Walk")
    older = make_listing(name="Older Choir")
    rated = make_listing(name="Rated Café")
    own = make_listing(name="Own Group", organisation=organisation)
    closed = make_listing(name="Closed Club", status="closed")
    recent = make_listing(name="Recent Garden")
    make_shortlist([older], owner=user, days_ago=40)
    make_shortlist([old, rated, own, closed], owner=user, days_ago=services.PROMPT_AFTER_DAYS)
    make_shortlist([recent], owner=user, days_ago=services.PROMPT_AFTER_DAYS - 1)
    make_shortlist([make_listing(name="Someone else's")], days_ago=60)
    db.session.add(Rating(listing_id=rated.id, user_id=user.id, usefulness=4, sector="x"))
    db.session.flush()
    prompts = services.rating_prompts(db.session, user)
    assert [listing.name for listing in prompts] == ["Old Walk", "Older Choir"]
    assert services.rating_prompts(db.session, user, limit=1) == prompts[:1]


def test_home_page_shows_the_prompt_only_when_there_is_something(
    db, app, make_user, make_listing, make_shortlist
):
    user = make_user()
    listing = make_listing(name="Riverside Walking Group")
    client = sign_in(app.test_client(), user)
    _db.session.commit()
    assert HEADING not in body(client.get("/"))
    make_shortlist([listing], owner=user, days_ago=30)
    _db.session.commit()
    html = body(client.get("/"))
    assert HEADING in html
    assert f'href="/listings/{listing.id}/rate">Rate Riverside Walking Group</a>' in html
    assert HEADING not in body(app.test_client().get("/")), "not for anonymous visitors"
