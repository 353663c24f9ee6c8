"""Whole pages against a bare page: what people wait for, not just the search (issue 17).

The *bare page* is the least a results page can be: a minimal Flask app with one view
that geocodes the postcode (the same offline table), runs the SQLite FTS5 + R*Tree
baseline query and renders the 20 names, distances and links with a plain Jinja
template; no map, no facets, no layout, no session. Against it, through Flask's test
client and interleaved query by query (so both meet the same machine), the directory's
own pages: the search page with its map and facets, ``/api/search``, and the listing page
of each search's first result.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, request

from bench.baselines import Fts5Baseline
from bench.measure import Summary
from bench.queries import BenchQuery

PAGES = ("bare", "search", "listing", "api")
PAGE_LABELS = {
    "bare": "bare page (FTS5 + R*Tree, 20 names, distances, links)",
    "search": "search page (map and facets)",
    "listing": "listing page (first result)",
    "api": "/api/search",
}
# The targets: each page's p95 at most this many times the bare page's p95.
PAGE_LIMITS = {"search": 2.0, "listing": 1.0, "api": 1.5}

BARE_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Search</title></head>
<body>
<h1>{{ total }} result{{ '' if total == 1 else 's' }}</h1>
<ol>
{%- for id, name, km in rows %}
<li><a href="/listings/{{ id }}">{{ name }}</a>
{%- if km is not none %} {{ '%.1f' | format(km) }} km away{% endif %}</li>
{%- endfor %}
</ol>
</body>
</html>
"""


def bare_app(fts_path: Path, geo_table: Path, hide_days: dict[str, int]) -> Flask:
    """The bare page at ``/bare``, taking the same query string as ``/search``."""
    from directory.geo import GeocodingError
    from directory.geo.offline import OfflinePostcodeGeocoder

    app = Flask("bare_page")
    baseline = Fts5Baseline(fts_path, hide_days)
    geocoder = OfflinePostcodeGeocoder(geo_table)
    template = app.jinja_env.from_string(BARE_TEMPLATE)

    @app.get("/bare")
    def bare() -> tuple[str, int] | str:
        args = request.args
        latitude = longitude = None
        if args.get("postcode"):
            try:
                place = geocoder.geocode(args["postcode"])
            except GeocodingError as error:
                return str(error), 400
            latitude, longitude = place.latitude, place.longitude
        query = BenchQuery(
            mix="bare",
            text=args.get("q", ""),
            domains=tuple(args.getlist("domain")),
            kinds=tuple(args.getlist("kind")),
            days=tuple(args.getlist("day")),
            postcode=args.get("postcode"),
            latitude=latitude,
            longitude=longitude,
            radius_km=float(args.get("radius_km", 5)),
        )
        rows, total = baseline.page(query)
        return template.render(rows=rows, total=total)

    app.extensions["bare_baseline"] = baseline
    app.extensions["bare_geocoder"] = geocoder
    return app


def close_bare_app(app: Flask) -> None:
    """Close the bare page's database connection."""
    app.extensions["bare_baseline"].close()


# Wall-clock time (what people wait for, the targets' measure) or this thread's CPU time
# (steadier on a shared machine: time spent waiting for a core isn't counted; SQLite runs
# in the same thread, so its work is).
CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}
_clock = CLOCKS["wall"]


def _timed(get: Callable[[str], object], path: str, into: list[float]) -> object:
    started = _clock()
    response = get(path)
    into.append((_clock() - started) * 1000)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}")
    return response


def time_pages(
    app: Flask,
    bare: Flask,
    mixes: dict[str, list[BenchQuery]],
    warmup: int = 5,
    clock: str = "wall",
) -> dict[str, dict[str, Summary]]:
    """Per mix, each page's latency through the test client (ms) for every query.

    For each query in turn: the bare page, the search page, ``/api/search`` and the
    listing page of the API's first result (when there is one). Everything is warmed up
    on a few queries first (caches, compiled templates, the map skeleton). ``clock`` is
    ``wall`` or ``cpu`` (:data:`CLOCKS`).
    """
    global _clock  # noqa: PLW0603  (one benchmark at a time)
    _clock = CLOCKS[clock]
    ours, baseline = app.test_client(), bare.test_client()
    _look_up_postcodes(bare, mixes)
    for queries in mixes.values():
        for query in queries[:warmup]:
            _one(ours, baseline, query, {page: [] for page in PAGES})
    results: dict[str, dict[str, Summary]] = {}
    for mix, queries in mixes.items():
        times: dict[str, list[float]] = {page: [] for page in PAGES}
        totals: list[int] = []
        started = time.perf_counter()
        for query in queries:
            totals.append(_one(ours, baseline, query, times))
        wall = time.perf_counter() - started
        results[mix] = {
            page: Summary.of(
                values, sum(values) / 1000 or wall, totals if page != "listing" else []
            )
            for page, values in times.items()
        }
    return results


def _look_up_postcodes(bare: Flask, mixes: dict[str, list[BenchQuery]]) -> None:
    """Look every postcode of the mix up once before timing.

    Both apps read the same table through the offline geocoder, whose answers are cached
    per process: without this, whichever page came first would pay for each lookup.
    """
    geocoder = bare.extensions["bare_geocoder"]
    for queries in mixes.values():
        for query in queries:
            if query.postcode:
                geocoder.geocode(query.postcode)


def _one(ours, baseline, query: BenchQuery, times: dict[str, list[float]]) -> int:
    """Time one query's pages; the total the API reported."""
    params = urlencode(query.params())
    _timed(baseline.get, f"/bare?{params}", times["bare"])
    _timed(ours.get, f"/search?{params}", times["search"])
    found = _timed(ours.get, f"/api/search?{params}", times["api"]).get_json()
    if found["results"]:
        _timed(ours.get, f"/listings/{found['results'][0]['id']}", times["listing"])
    return found["total"]


def page_ratios(pages: dict[str, dict[str, dict]]) -> dict[str, dict[str, float]]:
    """Per mix, each page's p95 ÷ the bare page's p95."""
    return {
        mix: {
            page: by_page[page]["p95"] / by_page["bare"]["p95"]
            for page in PAGE_LIMITS
            if by_page.get(page, {}).get("n")
        }
        for mix, by_page in pages.items()
    }
