"""CSRF, rate limits, sessions and security headers."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from directory.extensions import limiter
from directory.models import User


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def limits_on(app, monkeypatch):
    """The production limits, with a clean slate."""
    from directory.config import DefaultConfig

    for key in ("RATELIMIT_LOGIN", "RATELIMIT_REGISTER", "RATELIMIT_RESET"):
        monkeypatch.setitem(app.config, key, getattr(DefaultConfig, key))
    limiter.reset()
    yield
    limiter.reset()


REGISTRATION = {
    "name": "Csrf Test",
    "email": "csrf@example.org",
    "profession": "gp",
    "sector": "primary_care",
    "password": "violet kettle harbour mosaic",
    "confirm": "violet kettle harbour mosaic",
}


def test_form_without_csrf_token_is_refused_and_changes_nothing(client, db, csrf_on):
    response = client.post("/accounts/register", data=REGISTRATION)
    assert response.status_code == 400
    assert "nothing was saved" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_form_with_csrf_token_is_accepted(client, db, csrf_on):
    page = client.get("/accounts/register").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/accounts/register", data={**REGISTRATION, "csrf_token": token})
    assert response.status_code == 302


def test_every_post_form_carries_a_csrf_token(client_as, csrf_on):
    page = client_as("moderator").get("/moderation/").get_data(as_text=True)
    forms = re.findall(r"<form[^>]*method=\"post\".*?</form>", page, flags=re.S)
    assert forms
    assert all('name="csrf_token"' in form for form in forms)


def test_login_is_rate_limited(client, limits_on, app):
    data = {"email": "someone@example.org", "password": "wrong password"}
    statuses = [client.post("/accounts/login", data=data).status_code for _ in range(11)]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    assert "Too many attempts" in client.post("/accounts/login", data=data).get_data(as_text=True)
    # Reading the page is not limited.
    assert client.get("/accounts/login").status_code == 200


def test_registration_and_reset_are_rate_limited(client, limits_on):
    statuses = [
        client.post("/accounts/reset", data={"email": "x@example.org"}).status_code
        for _ in range(6)
    ]
    assert statuses[-1] == 429
    limiter.reset()
    statuses = [client.post("/accounts/register", data={}).status_code for _ in range(6)]
    assert statuses[-1] == 429


def test_session_cookie_flags_and_lifetime(app, db, make_user):
    from tests.conftest import TEST_PASSWORD

    secure_app_config = {"SESSION_COOKIE_SECURE": True}
    app.config.update(secure_app_config)
    try:
        user = make_user(email="cookie@example.org")
        response = app.test_client().post(
            "/accounts/login", data={"email": user.email, "password": TEST_PASSWORD}
        )
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # a permanent session with the configured lifetime


def test_security_headers(client):
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
