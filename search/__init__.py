"""Finding listings: text, CIVIC domains, filters and distance, ranked.

The app calls :func:`run_search` and gets listing ids in rank order; listings are then
loaded from the database in that order. The engine is chosen by configuration
(``SEARCH_BACKEND``: ``sql``, the default, keeps the index in search tables of the
app's own database, see :mod:`search.sql_index`; ``whoosh`` a Whoosh index in a
directory; ``database`` no index at all) and stays behind this package so it can be
swapped. Every index has the same small interface: ``index(documents)``,
``remove(ids)``, ``query(search, now)`` giving ids in rank order, ``rebuild(documents)``
and ``check()``; writing methods and ``query`` take an optional ``session`` (the SQL
index writes with it; Whoosh ignores it). When the index is missing or corrupt,
searches are answered from the database while it is rebuilt in the background.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from contextlib import nullcontext

from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

from search.query import SearchOutcome, SearchQuery
from search.sql_index import SqlIndex
from search.whoosh_index import IndexUnavailable, WhooshIndex

SearchIndex = SqlIndex | WhooshIndex
BACKENDS = ("sql", "whoosh", "database")

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Attach the configured index to ``app`` and keep it in step with the database."""
    from search.sync import install_index_sync

    app.extensions["search"] = make_index(app.config["SEARCH_BACKEND"], app)
    app.extensions["search_rebuild"] = threading.Lock()
    install_index_sync()

    from search.cli import search_cli

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
    from directory.models import utcnow
    from search.database import database_candidates
    from search.ranking import rank_and_page

    now = now or utcnow()
    index = current_index()
    if index is not None:
        try:
            return index.query(search, now, session=session)
        except IndexUnavailable as problem:
            log.warning("Search index unavailable (%s); answering from the database", problem)
            start_background_rebuild(current_app._get_current_object())
    return rank_and_page(database_candidates(session, search), search, now, engine="database")


def rebuild_index(app: Flask, progress=None) -> int:
    """Rebuild the app's index from the database and commit; returns how many listings
    it holds."""
    from directory.extensions import db
    from search.documents import listing_document, listing_records

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
