"""The search package's plumbing: choosing an engine, rebuild steps under locks, the CLI."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy.exc import OperationalError

import search
from search.interface import IndexUnavailable


def test_each_backend_setting_gives_its_engine_and_a_typo_is_refused(app, tmp_path):
    assert search.make_index("sql", app).name == "sql"
    assert search.make_index("database", app) is None
    with pytest.raises(ValueError, match="Unknown SEARCH_BACKEND 'solr'"):
        search.make_index("solr", app)


def _locked() -> OperationalError:
    original = sqlite3.OperationalError("database is locked")
    original.sqlite_errorcode = 5  # SQLITE_BUSY
    return OperationalError("COMMIT", {}, original)


def test_a_rebuild_step_waits_out_a_lock_and_runs_again(db, monkeypatch):
    monkeypatch.setattr(search.time, "sleep", lambda seconds: None)
    calls = []

    def step(session):
        calls.append(1)
        if len(calls) < 3:
            raise _locked()
        return "done"

    assert search.in_turn(db.session, step) == "done"
    assert len(calls) == 3


def test_a_rebuild_step_gives_up_after_its_attempts_and_on_other_errors(db, monkeypatch):
    monkeypatch.setattr(search.time, "sleep", lambda seconds: None)
    calls = []

    def always_locked(session):
        calls.append(1)
        raise _locked()

    with pytest.raises(OperationalError):
        search.in_turn(db.session, always_locked, attempts=2)
    assert len(calls) == 2

    def broken(session):
        calls.append(1)
        raise OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x"))

    calls.clear()
    with pytest.raises(OperationalError):
        search.in_turn(db.session, broken)
    assert len(calls) == 1  # not a lock: no second try


def test_a_second_background_rebuild_is_not_started_while_one_runs(app):
    lock: threading.Lock = app.extensions["search_rebuild"]
    assert lock.acquire(blocking=False)
    try:
        assert search.start_background_rebuild(app) is False
    finally:
        lock.release()


def test_cli_says_plainly_when_there_is_no_index(app, runner, monkeypatch):
    monkeypatch.setitem(app.extensions, "search", None)
    status = runner.invoke(args=["search", "status"])
    assert status.exit_code == 0 and "SEARCH_BACKEND=database" in status.output
    rebuild = runner.invoke(args=["search", "rebuild"])
    assert rebuild.exit_code != 0 and "no index to build" in rebuild.output


def test_cli_status_of_an_unusable_index_says_to_rebuild(app, runner, monkeypatch):
    class Broken:
        name = "sql"

        def check(self, session=None):
            raise IndexUnavailable("the search tables are missing")

    monkeypatch.setitem(app.extensions, "search", Broken())
    result = runner.invoke(args=["search", "status"])
    assert result.exit_code != 0
    assert (
        "the search tables are missing" in result.output and "flask search rebuild" in result.output
    )
