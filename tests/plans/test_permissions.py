"""Role matrix rows for shortlists, plans, hand-outs and share links.

The shortlist in ``world`` belongs to another practitioner, so every signed-in role
gets 404 for it: nobody sees, changes or prints someone else's shortlist. The owner's
own access is tested in test_shortlists.py.
"""

from __future__ import annotations

import pytest

from tests.test_permissions import ROLES, assert_route_status, by_role, role_matrix

SIGNED_IN_PAGE = by_role(302, 200, 200, 200, 200)
OTHERS_SHORTLIST = by_role(302, 404, 404, 404, 404)

MATRIX = [
    ("plans.shortlists", "GET", "/shortlists", SIGNED_IN_PAGE),
    ("plans.create_shortlist", "POST", "/shortlists", by_role(302, 400, 400, 400, 400)),
    ("plans.add", "POST", "/listings/{listing}/shortlist", by_role(302, 303, 303, 303, 303)),
    ("plans.shortlist", "GET", "/shortlists/{shortlist}", OTHERS_SHORTLIST),
    ("plans.rename", "POST", "/shortlists/{shortlist}/rename", OTHERS_SHORTLIST),
    ("plans.delete", "POST", "/shortlists/{shortlist}/delete", OTHERS_SHORTLIST),
    ("plans.remove", "POST", "/shortlists/{shortlist}/items/{item}/remove", OTHERS_SHORTLIST),
    ("plans.uptake", "POST", "/shortlists/{shortlist}/uptake", OTHERS_SHORTLIST),
    ("plans.handout_page", "GET", "/shortlists/{shortlist}/handout", OTHERS_SHORTLIST),
    ("plans.handout_page", "POST", "/shortlists/{shortlist}/handout", OTHERS_SHORTLIST),
    ("plans.share", "POST", "/shortlists/{shortlist}/share", OTHERS_SHORTLIST),
    ("plans.unshare", "POST", "/shortlists/{shortlist}/unshare", OTHERS_SHORTLIST),
    ("plans.email", "POST", "/shortlists/{shortlist}/email", OTHERS_SHORTLIST),
    ("plans.record_summary", "GET", "/shortlists/{shortlist}/summary", OTHERS_SHORTLIST),
    # Handing a plan over (issue 21): only who holds it (test_handover.py).
    ("plans.handover", "POST", "/shortlists/{shortlist}/handover", OTHERS_SHORTLIST),
    ("plans.shared", "GET", "/shared/{token}", dict.fromkeys(ROLES, 200)),
    ("plans.plan_builder", "GET", "/plan", SIGNED_IN_PAGE),
    ("plans.plan_builder", "POST", "/plan", by_role(302, 400, 400, 400, 400)),
    ("plans.save_plan", "POST", "/plan/save", by_role(302, 400, 400, 400, 400)),
    # The CIVIC check and sketch (issue 21): a GET past the first step starts again at the
    # check, since nothing typed was kept.
    ("plans.civic_check", "GET", "/plan/check", SIGNED_IN_PAGE),
    ("plans.conversation_sketch", "GET", "/plan/check/sketch", by_role(302, 303, 303, 303, 303)),
    ("plans.conversation_sketch", "POST", "/plan/check/sketch", SIGNED_IN_PAGE),
    ("plans.conversation_suggestion", "GET", "/plan/check/suggestion", by_role(302, 303, 303, 303, 303)),
    ("plans.conversation_suggestion", "POST", "/plan/check/suggestion", SIGNED_IN_PAGE),
]  # fmt: skip


@pytest.fixture
def world(db, make_organisation, make_listing, make_shortlist):
    organisation = make_organisation()
    listing = make_listing(organisation=organisation)
    shortlist = make_shortlist(listings=(listing,), shared=True, share_token="matrix-token")
    db.session.commit()
    return {
        "organisation": organisation.id,
        "listing": listing.id,
        "shortlist": shortlist.id,
        "item": shortlist.items[0].id,
        "token": shortlist.share_token,
    }


@role_matrix(MATRIX)
def test_role_matrix(matrix_client, world, role, endpoint, method, url, expected):
    client = matrix_client(role, world.get("organisation"))
    assert_route_status(client, method, url.format(**world), expected[role])
