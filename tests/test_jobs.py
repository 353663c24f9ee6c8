"""Scheduled jobs run once at a time across nodes (directory.jobs).

Holding a job's lock here stands in for another node running it: on PostgreSQL an
advisory lock on another connection, on SQLite a ``flock`` on another open file. The
cluster suite (tests/cluster) starts the jobs on two nodes at once.
"""

from __future__ import annotations

import logging
import threading
import time

import pytest
from flask import Flask

from directory.jobs import job_lock, lock_key
from search import start_background_rebuild
from search.cli import REBUILD_JOB

SKIPPED = "already running on another node or process; nothing done here."


@pytest.mark.parametrize(
    ("job", "command"),
    [
        ("send-reminders", ["directory", "send-reminders"]),
        ("purge-archived", ["directory", "purge-archived"]),
        ("send-outbox", ["directory", "send-outbox"]),
        ("import-sync", ["import", "sync"]),
        ("send-digests", ["directory", "send-digests"]),
    ],
)
def test_a_job_running_elsewhere_is_not_run_again(app: Flask, runner, job, command):
    with job_lock(job) as held:
        assert held
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
        assert result.output.strip() == f"{job}: {SKIPPED}"
        with job_lock(job) as again:  # nor by this process a second time
            assert not again
    # Once the other run is over, the job runs.
    result = runner.invoke(args=command)
    assert SKIPPED not in result.output


def test_different_jobs_and_directories_have_different_locks(app: Flask, runner):
    with job_lock("send-reminders") as held:
        assert held
        result = runner.invoke(args=["directory", "purge-archived"])
        assert result.exit_code == 0 and result.output.startswith("Purged ")
    keys = {lock_key(name, schema) for name in ("a", "b") for schema in ("", "region_2")}
    assert len(keys) == 4


def test_a_rebuild_waits_for_the_one_running(app: Flask, runner, search_index):
    holding, release = threading.Event(), threading.Event()

    def other_node() -> None:
        with app.app_context(), job_lock(REBUILD_JOB) as held:
            assert held
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=other_node)
    thread.start()
    try:
        assert holding.wait(10)
        threading.Timer(0.3, release.set).start()
        started = time.monotonic()
        result = runner.invoke(args=["search", "rebuild"])
    finally:
        release.set()
        thread.join(10)
    assert result.exit_code == 0, result.output
    assert "Another rebuild is running" in result.output and "Indexed 0 listings." in result.output
    assert time.monotonic() - started >= 0.25


def test_a_background_rebuild_leaves_it_to_the_process_rebuilding(
    app: Flask, db, search_index, caplog
):
    caplog.set_level(logging.WARNING, logger="search")
    with job_lock(REBUILD_JOB) as held:
        assert held
        assert start_background_rebuild(app)
        lock = app.extensions["search_rebuild"]
        assert lock.acquire(timeout=10)  # the thread has finished
        lock.release()
    assert "another process rebuilds it" in caplog.text
    assert "rebuilt with" not in caplog.text
