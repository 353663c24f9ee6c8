"""Home page and health check."""

from __future__ import annotations

import time

from flask import Flask, current_app, jsonify, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from directory.extensions import db
from directory.listings.services import count_public_listings
from directory.main import bp
from search import IndexUnavailable, current_index, start_background_rebuild

# Seconds this process reuses its count of public listings (the front page's "N listings"
# and /health's). Counting reads every listing: at 10,000 listings it took 4 ms of the
# health check's 5.5, and it grows with the directory, while the front page is the most
# visited page and load balancers ask /health every few seconds. A minute-old count
# tells a reader as much about the directory's size.
PUBLIC_COUNT_SECONDS = 60
_PUBLIC_COUNT = "directory.public_listing_count"


@bp.get("/")
def home() -> ResponseReturnValue:
    """The front door: a search box, the CIVIC domains, and what the directory is."""
    return render_template("home.html", listing_count=public_listing_count())


@bp.get("/about")
def about() -> ResponseReturnValue:
    """What the CIVIC domains and other vocabularies mean, in plain English."""
    return render_template("about.html")


@bp.get("/list-your-group")
def list_your_group() -> ResponseReturnValue:
    """The way in for charity and community group staff: the steps to list a group."""
    return render_template("list_your_group.html")


@bp.get("/health")
def health() -> ResponseReturnValue:
    """Report whether the database and search index are usable, as JSON.

    Answers 503 when the database is unreachable so load balancers stop sending traffic.
    """
    report = {"status": "ok", "database": {"ok": True}, "search": search_health()}
    try:
        db.session.execute(text("SELECT 1"))
        report["database"]["listings"] = public_listing_count()
        report["database"]["backend"] = db.engine.dialect.name
    except SQLAlchemyError as error:
        current_app.logger.error("Health check: database unavailable: %s", error)
        db.session.rollback()
        report["status"] = "error"
        report["database"] = {"ok": False, "error": "database unavailable"}
    if report["status"] == "ok" and not report["search"]["ok"]:
        report["status"] = "degraded"
    status = 200 if report["status"] != "error" else 503
    return jsonify(report), status


def search_health() -> dict:
    """Whether the index answers; a missing one starts a rebuild (search still works)."""
    index = current_index()
    if index is None:
        return {"ok": True, "engine": "database"}
    try:
        return {"ok": True, "engine": index.name, "listings": index.check()}
    except IndexUnavailable as problem:
        start_background_rebuild(current_app._get_current_object())
        return {"ok": False, "engine": "database", "error": str(problem), "rebuilding": True}


def public_listing_count() -> int:
    """How many listings are public, counted at most every :data:`PUBLIC_COUNT_SECONDS`.

    The count is kept with this app (one per process); a race only counts twice.
    """
    now = time.monotonic()
    counted_at, count = current_app.extensions.get(_PUBLIC_COUNT, (None, 0))
    if counted_at is None or now - counted_at >= PUBLIC_COUNT_SECONDS:
        count = count_public_listings(db.session)
        current_app.extensions[_PUBLIC_COUNT] = (now, count)
    return count


def forget_public_listing_count(app: Flask) -> None:
    """Count afresh next time: for a database that starts again (each test's)."""
    app.extensions.pop(_PUBLIC_COUNT, None)
