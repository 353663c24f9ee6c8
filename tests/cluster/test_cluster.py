"""More than one machine (issue 17): two app nodes on PostgreSQL with a hot standby and Redis.

``make test-cluster`` runs this (``CLUSTER_TESTS=1``); the normal suite skips it. The
cluster (tests/cluster/conftest.py) is a PostgreSQL primary and a streaming hot standby
started here in a temporary directory, Redis for the rate limits, and two gunicorn nodes
that share only those and the secret key. It shows:

- writes through both nodes, a browser signed in on one using the other, with no errors,
  and the database holding exactly what was accepted;
- public pages read from the replica, and a browser that has just written reading from
  the primary (its own edit shown at once by either node, even with the replica stopped);
- an edit found by the other node's search (on the replica) within 1 s;
- sign-in limits counted once across both nodes (Redis);
- the daily jobs started on both nodes at once doing each piece of work once;
- a node killed (SIGKILL) in the middle of a write losing nothing: the write is wholly
  absent, and the browser's retry on the other node succeeds.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from directory.demo import load_demo
from directory.extensions import db as _db
from directory.models import Listing, Membership, Organisation, User, utcnow
from directory.plans.services import MAX_SHORTLIST_ITEMS
from directory.vocabularies import load_vocabularies
from importers.runner import find_or_create_source
from search import rebuild_index
from search.database import public_listings
from tests.cluster.conftest import (
    Feed,
    Inbox,
    Node,
    PostgresPair,
    RedisLimits,
    node_environment,
)
from tests.concurrency.test_writes_under_load import csrf_token, form_fields
from tests.conftest import TEST_PASSWORD, _test_password_hash, make_test_app
from tests.importers.test_sync import PAGE_ONE, service

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("CLUSTER_TESTS"),
        reason="make test-cluster runs these (its own PostgreSQL pair, Redis and two nodes)",
    ),
]

PRACTITIONERS = 4
WRITE_SECONDS = 8.0
SEARCH_ROUNDS = 6
VISIBLE_WITHIN = 1.0  # seconds from an edit's answer to the other node's search finding it
DAILY_JOBS = (
    ("directory", "send-reminders"),
    ("directory", "purge-archived"),
    ("directory", "send-outbox"),
    ("import", "sync"),
)


@dataclass
class Cluster:
    """The running cluster and the people and listings set up in it."""

    pair: PostgresPair
    nodes: list[Node]
    limits: RedisLimits
    inbox: Inbox
    feed: Feed
    app: Flask  # for setting up data in the tests
    primary: sa.Engine
    standby: sa.Engine
    practitioners: list[str] = field(default_factory=list)
    editor: str = ""
    editor_listings: list[str] = field(default_factory=list)
    listings: list[str] = field(default_factory=list)  # public, to rate and shortlist


def _set_up_directory(app: Flask, cluster: Cluster) -> None:
    """Migrate, load the demo directory, add the people, build the search index."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        load_vocabularies(_db.session)
        load_demo(_db.session)
        _db.session.flush()
        password_hash = _test_password_hash()

        def person(email: str, **fields) -> User:
            values = {
                "name": email.split("@")[0], "profession": "link_worker",
                "sector": "primary_care", "password_hash": password_hash,
                "role": "practitioner", "status": "approved", "email_verified_at": utcnow(),
            }  # fmt: skip
            user = User(email=email, **{**values, **fields})
            _db.session.add(user)
            return user

        cluster.practitioners = [f"gp{n}@nhs.example.org" for n in range(PRACTITIONERS)]
        for email in cluster.practitioners:
            person(email)
        person("moderator@nhs.example.org", role="moderator")
        # The editor edits listings of an organisation trusted to publish directly.
        organisation = _db.session.scalars(
            sa.select(Organisation)
            .join(Listing)
            .where(Listing.published.is_(True), Listing.archived_at.is_(None))
            .group_by(Organisation.id)
            .order_by(Organisation.name)
            .limit(1)
        ).one()
        organisation.trusted = True
        cluster.editor = "editor@charity.example.org"
        person(cluster.editor).memberships.append(
            Membership(organisation=organisation, role="editor", status="approved")
        )
        _db.session.commit()
        rebuild_index(app)
        public = _db.session.scalars(
            public_listings().with_only_columns(Listing.id).order_by(Listing.id)
        ).all()
        own = {listing.id for listing in organisation.listings}
        cluster.editor_listings = [listing for listing in public if listing in own][:4]
        cluster.listings = [listing for listing in public if listing not in own][:40]
        _db.session.remove()


@pytest.fixture(scope="module")
def cluster(
    postgres_pair: PostgresPair,
    redis_limits: RedisLimits,
    smtp_inbox: Inbox,
    oruk_feed: Feed,
    postcode_table: Path,
    cluster_secret: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cluster]:
    """The directory on the PostgreSQL pair, served by two nodes, a and b."""
    started = time.monotonic()
    settings = {"SQLALCHEMY_DATABASE_URI": postgres_pair.primary.url()}
    app = make_test_app(settings, postcode_table, tmp_path_factory.mktemp("cluster-setup"))
    env = node_environment(postgres_pair, redis_limits, smtp_inbox, postcode_table, cluster_secret)
    logs = tmp_path_factory.mktemp("cluster-logs")
    nodes = [Node("a", env, logs), Node("b", env, logs)]
    engines = [
        postgres_pair.engine(server) for server in (postgres_pair.primary, postgres_pair.standby)
    ]
    cluster = Cluster(postgres_pair, nodes, redis_limits, smtp_inbox, oruk_feed, app, *engines)
    try:
        _set_up_directory(app, cluster)
        for node in nodes:
            node.start()
        for node in nodes:
            node.wait_ready()
        print(f"\ncluster up in {time.monotonic() - started:.1f} s: nodes at "
              f"{', '.join(node.url for node in nodes)}")  # fmt: skip
        yield cluster
    finally:
        for node in nodes:
            node.stop()
        for engine in engines:
            engine.dispose()
        with app.app_context():
            for engine in _db.engines.values():
                engine.dispose()


@pytest.fixture(autouse=True)
def fresh_limits(cluster: Cluster) -> Iterator[None]:
    """Each test starts with no sign-in attempts counted, and both nodes up."""
    cluster.limits.reset()
    yield
    for node in cluster.nodes:
        if node.process is None or node.process.poll() is not None:
            node.start()
            node.wait_ready()


# -- browsing as a person would ---------------------------------------------------------


def sign_in(http: requests.Session, node: Node, email: str) -> None:
    """Sign in through ``node``; the session cookie then works on every node."""
    page = http.get(f"{node.url}/accounts/login", timeout=60)
    response = http.post(
        f"{node.url}/accounts/login",
        data={"email": email, "password": TEST_PASSWORD, "csrf_token": csrf_token(page.text)},
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code in (302, 303), f"sign-in on {node.name}: {response.status_code}"


def accepted(response: requests.Response) -> bool:
    """A write the server took: a redirect anywhere but the sign-in page."""
    return response.status_code in (302, 303) and "/accounts/login" not in response.headers.get(
        "Location", ""
    )


def edit_summary(http: requests.Session, node: Node, listing: str, summary: str) -> bool:
    """Change a listing's summary through ``node``'s edit form; True if accepted."""
    page = http.get(f"{node.url}/listings/{listing}/edit", timeout=60)
    assert page.status_code == 200, f"edit form on {node.name}: {page.status_code}"
    fields = [
        (name, summary if name == "summary" else value)
        for name, value in form_fields(page.text, "summary")
    ]
    # The form takes times as HH:MM (cut any seconds off, as a person would).
    fields = [
        (name, value[:5] if name.endswith(("opens_at", "closes_at")) else value)
        for name, value in fields
    ]
    response = http.post(
        f"{node.url}/listings/{listing}/edit", data=fields, allow_redirects=False, timeout=60
    )
    return accepted(response)


def rate(http: requests.Session, node: Node, listing: str, usefulness: int, token: str):
    """Rate ``listing`` through ``node``."""
    return http.post(
        f"{node.url}/listings/{listing}/rate",
        data={
            "usefulness": str(usefulness),
            "would_refer": "yes",
            "helped_domains": ["closeness", "valued"],
            "csrf_token": token,
        },
        allow_redirects=False,
        timeout=60,
    )


def search_ids(http: requests.Session, node: Node, text: str) -> list[str]:
    """The ids ``/api/search`` on ``node`` finds for ``text``."""
    response = http.get(f"{node.url}/api/search", params={"q": text}, timeout=60)
    assert response.status_code == 200, response.text[:300]
    return [result["id"] for result in response.json()["results"]]


# -- writes ---------------------------------------------------------------------------


@dataclass
class Writer:
    """One signed-in person writing through both nodes, and what was accepted."""

    email: str
    statuses: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    ratings: dict[str, int] = field(default_factory=dict)
    shortlisted: set[str] = field(default_factory=set)
    edits: dict[str, str] = field(default_factory=dict)


def _write(cluster: Cluster, writer: Writer, number: int, stop: threading.Event) -> None:
    """Sign in on one node, then write through both in turn until ``stop``."""
    rng = random.Random(number)
    nodes = cluster.nodes
    http = requests.Session()
    try:
        sign_in(http, nodes[number % 2], writer.email)
        token = csrf_token(http.get(f"{nodes[(number + 1) % 2].url}/shortlists", timeout=60).text)
        turn = number
        while not stop.is_set():
            turn += 1
            node, other = nodes[turn % 2], nodes[(turn + 1) % 2]
            if writer.email == cluster.editor:
                listing = rng.choice(cluster.editor_listings)
                summary = f"Edited on node {node.name}, check word zq{number}x{turn}."
                ok = edit_summary(http, node, listing, summary)
                writer.statuses["edit", ok] += 1
                if ok:
                    writer.edits[listing] = summary
                    # Its own edit, read at once from the other node (the primary, by cookie).
                    page = http.get(f"{other.url}/listings/{listing}", timeout=60)
                    if summary not in page.text:
                        writer.problems.append(f"{other.name} showed an old summary of {listing}")
                continue
            listing = rng.choice(cluster.listings)
            if rng.random() < 0.6:
                usefulness = rng.randint(1, 5)
                response = rate(http, node, listing, usefulness, token)
                if accepted(response):
                    writer.ratings[listing] = usefulness
            else:
                # A shortlist holds MAX_SHORTLIST_ITEMS; more distinct adds are rightly
                # refused (400), and a fast machine got there within the run.
                listing = cluster.listings[cluster.listings.index(listing) % MAX_SHORTLIST_ITEMS]
                response = http.post(
                    f"{node.url}/listings/{listing}/shortlist",
                    data={"csrf_token": token, "shortlist": ""},
                    allow_redirects=False,
                    timeout=60,
                )
                if accepted(response):
                    writer.shortlisted.add(listing)
            writer.statuses[node.name, response.status_code] += 1
            if not accepted(response):
                writer.problems.append(f"{node.name} answered {response.status_code}")
    except Exception as error:  # noqa: BLE001 - reported by the test, not lost in a thread
        writer.problems.append(repr(error))
    finally:
        http.close()


def test_writes_through_both_nodes_with_no_errors(cluster: Cluster):
    writers = [Writer(email) for email in [*cluster.practitioners, cluster.editor]]
    stop = threading.Event()
    threads = [
        threading.Thread(target=_write, args=(cluster, writer, n, stop), daemon=True)
        for n, writer in enumerate(writers)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(WRITE_SECONDS)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.monotonic() - started
    totals = sum((writer.statuses for writer in writers), Counter())
    print(f"\nwrites through both nodes in {elapsed:.1f} s: {dict(sorted(totals.items()))}")
    assert not [p for w in writers for p in w.problems], [w.problems[:3] for w in writers]
    for name in ("a", "b"):  # both nodes took writes
        assert sum(n for (node, _), n in totals.items() if node == name), totals

    with cluster.primary.connect() as connection:
        users = dict(connection.execute(sa.text("SELECT email, id FROM user_account")).all())
        stored = dict(
            ((user_id, listing_id), usefulness)
            for user_id, listing_id, usefulness in connection.execute(
                sa.text("SELECT user_id, listing_id, usefulness FROM rating")
            )
        )
        expected = {
            (users[w.email], listing): usefulness
            for w in writers
            for listing, usefulness in w.ratings.items()
        }
        assert stored == expected
        recount = dict(
            (listing, (count, total))
            for listing, count, total in connection.execute(
                sa.text("SELECT listing_id, count(*), sum(usefulness) FROM rating GROUP BY 1")
            )
        )
        scores = dict(
            (listing, (count, total))
            for listing, count, total in connection.execute(
                sa.text(
                    "SELECT listing_id, rating_count, rating_sum FROM listing_score"
                    " WHERE rating_count > 0"
                )
            )
        )
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
        for writer in writers:
            assert {(writer.email, listing) for listing in writer.shortlisted} <= shortlisted
            for listing, summary in writer.edits.items():
                assert (
                    connection.scalar(
                        sa.text("SELECT summary FROM listing WHERE id = :id"), {"id": listing}
                    )
                    == summary
                )


# -- reads: the replica, and your own writes ----------------------------------------------


def _replay(cluster: Cluster, action: str) -> None:
    """Pause or resume the standby's replay of the primary's changes."""
    with cluster.standby.connect() as connection:
        connection.execute(sa.text(f"SELECT pg_wal_replay_{action}()"))
        connection.commit()
        if action == "pause":
            deadline = time.monotonic() + 10
            while connection.scalar(sa.text("SELECT pg_get_wal_replay_pause_state()")) != "paused":
                assert time.monotonic() < deadline, "the standby did not pause"
                time.sleep(0.05)


def test_a_browser_sees_its_own_edit_on_either_node_while_the_replica_lags(cluster: Cluster):
    a, b = cluster.nodes
    listing = cluster.editor_listings[0]
    editor, anyone = requests.Session(), requests.Session()
    sign_in(editor, a, cluster.editor)
    word = f"zq{uuid.uuid4().hex[:10]}"
    _replay(cluster, "pause")
    try:
        assert edit_summary(editor, a, listing, f"Now on Thursdays too, check word {word}.")
        # Anyone else reads the public page from the replica, stopped before the edit...
        assert word not in anyone.get(f"{b.url}/listings/{listing}", timeout=60).text
        assert search_ids(anyone, b, word) == []
        # ...while the editor's own reads, on either node, come from the primary.
        assert word in editor.get(f"{b.url}/listings/{listing}", timeout=60).text
        assert search_ids(editor, b, word) == [listing]
        assert search_ids(editor, a, word) == [listing]
    finally:
        _replay(cluster, "resume")
    deadline = time.monotonic() + VISIBLE_WITHIN
    while search_ids(anyone, b, word) != [listing]:
        assert time.monotonic() < deadline, "the replica did not catch up within 1 s"
        time.sleep(0.02)


def test_an_edit_is_found_by_the_other_nodes_search_within_a_second(cluster: Cluster):
    editor, anyone = requests.Session(), requests.Session()
    sign_in(editor, cluster.nodes[0], cluster.editor)
    delays = []
    for turn in range(SEARCH_ROUNDS):
        writer, reader = cluster.nodes[turn % 2], cluster.nodes[(turn + 1) % 2]
        listing = cluster.editor_listings[turn % len(cluster.editor_listings)]
        word = f"zq{uuid.uuid4().hex[:10]}"
        assert edit_summary(editor, writer, listing, f"Moved upstairs, check word {word}.")
        edited = time.monotonic()
        while search_ids(anyone, reader, word) != [listing]:
            assert time.monotonic() - edited < 5, f"{reader.name} never found the edit"
            time.sleep(0.01)
        delays.append(time.monotonic() - edited)
    print(
        f"\nedit to other node's search: max {max(delays) * 1000:.0f} ms, "
        f"each {[round(d * 1000) for d in delays]} ms"
    )
    assert max(delays) <= VISIBLE_WITHIN
    # Those searches were answered by the replica: the nodes hold connections to it.
    with cluster.standby.connect() as connection:
        assert connection.scalar(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
        )


# -- shared rate limits -------------------------------------------------------------------


def test_sign_in_limits_are_counted_across_both_nodes(cluster: Cluster):
    http = requests.Session()
    token = csrf_token(http.get(f"{cluster.nodes[0].url}/accounts/login", timeout=60).text)
    answers = []
    for attempt in range(10):  # the nodes allow 8 a minute from one address, together
        node = cluster.nodes[attempt % 2]
        response = http.post(
            f"{node.url}/accounts/login",
            data={"email": "nobody@example.org", "password": "wrong", "csrf_token": token},
            allow_redirects=False,
            timeout=60,
        )
        answers.append((node.name, response.status_code))
    print(f"\nsign-in attempts: {answers}")
    assert all(status in (200, 400) for _, status in answers[:8]), answers  # "wrong password"
    assert answers[8:] == [("a", 429), ("b", 429)]


# -- daily jobs -------------------------------------------------------------------------------


def _prepare_daily_work(cluster: Cluster) -> tuple[list[str], int]:
    """Listings archived long ago, queued emails and a registered feed.

    Returns the archived listings and the last outbox id before the jobs' work.
    """
    cluster.feed.routes[PAGE_ONE] = json.dumps(
        {"contents": [service(1), service(2)], "total_pages": 1}
    ).encode()
    cluster.feed.delay = 1.5  # a slow feed: the two syncs overlap
    cluster.feed.asked.clear()
    with cluster.app.app_context():
        find_or_create_source(_db.session, "cluster feed", "openreferral", url=cluster.feed.base)
        _db.session.commit()
        _db.session.remove()
    archived = cluster.listings[-3:]
    with cluster.primary.begin() as connection:
        before = connection.scalar(sa.text("SELECT coalesce(max(id), 0) FROM outbox_email"))
        connection.execute(
            sa.text(
                "UPDATE listing SET archived_at = (now() AT TIME ZONE 'UTC') - interval '400 days'"
                " WHERE id IN :ids"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": archived},
        )
        for n in range(5):
            connection.execute(
                sa.text(
                    "INSERT INTO outbox_email (recipient, subject, body, attempts, created_at)"
                    " VALUES (:to, 'Queued before the jobs', 'Hello', 0, now() AT TIME ZONE 'UTC')"
                ),
                {"to": f"queued{n}@charity.example.org"},
            )
    cluster.inbox.messages.clear()
    return archived, before


def header_text(value: str) -> str:
    """A header as text (subjects with curly quotes arrive encoded)."""
    return str(make_header(decode_header(value)))


def _run_daily_jobs(node: Node, outputs: list) -> None:
    for job in DAILY_JOBS:
        process = node.flask(*job)
        output, _ = process.communicate(timeout=300)
        outputs.append((node.name, " ".join(job), process.returncode, output.strip()))


def test_daily_jobs_started_on_both_nodes_at_once_do_each_piece_once(cluster: Cluster):
    archived, outbox_before = _prepare_daily_work(cluster)
    outputs: list = []
    threads = [
        threading.Thread(target=_run_daily_jobs, args=(node, outputs)) for node in cluster.nodes
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    print(f"\ndaily jobs on both nodes in {time.monotonic() - started:.1f} s:")
    for name, job, code, output in outputs:
        last = output.splitlines()[-1] if output else ""
        print(f"  {name} {job}: exit {code}: {last[:150]}")
    assert len(outputs) == 2 * len(DAILY_JOBS)
    assert all(code == 0 for _, _, code, _ in outputs), outputs

    with cluster.primary.connect() as connection:

        def scalar(sql: str, **params):
            statement = sa.text(sql)
            if "ids" in params:
                statement = statement.bindparams(sa.bindparam("ids", expanding=True))
            return connection.scalar(statement, params)

        # Reminders: some were due; each email is queued once and delivered once.
        assert scalar("SELECT count(*) FROM reminder_sent") > 0
        outbox = connection.execute(
            sa.text(
                "SELECT recipient, subject, body, attempts, sent_at FROM outbox_email"
                " WHERE id > :before"
            ),
            {"before": outbox_before},
        ).all()
        queued = Counter((row.recipient, row.subject, row.body) for row in outbox)
        assert max(queued.values()) == 1, [k for k, n in queued.items() if n > 1][:3]
        assert all(row.sent_at is not None and row.attempts == 1 for row in outbox)
        delivered = Counter(
            (message["To"], header_text(message["Subject"])) for message in cluster.inbox.messages
        )
        assert delivered == Counter((row.recipient, row.subject) for row in outbox)
        # Purging: each archived listing deleted, and recorded, once.
        assert scalar("SELECT count(*) FROM listing WHERE id IN :ids", ids=archived) == 0
        assert scalar(
            "SELECT count(*) FROM audit_event WHERE action = 'listing.purge' AND target_id IN :ids",
            ids=archived,
        ) == len(archived)
        # The feed: read once, each service imported once.
        assert cluster.feed.asked[PAGE_ONE] == 1, cluster.feed.asked
        assert scalar("SELECT count(*) FROM listing WHERE source_id IN ('svc-1', 'svc-2')") == 2
    skipped = sum("already running on another node" in output for *_, output in outputs)
    print(f"  {len(outbox)} emails sent once each; {skipped} runs found their job running")


# -- a node dying mid-request ------------------------------------------------------------------


def _wait_for(connection: sa.Connection, sql: str, seconds: float = 20) -> object:
    deadline = time.monotonic() + seconds
    while not (value := connection.scalar(sa.text(sql))):
        assert time.monotonic() < deadline, sql
        time.sleep(0.05)
    return value


def test_a_node_killed_mid_request_loses_nothing(cluster: Cluster):
    a, b = cluster.nodes
    listing = cluster.listings[0]
    http = requests.Session()
    sign_in(http, b, cluster.practitioners[0])
    token = csrf_token(http.get(f"{b.url}/shortlists", timeout=60).text)
    with cluster.primary.connect() as connection:
        user_id = connection.scalar(
            sa.text("SELECT id FROM user_account WHERE email = :e"),
            {"e": cluster.practitioners[0]},
        )
        before = connection.execute(
            sa.text("SELECT usefulness FROM rating WHERE user_id = :u AND listing_id = :l"),
            {"u": user_id, "l": listing},
        ).scalar()
    usefulness = 1 if before != 1 else 2
    rating_sql = sa.text(
        "SELECT usefulness FROM rating WHERE user_id = :u AND listing_id = :l"
    ).bindparams(u=user_id, l=listing)

    # The audit record is the rating's last write: hold inserts into its table, so node a
    # is stopped half-way through its transaction (rating and score written, not committed).
    blocker = cluster.primary.connect()
    watcher = cluster.primary.connect().execution_options(isolation_level="AUTOCOMMIT")
    outcome: dict = {}
    try:
        blocker.execute(sa.text("LOCK TABLE audit_event IN SHARE MODE"))

        def post() -> None:
            try:
                outcome["response"] = rate(http, a, listing, usefulness, token)
            except requests.RequestException as error:
                outcome["error"] = error

        request_thread = threading.Thread(target=post, daemon=True)
        request_thread.start()
        waiting_pid = _wait_for(
            watcher,
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND query LIKE 'INSERT INTO audit_event%'",
        )
        a.kill()
        request_thread.join(timeout=60)
        assert "error" in outcome, outcome  # the browser got no answer
        blocker.rollback()  # let the dead node's transaction run on to its end: no commit
        _wait_for(
            watcher,
            f"SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = {int(waiting_pid)})",
        )
    finally:
        blocker.close()
        watcher.close()

    with cluster.primary.connect() as connection:
        assert connection.scalar(rating_sql) == before  # nothing of it was kept
    print("\nnode a killed mid-write: nothing of it kept; the retry on node b:", end=" ")
    # The browser tries again, on the node still up: same session, same form.
    retry = rate(http, b, listing, usefulness, token)
    print(retry.status_code)
    assert accepted(retry), retry.status_code
    with cluster.primary.connect() as connection:
        assert connection.scalar(rating_sql) == usefulness
        count, total = connection.execute(
            sa.text(
                "SELECT count(*), coalesce(sum(usefulness), 0) FROM rating WHERE listing_id = :l"
            ),
            {"l": listing},
        ).one()
        assert connection.execute(
            sa.text("SELECT rating_count, rating_sum FROM listing_score WHERE listing_id = :l"),
            {"l": listing},
        ).one() == (count, total)
    # The killed node comes back (the fixture restarts it) and serves the same session.
    a.start()
    a.wait_ready()
    assert http.get(f"{a.url}/shortlists", timeout=60).status_code == 200
