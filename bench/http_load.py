"""HTTP load against gunicorn, ours against the bare page (issue 17, "Throughput").

``python -m bench.http_load --clients 50 --seconds 60 --size 10000``

N concurrent clients (threads, each with its own keep-alive ``requests.Session``) replay
a recorded mix of a GP's pages for D seconds against the directory served by gunicorn
with ``deploy/gunicorn.conf.py`` (on a scratch copy of a bench dataset), then our layout
alone (below), then the same load against the bare page (:mod:`bench.pages`) served the
same way. The recorded mix:

- the search page with its map, for a postcode and a domain (30%);
- a text search page (20%);
- a listing page (25%);
- ``/api/search`` (15%);
- adding a listing to a shortlist as a signed-in practitioner (10%, the writes). Each
  client is its own practitioner, made with the app's models and signed in with a
  session cookie and CSRF token made by the app's own session machinery; every 20th add
  starts a new shortlist (a shortlist holds 20).

The bare page has one view, so the bare run sends every request of the mix to ``/bare``:
searches with their own query string, listing pages and writes with a postcode + domain
search's. Targets: zero errors, our pages/s >= 0.5x the bare page's, our p99 <= 4x the
bare page's p99.

Between the two, the same clients ask our server for its layout alone: the not-found page,
signed in (the header, the session, a CSRF token and the security headers around one
sentence), the cheapest HTML page it serves. That run is no target; it says how much of a
request's cost under load is the layout and its serving, and so how much the pages' own
work (searching, facets, the map, the cards) may cost if ours is to reach the target
(:func:`content_budget`).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean
from urllib.parse import urlencode

import requests
from flask import Flask
from werkzeug.test import Client, TestResponse

from bench.measure import free_port, percentile
from bench.report import replace_section
from bench.resident import kept_in_memory

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = PROJECT_ROOT / "deploy" / "gunicorn.conf.py"
DEFAULT_OUT = Path(tempfile.gettempdir()) / "civic-search-bench"
# The recorded mix: kind of request -> share of requests.
MIX = {"search_map": 30, "text_search": 20, "listing": 25, "api": 15, "shortlist_add": 10}
WRITES = ("shortlist_add",)
NEW_SHORTLIST_EVERY = 20  # plans.services.MAX_SHORTLIST_ITEMS
RECORDING = 2000  # requests in the recording; each client starts at its own place
TARGET_PAGES_RATIO = 0.5
TARGET_P99_RATIO = 4.0
USER_AGENT = "civic-bench-http-load"
HEADING = "## Throughput (issue 17)"
# A path no page has: the not-found page is our layout around one sentence.
LAYOUT_ALONE_PATH = "/bench/layout-alone"


@dataclass(frozen=True)
class Recorded:
    """One request of the recording: for our app, and its bare-page counterpart."""

    kind: str
    path: str
    bare_path: str


# Statuses other than 200 that a request of a kind answers with when all is well.
EXPECTED_STATUS = {"shortlist_add": 303, "layout_alone": 404}


@dataclass(frozen=True)
class Practitioner:
    """A signed-in practitioner: the session cookie and a CSRF token for its forms."""

    cookie_name: str
    cookie: str
    csrf: str


def log(message: str) -> None:
    """Progress on stdout, at once."""
    print(message, flush=True)


# -- the recording ---------------------------------------------------------------------------


def record_mix(
    mixes: dict[str, list], listing_ids: list[str], seed: int, count: int = RECORDING
) -> list[Recorded]:
    """A seeded recording of ``count`` requests in the shares of :data:`MIX`."""
    rng = random.Random(f"http-load-{seed}")
    place = mixes["domain_postcode"]
    text = mixes["text"] + mixes.get("text_domain_postcode_day", [])
    kinds = rng.choices(list(MIX), weights=list(MIX.values()), k=count)
    recording = []
    for kind in kinds:
        query = rng.choice(text if kind == "text_search" else place)
        params = urlencode(query.params())
        bare = f"/bare?{params}"
        if kind in ("search_map", "text_search"):
            path = f"/search?{params}"
        elif kind == "api":
            path = f"/api/search?{params}"
        elif kind == "listing":
            path = f"/listings/{rng.choice(listing_ids)}"
        else:
            path = f"/listings/{rng.choice(listing_ids)}/shortlist"
        recording.append(Recorded(kind, path, bare))
    return recording


# -- clients -----------------------------------------------------------------------------------


@dataclass
class ClientResult:
    """What one client saw: latencies (ms) by kind, and its errors."""

    latencies: dict[str, list[float]]
    errors: list[str]


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Keep no cookie the server sets."""

    def set_ok(self, cookie: object, request: object) -> bool:  # noqa: ARG002
        """Refuse every cookie."""
        return False


def _send(web: requests.Session, base: str, item: Recorded, bare: bool, form: dict | None) -> int:
    """Send one recorded request; its status."""
    if bare:
        return web.get(base + item.bare_path, timeout=30).status_code
    if item.kind in WRITES:
        response = web.post(base + item.path, data=form, allow_redirects=False, timeout=30)
    else:
        response = web.get(base + item.path, timeout=30)
    return response.status_code


def client_headers(practitioner: Practitioner | None) -> dict[str, str]:
    """The headers every request of a client carries: who it is, and its signed-in session."""
    headers = {"User-Agent": USER_AGENT}
    if practitioner is not None:
        headers["Cookie"] = f"{practitioner.cookie_name}={practitioner.cookie}"
    return headers


def add_form(practitioner: Practitioner, adds: int) -> dict[str, str]:
    """The form of a practitioner's add to a shortlist; every 20th starts a new one."""
    form = {"csrf_token": practitioner.csrf}
    if adds % NEW_SHORTLIST_EVERY == 0:
        form.update(shortlist="new", label="Options to talk over")  # no digits
    return form


def run_client(
    base: str,
    recording: list[Recorded],
    start: int,
    deadline: float,
    bare: bool,
    practitioner: Practitioner | None,
) -> ClientResult:
    """Replay the recording from ``start`` until ``deadline`` (``time.perf_counter``)."""
    result = ClientResult({item.kind: [] for item in recording}, [])
    adds = 0
    with requests.Session() as web:
        # The signed-in session as a browser would send it, never replaced by the server's
        # cookies (those are Secure-only: a browser wouldn't send them over plain HTTP).
        web.cookies.set_policy(_NoCookies())
        web.headers.update(client_headers(practitioner))
        i = start
        while time.perf_counter() < deadline:
            item = recording[i % len(recording)]
            i += 1
            form = None
            if item.kind in WRITES and practitioner is not None:
                form = add_form(practitioner, adds)
                adds += 1
            started = time.perf_counter()
            try:
                status = _send(web, base, item, bare, form)
            except requests.RequestException as error:
                result.errors.append(f"{item.kind}: {type(error).__name__}")
                continue
            elapsed = (time.perf_counter() - started) * 1000
            expected = 200 if bare else EXPECTED_STATUS.get(item.kind, 200)
            if status != expected:
                result.errors.append(f"{item.kind}: {status}")
                continue
            result.latencies[item.kind].append(elapsed)
    return result


def run_load(
    port: int,
    recording: list[Recorded],
    clients: int,
    seconds: float,
    bare: bool = False,
    practitioners: list[Practitioner] | None = None,
) -> dict:
    """``clients`` threads replaying the recording for ``seconds``; the summary."""
    base = f"http://127.0.0.1:{port}"
    results: list[ClientResult] = []
    lock = threading.Lock()
    step = max(1, len(recording) // max(clients, 1))
    started = time.perf_counter()
    deadline = started + seconds

    def client(k: int) -> None:
        practitioner = practitioners[k] if practitioners else None
        result = run_client(base, recording, k * step, deadline, bare, practitioner)
        with lock:
            results.append(result)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return summarise(results, time.perf_counter() - started)


def summarise(results: list[ClientResult], wall_s: float) -> dict:
    """Pages/s, p50/p95/p99 (ms) and errors over all clients, and per kind."""
    every = sorted(v for r in results for values in r.latencies.values() for v in values)
    errors = [e for r in results for e in r.errors]
    by_kind = {}
    for kind in sorted({kind for r in results for kind in r.latencies}):
        values = sorted(v for r in results for v in r.latencies[kind])
        by_kind[kind] = {"n": len(values), "p50": _p(values, 50), "p99": _p(values, 99)}
    return {
        "requests": len(every),
        "seconds": round(wall_s, 1),
        "pages_per_s": round(len(every) / wall_s, 1) if wall_s else 0.0,
        "p50": _p(every, 50),
        "p95": _p(every, 95),
        "p99": _p(every, 99),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:10],
        "by_kind": by_kind,
    }


def _p(values: list[float], p: float) -> float:
    return round(percentile(values, p), 1) if values else float("nan")


# -- servers -----------------------------------------------------------------------------------


class PerThreadBare:
    """The bare page as a WSGI app with one bare app (and SQLite connection) per thread.

    Gunicorn's threads each get their own, made on first use (after the fork), as each
    of our app's threads gets its own pooled connection.
    """

    def __init__(self, env: dict[str, str] | None = None) -> None:
        """Read the bare page's files from ``env`` (the environment); open nothing yet."""
        env = os.environ if env is None else env
        self.fts_path = Path(env["BENCH_FTS_PATH"])
        self.geo_table = Path(env["BENCH_GEO_TABLE"])
        self.hide_days = json.loads(env.get("BENCH_HIDE_DAYS", "{}"))
        self.local = threading.local()

    def __call__(self, environ: dict, start_response: object) -> object:
        """Serve one request with this thread's bare app."""
        app = getattr(self.local, "app", None)
        if app is None:
            from bench.pages import bare_app

            app = self.local.app = bare_app(self.fts_path, self.geo_table, self.hide_days)
        return app(environ, start_response)


def bare_wsgi() -> PerThreadBare:
    """The bare page as gunicorn's app: ``bench.http_load:bare_wsgi()``."""
    return PerThreadBare()


def _bare_config(out: Path) -> Path:
    """``deploy/gunicorn.conf.py`` with no ``post_fork`` (the bare page has no database pool)."""
    path = out / "gunicorn-bare.conf.py"
    path.write_text(
        f"exec(compile(open({str(GUNICORN_CONF)!r}).read(), {str(GUNICORN_CONF)!r}, 'exec'))\n"
        "del post_fork\n"
    )
    return path


@contextmanager
def served(
    app_spec: str, config: Path, env: dict[str, str], log_path: Path, probe: str
) -> Iterator[int]:
    """Serve ``app_spec`` with gunicorn and ``config`` on a free port; yields the port."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    full_env.update(env, GUNICORN_ACCESS_LOG=str(log_path), GUNICORN_ERROR_LOG=str(log_path))
    command = [
        sys.executable, "-m", "gunicorn", "-c", str(config), "-b", f"127.0.0.1:{port}", app_spec,
    ]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
        command,
        cwd=PROJECT_ROOT,
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(process, f"http://127.0.0.1:{port}{probe}", log_path)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for(process: subprocess.Popen, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early; see {log_path}")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within 90 s; see {log_path}")


# -- the bench database ------------------------------------------------------------------------


def make_practitioners(
    database_url: str, geo_table: Path, index_dir: Path, count: int
) -> list[Practitioner]:
    """``count`` approved practitioners, each signed in: a session cookie and a CSRF token."""
    from bench.dataset import make_app
    from directory.accounts.services import hash_password
    from directory.extensions import db
    from directory.models import User, utcnow

    app = make_app(database_url, index_dir, geo_table)
    password_hash = hash_password(f"bench-{random.random()}")  # noqa: S311  (nobody signs in)
    with app.app_context():
        users = [
            User(
                email=f"bench{k}@example.org",
                name=f"Bench Practitioner {k}",
                profession="link_worker",
                sector="primary_care",
                password_hash=password_hash,
                role="practitioner",
                status="approved",
                email_verified_at=utcnow(),
            )  # fmt: skip
            for k in range(count)
        ]
        db.session.add_all(users)
        db.session.commit()
        practitioners = [signed_in(app, user) for user in users]
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    return practitioners


def signed_in(app: Flask, user: object) -> Practitioner:
    """``user``'s signed-in session, as the clients will send it, and its CSRF token."""
    from flask import g, session
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf

    serializer = app.session_interface.get_signing_serializer(app)
    # As the clients will send it: Flask-Login's session protection compares them.
    with app.test_request_context(
        headers={"User-Agent": USER_AGENT}, environ_base={"REMOTE_ADDR": "127.0.0.1"}
    ):
        # The request shares the app context's g: drop the last user's token.
        g.pop("csrf_token", None)
        login_user(user)
        csrf = generate_csrf()
        cookie = serializer.dumps(dict(session))
    return Practitioner(app.config["SESSION_COOKIE_NAME"], cookie, csrf)


def public_listing_ids(
    database_url: str, geo_table: Path, index_dir: Path, limit: int = 500
) -> list[str]:
    """Up to ``limit`` public listings' ids, for listing pages and shortlist adds."""
    from bench.dataset import make_app
    from directory.extensions import db
    from directory.models import Listing, public_listings

    app = make_app(database_url, index_dir, geo_table)
    with app.app_context():
        ids = list(db.session.scalars(public_listings().with_only_columns(Listing.id).limit(limit)))
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    return ids


def stored_writes(database_url: str, geo_table: Path, index_dir: Path) -> int:
    """How many shortlist items the practitioners' adds stored."""
    from sqlalchemy import func, select

    from bench.dataset import make_app
    from directory.extensions import db
    from directory.models import ShortlistItem

    app = make_app(database_url, index_dir, geo_table)
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(ShortlistItem))
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    return count


# -- what each request costs in-process -----------------------------------------------------


def in_process_costs(
    database_url: str,
    geo_table: Path,
    index_dir: Path,
    recording: list[Recorded],
    practitioner: Practitioner,
    bare_env: dict[str, str],
    count: int = 600,
) -> dict:
    """Mean milliseconds per request of each kind, in one thread through the test client.

    The same recording, ours signed in as ``practitioner``, and the bare page: what each
    server's own code costs per request, without HTTP, gunicorn or the clients. With the
    HTTP runs' pages/s this says how much of a request is the page and how much the
    serving of it (:func:`cost_model`). Run after the HTTP runs, on their scratch copy.
    """
    from bench.dataset import make_app

    app = make_app(database_url, index_dir, geo_table)
    app.config["RATELIMIT_ENABLED"] = False
    send = as_the_clients_send(app, practitioner)
    bare = Client(PerThreadBare(bare_env))
    costs: dict[str, list[float]] = {kind: [] for kind in MIX}
    bare_costs: list[float] = []
    adds = 0
    for n, item in enumerate(recording[: count + 50]):
        started = time.perf_counter()
        form = None
        if item.kind in WRITES:
            form = add_form(practitioner, adds)
            adds += 1
        send(item, form)
        ours_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        bare.get(item.bare_path).get_data()
        bare_ms = (time.perf_counter() - started) * 1000
        if n >= 50:  # the first few warm the caches
            costs[item.kind].append(ours_ms)
            bare_costs.append(bare_ms)
    every = [ms for values in costs.values() for ms in values]
    return {
        "ours_by_kind": {kind: round(fmean(v), 2) for kind, v in costs.items() if v},
        "ours": round(fmean(every), 2),
        "bare": round(fmean(bare_costs), 2),
    }


def as_the_clients_send(
    app: Flask, practitioner: Practitioner
) -> Callable[[Recorded, dict | None], TestResponse]:
    """A function sending a recorded request to ``app`` in-process as the HTTP clients do.

    The practitioner's own session cookie every time, never one the server set: a client
    that kept the server's cookies without following the add's redirect (whose page
    shows its message) would carry one more flashed message per add, and every request
    after would read and sign the growing session (60 adds made each page about 1.6x as
    dear as the HTTP clients' pages).
    """
    client = app.test_client(use_cookies=False)
    headers = client_headers(practitioner)
    environ = {"REMOTE_ADDR": "127.0.0.1"}

    def send(item: Recorded, form: dict | None = None) -> TestResponse:
        if item.kind in WRITES:
            return client.post(item.path, data=form, headers=headers, environ_base=environ)
        return client.get(item.path, headers=headers, environ_base=environ)

    return send


def cost_model(pages_per_s: float, in_process_ms: float, cores: int) -> dict:
    """A request's CPU cost, split into the page's and the serving's (HTTP, gunicorn, clients).

    On a machine whose cores were all busy (the clients run on it too), each request
    cost ``cores * 1000 / pages_per_s`` ms of CPU; ``in_process_ms`` of it was the page.
    """
    total = per_request_ms(pages_per_s, cores)
    return {"total_ms": round(total, 2), "serving_ms": round(total - in_process_ms, 2)}


def per_request_ms(pages_per_s: float, cores: int) -> float:
    """Milliseconds of CPU a request cost when every core was busy serving ``pages_per_s``."""
    return cores * 1000 / pages_per_s if pages_per_s else float("inf")


# -- the run -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (``--help`` lists it)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.http_load", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=60, help="seconds of load per server")
    parser.add_argument("--size", type=int, default=10000, help="listings in the bench dataset")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--workers", type=int, default=None,
        help="gunicorn workers (default: deploy/gunicorn.conf.py's, the CPUs plus one)",
    )  # fmt: skip
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="datasets, logs, results")
    parser.add_argument("--geo-table", default="instance/postcodes.sqlite")
    parser.add_argument("--json", default="", help="also write the report to this file")
    parser.add_argument(
        "--docs", default="", help="write the section into this file (docs/benchmarks.md)"
    )
    parser.add_argument("--note", default="", help="a sentence for the report: what else ran")
    parser.add_argument(
        "--cost-requests", type=int, default=600, help="requests timed in-process after the runs"
    )
    return parser.parse_args(argv)


def measure(args: argparse.Namespace) -> dict:
    """Both runs (ours, then the bare page) on a scratch copy of the bench dataset."""
    from bench.dataset import ensure_dataset
    from bench.queries import by_mix, make_queries
    from bench.search_bench import dispose, ensure_fts5
    from directory.search_ui.services import hide_days

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    geo_table = (PROJECT_ROOT / args.geo_table).resolve()
    dataset, app = ensure_dataset(args.size, args.seed, out, geo_table, False, log, whoosh=False)
    ensure_fts5(dataset, app, False)
    with app.app_context():
        hidden_after = hide_days()
    dispose(app)
    with (
        scratch_copy(out / f"http-load-n{args.size}", dataset.db_path) as database,
        kept_in_memory([database, dataset.fts_path, geo_table], log),
    ):
        url, index_dir = f"sqlite:///{database}", database.parent / "index"
        mixes = by_mix(make_queries(dataset.db_path, geo_table, 400, args.seed))
        recording = record_mix(mixes, public_listing_ids(url, geo_table, index_dir), args.seed)
        practitioners = make_practitioners(url, geo_table, index_dir, args.clients)
        workers = {"GUNICORN_WORKERS": str(args.workers)} if args.workers else {}
        env = {
            "DIRECTORY_SQLALCHEMY_DATABASE_URI": url,
            "DIRECTORY_SEARCH_INDEX_DIR": str(index_dir),
            "DIRECTORY_GEO_TABLE_PATH": str(geo_table),
            "DIRECTORY_SECRET_KEY": "bench-only",
            **workers,
        }
        log(f"Ours: {args.clients} clients for {args.seconds:g} s...")
        with served(
            "wsgi:app", GUNICORN_CONF, env, out / "http-load-ours.log", "/api/search?q=walk"
        ) as port:
            ours = run_load(
                port, recording, args.clients, args.seconds, practitioners=practitioners
            )
            log(f"Our layout alone: {args.clients} clients for {args.seconds:g} s...")
            layout = run_load(
                port, [layout_alone()], args.clients, args.seconds, practitioners=practitioners
            )
        ours["writes_stored"] = stored_writes(url, geo_table, index_dir)
        bare_env = {
            "BENCH_FTS_PATH": str(dataset.fts_path),
            "BENCH_GEO_TABLE": str(geo_table),
            "BENCH_HIDE_DAYS": json.dumps(hidden_after),
            **workers,
        }
        log(f"Bare page: {args.clients} clients for {args.seconds:g} s...")
        config = _bare_config(database.parent)
        with served(
            "bench.http_load:bare_wsgi()",
            config,
            bare_env,
            out / "http-load-bare.log",
            "/bare?q=walk",
        ) as port:
            bare = run_load(port, recording, args.clients, args.seconds, bare=True)
        log("In-process cost per request, ours and the bare page...")
        costs = in_process_costs(
            url, geo_table, index_dir, recording, practitioners[0], bare_env, args.cost_requests
        )
    return report(args, ours, bare, costs, layout)


@contextmanager
def scratch_copy(scratch: Path, database: Path) -> Iterator[Path]:
    """A copy of ``database`` in an empty ``scratch`` folder, removed afterwards; yields it.

    The runs write to it (shortlists, sessions), never to the cached bench dataset.
    """
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    copy = scratch / "directory.sqlite"
    shutil.copy2(database, copy)
    try:
        yield copy
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def layout_alone() -> Recorded:
    """The one request of the layout-alone run: our not-found page (and the bare page's)."""
    return Recorded("layout_alone", LAYOUT_ALONE_PATH, "/bare")


def content_budget(ours_pps: float, bare_pps: float, layout_pps: float, cores: int) -> dict:
    """Milliseconds of CPU a request costs under load: the layout's, and the pages' own work.

    With every core busy, a request costs ``cores * 1000 / pages_per_s`` ms. Our layout
    alone (with its serving) costs ``layout_ms``; what our pages cost beyond it is their own
    work (``ours_ms``). For ours to serve half the bare page's pages/s, that work could
    cost at most ``allowed_ms`` (negative: not even the layout alone could).
    """
    layout_ms = per_request_ms(layout_pps, cores)
    allowed_ms = per_request_ms(TARGET_PAGES_RATIO * bare_pps, cores) - layout_ms
    return {
        "layout_ms": round(layout_ms, 2),
        "ours_ms": round(per_request_ms(ours_pps, cores) - layout_ms, 2),
        "allowed_ms": round(allowed_ms, 2),
    }


def report(
    args: argparse.Namespace,
    ours: dict,
    bare: dict,
    costs: dict | None = None,
    layout: dict | None = None,
) -> dict:
    """Both runs, their ratios and the targets met, and what a request costs.

    In-process (``costs``), and with the layout-alone run how much of a request under load
    the pages' own work may cost (:func:`content_budget`).
    """
    pages_ratio = ours["pages_per_s"] / bare["pages_per_s"] if bare["pages_per_s"] else 0.0
    p99_ratio = ours["p99"] / bare["p99"] if bare["p99"] else float("inf")
    cores = os.cpu_count() or 1
    if costs:
        costs = costs | {
            "cores": cores,
            "ours_model": cost_model(ours["pages_per_s"], costs["ours"], cores),
            "bare_model": cost_model(bare["pages_per_s"], costs["bare"], cores),
        }
        # For ours to serve half the bare page's pages/s, a request may cost twice the bare
        # page's whole request: less the serving (as the bare run measured it) for the page.
        bare_total = costs["bare_model"]["total_ms"]
        costs["page_budget_ms"] = round(2 * bare_total - costs["bare_model"]["serving_ms"], 2)
    budget = None
    if layout:
        budget = content_budget(
            ours["pages_per_s"], bare["pages_per_s"], layout["pages_per_s"], cores
        ) | {"layout_ratio": round(layout["pages_per_s"] / bare["pages_per_s"], 2)}
    return {
        "costs": costs,
        "layout": layout,
        "content_budget": budget,
        "clients": args.clients,
        "seconds": args.seconds,
        "size": args.size,
        "mix": MIX,
        "ours": ours,
        "bare": bare,
        "pages_ratio": round(pages_ratio, 2),
        "p99_ratio": round(p99_ratio, 2),
        "targets": {
            "zero errors": ours["errors"] == 0 and bare["errors"] == 0,
            f"pages/s >= {TARGET_PAGES_RATIO}x bare": pages_ratio >= TARGET_PAGES_RATIO,
            f"p99 <= {TARGET_P99_RATIO:g}x bare": p99_ratio <= TARGET_P99_RATIO,
        },
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def format_report(result: dict) -> str:
    """The report as a few lines of text."""
    lines = [
        f"{result['clients']} clients, {result['seconds']:g} s each, {result['size']:,} listings",
        f"{'':10} {'pages/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}",
    ]
    for name in ("ours", "layout", "bare"):
        run = result.get(name)
        if not run:
            continue
        lines.append(
            f"{name:10} {run['pages_per_s']:8.1f} {run['p50']:8.1f} {run['p95']:8.1f} "
            f"{run['p99']:8.1f} {run['errors']:7d}"
        )
    lines.append(f"pages/s ratio {result['pages_ratio']}, p99 ratio {result['p99_ratio']}")
    for target, met in result["targets"].items():
        lines.append(f"  {target}: {'met' if met else 'MISSED'}")
    lines.append(f"load average at end {result['load_average']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure, print, and optionally write JSON; 0 even when a target is missed."""
    args = parse_args(argv)
    result = measure(args)
    log(format_report(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    if args.docs:
        write_section((PROJECT_ROOT / args.docs).resolve(), markdown(result, args.note))
        log(f"Wrote the {HEADING[3:]} section of {args.docs}")
    return 0


def markdown(result: dict, note: str = "") -> list[str]:
    """The report's section of ``docs/benchmarks.md``."""
    ours, bare = result["ours"], result["bare"]
    rows = [
        "| server | requests | pages/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    layout = result.get("layout")
    servers = [("ours (wsgi:app)", ours), ("ours, layout alone", layout), ("bare page", bare)]
    for name, run in servers:
        if not run:
            continue
        rows.append(
            f"| {name} | {run['requests']:,} | {run['pages_per_s']:.1f} | {run['p50']:.0f} "
            f"| {run['p95']:.0f} | {run['p99']:.0f} | {run['errors']} |"
        )
    kinds = ["| ours, by page | share | requests | p50 ms | p99 ms |", "|---|---:|---:|---:|---:|"]
    for kind, share in MIX.items():
        k = ours["by_kind"][kind]
        kinds.append(f"| {kind} | {share}% | {k['n']:,} | {k['p50']:.0f} | {k['p99']:.0f} |")
    met = [f"{target}: **{'met' if ok else 'missed'}**" for target, ok in result["targets"].items()]
    return [
        HEADING,
        "",
        f"`python -m bench.http_load --clients {result['clients']} --seconds "
        f"{result['seconds']:g} --size {result['size']}`: {result['clients']} clients "
        f"(threads, one keep-alive connection each) replaying a recorded mix of a GP's pages "
        f"for {result['seconds']:g} s against gunicorn with `deploy/gunicorn.conf.py` "
        f"(its default workers and threads) on a copy of the {result['size']:,}-listing bench "
        "dataset (SQLite), then our layout alone (below), then the same load against the "
        "bare page served the same way (every request to `/bare` with the same query string; "
        "listing pages and writes use a postcode + domain search's). Writes: each client is "
        "a signed-in practitioner adding listings to shortlists "
        f"({ours.get('writes_stored', 0):,} items stored).",
        "",
        *rows,
        "",
        f"Ours ÷ bare: pages/s {result['pages_ratio']:g}× (target ≥ {TARGET_PAGES_RATIO:g}×), "
        f"p99 {result['p99_ratio']:g}× (target ≤ {TARGET_P99_RATIO:g}×). " + "; ".join(met) + ".",
        "",
        *kinds,
        "",
        *cost_lines(result.get("costs")),
        *budget_lines(result.get("content_budget")),
        f"Machine: {os.cpu_count()} CPUs; load average (1/5/15 min) at the end "
        f"{' / '.join(str(x) for x in result['load_average'])}. The clients run on the same "
        "cores as the server. " + note,
        "",
    ]


def cost_lines(costs: dict | None) -> list[str]:
    """What a request costs in-process, and what a page could cost to meet the target."""
    if not costs:
        return []
    by_kind = ", ".join(f"{kind} {ms:.2f}" for kind, ms in costs["ours_by_kind"].items())
    ours, bare = costs["ours_model"], costs["bare_model"]
    return [
        f"What a request costs, ms of CPU: in-process (one thread, the test client, the same "
        f"recording after the runs, each request with the practitioner's own session as the "
        f"clients send it) ours {costs['ours']:.2f} on average ({by_kind}), the "
        f"bare page {costs['bare']:.2f}. Under the load, with every core busy, each request "
        f"cost {costs['cores']} × 1000 ÷ pages/s: ours {ours['total_ms']:.2f}, the bare page "
        f"{bare['total_ms']:.2f}, of which serving it (HTTP, gunicorn, the clients on the same "
        f"cores) was {bare['serving_ms']:.2f} for the bare page and {ours['serving_ms']:.2f} "
        f"for ours. To serve half the bare page's pages/s, our page could cost at most "
        f"{costs['page_budget_ms']:.2f} ms in-process; it costs "
        f"{costs['ours'] / costs['page_budget_ms']:.1f}× that.",
        "",
    ]


def budget_lines(budget: dict | None) -> list[str]:
    """What our layout alone served, and what that leaves the pages' own work."""
    if not budget:
        return []
    allowed = budget["allowed_ms"]
    verdict = (
        f"could cost at most {allowed:.2f} ms a request under load; it costs "
        f"{budget['ours_ms']:.2f}"
        if allowed > 0
        else "would have to cost less than nothing: the layout alone misses the target"
    )
    return [
        f"Our layout alone (the not-found page, signed in: the header, session, CSRF token "
        f"and security headers around one sentence; the same clients, between the two runs) "
        f"served {budget['layout_ratio']:g}× the bare page's pages/s, at "
        f"{budget['layout_ms']:.2f} ms of CPU a request under load. For ours to serve half "
        f"the bare page's pages/s, the pages' own work beyond that layout (searching, "
        f"facets, the map, the cards, the listing, the write) {verdict}.",
        "",
    ]


def write_section(path: Path, lines: list[str]) -> None:
    """Put this run's section into ``path``, replacing an earlier one."""
    replace_section(path, HEADING, lines)


if __name__ == "__main__":
    raise SystemExit(main())
