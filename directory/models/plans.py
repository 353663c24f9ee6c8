"""Shortlists (plans) and their items."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from directory.extensions import db
from directory.models.base import TimestampMixin, utcnow

if TYPE_CHECKING:
    from directory.models.accounts import User
    from directory.models.listings import Listing

# -- shortlists and plans (issue #7) ---------------------------------------------------


class Shortlist(TimestampMixin, db.Model):
    """A practitioner's shortlist under a label they choose. Carries no patient details."""

    __tablename__ = "shortlist"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    label: Mapped[str] = mapped_column(String(80), nullable=False)
    share_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    share_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The short code printed on the hand-out for anonymous feedback.
    feedback_code: Mapped[str | None] = mapped_column(String(12), unique=True)
    feedback_uses: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    owner: Mapped[User] = relationship()
    items: Mapped[list[ShortlistItem]] = relationship(
        back_populates="shortlist", cascade="all, delete-orphan", order_by="ShortlistItem.position"
    )


class ShortlistItem(db.Model):
    """A listing on a shortlist, and later whether the person went."""

    __tablename__ = "shortlist_item"
    __table_args__ = (
        UniqueConstraint("shortlist_id", "listing_id"),
        CheckConstraint(
            "uptake IS NULL OR uptake IN ('went','did_not_go','unknown')", name="uptake"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shortlist_id: Mapped[int] = mapped_column(
        ForeignKey("shortlist.id", ondelete="CASCADE"), nullable=False, index=True
    )
    listing_id: Mapped[str] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    reason: Mapped[str | None] = mapped_column(String(300))  # why it was picked, no patient data
    uptake: Mapped[str | None] = mapped_column(String(12))
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    shortlist: Mapped[Shortlist] = relationship(back_populates="items")
    listing: Mapped[Listing] = relationship()
