"""Role matrix rows for rating listings, reporting comments, reviewing them, and
anonymous feedback."""

from __future__ import annotations

import pytest

from directory.models import Membership, Rating, ServiceUserFeedback, Shortlist, ShortlistItem
from tests.conftest import sign_in
from tests.test_permissions import ROLES, by_role

EVERYONE = dict.fromkeys(ROLES, 200)
MODERATORS_PAGE = by_role(302, 403, 403, 200, 200)
MODERATORS_FORM_EMPTY = by_role(302, 403, 403, 400, 400)

MATRIX = [
    # The editor edits the organisation that runs the listing, so can't rate it.
    ("ratings.rate", "GET", "/listings/{listing}/rate", by_role(302, 200, 403, 200, 200)),
    ("ratings.rate", "POST", "/listings/{listing}/rate", by_role(302, 400, 403, 400, 400)),
    ("ratings.report", "POST", "/ratings/{rating}/report", by_role(302, 303, 303, 303, 303)),
    ("ratings.moderation", "GET", "/ratings/moderation", MODERATORS_PAGE),
    ("ratings.review_comment", "POST", "/ratings/moderation/comments/{rating}", MODERATORS_FORM_EMPTY),
    ("ratings.review_feedback", "POST", "/ratings/moderation/feedback/{feedback}", MODERATORS_FORM_EMPTY),
    ("ratings.feedback_start", "GET", "/feedback", EVERYONE),
    ("ratings.feedback", "GET", "/feedback/{code}", EVERYONE),
    # An empty form: "Answer at least one question".
    ("ratings.feedback", "POST", "/feedback/{code}", dict.fromkeys(ROLES, 400)),
    ("ratings.feedback", "GET", "/feedback/NOPE", dict.fromkeys(ROLES, 404)),
    ("ratings.feedback", "POST", "/feedback/NOPE", dict.fromkeys(ROLES, 404)),
    ("ratings.feedback_thanks", "GET", "/feedback/{code}/thanks", EVERYONE),
]  # fmt: skip


@pytest.fixture
def world(db, make_organisation, make_listing, make_user):
    """A listing with a commented rating, a shortlist with a feedback code, and a piece of
    feedback text waiting for review."""
    organisation = make_organisation()
    listing = make_listing(organisation=organisation)
    author = make_user()
    rating = Rating(
        listing_id=listing.id,
        user_id=author.id,
        usefulness=3,
        comment="Busy on Tuesdays.",
        sector=author.sector,
    )
    shortlist = Shortlist(owner=author, label="Matrix plan", feedback_code="MATRIX1")
    shortlist.items = [ShortlistItem(listing_id=listing.id)]
    feedback = ServiceUserFeedback(listing_id=listing.id, text="Lovely", text_status="pending")
    db.session.add_all([rating, shortlist, feedback])
    db.session.commit()
    return {
        "organisation": organisation.id,
        "listing": listing.id,
        "rating": rating.id,
        "feedback": feedback.id,
        "code": shortlist.feedback_code,
    }


@pytest.fixture
def client_for(app, db, client_as, world):
    def make(role: str):
        if role == "anonymous":
            return app.test_client()
        if role == "editor":
            client = client_as("practitioner")
            client.user.memberships.append(
                Membership(organisation_id=world["organisation"], role="editor", status="approved")
            )
            db.session.commit()
            return sign_in(client, client.user)
        client = client_as(role)
        db.session.commit()
        return client

    return make


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("endpoint", "method", "url", "expected"), MATRIX, ids=lambda v: v if isinstance(v, str) else ""
)
def test_role_matrix(client_for, world, role, endpoint, method, url, expected):
    response = client_for(role).open(url.format(**world), method=method)
    status, body = response.status_code, response.get_data(as_text=True)[:300]
    response.close()
    assert status == expected[role], body
