"""The role matrix: every route, every role, the expected status.

A new route fails ``test_every_route_is_in_the_matrix`` until it is added here, so no
route escapes the permission check.
"""

from __future__ import annotations

import pytest
from flask import Flask

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
    ("search.search_page", "GET", "/search?postcode=PL4", PUBLIC),
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


@pytest.fixture
def client_for(app: Flask, client_as, world):
    def make(role: str):
        if role == "anonymous":
            return app.test_client()
        if role == "editor":
            from directory.models import Organisation
            from tests.conftest import sign_in

            editor_client = client_as("practitioner")
            from directory.extensions import db

            organisation = db.session.get(Organisation, world["organisation"])
            editor_client.user.memberships.append(
                Membership(organisation=organisation, role="editor", status="approved")
            )
            db.session.flush()
            return sign_in(editor_client, editor_client.user)
        return client_as(role)

    return make


def test_every_route_is_in_the_matrix(app):
    """Each area's routes are checked in its own ``tests/<area>/test_permissions.py``,
    which lists them in a ``MATRIX`` of the same shape."""
    import importlib

    covered = {(endpoint, method) for endpoint, method, _, _ in MATRIX}
    for area in ("lifecycle", "ratings", "plans", "openreferral", "imports"):
        try:
            module = importlib.import_module(f"tests.{area}.test_permissions")
        except ModuleNotFoundError:
            continue
        covered |= {(endpoint, method) for endpoint, method, _, _ in module.MATRIX}
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - covered == set()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("endpoint", "method", "url", "expected"), MATRIX, ids=lambda v: v if isinstance(v, str) else ""
)
def test_role_matrix(client_for, world, role, endpoint, method, url, expected):
    client = client_for(role)
    response = client.open(url.format(**world), method=method)
    status, body = response.status_code, response.get_data(as_text=True)[:500]
    response.close()
    assert status == expected[role], body


JUNK = ["0", "999999999", "x'\"<>;--", "%00", "a" * 300, "../../etc/passwd"]


@pytest.mark.parametrize("role", ROLES)
def test_no_route_answers_500_to_junk(app, client_for, role):
    """Every route, every method, junk in every path part and query string: never a 500."""
    import re
    from urllib.parse import quote

    client = client_for(role)
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
