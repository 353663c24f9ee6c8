"""A search index rebuild never keeps writers waiting (issue 20).

The SQL index is built in shadow tables, a batch per short transaction, and swapped in by
one short transaction that also re-indexes the listings changed meanwhile.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from directory.demo import load_demo
from directory.extensions import db as _db
from directory.models import Listing
from directory.vocabularies import load_vocabularies
from search import rebuild_index, run_search
from search.query import SearchQuery
from tests.conftest import database_url, make_test_app, throwaway_database


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory, postcode_table: Path) -> Iterator:
    """An app over a committed demo directory of its own, indexed."""
    from flask_migrate import upgrade

    with throwaway_database(tmp_path_factory, "rebuild") as settings:
        app = make_test_app(settings, postcode_table, tmp_path_factory.mktemp("rebuild"))
        with app.app_context():
            upgrade()
            load_vocabularies(_db.session)
            load_demo(_db.session, count=60)
            _db.session.commit()
            rebuild_index(app)
            _db.session.remove()
        yield app, settings
        with app.app_context():
            for engine in _db.engines.values():
                engine.dispose()


def found(app, words: str) -> list[str]:
    with app.app_context():
        outcome = run_search(_db.session, SearchQuery(text=words))
        _db.session.remove()
    return list(outcome.ids)


def test_listings_changed_during_a_rebuild_are_in_the_index_it_swaps_in(demo_app):
    app, settings = demo_app
    with app.app_context():
        first, second = _db.session.scalars(select(Listing.id).order_by(Listing.id).limit(2))
        _db.session.remove()
    writers_waited: list[str] = []

    def meanwhile(_batch: int) -> None:
        """Between two steps of the rebuild: another request edits two listings."""
        with app.app_context():
            listing = _db.session.get(Listing, first)
            listing.name = "Quokka appreciation society"
            _db.session.get(Listing, second).published = False
            _db.session.commit()  # indexed after commit, and noted for the swap
            assert found(app, "quokka") == [first]  # the live index took the edit
            _db.session.remove()
        if database_url() is None:
            # SQLite: no write lock is held between the rebuild's steps.
            path = settings["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
            except sqlite3.OperationalError as error:
                writers_waited.append(str(error))
            finally:
                other.close()

    with app.app_context():
        count = rebuild_index(app, progress=meanwhile)
        leftovers = _db.session.execute(
            text("SELECT count(*) FROM search_meta WHERE key = 'rebuilding'")
        ).scalar()
        _db.session.remove()
    assert writers_waited == []
    assert found(app, "quokka") == [first]
    with app.app_context():
        from search.sql_index import SqlIndex

        indexed = SqlIndex().indexed_ids(_db.session)
        _db.session.remove()
    assert second not in indexed and first in indexed
    assert count == len(indexed)
    assert leftovers == 0


def test_a_failed_rebuild_leaves_the_live_index_as_it_was(demo_app):
    app, _ = demo_app
    with app.app_context():
        before = found(app, "walking")

        def fail(_batch: int) -> None:
            raise RuntimeError("disk full")

        with pytest.raises(RuntimeError):
            rebuild_index(app, progress=fail)
        marks = _db.session.execute(
            text("SELECT count(*) FROM search_meta WHERE key = 'rebuilding'")
        ).scalar()
        _db.session.remove()
    assert marks == 0
    assert found(app, "walking") == before
