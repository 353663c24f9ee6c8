"""Role matrix rows for the administrators' people page (issue 20, hole 13), and List your group."""

from __future__ import annotations

from tests.test_permissions import (  # noqa: F401
    PUBLIC,
    ROLES,
    assert_route_status,
    by_role,
    role_matrix,
    world,
)

ADMINS = by_role(302, 403, 403, 403, 200)
EVERYONE_REDIRECTED = dict.fromkeys(ROLES, 302)
STAFF_REGISTER = "/accounts/register/organisation"

# (endpoint, method, url template, expected status by role). Posting no role is refused
# with the page shown again, so only an administrator gets as far as the 400.
MATRIX = [
    ("moderation.people", "GET", "/moderation/people", ADMINS),
    ("moderation.change_role", "POST", "/moderation/people/{pending_user}/role", by_role(302, 403, 403, 403, 400)),
    # List your group (issue 15): anyone may read the steps and find an organisation;
    # asking to join with nothing chosen goes back to the finder (signed out: to sign in
    # first), and so does registering with no organisation chosen.
    ("main.list_your_group", "GET", "/list-your-group", PUBLIC),
    ("accounts.find_organisation", "GET", "/accounts/organisations/find?q=group", PUBLIC),
    ("accounts.organisations_json", "GET", "/accounts/organisations/find.json?q=group", PUBLIC),
    ("accounts.join_organisation", "POST", "/accounts/organisations/join", EVERYONE_REDIRECTED),
    ("accounts.register_staff", "GET", STAFF_REGISTER + "?organisation={organisation}", PUBLIC),
    ("accounts.register_staff", "POST", STAFF_REGISTER, EVERYONE_REDIRECTED),
]  # fmt: skip


@role_matrix(MATRIX)
def test_role_matrix(matrix_client, world, role, endpoint, method, url, expected):  # noqa: F811
    client = matrix_client(role, world["organisation"])
    assert_route_status(client, method, url.format(**world), expected[role])
