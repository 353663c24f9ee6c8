"""Stored aggregates: exact recomputation, and the words the listing page uses.

The maths is tested in tests/rules/test_aggregates.py.
"""

from __future__ import annotations

import pytest

from directory.models import ListingScore, Rating, ServiceUserFeedback
from directory.ratings import display
from directory.ratings.aggregates import recompute_score


def test_recompute_score_counts_every_rating_and_feedback_exactly(db, make_listing, make_user):
    listing = make_listing()
    given = [
        ("primary_care", 5, ["closeness", "involvement"], True),
        ("primary_care", 4, ["involvement"], True),
        ("secondary_care", 3, [], False),
        ("third_sector", 2, ["closeness"], None),
        ("community", 4, ["beyond"], True),
    ]
    for sector, usefulness, helped, refer in given:
        user = make_user(sector=sector)
        db.session.add(
            Rating(
                listing_id=listing.id,
                user_id=user.id,
                usefulness=usefulness,
                helped_domains=helped,
                would_refer=refer,
                sector=sector,
            )
        )
    db.session.add_all(
        [
            ServiceUserFeedback(listing_id=listing.id, went=True, welcome=5),
            ServiceUserFeedback(listing_id=listing.id, went=True, welcome=4),
            ServiceUserFeedback(listing_id=listing.id, went=False),
        ]
    )
    db.session.flush()
    score = recompute_score(db.session, listing.id)
    assert (score.rating_count, score.rating_sum) == (5, 18)
    assert score.mean == pytest.approx(3.6)
    assert score.adjusted == pytest.approx((5 * 3.0 + 18) / 10)
    assert score.by_sector == {
        "primary_care": {"count": 2, "sum": 9},
        "secondary_care": {"count": 1, "sum": 3},
        "third_sector": {"count": 1, "sum": 2},
        "other": {"count": 1, "sum": 4},
    }
    assert score.helped == {"beyond": 1, "closeness": 2, "involvement": 2}
    assert (score.refer_yes, score.refer_answers) == (3, 4)
    assert (score.feedback_count, score.feedback_went) == (3, 2)
    assert (score.feedback_welcome_sum, score.feedback_welcome_count) == (9, 2)
    # Stored, and reachable from the listing (search reads listing.score.adjusted).
    db.session.expire_all()
    assert db.session.get(ListingScore, listing.id).rating_sum == 18
    assert listing.score.adjusted == pytest.approx(3.3)


def test_recompute_with_no_ratings_leaves_listing_unrated(db, make_listing):
    listing = make_listing()
    db.session.add(ServiceUserFeedback(listing_id=listing.id, went=True, welcome=3))
    db.session.flush()
    score = recompute_score(db.session, listing.id)
    assert score.rating_count == 0 and score.mean is None and score.adjusted is None
    assert score.by_sector == {} and score.helped == {}
    assert score.feedback_count == 1, "feedback is counted apart from ratings"


def test_recompute_twice_creates_one_row(db, make_listing):
    listing = make_listing()
    first = recompute_score(db.session, listing.id)
    second = recompute_score(db.session, listing.id)
    assert first is second
    assert db.session.query(ListingScore).filter_by(listing_id=listing.id).count() == 1


def score(**fields) -> ListingScore:
    values = {
        "rating_count": 0,
        "rating_sum": 0,
        "by_sector": {},
        "helped": {},
        "refer_yes": 0,
        "refer_answers": 0,
        "feedback_count": 0,
        "feedback_went": 0,
        "feedback_welcome_sum": 0,
        "feedback_welcome_count": 0,
    }
    values.update(fields)
    return ListingScore(**values)


def test_practitioner_summary_wording():
    twelve = score(
        rating_count=12,
        rating_sum=53,
        by_sector={
            "primary_care": {"count": 5, "sum": 22},
            "secondary_care": {"count": 4, "sum": 18},
            "third_sector": {"count": 3, "sum": 13},
        },
    )
    assert display.practitioner_summary(twelve) == (
        "4.4 from 12 practitioners: 5 in GP practices, 4 in mental health teams, 3 in charities"
    )
    one = score(rating_count=1, rating_sum=4, by_sector={"secondary_care": {"count": 1, "sum": 4}})
    assert display.practitioner_summary(one) == "4.0 from 1 practitioner: 1 in a mental health team"
    other = score(rating_count=2, rating_sum=7, by_sector={"other": {"count": 2, "sum": 7}})
    assert display.practitioner_summary(other) == "3.5 from 2 practitioners: 2 elsewhere"
    assert display.practitioner_summary(score()) is None
    assert display.practitioner_summary(None) is None


def test_refer_and_feedback_wording():
    assert display.refer_summary(score(refer_yes=9, refer_answers=10)) == (
        "9 of 10 would refer someone again (90%)"
    )
    assert display.refer_summary(score()) is None
    feedback = score(
        feedback_count=9, feedback_went=7, feedback_welcome_sum=32, feedback_welcome_count=7
    )
    assert display.feedback_summary(feedback) == [
        "9 people gave feedback; 7 said they went.",
        "7 people said how welcome they felt: 4.6 out of 5.",
    ]
    assert display.feedback_summary(score(feedback_count=1)) == [
        "1 person gave feedback; 0 said they went."
    ]
    assert display.feedback_summary(score()) == []
