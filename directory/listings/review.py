"""The review queue of suggested CIVIC domains (issue 18).

Listings wait here while they have a domain *suggested* from their text and not yet
confirmed, or were marked "not social" (no social-connection domain at all) and no one
has decided what to do with them. Moderators see every such listing; an organisation's
editors see their own organisation's.

Decisions (each flushes only, audited per listing; the request commits once):

- :func:`confirm_suggestions` — confirm what was suggested for each selected listing
  (the bulk action): its suggested domains become confirmed; for a "not social" listing
  with no domain, "keep without domains" is recorded.
- :func:`keep_without_domains` — a "not social" listing stays listed with no domain.
- :func:`directory.listings.suggestions.decide_domains` — one listing's domains chosen
  by hand; :func:`directory.lifecycle.services.archive_listing` — archive it.

"Keep without domains" is recorded as the audit event :data:`KEEP_ACTION` (no column
of its own, so no migration): the queue leaves out listings that have one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Exists, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from directory import audit
from directory.listings.suggestions import decide_domains
from directory.models import (
    AuditEvent,
    DomainSuggestion,
    Listing,
    ListingAssessment,
    User,
)
from directory.rules import permissions

KEEP_ACTION = "listing.not_social_keep"
ORDERS = ("most", "least")  # most confident first (quick bulk confirm), or least first
SHOWS = ("all", "suggested", "not_social")
# One bulk confirm handles at most this many listings (a page holds fewer).
MAX_SELECTED = 200


@dataclass(frozen=True)
class QueueFilters:
    """What the queue shows.

    Source (an import's name), domain code, which kind of item, and the order by confidence.
    """

    source: str | None = None
    domain: str | None = None
    show: str = "all"
    order: str = "most"


def _editable_organisations(user: User) -> list[str] | None:
    """None for moderators (every organisation), else the organisations ``user`` edits."""
    if permissions.is_moderator(user):
        return None
    return [
        m.organisation_id for m in user.memberships if m.role == "editor" and m.status == "approved"
    ]


def can_review(user: object) -> bool:
    """Who may open the queue: moderators, and editors of any organisation."""
    if permissions.is_moderator(user):
        return True
    if not permissions.is_practitioner(user):
        return False
    return bool(_editable_organisations(user))  # type: ignore[arg-type]


def _waiting_suggestion(code: str | None = None) -> Exists:
    """The listing has a suggested domain (``code``, or any) waiting for a decision."""
    condition = and_(
        DomainSuggestion.listing_id == Listing.id, DomainSuggestion.status == "suggested"
    )
    if code is not None:
        condition = and_(condition, DomainSuggestion.code == code)
    return exists().where(condition)


def _not_social_waiting() -> ColumnElement[bool]:
    """The listing is marked "not social" and nobody has kept it anyway."""
    kept = select(AuditEvent.target_id).where(
        AuditEvent.action == KEEP_ACTION, AuditEvent.target_type == "listing"
    )
    return and_(
        exists().where(
            ListingAssessment.listing_id == Listing.id, ListingAssessment.not_social.is_(True)
        ),
        Listing.id.not_in(kept),
    )


def _confidence() -> ColumnElement[float]:
    """Return a listing's place in the queue as an SQL expression.

    Its most confident waiting suggestion, or how sure the "not social" mark is.
    """
    top = (
        select(func.max(DomainSuggestion.confidence))
        .where(DomainSuggestion.listing_id == Listing.id, DomainSuggestion.status == "suggested")
        .scalar_subquery()
    )
    not_social = (
        select(ListingAssessment.not_social_confidence)
        .where(ListingAssessment.listing_id == Listing.id)
        .scalar_subquery()
    )
    return func.coalesce(top, not_social, 0.0)


def _queue(user: User, filters: QueueFilters) -> Select:
    stmt = select(Listing).where(Listing.archived_at.is_(None))
    organisations = _editable_organisations(user)
    if organisations is not None:
        stmt = stmt.where(Listing.organisation_id.in_(organisations))
    if filters.source:
        stmt = stmt.where(Listing.source == filters.source)
    if filters.domain:
        stmt = stmt.where(_waiting_suggestion(filters.domain))
    elif filters.show == "suggested":
        stmt = stmt.where(_waiting_suggestion())
    elif filters.show == "not_social":
        stmt = stmt.where(_not_social_waiting())
    else:
        stmt = stmt.where(or_(_waiting_suggestion(), _not_social_waiting()))
    return stmt


def queue_count(session: Session, user: User) -> int:
    """How many listings wait for ``user`` (for the link on the moderation home)."""
    stmt = _queue(user, QueueFilters())
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def review_queue(
    session: Session, user: User, filters: QueueFilters, *, limit: int, offset: int = 0
) -> tuple[list[Listing], int]:
    """Return one page of the queue for ``user`` and how many there are in all.

    Ordered by confidence (``filters.order``), then name.
    """
    stmt = _queue(user, filters)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    confidence = _confidence()
    ordering = confidence.asc() if filters.order == "least" else confidence.desc()
    items = session.scalars(
        stmt.options(
            selectinload(Listing.domain_suggestions),
            selectinload(Listing.assessment),
            selectinload(Listing.organisation),
            selectinload(Listing.terms),
        )
        .order_by(ordering, Listing.name, Listing.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(items), total


def sources(session: Session, user: User) -> list[str]:
    """The import sources that have listings in ``user``'s queue (for the filter)."""
    stmt = _queue(user, QueueFilters()).where(Listing.source.is_not(None))
    return sorted(session.scalars(select(stmt.subquery().c.source).distinct()).all(), key=str.lower)


def is_waiting(listing: Listing) -> bool:
    """Whether ``listing`` still has something to decide.

    A suggested domain, or a "not social" mark with no domains.
    """
    return bool(listing.suggested_domain_codes) or (listing.not_social and not listing.domain_codes)


def keep_without_domains(session: Session, actor: User, listing: Listing) -> None:
    """Keep a "not social" listing listed with no CIVIC domain (flush only, audited).

    Suggestions still waiting are rejected, so a re-import doesn't put them back.
    """
    if listing.suggested_domain_codes:
        decide_domains(session, actor, listing, [])
    audit.record(session, actor, KEEP_ACTION, "listing", listing.id)


@dataclass
class BulkResult:
    """What a bulk confirm did.

    Listings confirmed, kept without domains, and skipped (unknown, not yours, or
    nothing waiting).
    """

    confirmed: int = 0
    kept: int = 0
    skipped: int = 0


def confirm_suggestions(session: Session, actor: User, listing_ids: Iterable[str]) -> BulkResult:
    """Confirm the suggestions of each selected listing ``actor`` may decide.

    Flush only, audited per listing. Unknown ids, other organisations' listings and
    listings with nothing waiting are skipped (counted), never an error.
    """
    # Listing ids are short; NUL can't be in one (and PostgreSQL refuses it in a query).
    wanted = list(dict.fromkeys(i for i in listing_ids if i and len(i) <= 64 and "\x00" not in i))[
        :MAX_SELECTED
    ]
    result = BulkResult()
    found = {
        listing.id: listing
        for listing in session.scalars(
            select(Listing)
            .where(Listing.id.in_(wanted), Listing.archived_at.is_(None))
            .options(selectinload(Listing.domain_suggestions), selectinload(Listing.terms))
        )
    }
    for listing_id in wanted:
        listing = found.get(listing_id)
        if listing is None or not permissions.can_edit_organisation(actor, listing.organisation_id):
            result.skipped += 1
        elif listing.suggested_domain_codes:
            decide_domains(session, actor, listing, listing.domain_codes)
            result.confirmed += 1
        elif listing.not_social and not listing.domain_codes and not _kept(session, listing):
            keep_without_domains(session, actor, listing)
            result.kept += 1
        else:
            result.skipped += 1
    return result


def _kept(session: Session, listing: Listing) -> bool:
    return (
        session.scalar(
            select(AuditEvent.id)
            .where(
                AuditEvent.action == KEEP_ACTION,
                AuditEvent.target_type == "listing",
                AuditEvent.target_id == listing.id,
            )
            .limit(1)
        )
        is not None
    )
