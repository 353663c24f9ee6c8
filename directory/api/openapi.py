"""The JSON API's OpenAPI 3 description, generated with apispec.

It comes from the same marshmallow schemas that parse the API's input and shape its
output, so it can't drift from the code. Served at ``/api/openapi.json``, with a readable
page at ``/api/docs`` rendered on the server (no scripts, so it works under the
Content-Security-Policy).
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, jsonify, render_template
from flask.typing import ResponseReturnValue
from marshmallow import Schema

from directory.api import bp
from directory.api.schemas import (
    ErrorSchema,
    ListingSchema,
    MeSchema,
    SearchPageSchema,
    SearchResultSchema,
)
from directory.args import document_blank_values
from directory.insights.schemas import COVERAGE_ARGS, CoverageSchema
from directory.search_ui.schemas import SearchArgs

OPENAPI_VERSION = "3.0.3"
API_VERSION = "1.0"


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": "Error"}},
    }


def _ok(description: str, schema: str | type[Schema]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _summary(view) -> str:
    """A view's docstring as an operation summary (reStructuredText ``code`` as Markdown)."""
    return " ".join(view.__doc__.split()).replace("``", "`")


def build_spec(title: str = "CIVIC community directory API") -> APISpec:
    """The API's description. Each operation's summary is the view's docstring."""
    spec = APISpec(
        title=title,
        version=API_VERSION,
        openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin()],
        info={
            "description": (
                "Search the directory of local groups, places and activities that help "
                "adults with mental health problems feel connected, by CIVIC domain and "
                "by postcode. Anyone may search; `/me` needs a signed-in session or an API "
                "token (`Authorization: Bearer civic_...`, made on your account page). "
                "The Open Referral UK feed is described separately at "
                "/openreferral/openapi.json."
            )
        },
        servers=[{"url": "/api"}],
    )
    spec.components.security_scheme(
        "token", {"type": "http", "scheme": "bearer", "description": "An API token."}
    )
    for name, schema in (
        ("Error", ErrorSchema),
        ("Listing", ListingSchema),
        ("SearchResult", SearchResultSchema),
        ("SearchPage", SearchPageSchema),
        ("Me", MeSchema),
        ("Coverage", CoverageSchema),
    ):
        spec.components.schema(name, schema=schema)

    from directory.api import views

    spec.path(
        path="/search",
        operations={
            "get": {
                "operationId": "search",
                "summary": _summary(views.search),
                "parameters": [{"in": "query", "schema": SearchArgs}],
                "responses": {
                    "200": _ok("A page of results.", "SearchPage"),
                    "400": _error("A parameter is wrong; `errors` says which."),
                    "503": _error("Searching by postcode isn't working right now."),
                },
            }
        },
    )
    spec.path(
        path="/listings/{listing_id}",
        operations={
            "get": {
                "operationId": "listing_detail",
                "summary": _summary(views.listing_detail),
                "parameters": [
                    {
                        "in": "path",
                        "name": "listing_id",
                        "required": True,
                        "schema": {"type": "string", "format": "uuid"},
                    }
                ],
                "responses": {
                    "200": _ok("The listing.", "Listing"),
                    "404": _error("No public listing has that id."),
                },
            }
        },
    )
    spec.path(
        path="/insights/coverage",
        operations={
            "get": {
                "operationId": "insights_coverage",
                "summary": _summary(views.insights_coverage),
                "parameters": [{"in": "query", "schema": COVERAGE_ARGS}],
                "responses": {
                    "200": _ok("Coverage of the place.", "Coverage"),
                    "400": _error("A parameter is wrong; `errors` says which."),
                    "503": _error("Looking up places isn't working right now."),
                },
            }
        },
    )
    spec.path(
        path="/me",
        operations={
            "get": {
                "operationId": "me",
                "summary": _summary(views.me),
                "security": [{"token": []}, {}],
                "responses": {
                    "200": _ok("The account.", "Me"),
                    "401": _error("Not signed in and no valid token."),
                    "403": _error("The account may not use the API yet."),
                },
            }
        },
    )
    return spec


def api_document() -> dict[str, Any]:
    """The description as a dict, as served."""
    return document_blank_values(build_spec().to_dict())


def openapi_document() -> dict[str, Any]:
    """The description as a dict, built once per application.

    It never changes while the application runs.
    """
    cache = current_app.extensions.setdefault("api_openapi", {})
    if "document" not in cache:
        cache["document"] = api_document()
    return cache["document"]


def type_words(schema: dict[str, Any]) -> str:
    """A schema's type in a few words.

    For example "string (date-time)", "array of Listing" or "one of: any, all".
    """
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "allOf" in schema:
        return ", ".join(type_words(part) for part in schema["allOf"])
    if "anyOf" in schema:
        # apispec writes a nullable nested schema as anyOf [null object, $ref].
        refs = [part for part in schema["anyOf"] if "$ref" in part]
        return " or ".join(type_words(part) for part in refs) + ", or null"
    kind = schema.get("type", "any")
    if kind == "array":
        words = f"array of {type_words(schema.get('items', {}))}"
    elif kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        words = f"object of {type_words(schema['additionalProperties'])}"
    else:
        words = kind
    if "format" in schema:
        words += f" ({schema['format']})"
    if "enum" in schema:
        words += ", one of: " + ", ".join(str(v) for v in schema["enum"] if v is not None)
    if schema.get("nullable"):
        words += ", or null"
    return words


def docs_outline(spec: dict[str, Any]) -> dict[str, Any]:
    """What the documentation page shows, worked out from the description.

    Each operation with its parameters and responses, and each schema's properties.
    """
    operations = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            parameters = []
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                items = schema.get("items", {})
                parameters.append(
                    {
                        "name": parameter["name"],
                        "where": parameter["in"],
                        "required": parameter.get("required", False),
                        "type": type_words(schema),
                        "default": schema.get("default", items.get("default")),
                        "description": parameter.get("description", ""),
                    }
                )
            responses = [
                {
                    "status": status,
                    "description": response["description"],
                    "type": type_words(
                        response.get("content", {}).get("application/json", {}).get("schema", {})
                    ),
                }
                for status, response in operation["responses"].items()
            ]
            operations.append(
                {
                    "id": operation["operationId"],
                    "method": method.upper(),
                    "path": spec["servers"][0]["url"] + path,
                    "summary": operation.get("summary", ""),
                    "token": "security" in operation,
                    "parameters": parameters,
                    "responses": responses,
                }
            )
    schemas = [
        {
            "name": name,
            "properties": [
                {
                    "name": prop,
                    "type": type_words(definition),
                    "description": definition.get("description", ""),
                }
                for prop, definition in schema.get("properties", {}).items()
            ],
        }
        for name, schema in spec["components"]["schemas"].items()
    ]
    return {"info": spec["info"], "operations": operations, "schemas": schemas}


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The API's OpenAPI 3 description."""
    response = jsonify(openapi_document())
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/docs")
def docs() -> ResponseReturnValue:
    """The API's description as a readable page: paths, parameters and schemas."""
    return render_template("api/docs.html", outline=docs_outline(openapi_document()))
