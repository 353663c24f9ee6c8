"""Role matrix rows for the ratings area.

Rating listings, reporting comments, reviewing them, and anonymous feedback.
"""

from __future__ import annotations

import pytest

from directory.models import Rating, ServiceUserFeedback, Shortlist, ShortlistItem
from tests.test_permissions import ROLES, assert_route_status, by_role, role_matrix

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
    """A listing with a commented rating, a shortlist with a feedback code, and feedback.

    The feedback's text waits for review.
    """
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


@role_matrix(MATRIX)
def test_role_matrix(matrix_client, world, role, endpoint, method, url, expected):
    client = matrix_client(role, world.get("organisation"))
    assert_route_status(client, method, url.format(**world), expected[role])
