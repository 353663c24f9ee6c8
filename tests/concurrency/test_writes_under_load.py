"""Writes under load: practitioners rating, editing and shortlisting during a rebuild.

The app is served by gunicorn with 4 workers while ``flask search rebuild`` runs.

Issue 20: on the embedded SQLite default, 8 practitioners rating for 20 s got a 500
("database is locked") for most of their ratings. Here every write must be accepted or
answered 503 (with ``Retry-After``), nothing may answer any other 5xx, and what was
accepted must be what the database holds: each practitioner's last accepted rating, the
aggregates recounted from the ratings, every listing shortlisted, every edit, and the
search index finding the last edit of each listing after the rebuild was swapped in.

Runs on SQLite (a migrated file with the demo data) and, with ``TEST_DATABASE_URL``, on a
PostgreSQL schema of its own. Timings on a shared machine are noisy: only correctness is
asserted; the counts are printed.
"""

from __future__ import annotations

import collections
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from directory.demo import load_demo
from directory.extensions import db as _db
from directory.models import Listing, Membership, Organisation, User, utcnow
from directory.plans.services import MAX_SHORTLIST_ITEMS
from directory.vocabularies import load_vocabularies
from search import rebuild_index
from search.database import public_listings
from tests.conftest import (
    CLOCK_OFFSET_DAYS,
    TEST_PASSWORD,
    _test_password_hash,
    make_test_app,
    throwaway_database,
)

pytestmark = [
    pytest.mark.slow,
    # The gunicorn workers are other processes on the real clock: the pinned test clock
    # can't reach them, so with it moved on (make test-future) the data set up here and
    # the server would disagree about "now". `make test` runs this on both databases.
    pytest.mark.skipif(
        CLOCK_OFFSET_DAYS != 0, reason="gunicorn workers run on the real clock, not the test's"
    ),
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
RATERS = 6  # practitioners rating and shortlisting
EDITORS = 2  # practitioners who also edit their organisation's listings (and rate others)
DURATION = 20.0  # seconds of load, at least
REBUILD_AT = 6.0  # seconds into the run


@dataclass
class Outcome:
    """What one request got."""

    action: str
    status: int
    detail: str = ""
    retry_after: str | None = None


@dataclass
class Client:
    """One signed-in practitioner and what the server accepted from them."""

    email: str
    organisation_listings: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    # (listing id) -> usefulness of the last accepted rating
    ratings: dict[str, int] = field(default_factory=dict)
    shortlisted: set[str] = field(default_factory=set)
    # What the working shortlist holds: when it is full, the next add starts a new one.
    working: set[str] = field(default_factory=set)
    # listing id -> summary of the last accepted edit
    edits: dict[str, str] = field(default_factory=dict)


class FormFields(HTMLParser):
    """The fields a browser would send for each form of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.forms: list[list[tuple[str, str]]] = []
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.inside, self.fields = True, []
            self.forms.append(self.fields)
        if not self.inside:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            if kind in ("submit", "button", "image", "file"):
                return
            self.fields.append((name, attributes.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attributes:
            self.fields.append((self._select, attributes.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, "".join(self._text)))
            self._textarea = None
        elif tag == "form":
            self.inside = False


def form_fields(html: str, field_name: str) -> list[tuple[str, str]]:
    """The fields of the page's form that has a field ``field_name``."""
    parser = FormFields()
    parser.feed(html)
    (form,) = [f for f in parser.forms if any(name == field_name for name, _ in f)]
    return form


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def loaded_database(
    tmp_path_factory: pytest.TempPathFactory, postcode_table: Path
) -> Iterator[tuple[dict, list[Client]]]:
    """A migrated database with the demo directory, practitioners and an index."""
    from flask_migrate import upgrade

    with throwaway_database(tmp_path_factory, "load") as settings:
        app = make_test_app(settings, postcode_table, tmp_path_factory.mktemp("load-setup"))
        clients: list[Client] = []
        editors_listings: set[str] = set()
        with app.app_context():
            upgrade()
            load_vocabularies(_db.session)
            load_demo(_db.session)
            _db.session.flush()
            # Editors edit listings of two organisations trusted to publish directly.
            organisations = _db.session.scalars(
                sa.select(Organisation)
                .join(Listing)
                .where(Listing.published.is_(True), Listing.archived_at.is_(None))
                .group_by(Organisation.id)
                .order_by(Organisation.name)
                .limit(EDITORS)
            ).all()
            password_hash = _test_password_hash()
            for n in range(RATERS + EDITORS):
                email = f"load{n}@nhs.example.org"
                user = User(
                    email=email, name=f"Load Tester {n}", profession="link_worker",
                    sector="primary_care", password_hash=password_hash, role="practitioner",
                    status="approved", email_verified_at=utcnow(),
                )  # fmt: skip
                _db.session.add(user)
                client = Client(email)
                if n >= RATERS:
                    organisation = organisations[n - RATERS]
                    organisation.trusted = True
                    user.memberships.append(
                        Membership(organisation=organisation, role="editor", status="approved")
                    )
                    editors_listings |= {listing.id for listing in organisation.listings}
                    client.organisation_listings = [
                        listing.id
                        for listing in organisation.listings
                        if listing.published and listing.archived_at is None
                    ][:3]
                clients.append(client)
            _db.session.commit()
            rebuild_index(app)
            # Listings to rate and shortlist: public ones (those can be), none edited.
            public = _db.session.scalars(
                public_listings().with_only_columns(Listing.id).order_by(Listing.id)
            ).all()
            _db.session.remove()
            for engine in _db.engines.values():
                engine.dispose()
        # (Editors can't rate their own organisation's listings.)
        yield settings, clients, [id for id in public if id not in editors_listings][:40]


def server_environment(settings: dict, postcode_table: Path, index_dir: Path) -> dict:
    """``DIRECTORY_*`` settings for gunicorn and the ``flask`` command."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "FLASK_APP")}
    env.update(
        DIRECTORY_SQLALCHEMY_DATABASE_URI=settings["SQLALCHEMY_DATABASE_URI"],
        DIRECTORY_SECRET_KEY=secrets.token_hex(32),
        DIRECTORY_GEO_TABLE_PATH=str(postcode_table),
        DIRECTORY_SEARCH_INDEX_DIR=str(index_dir),
        DIRECTORY_BASE_URL="http://127.0.0.1",
        DIRECTORY_SESSION_COOKIE_SECURE="false",
        DIRECTORY_REMEMBER_COOKIE_SECURE="false",
        DIRECTORY_RATELIMIT_LOGIN="10000 per minute",
        PYTHONUNBUFFERED="1",
    )
    if "SQLALCHEMY_ENGINE_OPTIONS" in settings:
        env["DIRECTORY_SQLALCHEMY_ENGINE_OPTIONS"] = json.dumps(
            settings["SQLALCHEMY_ENGINE_OPTIONS"]
        )
    return env


@pytest.fixture
def server(loaded_database, postcode_table: Path, tmp_path: Path) -> Iterator[tuple[str, dict]]:
    """Serve with gunicorn, 4 sync workers on a free loopback port; yields its URL and env."""
    settings, _, _ = loaded_database
    env = server_environment(settings, postcode_table, tmp_path / "index")
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    command = [
        sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}",
        "--timeout", "120", "--log-level", "warning", "wsgi:app",
    ]  # fmt: skip
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited early:\n{log_path.read_text()[-3000:]}")
            try:
                if requests.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url, env
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        server_log = log_path.read_text(errors="replace")
        if server_log.strip():
            print(f"--- gunicorn log (last 3000 characters) ---\n{server_log[-3000:]}")


def accepted(response: requests.Response) -> bool:
    """A write the server took: a redirect anywhere but the sign-in page."""
    return response.status_code in (302, 303) and "/accounts/login" not in response.headers.get(
        "Location", ""
    )


def drive(url: str, client: Client, listings: list[str], stop: threading.Event, seed: int) -> None:
    """Sign in, then rate, shortlist and (editors) edit until ``stop`` is set."""
    rng = random.Random(seed)
    http = requests.Session()
    try:
        _sign_in(http, url, client)
        token = csrf_token(http.get(f"{url}/shortlists", timeout=120).text)
        counter = 0
        while not stop.is_set():
            counter += 1
            roll = rng.random()
            if client.organisation_listings and roll < 0.3:
                if not _edit(http, url, client, rng, f"zq{seed}x{counter}"):
                    continue
            elif roll < 0.75:
                _rate(http, url, client, rng.choice(listings), rng, token)
            else:
                _shortlist(http, url, client, rng.choice(listings), token)
            if rng.random() < 0.2:  # a read now and then
                response = http.get(f"{url}/search?q=walking", timeout=120)
                client.outcomes.append(Outcome("search", response.status_code))
    except Exception as error:  # noqa: BLE001 - reported by the test, not lost in a thread
        client.outcomes.append(Outcome("client-error", 0, repr(error)))
    finally:
        http.close()


def _sign_in(http: requests.Session, url: str, client: Client) -> None:
    """Sign in as a person would: try again until it works (ten times at most)."""
    for _attempt in range(10):
        page = http.get(f"{url}/accounts/login", timeout=120)
        form = {"email": client.email, "password": TEST_PASSWORD}
        response = http.post(
            f"{url}/accounts/login",
            data={**form, "csrf_token": csrf_token(page.text)},
            allow_redirects=False,
            timeout=120,
        )
        record(client, "login", response)
        if response.status_code in (302, 303):
            return
    raise AssertionError(f"sign-in failed: {response.status_code}")


def _edit(http: requests.Session, url: str, client: Client, rng: random.Random, word: str) -> bool:
    """Edit one of the client's listings' summary to hold ``word``; False if no form came."""
    listing = rng.choice(client.organisation_listings)
    page = http.get(f"{url}/listings/{listing}/edit", timeout=120)
    client.outcomes.append(Outcome("edit-form", page.status_code))
    if page.status_code != 200:
        return False
    summary = f"Updated under load, check word {word}."
    fields = [
        (name, summary if name == "summary" else value)
        for name, value in form_fields(page.text, "summary")
    ]
    # The form shows schedule times as 10:00:00 and accepts only HH:MM (a
    # person editing would correct them; not what this test is about).
    fields = [
        (name, value[:5] if name.endswith(("opens_at", "closes_at")) else value)
        for name, value in fields
    ]
    response = http.post(
        f"{url}/listings/{listing}/edit", data=fields, allow_redirects=False, timeout=120
    )
    record(client, "edit", response)
    if accepted(response):
        client.edits[listing] = summary
    return True


def _rate(
    http: requests.Session,
    url: str,
    client: Client,
    listing: str,
    rng: random.Random,
    token: str,
) -> None:
    """Rate ``listing`` at random; remember the rating when it was accepted."""
    usefulness = rng.randint(1, 5)
    response = http.post(
        f"{url}/listings/{listing}/rate",
        data={
            "usefulness": str(usefulness),
            "would_refer": rng.choice(["yes", "no"]),
            "helped_domains": rng.sample(["closeness", "involvement", "valued"], 2),
            "csrf_token": token,
        },
        allow_redirects=False,
        timeout=120,
    )
    record(client, "rate", response)
    if accepted(response):
        client.ratings[listing] = usefulness


def _shortlist(http: requests.Session, url: str, client: Client, listing: str, token: str) -> None:
    """Add ``listing`` to the working shortlist; remember it when that was accepted.

    As a practitioner would, start a new shortlist when the working one is full (a fast
    machine fits more than MAX_SHORTLIST_ITEMS adds into the run, and the app rightly
    answers a full shortlist with 400).
    """
    full = len(client.working) >= MAX_SHORTLIST_ITEMS and listing not in client.working
    data = {"csrf_token": token, "shortlist": "new" if full else ""}
    if full:
        data["label"] = f"Under load {len(client.shortlisted)}"
    response = http.post(
        f"{url}/listings/{listing}/shortlist", data=data, allow_redirects=False, timeout=120
    )
    record(client, "shortlist", response)
    if accepted(response):
        if full:
            client.working = set()
        client.working.add(listing)
        client.shortlisted.add(listing)


def record(client: Client, action: str, response: requests.Response) -> None:
    detail = ""
    if response.status_code >= 400:
        start = response.text.find("error-summary__list")
        detail = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text[max(start, 0) :]))
        detail = detail[:300]
    client.outcomes.append(
        Outcome(action, response.status_code, detail, response.headers.get("Retry-After"))
    )


def test_writes_under_load_are_accepted_or_refused_never_lost(loaded_database, server):
    settings, clients, listings = loaded_database
    url, env = server
    engine_options = settings.get("SQLALCHEMY_ENGINE_OPTIONS", {})
    engine = sa.create_engine(settings["SQLALCHEMY_DATABASE_URI"], **engine_options)
    try:
        editable = {listing for c in clients for listing in c.organisation_listings}
        assert len(listings) >= 20

        started = time.monotonic()
        stop = threading.Event()
        threads = [
            threading.Thread(target=drive, args=(url, client, listings, stop, n), daemon=True)
            for n, client in enumerate(clients)
        ]
        for thread in threads:
            thread.start()
        time.sleep(REBUILD_AT)
        rebuild = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi.py", "search", "rebuild"],
            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        rebuilt_after = time.monotonic() - started
        # Writing goes on for DURATION seconds, and a little after the rebuild's swap.
        time.sleep(max(DURATION - rebuilt_after, 3.0))
        stop.set()
        for thread in threads:
            thread.join(timeout=600)
        elapsed = time.monotonic() - started

        outcomes = [o for c in clients for o in c.outcomes]
        by_status = collections.Counter((o.action, o.status) for o in outcomes)
        writes = [o for o in outcomes if o.action in ("login", "rate", "edit", "shortlist")]
        summary = (
            f"{len(clients)} clients, {len(writes)} writes in {elapsed:.1f} s "
            f"(rebuild done at {rebuilt_after:.1f} s, exit {rebuild.returncode}): "
            + ", ".join(f"{a} {s}: {n}" for (a, s), n in sorted(by_status.items()))
        )
        print(summary)

        assert rebuild.returncode == 0, f"rebuild failed: {rebuild.stderr[-4000:]}"
        assert "Indexed" in rebuild.stdout
        problems = [o for o in outcomes if o.action == "client-error"]
        assert not problems, problems[:3]
        server_errors = [o for o in outcomes if o.status >= 500 and o.status != 503]
        assert not server_errors, f"{summary}\nfirst: {server_errors[:2]}"
        refused_reads = [o for o in outcomes if o.status == 503 and o not in writes]
        assert not refused_reads, summary
        for write in writes:
            assert write.status in (302, 303, 503), f"{write} ({summary})"
            if write.status == 503:
                assert write.retry_after and write.retry_after.isdigit()
        assert elapsed >= DURATION
        assert sum(1 for w in writes if w.status != 503) >= len(clients)

        with engine.connect() as connection:
            users = dict(connection.execute(sa.text("SELECT email, id FROM user_account")).all())
            stored = {
                (user_id, listing_id): usefulness
                for user_id, listing_id, usefulness in connection.execute(
                    sa.text("SELECT user_id, listing_id, usefulness FROM rating")
                )
            }
            expected = {
                (users[c.email], listing): usefulness
                for c in clients
                for listing, usefulness in c.ratings.items()
            }
            # Every accepted rating is stored as last sent; nothing else was stored.
            assert stored == expected
            recount = {
                listing_id: (count, total)
                for listing_id, count, total in connection.execute(
                    sa.text(
                        "SELECT listing_id, count(*), sum(usefulness) FROM rating"
                        " GROUP BY listing_id"
                    )
                )
            }
            scores = {
                listing_id: (count, total)
                for listing_id, count, total in connection.execute(
                    sa.text(
                        "SELECT listing_id, rating_count, rating_sum FROM listing_score"
                        " WHERE rating_count > 0"
                    )
                )
            }
            assert scores == recount
            shortlisted = set(
                connection.execute(
                    sa.text(
                        "SELECT u.email, i.listing_id FROM shortlist_item i"
                        " JOIN shortlist s ON s.id = i.shortlist_id"
                        " JOIN user_account u ON u.id = s.owner_id"
                    )
                ).all()
            )
            for client in clients:
                assert {(client.email, listing) for listing in client.shortlisted} <= shortlisted
            summaries = dict(
                connection.execute(
                    sa.text("SELECT id, summary FROM listing WHERE id IN :ids").bindparams(
                        sa.bindparam("ids", expanding=True)
                    ),
                    {"ids": sorted(editable) or [""]},
                ).all()
            )
        for client in clients:
            for listing, text in client.edits.items():
                assert summaries[listing] == text
                # The index swapped in by the rebuild holds the last edit.
                word = text.rsplit(" ", 1)[-1].rstrip(".")
                found = requests.get(f"{url}/api/search", params={"q": word}, timeout=120)
                assert found.status_code == 200
                assert [r["id"] for r in found.json()["results"]] == [listing], word
    finally:
        engine.dispose()
