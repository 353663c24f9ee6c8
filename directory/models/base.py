"""Identifiers, timestamps and the closed vocabularies every area's models share."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    DateTime,
)
from sqlalchemy.orm import Mapped, mapped_column

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
    """Adds when a row was created and last updated (UTC)."""

    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, nullable=False
    )
