"""Finding listings: text, CIVIC domains, filters and distance, ranked.

The app calls :func:`run_search` and gets listing ids in rank order; listings are then
loaded from the database in that order. The engine is chosen by configuration
(``SEARCH_BACKEND``: ``sql``, the default, keeps the index in search tables of the
app's own database, see :mod:`search.sql_index`; ``whoosh`` a Whoosh index in a
directory; ``database`` no index at all) and stays behind this package so it can be
swapped. Every index has the same small interface, :class:`search.interface.SearchIndex`:
``index(documents)``, ``remove(ids)``, ``query(search, now)`` giving ids in rank order,
``rebuild(documents)`` and ``check()``, each taking an optional ``session`` (the SQL
index reads and writes with it; Whoosh ignores it). When the index is missing or
corrupt (:class:`search.interface.IndexUnavailable`), searches are answered from the
database while it is rebuilt in the background.

The package depends on :mod:`directory.rules`, :mod:`directory.models` and shared
plumbing (extensions, geo, vocabularies, schedules), never on a product area of
``directory``; an import-linter contract (pyproject.toml) keeps it so.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from contextlib import nullcontext

from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

from directory.extensions import db
from directory.models import utcnow
from search.cli import search_cli
from search.database import database_candidates
from search.documents import listing_document, listing_records
from search.interface import IndexUnavailable, SearchIndex
from search.query import SearchOutcome, SearchQuery
from search.ranking import rank_and_page
from search.sql_index import SqlIndex
from search.sync import install_index_sync
from search.whoosh_index import WhooshIndex

__all__ = [
    "BACKENDS",
    "IndexUnavailable",
    "SearchIndex",
    "current_index",
    "init_app",
    "make_index",
    "rebuild_index",
    "run_search",
    "start_background_rebuild",
]

BACKENDS = ("sql", "whoosh", "database")

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Attach the configured index to ``app`` and keep it in step with the database."""
    app.extensions["search"] = make_index(app.config["SEARCH_BACKEND"], app)
    app.extensions["search_rebuild"] = threading.Lock()
    install_index_sync()
    app.cli.add_command(search_cli)


def make_index(backend: str, app: Flask) -> SearchIndex | None:
    """The index for a ``SEARCH_BACKEND`` value (None for ``database``)."""
    if backend == "sql":
        return SqlIndex()
    if backend == "whoosh":
        return WhooshIndex(app.config["SEARCH_INDEX_DIR"])
    if backend == "database":
        return None
    raise ValueError(f"Unknown SEARCH_BACKEND {backend!r}; use one of {', '.join(BACKENDS)}.")


def current_index() -> SearchIndex | None:
    """The app's index, or None when searching the database only."""
    return current_app.extensions.get("search")


def run_search(
    session: Session, search: SearchQuery, now: dt.datetime | None = None
) -> SearchOutcome:
    """Answer ``search`` with a page of ranked ids, the total and facet counts."""
    now = now or utcnow()
    index = current_index()
    if index is not None:
        try:
            return index.query(search, now, session=session)
        except IndexUnavailable as problem:
            log.warning("Search index unavailable (%s); answering from the database", problem)
            start_background_rebuild(current_app._get_current_object())
    return rank_and_page(database_candidates(session, search), search, now, engine="database")


def rebuild_index(app: Flask, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the app's index from the database and commit; returns how many listings
    it holds."""
    index: SearchIndex = app.extensions["search"]
    # Reuse the caller's app context (and so its session) when there is one.
    inside = has_app_context() and current_app._get_current_object() is app
    with nullcontext() if inside else app.app_context():
        documents = (listing_document(record) for record in listing_records(db.session))
        try:
            count = index.rebuild(documents, progress, session=db.session)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        return count


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
