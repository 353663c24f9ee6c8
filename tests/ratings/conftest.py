"""Fixtures for ratings and feedback tests."""

from __future__ import annotations

import datetime as dt
import html
import itertools
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from directory.models import (
    AuditEvent,
    CommentReport,
    ListingScore,
    Rating,
    RatingHistory,
    ServiceUserFeedback,
    Shortlist,
    ShortlistItem,
    utcnow,
)

_codes = itertools.count(1)


@pytest.fixture
def make_shortlist(db, make_user) -> Callable[..., Shortlist]:
    """A shortlist with a feedback code holding ``listings``, added ``days_ago``."""

    def make(listings, *, owner=None, code: str | None = "auto", days_ago: int = 0, uses: int = 0):
        if code == "auto":
            code = f"FB{next(_codes):06d}"
        shortlist = Shortlist(
            owner=owner or make_user(),
            label="Tuesday plan",
            feedback_code=code,
            feedback_uses=uses,
        )
        added = utcnow() - dt.timedelta(days=days_ago)
        shortlist.items = [
            ShortlistItem(listing_id=listing.id, position=i, added_at=added)
            for i, listing in enumerate(listings)
        ]
        db.session.add(shortlist)
        db.session.flush()
        return shortlist

    return make


def body(response) -> str:
    """A response's HTML with entities decoded, to look for sentences in it."""
    return html.unescape(response.get_data(as_text=True))


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def snapshot(db) -> dict:
    """Row counts and every stored aggregate: "nothing changed" compares two of these."""
    db.session.expire_all()
    scores = {
        s.listing_id: (
            s.rating_count,
            s.rating_sum,
            s.mean,
            s.adjusted,
            s.by_sector,
            s.helped,
            s.refer_yes,
            s.refer_answers,
            s.feedback_count,
            s.feedback_went,
            s.feedback_welcome_sum,
            s.feedback_welcome_count,
        )
        for s in db.session.scalars(select(ListingScore))
    }
    ratings = {
        r.id: (r.usefulness, r.helped_domains, r.suits, r.comment, r.comment_hidden, r.updated_at)
        for r in db.session.scalars(select(Rating))
    }
    return {
        "ratings": ratings,
        "history": count(db, RatingHistory),
        "reports": count(db, CommentReport),
        "feedback": count(db, ServiceUserFeedback),
        "audit": count(db, AuditEvent),
        "scores": scores,
        "uses": {s.id: s.feedback_uses for s in db.session.scalars(select(Shortlist))},
    }


GOOD_RATING = {
    "usefulness": "4",
    "helped_domains": ["closeness", "involvement"],
    "suits": ["anxious_in_groups"],
    "suits_text": "",
    "would_refer": "yes",
    "comment": "Warm welcome; my client went for six weeks.",
}
