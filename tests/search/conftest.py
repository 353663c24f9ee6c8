"""Search fixtures: run a query through the real service, on either engine."""

from __future__ import annotations

import pytest
from flask import Flask

from directory.models import utcnow
from search import run_search
from search.query import GeoPoint, SearchQuery

PL4_8AA = GeoPoint(50.37545, -4.13791)


@pytest.fixture(params=["whoosh", "database"])
def engine(request, app: Flask, search_index):
    """Each test using this runs once on the Whoosh index and once on the database."""
    if request.param == "database":
        app.extensions["search"] = None
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
