"""One transaction per request: services only flush; the request commits once.

A view that raises, or answers with an error status, leaves nothing written.
"""

from __future__ import annotations

from flask import Flask, Response

from directory.extensions import db


def register(app: Flask) -> None:
    """Commit after a successful request and roll back after a failed one."""

    @app.after_request
    def commit_session(response: Response) -> Response:
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    @app.teardown_request
    def rollback_on_error(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()
