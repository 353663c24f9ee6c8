"""Role matrix rows for posting, moderating, reporting and checking listings."""

from __future__ import annotations

import pytest

from directory.models import ListingRevision, ProblemReport
from tests.test_permissions import ROLES, assert_route_status, by_role, role_matrix

EDITORS_PAGE = by_role(302, 403, 200, 200, 200)
EDITORS_FORM_EMPTY = by_role(302, 403, 400, 400, 400)
EDITORS_ACTION = by_role(302, 403, 302, 302, 302)
MODERATORS_PAGE = by_role(302, 403, 403, 200, 200)

MATRIX = [
    ("lifecycle.new_listing", "GET", "/organisations/{organisation}/listings/new", EDITORS_PAGE),
    ("lifecycle.new_listing", "POST", "/organisations/{organisation}/listings/new", EDITORS_FORM_EMPTY),
    ("lifecycle.edit_listing", "GET", "/listings/{listing}/edit", EDITORS_PAGE),
    ("lifecycle.edit_listing", "POST", "/listings/{listing}/edit", EDITORS_FORM_EMPTY),
    ("lifecycle.manage", "GET", "/organisations/{organisation}/manage", EDITORS_PAGE),
    ("lifecycle.listing_history", "GET", "/listings/{listing}/history", EDITORS_PAGE),
    ("lifecycle.restore", "POST", "/listings/{listing}/history/{revision}/restore", EDITORS_ACTION),
    ("lifecycle.archive", "POST", "/listings/{listing}/archive", EDITORS_ACTION),
    ("lifecycle.verify", "POST", "/listings/{listing}/verify", EDITORS_ACTION),
    ("lifecycle.still_running", "POST", "/listings/{listing}/still-running", dict.fromkeys(ROLES, 302)),
    ("lifecycle.report", "GET", "/listings/{listing}/report", dict.fromkeys(ROLES, 200)),
    ("lifecycle.report", "POST", "/listings/{listing}/report", dict.fromkeys(ROLES, 400)),
    ("lifecycle.check", "GET", "/listings/check/not-a-token", dict.fromkeys(ROLES, 400)),
    ("lifecycle.check", "POST", "/listings/check/not-a-token", dict.fromkeys(ROLES, 400)),
    ("lifecycle.dashboard", "GET", "/moderation/listings", MODERATORS_PAGE),
    ("lifecycle.review_revision", "GET", "/moderation/revisions/{revision}", MODERATORS_PAGE),
    ("lifecycle.review_revision", "POST", "/moderation/revisions/{revision}", by_role(302, 403, 403, 400, 400)),
    ("lifecycle.resolve_report", "POST", "/moderation/reports/{report}/resolve", by_role(302, 403, 303, 303, 303)),
]  # fmt: skip


@pytest.fixture
def world(db, make_organisation, make_listing, make_user):
    organisation = make_organisation()
    listing = make_listing(organisation=organisation)
    revision = ListingRevision(listing_id=listing.id, data={}, status="approved")
    report = ProblemReport(listing_id=listing.id, kind="other", text="typo")
    db.session.add_all([revision, report])
    db.session.commit()
    return {
        "organisation": organisation.id,
        "listing": listing.id,
        "revision": revision.id,
        "report": report.id,
    }


@role_matrix(MATRIX)
def test_role_matrix(matrix_client, world, role, endpoint, method, url, expected):
    client = matrix_client(role, world.get("organisation"))
    assert_route_status(client, method, url.format(**world), expected[role])
