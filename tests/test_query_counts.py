"""Pages that list things run the same number of SQL statements for 2 results as for 20.

Each page is asked for twice at each size and the second request counted, so what a
process caches on first use (vocabularies, postcodes) doesn't count; a statement per
card, per location or per shortlist item (an N+1) makes the count grow and fails.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from directory.extensions import db as _db
from directory.models import ListingScore, Organisation, Shortlist, ShortlistItem, User
from tests.conftest import sign_in

SMALL, LARGE = 2, 20


@contextlib.contextmanager
def counted_statements() -> Iterator[list[str]]:
    """The SQL statements every engine runs inside the block."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)


def statements_for(client: FlaskClient, url: str) -> list[str]:
    """The statements of the second of two requests for ``url`` (which must succeed).

    Each request starts with a new session, as in production: nothing the test or the
    first request loaded is in its identity map.
    """
    _db.session.remove()
    assert client.get(url).status_code == 200, url
    _db.session.remove()
    with counted_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return statements


class Directory:
    """Listings near PL4 8AA, grown to a size, all on one practitioner's shortlist.

    Every other listing is run by one organisation, the rest by one each. The test keeps
    ids, not objects: each request has a session of its own.
    """

    def __init__(self, db, make_listing, make_organisation, make_user, now) -> None:
        self.db = db
        self.make_listing = make_listing
        self.make_organisation = make_organisation
        organisation = make_organisation(name="Plymouth Peer Network")
        user = make_user()
        shortlist = Shortlist(owner=user, label="Tuesday options", share_token="query-counts")
        shortlist.share_expires_at = now + dt.timedelta(days=1)
        db.session.add(shortlist)
        db.session.commit()
        self.organisation_id, self.user_id, self.shortlist_id = (
            organisation.id,
            user.id,
            shortlist.id,
        )
        self.share_token = shortlist.share_token
        self.listing_ids: list[str] = []

    def grow_to(self, size: int) -> None:
        """Add listings until there are ``size``, each with terms, schedules and a score."""
        session = self.db.session
        shared = session.get(Organisation, self.organisation_id)
        shortlist = session.get(Shortlist, self.shortlist_id)
        while len(self.listing_ids) < size:
            n = len(self.listing_ids)
            listing = self.make_listing(
                name=f"Peer support group {n:02d}",
                organisation=shared if n % 2 == 0 else self.make_organisation(),
                domains=("involvement", "cared_for"),
                terms={"audience": ("carers",), "accessibility": ("step_free",)},
                latitude=50.3755 + n / 2000,
                longitude=-4.1290,
                schedules=[
                    {"byday": "TU", "opens_at": dt.time(10), "closes_at": dt.time(12)},
                    {"byday": "TH", "opens_at": dt.time(18), "closes_at": dt.time(20)},
                ],
            )
            session.add(ListingScore(listing_id=listing.id, rating_count=0))
            shortlist.items.append(
                ShortlistItem(listing_id=listing.id, position=n, uptake="went_few")
            )
            self.listing_ids.append(listing.id)
        session.commit()


@pytest.fixture
def directory(db, make_listing, make_organisation, make_user, now) -> Directory:
    return Directory(db, make_listing, make_organisation, make_user, now)


def _search(d: Directory) -> str:
    return "/search?postcode=PL4+8AA&radius_km=10"


PAGES: dict[str, tuple[bool, Callable[[Directory], str]]] = {
    # name: (signed in as a practitioner, the URL)
    "search page with map": (False, _search),
    "search page with map, signed in": (True, _search),
    "text search page": (True, lambda d: "/search?q=peer+support"),
    "browse": (False, lambda d: "/browse"),
    "organisation page": (False, lambda d: f"/organisations/{d.organisation_id}"),
    "listing page, signed in": (True, lambda d: f"/listings/{d.listing_ids[0]}"),
    "api search": (False, lambda d: "/api/search?postcode=PL4+8AA&radius_km=10&per_page=50"),
    "shortlists": (True, lambda d: "/shortlists"),
    "shortlist page": (True, lambda d: f"/shortlists/{d.shortlist_id}"),
    "shared shortlist": (False, lambda d: f"/shared/{d.share_token}"),
    "oruk services": (False, lambda d: "/openreferral/services?per_page=50"),
    "oruk services full": (False, lambda d: "/openreferral/services?per_page=50&full=true"),
    "oruk service_at_locations": (
        False,
        lambda d: "/openreferral/service_at_locations?per_page=50&full=true",
    ),
    "oruk service_at_locations near": (
        False,
        lambda d: "/openreferral/service_at_locations?per_page=50&postcode=PL4+8AA",
    ),
    "oruk organizations": (False, lambda d: "/openreferral/organizations"),
    "oruk organization": (
        False,
        lambda d: f"/openreferral/organizations/{d.organisation_id}?full_service=true",
    ),
    "oruk export": (False, lambda d: "/openreferral/export.json"),
}


@pytest.mark.parametrize("name", PAGES)
def test_statements_do_not_grow_with_results(app, db, directory, name):
    signed_in, url_for_directory = PAGES[name]
    client = app.test_client()
    if signed_in:
        sign_in(client, db.session.get(User, directory.user_id))
    directory.grow_to(SMALL)
    small = statements_for(client, url_for_directory(directory))
    directory.grow_to(LARGE)
    large = statements_for(client, url_for_directory(directory))
    assert len(large) == len(small), "\n".join(large)


def _grow_queue(db, make_listing, make_organisation, make_user, size: int) -> None:
    """``size`` items of every kind waiting in the moderators' queue (issue 15)."""
    from directory.lifecycle.services import snapshot
    from directory.models import (
        DomainSuggestion,
        ImportSource,
        ListingRevision,
        Membership,
        ProblemReport,
    )

    session = db.session
    for n in range(size):
        make_user(status="pending")
        organisation = make_organisation()
        session.add(Membership(user=make_user(), organisation=organisation, status="requested"))
        source = ImportSource(name=f"queue-source-{size}-{n}", kind="spreadsheet")
        session.add(source)
        new = make_listing(
            organisation=organisation, published=False, source=source.name, source_id=str(n)
        )
        live = make_listing(organisation=make_organisation())
        changed = {**snapshot(live), "summary": "Changed."}
        session.add_all(
            [
                ListingRevision(listing=new, data=snapshot(new), status="pending"),
                ListingRevision(listing=live, data=changed, status="pending"),
                ProblemReport(listing=live, kind="other", text="Hmm"),
                DomainSuggestion(listing=live, code="involvement", confidence=0.5, reason="r"),
            ]
        )
    session.commit()


@pytest.mark.parametrize("query", ["", "?kind=listings", "?kind=organisations"])
def test_moderation_queue_statements_do_not_grow(
    app, db, make_listing, make_organisation, make_user, query
):
    moderator = make_user(role="moderator")
    db.session.commit()
    client = sign_in(app.test_client(), moderator)
    _grow_queue(db, make_listing, make_organisation, make_user, SMALL)
    small = statements_for(client, f"/moderation/queue{query}")
    _grow_queue(db, make_listing, make_organisation, make_user, LARGE - SMALL)
    large = statements_for(client, f"/moderation/queue{query}")
    assert len(large) == len(small), "\n".join(large)
