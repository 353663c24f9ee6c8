"""The index follows committed database changes, and only committed ones."""

from __future__ import annotations

import datetime as dt
import gc
import logging
import shutil

import pytest
from sqlalchemy import delete, text

from directory.models import Listing, Location, Schedule
from search import rebuild_index, run_search
from search.interface import IndexUnavailable
from search.query import SearchQuery
from tests.conftest import empty_index
from tests.search.conftest import PL4_8AA


@pytest.fixture(params=["sql", "whoosh"])
def search_index(request, app, tmp_path):
    """Every test here runs on both indexes."""
    index = empty_index(app, request.param, tmp_path)
    previous = app.extensions["search"]
    app.extensions["search"] = index
    yield index
    app.extensions["search"] = previous


def indexed_ids(search_index) -> set[str]:
    return search_index.indexed_ids()


def remove_index(db, index) -> None:
    """Take the index away, as a deleted directory or dropped tables would."""
    if index.name == "whoosh":
        shutil.rmtree(index.directory)
    else:
        db.session.execute(text("DROP TABLE search_document"))


def corrupt_index(db, index) -> None:
    """Damage the index's files or tables."""
    if index.name == "whoosh":
        for path in index.directory.iterdir():
            path.write_bytes(b"garbage")
        index._local.__dict__.clear()
    else:  # tables left by another version, or damaged: the version row is unreadable
        db.session.execute(text("UPDATE search_meta SET value = 'garbage'"))


def test_new_listing_is_indexed_after_commit_not_before(db, make_listing, search_index):
    listing = make_listing(name="Seaside Sketching")
    assert listing.id not in indexed_ids(search_index)  # flushed, not committed
    db.session.commit()
    assert listing.id in indexed_ids(search_index)


def test_rollback_never_touches_the_index(db, make_listing, search_index):
    db.session.begin_nested()
    make_listing(name="Never Committed")
    db.session.rollback()
    db.session.commit()
    assert indexed_ids(search_index) == set()


def test_released_savepoint_waits_for_the_outer_commit(db, make_listing, search_index):
    with db.session.begin_nested():
        listing = make_listing(name="Harbour Walkers")
    assert listing.id not in indexed_ids(search_index)  # savepoint released, not committed
    db.session.commit()
    assert listing.id in indexed_ids(search_index)


def test_edit_reaches_the_index(db, make_listing, find):
    listing = make_listing(name="Knitting Circle")
    db.session.commit()
    listing.name = "Crochet Circle"
    db.session.commit()
    assert find(text="crochet")[0] == [listing.id]
    assert find(text="knitting")[0] == []


def test_close_unpublish_and_delete_remove_from_index(db, make_listing, search_index):
    closing, hiding, deleting, staying = (make_listing() for _ in range(4))
    db.session.commit()
    closing.status = "closed"
    hiding.published = False
    db.session.delete(deleting)
    db.session.commit()
    assert indexed_ids(search_index) == {staying.id}
    closing.status = "active"
    db.session.commit()
    assert indexed_ids(search_index) == {staying.id, closing.id}


def test_location_schedule_and_vocabulary_changes_are_indexed(db, make_listing, find):
    listing = make_listing(latitude=51.0, longitude=-1.0, domains=("beyond",))
    db.session.commit()
    assert find(point=PL4_8AA, radius_km=5)[0] == []
    location = db.session.get(Location, listing.locations[0].id)
    location.latitude, location.longitude = 50.3755, -4.1379
    db.session.commit()
    assert find(point=PL4_8AA, radius_km=5)[0] == [listing.id]

    schedule = db.session.get(Schedule, listing.schedules[0].id)
    schedule.byday = "SA"
    db.session.commit()
    assert find(days=("SA",))[0] == [listing.id]
    assert find(days=("TU",))[0] == []

    from directory.models import Term
    from directory.vocabularies import term_id

    listing.terms = [db.session.get(Term, term_id("civic_domain", "closeness"))]
    db.session.commit()
    assert find(domains=("closeness",))[0] == [listing.id]
    assert find(domains=("beyond",))[0] == []


def test_organisation_rename_reindexes_its_listings(db, make_listing, find):
    listing = make_listing(name="Morning Group")
    db.session.commit()
    listing.organisation.name = "Zephyr Wellbeing Trust"
    db.session.commit()
    assert find(text="zephyr")[0] == [listing.id]


def test_bulk_delete_then_rebuild_matches_database(app, db, make_listing, search_index):
    keep = make_listing()
    gone = make_listing()
    db.session.commit()
    # A bulk statement bypasses ORM events: only a rebuild catches it up.
    db.session.execute(delete(Listing).where(Listing.id == gone.id))
    db.session.commit()
    assert gone.id in indexed_ids(search_index)
    assert rebuild_index(app) == 1
    assert indexed_ids(search_index) == {keep.id}


def test_missing_index_falls_back_to_database_and_rebuilds(
    app, db, make_listing, search_index, caplog, monkeypatch
):
    listing = make_listing(name="Fallback Friends")
    db.session.commit()
    started = []
    monkeypatch.setattr("search.start_background_rebuild", lambda app: started.append(app))
    remove_index(db, search_index)
    with caplog.at_level(logging.WARNING):
        outcome = run_search(db.session, SearchQuery(text="fallback"))
    assert outcome.engine == "database"
    assert outcome.ids == [listing.id]
    assert started, "a rebuild should have been started"
    assert "answering from the database" in caplog.text
    assert rebuild_index(app) == 1
    assert run_search(db.session, SearchQuery(text="fallback")).engine == search_index.name


# Whoosh leaks the handle of a corrupt table-of-contents file it fails to parse.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_corrupt_index_is_detected_and_rebuilt(app, db, make_listing, search_index, monkeypatch):
    listing = make_listing(name="Corrupt Test")
    db.session.commit()
    # The test's connection can't be shared with a rebuild thread; rebuild here instead.
    monkeypatch.setattr("search.start_background_rebuild", lambda app: None)
    corrupt_index(db, search_index)
    try:
        search_index.check()
    except IndexUnavailable:
        pass
    else:  # pragma: no cover - the assertion below explains
        raise AssertionError("a corrupt index must be reported as unavailable")
    outcome = run_search(db.session, SearchQuery(text="corrupt"))
    assert outcome.engine == "database" and outcome.ids == [listing.id]
    assert rebuild_index(app) == 1
    assert run_search(db.session, SearchQuery(text="corrupt")).ids == [listing.id]
    gc.collect()  # surface the leaked handle's warning here, where it is expected


def test_background_rebuild_runs_once_at_a_time(app, db, make_listing, search_index):
    import search as search_package

    lock = app.extensions["search_rebuild"]
    lock.acquire()
    try:
        assert search_package.start_background_rebuild(app) is False
    finally:
        lock.release()


def test_rebuild_command_reports_count(db, make_listing, runner):
    make_listing()
    make_listing(status="closed")
    db.session.commit()
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Indexed 1 listings." in result.output
    status = runner.invoke(args=["search", "status"])
    assert ": 1 listings." in status.output


def test_did_you_mean(db, make_listing, find):
    make_listing(name="Allotment project", summary="Growing vegetables together")
    db.session.commit()
    ids, outcome = find(text="allotmnet")
    assert ids == []
    assert outcome.suggestion == "allotment"
    assert find(text="allotment")[1].suggestion is None


def test_edited_listing_time_is_recorded(db, make_listing, find, now):
    listing = make_listing(last_verified_at=now - dt.timedelta(days=326))
    db.session.commit()
    listing.last_verified_at = now - dt.timedelta(days=1)
    db.session.commit()
    assert find(sort="verified")[0] == [listing.id]
