"""Practitioners rating listings.

The form, one rating per person, history, refusals, the listing page panel, and search
by usefulness.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from directory.extensions import db as _db
from directory.models import AuditEvent, Listing, ListingScore, Rating, RatingHistory
from directory.ratings import services
from tests.conftest import sign_in
from tests.ratings.conftest import GOOD_RATING, body, count, snapshot


def rate(client, listing_id, **overrides):
    """Post the rate form, committing the test's set-up first.

    A refused request rolls back its transaction, which would otherwise take uncommitted
    fixtures with it.
    """
    _db.session.commit()
    return client.post(f"/listings/{listing_id}/rate", data={**GOOD_RATING, **overrides})


@pytest.fixture
def practitioner(app, make_user):
    user = make_user(sector="secondary_care", profession="care_coordinator")
    client = sign_in(app.test_client(), user)
    client.user = user
    return client


def test_rate_form_page(practitioner, make_listing):
    listing = make_listing(name="Riverside Walking Group")
    page = practitioner.get(f"/listings/{listing.id}/rate")
    assert page.status_code == 200
    html = body(page)
    assert "Rate this group" in html
    for text in ("4 out of 5: useful", "Closeness", "Anxious in groups", "would you refer"):
        assert text.lower() in html.lower()


def test_rating_saves_and_updates_the_aggregates(db, practitioner, make_listing):
    listing = make_listing()
    response = rate(practitioner, listing.id)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/listings/{listing.id}#ratings")
    rating = db.session.scalar(select(Rating).where(Rating.listing_id == listing.id))
    assert rating.usefulness == 4
    assert rating.helped_domains == ["closeness", "involvement"]
    assert rating.suits == ["anxious_in_groups"]
    assert rating.would_refer is True
    assert rating.sector == "secondary_care"
    score = db.session.get(ListingScore, listing.id)
    assert (score.rating_count, score.rating_sum, score.mean) == (1, 4, 4.0)
    assert score.adjusted == pytest.approx((5 * 3.0 + 4) / 6)
    assert score.by_sector == {"secondary_care": {"count": 1, "sum": 4}}
    assert score.helped == {"closeness": 1, "involvement": 1}
    assert (score.refer_yes, score.refer_answers) == (1, 1)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "rating.create"))
    assert event.actor_id == practitioner.user.id and event.target_id == str(rating.id)

    page = body(practitioner.get(f"/listings/{listing.id}"))
    assert "4.0 from 1 practitioner: 1 in a mental health team" in page
    assert "Thank you. Your rating is saved." in page
    assert "Closeness: 1" in page and "Anxious in groups: 1" in page
    assert "1 of 1 would refer someone again (100%)" in page
    assert "You rated it 4 out of 5" in page and "Change your rating" in page


def test_rating_again_replaces_it_and_keeps_the_history(db, practitioner, make_listing):
    listing = make_listing()
    rate(practitioner, listing.id)
    assert rate(practitioner, listing.id, usefulness="2", would_refer="no").status_code == 303
    ratings = db.session.scalars(select(Rating).where(Rating.listing_id == listing.id)).all()
    assert len(ratings) == 1 and ratings[0].usefulness == 2 and ratings[0].would_refer is False
    history = services.rating_history(db.session, ratings[0])
    assert [h.data["usefulness"] for h in history] == [4]
    assert history[0].data["would_refer"] is True
    score = db.session.get(ListingScore, listing.id)
    assert (score.rating_count, score.rating_sum) == (1, 2)
    assert (score.refer_yes, score.refer_answers) == (0, 1)
    assert count(db, AuditEvent, AuditEvent.action == "rating.update") == 1


def test_the_form_shows_your_current_rating(practitioner, make_listing):
    listing = make_listing()
    rate(practitioner, listing.id, suits_text="people who like sketching")
    html = body(practitioner.get(f"/listings/{listing.id}/rate"))
    assert "Change your rating" in html
    assert 'value="4" checked' in html
    assert 'value="closeness" checked' in html
    assert 'value="yes" checked' in html
    assert "people who like sketching" in html


def test_double_submit_changes_nothing(db, practitioner, make_listing):
    listing = make_listing()
    rate(practitioner, listing.id)
    before = snapshot(db)
    response = rate(practitioner, listing.id)
    assert response.status_code == 303
    page = body(practitioner.get(response.headers["Location"]))
    assert "already saved this rating. Nothing has changed." in page
    assert snapshot(db) == before


@pytest.mark.parametrize("usefulness", ["0", "6", "", "four", "-1", "4.5"])
def test_bad_score_is_refused_and_changes_nothing(db, practitioner, make_listing, usefulness):
    listing = make_listing()
    before = snapshot(db)
    response = rate(practitioner, listing.id, usefulness=usefulness, comment="Typed this")
    assert response.status_code == 400
    html = body(response)
    assert "Choose how useful it was, from 1 (not useful) to 5 (very useful)." in html
    assert 'href="#usefulness"' in html, "the error summary links to the field"
    assert "Typed this" in html, "the form keeps what was typed"
    assert 'value="closeness" checked' in html
    assert snapshot(db) == before


def test_score_0_and_6_refused_by_the_service_too(db, make_user, make_listing):
    user, listing = make_user(), make_listing()
    for bad in (0, 6, True, None, 4.0):
        with pytest.raises(services.RatingError) as error:
            services.rate_listing(db.session, user, listing.id, services.RatingInput(bad))
        assert error.value.field == "usefulness"
    assert count(db, Rating) == 0 and count(db, ListingScore) == 0


def test_unknown_domains_or_tags_are_refused(db, practitioner, make_listing):
    listing = make_listing()
    before = snapshot(db)
    response = rate(practitioner, listing.id, helped_domains=["closeness", "sadness"])
    assert response.status_code == 400
    assert "Choose domains from the list of CIVIC domains." in body(response)
    response = rate(practitioner, listing.id, suits=["cats"])
    assert response.status_code == 400
    assert "Choose from the list of who it suits." in body(response)
    response = rate(practitioner, listing.id, comment="x" * 1001)
    assert response.status_code == 400
    assert "1000 characters or fewer" in body(response)
    assert snapshot(db) == before


def test_unknown_listing_is_refused_and_changes_nothing(db, practitioner, make_listing):
    make_listing()
    before = snapshot(db)
    for missing in ("no-such-listing", "00000000-0000-0000-0000-000000000000"):
        response = rate(practitioner, missing)
        assert response.status_code == 404
        assert "couldn't find that listing" in body(response)
    with pytest.raises(services.NotFound):
        services.rate_listing(
            db.session, practitioner.user, "no-such-listing", services.RatingInput(4)
        )
    assert snapshot(db) == before


def test_unpublished_or_closed_listings_cant_be_rated(db, practitioner, make_listing):
    hidden = make_listing(published=False)
    closed = make_listing(status="closed")
    before = snapshot(db)
    assert rate(practitioner, hidden.id).status_code == 404
    assert rate(practitioner, closed.id).status_code == 404
    assert snapshot(db) == before


def test_editors_cant_rate_their_own_organisations_listings(
    db, app, make_user, make_listing, make_organisation
):
    organisation = make_organisation()
    listing = make_listing(organisation=organisation)
    other = make_listing()
    editor = make_user(editor_of=organisation)
    client = sign_in(app.test_client(), editor)
    db.session.commit()
    before = snapshot(db)
    page = client.get(f"/listings/{listing.id}/rate")
    assert page.status_code == 403
    assert "you can't rate it" in body(page)
    response = rate(client, listing.id)
    assert response.status_code == 403
    assert "you can't rate it" in body(response)
    with pytest.raises(services.NotAllowed):
        services.rate_listing(db.session, editor, listing.id, services.RatingInput(5))
    assert snapshot(db) == before
    # The listing page says why instead of offering the form; other listings are fine.
    html = body(client.get(f"/listings/{listing.id}"))
    assert "you can't rate it" in html and f"/listings/{listing.id}/rate" not in html
    assert rate(client, other.id).status_code == 303


def test_a_requested_membership_does_not_stop_rating(db, app, make_user, make_listing):
    from directory.models import Membership

    listing = make_listing()
    user = make_user()
    user.memberships.append(
        Membership(organisation_id=listing.organisation_id, role="editor", status="requested")
    )
    db.session.flush()
    assert rate(sign_in(app.test_client(), user), listing.id).status_code == 303


def test_anonymous_visitors_are_sent_to_sign_in(db, client, make_listing):
    listing = make_listing()
    response = rate(client, listing.id)
    assert response.status_code == 302 and "/accounts/login" in response.headers["Location"]
    assert count(db, Rating) == 0
    html = body(client.get(f"/listings/{listing.id}"))
    assert "No practitioner has rated it yet." in html
    assert "sign in</a> to rate it" in html


def test_panel_counts_sectors_domains_and_suits(db, app, make_user, make_listing):
    listing = make_listing()
    for sector, usefulness in [
        ("primary_care", 5),
        ("primary_care", 4),
        ("third_sector", 5),
        ("local_authority", 3),
    ]:
        client = sign_in(app.test_client(), make_user(sector=sector))
        assert rate(client, listing.id, usefulness=str(usefulness)).status_code == 303
    html = body(app.test_client().get(f"/listings/{listing.id}"))
    assert "4.2 from 4 practitioners: 2 in GP practices, 1 in a charity, 1 elsewhere" in html
    assert "Closeness: 4" in html and "Involvement: 4" in html
    assert "Anxious in groups: 4" in html
    assert "4 of 4 would refer someone again (100%)" in html


def test_comments_only_for_signed_in_practitioners(db, app, practitioner, make_listing):
    listing = make_listing()
    rate(practitioner, listing.id, comment="Ask for Sam at the door.", suits_text="night owls")
    anonymous = body(app.test_client().get(f"/listings/{listing.id}"))
    assert "Ask for Sam" not in anonymous and "night owls" not in anonymous
    assert "1 in a mental health team" in anonymous, "the aggregate is public"
    html = body(practitioner.get(f"/listings/{listing.id}"))
    assert "Ask for Sam at the door." in html and "Also suits: night owls" in html
    assert "Care coordinator" in html
    assert "Report this comment" not in html, "you can't report your own comment"


def test_search_sort_useful_puts_the_better_rated_listing_first(db, app, make_user, make_listing):
    worse = make_listing(name="Harbour Chat Group")
    better = make_listing(name="Harbour Walk Group")
    unrated = make_listing(name="Harbour Book Group")
    db.session.commit()

    def order():
        body = app.test_client().get("/api/search?q=harbour&sort=useful").get_json()
        return [row["id"] for row in body["results"]]

    assert set(order()) == {worse.id, better.id, unrated.id}
    for usefulness, listing in [(2, worse), (5, better), (4, better), (3, worse)]:
        client = sign_in(app.test_client(), make_user())
        assert rate(client, listing.id, usefulness=str(usefulness)).status_code == 303
    assert order() == [better.id, worse.id, unrated.id]
    # And it follows a changed rating: the index is updated in the rating's commit.
    for usefulness in (5, 5, 5):
        client = sign_in(app.test_client(), make_user())
        rate(client, worse.id, usefulness=str(usefulness))
    assert order()[0] == worse.id


def test_best_match_uses_the_adjusted_score(db, app, make_user, make_listing):
    """Two listings alike in every other signal: ratings decide best match.

    Through the Bayesian score (one 1 drops a listing below an unrated one).
    """
    low = make_listing(name="Lighthouse Art Group")
    unrated = make_listing(name="Lighthouse Art Club")
    high = make_listing(name="Lighthouse Art Circle")
    db.session.commit()
    for listing, usefulness in [(low, "1"), (high, "5")]:
        client = sign_in(app.test_client(), make_user())
        assert rate(client, listing.id, usefulness=usefulness).status_code == 303
    found = app.test_client().get("/api/search?q=lighthouse&postcode=PL4+8AA").get_json()
    assert [row["id"] for row in found["results"]] == [high.id, unrated.id, low.id]


def test_search_sort_useful_without_the_index(db, app, make_user, make_listing):
    """The database fallback reads the same stored score."""
    first = make_listing(name="Quayside Craft Club")
    second = make_listing(name="Quayside Knit Club")
    client = sign_in(app.test_client(), make_user())
    rate(client, second.id, usefulness="5")
    previous = app.extensions["search"]
    app.extensions["search"] = None
    try:
        body = app.test_client().get("/api/search?q=quayside&sort=useful").get_json()
    finally:
        app.extensions["search"] = previous
    assert [row["id"] for row in body["results"]] == [second.id, first.id]


def test_deleting_a_listing_deletes_its_ratings_and_score(db, practitioner, make_listing):
    from sqlalchemy import delete

    listing = make_listing()
    rate(practitioner, listing.id)
    rate(practitioner, listing.id, usefulness="3")
    db.session.execute(delete(Listing).where(Listing.id == listing.id))
    db.session.expire_all()
    assert count(db, Rating) == 0 and count(db, RatingHistory) == 0
    assert count(db, ListingScore) == 0


def test_purging_a_rated_archived_listing(db, practitioner, make_listing):
    """The lifecycle's purge deletes listings through the ORM; a score row mustn't stop it."""
    import datetime as dt

    from directory.lifecycle.services import purge_archived
    from directory.models import utcnow

    listing = make_listing()
    rate(practitioner, listing.id)
    assert count(db, ListingScore) == 1
    db.session.get(Listing, listing.id).archived_at = utcnow() - dt.timedelta(days=400)
    db.session.flush()
    assert purge_archived(db.session, utcnow(), days=365) == 1
    db.session.expire_all()
    assert count(db, ListingScore) == 0 and count(db, Rating) == 0
