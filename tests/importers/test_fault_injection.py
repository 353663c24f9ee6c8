"""An import killed part-way (SIGKILL) leaves only whole rows.

After a restart the search index matches the database.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.importers.conftest import good_row, xlsx_bytes

PROJECT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi.py"]
ROWS = 150
KILL_AFTER = 20  # listings visible in the database


def _flask(env: dict, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [*FLASK, *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


# Runs the import CLI in a subprocess and kills it part-way: seconds, not milliseconds.
pytestmark = pytest.mark.slow


def _listing_count(path: Path) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as connection:
            return connection.execute("SELECT count(*) FROM listing").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # locked for a moment by the writer, or not there yet


def test_a_killed_import_leaves_whole_rows_and_the_index_matches_after_restart(
    tmp_path, postcode_table
):
    database = tmp_path / "directory.sqlite"
    index_dir = tmp_path / "index"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DIRECTORY_SEARCH_INDEX_DIR": str(index_dir),
        "DIRECTORY_GEO_TABLE_PATH": str(postcode_table),
    }
    _flask(env, "db", "upgrade")
    _flask(env, "directory", "load-vocabularies")
    _flask(env, "search", "rebuild")
    rows = {f"ROW-{n:05d}": good_row(n) for n in range(1, ROWS + 1)}
    big = tmp_path / "big.xlsx"
    big.write_bytes(xlsx_bytes(list(rows.values())))

    process = subprocess.Popen(
        [*FLASK, "import", "spreadsheet", str(big), "--trusted"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240
        while _listing_count(database) < KILL_AFTER:
            assert process.poll() is None, "the import finished before it could be killed"
            assert time.monotonic() < deadline, "the import never got going"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    with sqlite3.connect(database) as connection:
        listings = connection.execute(
            "SELECT id, source_id, name, published FROM listing ORDER BY source_id"
        ).fetchall()
        assert KILL_AFTER <= len(listings) < ROWS
        for listing_id, source_id, name, published in listings:
            row = rows[source_id]
            assert (name, published) == (row["name"], 1)
            places = connection.execute(
                "SELECT postcode FROM location WHERE listing_id = ?", (listing_id,)
            ).fetchall()
            assert [p for (p,) in places] == [row["location_1_postcode"]]
            times = connection.execute(
                "SELECT count(*) FROM schedule WHERE listing_id = ? AND location_id IS NOT NULL",
                (listing_id,),
            ).fetchone()[0]
            assert times == 1
            domains = connection.execute(
                "SELECT t.code FROM listing_term lt JOIN term t ON t.id = lt.term_id "
                "WHERE lt.listing_id = ? AND t.vocabulary_code = 'civic_domain'",
                (listing_id,),
            ).fetchall()
            expected = {part.strip() for part in row["domains"].split(";")}
            assert {code for (code,) in domains} == expected
            revisions = connection.execute(
                "SELECT count(*) FROM listing_revision WHERE listing_id = ?", (listing_id,)
            ).fetchone()[0]
            assert revisions == 1
        public = {listing_id for listing_id, *_ in listings}

    # Restart: rebuild the index as start-up would, then compare it with the database.
    _flask(env, "search", "rebuild")
    with sqlite3.connect(database) as connection:
        indexed = {i for (i,) in connection.execute("SELECT listing_id FROM search_document")}
    assert indexed == public

    # And the import can simply be run again: it finishes the rest.
    finished = _flask(env, "import", "spreadsheet", str(big))
    assert (
        f"{ROWS - len(listings)} created, 0 updated, {len(listings)} unchanged" in finished.stdout
    )
