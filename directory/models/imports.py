"""Where imported listings come from."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from directory.extensions import db
from directory.models.base import TimestampMixin

# -- imports (issue #8) ---------------------------------------------------------------


class ImportSource(TimestampMixin, db.Model):
    """Where imported listings come from: a spreadsheet, an ORUK feed or a calendar."""

    __tablename__ = "import_source"
    __table_args__ = (
        CheckConstraint("kind IN ('spreadsheet','openreferral','ical')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    url: Mapped[str | None] = mapped_column(String(500))
    organisation_id: Mapped[str | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL")
    )
    # A trusted source's listings publish directly; others wait for moderation.
    trusted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The last run's counts (created, updated, unchanged, rejected), for the import page.
    last_summary: Mapped[dict | None] = mapped_column(JSON)


class ImportUpload(db.Model):
    """A file a moderator checked with a dry run, kept so "Import now" needn't ask again.

    Organisations' listing files (names, addresses and contact details of services; no
    patient data). Kept for :data:`directory.rules.uploads.KEPT_FOR` at most, for the
    moderator who uploaded it only, and deleted once imported or expired. Only the
    SHA-256 of its random token is stored; the token lives in that moderator's page.
    """

    __tablename__ = "import_upload"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    organisation_id: Mapped[str | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE")
    )
    source_name: Mapped[str | None] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, index=True)
