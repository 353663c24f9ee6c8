"""Visibility: which listings anyone may see.

A listing is public when it is published (approved, or posted by a trusted
organisation), not marked closed and not archived. The rule has two forms side by side:
:func:`is_public` on values, :func:`public_clause` on columns (for SQL), and
``Listing.is_public`` in :mod:`directory.models` is a hybrid of the two, so
``select(Listing).where(Listing.is_public)`` and ``listing.is_public`` always agree.
Search, listing pages, ratings, plans and the Open Referral feed all use it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

# The status of a listing marked as no longer running.
CLOSED = "closed"


def is_public(published: bool | None, status: str | None, archived_at: dt.datetime | None) -> bool:
    """True when anyone may see a listing: published, not closed and not archived."""
    return bool(published) and status != CLOSED and archived_at is None


def public_clause(published: Any, status: Any, archived_at: Any) -> Any:
    """:func:`is_public` as an SQL condition on the listing's columns.

    Built from SQLAlchemy column expressions; the result is one too.
    """
    return published.is_(True) & (status != CLOSED) & archived_at.is_(None)


def has_ended(ends_on: dt.date | None, today: dt.date) -> bool:
    """True when a course's last day has passed: it leaves search, whatever its check.

    ``ends_on`` is :func:`directory.rules.signals.ends_on` (None for anything ongoing).
    The course still shows on its last day.
    """
    return ends_on is not None and ends_on < today
