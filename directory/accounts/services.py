"""Accounts: registration, sign-in and everything else about who someone is.

That is registration, email verification, approval, sign-in, password reset,
organisation membership and personal API tokens. Service functions take the session and
only flush; the request commits. None of them reveals through its result whether an
email address has an account.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from directory import audit
from directory.email import send_email
from directory.models import ROLES, ApiToken, Membership, Organisation, User, utcnow
from directory.notifications import service as notifications
from directory.rules.permissions import approved_by_email_domain, role_for_profession
from directory.rules.text import plain_text
from directory.urls import external_url

_hasher = PasswordHasher()
# Verified against when no account matches, so a missing account takes as long as a
# wrong password and timing reveals nothing.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
TOKEN_PREFIX = "civic_"


class AccountError(ValueError):
    """A problem the user can fix; ``field`` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class TokenError(ValueError):
    """A link that is tampered with, expired or already used."""


def normalise_email(email: str) -> str:
    """Emails are matched case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def password_problem(password: str, *context: str) -> str | None:
    """Why a password is too weak, or None. Long enough, and not common or guessable."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        return f"Password must be at least {minimum} characters."
    if len(password) > 128:
        return "Password must be 128 characters or fewer."
    result = zxcvbn(password, user_inputs=[c for c in context if c])
    if result["score"] < 3:
        hint = result["feedback"].get("warning") or "It is too easy to guess."
        return f"Choose a less common password. {hint}".strip()
    return None


def hash_password(password: str) -> str:
    """The password's Argon2 hash, for storing."""
    return _hasher.hash(password)


# -- signed links ----------------------------------------------------------------------


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def make_token(purpose: str, user: User) -> str:
    """A signed link token for ``purpose`` ("verify" or "reset").

    It carries the session version, so changing the password (which bumps it) makes
    every earlier reset link useless: each link works once.
    """
    return _serializer(purpose).dumps({"id": user.id, "v": user.session_version})


def read_token(session: Session, purpose: str, token: str, max_age: int) -> User:
    """The user a token was made for; TokenError if tampered, expired or used."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenError("This link has expired. Ask for a new one.") from None
    except BadSignature:
        raise TokenError("This link is not valid. Check you copied all of it.") from None
    user = session.get(User, data.get("id")) if isinstance(data, dict) else None
    if user is None or user.session_version != data.get("v"):
        raise TokenError("This link has already been used or is no longer valid.")
    return user


# -- registration and approval ---------------------------------------------------------


@dataclass
class Registration:
    """What someone typed to register, before it is checked."""

    name: str
    email: str
    password: str
    profession: str
    sector: str


def register(session: Session, form: Registration) -> User | None:
    """Create a pending account and email a verification link.

    Commissioners and public-health analysts (by their profession) get a commissioner
    account (:func:`directory.rules.permissions.role_for_profession`).

    If the address already has an account, nothing is created and that address is
    told so by email instead: the page shown is the same either way.
    """
    email = normalise_email(form.email)
    problem = password_problem(form.password, email, form.name)
    if problem:
        raise AccountError(problem, "password")
    # Hashed before looking the address up, so a taken address costs the same argon2
    # work as a new one and the time taken doesn't tell which it was.
    password_hash = hash_password(form.password)
    existing = session.scalar(select(User).where(func.lower(User.email) == email))
    if existing is not None:
        send_email(
            session,
            existing.email,
            "Someone tried to register with your email address",
            "Someone, perhaps you, tried to register for the CIVIC community directory with "
            "this address, which already has an account.\n\nIf it was you, sign in or reset "
            f"your password: {external_url('accounts.reset_request')}\n\n"
            "If it wasn't you, you can ignore this email.",
        )
        return None
    user = User(
        email=email,
        name=plain_text(form.name)[:120],
        profession=form.profession,
        sector=form.sector,
        password_hash=password_hash,
        role=role_for_profession(form.profession),
    )
    session.add(user)
    session.flush()
    audit.record(session, user, "user.register", "user", user.id)
    send_verification(session, user)
    return user


# The profession of charity and community group staff who list their organisation's groups.
ORGANISATION_STAFF = "organisation_staff"


def register_staff(
    session: Session,
    form: Registration,
    organisation_id: str | None,
    new_name: str | None = None,
) -> User | None:
    """Register charity or community group staff and ask to join their organisation.

    One transaction: the account (pending, as :func:`register` makes it) and its request
    to edit the organisation found, or a new organisation proposed (``new_name``, in the
    sector chosen), so a moderator approves both together. As with :func:`register`, an
    address that already has an account gets an email and nothing is created.
    """
    new_name = plain_text(new_name or "")
    if not new_name and (not organisation_id or session.get(Organisation, organisation_id) is None):
        raise AccountError("Find your organisation, or propose a new one.", "organisation")
    user = register(session, form)
    if user is not None:
        request_membership(
            session, user, None if new_name else organisation_id, new_name, form.sector
        )
    return user


def posting_organisation(user: User) -> Organisation | None:
    """The first organisation ``user`` is an approved editor of, or None.

    Being an approved editor of an organisation is what lets someone post its listings.
    """
    for membership in sorted(user.memberships, key=lambda m: m.id):
        if membership.status == "approved" and membership.role == "editor":
            return membership.organisation
    return None


def send_verification(session: Session, user: User) -> None:
    """Email the signed link that confirms the address."""
    link = external_url("accounts.verify", token=make_token("verify", user))
    send_email(
        session,
        user.email,
        "Confirm your email address",
        f"Hello {user.name},\n\nConfirm your email address for the CIVIC community directory "
        f"by opening this link:\n\n{link}\n\nThe link works for 3 days.",
    )


def verify_email(session: Session, token: str) -> User:
    """Mark the address verified; practitioners on trusted domains are approved at once.

    Everyone else (commissioners always) waits for a moderator, who is told.
    """
    max_age = current_app.config["VERIFY_TOKEN_MAX_AGE"]
    user = read_token(session, "verify", token, max_age)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        audit.record(session, user, "user.verify_email", "user", user.id)
        domain = user.email.rsplit("@", 1)[-1]
        if (
            user.status == "pending"
            and domain in current_app.config["TRUSTED_EMAIL_DOMAINS"]
            and approved_by_email_domain(user.role)
        ):
            approve_user(session, None, user, reason=f"trusted domain {domain}")
        else:
            notify_moderators(session, user)
        # Asked to join when registering: moderators hear of it now the address is real.
        for membership in user.memberships:
            if membership.status == "requested":
                notifications.notify_moderators_join_request(session, membership)
    session.flush()
    return user


def notify_moderators(session: Session, user: User) -> None:
    """Tell moderators a verified account is waiting for approval (in the app and by email)."""
    notifications.notify_moderators_account_waiting(session, user)


def approve_user(session: Session, moderator: User | None, user: User, reason: str = "") -> User:
    """Approve a pending account so it can sign in.

    When a moderator approved it, its owner is told (approval by a trusted e-mail domain
    happens as they confirm their address, on the page they are looking at).
    """
    if user.status != "approved":
        user.status = "approved"
        user.approved_at = utcnow()
        audit.record(session, moderator, "user.approve", "user", user.id, reason=reason)
        session.flush()
        if moderator is not None:
            notifications.notify_account_decided(session, user, approved=True)
    return user


def reject_user(session: Session, moderator: User | None, user: User, reason: str) -> User:
    """Turn down a pending account (audited with the reason): it can't sign in.

    Its owner is told, with the reason.

    It is kept suspended rather than deleted, so the same address can't simply register
    again unnoticed; an administrator can approve it later.
    """
    if user.status != "pending":
        raise AccountError(f"{user.name}'s account has already been decided.")
    user.status = "suspended"
    user.session_version += 1
    audit.record(session, moderator, "user.reject", "user", user.id, reason=reason)
    session.flush()
    notifications.notify_account_decided(session, user, approved=False, reason=reason)
    return user


def change_role(session: Session, admin: User, user: User, role: str) -> User:
    """Give an account another role (administrators only; the view checks), audited.

    The last active administrator can't be demoted, so nobody has to edit the database to
    get one back. Administrators are read with a row lock (PostgreSQL), so two of them
    demoting each other at once can't both succeed.
    """
    if role not in ROLES:
        raise AccountError("Choose one of the roles listed.", "role")
    if role == user.role:
        return user
    if user.role == "admin":
        admins = session.scalars(
            select(User).where(User.role == "admin").order_by(User.id).with_for_update()
        ).all()
        if not any(other.is_active for other in admins if other.id != user.id):
            raise LastAdministrator(
                "This is the last administrator. Make someone else an administrator first."
            )
    previous, user.role = user.role, role
    audit.record(
        session, admin, "user.change_role", "user", user.id, **{"from": previous, "to": role}
    )
    session.flush()
    return user


class LastAdministrator(AccountError):
    """Demoting this account would leave nobody able to change roles."""


# -- signing in and passwords ----------------------------------------------------------


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The account if the email and password match, else None (same time either way)."""
    user = session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.flush()
    return user


def end_sessions(session: Session, user: User) -> None:
    """Make every session cookie of this account useless (signing out).

    The cookie is signed, not stored, so forgetting it in one browser would leave any
    copy working until it expires; bumping the version it carries ends them all (and
    any unused reset link, which carries it too).
    """
    user.session_version += 1
    session.flush()


def request_password_reset(session: Session, email: str) -> None:
    """Email a reset link if the address has an account; do nothing visible otherwise."""
    user = session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))
    if user is None:
        return
    link = external_url("accounts.reset_password", token=make_token("reset", user))
    send_email(
        session,
        user.email,
        "Reset your password",
        f"Hello {user.name},\n\nReset your CIVIC community directory password here:\n\n"
        f"{link}\n\nThe link works once, for one hour. If you didn't ask, ignore this email.",
    )


def reset_password(session: Session, token: str, password: str) -> User:
    """Set a new password from a reset link; the link (and every session) stops working."""
    user = read_token(session, "reset", token, current_app.config["RESET_TOKEN_MAX_AGE"])
    problem = password_problem(password, user.email, user.name)
    if problem:
        raise AccountError(problem, "password")
    user.password_hash = hash_password(password)
    user.session_version += 1
    audit.record(session, user, "user.reset_password", "user", user.id)
    session.flush()
    return user


# -- organisations ---------------------------------------------------------------------


def request_membership(
    session: Session,
    user: User,
    organisation_id: str | None,
    new_name: str | None = None,
    new_sector: str | None = None,
) -> Membership:
    """Ask to join an organisation as an editor, or propose a new one.

    A proposed organisation is created untrusted; a moderator approves the request.
    """
    # Names are shown everywhere: kept as plain text (no markup, no NUL PostgreSQL refuses).
    new_name = plain_text(new_name or "")[:200]
    if new_name:
        organisation = Organisation(name=new_name, sector=new_sector or user.sector)
        session.add(organisation)
        session.flush()
        audit.record(session, user, "organisation.create", "organisation", organisation.id)
    else:
        organisation = session.get(Organisation, organisation_id) if organisation_id else None
        if organisation is None:
            raise AccountError("Choose an organisation from the list.", "organisation")
    existing = session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.organisation_id == organisation.id
        )
    )
    if existing is not None:
        return existing
    membership = Membership(user=user, organisation=organisation, role="editor")
    session.add(membership)
    session.flush()
    audit.record(session, user, "membership.request", "membership", membership.id)
    if user.email_verified_at is not None:  # else when they confirm it (verify_email)
        notifications.notify_moderators_join_request(session, membership)
    return membership


def decide_membership(
    session: Session, approver: User, membership: Membership, approve: bool, reason: str = ""
) -> Membership:
    """Approve or reject a membership (who may: permissions.can_change_membership).

    The person who asked is told (with ``reason``, if given), unless it was already
    decided that way.
    """
    status = "approved" if approve else "rejected"
    changed = membership.status != status
    membership.status = status
    membership.approved_at = utcnow() if approve else None
    action = "membership.approve" if approve else "membership.reject"
    audit.record(session, approver, action, "membership", membership.id)
    session.flush()
    if changed:
        notifications.notify_membership_decided(session, membership, approve, reason)
    return membership


def set_trusted(
    session: Session, moderator: User, organisation: Organisation, trusted: bool
) -> Organisation:
    """Mark an organisation trusted (its listings publish without review) or not."""
    organisation.trusted = trusted
    audit.record(
        session, moderator, "organisation.trust", "organisation", organisation.id, trusted=trusted
    )
    session.flush()
    return organisation


# -- API tokens ------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new personal API token; the plain token is returned once and never stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name.strip(), prefix=plain[:10], token_hash=_digest(plain))
    session.add(token)
    session.flush()
    audit.record(session, user, "api_token.create", "api_token", token.id)
    return token, plain


def revoke_api_token(session: Session, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's tokens."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise AccountError("No such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(session, user, "api_token.revoke", "api_token", token.id)
        session.flush()
    return token


def user_for_api_token(session: Session, plain: str) -> User | None:
    """The active account behind an unrevoked token, or None."""
    if not plain.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(plain)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    token.last_used_at = utcnow()
    return token.user
