"""Import benchmark (issue 18): Open Referral UK services imported end to end.

They are timed against a plain bulk insert of the same listings in the same run::

    .venv/bin/python -m bench.import_bench                 # 10,000 services, SQLite
    .venv/bin/python -m bench.import_bench --size 750 --profile   # where the time goes
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
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import json
import pstats
import random
import resource
import shutil
import sys
import time
import uuid
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
    parser.add_argument("--docs", default="", help="append the figures to this Markdown file")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table = ensure_postcode_table(out)

    services = scaled_export(args.size)
    path = out / f"oruk1-{args.size}.json"
    path.write_text(json.dumps({"content": services, "totalPages": 1, "last": True}))
    log(f"{len(services):,} services written to {path} ({path.stat().st_size / 1e6:.1f} MB)")

    before = peak_mb()
    app = fresh_app(out / "import", table)
    import_seconds, summary = timed_import(app, path, args.profile)
    import_peak = peak_mb()
    log(
        f"Import: {import_seconds:.1f} s "
        f"({len(services) / import_seconds:,.0f} services/s): {summary}"
    )

    bulk_app = fresh_app(out / "bulk", table)
    bulk_seconds = timed_bulk_insert(bulk_app, services)
    log(f"Bulk insert of the same listings: {bulk_seconds:.2f} s")
    ratio = import_seconds / bulk_seconds
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    log(f"Import / bulk insert = {ratio:.1f}x ({verdict} the <= {TARGET_RATIO:.0f}x target)")
    log(f"Peak memory: {before:.0f} MB before, {import_peak:.0f} MB after the import")

    if args.docs:
        load = " / ".join(f"{x:.2f}" for x in __import__("os").getloadavg())
        with Path(args.docs).open("a", encoding="utf-8") as handle:
            handle.write(
                f"\n### Run of {dt.date.today().isoformat()}: {len(services):,} services\n\n"
                f"| | |\n|---|---|\n"
                f"| Import, end to end | {import_seconds:.1f} s "
                f"({len(services) / import_seconds:,.0f} services/s) |\n"
                f"| Bulk insert of the same listings | {bulk_seconds:.2f} s |\n"
                f"| Import / bulk insert | {ratio:.0f}x (target <= {TARGET_RATIO:.0f}x: "
                f"{verdict}) |\n"
                f"| Summary | {summary} |\n"
                f"| Peak memory (RSS) | {before:.0f} MB before, {import_peak:.0f} MB after |\n"
                f"| Load average at the end | {load} |\n"
            )
        log(f"Figures appended to {args.docs}")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
