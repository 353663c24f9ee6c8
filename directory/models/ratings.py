"""Practitioners' ratings, their aggregates and service users' anonymous feedback."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from directory.extensions import db
from directory.models.base import TimestampMixin, new_id, utcnow

if TYPE_CHECKING:
    from directory.models.accounts import User
    from directory.models.listings import Listing

# -- ratings and service-user feedback (issue #6) -------------------------------------


class Rating(TimestampMixin, db.Model):
    """A practitioner's current rating of a listing (one per person per listing)."""

    __tablename__ = "rating"
    __table_args__ = (
        UniqueConstraint("listing_id", "user_id"),
        CheckConstraint("usefulness BETWEEN 1 AND 5", name="usefulness"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[str] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    usefulness: Mapped[int] = mapped_column(Integer, nullable=False)
    helped_domains: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    suits: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    suits_text: Mapped[str | None] = mapped_column(String(300))
    would_refer: Mapped[bool | None] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(String(1000))
    comment_hidden: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # The rater's sector when they rated, for the by-sector breakdown.
    sector: Mapped[str] = mapped_column(String(20), nullable=False)

    listing: Mapped[Listing] = relationship()
    user: Mapped[User] = relationship()


class RatingHistory(db.Model):
    """Earlier versions of a rating, kept when a practitioner rates again."""

    __tablename__ = "rating_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rating_id: Mapped[int] = mapped_column(
        ForeignKey("rating.id", ondelete="CASCADE"), nullable=False, index=True
    )
    data: Mapped[dict] = mapped_column(JSON, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class CommentReport(db.Model):
    """A practitioner reports a rating's comment; two reports hide it for review."""

    __tablename__ = "comment_report"
    __table_args__ = (UniqueConstraint("rating_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rating_id: Mapped[int] = mapped_column(
        ForeignKey("rating.id", ondelete="CASCADE"), nullable=False, index=True
    )
    reporter_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False
    )
    reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    reviewed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class ListingScore(db.Model):
    """Stored rating aggregates for a listing, updated in the rating's transaction."""

    __tablename__ = "listing_score"

    listing_id: Mapped[str] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True
    )
    rating_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rating_sum: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    mean: Mapped[float | None] = mapped_column(Float)
    adjusted: Mapped[float | None] = mapped_column(Float)  # Bayesian, used for ranking
    by_sector: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    helped: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    refer_yes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    refer_answers: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    feedback_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    feedback_went: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    feedback_welcome_sum: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    feedback_welcome_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, nullable=False
    )

    listing: Mapped[Listing] = relationship(back_populates="score")


class ServiceUserFeedback(db.Model):
    """Anonymous feedback from someone who received a shortlist.

    Never linked to a person: it records the listing and the answers, not the shortlist
    or its owner. Nothing may group one submission's rows either (their listings would
    point at the shortlist): the id is random, the date is the day only, no audit event
    is written, and on SQLite the table has no rowid (which would keep the order rows
    were added in).
    """

    __tablename__ = "service_user_feedback"
    __table_args__ = (
        CheckConstraint("welcome IS NULL OR welcome BETWEEN 1 AND 5", name="welcome"),
        CheckConstraint(
            "text_status IN ('none','pending','approved','rejected')", name="text_status"
        ),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    listing_id: Mapped[str] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), nullable=False, index=True
    )
    went: Mapped[bool | None] = mapped_column(Boolean)
    welcome: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(String(1000))
    text_status: Mapped[str] = mapped_column(String(10), nullable=False, default="none")
    created_at: Mapped[dt.date] = mapped_column(
        Date, default=lambda: utcnow().date(), nullable=False
    )
