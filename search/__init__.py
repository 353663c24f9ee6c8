"""Finding listings: text, CIVIC domains, filters and distance, ranked.

The app calls :func:`run_search` and gets listing ids in rank order; listings are then
loaded from the database in that order. The engine is chosen by configuration
(``SEARCH_BACKEND``: ``whoosh`` or ``database``) and stays behind this package so it
can be swapped. When the index is missing or corrupt, searches are answered from the
database while it is rebuilt in the background.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from contextlib import nullcontext

from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

from search.query import SearchOutcome, SearchQuery
from search.whoosh_index import IndexUnavailable, WhooshIndex

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Attach the configured index to ``app`` and keep it in step with the database."""
    from search.sync import install_index_sync

    backend = app.config["SEARCH_BACKEND"]
    if backend == "whoosh":
        app.extensions["search"] = WhooshIndex(app.config["SEARCH_INDEX_DIR"])
    elif backend == "database":
        app.extensions["search"] = None
    else:
        raise ValueError(f"Unknown SEARCH_BACKEND {backend!r}; use 'whoosh' or 'database'.")
    app.extensions["search_rebuild"] = threading.Lock()
    install_index_sync()

    from search.cli import search_cli

    app.cli.add_command(search_cli)


def current_index() -> WhooshIndex | None:
    """The app's index, or None when searching the database only."""
    return current_app.extensions.get("search")


def run_search(
    session: Session, search: SearchQuery, now: dt.datetime | None = None
) -> SearchOutcome:
    """Answer ``search`` with a page of ranked ids, the total and facet counts."""
    from directory.models import utcnow
    from search.database import database_candidates
    from search.ranking import rank_and_page

    now = now or utcnow()
    index = current_index()
    if index is not None:
        try:
            return index.query(search, now)
        except IndexUnavailable as problem:
            log.warning("Search index unavailable (%s); answering from the database", problem)
            start_background_rebuild(current_app._get_current_object())
    return rank_and_page(database_candidates(session, search), search, now, engine="database")


def rebuild_index(app: Flask, progress=None) -> int:
    """Rebuild the app's index from the database; returns how many listings it holds."""
    from directory.extensions import db
    from directory.models import Listing
    from search.database import public_listings
    from search.documents import listing_document
    from search.sync import LISTING_LOAD_OPTIONS

    index: WhooshIndex = app.extensions["search"]
    # Reuse the caller's app context (and so its session) when there is one.
    inside = has_app_context() and current_app._get_current_object() is app
    with nullcontext() if inside else app.app_context():
        stmt = public_listings().options(*LISTING_LOAD_OPTIONS).order_by(Listing.id)
        documents = (listing_document(listing) for listing in _in_batches(db.session, stmt))
        return index.rebuild(documents, progress)


def _in_batches(session: Session, stmt, size: int = 500):
    """Yield the rows of ``stmt`` a batch at a time, so memory stays flat at 100k."""
    offset = 0
    while True:
        batch = session.scalars(stmt.limit(size).offset(offset)).unique().all()
        yield from batch
        if len(batch) < size:
            return
        offset += size


def start_background_rebuild(app: Flask) -> bool:
    """Rebuild the index in a thread unless one is already running; True if started."""
    lock: threading.Lock = app.extensions["search_rebuild"]
    if not lock.acquire(blocking=False):
        return False

    def work() -> None:
        try:
            log.warning("Search index missing or corrupt: rebuilding it from the database")
            count = rebuild_index(app)
            log.warning("Search index rebuilt with %d listings", count)
        except Exception:
            log.exception("Search index rebuild failed; still answering from the database")
        finally:
            lock.release()

    threading.Thread(target=work, name="search-rebuild", daemon=True).start()
    return True
