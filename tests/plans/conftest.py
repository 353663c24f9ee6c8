"""Fixtures for shortlists and plans."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from directory.models import Listing, Shortlist, ShortlistItem, User, utcnow


@pytest.fixture
def make_shortlist(db, make_user) -> Callable[..., Shortlist]:
    """Create a shortlist holding ``listings`` for ``owner`` (a new practitioner unless given).

    ``shared=True`` gives it a share link valid for a day.
    """

    def make(
        *,
        owner: User | None = None,
        listings: tuple[Listing, ...] = (),
        label: str = "Tuesday options",
        shared: bool = False,
        **fields,
    ) -> Shortlist:
        shortlist = Shortlist(owner=owner or make_user(), label=label, **fields)
        if shared:
            shortlist.share_token = fields.get("share_token") or f"token-{id(shortlist)}"
            shortlist.share_expires_at = utcnow() + dt.timedelta(days=1)
            shortlist.feedback_code = fields.get("feedback_code") or f"C{id(shortlist) % 10**9}"
        shortlist.items = [
            ShortlistItem(listing_id=listing.id, position=position)
            for position, listing in enumerate(listings)
        ]
        db.session.add(shortlist)
        db.session.flush()
        return shortlist

    return make
