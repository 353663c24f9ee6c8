"""The commissioner coverage benchmark of issue 19: ``python -m bench.insights_bench``.

At 100,000 listings (the search benchmark's generated data, built or reused in its own
directory), for a seeded sample of places and filter sets, times in the same run and
interleaved place by place:

- the baseline: a domain + postcode search for the place and filters (what a practitioner
  runs), through ``search.run_search`` as ``/api/search`` does;
- the coverage grid with its gaps (:func:`directory.insights.services.coverage_for_area`:
  one counting search, then a nearest-listing search per gap);
- a region's hexagon map for one domain (:func:`directory.insights.services.hex_map`) at
  the page's radius and across a 20 km region.

Targets: grid p95 <= 2x the baseline's p95; region map p95 <= 10x. Places are placed as
the offline geocoder would (no lookup timed, as in the search benchmark). ``--docs``
writes the figures into ``docs/benchmarks.md`` (its own section, replaced on each run).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.dataset import CIVIC_DOMAINS, PostcodeSampler, ensure_dataset
from bench.measure import percentile
from bench.report import load_average, machine_info, replace_section

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = Path(tempfile.gettempdir()) / "civic-insights-bench"
HEADING = "## Commissioner coverage benchmark (issue 19)"
FILTER_SETS = (
    {},
    {"cost": ["free"]},
    {"cost": ["free"], "part": ["evening"]},
    {"kind": ["group"], "delivered_by": ["peers"]},
)
REGION_KM = 20.0


def log(message: str) -> None:
    """Progress on stdout, at once."""
    print(message, flush=True)


@dataclass
class Timings:
    """Latencies in milliseconds of each measured operation."""

    search: list[float]
    grid: list[float]
    map_page: list[float]
    map_region: list[float]

    def p(self, name: str, q: float) -> float:
        """The ``q`` percentile of one operation's latencies."""
        return percentile(sorted(getattr(self, name)), q)


def coverage_args(filters: dict, radius_km: float) -> dict:
    """Loaded coverage arguments, as the page's schema would give them."""
    from directory.insights.schemas import COVERAGE_ARGS

    return COVERAGE_ARGS.load({"postcode": "X", "radius_km": radius_km, **filters})


def timed(work, *arguments) -> tuple[float, object]:
    """(milliseconds, result) of calling ``work(*arguments)``."""
    started = time.perf_counter()
    result = work(*arguments)
    return (time.perf_counter() - started) * 1000, result


def measure(app, places, radius_km: float, log_every: int = 25) -> tuple[Timings, dict]:
    """Time the baseline, the grid and both maps for each (place, filters), interleaved."""
    from directory.extensions import db
    from directory.geo import GeoResult
    from directory.insights import services
    from directory.search_ui.services import build_query
    from search import run_search

    timings = Timings([], [], [], [])
    seen = {"gaps": 0, "cells": 0, "region_cells": 0, "listings_in_grid": 0}
    with app.app_context():
        for i, (point, filters, domain) in enumerate(places):
            args = coverage_args(filters, radius_km)
            area = services.Area(point.postcode, point.postcode, "postcode",
                                 point.latitude, point.longitude, radius_km)  # fmt: skip
            region = services.Area(point.postcode, point.postcode, "postcode",
                                   point.latitude, point.longitude, REGION_KM)  # fmt: skip
            location = GeoResult(point.postcode, point.postcode, point.latitude,
                                 point.longitude, "postcode")  # fmt: skip
            search_args = {**args, "domain": [domain], "match": "any", "sort": "best",
                           "page": 1, "per_page": 20}  # fmt: skip
            ms, _ = timed(run_search, db.session, build_query(search_args, location))
            timings.search.append(ms)
            ms, report = timed(services.coverage_for_area, db.session, args, area)
            timings.grid.append(ms)
            ms, hexes = timed(services.hex_map, db.session, args, area, domain)
            timings.map_page.append(ms)
            region_args = {**args, "radius_km": REGION_KM}
            ms, wide = timed(services.hex_map, db.session, region_args, region, domain)
            timings.map_region.append(ms)
            seen["gaps"] += len(report.gaps)
            seen["listings_in_grid"] += report.grid.total
            seen["cells"] += len(hexes.cells)
            seen["region_cells"] += len(wide.cells)
            db.session.rollback()
            if (i + 1) % log_every == 0:
                log(f"  {i + 1}/{len(places)} places")
    return timings, seen


def sample_places(geo_table: Path, count: int, seed: int) -> list:
    """``count`` (postcode point, filter set, domain) triples, seeded."""
    sampler = PostcodeSampler(geo_table)
    try:
        points = sampler.sample(random.Random(f"insights-bench-{seed}"), count)
    finally:
        sampler.close()
    rng = random.Random(f"insights-bench-filters-{seed}")
    return [(p, FILTER_SETS[i % len(FILTER_SETS)], rng.choice(CIVIC_DOMAINS))
            for i, p in enumerate(points)]  # fmt: skip


def report_lines(
    timings: Timings, seen: dict, args: argparse.Namespace, machine: dict
) -> list[str]:
    """The Markdown section of this run."""
    base95 = timings.p("search", 95)
    rows = [
        ("domain + postcode search (baseline)", "search", None),
        ("coverage grid and gaps", "grid", 2),
        (f"hexagon map, {args.radius_km:g} km (the page)", "map_page", 10),
        (f"hexagon map, {REGION_KM:g} km region", "map_region", 10),
    ]
    table = [
        "| operation | p50 ms | p95 ms | p95 / baseline p95 | target |",
        "|---|---|---|---|---|",
    ]
    for name, key, target in rows:
        ratio = timings.p(key, 95) / base95 if base95 else float("nan")
        met = "met" if target is not None and ratio <= target else "NOT met"
        verdict = "-" if target is None else f"<= {target}x: {met}"
        table.append(
            f"| {name} | {timings.p(key, 50):.1f} | {timings.p(key, 95):.1f} | "
            f"{'1.00' if target is None else f'{ratio:.2f}'} | {verdict} |"
        )
    n = len(timings.search)
    load = machine.get("load") or {}
    return [
        HEADING,
        "",
        f"`python -m bench.insights_bench --size {args.size} --places {args.places}` "
        f"({args.size:,} listings, seed {args.seed}; {n} places drawn like the search "
        "benchmark's, where people live, each with one of four filter sets: none; free; "
        "free in the evening; peer-led groups). Each place is timed for the four operations "
        "in turn, after a warm-up, in one process on the SQL index (SQLite), so the ratios "
        "share the machine's load. Places are placed as the geocoder would (no lookup timed). "
        f"Radius {args.radius_km:g} km; the region map covers {REGION_KM:g} km around the place.",
        "",
        *table,
        "",
        f"Per place on average: {seen['listings_in_grid'] / n:.0f} listings counted in the grid, "
        f"{seen['gaps'] / n:.1f} gaps (their nearest listings found together, in rings to 50 km), "
        f"{seen['cells'] / n:.0f} hexagons on the page's map and {seen['region_cells'] / n:.0f} "
        "on the region's. The grid is one counting search (`counts_only`, facets by kind: "
        "nothing ranked) plus, when there are gaps, one more counting search per ring (10, "
        "20, 50 km) finding the nearest listing of every gap domain at once; the maps are "
        "one counting search each (`point_cell`), plus the H3 cells of the area.",
        "",
        f"Machine: {machine.get('CPU', '?')}, {machine.get('Cores (logical)', '?')} cores, "
        f"{machine.get('Date', '')}; load average (1 / 5 / 15 min) before "
        f"{load.get('before', '?')}, after {load.get('after', '?')}: other helpers' work ran "
        "alongside, so absolute times are inflated; the ratios share the load.",
        "",
    ]


def write_docs(path: Path, lines: list[str]) -> None:
    """Put this run's section into ``path``, replacing an earlier one."""
    replace_section(path, HEADING, lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="listings (default 100,000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--places", type=int, default=200, help="places timed (default 200)")
    parser.add_argument("--radius-km", type=float, default=5.0)
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="where datasets are cached")
    parser.add_argument("--geo-table", default=str(PROJECT_ROOT / "instance" / "postcodes.sqlite"))
    parser.add_argument("--fresh", action="store_true", help="rebuild the dataset")
    parser.add_argument("--docs", default="", help="write the figures into this Markdown file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Build or reuse the dataset, time the operations, print and optionally record."""
    args = parse_args(argv)
    geo_table = Path(args.geo_table)
    _, app = ensure_dataset(
        args.size, args.seed, Path(args.out), geo_table, args.fresh, log, whoosh=False
    )
    places = sample_places(geo_table, args.places, args.seed)
    log("Warming up...")
    measure(app, places[:10], args.radius_km)
    before = load_average()
    log(f"Timing {len(places)} places...")
    timings, seen = measure(app, places, args.radius_km)
    machine = machine_info(None)
    machine["load"] = {"before": before, "after": load_average()}
    lines = report_lines(timings, seen, args, machine)
    print("\n".join(lines))
    if args.docs:
        write_docs(Path(args.docs), lines)
        log(f"Figures written to {args.docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
