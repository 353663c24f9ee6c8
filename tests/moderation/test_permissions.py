"""Role matrix rows for the moderators' queue of possible duplicates."""

from __future__ import annotations

import pytest

from directory.models import DuplicateFlag, ImportSource
from tests.test_permissions import assert_route_status, by_role, role_matrix

MODERATORS_PAGE = by_role(302, 403, 403, 200, 200)
MODERATORS_ACTION = by_role(302, 403, 403, 302, 302)

MATRIX = [
    ("moderation.duplicates_queue", "GET", "/moderation/duplicates", MODERATORS_PAGE),
    ("moderation.decide_duplicate", "POST", "/moderation/duplicates/{flag}/left", MODERATORS_ACTION),
    ("moderation.decide_duplicate", "POST", "/moderation/duplicates/{flag}/right", MODERATORS_ACTION),
    ("moderation.decide_duplicate", "POST", "/moderation/duplicates/{flag}/dismiss", MODERATORS_ACTION),
    # Suggested domains to review: moderators, and editors for their organisation's listings.
    ("moderation.domains_queue", "GET", "/moderation/domains", by_role(302, 403, 200, 200, 200)),
    ("moderation.confirm_domains_bulk", "POST", "/moderation/domains/confirm", by_role(302, 403, 302, 302, 302)),
    ("moderation.decide_listing_domains", "POST", "/moderation/domains/{listing}/save", by_role(302, 403, 302, 302, 302)),
    ("moderation.decide_listing_domains", "POST", "/moderation/domains/{listing}/keep", by_role(302, 403, 302, 302, 302)),
    ("moderation.decide_listing_domains", "POST", "/moderation/domains/{listing}/archive", by_role(302, 403, 302, 302, 302)),
    ("moderation.decide_listing_domains", "POST", "/moderation/domains/{other_listing}/save", by_role(302, 403, 403, 302, 302)),
    # The moderator's queue (issue 15).
    ("moderation.queue_page", "GET", "/moderation/queue", MODERATORS_PAGE),
    ("moderation.queue_decide", "POST", "/moderation/queue/decide", by_role(302, 403, 403, 400, 400)),
    ("moderation.approve_import_batch", "POST", "/moderation/queue/batches/{source}/approve", by_role(302, 403, 403, 409, 409)),
]  # fmt: skip


@pytest.fixture
def world(db, make_organisation, make_listing):
    organisation = make_organisation()
    left = make_listing(organisation=organisation, name="Walking group")
    right = make_listing(organisation=organisation, name="The Walking Group")
    flag = DuplicateFlag(listing_id=left.id, other_id=right.id, reason="same", score=100)
    db.session.add(flag)
    # Another organisation's listing: its editors' business, not this organisation's.
    other = make_listing(name="Someone else's choir")
    source = ImportSource(name="empty-source", kind="spreadsheet")
    db.session.add(source)
    db.session.commit()
    return {
        "organisation": organisation.id,
        "flag": flag.id,
        "listing": left.id,
        "other_listing": other.id,
        "source": source.id,
    }


@role_matrix(MATRIX)
def test_role_matrix(matrix_client, world, role, endpoint, method, url, expected):
    client = matrix_client(role, world.get("organisation"))
    assert_route_status(client, method, url.format(**world), expected[role])
