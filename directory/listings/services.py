"""Reading listings and organisations for the public pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import ceil
from typing import Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from directory.models import Listing, Organisation, Term, public_listings
from directory.vocabularies import term_id

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """One page of results and what a pager needs."""

    items: Sequence[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the listings fill (at least one)."""
        return max(1, ceil(self.total / self.per_page))


# What a result card shows (search, browse, an organisation's listings): a fixed number
# of statements for a page, however many listings it holds.
LISTING_CARD = (
    joinedload(Listing.organisation),
    selectinload(Listing.terms),
    selectinload(Listing.locations),
    selectinload(Listing.schedules),
)
# What the listing page shows besides.
LISTING_DETAIL = (
    *LISTING_CARD,
    selectinload(Listing.domain_suggestions),
    selectinload(Listing.assessment),
)


def get_public_listing(session: Session, listing_id: str) -> Listing | None:
    """The listing with ``listing_id`` if anyone may see it, else None."""
    stmt = public_listings().where(Listing.id == listing_id).options(*LISTING_DETAIL)
    return session.scalars(stmt).first()


def get_organisation(session: Session, organisation_id: str) -> Organisation | None:
    """The organisation with ``organisation_id``, or None."""
    return session.get(Organisation, organisation_id)


def joinable_organisations(session: Session) -> list[Organisation]:
    """Organisations a practitioner may ask to join, by name.

    Those with a public listing or an approved editor. One proposed and not yet approved
    isn't offered to others.
    """
    from directory.models import Membership

    public = (
        public_listings()
        .with_only_columns(Listing.id)
        .where(Listing.organisation_id == Organisation.id)
    )
    editor = select(Membership.id).where(
        Membership.organisation_id == Organisation.id,
        Membership.role == "editor",
        Membership.status == "approved",
    )
    stmt = select(Organisation).where(public.exists() | editor.exists())
    return list(session.scalars(stmt.order_by(Organisation.name)))


def organisation_listings(session: Session, organisation: Organisation) -> list[Listing]:
    """An organisation's public listings, by name."""
    stmt = (
        public_listings()
        .where(Listing.organisation_id == organisation.id)
        .options(*LISTING_CARD)
        .order_by(Listing.name)
    )
    return list(session.scalars(stmt))


def browse_listings(
    session: Session,
    kinds: Sequence[str] = (),
    domains: Sequence[str] = (),
    page: int = 1,
    per_page: int = 20,
) -> Page[Listing]:
    """Public listings of the chosen kinds that target any of the chosen domains.

    Alphabetically, one page at a time.
    """
    stmt = public_listings()
    if kinds:
        stmt = stmt.where(Listing.kind.in_(kinds))
    if domains:
        ids = [term_id("civic_domain", code) for code in domains]
        stmt = stmt.where(Listing.terms.any(Term.id.in_(ids)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(
        stmt.options(*LISTING_CARD)
        .order_by(Listing.name, Listing.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return Page(items=list(rows), total=total or 0, page=page, per_page=per_page)


def listings_in_order(session: Session, ids: Sequence[str]) -> list[Listing]:
    """Load listings by id, keeping the order of ``ids`` (the search ranking)."""
    if not ids:
        return []
    stmt = select(Listing).where(Listing.id.in_(ids)).options(*LISTING_CARD)
    by_id = {listing.id: listing for listing in session.scalars(stmt)}
    return [by_id[i] for i in ids if i in by_id]


def count_public_listings(session: Session) -> int:
    """How many listings the public can see."""
    return session.scalar(select(func.count()).select_from(public_listings().subquery())) or 0
