"""Listings no longer in their source feed (``flask import sync`` marks them).

The list a moderator works through, and the two decisions, archive or keep. Services only
flush.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, joinedload

from directory import audit
from directory.lifecycle.services import archive_listing
from directory.models import Listing, User, utcnow


class MissingError(ValueError):
    """A decision that no longer applies (the listing is back in its feed, or decided)."""


def _waiting() -> tuple[ColumnElement[bool], ...]:
    """The conditions for a listing gone from its feed and not yet decided."""
    return (
        Listing.missing_from_source_at.is_not(None),
        Listing.missing_kept_at.is_(None),
        Listing.archived_at.is_(None),
    )


def missing_listings(session: Session, *, limit: int, offset: int = 0) -> tuple[list[Listing], int]:
    """Listings gone from their source feed and not yet decided, longest gone first.

    Also returns how many there are (``limit=0`` just counts).
    """
    total = session.scalar(select(func.count(Listing.id)).where(*_waiting())) or 0
    if limit <= 0:
        return [], total
    items = session.scalars(
        select(Listing)
        .where(*_waiting())
        .options(joinedload(Listing.organisation))
        .order_by(Listing.missing_from_source_at, Listing.name, Listing.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(items), total


def _check(listing: Listing) -> None:
    if listing.missing_from_source_at is None or listing.archived_at is not None:
        raise MissingError(f"{listing.name} is no longer waiting for this decision.")
    if listing.missing_kept_at is not None:
        raise MissingError(f"{listing.name} has already been kept.")


def keep(session: Session, user: User, listing: Listing) -> Listing:
    """Keep a listing its feed dropped: it stays live and leaves the list.

    It comes back on the list only if the feed lists it again and drops it again.
    """
    _check(listing)
    listing.missing_kept_at = utcnow()
    session.flush()
    audit.record(
        session, user, "listing.keep_missing", "listing", listing.id, source=listing.source
    )
    return listing


def archive(session: Session, user: User, listing: Listing) -> Listing:
    """Archive a listing its feed dropped (hidden everywhere; purged later, as usual)."""
    _check(listing)
    return archive_listing(session, user, listing)
