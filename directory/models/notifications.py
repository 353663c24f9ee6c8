"""Notifications: what someone is told about decisions and requests, and how they like it.

A notification names the thing it is about by a link (a path on this site) and says what
happened in plain words; it never holds patient data (there is none to hold) nor the
free text of a problem report. Its email goes through the outbox
(:mod:`directory.email`), so it is sent only after the transaction that wrote it commits.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from directory.extensions import db
from directory.models.base import utcnow


class Notification(db.Model):
    """One thing someone was told: shown on their notifications page, maybe emailed.

    ``held_for_digest`` marks a moderator's notification kept for the daily digest email
    rather than emailed at once; ``digested_at`` says when the digest carried it.
    """

    __tablename__ = "notification"
    __table_args__ = (
        # The header's unread count and the page, newest first, both start from the user.
        Index("ix_notification_user_id_read_at", "user_id", "read_at"),
        Index("ix_notification_user_id_created_at", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    event: Mapped[str] = mapped_column(String(40), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    link: Mapped[str] = mapped_column(String(500), nullable=False)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    emailed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    held_for_digest: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    digested_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class NotificationPreference(db.Model):
    """Someone's choices: which events they are emailed about, and the moderators' digest.

    No row means the defaults: every email, sent at once.
    """

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    # Event codes (directory.notifications.service.EVENTS) not to email about.
    emails_off: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    daily_digest: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # The day the last digest went out, so a second run that day sends nothing.
    last_digest_on: Mapped[dt.date | None] = mapped_column(Date)
