"""Role matrix rows for the administrators' people page (issue 20, hole 13)."""

from __future__ import annotations

from tests.test_permissions import assert_route_status, by_role, role_matrix, world  # noqa: F401

ADMINS = by_role(302, 403, 403, 403, 200)

# (endpoint, method, url template, expected status by role). Posting no role is refused
# with the page shown again, so only an administrator gets as far as the 400.
MATRIX = [
    ("moderation.people", "GET", "/moderation/people", ADMINS),
    ("moderation.change_role", "POST", "/moderation/people/{pending_user}/role", by_role(302, 403, 403, 403, 400)),
]  # fmt: skip


@role_matrix(MATRIX)
def test_role_matrix(matrix_client, world, role, endpoint, method, url, expected):  # noqa: F811
    client = matrix_client(role, world["organisation"])
    assert_route_status(client, method, url.format(**world), expected[role])
