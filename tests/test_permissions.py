"""The role matrix: every route, every role, the expected status.

A new route fails ``test_every_route_is_in_the_matrix`` until it is added here, so no
route escapes the permission check.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from directory.models import ApiToken, Membership

ROLES = ("anonymous", "practitioner", "editor", "moderator", "admin")
PUBLIC = dict.fromkeys(ROLES, 200)


def by_role(anonymous, practitioner, editor, moderator, admin):
    return dict(zip(ROLES, (anonymous, practitioner, editor, moderator, admin), strict=True))


SIGNED_IN = by_role(302, 200, 200, 200, 200)
MODERATORS = by_role(302, 403, 403, 200, 200)
MODERATOR_ACTION = by_role(302, 403, 403, 302, 302)

# (endpoint, method, url template, expected status by role)
MATRIX = [
    ("main.home", "GET", "/", PUBLIC),
    ("main.about", "GET", "/about", PUBLIC),
    ("main.health", "GET", "/health", PUBLIC),
    ("listings.browse_page", "GET", "/browse", PUBLIC),
    ("listings.listing_page", "GET", "/listings/{listing}", PUBLIC),
    ("listings.organisation_page", "GET", "/organisations/{organisation}", PUBLIC),
    # Editors of the listing's organisation and moderators settle its CIVIC domains.
    ("listings.decide_listing_domains", "POST", "/listings/{listing}/domains", by_role(302, 403, 302, 302, 302)),
    ("search.search_page", "GET", "/search?postcode=PL4", PUBLIC),
    # The search form, posted so the postcode stays out of addresses: on to the results.
    ("search.search_sent", "POST", "/search", dict.fromkeys(ROLES, 303)),
    # "Back to search" (issue 14): the last search from the session; without one, /search.
    ("search.last_search", "GET", "/search/last", dict.fromkeys(ROLES, 302)),
    ("static", "GET", "/static/directory.css", PUBLIC),
    ("api.search", "GET", "/api/search?q=group", PUBLIC),
    ("api.listing_detail", "GET", "/api/listings/{listing}", PUBLIC),
    ("api.me", "GET", "/api/me", by_role(401, 200, 200, 200, 200)),
    ("accounts.login", "GET", "/accounts/login", PUBLIC),
    ("accounts.login", "POST", "/accounts/login", dict.fromkeys(ROLES, 400)),
    ("accounts.register", "GET", "/accounts/register", PUBLIC),
    ("accounts.register", "POST", "/accounts/register", dict.fromkeys(ROLES, 400)),
    ("accounts.check_email", "GET", "/accounts/register/check-email", PUBLIC),
    ("accounts.verify", "GET", "/accounts/verify/not-a-token", dict.fromkeys(ROLES, 400)),
    ("accounts.reset_request", "GET", "/accounts/reset", PUBLIC),
    ("accounts.reset_request", "POST", "/accounts/reset", dict.fromkeys(ROLES, 400)),
    ("accounts.reset_password", "GET", "/accounts/reset/not-a-token", PUBLIC),
    ("accounts.reset_password", "POST", "/accounts/reset/not-a-token", dict.fromkeys(ROLES, 400)),
    ("accounts.account", "GET", "/accounts/", SIGNED_IN),
    ("accounts.account", "POST", "/accounts/", by_role(302, 400, 400, 400, 400)),
    ("accounts.logout", "POST", "/accounts/logout", by_role(302, 302, 302, 302, 302)),
    ("accounts.create_token", "POST", "/accounts/tokens", by_role(302, 302, 302, 302, 302)),
    # Someone else's token: nobody but its owner may revoke it.
    ("accounts.revoke_token", "POST", "/accounts/tokens/{token}/revoke", by_role(302, 404, 404, 404, 404)),
    ("moderation.dashboard", "GET", "/moderation/", MODERATORS),
    ("moderation.audit_log", "GET", "/moderation/audit", MODERATORS),
    ("moderation.approve_account", "POST", "/moderation/accounts/{pending_user}/approve", MODERATOR_ACTION),
    ("moderation.trust_organisation", "POST", "/moderation/organisations/{organisation}/trust", MODERATOR_ACTION),
    ("moderation.decide_membership", "POST", "/moderation/memberships/{membership}/approve", by_role(302, 403, 302, 302, 302)),
    ("moderation.organisation_members", "GET", "/moderation/organisations/{organisation}/members", by_role(302, 403, 200, 200, 200)),
]  # fmt: skip


@pytest.fixture
def world(db, make_organisation, make_listing, make_user):
    """An organisation with a listing, a pending account, a membership request and a token."""
    organisation = make_organisation(name="Matrix Org")
    listing = make_listing(organisation=organisation)
    requester = make_user()
    membership = Membership(user_id=requester.id, organisation_id=organisation.id)
    token = ApiToken(user_id=requester.id, name="theirs", prefix="civic_xxxx", token_hash="0" * 64)
    db.session.add_all([membership, token])
    pending = make_user(status="pending")
    db.session.commit()
    return {
        "organisation": organisation.id,
        "listing": listing.id,
        "membership": membership.id,
        "token": token.id,
        "pending_user": pending.id,
    }


def role_matrix(rows: list[tuple]) -> Callable:
    """Parametrize a test over every row of a role matrix and every role."""

    def decorate(test: Callable) -> Callable:
        test = pytest.mark.parametrize(
            ("endpoint", "method", "url", "expected"),
            rows,
            ids=lambda v: v if isinstance(v, str) else "",
        )(test)
        return pytest.mark.parametrize("role", ROLES)(test)

    return decorate


def assert_route_status(client: FlaskClient, method: str, url: str, expected: int) -> None:
    """Request ``url`` and check the status, showing the start of the body if it differs."""
    response = client.open(url, method=method)
    status, body = response.status_code, response.get_data()[:500]
    response.close()
    assert status == expected, body


def area_matrices() -> dict[str, list[tuple]]:
    """Each area's ``MATRIX`` from its ``tests/<area>/test_permissions.py``.

    The rules' own unit tests, ``tests/rules/test_permissions.py``, have no routes.
    """
    import importlib

    found = {}
    for path in sorted(Path(__file__).parent.glob("*/test_permissions.py")):
        if path.parent.name == "rules":
            continue
        module = importlib.import_module(f"tests.{path.parent.name}.test_permissions")
        found[path.parent.name] = module.MATRIX
    return found


def test_every_route_is_in_the_matrix(app):
    """Each area's routes are checked in its own ``tests/<area>/test_permissions.py``.

    It lists them in a ``MATRIX`` of the same shape.
    """
    rows = [*MATRIX, *(row for rows in area_matrices().values() for row in rows)]
    covered = {(endpoint, method) for endpoint, method, _, _ in rows}
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - covered == set()


@role_matrix(MATRIX)
def test_role_matrix(matrix_client, world, role, endpoint, method, url, expected):
    client = matrix_client(role, world["organisation"])
    assert_route_status(client, method, url.format(**world), expected[role])


JUNK = ["0", "999999999", "x'\"<>;--", "%00", "a" * 300, "../../etc/passwd"]


@pytest.mark.parametrize("role", ROLES)
def test_no_route_answers_500_to_junk(app, matrix_client, world, role):
    """Every route, every method, junk in every path part and query string: never a 500."""
    import re
    from urllib.parse import quote

    client = matrix_client(role, world["organisation"])
    failures = []
    for rule in app.url_map.iter_rules():
        for junk in JUNK:
            path = re.sub(r"<(?:[^:>]+:)?[^>]+>", quote(junk, safe=""), rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(
                    f"{path}?q={quote(junk)}&page={quote(junk)}&postcode={quote(junk)}",
                    method=method,
                    data={"email": junk, "password": junk, "name": junk, "organisation": junk},
                )
                if response.status_code >= 500:
                    failures.append((method, path[:80], response.status_code))
                response.close()
    assert failures == []
