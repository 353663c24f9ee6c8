"""Resource loss and churn: which moments of a listing's life the history keeps.

The history (``ListingEvent`` rows) says, for each listing, when it opened (became
public), was lost (closed, archived or withdrawn), was merged into a duplicate, was
purged (deleted for good) or went out of date, with its kind, CIVIC domains and the
outward codes it meets in. It names no person and outlives the listing, so the loss of
provision can be seen after the listing itself is gone.

A listing is "open" while it is public (:func:`directory.rules.visibility.is_public`);
every event but "stale" is a change of that, or the listing's deletion, worked out by
:func:`transitions` from its state before and after a change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from directory.rules.visibility import CLOSED, is_public

OPENED = "opened"
CLOSED_EVENT = "closed"
ARCHIVED = "archived"
WITHDRAWN = "withdrawn"
MERGED = "merged"
PURGED = "purged"
STALE = "stale"
# Every event the history keeps, in the order pages list them.
EVENTS = (OPENED, CLOSED_EVENT, ARCHIVED, WITHDRAWN, MERGED, PURGED, STALE)
# The events that lose a resource: it stops being public. A merge is not a loss (the
# listing was a second copy of one that stays), nor is a purge (the listing was already
# archived; a public listing deleted outright is withdrawn first), nor going out of date
# (it is still listed).
LOSSES = (CLOSED_EVENT, ARCHIVED, WITHDRAWN)
EVENT_WORDS = {
    OPENED: "Opened",
    CLOSED_EVENT: "Closed",
    ARCHIVED: "Archived",
    WITHDRAWN: "Withdrawn",
    MERGED: "Merged as a duplicate",
    PURGED: "Purged",
    STALE: "Went out of date",
}

# "Verified recently": checked by its organisation, a moderator or its feed within this
# many months.
VERIFIED_RECENTLY_MONTHS = 6


@dataclass(frozen=True)
class LifeState:
    """What decides whether a listing is open: the fields of the visibility rule.

    ``merged`` says it was merged into another listing (moderators archive the copy).
    """

    published: bool
    status: str
    archived: bool
    merged: bool = False

    @property
    def is_open(self) -> bool:
        """Public, as :func:`directory.rules.visibility.is_public` says."""
        return is_public(self.published, self.status, dt.datetime.min if self.archived else None)


def transitions(before: LifeState | None, after: LifeState | None) -> tuple[str, ...]:
    """The events a change from ``before`` to ``after`` makes; ``()`` for none.

    ``before`` is None for a new listing, ``after`` None for a deleted one.

    - a new listing that is public at once, or a listing becoming public (approved,
      reopened, brought back from the archive): "opened";
    - a public listing stopping being public: "merged" when it was just merged into
      another, else "archived" when it was just archived, else "closed" when its status
      became closed, else "withdrawn" (unpublished);
    - a deleted listing: "purged", after "withdrawn" if it was still public.
    """
    if after is None:
        if before is None:
            return ()
        return (WITHDRAWN, PURGED) if before.is_open else (PURGED,)
    if before is None:
        return (OPENED,) if after.is_open else ()
    if before.is_open == after.is_open:
        return ()
    if after.is_open:
        return (OPENED,)
    if after.merged and not before.merged:
        return (MERGED,)
    if after.archived and not before.archived:
        return (ARCHIVED,)
    if after.status == CLOSED and before.status != CLOSED:
        return (CLOSED_EVENT,)
    return (WITHDRAWN,)


def padded(codes: list[str] | tuple[str, ...] | set[str]) -> str:
    """Codes stored in one column as " a b c " (sorted, unique), so LIKE "% a %" finds one."""
    return " " + " ".join(sorted(set(codes))) + " " if codes else " "


def unpadded(text: str) -> list[str]:
    """The codes :func:`padded` stored, in order."""
    return text.split()


def verified_since(now: dt.datetime) -> dt.datetime:
    """The moment after which a check counts as recent (:data:`VERIFIED_RECENTLY_MONTHS`)."""
    return now - relativedelta(months=VERIFIED_RECENTLY_MONTHS)


def share(part: int, whole: int) -> int | None:
    """``part`` of ``whole`` as a whole percentage (rounded half up); None when ``whole`` is 0."""
    if whole <= 0:
        return None
    return (200 * part + whole) // (2 * whole)
