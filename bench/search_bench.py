"""The search benchmark of issues 3 and 17: ``make bench`` or ``python -m bench.search_bench``.

For each size: generate (or reuse) a dataset and its Whoosh index, run a fixed mix of
1,000 searches in-process and over HTTP (gunicorn), answer the same mix with SQLite FTS5
and PostgreSQL baselines, time whole pages (search page, listing page, ``/api/search``)
against a bare page built on the FTS5 baseline, time how soon an edit is searchable,
profile what misses its target, print a table and write ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

from flask import Flask

from bench.baselines import (
    Fts5Baseline,
    PostgresBaseline,
    build_fts5,
    postgres_reachable,
    time_queries,
)
from bench.dataset import Dataset, ensure_dataset, make_app, public_documents
from bench.measure import (
    cumulative_share,
    gunicorn,
    hotspots,
    measure_edit_latency,
    profile_in_process,
    profile_index_build,
    profile_text,
    run_http,
    run_in_process,
)
from bench.pages import bare_app, close_bare_app, time_pages
from bench.queries import MIXES, TEXT_MIXES, BenchQuery, by_mix, make_queries
from bench.report import (
    MachineLoad,
    load_average,
    machine_info,
    pages_table,
    print_console,
    text_table,
    write_markdown,
)
from bench.resident import kept_in_memory
from directory.search_ui.services import hide_days

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
# Outside the project and instance/: the app's own database and index are never touched.
DEFAULT_OUT = Path(tempfile.gettempdir()) / "civic-search-bench"
PROFILE_QUERIES = 100
SEARCH_PHASES = {
    "SQL (SqlIndex._fetch)": "search/sql_index.py:_fetch",
    "facet counts (SqlIndex._facet_counts)": "search/sql_index.py:_facet_counts",
    "scoring the most relevant rows (best_page)": "search/sql_index.py:best_page",
    "building candidates from rows": "search/sql_index.py:candidate",
    "opening or refreshing the Whoosh searcher": "search/whoosh_index.py:_searcher",
    "Whoosh text matching and scoring (Searcher.search)": "whoosh/searching.py:search",
    "Whoosh filter matching (matching_docnums)": "search/whoosh_index.py:matching_docnums",
    "distances (measure_distances)": "search/ranking.py:measure_distances",
    "facet counts (facet_counts)": "search/ranking.py:facet_counts",
    "sorting": "search/ranking.py:sort_candidates",
    "did-you-mean suggestion": "search/sql_index.py:_suggest",
}
INDEX_BUILD_PHASES = {
    "reading listings as rows (listing_records)": "search/documents.py:listing_records",
    "writing the search tables": "search/sql_index.py:_insert",
    "building documents": "search/documents.py:listing_document",
    "analysing and adding documents": "whoosh/writing.py:add_document",
    "writing the segment (commit)": "whoosh/writing.py:commit",
}


def log(message: str) -> None:
    """Progress on stdout, at once."""
    print(message, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (``--help`` lists it)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.search_bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--size", dest="sizes", default="10000,100000", metavar="N[,N...]",
        help="listing counts, comma-separated (default: 10000,100000)",
    )  # fmt: skip
    parser.add_argument("--queries", type=int, default=1000, help="searches in the mix")
    parser.add_argument("--seed", type=int, default=42, help="seed for data and queries")
    parser.add_argument(
        "--skip-http", action="store_true", help="don't measure /api/search through gunicorn"
    )
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument(
        "--skip-postgres", action="store_true", help="don't run the PostgreSQL baseline"
    )
    parser.add_argument(
        "--postgres-url", default=DEFAULT_POSTGRES,
        help="PostgreSQL for the baseline, in a throwaway schema (skipped if unreachable)",
    )  # fmt: skip
    parser.add_argument(
        "--out", default=str(DEFAULT_OUT),
        help="datasets (cached between runs), logs, profiles and raw results "
        "(default: %(default)s)",
    )  # fmt: skip
    parser.add_argument("--geo-table", default="instance/postcodes.sqlite")
    parser.add_argument("--docs", default="docs/benchmarks.md", help="report ('' to skip)")
    parser.add_argument("--fresh", action="store_true", help="rebuild cached datasets")
    parser.add_argument("--edits", type=int, default=20, help="edits timed to searchable")
    parser.add_argument(
        "--profile", action=argparse.BooleanOptionalAction, default=True,
        help="cProfile the mixes (and the index build) that miss their targets",
    )  # fmt: skip
    parser.add_argument(
        "--whoosh", action=argparse.BooleanOptionalAction, default=True,
        help="also build and time the Whoosh index (SEARCH_BACKEND=whoosh) for comparison",
    )  # fmt: skip
    parser.add_argument(
        "--pages", action=argparse.BooleanOptionalAction, default=True,
        help="time whole pages (search, listing, /api/search) against the bare page",
    )  # fmt: skip
    parser.add_argument(
        "--page-clock", choices=("wall", "cpu"), default="wall",
        help="time pages by the wall clock (the targets) or by CPU time (steadier when "
        "the machine is shared)",
    )  # fmt: skip
    parser.add_argument(
        "--pages-only", action="store_true",
        help="time only the whole pages and print them (no report): for working on pages",
    )  # fmt: skip
    parser.add_argument(
        "--note", default="", help="a sentence for the report, e.g. what else ran meanwhile"
    )
    parser.add_argument(
        "--report-only", action="store_true",
        help="measure nothing: rewrite the report from the last run's results.json in --out",
    )  # fmt: skip
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run every measurement, print the tables and write the report; the exit status."""
    args = parse_args(argv)
    if args.report_only:
        return rewrite_report(args)
    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    out = _resolve(args.out)
    out.mkdir(parents=True, exist_ok=True)
    geo_table = _resolve(args.geo_table)
    if not geo_table.is_file():
        log(f"No postcode table at {geo_table}: run `make geo` first.")
        return 2
    postgres = None
    if not args.skip_postgres:
        postgres = postgres_reachable(args.postgres_url)
        if postgres is None:
            log(f"PostgreSQL not reachable at {args.postgres_url}: skipping that baseline.")
    args.postgres_url = args.postgres_url if postgres else ""
    machine = machine_info(postgres)
    started = time.perf_counter()
    load = MachineLoad()
    results = []
    for n in sizes:
        if args.pages_only:
            run_pages_only(n, args, out, geo_table)
            continue
        results.append(run_size(n, args, out, geo_table, postgres))
        print_console(results[-1], log)
    if args.pages_only:
        return 0
    if args.profile:
        profile_failures(results, args, out, geo_table)
    machine["Load average at end (1 / 5 / 15 min)"] = load_average()
    machine["load"] = load.summary()
    machine["Run time"] = f"{(time.perf_counter() - started) / 60:.0f} min"
    command = "python -m bench.search_bench " + shlex.join(sys.argv[1:] if argv is None else argv)
    (out / "results.json").write_text(
        json.dumps(
            {"machine": machine, "results": results, "command": command.strip(), "note": args.note},
            indent=2,
            default=str,
        )
    )
    if args.docs:
        docs = _resolve(args.docs)
        write_markdown(docs, results, machine, command.strip(), args.note)
        log(f"\nWrote {docs} and {out / 'results.json'}")
    return 0


def rewrite_report(args: argparse.Namespace) -> int:
    """Write the report again from the last run's ``results.json`` (after editing its text)."""
    saved = _resolve(args.out) / "results.json"
    if not saved.is_file() or not args.docs:
        log(f"No {saved} to report on (or --docs is empty).")
        return 2
    run = json.loads(saved.read_text())
    docs = _resolve(args.docs)
    command, note = run.get("command", "?"), args.note or run.get("note", "")
    write_markdown(docs, run["results"], run["machine"], command, note)
    log(f"Wrote {docs} from {saved}")
    return 0


def _resolve(path: str) -> Path:
    candidate = Path(path)
    return (candidate if candidate.is_absolute() else PROJECT_ROOT / candidate).resolve()


def run_size(
    n: int, args: argparse.Namespace, out: Path, geo_table: Path, postgres: str | None
) -> dict:
    """Every measurement for one dataset size."""
    log(f"\n##### {n:,} listings #####")
    load = MachineLoad()
    dataset, app = ensure_dataset(n, args.seed, out, geo_table, args.fresh, log, args.whoosh)
    ensure_fts5(dataset, app, args.fresh)
    with kept_in_memory([dataset.db_path, dataset.fts_path, geo_table], log):
        return _measure_size(n, args, out, dataset, app, geo_table, postgres, load)


def _measure_size(
    n: int,
    args: argparse.Namespace,
    out: Path,
    dataset: Dataset,
    app: Flask,
    geo_table: Path,
    postgres: str | None,
    load: MachineLoad,
) -> dict:
    """Every measurement for one dataset size, its files kept in memory."""
    queries = make_queries(dataset.db_path, geo_table, args.queries, args.seed)
    mixes = by_mix(queries)
    result: dict = {"n": n, "seed": args.seed, "queries": len(queries), "dataset": dataset.meta}

    log(f"In-process: run_search (+ listings_in_order) over {len(queries):,} searches...")
    started = time.perf_counter()
    in_process = run_in_process(app, mixes)
    result["in_process"] = {
        mix: {part: s.as_dict() for part, s in parts.items()} for mix, parts in in_process.items()
    }
    log(f"  done in {time.perf_counter() - started:.0f} s")

    if args.whoosh:
        log("In-process, Whoosh (SEARCH_BACKEND=whoosh) for comparison...")
        whoosh = make_app(dataset.database_url, dataset.index_dir, geo_table, "whoosh")
        result["whoosh"] = {
            mix: {part: s.as_dict() for part, s in parts.items()}
            for mix, parts in run_in_process(whoosh, mixes).items()
        }
        dispose(whoosh)

    log("Baseline: SQLite FTS5 + R*Tree...")
    with app.app_context():
        hidden_after = hide_days()  # the app's policy: unchecked listings leave search
    fts = Fts5Baseline(dataset.fts_path, hidden_after)
    try:
        result["fts5"] = {mix: time_queries(fts.answer, qs).as_dict() for mix, qs in mixes.items()}
    finally:
        fts.close()

    if args.pages:
        result["pages"] = measure_pages(app, dataset, mixes, geo_table, hidden_after, args)
        result["pages_clock"] = args.page_clock

    result["postgres"] = None
    if postgres and args.postgres_url:
        log("Baseline: PostgreSQL (loading a throwaway schema)...")
        baseline = PostgresBaseline(args.postgres_url, hidden_after)
        try:
            started = time.perf_counter()
            baseline.load(public_documents(app))
            result["postgres_load_seconds"] = round(time.perf_counter() - started, 1)
            result["postgres"] = {
                mix: time_queries(baseline.answer, qs).as_dict() for mix, qs in mixes.items()
            }
        finally:
            baseline.close()
    dispose(app)

    result["http"], result["edit"] = http_and_edits(dataset, mixes, args, out, geo_table)
    result["load"] = load.summary()
    return result


def measure_pages(
    app: Flask,
    dataset: Dataset,
    mixes: dict[str, list[BenchQuery]],
    geo_table: Path,
    hidden_after: dict[str, int],
    args: argparse.Namespace,
) -> dict:
    """Whole pages through the test client against the bare page, per mix."""
    log(
        "Whole pages (test client): bare page, search page, /api/search, listing page "
        f"({args.page_clock} clock)..."
    )
    started = time.perf_counter()
    bare = bare_app(dataset.fts_path, geo_table, hidden_after)
    try:
        pages = time_pages(app, bare, mixes, clock=args.page_clock)
    finally:
        close_bare_app(bare)
    log(f"  done in {time.perf_counter() - started:.0f} s")
    return {
        mix: {page: s.as_dict() for page, s in by_page.items()} for mix, by_page in pages.items()
    }


def run_pages_only(n: int, args: argparse.Namespace, out: Path, geo_table: Path) -> None:
    """Only the whole pages at one size, printed: a quick loop while working on pages."""
    log(f"\n##### {n:,} listings: pages only #####")
    load = MachineLoad()
    dataset, app = ensure_dataset(n, args.seed, out, geo_table, args.fresh, log, args.whoosh)
    ensure_fts5(dataset, app, args.fresh)
    mixes = by_mix(make_queries(dataset.db_path, geo_table, args.queries, args.seed))
    with app.app_context():
        hidden_after = hide_days()
    with kept_in_memory([dataset.db_path, dataset.fts_path, geo_table], log):
        pages = measure_pages(app, dataset, mixes, geo_table, hidden_after, args)
    dispose(app)
    title, header, rows = pages_table(pages)
    log(f"\n{title}\n{text_table(header, rows)}")
    log(f"\nLoad average now {load_average()}; {load.summary()}")


def ensure_fts5(dataset: Dataset, app: Flask, fresh: bool) -> None:
    """Build the FTS5 baseline database unless a cached one matches."""
    if not fresh and dataset.fts_path.is_file() and "fts5_seconds" in dataset.meta:
        return
    log("Building the SQLite FTS5 + R*Tree baseline...")
    started = time.perf_counter()
    count = build_fts5(dataset.fts_path, public_documents(app))
    dataset.meta["fts5_seconds"] = round(time.perf_counter() - started, 2)
    dataset.meta["fts5_documents"] = count
    dataset.save_meta()


def http_and_edits(
    dataset: Dataset,
    mixes: dict[str, list[BenchQuery]],
    args: argparse.Namespace,
    out: Path,
    geo_table: Path,
) -> tuple[dict | None, dict]:
    """HTTP timings and edit latency, on a scratch copy so the cached data stays pristine."""
    scratch = out / f"scratch-n{dataset.n}"
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir()
    shutil.copy2(dataset.db_path, scratch / "directory.sqlite")
    if dataset.index_dir.is_dir():  # the Whoosh index, when built
        shutil.copytree(dataset.index_dir, scratch / "index")
    url = f"sqlite:///{scratch / 'directory.sqlite'}"
    app = make_app(url, scratch / "index", geo_table)
    http = None
    try:
        if not args.skip_http:
            log(f"HTTP: gunicorn -w 2, {args.clients} clients...")
            server_log = out / f"gunicorn-n{dataset.n}.log"
            with gunicorn(url, scratch / "index", geo_table, server_log) as port:
                http = {mix: s.as_dict() for mix, s in run_http(port, mixes, args.clients).items()}
                log(f"Edit latency: {args.edits} edits (in-process and over HTTP)...")
                edit = measure_edit_latency(app, args.seed, args.edits, port=port)
        else:
            log(f"Edit latency: {args.edits} edits (in-process)...")
            edit = measure_edit_latency(app, args.seed, args.edits)
    finally:
        dispose(app)
        shutil.rmtree(scratch, ignore_errors=True)
    return http, edit


def dispose(app: Flask) -> None:
    """Close the app's database connections."""
    from directory.extensions import db

    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


def failing_mixes(result: dict) -> list[str]:
    """Mixes that miss a latency target or the 2 × FTS5 ratio."""
    failing = []
    for mix in MIXES:
        p95 = result["in_process"][mix]["search_page"]["p95"]
        limit = 50 if mix == "domain_postcode" else 100 if mix in TEXT_MIXES else None
        ratio = result["in_process"][mix]["search"]["p95"] / result["fts5"][mix]["p95"]
        if (limit is not None and p95 > limit) or ratio > 2:
            failing.append(mix)
    return failing


def profile_failures(
    results: list[dict], args: argparse.Namespace, out: Path, geo_table: Path
) -> None:
    """Profile (cProfile) what misses its target at the largest size, and the index build."""
    big = max(results, key=lambda r: r["n"])
    dataset = Dataset(big["n"], args.seed, out / f"n{big['n']}-seed{args.seed}")
    dataset.is_complete(args.whoosh)
    mixes = by_mix(make_queries(dataset.db_path, geo_table, args.queries, args.seed))
    app = make_app(dataset.database_url, dataset.index_dir, geo_table)
    big["profiles"] = {}
    for mix in failing_mixes(big):
        log(f"Profiling run_search on {mix} ({PROFILE_QUERIES} searches, {big['n']:,})...")
        stats = profile_in_process(app, mixes[mix][:PROFILE_QUERIES])
        runs = min(PROFILE_QUERIES, len(mixes[mix]))
        big["profiles"][mix] = {
            "phases": cumulative_share(stats, SEARCH_PHASES),
            "hotspots": hotspots(stats, runs),
        }
        (out / f"profile-n{big['n']}-{mix}.txt").write_text(profile_text(stats))
    dispose(app)

    small = min(results, key=lambda r: r["n"])
    if small["dataset"]["index_rate"] < 2000 or big["dataset"]["index_rate"] < 2000:
        small_dataset = Dataset(small["n"], args.seed, out / f"n{small['n']}-seed{args.seed}")
        scratch = out / "scratch-index-profile"
        shutil.rmtree(scratch, ignore_errors=True)
        log(f"Profiling search.rebuild_index at {small['n']:,} listings...")
        try:
            stats = profile_index_build(small_dataset.database_url, scratch / "index", geo_table)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        small["index_profile"] = {
            "n": small["n"],
            "shares": cumulative_share(stats, INDEX_BUILD_PHASES),
            "hotspots": hotspots(stats, 1),
        }
        (out / f"profile-n{small['n']}-index-build.txt").write_text(profile_text(stats))


if __name__ == "__main__":
    raise SystemExit(main())
