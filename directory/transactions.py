"""One transaction per request: services only flush; the request commits once.

A view that raises, or answers with an error status, leaves nothing written.

Under concurrent writes (issue 20) a request never fails because another is writing:

- a request that may write (any method but GET, HEAD and OPTIONS, or a GET view marked
  with :func:`writes`) begins its SQLite transactions IMMEDIATE, taking the write lock
  before it reads, and waits up to ``SQLITE_BUSY_TIMEOUT_MS`` for it;
- if the database still reports a lock (SQLite "database is locked", PostgreSQL a
  serialization failure, deadlock or lock timeout), wherever it happens, in the view
  or at the commit, the whole unit of work is rolled back and the request is run once
  more from the start by :class:`RetryOnLock` (a GET that wrote without saying so runs
  again with the write lock taken up front);
- a request that still can't write gets a 503 with ``Retry-After``: a page for people,
  JSON under the API prefixes, never a 500.

Email queued during the request (:mod:`directory.email`) is sent once the commit has
succeeded: a hand-out to an address typed once, before the response; the outbox after
the response has gone out.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask.typing import RouteCallable
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import ServiceUnavailable

from directory.extensions import AFTER_COMMIT, WRITE_INTENT, db, is_lock_error, writing

log = logging.getLogger(__name__)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ATTEMPT = "directory.attempt"  # environ key: 1 for the first run of a request, 2 for the retry
# Set on the first attempt's response when it hit a lock; RetryOnLock removes it.
RETRY_HEADER = "X-Directory-Retry-Unit-Of-Work"
# Bodies larger than this are not kept for a second attempt (they are answered 503).
MAX_RETRY_BODY = 16 * 1024 * 1024


def writes(view: RouteCallable) -> RouteCallable:
    """Mark a GET view that writes (following an emailed link, say).

    Its transactions take the write lock up front, like a POST's.
    """
    view.writes = True  # type: ignore[attr-defined]
    return view


def reads_only(view: RouteCallable) -> RouteCallable:
    """Mark a POST view that writes nothing.

    The search form is one: posted only so its postcode stays out of the address. Its
    reads take no write lock, and it doesn't send the browser's next reads to the
    primary (:mod:`directory.replicas`).
    """
    view.reads_only = True  # type: ignore[attr-defined]
    return view


def may_write(view: RouteCallable | None, method: str) -> bool:
    """Whether a request by ``method`` to ``view`` may write to the database."""
    if getattr(view, "reads_only", False):
        return False
    return method not in SAFE_METHODS or getattr(view, "writes", False)


class RetryOnLock:
    """WSGI middleware running a request a second time when its first run hit a lock.

    The body is kept so the second run reads the same form. The app marks a first run
    that hit a lock with :data:`RETRY_HEADER`; its response is dropped (it was never
    started) and the request runs again in a fresh request context: a new session, no
    flashes or ``g`` from the first run, nothing it wrote (it was rolled back).
    """

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """Run the request, and once more if the first run hit a lock and asks to."""
        body = self._body(environ)
        attempts = 1 if body is None else 2
        for attempt in range(1, attempts + 1):
            run = dict(environ)
            run[ATTEMPT] = attempt if attempt < attempts else max(attempt, 2)
            if body is not None:
                run["wsgi.input"] = io.BytesIO(body)
            started: dict[str, Any] = {}

            def capture(
                status: str, headers: list, exc_info: Any = None, started: dict = started
            ) -> Callable[[bytes], None]:
                started.update(status=status, headers=headers, exc_info=exc_info)
                return lambda data: None  # Flask never uses write()

            result = self.app(run, capture)
            headers = started.get("headers", [])
            if attempt < attempts and any(name == RETRY_HEADER for name, _ in headers):
                if hasattr(result, "close"):
                    result.close()
                continue
            start_response(
                started["status"],
                [(name, value) for name, value in headers if name != RETRY_HEADER],
                started["exc_info"],
            )
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _body(environ: dict) -> bytes | None:
        """The request body, read so it can be read twice; None if too large to keep."""
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return b""
        if length > MAX_RETRY_BODY:
            return None
        stream = environ.get("wsgi.input")
        if stream is None:
            return b""
        if length:
            return stream.read(length)
        if environ.get("wsgi.input_terminated"):  # chunked: the server marks the end
            data = stream.read(MAX_RETRY_BODY + 1)
            return data if len(data) <= MAX_RETRY_BODY else None
        return b""


def busy_response() -> Response:
    """The answer when the database stayed busy: 503, ``Retry-After``, no details.

    Its transaction has been rolled back; what it renders reads without the write lock,
    so the page itself can't wait on the writer it is apologising for.
    """
    if request.environ.get(ATTEMPT, 2) < 2:
        response = Response("", 503)
        response.headers[RETRY_HEADER] = "1"
        return response
    from directory.errors import wants_json

    error = ServiceUnavailable(
        description="The directory is very busy just now and couldn't save that. "
        "Nothing was changed. Please try again in a few seconds."
    )
    with writing(False):
        if wants_json():
            response = jsonify({"error": error.name, "message": error.description})
        else:
            response = Response(render_template("error.html", error=error))
    response.status_code = 503
    response.headers["Retry-After"] = str(current_app.config["BUSY_RETRY_AFTER"])
    return response


def register(app: Flask) -> None:
    """Commit after a successful request and roll back after a failed one.

    Run a request again when it hit a lock, and answer 503 rather than 500 if it still
    can't write.
    """
    from flask import request_started

    from directory import email

    app.wsgi_app = RetryOnLock(app.wsgi_app)  # type: ignore[method-assign]
    email.install_email_sync()

    def declare_intent(sender: Flask, **extra) -> None:
        view = app.view_functions.get(request.endpoint or "")
        WRITE_INTENT.set(may_write(view, request.method) or request.environ.get(ATTEMPT, 1) > 1)

    # Sent before any before_request function (signing in reads the database).
    request_started.connect(declare_intent, app, weak=False)

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError) -> Response:
        """A lock held elsewhere, or a failing read replica: roll back and run again.

        The second run reads from the primary; if it still hits a lock it answers 503.
        Anything else is a fault (500).
        """
        db.session.rollback()
        if not _worth_running_again(error):
            raise error
        return busy_response()

    @app.after_request
    def commit_session(response: Response) -> Response:
        if response.status_code >= 400:
            db.session.rollback()
            return response
        try:
            db.session.commit()
        except DBAPIError as error:
            db.session.rollback()
            if not _worth_running_again(error):
                raise
            return busy_response()
        write_pending()
        response = email.deliver_direct(db.session, response)
        email.send_queued_after(response, app)
        return response

    @app.teardown_request
    def rollback_on_error(exc: BaseException | None) -> None:
        # Written only after a commit: what a failed or refused request left is dropped.
        db.session.info.pop(AFTER_COMMIT, None)
        if exc is not None:
            db.session.rollback()
        WRITE_INTENT.set(False)


def _worth_running_again(error: DBAPIError) -> bool:
    """A lock held elsewhere or a failing read replica: the unit of work may succeed later."""
    from directory.replicas import replica_failed

    return is_lock_error(error) or replica_failed(error)


def write_pending() -> None:
    """What the request left to write after its commit (:func:`write_after_commit`).

    In one short transaction that takes SQLite's write lock up front. If the lock isn't
    had within the busy timeout (or PostgreSQL reports a conflict) the statements are
    dropped and logged: they are counts, and the page has been answered.
    """
    statements = db.session.info.pop(AFTER_COMMIT, None)
    if not statements:
        return
    try:
        with writing():
            for statement in statements:
                db.session.execute(statement)
            db.session.commit()
    except DBAPIError as error:
        db.session.rollback()
        if not _worth_running_again(error):
            raise
        log.warning("%d statements left for after the commit were not written", len(statements))
