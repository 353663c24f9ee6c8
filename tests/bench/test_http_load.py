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
    for name in ("ours", "layout", "bare"):
        run = result[name]
        assert run["errors"] == 0, run["error_samples"]
        assert run["requests"] > 0 and run["pages_per_s"] > 0
        assert run["p50"] <= run["p95"] <= run["p99"]
    assert set(result["ours"]["by_kind"]) == set(http_load.MIX)
    assert set(result["layout"]["by_kind"]) == {"layout_alone"}  # every one a 404, as expected
    assert result["content_budget"]["layout_ms"] > 0
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


def test_the_layout_alone_says_what_the_pages_own_work_may_cost():
    # 2 cores all busy: the bare page at 1,000 pages/s, so the target is 500 (4 ms a
    # request); the layout alone at 800 (2.5 ms) leaves 1.5 ms; ours at 250 (8 ms) spends 5.5.
    assert http_load.content_budget(250.0, 1000.0, 800.0, 2) == {
        "layout_ms": 2.5,
        "ours_ms": 5.5,
        "allowed_ms": 1.5,
    }

    def run(pages_per_s: float, p99: float, kinds: tuple = ()) -> dict:
        by_kind = {kind: {"n": 1, "p50": p99, "p99": p99} for kind in kinds}
        return {"pages_per_s": pages_per_s, "requests": 1, "p50": p99, "p95": p99, "p99": p99,
                "errors": 0, "by_kind": by_kind}  # fmt: skip

    ours, bare, layout = (
        run(250.0, 400.0, tuple(http_load.MIX)),
        run(1000.0, 100.0),
        run(800.0, 90.0),
    )
    args = argparse.Namespace(clients=50, seconds=60, size=10000)
    result = http_load.report(args, ours, bare, None, layout)
    assert result["content_budget"]["layout_ratio"] == 0.8
    text = " ".join(http_load.budget_lines(result["content_budget"]))
    assert "served 0.8× the bare page's pages/s, at 2.50 ms" in text
    assert "could cost at most 1.50 ms a request under load; it costs 5.50" in text
    assert "| ours, layout alone |" in "\n".join(http_load.markdown(result))
    # A layout slower than half the bare page leaves the pages nothing.
    slow = http_load.report(args, ours, bare, None, layout | {"pages_per_s": 400.0})
    assert "less than nothing" in " ".join(http_load.budget_lines(slow["content_budget"]))


def test_a_request_counts_as_served_only_with_its_kinds_status():
    assert http_load.layout_alone().path == http_load.LAYOUT_ALONE_PATH
    assert http_load.EXPECTED_STATUS == {"shortlist_add": 303, "layout_alone": 404}


def test_in_process_requests_send_the_practitioners_own_session_as_the_clients_do(
    app, make_user, make_listing
):
    # The clients never keep a cookie the server sets; in-process timing must not either,
    # or each add's message (shown on the page its redirect leads to, never fetched here)
    # piles up in the session every later request reads and signs.
    practitioner = http_load.signed_in(app, make_user())
    send = http_load.as_the_clients_send(app, practitioner)
    serializer = app.session_interface.get_signing_serializer(app)
    sessions = []
    for adds, listing in enumerate([make_listing(), make_listing(), make_listing()]):
        item = http_load.Recorded("shortlist_add", f"/listings/{listing.id}/shortlist", "/bare")
        response = send(item, http_load.add_form(practitioner, adds))
        assert response.status_code == 303
        cookie = response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
        sessions.append(serializer.loads(cookie))
    assert [len(session["_flashes"]) for session in sessions] == [1, 1, 1]
    assert all(session["_user_id"] == sessions[0]["_user_id"] for session in sessions)
    page = send(http_load.Recorded("listing", f"/listings/{listing.id}", "/bare"))
    assert page.status_code == 200 and "Sign out" in page.get_data(as_text=True)
