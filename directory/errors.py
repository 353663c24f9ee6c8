"""Error pages and JSON errors.

Every failure a user or client can cause gets a clear answer, never a 500.
"""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError


class ErrorSchema(Schema):
    """What every 4xx and 5xx answer of the JSON API and the feed carries."""

    error = fields.String(
        required=True,
        metadata={"description": "The HTTP status name.", "example": "Bad Request"},
    )
    message = fields.String(
        required=True, metadata={"description": "What went wrong, in plain English."}
    )
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={
            "description": (
                "For bad input: each parameter's messages as a list of strings "
                "(the same shape for list parameters)."
            )
        },
    )


ERROR_SCHEMA = ErrorSchema()


def wants_json() -> bool:
    """JSON for the API and feeds, HTML for people."""
    return request.path.startswith(("/api/", "/openreferral/", "/health"))


def error_headers(error: HTTPException) -> list[tuple[str, str]]:
    """The headers an HTTP error brings with it, less its own content type.

    Such as ``Allow`` on a 405 (RFC 9110 requires it) or ``Retry-After``.
    """
    return [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]


def register(app: Flask) -> None:
    """Render HTTP errors as NHS-styled pages, or as JSON under the API prefixes."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        """Show an HTTP error (404, 400, 405...) in the form the client asked for."""
        if isinstance(error, SecurityError):
            # A Host header outside TRUSTED_HOSTS: no page, as building its links would
            # read that host again.
            return (
                "Bad request: this site doesn't answer to that host name.\n",
                400,
                {"Content-Type": "text/plain; charset=utf-8"},
            )
        if wants_json():
            body = {"error": error.name, "message": error.description}
            errors = getattr(error, "data", None)
            if isinstance(errors, dict) and "errors" in errors:
                body["errors"] = errors["errors"]
            return jsonify(ERROR_SCHEMA.dump(body)), error.code, error_headers(error)
        return (
            render_template("error.html", error=error),
            error.code,
            error_headers(error),
        )

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> ResponseReturnValue:
        """Log the fault and apologise without leaking details."""
        app.logger.error("Unhandled error on %s", request.path, exc_info=error.original_exception)
        if wants_json():
            body = {"error": "Internal Server Error", "message": "Something went wrong."}
            return jsonify(ERROR_SCHEMA.dump(body)), 500
        return render_template("error.html", error=error), 500
