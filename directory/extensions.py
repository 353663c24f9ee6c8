"""Extension instances, bound to the app in :func:`directory.create_app`."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf import CSRFProtect
from sqlalchemy import Connection, Engine, Executable, MetaData, event
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import UpdateBase

# Named constraints so Alembic can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The read replica chosen for the current request (directory.replicas), or None: the
# primary. Set per request, only for read-only pages from a client that hasn't just written.
READ_REPLICA: ContextVar[Engine | None] = ContextVar("read_replica", default=None)


class RoutingSession(FlaskSession):
    """Flask-SQLAlchemy's session, reading from the request's replica when it has one.

    Writes always go to the primary: a flush, and any INSERT, UPDATE or DELETE statement.
    Without a replica (no ``DATABASE_REPLICA_URLS``, a request that may write, a client that
    has just written, a command) everything goes to the primary, as before.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs) -> Engine | Connection:
        """The replica for reads of a read-only request, else Flask-SQLAlchemy's choice."""
        replica = READ_REPLICA.get()
        if (
            replica is not None
            and bind is None
            and not self._flushing
            and not isinstance(clause, UpdateBase)
        ):
            return replica
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


db = SQLAlchemy(
    metadata=MetaData(naming_convention=NAMING_CONVENTION),
    session_options={"class_": RoutingSession},
)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
# Storage comes from RATELIMIT_STORAGE_URI (memory:// by default); no global limits,
# only the ones set on login, registration, password reset and anonymous reports.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def after_fork(app: Flask) -> None:
    """In a new worker process: forget the database connections inherited from its parent.

    Gunicorn with ``preload_app`` creates the app, then forks the workers; a connection
    the parent had opened must not be used by two processes. ``close=False`` leaves the
    parent's connections open for the parent.
    """
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
    # The read replicas' engines (directory.replicas), when there are any.
    for engine in getattr(app.extensions.get("replicas"), "engines", ()):
        engine.dispose(close=False)


# True while the current unit of work may write: SQLite transactions then begin with
# BEGIN IMMEDIATE. Set per request by directory.transactions, and by `writing()`.
WRITE_INTENT: ContextVar[bool] = ContextVar("write_intent", default=False)


@contextmanager
def writing(intent: bool = True) -> Iterator[None]:
    """Transactions begun inside take SQLite's write lock up front.

    With ``intent=False`` they don't, for reads that must not wait on a writer.
    """
    token = WRITE_INTENT.set(intent)
    try:
        yield
    finally:
        WRITE_INTENT.reset(token)


# Statements a page leaves to be written once its own transaction has committed
# (write_after_commit; run by directory.transactions).
AFTER_COMMIT = "directory.write_after_commit"


def write_after_commit(session: Session, statement: Executable) -> None:
    """Write ``statement`` after the request's commit, in a short transaction of its own.

    For a count kept by a page that otherwise only reads (a search that found nothing):
    written inside the page's transaction, it would turn a read into a write that holds
    SQLite's write lock while the page renders, and that must run the whole page again
    when another write committed since it began reading. Afterwards it takes the lock
    for one statement. A statement that still can't get the lock is dropped (and
    logged): the page has its answer either way. Only for self-contained statements
    (an upsert), never for a person's own work, which is the request's one transaction.
    """
    session.info.setdefault(AFTER_COMMIT, []).append(statement)


def configure_sqlite(
    engine: Engine, cache_mib: int = 64, busy_timeout_ms: int = 5000, mmap_mib: int = 0
) -> None:
    """Make SQLite behave like the PostgreSQL we also run on.

    Enforces foreign keys, waits up to ``busy_timeout_ms`` for locks instead of failing,
    lets SQLAlchemy emit BEGIN itself so SAVEPOINT works (pysqlite's own transaction
    handling breaks it; SQLAlchemy's "Serializable isolation / Savepoints / Transactional
    DDL" recipe), gives each connection a page cache of ``cache_mib`` MiB, reads up to
    ``mmap_mib`` MiB of the file through a memory map, and logs writes ahead so readers
    are not locked out by a long write.

    Why the memory map: a connection empties its page cache whenever another connection
    has written since its last transaction, and under load something always has (a
    shortlist added, a rating, a sign-in, a search near a place that found nothing,
    counted as unmet need), so each page read its pages again. Through the map a page
    already in the operating system's file cache is read in place, without a system call
    and a copy: with another process writing every few milliseconds, a search page cost
    8-9% more CPU without it and no more than on a quiet database with it.

    A transaction that may write (``WRITE_INTENT``, set for every request but GET, HEAD
    and OPTIONS) begins IMMEDIATE: it takes the write lock before reading anything. A
    plain (deferred) BEGIN reads first and asks for the lock at its first write; if
    another connection committed in between, SQLite refuses at once with "database is
    locked" (its snapshot is stale, so waiting cannot help), which was most of the 500s
    under load in issue 20.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: sqlite3.Connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        # A negative cache_size is in KiB rather than pages.
        cursor.execute(f"PRAGMA cache_size=-{int(cache_mib) * 1024}")
        cursor.execute(f"PRAGMA mmap_size={int(mmap_mib) * 1024 * 1024}")
        # Write-ahead logging: readers go on reading while a long write (rebuilding the
        # search tables of a large directory) runs. In the default rollback journal such
        # a write locks them out, and searches answered from the database failed.
        # (An in-memory database keeps its own journal mode.)
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if WRITE_INTENT.get() else "BEGIN")


# psycopg's SQLSTATEs for "try the transaction again": serialization failure, deadlock,
# lock not available (lock_timeout), query cancelled (statement_timeout while waiting).
POSTGRES_RETRY_STATES = frozenset({"40001", "40P01", "55P03"})
SQLITE_BUSY, SQLITE_LOCKED = 5, 6


def is_lock_error(error: BaseException) -> bool:
    """True if ``error`` means another transaction held a lock: worth running again."""
    original = getattr(error, "orig", error)
    if isinstance(original, sqlite3.OperationalError):
        code = getattr(original, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)
        return "locked" in str(original) or "busy" in str(original)
    return getattr(original, "sqlstate", None) in POSTGRES_RETRY_STATES
