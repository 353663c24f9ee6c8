"""A national directory (issue 17): 1,000,000 listings on SQLite and on PostgreSQL.

Our engine on each database beside that database's own full-text baseline.
``make bench`` runs it after the search benchmark; ``python -m bench.national --size N``
runs it alone (``--size 20000`` for a quick look). For each database it bulk-inserts the
same seeded listings (``bench.dataset.write_listings``), builds the app's search index
(``search.rebuild_index``) and times both, answers the search benchmark's query mix with
our engine (``run_search`` + the page of 20, in-process) and with the baseline (SQLite
FTS5 + R*Tree; PostgreSQL tsvector + GIN), and times edits until they are searchable.
Targets, on both databases: every mix's p95 ≤ 1.5 × its own database's baseline p95, an
edit searchable within 1 s, the index built in ≤ 2 × the time the bulk insert took.
Writes its section of ``docs/benchmarks.md`` (``--docs ''`` to leave the file alone).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

from bench.baselines import (
    Fts5Baseline,
    PostgresBaseline,
    postgres_reachable,
    time_queries,
)
from bench.dataset import Dataset, ensure_dataset, public_documents, write_listings
from bench.measure import measure_edit_latency, run_in_process
from bench.queries import MIX_LABELS, MIXES, BenchQuery, by_mix, make_queries
from bench.report import MachineLoad, load_average, machine_info, markdown_table, replace_section
from bench.search_bench import DEFAULT_OUT, DEFAULT_POSTGRES, _resolve, dispose, ensure_fts5

HEADING = "## A national directory"
# The targets for a national directory, on each database.
BASELINE_RATIO_LIMIT = 1.5
EDIT_LIMIT_S = 1.0
BUILD_RATIO_LIMIT = 2.0

Log = Callable[[str], None]


def log(message: str) -> None:
    """Progress on stdout, at once."""
    print(message, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (``--help`` lists it)."""
    parser = argparse.ArgumentParser(prog="python -m bench.national", description=__doc__)
    parser.add_argument("--size", type=int, default=1_000_000, help="listings (default 1,000,000)")
    parser.add_argument("--queries", type=int, default=400, help="searches in the mix")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--edits", type=int, default=20, help="edits timed to searchable")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--reuse-sqlite",
        action="store_true",
        help="take SQLite's figures from this size's last saved run (national-nN.json) and "
        "measure PostgreSQL only; the report says when SQLite was measured",
    )
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    parser.add_argument("--geo-table", default="instance/postcodes.sqlite")
    parser.add_argument("--fresh", action="store_true", help="rebuild the cached SQLite dataset")
    parser.add_argument("--docs", default="docs/benchmarks.md", help="report ('' to skip)")
    parser.add_argument("--note", default="", help="a sentence for the report")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Both databases at one size; prints the targets and writes the report section."""
    args = parse_args(argv)
    out = _resolve(args.out)
    out.mkdir(parents=True, exist_ok=True)
    geo_table = _resolve(args.geo_table)
    if not geo_table.is_file():
        log(f"No postcode table at {geo_table}: run `make geo` first.")
        return 2
    postgres = None if args.skip_postgres else postgres_reachable(args.postgres_url)
    if not args.skip_postgres and postgres is None:
        log(f"PostgreSQL not reachable at {args.postgres_url}: measuring SQLite only.")
    load = MachineLoad()
    started = time.perf_counter()
    log(f"\n##### A national directory: {args.size:,} listings #####")
    # The SQLite dataset is the search benchmark's (cached); its queries serve both databases.
    dataset, app = ensure_dataset(
        args.size, args.seed, out, geo_table, args.fresh, log, whoosh=False
    )
    ensure_fts5(dataset, app, args.fresh)
    mixes = by_mix(make_queries(dataset.db_path, geo_table, args.queries, args.seed))
    from directory.search_ui.services import hide_days

    with app.app_context():
        hidden_after = hide_days()
    run: dict = {"n": args.size, "queries": sum(len(q) for q in mixes.values())}
    saved = out / f"national-n{args.size}.json"
    if args.reuse_sqlite:
        run["sqlite"] = reused_sqlite(saved)
        log(f"SQLite: figures of the run measured {run['sqlite']['measured']} ({saved})")
    elif not args.skip_sqlite:
        run["sqlite"] = sqlite_run(app, dataset, mixes, hidden_after, args)
        log_database("SQLite", run["sqlite"])
        saved.write_text(json.dumps(run, indent=2, default=str))  # kept if a later stage dies
    dispose(app)
    if postgres:
        run["postgres"] = postgres_run(dataset, mixes, hidden_after, geo_table, args)
        log_database("PostgreSQL", run["postgres"])
    machine = machine_info(postgres)
    machine["Load average at end (1 / 5 / 15 min)"] = load_average()
    machine["Run time"] = f"{(time.perf_counter() - started) / 60:.0f} min"
    run["machine"], run["load"] = machine, load.summary()
    saved.write_text(json.dumps(run, indent=2, default=str))
    lines = report(run, args)
    log("\n".join(lines))
    if args.docs:
        replace_section(_resolve(args.docs), HEADING, lines)
        log(f"\nWrote the section “{HEADING}” of {args.docs}")
    return 0


def sqlite_run(
    app: Flask,
    dataset: Dataset,
    mixes: dict[str, list[BenchQuery]],
    hidden_after: dict[str, int],
    args: argparse.Namespace,
) -> dict:
    """Our engine and the FTS5 baseline on the SQLite dataset."""
    log("SQLite: our engine, in-process...")
    ours = run_in_process(app, mixes)
    log("SQLite: the FTS5 + R*Tree baseline...")
    fts = Fts5Baseline(dataset.fts_path, hidden_after)
    try:
        baseline = {mix: time_queries(fts.answer, qs).as_dict() for mix, qs in mixes.items()}
    finally:
        fts.close()
    log(f"SQLite: {args.edits} edits to searchable...")
    edit = measure_edit_latency(app, args.seed, args.edits)
    return {
        "measured": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "bulk_insert_seconds": dataset.meta["generate_seconds"],
        "index_seconds": dataset.meta["index_seconds"],
        "indexed": dataset.meta["indexed"],
        "ours": {mix: parts["search"].as_dict() for mix, parts in ours.items()},
        "ours_page": {mix: parts["search_page"].as_dict() for mix, parts in ours.items()},
        "baseline": baseline,
        "edit": edit,
    }


def reused_sqlite(saved: Path) -> dict:
    """SQLite's figures from the last saved run at this size (``--reuse-sqlite``)."""
    try:
        earlier = json.loads(saved.read_text())["sqlite"]
    except (OSError, ValueError, KeyError) as error:
        raise SystemExit(f"--reuse-sqlite: no SQLite figures in {saved} ({error})") from None
    earlier.setdefault("measured", "in an earlier run")
    return earlier


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A throwaway schema on ``url`` (dropped afterwards): its name."""
    import psycopg

    schema = f"bench_engine_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def vacuum_schema(app: Flask) -> None:
    """``VACUUM (ANALYZE)`` every table of ``app``'s schema, as routine maintenance would.

    A freshly written table's rows carry no hint bits and its pages no visibility map:
    whatever reads them first checks every row's transaction and dirties the page to
    record it. Without this (and this machine's PostgreSQL runs without autovacuum) our
    engine, timed first, paid that for the whole index while the baseline, whose own
    load scans its tables to index them, did not. Not part of the index build's time.
    """
    from directory.extensions import db

    with (
        app.app_context(),
        db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection,
    ):
        tables = (
            connection.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
            .scalars()
            .all()
        )
        for table in tables:
            connection.exec_driver_sql(f'VACUUM (ANALYZE) "{table}"')


def postgres_app(url: str, schema: str, index_dir: Path, geo_table: Path) -> Flask:
    """The directory app on PostgreSQL, in ``schema``, with the default (SQL) engine."""
    from directory import create_app

    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "connect_args": {"options": f"-csearch_path={schema} -cjit=off"}
            },
            "SEARCH_BACKEND": "sql",
            "SEARCH_INDEX_DIR": str(index_dir),
            "GEO_TABLE_PATH": str(geo_table),
            "SECRET_KEY": "bench-only",
        }
    )


def postgres_run(
    dataset: Dataset,
    mixes: dict[str, list[BenchQuery]],
    hidden_after: dict[str, int],
    geo_table: Path,
    args: argparse.Namespace,
) -> dict:
    """The same listings in PostgreSQL: bulk insert, index build, our engine, the baseline."""
    from flask_migrate import upgrade

    import search
    from directory.extensions import db
    from directory.vocabularies import load_vocabularies

    anchor = dt.datetime.fromisoformat(dataset.meta["anchor"])
    result: dict = {}
    with postgres_schema(args.postgres_url) as schema:
        app = postgres_app(args.postgres_url, schema, dataset.directory / "pg-index", geo_table)
        try:
            with app.app_context():
                upgrade()
                load_vocabularies(db.session)
                db.session.commit()
                db.session.remove()
                log(f"PostgreSQL: bulk-inserting {args.size:,} listings...")
                started = time.perf_counter()
                write_listings(db.engine, args.size, args.seed, geo_table, anchor)
                with db.engine.begin() as connection:  # as a restore would: fresh statistics
                    connection.exec_driver_sql("ANALYZE")
                result["bulk_insert_seconds"] = round(time.perf_counter() - started, 1)
                log(f"  {result['bulk_insert_seconds']:.0f} s")
                log("PostgreSQL: building the search index (search.rebuild_index)...")
                started = time.perf_counter()
                result["indexed"] = search.rebuild_index(app)
                result["index_seconds"] = round(time.perf_counter() - started, 1)
                log(f"  {result['indexed']:,} listings in {result['index_seconds']:.0f} s")
            log("PostgreSQL: VACUUM (ANALYZE) of the directory's tables, untimed...")
            vacuum_schema(app)
            log("PostgreSQL: our engine, in-process...")
            ours = run_in_process(app, mixes)
            result["ours"] = {mix: parts["search"].as_dict() for mix, parts in ours.items()}
            result["ours_page"] = {
                mix: parts["search_page"].as_dict() for mix, parts in ours.items()
            }
            log(f"PostgreSQL: {args.edits} edits to searchable...")
            result["edit"] = measure_edit_latency(app, args.seed, args.edits)
            log("PostgreSQL: the tsvector + GIN baseline (loading its own schema)...")
            baseline = PostgresBaseline(args.postgres_url, hidden_after)
            try:
                baseline.load(public_documents(app))
                result["baseline"] = {
                    mix: time_queries(baseline.answer, qs).as_dict() for mix, qs in mixes.items()
                }
            finally:
                baseline.close()
        finally:
            dispose(app)
    return result


def log_database(name: str, database: dict) -> None:
    """One database's figures and verdicts on the console, as soon as they are measured."""
    for label, value, _limit, met in targets(database):
        log(f"  {name}: [{'PASS' if met else 'FAIL'}] {label}: {value:.2f}")


# -- the report --------------------------------------------------------------------------


def targets(database: dict) -> list[tuple[str, float, float, bool]]:
    """(target, measured, limit, met) for one database's run."""
    rows = [
        (
            f"“{MIX_LABELS[mix]}” p95 ≤ {BASELINE_RATIO_LIMIT:g} × the baseline p95",
            ratio := database["ours"][mix]["p95"] / database["baseline"][mix]["p95"],
            BASELINE_RATIO_LIMIT,
            ratio <= BASELINE_RATIO_LIMIT,
        )
        for mix in MIXES
    ]
    edit_s = database["edit"]["in_process"]["max"] / 1000
    rows.append((f"Edit searchable ≤ {EDIT_LIMIT_S:g} s (max)", edit_s, EDIT_LIMIT_S,
                 edit_s <= EDIT_LIMIT_S))  # fmt: skip
    build = database["index_seconds"] / database["bulk_insert_seconds"]
    rows.append((f"Index build ≤ {BUILD_RATIO_LIMIT:g} × the bulk insert", build,
                 BUILD_RATIO_LIMIT, build <= BUILD_RATIO_LIMIT))  # fmt: skip
    return rows


def _p(summary: dict) -> str:
    return f"{summary['p50']:.1f} / {summary['p95']:.1f} / {summary['p99']:.1f}"


NAMES = {
    "sqlite": ("SQLite", "FTS5 + R*Tree"),
    "postgres": ("PostgreSQL", "tsvector + GIN, lat/lon btree"),
}


def report(run: dict, args: argparse.Namespace) -> list[str]:
    """The report section, as Markdown lines."""
    machine = run["machine"]
    lines = [
        HEADING,
        "",
        f"`python -m bench.national --size {run['n']}` (part of `make bench`): "
        f"{run['n']:,} listings, {run['queries']:,} searches of the search benchmark's mix, "
        "our engine (the SQL index, `run_search`, in-process) beside each database's own "
        "full-text baseline on the same listings. Targets (issue 17), on both databases: "
        f"every mix p95 ≤ {BASELINE_RATIO_LIMIT:g} × its own database's baseline, an edit "
        f"searchable ≤ {EDIT_LIMIT_S:g} s, the index built in ≤ {BUILD_RATIO_LIMIT:g} × the "
        "time the bulk insert of the same listings took.",
        "",
        f"Run on {machine.get('Date', '?')}, {machine.get('Cores (logical)', '?')} cores; "
        f"load average at the end {machine.get('Load average at end (1 / 5 / 15 min)')}; "
        f"run time {machine.get('Run time')}. {args.note}".rstrip(),
        "",
    ]
    verdicts: list[str] = []
    for key, (name, baseline) in NAMES.items():
        database = run.get(key)
        if not database:
            lines += [f"**{name}**: not measured in this run.", ""]
            continue
        when = f" (measured {database['measured']})" if "measured" in database else ""
        lines += [
            f"**{name}**{when}: bulk insert {database['bulk_insert_seconds']:,.0f} s; our index "
            f"built in {database['index_seconds']:,.0f} s ({database['indexed']:,} public "
            f"listings). Latency, ms (p50 / p95 / p99):",
            "",
            markdown_table(
                ["Mix", "ours: run_search", "ours: + page of 20", baseline, "p95 ÷ baseline"],
                [
                    [
                        MIX_LABELS[mix],
                        _p(database["ours"][mix]),
                        _p(database["ours_page"][mix]),
                        _p(database["baseline"][mix]),
                        f"{database['ours'][mix]['p95'] / database['baseline'][mix]['p95']:.2f}×",
                    ]
                    for mix in MIXES
                ],
            ),
            "",
            markdown_table(
                ["Target", "Measured", "Result"],
                [
                    [label, f"{value:.2f}", "**PASS**" if met else "**FAIL**"]
                    for label, value, _limit, met in targets(database)
                ],
            ),
            "",
        ]
        verdicts += [
            f"{name}: {label} ({value:.2f})"
            for label, value, _limit, met in targets(database)
            if not met
        ]
    lines += [
        "Missed: " + "; ".join(verdicts) + "." if verdicts else "Every target met.",
        "",
    ]
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
