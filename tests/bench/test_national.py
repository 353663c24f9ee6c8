"""A national directory (issue 17): the targets and the report, and a tiny run end to end."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import national
from bench.queries import MIXES

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GEO_TABLE = PROJECT_ROOT / "instance" / "postcodes.sqlite"


def summary(p95: float) -> dict:
    return {"p50": p95 / 2, "p95": p95, "p99": p95 * 1.2}


def database(ours_p95: float, baseline_p95: float, index_s: float, edit_max_ms: float) -> dict:
    return {
        "bulk_insert_seconds": 100.0,
        "index_seconds": index_s,
        "indexed": 970_000,
        "ours": {mix: summary(ours_p95) for mix in MIXES},
        "ours_page": {mix: summary(ours_p95 + 5) for mix in MIXES},
        "baseline": {mix: summary(baseline_p95) for mix in MIXES},
        "edit": {"in_process": {"max": edit_max_ms}},
    }


def test_each_target_passes_at_its_limit_and_fails_past_it():
    at_limits = national.targets(database(15.0, 10.0, 200.0, 1000.0))
    assert all(met for *_, met in at_limits)
    past = national.targets(database(15.1, 10.0, 201.0, 1001.0))
    assert not any(met for *_, met in past)
    assert len(past) == len(MIXES) + 2


def test_the_report_names_what_missed_and_a_database_not_measured():
    run = {
        "n": 1_000_000,
        "queries": 400,
        "machine": {"Date": "today", "Cores (logical)": "2", "Run time": "50 min"},
        "sqlite": database(12.0, 10.0, 150.0, 20.0),
    }
    run["sqlite"]["ours"]["broad"] = summary(40.0)
    lines = national.report(run, argparse.Namespace(note=""))
    text = "\n".join(lines)
    assert lines[0] == national.HEADING
    assert "**PostgreSQL**: not measured in this run." in text
    assert "Missed: SQLite: “broad: kind=group near postcode (5/20 km)”" in text
    assert "4.00×" in text


@pytest.mark.slow
@pytest.mark.skipif(not GEO_TABLE.is_file(), reason="needs instance/postcodes.sqlite (make geo)")
def test_a_tiny_run_measures_both_databases(tmp_path):
    # PostgreSQL when the suite runs on it; SQLite alone otherwise.
    url = os.environ.get("TEST_DATABASE_URL", "")
    command = [
        sys.executable, "-m", "bench.national", "--size", "300", "--queries", "40",
        "--edits", "2", "--out", str(tmp_path), "--geo-table", str(GEO_TABLE),
        "--docs", str(tmp_path / "benchmarks.md"),
    ]  # fmt: skip
    command += ["--postgres-url", url] if url.startswith("postgresql") else ["--skip-postgres"]
    done = subprocess.run(  # noqa: S603
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    run = json.loads((tmp_path / "national-n300.json").read_text())
    databases = ["sqlite", "postgres"] if url.startswith("postgresql") else ["sqlite"]
    for name in databases:
        assert set(run[name]["ours"]) == set(MIXES)
        assert run[name]["indexed"] > 250
        assert run[name]["edit"]["count"] == 2
    assert (tmp_path / "benchmarks.md").read_text().lstrip().startswith(national.HEADING)


def test_reused_sqlite_figures_say_when_they_were_measured(tmp_path):
    saved = tmp_path / "national-n1000000.json"
    with pytest.raises(SystemExit, match="no SQLite figures"):
        national.reused_sqlite(saved)
    earlier = database(12.0, 10.0, 150.0, 20.0) | {"measured": "2026-12-01 10:40 UTC"}
    saved.write_text(json.dumps({"n": 1_000_000, "sqlite": earlier}))
    run = {
        "n": 1_000_000,
        "queries": 400,
        "machine": {},
        "sqlite": national.reused_sqlite(saved),
    }
    text = "\n".join(national.report(run, argparse.Namespace(note="")))
    assert "**SQLite** (measured 2026-12-01 10:40 UTC): bulk insert 100 s" in text


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="PostgreSQL's VACUUM: the suite's PostgreSQL run",
)
def test_the_directorys_tables_are_vacuumed_before_anything_is_timed(tmp_path):
    # A fresh load leaves every row's hint bits to whoever reads it first; the engine,
    # timed first, must not pay for that while the baseline (indexed after a commit) doesn't.
    import psycopg
    from flask_migrate import upgrade

    from directory.extensions import db

    url = os.environ["TEST_DATABASE_URL"]
    with national.postgres_schema(url) as schema:
        app = national.postgres_app(url, schema, tmp_path / "index", GEO_TABLE)
        with app.app_context():
            upgrade()
            db.session.remove()
        national.vacuum_schema(app)
        with psycopg.connect(url) as connection:
            rows = connection.execute(
                "SELECT relname, last_vacuum IS NOT NULL, last_analyze IS NOT NULL"
                " FROM pg_stat_user_tables WHERE schemaname = %s",
                (schema,),
            ).fetchall()
        national.dispose(app)
    assert {"listing", "location", "schedule"} <= {name for name, _, _ in rows}
    assert all(vacuumed and analysed for _, vacuumed, analysed in rows), rows
