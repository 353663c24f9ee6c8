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
    from directory.models.listings import Listing, Organisation

# -- shortlists and plans (issue #7) ---------------------------------------------------


class Shortlist(TimestampMixin, db.Model):
    """A practitioner's shortlist under a label they choose. Carries no patient details.

    Whoever holds it continues it: the practitioner ``owner_id``, or, once it has been
    handed to a team (issue 21), ``team_id``'s approved members. A team's plan has no
    ``owner_id`` (who handed it over is its :class:`ShortlistHandover`), so deleting a
    practitioner's account deletes the plans they hold themselves (the foreign key
    cascades) and never a team's copy of one they handed over (migration 0020).
    """

    __tablename__ = "shortlist"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The practitioner holding it; None while a team holds it.
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(80), nullable=False)
    share_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    share_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The short code printed on the hand-out for anonymous feedback.
    feedback_code: Mapped[str | None] = mapped_column(String(12), unique=True)
    feedback_uses: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The team (an organisation of a practitioners' sector) holding it, if any.
    team_id: Mapped[str | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )

    owner: Mapped[User | None] = relationship()
    team: Mapped[Organisation | None] = relationship()
    handovers: Mapped[list[ShortlistHandover]] = relationship(
        back_populates="shortlist",
        cascade="all, delete-orphan",
        order_by="ShortlistHandover.handed_at",
    )
    items: Mapped[list[ShortlistItem]] = relationship(
        back_populates="shortlist", cascade="all, delete-orphan", order_by="ShortlistItem.position"
    )


class ShortlistItem(db.Model):
    """A listing on a shortlist, and later whether the person went."""

    __tablename__ = "shortlist_item"
    __table_args__ = (
        UniqueConstraint("shortlist_id", "listing_id"),
        # The four-week follow-up's answers (directory.rules.uptake.ANSWERS).
        CheckConstraint(
            "uptake IS NULL OR uptake IN ('still_going','went_few','didnt_go','dont_know')",
            name="uptake",
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
    # When the answer was recorded: "still going" counts as evidence from that day.
    uptake_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    shortlist: Mapped[Shortlist] = relationship(back_populates="items")
    listing: Mapped[Listing] = relationship()


class ShortlistHandover(db.Model):
    """A plan handed from one practitioner to another, or to a team (issue 21).

    Kept so the receiver sees who handed it over and when, and so the giver may still
    read it for a while (:func:`directory.rules.permissions.plan_access`). Also in the
    audit log.
    """

    __tablename__ = "shortlist_handover"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shortlist_id: Mapped[int] = mapped_column(
        ForeignKey("shortlist.id", ondelete="CASCADE"), nullable=False, index=True
    )
    from_user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    to_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    to_team_id: Mapped[str | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    handed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    shortlist: Mapped[Shortlist] = relationship(back_populates="handovers")
    from_user: Mapped[User] = relationship(foreign_keys=[from_user_id])
    to_user: Mapped[User | None] = relationship(foreign_keys=[to_user_id])
    to_team: Mapped[Organisation | None] = relationship()
