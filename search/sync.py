"""Keep the index in step with the database, warehouse-style.

``after_flush`` collects what changed in ``session.info``; ``after_commit`` applies it
to the index; a rollback discards it. So the index only ever reflects committed data.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import current_app, has_app_context
from sqlalchemy import event, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, joinedload, selectinload

from directory.models import (
    Listing,
    ListingScore,
    Location,
    Organisation,
    Rating,
    Schedule,
    ShortlistItem,
    StillRunningConfirmation,
    Term,
    listing_term,
)
from directory.rules import uptake
from search.documents import listing_document, public_records
from search.interface import IndexUnavailable, SearchIndex

log = logging.getLogger(__name__)

PENDING = "search_pending"
BIND = "search_bind"
LISTING_LOAD_OPTIONS = (
    joinedload(Listing.organisation),
    selectinload(Listing.terms),
    selectinload(Listing.locations),
    selectinload(Listing.schedules),
    selectinload(Listing.score),
)


def install_index_sync() -> None:
    """Listen to every ORM session (idempotent)."""
    if not event.contains(Session, "after_flush", collect_changes):
        event.listen(Session, "after_flush", collect_changes)
        event.listen(Session, "after_commit", apply_changes)
        event.listen(Session, "after_soft_rollback", discard_changes)


def collect_changes(session: Session, flush_context) -> None:
    """Note which listings, organisations and terms this flush touched."""
    pending = session.info.setdefault(
        PENDING, {"listings": set(), "organisations": set(), "terms": set()}
    )
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Listing):
            pending["listings"].add(obj.id)
        elif isinstance(
            obj, Location | Schedule | ListingScore | Rating | StillRunningConfirmation
        ):
            # (Ratings carry "suits" tags; confirmations push back the staleness clock.)
            pending["listings"].add(obj.listing_id)
        elif isinstance(obj, ShortlistItem) and _uptake_changed(obj):
            pending["listings"].add(obj.listing_id)  # going pushes back the clock
        elif isinstance(obj, Organisation):
            pending["organisations"].add(obj.id)
        elif isinstance(obj, Term):
            pending["terms"].add(obj.id)
    # Remember the connection or engine: in tests it is the test's own transaction.
    session.info[BIND] = session.get_bind()


def _uptake_changed(item: ShortlistItem) -> bool:
    """True when a shortlist item's uptake answer was set or changed in this flush.

    Adding to or reordering a shortlist changes nothing search knows.
    """
    state = inspect(item)
    if state.deleted or state.was_deleted:
        return item.uptake in uptake.WENT
    return state.attrs.uptake.history.has_changes()


def note_changed_listings(session: Session, ids: Iterable[str]) -> None:
    """Have listings written by bulk SQL statements re-indexed when the session commits.

    ORM events don't see Core ``insert()``/``update()`` statements; a writer using them
    (the importers' batch path) names what it wrote here, and it is synced with
    everything else at the commit (or forgotten at a rollback).
    """
    pending = session.info.setdefault(
        PENDING, {"listings": set(), "organisations": set(), "terms": set()}
    )
    pending["listings"].update(ids)
    session.info[BIND] = session.get_bind()


def discard_changes(session: Session, previous_transaction) -> None:
    """A rollback undoes the changes, so the index must not hear of them."""
    if previous_transaction.parent is None:
        session.info.pop(PENDING, None)


def apply_changes(session: Session) -> None:
    """Re-index or remove what changed, now that it is committed.

    SQLAlchemy also fires ``after_commit`` when a savepoint is released; the changes
    are not committed yet then, so they wait for the outer transaction.
    """
    if session.get_nested_transaction() is not None:
        return
    pending = session.info.pop(PENDING, None)
    bind = session.info.pop(BIND, None)
    if not pending or not any(pending.values()) or not has_app_context():
        return
    index = current_app.extensions.get("search")
    if index is None:
        return
    try:
        sync_listings(Session(bind=bind), index, pending)
    except (IndexUnavailable, SQLAlchemyError) as problem:
        # The data is committed whatever happens here; the start-up/background rebuild
        # (or `flask search rebuild`) picks these changes up from the database.
        log.warning("Search index unavailable; change not indexed yet: %s", problem)


def sync_listings(session: Session, index: SearchIndex, pending: dict[str, set[str]]) -> None:
    """Load the affected listings and index the public ones, removing the rest."""
    with session:
        ids = set(pending["listings"])
        if pending["organisations"]:
            ids |= set(
                session.scalars(
                    select(Listing.id).where(Listing.organisation_id.in_(pending["organisations"]))
                )
            )
        if pending["terms"]:
            ids |= set(
                session.scalars(
                    select(listing_term.c.listing_id).where(
                        listing_term.c.term_id.in_(pending["terms"])
                    )
                )
            )
        ids.discard(None)
        if not ids:
            return
        index_listings(session, index, ids)
        session.commit()


def index_listings(session: Session, index, ids: set[str]) -> None:
    """Index the public listings among ``ids`` as they are now, and remove the rest.

    They are read as plain rows (:func:`search.documents.public_records`, what a rebuild
    reads too), not as ORM objects: an import commits hundreds of listings at a time.
    """
    public = public_records(session, ids)
    if public:
        index.index([listing_document(record) for record in public], session=session)
    hidden = ids - {listing.id for listing in public}
    if hidden:
        index.remove(hidden, session=session)
