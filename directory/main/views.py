"""Home page and health check."""

from __future__ import annotations

from flask import current_app, jsonify, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from directory.extensions import db
from directory.listings.services import count_public_listings
from directory.main import bp


@bp.get("/")
def home():
    """The front door: a search box, the CIVIC domains, and what the directory is."""
    return render_template("home.html", listing_count=count_public_listings(db.session))


@bp.get("/about")
def about():
    """What the CIVIC domains and other vocabularies mean, in plain English."""
    return render_template("about.html")


@bp.get("/health")
def health():
    """Report whether the database and search index are usable, as JSON.

    Answers 503 when the database is unreachable so load balancers stop sending traffic.
    """
    report = {"status": "ok", "database": {"ok": True}, "search": {"engine": "database"}}
    try:
        db.session.execute(text("SELECT 1"))
        report["database"]["listings"] = count_public_listings(db.session)
        report["database"]["backend"] = db.engine.dialect.name
    except SQLAlchemyError as error:
        current_app.logger.error("Health check: database unavailable: %s", error)
        db.session.rollback()
        report["status"] = "error"
        report["database"] = {"ok": False, "error": "database unavailable"}
    status = 200 if report["status"] == "ok" else 503
    return jsonify(report), status
