"""Search fixtures: run a query through the real service, on either engine."""

from __future__ import annotations

import pytest
from flask import Flask

from directory.models import utcnow
from search import run_search
from search.query import GeoPoint, SearchQuery
from tests.conftest import empty_index

PL4_8AA = GeoPoint(50.37545, -4.13791)


@pytest.fixture(params=["sql", "whoosh", "database"])
def engine(request, app: Flask, search_index, tmp_path):
    """Each test using this runs on the SQL index, the Whoosh index and the database."""
    if request.param == "database":
        app.extensions["search"] = None
    elif request.param != app.config["SEARCH_BACKEND"]:
        app.extensions["search"] = empty_index(app, request.param, tmp_path)
    return request.param


@pytest.fixture
def find(db):
    """Run a search and return (ids in order, outcome)."""

    def run(**fields):
        outcome = run_search(db.session, SearchQuery(**fields), now=utcnow())
        return outcome.ids, outcome

    return run


@pytest.fixture
def commit(db):
    """Commit the test session (a savepoint release) so the index hears of changes."""

    def run():
        db.session.commit()

    return run
