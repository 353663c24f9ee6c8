"""Error pages and JSON errors: every failure a user or client can cause gets a clear
answer, never a 500."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError


def wants_json() -> bool:
    """JSON for the API and feeds, HTML for people."""
    return request.path.startswith(("/api/", "/openreferral/", "/health"))


def register(app: Flask) -> None:
    """Render HTTP errors as NHS-styled pages, or as JSON under the API prefixes."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        """Show an HTTP error (404, 400, 405...) in the form the client asked for."""
        if wants_json():
            body = {"error": error.name, "message": error.description}
            errors = getattr(error, "data", None)
            if isinstance(errors, dict) and "errors" in errors:
                body["errors"] = errors["errors"]
            return jsonify(body), error.code
        return render_template("error.html", error=error), error.code

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        """Log the fault and apologise without leaking details."""
        app.logger.error("Unhandled error on %s", request.path, exc_info=error.original_exception)
        if wants_json():
            return jsonify(
                {"error": "Internal Server Error", "message": "Something went wrong."}
            ), 500
        return render_template("error.html", error=error), 500
