"""Import benchmark (issue 18): Open Referral UK services imported end to end.

They are timed against a plain bulk insert of the same listings in the same run::

    .venv/bin/python -m bench.import_bench                 # 10,000 services, SQLite
    .venv/bin/python -m bench.import_bench --size 750 --profile   # where the time goes
    .venv/bin/python -m bench.import_bench --phases        # time per phase of the import
    .venv/bin/python -m bench.import_bench --memory 2500,5000,10000   # peak RSS by size
    .venv/bin/python -m bench.import_bench --docs docs/benchmarks.md   # append the figures

The services are the realistic ORUK 1.0 list export of ``bench/realfeeds.py`` (HTML
descriptions, scheme-less web addresses, postcodes in free text, half of it not social),
scaled up: each copy gets new service ids and a neighbourhood in its name. The import
is the real one (``importers.openreferral.run_openreferral``, trusted source): clean text,
places through the offline geocoder, suggested domains, revisions, audit, the search
index synced on each commit. The bulk insert writes the same listings' organisation,
listing, location and term rows with SQLAlchemy Core ``executemany`` in one transaction,
as ``bench/dataset.py`` does for the search benchmark, and nothing else. The target is
import time <= 5 x bulk-insert time.

The import runs in a child process of its own (``--child``), so its peak resident memory
is the import's alone, not the benchmark's copy of the services; ``--memory`` imports
files of several sizes that way to show whether memory stays flat as the file grows.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import json
import os
import pstats
import random
import resource
import shutil
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

DEFAULT_OUT = Path("instance/import-bench")
TARGET_RATIO = 5.0


def log(message: str) -> None:
    """Print a progress line at once (the run is long)."""
    print(message, flush=True)


def scaled_export(n: int, seed: int = 18) -> list[dict[str, Any]]:
    """``n`` ORUK 1.0 services: the realfeeds export repeated with fresh ids."""
    from bench import realfeeds

    rng = random.Random(seed)
    export, _ = realfeeds.build_oruk1(rng, realfeeds.load_postcodes(rng))
    base = export["content"]
    services = []
    copy = 0
    while len(services) < n:
        for record in base:
            if len(services) >= n:
                break
            if copy == 0:
                services.append(record)
                continue
            clone = json.loads(json.dumps(record))
            clone["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench/{copy}/{record['id']}"))
            if clone.get("name"):
                clone["name"] = f"{clone['name']} ({copy})"
            services.append(clone)
        copy += 1
    return services


def ensure_postcode_table(out: Path) -> Path:
    """The offline postcode table for the realfeeds areas (built once, then reused)."""
    from bench import realfeeds
    from directory.geo.offline import build_postcode_table, default_source_dir

    table = out / "postcodes.sqlite"
    if not table.is_file():
        log("Building the postcode table for the fixture areas...")
        build_postcode_table(
            default_source_dir(), table, areas={a.lower() for a in realfeeds.AREAS}
        )
    return table


def fresh_app(directory: Path, table: Path) -> Flask:
    """An app on a new SQLite database (migrated, vocabularies loaded) and index."""
    from flask_migrate import upgrade

    from bench.dataset import make_app
    from directory.extensions import db
    from directory.vocabularies import load_vocabularies

    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    directory = directory.resolve()
    app = make_app(f"sqlite:///{directory / 'directory.sqlite'}", directory / "index", table)
    with app.app_context():
        upgrade()
        load_vocabularies(db.session)
        db.session.commit()
        db.session.remove()
    import search

    search.rebuild_index(app)  # an empty index, as a new site has
    return app


def timed_import(app, path: Path, profile: bool) -> tuple[float, str]:
    """Seconds to import ``path`` (trusted), and the summary's first line."""
    from directory.extensions import db
    from directory.geo import get_geocoder
    from importers.openreferral import run_openreferral
    from importers.runner import Locator

    with app.app_context():
        profiler = cProfile.Profile() if profile else None
        gc.collect()
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        summary = run_openreferral(
            db.session,
            str(path),
            actor=None,
            locator=Locator(get_geocoder(app)),
            trusted=True,
        )
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
        db.session.remove()
    if profiler:
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(35)
    return seconds, str(summary).splitlines()[0]


# The import's phases, timed with --phases: (label, module, object, function). Nested
# ones are part of the one above them; "other" is what no phase covers.
PHASES = (
    ("read, clean and check services", "importers.openreferral", "_ServiceWriter", "read"),
    ("suggest domains and kind", "importers.openreferral", None, "suggest_into"),
    ("plan batches (both above, and look-ups)", "importers.openreferral", "_ServiceWriter", "plan"),
    ("write new listings (Core)", "importers.bulk", "_Rows", "write"),
    ("flag duplicates", "importers.bulk", None, "flag_new_listings"),
    ("create listings (both above, and rows)", "importers.openreferral", None, "create_listings"),
    ("sync the search index", "search.sync", None, "sync_listings"),
    ("commit (the sync, and the database's own)", "sqlalchemy.orm", "Session", "commit"),
    ("attention counts", "importers.runner", None, "attention_counts"),
)


def time_phases() -> dict[str, float]:
    """Wrap each of :data:`PHASES` in a timer; returns the totals, filled in as it runs."""
    import functools
    import importlib

    totals: dict[str, float] = dict.fromkeys((label for label, *_ in PHASES), 0.0)

    def timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                totals[label] += time.perf_counter() - started

        return wrapper

    for label, module_name, owner, name in PHASES:
        module = importlib.import_module(module_name)
        target = getattr(module, owner) if owner else module
        setattr(target, name, timed(label, getattr(target, name)))
    return totals


def rss_mb() -> float:
    """This process's resident memory now, in MB (from /proc; 0 where there is none)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * resource.getpagesize() / 1024 / 1024


def child(path: Path, directory: Path, table: Path, profile: bool, phases: bool) -> int:
    """The import on its own in this (child) process; prints what it measured as JSON."""
    app = fresh_app(directory, table)
    totals = time_phases() if phases else None
    gc.collect()
    before = rss_mb()
    seconds, summary = timed_import(app, path, profile)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "summary": summary,
                "rss_before_mb": before,
                "rss_peak_mb": peak_mb(),
                "phases": totals,
            }
        ),
        flush=True,
    )
    return 0


def import_in_child(
    path: Path,
    directory: Path,
    table: Path,
    *,
    profile: bool = False,
    phases: bool = False,
    sqlite_cache_mib: int | None = None,
) -> dict[str, Any]:
    """Run :func:`child` in a fresh Python process and return what it measured.

    ``sqlite_cache_mib`` sets the app's SQLite page cache per connection (64 MiB unless
    given), which holds database pages whatever is being imported; given, the database
    is also read without a memory map (``SQLITE_MMAP_MIB``), whose pages would count as
    resident too.
    """
    import subprocess

    command = [sys.executable, "-m", "bench.import_bench", "--child", str(path), str(directory)]
    command += ["--table", str(table)]
    command += ["--profile"] * profile + ["--phases"] * phases
    env = dict(os.environ)
    if sqlite_cache_mib is not None:
        env["DIRECTORY_SQLITE_CACHE_MIB"] = str(sqlite_cache_mib)
        env["DIRECTORY_SQLITE_MMAP_MIB"] = "0"
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"the import failed:\n{result.stdout}\n{result.stderr}")
    *printed, last = result.stdout.strip().splitlines()
    if printed:
        log("\n".join(printed))
    return json.loads(last)


def write_export(n: int, out: Path) -> tuple[list[dict[str, Any]], Path]:
    """``n`` scaled services, and the ORUK 1.0 list export file holding them."""
    services = scaled_export(n)
    path = out / f"oruk1-{n}.json"
    path.write_text(json.dumps({"content": services, "totalPages": 1, "last": True}))
    log(f"{len(services):,} services written to {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return services, path


# The SQLite page cache the memory series also runs with, to show the import's own memory.
SMALL_SQLITE_CACHE_MIB = 2


def memory_by_size(sizes: list[int], out: Path, table: Path) -> list[dict[str, Any]]:
    """Import files of each size in a fresh process; their times and peak memory.

    Each size is imported twice: with the app's SQLite page cache (64 MiB per connection,
    which fills with database pages as the database grows, up to that size) and with a
    2 MiB one, which leaves the import's own memory.
    """
    rows = []
    for n in sizes:
        services, path = write_export(n, out)
        del services
        measured = import_in_child(path, out / "import", table)
        small = import_in_child(
            path, out / "import", table, sqlite_cache_mib=SMALL_SQLITE_CACHE_MIB
        )
        measured["services"] = n
        measured["small_cache_peak_mb"] = small["rss_peak_mb"]
        log(
            f"  {n:,} services: {measured['seconds']:.1f} s, resident memory "
            f"{measured['rss_before_mb']:.0f} MB before the import, peak "
            f"{measured['rss_peak_mb']:.0f} MB (with a {SMALL_SQLITE_CACHE_MIB} MiB SQLite "
            f"cache: {small['rss_peak_mb']:.0f} MB)"
        )
        rows.append(measured)
    return rows


def timed_bulk_insert(app, services: list[dict[str, Any]]) -> float:
    """Seconds to bulk-insert the same listings.

    Organisation, listing, location and domain-term rows; Core executemany, one
    transaction.
    """
    from directory.extensions import db
    from directory.models import Listing, Location, Organisation, listing_term, stable_id
    from directory.vocabularies import term_id

    now = dt.datetime(2026, 11, 1, 9, 0)
    organisations: dict[str, dict] = {}
    listings, locations, terms = [], [], []
    for n, record in enumerate(services):
        if not record.get("name") or not isinstance(record.get("organization"), dict):
            continue
        org = record["organization"]
        org_id = org.get("id") or stable_id("organisation", org["name"])
        organisations.setdefault(
            org_id,
            {
                "id": org_id,
                "name": org["name"],
                "description": org.get("description") or "",
                "sector": "third_sector",
                "trusted": False,
                "created_at": now,
                "updated_at": now,
            },
        )
        listings.append(
            {
                "id": record["id"],
                "organisation_id": org_id,
                "kind": "activity",
                "name": record["name"][:200],
                "summary": "",
                "description": record.get("description") or "",
                "status": "active",
                "published": True,
                "url": None,
                "how_to_join": "drop_in",
                "cost": "free",
                "languages": [],
                "format": "ongoing",
                "first_visit_support": False,
                "attendance": "in_person",
                "tags": [],
                "possibly_closed": False,
                "source": "bulk",
                "source_id": record["id"],
                "last_verified_at": now,
                "created_at": now,
                "updated_at": now,
            }
        )
        for sal in record.get("service_at_locations") or []:
            for address in sal["location"].get("physical_addresses") or []:
                locations.append(
                    {
                        "id": str(uuid.uuid4()),
                        "listing_id": record["id"],
                        "position": 0,
                        "address_1": address.get("address_1") or "",
                        "city": address.get("city") or "",
                        "postcode": address.get("postal_code") or "",
                    }
                )
        terms.append(
            {"listing_id": record["id"], "term_id": term_id("civic_domain", "involvement")}
        )
        del n
    with app.app_context():
        gc.collect()
        started = time.perf_counter()
        with db.engine.begin() as connection:
            connection.execute(Organisation.__table__.insert(), list(organisations.values()))
            connection.execute(Listing.__table__.insert(), listings)
            if locations:
                connection.execute(Location.__table__.insert(), locations)
            connection.execute(listing_term.insert(), terms)
        seconds = time.perf_counter() - started
        db.session.remove()
    return seconds


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit status 0 when the import is within the target ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000, help="services (default 10,000)")
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    parser.add_argument("--profile", action="store_true", help="print the import's profile")
    parser.add_argument("--phases", action="store_true", help="time each phase of the import")
    parser.add_argument(
        "--memory", default="", help="also import these sizes (2500,5000,...) for peak memory"
    )
    parser.add_argument("--docs", default="", help="append the figures to this Markdown file")
    parser.add_argument("--child", nargs=2, metavar=("FILE", "DIR"), help=argparse.SUPPRESS)
    parser.add_argument("--table", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        path, directory = (Path(p) for p in args.child)
        return child(path, directory, Path(args.table), args.profile, args.phases)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table = ensure_postcode_table(out)

    memory = []
    if args.memory:
        log("Peak memory of the import by file size (each in a fresh process):")
        memory = memory_by_size([int(n) for n in args.memory.split(",")], out, table)

    services, path = write_export(args.size, out)
    measured = import_in_child(
        path, out / "import", table, profile=args.profile, phases=args.phases
    )
    import_seconds, summary = measured["seconds"], measured["summary"]
    log(
        f"Import: {import_seconds:.1f} s "
        f"({len(services) / import_seconds:,.0f} services/s): {summary}"
    )
    if measured["phases"]:
        for label, seconds in measured["phases"].items():
            log(f"  {label}: {seconds:.2f} s")

    bulk_app = fresh_app(out / "bulk", table)
    bulk_seconds = timed_bulk_insert(bulk_app, services)
    log(f"Bulk insert of the same listings: {bulk_seconds:.2f} s")
    ratio = import_seconds / bulk_seconds
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    log(f"Import / bulk insert = {ratio:.1f}x ({verdict} the <= {TARGET_RATIO:.0f}x target)")
    log(
        f"Import's resident memory: {measured['rss_before_mb']:.0f} MB before, "
        f"peak {measured['rss_peak_mb']:.0f} MB"
    )
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    log(f"Load average: {load}")

    if args.docs:
        write_docs(
            Path(args.docs),
            len(services),
            measured,
            bulk_seconds,
            ratio,
            memory,
            load,
        )
        log(f"Figures appended to {args.docs}")
    return 0 if ratio <= TARGET_RATIO else 1


def write_docs(
    docs: Path,
    size: int,
    measured: dict[str, Any],
    bulk_seconds: float,
    ratio: float,
    memory: list[dict[str, Any]],
    load: str,
) -> None:
    """Append this run's figures to the Markdown file ``docs``."""
    seconds = measured["seconds"]
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    lines = [
        f"\n### Run of {dt.date.today().isoformat()}: {size:,} services\n",
        "| | |",
        "|---|---|",
        f"| Import, end to end | {seconds:.1f} s ({size / seconds:,.0f} services/s) |",
        f"| Bulk insert of the same listings | {bulk_seconds:.2f} s |",
        f"| Import / bulk insert | {ratio:.0f}x (target <= {TARGET_RATIO:.0f}x: {verdict}) |",
        f"| Summary | {measured['summary']} |",
        f"| Import's resident memory | {measured['rss_before_mb']:.0f} MB before, "
        f"peak {measured['rss_peak_mb']:.0f} MB |",
        f"| Load average at the end | {load} |",
    ]
    if measured["phases"]:
        lines += ["", "| phase of the import | seconds |", "|---|---|"]
        lines += [f"| {label} | {value:.2f} |" for label, value in measured["phases"].items()]
    if memory:
        lines += [
            "",
            "| services in the file | import | resident memory before | peak | peak, "
            f"{SMALL_SQLITE_CACHE_MIB} MiB SQLite cache |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {row['services']:,} | {row['seconds']:.1f} s | {row['rss_before_mb']:.0f} MB "
            f"| {row['rss_peak_mb']:.0f} MB | {row['small_cache_peak_mb']:.0f} MB |"
            for row in memory
        ]
    insert_in_section(docs, "## Import benchmark (issue 18)", "\n".join(lines) + "\n")


def insert_in_section(docs: Path, heading: str, text: str) -> None:
    """Add ``text`` at the end of the section under ``heading`` (or of the file)."""
    content = docs.read_text(encoding="utf-8") if docs.exists() else ""
    start = content.find(heading)
    end = content.find("\n## ", start + len(heading)) if start >= 0 else -1
    if end < 0:
        content = content.rstrip("\n") + "\n" + text
    else:
        content = content[:end].rstrip("\n") + "\n" + text + content[end:]
    docs.write_text(content, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
