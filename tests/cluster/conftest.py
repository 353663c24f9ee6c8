"""A small cluster on this machine: PostgreSQL primary and hot standby, Redis, two app nodes.

- **PostgreSQL**: a primary made with ``initdb`` in a temporary directory and a hot
  standby copied from it with ``pg_basebackup -R`` (streaming replication), each on a
  free port of its own, run as the ``postgres`` user when the tests run as root. The
  machine's own cluster (port 5432) and its configuration are never touched.
- **Redis**: the one at ``CLUSTER_REDIS_URL`` (``redis://127.0.0.1:6379/13``); the nodes'
  rate limits use a key prefix of this run's own, deleted afterwards.
- **Two app nodes**: separate gunicorn servers (``deploy/gunicorn.conf.py``, 2 workers
  each) sharing the database, the replica, Redis and the secret key, and nothing else.
- A loopback SMTP server and a loopback Open Referral feed for the daily jobs.

Every process is stopped by a finalizer, also when a test or the set-up fails: the
gunicorn servers by their process group (and they die with this process), PostgreSQL
with ``pg_ctl stop -m immediate`` (then SIGKILL), and the directory is removed.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/13")
DATABASE = "civic"
WORKERS = 2  # per node: two nodes of two workers on a machine of two cores


def free_port() -> int:
    """A loopback port nothing listens on just now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_bin() -> Path:
    """The folder of PostgreSQL's server programs (``PG_BIN``, else the newest installed)."""
    if configured := os.environ.get("PG_BIN"):
        return Path(configured)
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_basebackup"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    if found:
        return found[-1].parent
    on_path = shutil.which("pg_basebackup")
    if on_path is None:
        pytest.fail("PostgreSQL's server programs (initdb, pg_basebackup) are not installed")
    return Path(on_path).parent


def as_postgres(command: list[str]) -> list[str]:
    """``command`` run as the ``postgres`` user when we are root (initdb refuses root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a set-up command; fail the tests with its output if it fails."""
    result = subprocess.run(command, capture_output=True, text=True, cwd="/", **kwargs)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@dataclass
class PostgresServer:
    """One PostgreSQL server in a data directory of its own."""

    name: str
    data: Path
    port: int
    bin: Path

    @property
    def log(self) -> Path:
        """The server's log file, beside its data directory."""
        return self.data.parent / f"{self.name}.log"

    def url(self, database: str = DATABASE) -> str:
        """Its URL for psycopg 3 through SQLAlchemy."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def plain_url(self, database: str = DATABASE) -> str:
        """Its URL as an operator would write it (``DATABASE_URL``)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def configure(self, **settings: object) -> None:
        """Append settings to its postgresql.conf (later lines win)."""
        lines = [f"{key} = {value!r}" if isinstance(value, str) else f"{key} = {value}"
                 for key, value in settings.items()]  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# tests/cluster\n" + "\n".join(lines) + "\n")

    def start(self) -> None:
        """Start it and wait until it accepts connections."""
        pg_ctl = str(self.bin / "pg_ctl")
        run(as_postgres([pg_ctl, "-D", str(self.data), "-l", str(self.log), "-w", "-t", "90",
                         "start"]))  # fmt: skip

    def stop(self) -> None:
        """Stop it at once (no checkpoint: the directory is thrown away), surely."""
        pg_ctl = str(self.bin / "pg_ctl")
        subprocess.run(
            as_postgres([pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "-t", "30",
                         "stop"]),
            capture_output=True, cwd="/", check=False,
        )  # fmt: skip
        pid_file = self.data / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)


@dataclass
class PostgresPair:
    """A primary and its hot standby."""

    primary: PostgresServer
    standby: PostgresServer

    def engine(self, server: PostgresServer, **options) -> sa.Engine:
        """An engine on ``server``'s directory database, for the tests' own checks."""
        return sa.create_engine(server.url(), **options)


def _start_pair(base: Path, primary: PostgresServer, standby: PostgresServer) -> PostgresPair:
    """Make the primary (initdb), start it, copy it to the standby (pg_basebackup), start that."""
    bin_dir = primary.bin
    run(as_postgres([str(bin_dir / "initdb"), "-D", str(primary.data), "-U", "postgres",
                     "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync",
                     "--no-instructions"]))  # fmt: skip
    primary.configure(
        port=primary.port,
        listen_addresses="127.0.0.1",
        unix_socket_directories=str(base),
        wal_level="replica",
        max_wal_senders=4,
        hot_standby="on",
        # The directory is thrown away: no need to wait for the disk.
        fsync="off",
        full_page_writes="off",
        shared_buffers="64MB",
        max_connections=100,
    )
    primary.start()
    run(as_postgres([str(bin_dir / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
                     "-U", "postgres", "-D", str(standby.data), "-R", "-X", "stream",
                     "--no-sync"]))  # fmt: skip
    standby.configure(port=standby.port, hot_standby="on")
    standby.start()
    admin = sa.create_engine(primary.url("postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            deadline = time.monotonic() + 60
            while not connection.scalar(
                sa.text("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
            ):
                if time.monotonic() > deadline:
                    pytest.fail(f"the standby never streamed:\n{standby.log.read_text()[-3000:]}")
                time.sleep(0.2)
            connection.execute(sa.text(f"CREATE DATABASE {DATABASE}"))
    finally:
        admin.dispose()
    return PostgresPair(primary, standby)


@pytest.fixture(scope="session")
def postgres_pair(request: pytest.FixtureRequest) -> PostgresPair:
    """A throwaway PostgreSQL primary with a hot standby, removed at the end."""
    bin_dir = postgres_bin()
    base = Path(tempfile.mkdtemp(prefix="civic-cluster-"))
    primary = PostgresServer("primary", base / "primary", free_port(), bin_dir)
    standby = PostgresServer("standby", base / "standby", free_port(), bin_dir)

    def tear_down() -> None:
        standby.stop()
        primary.stop()
        shutil.rmtree(base, ignore_errors=True)

    # Registered first: both are stopped even if starting either fails half-way.
    request.addfinalizer(tear_down)
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    return _start_pair(base, primary, standby)


@dataclass
class RedisLimits:
    """The nodes' rate-limit storage: Redis, with keys of this run's own."""

    url: str
    prefix: str

    def reset(self) -> None:
        """Forget every count (the limiter's keys of this run)."""
        import redis

        client = redis.Redis.from_url(self.url)
        try:
            keys = list(client.scan_iter(match=f"*{self.prefix}*"))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


@pytest.fixture(scope="session")
def redis_limits() -> Iterator[RedisLimits]:
    """Redis at ``CLUSTER_REDIS_URL``, its keys under a prefix of this run, deleted after."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: {error}")
    finally:
        client.close()
    limits = RedisLimits(REDIS_URL, f"civic-cluster-{uuid.uuid4().hex[:12]}")
    yield limits
    limits.reset()


@dataclass
class Inbox:
    """What the loopback SMTP server received."""

    port: int
    messages: list = field(default_factory=list)


@pytest.fixture(scope="session")
def smtp_inbox() -> Iterator[Inbox]:
    """A loopback SMTP server for every node and job."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    inbox = Inbox(free_port())
    lock = threading.Lock()

    class Keep(Message):
        def handle_message(self, message) -> None:
            with lock:
                inbox.messages.append(message)

    controller = Controller(Keep(), hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@dataclass
class Feed:
    """A loopback Open Referral UK feed: what it serves, and the requests it answered."""

    base: str
    routes: dict[str, bytes]
    asked: Counter
    delay: float = 0.0


@pytest.fixture(scope="session")
def oruk_feed() -> Iterator[Feed]:
    """A slow loopback feed (each answer takes ``delay`` seconds), counting its requests."""
    import http.server

    feed = Feed("", {}, Counter())

    class Pages(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server name)
            feed.asked[self.path] += 1
            time.sleep(feed.delay)
            body = feed.routes.get(self.path)
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    feed.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield feed
    finally:
        server.shutdown()
        server.server_close()


def _die_with_parent() -> None:
    """In the child: be killed when the test process dies, whatever kills it (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Node:
    """One app node: a gunicorn server in a process group of its own."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.log = log_dir / f"node-{name}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """Where the node answers."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start gunicorn with the repository's configuration file."""
        command = [
            sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(WORKERS),
            "--log-level", "warning", "--error-logfile", "-", "wsgi:app",
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=log,
                start_new_session=True, preexec_fn=_die_with_parent,
            )  # fmt: skip

    def wait_ready(self, timeout: float = 120) -> None:
        """Wait for ``/health`` to answer 200."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process is None or self.process.poll() is not None:
                pytest.fail(f"node {self.name} exited:\n{self.tail()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/health", timeout=10).status_code == 200:
                    return
            if time.monotonic() > deadline:
                pytest.fail(f"node {self.name} did not answer:\n{self.tail()}")
            time.sleep(0.3)

    def kill(self) -> None:
        """SIGKILL the whole node, master and workers, as a machine failing would."""
        self._signal_group(signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    def stop(self) -> None:
        """Stop the node: gracefully for 20 s, then by SIGKILL; never leaves a worker."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        self._signal_group(signal.SIGKILL)  # any worker left behind
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)

    def _signal_group(self, signum: int) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signum)

    def flask(self, *args: str) -> subprocess.Popen:
        """Start a ``flask`` command on this node (its settings), output captured."""
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi.py", *args],
            cwd=PROJECT_ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True, preexec_fn=_die_with_parent,
        )  # fmt: skip

    def tail(self, characters: int = 3000) -> str:
        """The end of the node's log."""
        try:
            return self.log.read_text(errors="replace")[-characters:]
        except OSError:
            return ""


def node_environment(
    pair: PostgresPair, limits: RedisLimits, inbox: Inbox, postcode_table: Path, secret: str
) -> dict[str, str]:
    """The settings every node shares, as an operator would set them."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DIRECTORY_", "GUNICORN_")) and k not in ("DATABASE_URL", "FLASK_APP")
    }
    env.update(
        DATABASE_URL=pair.primary.plain_url(),
        DIRECTORY_DATABASE_REPLICA_URLS=pair.standby.plain_url(),
        DIRECTORY_RATELIMIT_STORAGE_URI=limits.url,
        DIRECTORY_RATELIMIT_KEY_PREFIX=limits.prefix,
        DIRECTORY_RATELIMIT_LOGIN="8 per minute",
        DIRECTORY_SECRET_KEY=secret,
        DIRECTORY_BASE_URL="http://127.0.0.1",
        DIRECTORY_SESSION_COOKIE_SECURE="false",
        DIRECTORY_REMEMBER_COOKIE_SECURE="false",
        DIRECTORY_GEO_TABLE_PATH=str(postcode_table),
        DIRECTORY_MAIL_SERVER="127.0.0.1",
        DIRECTORY_MAIL_PORT=str(inbox.port),
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="session")
def cluster_secret() -> str:
    """The secret key every node shares (sessions signed by one are read by the other)."""
    return secrets.token_hex(32)
