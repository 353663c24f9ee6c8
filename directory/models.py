"""The directory's data model, shaped to map onto Open Referral UK (HSDS 3.0).

| here         | Open Referral UK                     |
|--------------|--------------------------------------|
| Organisation | organization                         |
| Listing      | service                              |
| Location     | location + address + service_at_location |
| Schedule     | schedule                             |
| Vocabulary   | taxonomy                             |
| Term         | taxonomy_term (linked via attribute) |

Identifiers are UUID strings, as HSDS expects; demo and imported records get
deterministic UUIDs so re-running a load changes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid

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
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from directory.extensions import db

# A fixed namespace so deterministic ids (demo data, imports) are stable across machines.
ID_NAMESPACE = uuid.UUID("6f1c2a9e-3b7d-4c55-9a0e-5d2b8c1f4e77")

KINDS = ("group", "place", "activity")
STATUSES = ("active", "temporarily_closed", "closed")
SECTORS = ("primary_care", "secondary_care", "third_sector", "local_authority", "community")


def new_id() -> str:
    """A random UUID string for a new record."""
    return str(uuid.uuid4())


def stable_id(*parts: str) -> str:
    """A UUID derived from ``parts``: the same inputs always give the same id."""
    return str(uuid.uuid5(ID_NAMESPACE, "/".join(parts)))


def utcnow() -> dt.datetime:
    """The current UTC time, naive, as stored in every timestamp column.

    Naive UTC keeps SQLite and PostgreSQL behaving the same.
    """
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


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

    def terms_in(self, vocabulary: str) -> list[Term]:
        """This listing's terms from one vocabulary, in vocabulary order."""
        return [t for t in self.terms if t.vocabulary_code == vocabulary]

    @property
    def domains(self) -> list[Term]:
        """The CIVIC domains this listing targets."""
        return self.terms_in("civic_domain")

    @property
    def domain_codes(self) -> list[str]:
        return [t.code for t in self.domains]

    @property
    def is_online(self) -> bool:
        return self.attendance in ("online", "both")

    @property
    def is_public(self) -> bool:
        """Visible to anyone: published, not closed and not archived."""
        return self.published and self.status != "closed" and self.archived_at is None

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


ROLES = ("practitioner", "moderator", "admin")
ACCOUNT_STATUSES = ("pending", "approved", "suspended")


class User(TimestampMixin, db.Model):
    """A practitioner's account. Holds only work details, never patient data."""

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("role IN ('practitioner','moderator','admin')", name="role"),
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
        return True

    @property
    def is_active(self) -> bool:
        """Only approved, verified accounts can sign in."""
        return self.status == "approved" and self.email_verified_at is not None

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class Membership(TimestampMixin, db.Model):
    """A user's link to an organisation: requested, then approved by an editor or
    moderator. Editors post and edit the organisation's listings."""

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
    """An email written here instead of sent, when no SMTP server is configured.

    Only account emails to practitioners' work addresses go here; an address typed to
    share a shortlist is never stored.
    """

    __tablename__ = "outbox_email"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    recipient: Mapped[str] = mapped_column(String(254), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)


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
    """Someone says a listing is wrong. Two independent "has closed" reports mark it
    possibly closed until a moderator or editor resolves it."""

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
    """One freshness reminder stage sent for one verification date: makes the daily job
    idempotent (a stage is sent once per unverified stretch)."""

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("listing_id", "stage", "verified_at_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[str] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), nullable=False, index=True
    )
    stage: Mapped[int] = mapped_column(Integer, nullable=False)  # days: 90, 120, 180, 365
    # The last_verified_at the stage counted from, so re-verifying starts afresh.
    verified_at_key: Mapped[str] = mapped_column(String(32), nullable=False)
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


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
    """Anonymous feedback from someone who received a shortlist. Never linked to a
    person: it records the listing and the answers, not the shortlist or its owner."""

    __tablename__ = "service_user_feedback"
    __table_args__ = (
        CheckConstraint("welcome IS NULL OR welcome BETWEEN 1 AND 5", name="welcome"),
        CheckConstraint(
            "text_status IN ('none','pending','approved','rejected')", name="text_status"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
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


# One listing per source and source id: what makes re-importing a file idempotent.
Index("uq_listing_source_source_id", Listing.source, Listing.source_id, unique=True)
