"""Role matrix rows for the notifications pages: everyone signed in has their own."""

from __future__ import annotations

from tests.test_permissions import (  # noqa: F401
    SIGNED_IN,
    assert_route_status,
    by_role,
    role_matrix,
    world,
)

SIGNED_IN_ACTION = by_role(302, 302, 302, 302, 302)

# (endpoint, method, url template, expected status by role). Someone else's (or no)
# notification is not found; posting the preferences with nothing ticked saves them.
MATRIX = [
    ("notifications.index", "GET", "/notifications", SIGNED_IN),
    ("notifications.open_one", "GET", "/notifications/999999999", by_role(302, 404, 404, 404, 404)),
    ("notifications.mark_all_read", "POST", "/notifications/read", SIGNED_IN_ACTION),
    ("notifications.preferences", "GET", "/notifications/preferences", SIGNED_IN),
    ("notifications.preferences", "POST", "/notifications/preferences", SIGNED_IN_ACTION),
]  # fmt: skip


@role_matrix(MATRIX)
def test_role_matrix(matrix_client, world, role, endpoint, method, url, expected):  # noqa: F811
    client = matrix_client(role, world["organisation"])
    assert_route_status(client, method, url.format(**world), expected[role])
