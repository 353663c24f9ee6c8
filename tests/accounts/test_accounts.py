"""Registration, verification, approval, sign-in, reset, memberships and tokens."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from directory.models import ApiToken, AuditEvent, Membership, OutboxEmail, User
from tests.conftest import TEST_PASSWORD, sign_in

STRONG = "violet kettle harbour mosaic"


def register(client, **overrides):
    form = {
        "name": "Ada Lovelace",
        "email": "ada@charity.example.org",
        "profession": "volunteer_coordinator",
        "sector": "third_sector",
        "password": STRONG,
        "confirm": STRONG,
    }
    form.update(overrides)
    return client.post("/accounts/register", data=form)


def link_in(text: str) -> str:
    """The path of the account link in an email, which is on the site at BASE_URL."""
    from flask import current_app

    match = re.search(re.escape(current_app.config["BASE_URL"]) + r"(/accounts/\S+)", text)
    assert match, text
    return match.group(1)


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_register_verify_over_smtp_approve_and_sign_in(client, db, mail, client_as):
    response = register(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/accounts/register/check-email")
    user = db.session.scalar(select(User).where(User.email == "ada@charity.example.org"))
    assert user.status == "pending" and user.email_verified_at is None
    assert user.password_hash.startswith("$argon2")
    assert len(mail) == 1 and mail[0]["To"] == "ada@charity.example.org"
    verify = client.get(link_in(mail[0].get_payload(decode=True).decode()))
    assert verify.status_code == 200
    assert "A moderator will check your account" in verify.get_data(as_text=True)
    # Pending: can't sign in yet.
    login = client.post(
        "/accounts/login", data={"email": "ADA@charity.example.org ", "password": STRONG}
    )
    assert "waiting for a moderator" in login.get_data(as_text=True)
    moderator = client_as("moderator")
    assert moderator.post(f"/moderation/accounts/{user.id}/approve").status_code == 302
    assert user.status == "approved"
    login = client.post(
        "/accounts/login", data={"email": "ada@charity.example.org", "password": STRONG}
    )
    assert login.status_code == 302
    assert client.get("/accounts/").status_code == 200
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-3:] == ["user.register", "user.verify_email", "user.approve"]


def test_trusted_domain_is_approved_on_verification(client, db):
    register(client, email="gp@nhs.net")
    message = db.session.scalar(select(OutboxEmail).where(OutboxEmail.recipient == "gp@nhs.net"))
    client.get(link_in(message.body))
    user = db.session.scalar(select(User).where(User.email == "gp@nhs.net"))
    assert user.status == "approved"


def test_duplicate_email_creates_nothing_and_reveals_nothing(client, db, make_user):
    existing = make_user(email="taken@example.org")
    first = register(client, email="someone-new@example.org")
    second = register(client, email="Taken@Example.org")
    assert second.status_code == first.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert count(db, User, func.lower(User.email) == "taken@example.org") == 1
    warning = db.session.scalar(select(OutboxEmail).where(OutboxEmail.recipient == existing.email))
    assert "already has an account" in warning.body


@pytest.mark.parametrize("password", ["short", "password123", "qwertyuiop", "Ada Lovelace1"])
def test_weak_passwords_are_refused_and_nothing_created(client, db, password):
    response = register(client, password=password, confirm=password)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page
    assert 'value="Ada Lovelace"' in page  # what was typed is kept
    assert count(db, User) == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "x" * 121, "Field cannot be longer than 120 characters."),
        ("email", "not-an-email", "Enter an email address like name@nhs.net."),
        ("email", "a" * 250 + "@example.org", "Field cannot be longer than 254 characters."),
        ("profession", "", "Choose your profession."),
        ("sector", "spaceship", "Not a valid choice."),
        ("confirm", "something else entirely", "Passwords must match."),
    ],
)
def test_bad_registration_fields(client, db, field, value, message):
    response = register(client, **{field: value})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(db, User) == 0


@pytest.mark.parametrize("mangle", [lambda t: t[:-3] + "abc", lambda t: "junk", lambda t: t + "x"])
def test_tampered_verification_link(client, db, mangle):
    register(client)
    link = link_in(db.session.scalar(select(OutboxEmail.body)))
    token = link.rsplit("/", 1)[1]
    response = client.get(f"/accounts/verify/{mangle(token)}")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)
    assert db.session.scalar(select(User)).email_verified_at is None


def test_expired_verification_link(app, client, db, monkeypatch):
    register(client)
    link = link_in(db.session.scalar(select(OutboxEmail.body)))
    monkeypatch.setitem(app.config, "VERIFY_TOKEN_MAX_AGE", -1)
    response = client.get(link)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_login_does_not_reveal_whether_an_account_exists(client, make_user):
    make_user(email="known@example.org")
    wrong_password = client.post(
        "/accounts/login", data={"email": "known@example.org", "password": "nope"}
    )
    no_account = client.post(
        "/accounts/login", data={"email": "ghost@example.org", "password": "nope"}
    )
    assert wrong_password.status_code == no_account.status_code == 400
    assert "The email address or password is not right." in wrong_password.get_data(as_text=True)
    assert "The email address or password is not right." in no_account.get_data(as_text=True)


def test_login_redirects_only_within_the_site(client, make_user):
    make_user(email="nav@example.org")
    data = {"email": "nav@example.org", "password": TEST_PASSWORD}
    inside = client.post("/accounts/login?next=/browse", data=data)
    assert inside.headers["Location"] == "/browse"
    outside = client.post("/accounts/login?next=//evil.example/", data=data)
    assert outside.headers["Location"] == "/accounts/"


def test_password_reset_works_once(client, db, make_user, mail):
    user = make_user(email="reset@example.org")
    assert client.post("/accounts/reset", data={"email": "reset@example.org"}).status_code == 200
    assert client.post("/accounts/reset", data={"email": "nobody@example.org"}).status_code == 200
    assert len(mail) == 1  # only the real account got an email; the pages were identical
    link = link_in(mail[0].get_payload(decode=True).decode())
    weak = client.post(link, data={"password": "password1", "confirm": "password1"})
    assert weak.status_code == 400
    done = client.post(link, data={"password": STRONG, "confirm": STRONG})
    assert done.status_code == 302
    again = client.post(link, data={"password": STRONG + "x", "confirm": STRONG + "x"})
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)
    assert (
        client.post("/accounts/login", data={"email": user.email, "password": STRONG}).status_code
        == 302
    )


def test_password_change_ends_existing_sessions(app, db, make_user):
    user = make_user()
    client = sign_in(app.test_client(), user)
    assert client.get("/accounts/").status_code == 200
    user.session_version += 1
    db.session.flush()
    assert client.get("/accounts/").status_code == 302


def test_membership_request_and_editor_approval(client_as, db, make_organisation, make_user):
    organisation = make_organisation(name="Harbour Friends")
    editor = make_user(editor_of=organisation)
    joiner = client_as("practitioner")
    response = joiner.post("/accounts/", data={"organisation": organisation.id})
    assert response.status_code == 302
    membership = db.session.scalar(select(Membership).where(Membership.user_id == joiner.user.id))
    assert membership.status == "requested"
    # The joiner can't approve themselves; a stranger can't either; the editor can.
    assert joiner.post(f"/moderation/memberships/{membership.id}/approve").status_code == 403
    assert (
        client_as("practitioner")
        .post(f"/moderation/memberships/{membership.id}/approve")
        .status_code
        == 403
    )
    from flask import current_app

    editor_client = sign_in(current_app.test_client(), editor)
    assert editor_client.post(f"/moderation/memberships/{membership.id}/approve").status_code == 302
    assert membership.status == "approved"


def test_unknown_organisation_is_refused(client_as, db):
    joiner = client_as("practitioner")
    response = joiner.post("/accounts/", data={"organisation": "no-such-organisation"})
    assert response.status_code == 400
    assert "Choose an organisation from the list." in response.get_data(as_text=True)
    assert count(db, Membership, Membership.user_id == joiner.user.id) == 0


def test_propose_new_organisation(client_as, db):
    joiner = client_as("practitioner")
    joiner.post(
        "/accounts/", data={"new_organisation": "Brand New Group", "new_sector": "community"}
    )
    membership = db.session.scalar(select(Membership).where(Membership.user_id == joiner.user.id))
    assert membership.organisation.name == "Brand New Group"
    assert membership.organisation.trusted is False
    assert membership.status == "requested"


def test_api_token_shown_once_stored_hashed_and_revocable(client_as, client, db, make_listing):
    listing = make_listing()
    db.session.commit()
    user_client = client_as("practitioner")
    page = user_client.post("/accounts/tokens", data={"token-name": "Practice system"})
    token = re.search(r"(civic_[\w-]+)", page.get_data(as_text=True)).group(1)
    stored = db.session.scalar(select(ApiToken))
    assert token not in (stored.token_hash, stored.prefix) and stored.prefix == token[:10]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/listings/{listing.id}", headers=headers).status_code == 200
    me = client.get("/api/me", headers=headers)
    assert me.status_code == 200 and me.get_json()["role"] == "practitioner"
    assert stored.last_used_at is not None
    user_client.post(f"/accounts/tokens/{stored.id}/revoke")
    assert stored.revoked_at is not None
    # A revoked token gets no user; the public endpoint still answers anonymously.
    assert client.get("/api/me", headers=headers).status_code == 401


def test_create_admin_command(runner, db):
    result = runner.invoke(
        args=["accounts", "create-admin", "--email", "Admin@Example.org", "--name", "Ann Admin"],
        input=f"{STRONG}\n{STRONG}\n",
    )
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
    assert admin.role == "admin" and admin.is_active
    again = runner.invoke(
        args=["accounts", "create-admin", "--email", "admin@example.org", "--name", "Ann"],
        input=f"{STRONG}\n{STRONG}\n",
    )
    assert again.exit_code != 0 and "already exists" in again.output
    weak = runner.invoke(
        args=["accounts", "create-admin", "--email", "b@example.org", "--name", "B"],
        input="password\npassword\n",
    )
    assert weak.exit_code != 0
