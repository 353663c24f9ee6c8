"""The listing page's listing, loaded whole (directory.listings.services.get_public_listing)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event

from directory.listings.services import get_public_listing
from directory.models import DomainSuggestion, Listing, Location


def _statements(db) -> list[str]:
    seen: list[str] = []
    event.listen(
        db.engine, "before_cursor_execute", lambda *args: seen.append(args[2]), named=False
    )
    return seen


def test_the_listing_comes_with_its_collections_in_their_relationships_order(db, make_listing):
    made = make_listing(
        domains=("involvement", "closeness", "identity"),
        terms={"accessibility": ("step_free",)},
        schedules=[
            {"byday": "WE", "opens_at": dt.time(18)},
            {"byday": "MO", "opens_at": dt.time(9)},
            {"byday": "FR", "opens_at": dt.time(14)},
        ],
    )
    made.locations.append(
        Location(position=1, name="Second hall", postcode="PL1 1AA", latitude=50.4, longitude=-4.1)
    )
    for code in ("identity", "cared_for", "involvement"):
        made.domain_suggestions.append(
            DomainSuggestion(code=code, confidence=0.5, reason="words in the summary")
        )
    db.session.flush()
    listing_id = made.id
    db.session.expire_all()
    # What each relationship loads by itself, lazily, in its own order.
    lazy = db.session.get(Listing, listing_id)
    expected = {
        name: [item.id for item in getattr(lazy, name)]
        for name in ("terms", "locations", "schedules", "domain_suggestions")
    }
    assert all(len(ids) > 1 for ids in expected.values())
    db.session.expunge_all()

    statements = _statements(db)
    listing = get_public_listing(db.session, listing_id)
    loaded = len(statements)
    got = {name: [item.id for item in getattr(listing, name)] for name in expected}
    assert got == expected
    assert listing.organisation.name and listing.score is None and listing.assessment is None
    assert len(statements) == loaded == 5  # the listing, then one per collection


def test_collections_the_session_already_holds_are_not_read_again(db, make_listing):
    listing = make_listing(domains=("involvement", "identity"))
    kept = listing.schedules[0]
    db.session.flush()
    statements = _statements(db)
    assert get_public_listing(db.session, listing.id) is listing
    assert len(statements) == 2  # the listing, and its suggestions: never loaded
    assert listing.schedules == [kept] and listing.domain_suggestions == []


def test_a_listing_the_public_cant_see_is_none(db, make_listing):
    hidden = make_listing(published=False)
    assert get_public_listing(db.session, hidden.id) is None
    assert get_public_listing(db.session, "no-such-listing") is None
