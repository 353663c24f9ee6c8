"""Listings and what they are made of.

Organisations, places, schedules, terms, and their lifecycle (revisions, problem
reports, confirmations, reminders).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    select,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from directory.extensions import db
from directory.models.base import TimestampMixin, new_id, utcnow
from directory.rules import visibility

if TYPE_CHECKING:
    from directory.models.accounts import User
    from directory.models.ratings import ListingScore


class Vocabulary(db.Model):
    """A controlled vocabulary loaded from ``directory/data/vocabularies``."""

    __tablename__ = "vocabulary"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    source: Mapped[str] = mapped_column(Text, nullable=False, default="")
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    multiple: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    terms: Mapped[list[Term]] = relationship(
        back_populates="vocabulary", order_by="Term.position", cascade="all, delete-orphan"
    )


class Term(db.Model):
    """One term of a vocabulary, with the plain-English description pages show."""

    __tablename__ = "term"
    __table_args__ = (UniqueConstraint("vocabulary_code", "code"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vocabulary_code: Mapped[str] = mapped_column(
        ForeignKey("vocabulary.code", ondelete="CASCADE"), nullable=False, index=True
    )
    code: Mapped[str] = mapped_column(String(60), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    guidance: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    vocabulary: Mapped[Vocabulary] = relationship(back_populates="terms")

    def __repr__(self) -> str:
        return f"<Term {self.vocabulary_code}:{self.code}>"


listing_term = Table(
    "listing_term",
    db.metadata,
    Column("listing_id", ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True),
    Column("term_id", ForeignKey("term.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Organisation(TimestampMixin, db.Model):
    """An organisation that runs listings (HSDS organization)."""

    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint(
            "sector IN ('primary_care','secondary_care','third_sector','local_authority',"
            "'community')",
            name="sector",
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    sector: Mapped[str] = mapped_column(String(20), nullable=False, default="third_sector")
    website: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    charity_number: Mapped[str | None] = mapped_column(String(20))
    # Set by moderators: a trusted organisation's listings publish without review.
    trusted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    listings: Mapped[list[Listing]] = relationship(
        back_populates="organisation", order_by="Listing.name"
    )


class Listing(TimestampMixin, db.Model):
    """A group, place or activity (HSDS service)."""

    __tablename__ = "listing"
    __table_args__ = (
        CheckConstraint("kind IN ('group','place','activity')", name="kind"),
        CheckConstraint("status IN ('active','temporarily_closed','closed')", name="status"),
        CheckConstraint(
            "how_to_join IN ('drop_in','self_referral','professional_referral')",
            name="how_to_join",
        ),
        CheckConstraint("cost IN ('free','low_cost','paid')", name="cost"),
        CheckConstraint(
            "delivered_by IS NULL OR delivered_by IN ('peers','staff','volunteers')",
            name="delivered_by",
        ),
        CheckConstraint("format IN ('ongoing','course')", name="format"),
        CheckConstraint("attendance IN ('in_person','online','both')", name="attendance"),
        CheckConstraint(
            "mental_health_focus IS NULL OR mental_health_focus IN ('specific','welcoming')",
            name="mental_health_focus",
        ),
        CheckConstraint(
            "min_age IS NULL OR max_age IS NULL OR min_age <= max_age", name="age_range"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisation.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    summary: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")

    status: Mapped[str] = mapped_column(String(20), nullable=False, default="active")
    # Held back from public pages and search until a moderator publishes it.
    published: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    url: Mapped[str | None] = mapped_column(String(500))

    how_to_join: Mapped[str] = mapped_column(String(24), nullable=False, default="drop_in")
    cost: Mapped[str] = mapped_column(String(10), nullable=False, default="free")
    cost_description: Mapped[str | None] = mapped_column(String(300))

    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    languages: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)

    delivered_by: Mapped[str | None] = mapped_column(String(12))
    format: Mapped[str] = mapped_column(String(10), nullable=False, default="ongoing")
    course_weeks: Mapped[int | None] = mapped_column(Integer)
    first_visit_support: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    group_size: Mapped[str | None] = mapped_column(String(12))
    mental_health_focus: Mapped[str | None] = mapped_column(String(12))
    welcome_statement: Mapped[str | None] = mapped_column(Text)
    attendance: Mapped[str] = mapped_column(String(10), nullable=False, default="in_person")

    last_verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    # Who did the last check: "organisation", "moderator" or "import".
    last_verified_by: Mapped[str | None] = mapped_column(String(20))
    # Two independent "has closed" reports set this until someone resolves it.
    possibly_closed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Archived listings are hidden everywhere and purged after ARCHIVE_PURGE_DAYS.
    archived_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Where an imported listing came from, so re-imports update rather than duplicate.
    source: Mapped[str | None] = mapped_column(String(100))
    source_id: Mapped[str | None] = mapped_column(String(200))
    # Incoming taxonomy terms that match none of ours, kept as free tags (imports).
    tags: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    # Set when a moderator merged this listing into another (it is archived then): old
    # links to it lead to the kept listing.
    merged_into_id: Mapped[str | None] = mapped_column(
        ForeignKey("listing.id", ondelete="SET NULL"), index=True
    )
    # When `flask import sync` last found this imported listing gone from its source feed
    # (None while the feed lists it). It stays live and goes to the moderators' list
    # instead of being deleted; a moderator archives it or keeps it (missing_kept_at).
    missing_from_source_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    missing_kept_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    organisation: Mapped[Organisation] = relationship(back_populates="listings")
    terms: Mapped[list[Term]] = relationship(secondary=listing_term, order_by=Term.position)
    locations: Mapped[list[Location]] = relationship(
        back_populates="listing", cascade="all, delete-orphan", order_by="Location.position"
    )
    schedules: Mapped[list[Schedule]] = relationship(
        back_populates="listing", cascade="all, delete-orphan", order_by="Schedule.position"
    )
    # The database deletes the score with the listing (ON DELETE CASCADE); without this the
    # ORM would try to blank the score's primary key when a rated listing is purged.
    score: Mapped[ListingScore | None] = relationship(
        back_populates="listing", uselist=False, cascade="all, delete-orphan", passive_deletes=True
    )

    # Suggested CIVIC domains and what was decided about them (issue 18).
    domain_suggestions: Mapped[list[DomainSuggestion]] = relationship(
        back_populates="listing",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="DomainSuggestion.code",
    )
    assessment: Mapped[ListingAssessment | None] = relationship(
        back_populates="listing", uselist=False, cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def suggested_domain_codes(self) -> list[str]:
        """Domain codes among this listing's terms that are suggested, not yet confirmed."""
        waiting = {s.code for s in self.domain_suggestions if s.status == "suggested"}
        return [code for code in self.domain_codes if code in waiting]

    @property
    def not_social(self) -> bool:
        """The suggestion found this is not a social-connection resource at all."""
        return bool(self.assessment and self.assessment.not_social)

    def terms_in(self, vocabulary: str) -> list[Term]:
        """This listing's terms from one vocabulary, in vocabulary order."""
        return [t for t in self.terms if t.vocabulary_code == vocabulary]

    @property
    def domains(self) -> list[Term]:
        """The CIVIC domains this listing targets."""
        return self.terms_in("civic_domain")

    @property
    def domain_codes(self) -> list[str]:
        """The codes of the listing's CIVIC domains."""
        return [t.code for t in self.domains]

    @property
    def is_online(self) -> bool:
        """Whether people can take part online."""
        return self.attendance in ("online", "both")

    @hybrid_property
    def is_public(self) -> bool:
        """Visible to anyone (:mod:`directory.rules.visibility`).

        On the class, the same rule as an SQL condition.
        """
        return visibility.is_public(self.published, self.status, self.archived_at)

    @is_public.inplace.expression
    @classmethod
    def _is_public_expression(cls):
        return visibility.public_clause(cls.published, cls.status, cls.archived_at)

    def __repr__(self) -> str:
        return f"<Listing {self.name!r}>"


class Location(db.Model):
    """Where a listing meets. A listing can meet at several; an online one has none."""

    __tablename__ = "location"
    __table_args__ = (Index("ix_location_lat_lon", "latitude", "longitude"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    listing_id: Mapped[str] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    name: Mapped[str | None] = mapped_column(String(200))
    address_1: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    address_2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    postcode: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)

    listing: Mapped[Listing] = relationship(back_populates="locations")

    @property
    def address(self) -> str:
        """The address on one line."""
        parts = [self.name, self.address_1, self.address_2, self.city, self.postcode]
        return ", ".join(p for p in parts if p)


class Schedule(db.Model):
    """When a listing meets, in Open Referral's iCalendar style.

    Interpretation (next dates, "does it run on a Tuesday evening", words) lives in
    :mod:`directory.schedules`, which works on any object with these attributes.
    """

    __tablename__ = "schedule"
    __table_args__ = (
        CheckConstraint("freq IN ('WEEKLY','MONTHLY')", name="freq"),
        CheckConstraint("interval IS NULL OR interval >= 1", name="interval"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    listing_id: Mapped[str] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), nullable=False, index=True
    )
    location_id: Mapped[str | None] = mapped_column(
        ForeignKey("location.id", ondelete="SET NULL"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    freq: Mapped[str] = mapped_column(String(7), nullable=False, default="WEEKLY")
    interval: Mapped[int | None] = mapped_column(Integer, default=1)
    byday: Mapped[str | None] = mapped_column(String(40))
    bymonthday: Mapped[str | None] = mapped_column(String(40))
    dtstart: Mapped[dt.date | None] = mapped_column(Date)
    opens_at: Mapped[dt.time | None] = mapped_column(Time)
    closes_at: Mapped[dt.time | None] = mapped_column(Time)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(Text)

    listing: Mapped[Listing] = relationship(back_populates="schedules")
    location: Mapped[Location | None] = relationship()


# -- listing lifecycle: revisions, problem reports, freshness (issue #5) --------------


class ListingRevision(db.Model):
    """A snapshot of a listing's editable fields: its history, and pending edits.

    An untrusted editor's change to a published listing waits here as ``pending``
    while the last approved version stays live.
    """

    __tablename__ = "listing_revision"
    __table_args__ = (
        CheckConstraint("status IN ('pending','approved','rejected','superseded')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[str] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), nullable=False, index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    data: Mapped[dict] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="pending")
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    listing: Mapped[Listing] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


REPORT_KINDS = ("closed", "wrong_time_place", "wrong_contact", "not_as_described", "other")


class ProblemReport(db.Model):
    """Someone says a listing is wrong.

    Two independent "has closed" reports mark it possibly closed until a moderator or
    editor resolves it.
    """

    __tablename__ = "problem_report"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('closed','wrong_time_place','wrong_contact','not_as_described','other')",
            name="kind",
        ),
        CheckConstraint("status IN ('open','resolved','dismissed')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[str] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), nullable=False, index=True
    )
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # A keyed hash of an anonymous reporter's address: tells two reports apart without
    # keeping who sent them.
    reporter_fingerprint: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="open")
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    listing: Mapped[Listing] = relationship()
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])


class StillRunningConfirmation(db.Model):
    """A practitioner's "I know this is still running", shown apart from the owner's check."""

    __tablename__ = "still_running_confirmation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[str] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    user: Mapped[User] = relationship()


class ReminderSent(db.Model):
    """One freshness reminder stage sent for one verification date.

    Makes the daily job idempotent: a stage is sent once per unverified stretch.
    """

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("listing_id", "stage", "verified_at_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[str] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # The step, as its position in directory.rules.freshness.STEPS (0 = "remind").
    stage: Mapped[int] = mapped_column(Integer, nullable=False)
    # The last_verified_at the stage counted from, so re-verifying starts afresh.
    verified_at_key: Mapped[str] = mapped_column(String(32), nullable=False)
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


DUPLICATE_FLAG_STATUSES = ("open", "merged", "dismissed")


class DuplicateFlag(db.Model):
    """Two listings that are probably the same (:mod:`directory.rules.duplicates`).

    For a moderator to merge or tell apart. ``listing_id`` is the listing that arrived
    (posted or imported), ``other_id`` the one it looks like. A pair is flagged once, in
    either order: a dismissed pair ("not the same") is not flagged again.
    """

    __tablename__ = "duplicate_flag"
    __table_args__ = (
        CheckConstraint("status IN ('open','merged','dismissed')", name="status"),
        CheckConstraint("listing_id <> other_id", name="distinct_listings"),
        UniqueConstraint("listing_id", "other_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[str] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), nullable=False, index=True
    )
    other_id: Mapped[str] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), nullable=False, index=True
    )
    reason: Mapped[str] = mapped_column(String(200), nullable=False)
    score: Mapped[float] = mapped_column(Float, nullable=False)  # names, percent alike
    distance_km: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="open", index=True)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    listing: Mapped[Listing] = relationship(foreign_keys=[listing_id])
    other: Mapped[Listing] = relationship(foreign_keys=[other_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


# -- suggested CIVIC domains (issue 18) ------------------------------------------------

SUGGESTION_STATUSES = ("suggested", "confirmed", "rejected")


class DomainSuggestion(db.Model):
    """One CIVIC domain suggested for a listing, and what people decided about it.

    The suggestion comes from :func:`directory.rules.domain_suggestion.suggest`. While
    ``status`` is ``suggested`` the domain is already among the listing's terms (so it
    counts in search at once) and pages say "suggested, not yet confirmed".
    ``confirmed``: an editor, moderator or (later) practitioners' ratings agreed; the term
    stays. ``rejected``: the term was taken off, and re-imports and re-suggestions don't
    put it back. A domain term with no row here was chosen by a person, so it counts as
    confirmed. :mod:`directory.listings.suggestions` is the only writer.
    """

    __tablename__ = "domain_suggestion"
    __table_args__ = (
        UniqueConstraint("listing_id", "code"),
        CheckConstraint("status IN ('suggested','confirmed','rejected')", name="status"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[str] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # A civic_domain term code (closeness, identity, valued, involvement, cared_for, beyond).
    code: Mapped[str] = mapped_column(String(60), nullable=False)
    confidence: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    # Why, in words a moderator can check: 'mentions "walking group" -> Involvement'.
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="suggested")
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    listing: Mapped[Listing] = relationship(back_populates="domain_suggestions")
    decided_by: Mapped[User | None] = relationship()


class ListingAssessment(db.Model):
    """What the suggestion found about a listing as a whole (one row per listing).

    The suggested kind, and whether it is not a social-connection resource at all ("not
    social", with the reason), for the moderator to see instead of a domain at random.
    """

    __tablename__ = "listing_assessment"

    listing_id: Mapped[str] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True
    )
    not_social: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    not_social_confidence: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    suggested_kind: Mapped[str | None] = mapped_column(String(10))
    kind_reason: Mapped[str | None] = mapped_column(Text)
    # True when the kind came from the suggestion (the source gave none).
    kind_suggested: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    assessed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    listing: Mapped[Listing] = relationship(back_populates="assessment")


# One listing per source and source id: what makes re-importing a file idempotent.
Index("uq_listing_source_source_id", Listing.source, Listing.source_id, unique=True)


@cache
def public_listings() -> Select:
    """The select() of listings anyone may see (:mod:`directory.rules.visibility`).

    Built once: a select is immutable (each ``.where()`` makes a new one), so every caller
    can start from the same.
    """
    return select(Listing).where(Listing.is_public)
