"""Visibility: which listings anyone may see, in Python and in SQL alike."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from directory.models import Listing, public_listings
from directory.rules.visibility import is_public

ARCHIVED = dt.datetime(2026, 1, 1)


@pytest.mark.parametrize(
    ("published", "status", "archived_at", "public"),
    [
        (True, "active", None, True),
        (True, "temporarily_closed", None, True),
        (False, "active", None, False),
        (None, "active", None, False),
        (True, "closed", None, False),
        (True, "active", ARCHIVED, False),
    ],
)
def test_is_public(published, status, archived_at, public):
    assert is_public(published, status, archived_at) is public


def test_the_sql_form_picks_the_same_listings(db, make_listing):
    """``select(Listing).where(Listing.is_public)`` and ``listing.is_public`` agree.

    For every combination of the three fields.
    """
    listings = [
        make_listing(published=published, status=status, archived_at=archived_at)
        for published, status, archived_at in itertools.product(
            (True, False), ("active", "closed"), (None, ARCHIVED)
        )
    ]
    ids = {listing.id for listing in listings}
    in_sql = set(db.session.scalars(public_listings().with_only_columns(Listing.id))) & ids
    in_python = {listing.id for listing in listings if listing.is_public}
    assert in_sql == in_python
    assert len(in_python) == 1
    assert set(db.session.scalars(select(Listing.id).where(~Listing.is_public))) & ids == (
        ids - in_python
    )


def test_an_ended_course_leaves_search_the_day_after_its_last():
    from directory.rules.visibility import has_ended

    last = dt.date(2025, 6, 30)
    assert not has_ended(last, last)
    assert has_ended(last, last + dt.timedelta(days=1))
    assert not has_ended(None, dt.date(2099, 1, 1))
