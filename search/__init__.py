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
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import TypeVar

from flask import Flask, current_app, has_app_context
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from directory.extensions import db
from directory.jobs import job_lock
from directory.models import utcnow
from search.cli import REBUILD_JOB, search_cli
from search.database import database_candidates
from search.documents import listing_document, listing_records
from search.interface import IndexUnavailable, SearchIndex
from search.query import SearchOutcome, SearchQuery
from search.ranking import rank_and_page
from search.sql_index import SqlIndex
from search.sync import install_index_sync
from search.whoosh_index import WhooshIndex

T = TypeVar("T")

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
    """Rebuild the app's index from the database and commit.

    Returns:
        How many listings the index holds.
    """
    index: SearchIndex = app.extensions["search"]
    # Reuse the caller's app context (and so its session) when there is one.
    inside = has_app_context() and current_app._get_current_object() is app
    with nullcontext() if inside else app.app_context():
        if isinstance(index, SqlIndex):
            return rebuild_sql_index(index, db.session, progress)
        documents = (listing_document(record) for record in listing_records(db.session))
        try:
            count = index.rebuild(documents, progress, session=db.session)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        return count


def rebuild_sql_index(
    index: SqlIndex, session: Session, progress=None, batch_size: int = 500
) -> int:
    """Rebuild the SQL index without keeping writers waiting, and commit.

    The new tables are built beside the live ones (which go on answering searches and
    taking the changes of listings edited meanwhile) in short transactions: one to
    create them, one per ``batch_size`` listings (read first, then written with the
    write lock taken up front), one to tidy them. A last short transaction swaps them
    in and indexes again, from the database, every listing changed since the first
    committed. On SQLite no transaction holds the write lock for long, so a request
    writing at the same time waits a fraction of a second rather than the whole
    rebuild (issue 20: its writers got "database is locked").
    """
    from search.sync import index_listings

    try:
        in_turn(session, index.begin_rebuild)
        count = 0
        batch: list[dict] = []

        def write_batch() -> int:
            session.commit()  # end the read: the write below takes the lock up front
            filled = in_turn(session, lambda s: index.fill(s, batch, count))
            if progress:
                progress(len(batch))
            return filled

        for record in listing_records(session):
            batch.append(listing_document(record))
            if len(batch) == batch_size:
                count = write_batch()
                batch = []
        if batch:
            count = write_batch()
        in_turn(session, index.finish_fill)

        def swap(session: Session) -> int:
            changed = index.swap(session)
            if changed:
                index_listings(session, index, changed)
            return index.check(session)

        return in_turn(session, swap)
    except BaseException:
        session.rollback()
        try:
            in_turn(session, index.abandon_rebuild)
        except Exception:
            session.rollback()
            log.exception("Could not clear an unfinished search index rebuild")
        raise


def in_turn(session: Session, step: Callable[[Session], T], attempts: int = 5) -> T:
    """Run ``step(session)`` in a write transaction of its own, commit, and return its result.

    Tries again (after a pause) when another writer held the lock all the while. Every step
    of a rebuild can run again: it starts from what the last commit left.
    """
    from directory.extensions import is_lock_error, writing

    for attempt in range(1, attempts + 1):
        try:
            with writing():
                result = step(session)
                session.commit()
            return result
        except DBAPIError as error:
            session.rollback()
            if attempt == attempts or not is_lock_error(error):
                raise
            log.warning("Search index rebuild waiting for the database (try %d)", attempt)
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def start_background_rebuild(app: Flask) -> bool:
    """Rebuild the index in a thread unless one is already running; True if started."""
    lock: threading.Lock = app.extensions["search_rebuild"]
    if not lock.acquire(blocking=False):
        return False

    def work() -> None:
        try:
            # One rebuild at a time across every node (directory.jobs): another node's
            # worker that found the index missing is rebuilding it already.
            with app.app_context(), job_lock(REBUILD_JOB) as held:
                if not held:
                    log.warning("Search index missing or corrupt: another process rebuilds it")
                    return
                log.warning("Search index missing or corrupt: rebuilding it from the database")
                count = rebuild_index(app)
            log.warning("Search index rebuilt with %d listings", count)
        except Exception:
            log.exception("Search index rebuild failed; still answering from the database")
        finally:
            lock.release()

    threading.Thread(target=work, name="search-rebuild", daemon=True).start()
    return True
