"""Timing the search: in-process, over HTTP with gunicorn, and edit-to-searchable latency."""

from __future__ import annotations

import cProfile
import datetime as dt
import http.client
import io
import json
import math
import os
import pstats
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask

from bench.queries import BenchQuery

PROJECT_ROOT = Path(__file__).resolve().parent.parent
Log = Callable[[str], None]


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """The nearest-rank ``p``th percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class Summary:
    """Latency percentiles (ms) and throughput (queries/s) of one mix on one engine."""

    n: int
    p50: float
    p95: float
    p99: float
    mean: float
    max: float
    qps: float
    nonempty: float  # share of queries with at least one result
    mean_total: float  # mean number of results (the "total" a page shows)
    max_total: int

    @classmethod
    def of(cls, latencies_ms: list[float], wall_s: float, totals: list[int]) -> Summary:
        """Summarise one run's latencies (ms), its wall time (s) and result totals."""
        values = sorted(latencies_ms)
        n = len(values)
        return cls(
            n=n,
            p50=percentile(values, 50),
            p95=percentile(values, 95),
            p99=percentile(values, 99),
            mean=sum(values) / n if n else float("nan"),
            max=values[-1] if values else float("nan"),
            qps=n / wall_s if wall_s else float("nan"),
            nonempty=sum(1 for t in totals if t) / len(totals) if totals else float("nan"),
            mean_total=sum(totals) / len(totals) if totals else float("nan"),
            max_total=max(totals, default=0),
        )

    def as_dict(self) -> dict:
        """The summary as JSON-ready values, floats rounded to 3 places."""
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


# -- in-process --------------------------------------------------------------------------


def run_in_process(
    app: Flask, mixes: dict[str, list[BenchQuery]], warmup: int = 5
) -> dict[str, dict[str, Summary]]:
    """Time ``run_search`` alone and with ``listings_in_order`` for the page, per mix.

    Each search gets a fresh session (``db.session.remove()``), as each request does.
    """
    from directory.extensions import db
    from directory.listings.services import listings_in_order
    from search import run_search

    results: dict[str, dict[str, Summary]] = {}
    with app.app_context():
        for queries in mixes.values():  # warm up: open the index, fill caches
            for query in queries[:warmup]:
                listings_in_order(db.session, run_search(db.session, query.search_query()).ids)
                db.session.remove()
        for mix, queries in mixes.items():
            search_ms, page_ms, totals = [], [], []
            started = time.perf_counter()
            for query in queries:
                search = query.search_query()
                t0 = time.perf_counter()
                outcome = run_search(db.session, search)
                t1 = time.perf_counter()
                listings = listings_in_order(db.session, outcome.ids)
                t2 = time.perf_counter()
                db.session.remove()
                if outcome.engine != app.config["SEARCH_BACKEND"]:
                    raise RuntimeError(f"searched the {outcome.engine}, not the index")
                if len(listings) != len(outcome.ids):
                    raise RuntimeError("the page lost listings the index returned")
                search_ms.append((t1 - t0) * 1000)
                page_ms.append((t2 - t0) * 1000)
                totals.append(outcome.total)
            wall = time.perf_counter() - started
            search_wall = sum(search_ms) / 1000
            results[mix] = {
                "search": Summary.of(search_ms, search_wall, totals),
                "search_page": Summary.of(page_ms, wall, totals),
            }
    return results


def profile_in_process(app: Flask, queries: list[BenchQuery]) -> pstats.Stats:
    """Profile ``run_search`` (not the page load) over ``queries`` with cProfile."""
    from directory.extensions import db
    from search import run_search

    profiler = cProfile.Profile()
    with app.app_context():
        for query in queries[:3]:
            run_search(db.session, query.search_query())
            db.session.remove()
        for query in queries:
            search = query.search_query()
            profiler.enable()
            run_search(db.session, search)
            profiler.disable()
            db.session.remove()
    return pstats.Stats(profiler)


def short_name(key: tuple[str, int, str]) -> str:
    """``file:line(function)`` with the venv and project prefixes removed."""
    path, line, function = key
    for marker in ("site-packages/", str(PROJECT_ROOT) + "/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{line}({function})" if line else function


def hotspots(stats: pstats.Stats, runs: int, top: int = 10) -> list[dict]:
    """The functions with the most own time, per run (ms) and as a share of the total."""
    total = stats.total_tt or 1.0
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    return [
        {
            "function": short_name(key),
            "calls_per_run": round(nc / runs, 1),
            "own_ms_per_run": round(tt * 1000 / runs, 2),
            "cumulative_ms_per_run": round(ct * 1000 / runs, 2),
            "own_share": round(tt / total, 3),
        }
        for key, (_cc, nc, tt, ct, _callers) in rows
    ]


def profile_text(stats: pstats.Stats, top: int = 30) -> str:
    """The usual pstats listings, by own time and by cumulative time."""
    buffer = io.StringIO()
    stats.stream = buffer
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return buffer.getvalue().replace(str(PROJECT_ROOT) + "/", "")


# -- over HTTP ---------------------------------------------------------------------------


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(port: int, path: str, timeout: float = 30.0) -> tuple[int, bytes]:
    """GET ``path`` from 127.0.0.1:``port``; the status and body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Accept": "application/json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def search_path(query: BenchQuery) -> str:
    """The ``/api/search`` URL path for a query."""
    return "/api/search?" + urlencode(query.params())


@contextmanager
def gunicorn(
    database_url: str, index_dir: Path, geo_table: Path, log_path: Path, workers: int = 2
) -> Iterator[int]:
    """Serve the app with ``gunicorn -w 2`` on a free loopback port; yields the port."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DIRECTORY_SQLALCHEMY_DATABASE_URI=database_url,
        DIRECTORY_SEARCH_INDEX_DIR=str(index_dir),
        DIRECTORY_GEO_TABLE_PATH=str(geo_table),
        DIRECTORY_SECRET_KEY="bench-only",
    )
    command = [
        sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
        "--log-level", "warning", "wsgi:app",
    ]  # fmt: skip
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited early; see {log_path}")
                try:
                    status, _ = get(port, "/api/search?q=walking", timeout=5)
                    if status == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not answer within 60 s; see {log_path}")
                time.sleep(0.2)
            yield port
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def run_http(
    port: int, mixes: dict[str, list[BenchQuery]], clients: int = 4, warmup: int = 10
) -> dict[str, Summary]:
    """Time ``/api/search`` with ``clients`` concurrent clients, per mix."""

    def fetch(query: BenchQuery) -> tuple[float, int]:
        path = search_path(query)
        started = time.perf_counter()
        status, body = get(port, path)
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            raise RuntimeError(f"{path} answered {status}: {body[:300]!r}")
        return elapsed, json.loads(body)["total"]

    results: dict[str, Summary] = {}
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for queries in mixes.values():  # warm both workers
            list(pool.map(fetch, queries[:warmup]))
        for mix, queries in mixes.items():
            started = time.perf_counter()
            answers = list(pool.map(fetch, queries))
            wall = time.perf_counter() - started
            results[mix] = Summary.of([a[0] for a in answers], wall, [a[1] for a in answers])
    return results


# -- edit latency --------------------------------------------------------------------------


def measure_edit_latency(
    app: Flask, seed: int, count: int = 20, port: int | None = None, timeout_s: float = 5.0
) -> dict:
    """Rename listings through the ORM, commit, and time until a search finds the new name.

    The clock starts before ``commit()`` (the session events re-index after commit) and
    stops when a text search for the new name returns the listing: in this process, and
    when ``port`` is given, also from a gunicorn worker over HTTP.
    """
    from directory.extensions import db
    from directory.models import Listing, public_listings, utcnow
    from search import run_search

    rng = random.Random(f"bench-edits-{seed}")
    in_process_ms: list[float] = []
    commit_ms: list[float] = []
    http_ms: list[float] = []
    with app.app_context():
        # Listings checked recently, so default search shows them (older ones are hidden).
        recent = utcnow() - dt.timedelta(days=300)
        ids = sorted(
            db.session.scalars(
                public_listings()
                .with_only_columns(Listing.id)
                .where(Listing.last_verified_at > recent)
            )
        )
        chosen = rng.sample(ids, count)
        db.session.remove()
        for listing_id in chosen:
            word = "benchedit" + "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(8))
            listing = db.session.get(Listing, listing_id)
            listing.name = f"{word} {listing.name}"
            started = time.perf_counter()
            db.session.commit()
            committed = time.perf_counter()
            db.session.remove()
            search = BenchQuery("edit", text=word).search_query()
            found_at = _poll(
                lambda search=search, listing_id=listing_id: (
                    listing_id in run_search(db.session, search).ids
                ),
                started + timeout_s,
                db.session.remove,
            )
            commit_ms.append((committed - started) * 1000)
            in_process_ms.append((found_at - started) * 1000)
            if port is not None:
                path = "/api/search?" + urlencode({"q": word})
                found_at = _poll(
                    lambda path=path, listing_id=listing_id: (
                        listing_id in {r["id"] for r in json.loads(get(port, path)[1])["results"]}
                    ),
                    started + timeout_s,
                )
                http_ms.append((found_at - started) * 1000)
    result = {
        "count": count,
        "commit": Summary.of(commit_ms, sum(commit_ms) / 1000, [1] * count).as_dict(),
        "in_process": Summary.of(in_process_ms, sum(in_process_ms) / 1000, [1] * count).as_dict(),
    }
    if http_ms:
        result["http"] = Summary.of(http_ms, sum(http_ms) / 1000, [1] * count).as_dict()
    return result


def _poll(found: Callable[[], bool], deadline: float, after: Callable | None = None) -> float:
    """Call ``found`` until it is true; when it was (or inf after ``deadline``)."""
    while True:
        ok = found()
        now = time.perf_counter()
        if after:
            after()
        if ok:
            return now
        if now > deadline:
            return math.inf
        time.sleep(0.005)


def profile_index_build(database_url: str, index_dir: Path, geo_table: Path) -> pstats.Stats:
    """Profile ``search.rebuild_index`` from ``database_url`` into a scratch ``index_dir``."""
    import search
    from bench.dataset import make_app

    app = make_app(database_url, index_dir, geo_table)
    profiler = cProfile.Profile()
    profiler.enable()
    search.rebuild_index(app)
    profiler.disable()
    return pstats.Stats(profiler)


def cumulative_share(stats: pstats.Stats, functions: dict[str, str]) -> dict[str, float]:
    """For each label, the share of all time spent inside the named function.

    ``functions`` maps a label to ``"path-suffix:function"``, e.g.
    ``"whoosh/writing.py:commit"``.
    """
    total = max((ct for _cc, _nc, _tt, ct, _ in stats.stats.values()), default=1.0) or 1.0
    shares = {}
    for label, spec in functions.items():
        suffix, _, function = spec.rpartition(":")
        shares[label] = round(
            sum(
                ct
                for (path, _line, name), (_cc, _nc, _tt, ct, _) in stats.stats.items()
                if name == function and path.endswith(suffix)
            )
            / total,
            3,
        )
    return shares
