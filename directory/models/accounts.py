"""Practitioner accounts, organisation memberships, API tokens, the audit log and the outbox."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from directory.extensions import db
from directory.models.base import TimestampMixin, utcnow

if TYPE_CHECKING:
    from directory.models.listings import Organisation

ROLES = ("practitioner", "commissioner", "moderator", "admin")
ACCOUNT_STATUSES = ("pending", "approved", "suspended")


class User(TimestampMixin, db.Model):
    """A practitioner's or commissioner's account. Holds only work details, never patient data.

    ``role`` is practitioner, commissioner (commissioners and public-health analysts, who
    read the directory's insights rather than refer people), moderator or admin.
    """

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("role IN ('practitioner','commissioner','moderator','admin')", name="role"),
        CheckConstraint("status IN ('pending','approved','suspended')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    profession: Mapped[str] = mapped_column(String(40), nullable=False)
    sector: Mapped[str] = mapped_column(String(20), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False, default="practitioner")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Changing this invalidates every session and reset link (password change, suspension).
    session_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        """Flask-Login: every stored user is an authenticated one."""
        return True

    @property
    def is_active(self) -> bool:
        """Only approved, verified accounts can sign in."""
        return self.status == "approved" and self.email_verified_at is not None

    @property
    def is_anonymous(self) -> bool:
        """Flask-Login: a stored user is never the anonymous one."""
        return False

    def get_id(self) -> str:
        """Flask-Login's session id: changing ``session_version`` signs out every session."""
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class Membership(TimestampMixin, db.Model):
    """A user's link to an organisation: requested, then approved by an editor or moderator.

    Editors post and edit the organisation's listings.
    """

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("user_id", "organisation_id"),
        CheckConstraint("role IN ('member','editor')", name="role"),
        CheckConstraint("status IN ('requested','approved','rejected')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), nullable=False, index=True
    )
    role: Mapped[str] = mapped_column(String(10), nullable=False, default="editor")
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="requested")
    # When an editor or moderator approved it: seniority among editors runs from here
    # (directory.permissions.senior_editor), not from when the request was made.
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship()


class ApiToken(db.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    prefix: Mapped[str] = mapped_column(String(12), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()


class AuditEvent(db.Model):
    """Who did what, to which record, and when."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, nullable=False, index=True
    )
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(60), nullable=False)
    target_type: Mapped[str] = mapped_column(String(40), nullable=False)
    target_id: Mapped[str] = mapped_column(String(64), nullable=False)
    details: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)

    actor: Mapped[User | None] = relationship()


class OutboxEmail(db.Model):
    """An email to a practitioner's work address, sent after its transaction commits.

    Queued in the transaction that wrote it and sent after that commits
    (:mod:`directory.email`); kept unsent, and logged, when no SMTP server is configured.
    An address typed to share a shortlist is never stored here.
    """

    __tablename__ = "outbox_email"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    recipient: Mapped[str] = mapped_column(String(254), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
