"""Scheduled jobs run once at a time, however many machines start them.

Every app node may run the same cron lines (reminders, the outbox, purging, feed sync).
Each job takes a lock named after it before doing anything, and a run that finds the
lock taken does nothing and says so: the run holding it does the work, and the jobs are
written so that a later run finds nothing left to do (each reminder stage is recorded,
each email claimed, each feed's last run stamped, each purged listing gone).

- On PostgreSQL the lock is an advisory lock (``pg_try_advisory_lock``) held by a
  connection of its own for the length of the run, so the job can commit as often as it
  likes. Its key is a hash of the job's name and the schema, so two directories sharing a
  database server don't block each other. If the process dies, PostgreSQL drops the
  connection and with it the lock.
- On SQLite (one machine) it is an exclusive ``flock`` on a file beside the database
  (``directory.sqlite.send-reminders.lock``), dropped by the kernel when the process
  ends. An in-memory database has no other process to share with: no lock.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import Connection, Engine, text

from directory.extensions import db

F = TypeVar("F", bound=Callable[..., Any])


def lock_key(name: str, schema: str = "") -> int:
    """The advisory lock key of a job: a signed 64-bit hash of its name and schema."""
    digest = hashlib.sha256(f"civic-directory:{schema}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _engine() -> Engine:
    """The primary database's engine (the tests' bind may be a connection)."""
    bind = db.engines[None]
    return bind.engine if isinstance(bind, Connection) else bind


@contextmanager
def job_lock(
    name: str, *, wait: bool = False, waiting: Callable[[], None] | None = None
) -> Iterator[bool]:
    """Hold the lock of the job ``name`` across every node for the ``with`` block.

    Yields True when this process holds it, False when another process does. With
    ``wait``, it waits its turn instead (calling ``waiting`` first, if the lock is taken)
    and always yields True.
    """
    engine = _engine()
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, name, wait, waiting) as held:
            yield held
    elif engine.dialect.name == "sqlite" and (database := engine.url.database) not in (
        None,
        "",
        ":memory:",
    ):
        with _file_lock(Path(f"{database}.{name}.lock"), wait, waiting) as held:
            yield held
    else:
        yield True


@contextmanager
def _advisory_lock(
    engine: Engine, name: str, wait: bool, waiting: Callable[[], None] | None
) -> Iterator[bool]:
    """A session-level advisory lock on a connection of its own, in autocommit."""
    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    held = False
    try:
        key = lock_key(name, connection.scalar(text("SELECT current_schema()")) or "")
        held = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
        if not held and wait:
            if waiting is not None:
                waiting()
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            held = True
        yield held
    finally:
        try:
            if held:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
        except Exception:
            # Never hand a connection that may still hold the lock back to the pool.
            connection.invalidate()
            raise
        finally:
            connection.close()


@contextmanager
def _file_lock(path: Path, wait: bool, waiting: Callable[[], None] | None) -> Iterator[bool]:
    """An exclusive ``flock`` on ``path`` (created if missing)."""
    import fcntl

    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                yield False
                return
            if waiting is not None:
                waiting()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def one_at_a_time(name: str) -> Callable[[F], F]:
    """Make a ``flask`` command a job that runs once at a time across every node.

    Put it under ``@group.command(...)`` and above the command's options. A run that
    finds the job already running elsewhere prints so and exits 0, having done nothing.
    """

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            with job_lock(name) as held:
                if not held:
                    click.echo(
                        f"{name}: already running on another node or process; nothing done here."
                    )
                    return None
                return command(*args, **kwargs)

        return run  # type: ignore[return-value]

    return decorate
