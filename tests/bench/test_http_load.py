"""The HTTP load stage (issue 17): a few seconds, a few clients, a tiny dataset."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import http_load

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GEO_TABLE = PROJECT_ROOT / "instance" / "postcodes.sqlite"


def test_the_recording_has_every_kind_of_page_and_its_bare_counterpart():
    from bench.queries import BenchQuery

    place = BenchQuery("domain_postcode", domains=("closeness",), postcode="PL4 8AA")
    mixes = {"domain_postcode": [place], "text": [BenchQuery("text", text="walking")]}
    recording = http_load.record_mix(mixes, ["listing-1"], seed=1, count=500)
    assert {item.kind for item in recording} == set(http_load.MIX)
    assert all(item.bare_path.startswith("/bare?") for item in recording)
    adds = [item for item in recording if item.kind == "shortlist_add"]
    assert adds[0].path == "/listings/listing-1/shortlist"
    assert 0.05 < len(adds) / len(recording) < 0.15


@pytest.mark.slow
@pytest.mark.skipif(not GEO_TABLE.is_file(), reason="needs instance/postcodes.sqlite (make geo)")
def test_a_short_run_reports_both_servers_with_no_errors(tmp_path):
    # A child process, as `make bench` runs it: the tests' pinned clock would date the
    # practitioners' CSRF tokens a week before the servers' real clock.
    report = tmp_path / "result.json"
    command = [
        sys.executable, "-m", "bench.http_load", "--clients", "4", "--seconds", "3",
        "--size", "300", "--workers", "1", "--out", str(tmp_path),
        "--geo-table", str(GEO_TABLE), "--json", str(report),
    ]  # fmt: skip
    done = subprocess.run(  # noqa: S603
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(report.read_text())
    for name in ("ours", "bare"):
        run = result[name]
        assert run["errors"] == 0, run["error_samples"]
        assert run["requests"] > 0 and run["pages_per_s"] > 0
        assert run["p50"] <= run["p95"] <= run["p99"]
    assert set(result["ours"]["by_kind"]) == set(http_load.MIX)
    assert result["ours"]["writes_stored"] > 0
    assert set(result["targets"]) == {"zero errors", "pages/s >= 0.5x bare", "p99 <= 4x bare"}
    assert "pages/s ratio" in done.stdout
    costs = result["costs"]
    assert set(costs["ours_by_kind"]) == set(http_load.MIX)
    assert 0 < costs["bare"] < costs["ours"]
    assert http_load.markdown(result)[0] == http_load.HEADING


def test_the_section_replaces_an_earlier_one_and_keeps_what_follows(tmp_path):
    docs = tmp_path / "benchmarks.md"
    docs.write_text(f"# Benchmarks\n\n{http_load.HEADING}\n\nold\n\n## Later\n\nkept\n")
    http_load.write_section(docs, [http_load.HEADING, "", "new", ""])
    text = docs.read_text()
    assert "old" not in text and "new" in text and text.endswith("## Later\n\nkept\n")


def test_the_cost_model_splits_a_request_into_the_page_and_its_serving():
    # 2 cores all busy at 1,000 pages/s: 2 ms of CPU a request, 0.4 of it the page.
    assert http_load.cost_model(1000.0, 0.4, 2) == {"total_ms": 2.0, "serving_ms": 1.6}
    ours = {"pages_per_s": 250.0, "p99": 400.0, "errors": 0}
    bare = {"pages_per_s": 1000.0, "p99": 100.0, "errors": 0}
    args = argparse.Namespace(clients=50, seconds=60, size=10000)
    costs = {"ours_by_kind": {"api": 2.0}, "ours": 4.8, "bare": 0.4}
    result = http_load.report(args, ours, bare, costs)
    # Half the bare page's rate allows 4 ms a request; serving costs 1.6, so the page 2.4.
    assert result["costs"]["page_budget_ms"] == 2.4
    assert "at most 2.40 ms in-process; it costs 2.0× that" in " ".join(
        http_load.cost_lines(result["costs"])
    )
