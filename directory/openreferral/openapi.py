"""The feed's OpenAPI description, served at ``/openreferral/openapi.json``.

It is built from the Open Referral UK profile's own description (``schema/openapi.json``,
CC BY-SA 4.0) with what this feed does written in, so clients and tools can trust it:

- OpenAPI 3.1, because the profile's schemas are JSON Schema 2020-12 (the profile's file
  says 3.0.0 yet names that dialect, and writes ``type: "time"``, which is no type);
- every profile schema is carried under ``components/schemas`` with its links rewritten
  to point there, so each ``$ref`` resolves inside the document, offline;
- ``servers`` says where the feed lives, query parameters come from the input schemas
  that parse them (ranges, lengths and all), ``/organizations`` and ``/export.json`` are
  described, and every 4xx answer is the one error shape the JSON API uses.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from directory.args import document_blank_values
from directory.errors import ErrorSchema
from directory.openreferral.schemas import (
    OrganizationArgs,
    PageArgs,
    ServiceArgs,
    ServiceAtLocationArgs,
    TaxonomyTermArgs,
)

SCHEMA_DIR = Path(__file__).parent / "schema"
OPENAPI_VERSION = "3.1.0"
SERVER_URL = "/openreferral"


def _profile_document() -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / "openapi.json").read_text())


def _component_name(relative: str) -> str:
    """``compiled/service.json`` → ``compiled_service``; ``taxonomy.json`` → ``taxonomy``."""
    return relative.removesuffix(".json").replace("/", "_")


def _rewrite_refs(node: Any, folder: str) -> Any:
    """A copy of ``node`` whose relative file links point at the components they became.

    For example ``attribute.json`` becomes ``#/components/schemas/attribute``.
    """
    if isinstance(node, dict):
        rewritten = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and not value.startswith("#"):
                target = (Path(folder) / value).as_posix() if folder else value
                rewritten[key] = f"#/components/schemas/{_component_name(target)}"
            else:
                rewritten[key] = _rewrite_refs(value, folder)
        return rewritten
    if isinstance(node, list):
        return [_rewrite_refs(item, folder) for item in node]
    return node


def profile_schemas() -> dict[str, dict[str, Any]]:
    """Every schema file of the profile as a component, by its component name."""
    schemas = {}
    for path in sorted(SCHEMA_DIR.rglob("*.json")):
        if path.name == "openapi.json":
            continue
        relative = path.relative_to(SCHEMA_DIR).as_posix()
        folder = path.parent.relative_to(SCHEMA_DIR).as_posix()
        contents = json.loads(path.read_text())
        schemas[_component_name(relative)] = _rewrite_refs(
            contents, "" if folder == "." else folder
        )
    return schemas


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _page_of(item: dict[str, Any]) -> dict[str, Any]:
    """The profile's paginated shape around items of ``item``; every page field is sent."""
    return {
        "allOf": [_ref("Page")],
        "type": "object",
        "required": [
            "total_items",
            "total_pages",
            "page_number",
            "size",
            "first_page",
            "last_page",
            "empty",
            "contents",
        ],
        "properties": {"contents": {"type": "array", "items": item}},
    }


def _error(description: str) -> dict[str, Any]:
    return _json(description, _ref("Error"))


def _id_parameter(what: str) -> list[dict[str, Any]]:
    return [
        {
            "in": "path",
            "name": "id",
            "required": True,
            "description": f"The id of the {what} to retrieve.",
            "schema": {"type": "string"},
        }
    ]


BAD_PARAMETERS = "A parameter is wrong; `errors` names each one with its messages."

MINIMAL_SERVICE = {
    "type": "object",
    "description": "What `minimal=true` sends for each service.",
    "required": ["id", "last_modified"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "last_modified": {"type": "string", "format": "date-time"},
    },
    "additionalProperties": False,
}


def _operations(spec: APISpec, profile: dict[str, Any]) -> None:
    """Each path the feed serves, described as it behaves."""
    paths = profile["paths"]

    def described(path: str, key: str = "description") -> str:
        return paths.get(path, {}).get("get", {}).get(key, "")

    spec.path(
        path="/",
        operations={
            "get": {
                "operationId": "getAPIMetaInformation",
                "summary": described("/", "summary"),
                "responses": {
                    "200": _json(
                        "Information about this API.",
                        {
                            **paths["/"]["get"]["responses"]["200"]["content"]["application/json"][
                                "schema"
                            ],
                            "required": ["version", "profile", "openapi_url"],
                        },
                    )
                },
            }
        },
    )
    lists = [
        (
            "/services",
            "getPaginatedListOfServices",
            ServiceArgs,
            {"anyOf": [_ref("compiled_service_list"), _ref("MinimalService")]},
            "A page of services (`full=true`: fully nested; `minimal=true`: ids and dates).",
        ),
        (
            "/service_at_locations",
            "getPaginatedListOfServiceAtLocation",
            ServiceAtLocationArgs,
            _ref("compiled_service_at_location_list"),
            "A page of services at locations; with a postcode, nearest first with "
            "`distance` in metres.",
        ),
        ("/taxonomies", "getPaginatedListOfTaxonomies", PageArgs, _ref("taxonomy"), "A page."),
        (
            "/taxonomy_terms",
            "getPaginatedListOfTaxonomyTerms",
            TaxonomyTermArgs,
            _ref("taxonomy_term"),
            "A page of terms.",
        ),
        (
            "/organizations",
            "getPaginatedListOfOrganizations",
            OrganizationArgs,
            _ref("compiled_organization_list"),
            "A page of organisations that run at least one public service.",
        ),
    ]
    for path, operation_id, args, item, description in lists:
        responses = {
            "200": _json(description, _page_of(item)),
            "400": _error(BAD_PARAMETERS),
        }
        if path == "/service_at_locations":
            responses["503"] = _error("Searching by postcode isn't working right now.")
        spec.path(
            path=path,
            operations={
                "get": {
                    "operationId": operation_id,
                    "summary": described(path, "summary") or description,
                    "parameters": [{"in": "query", "schema": args}],
                    "responses": responses,
                }
            },
        )
    details = [
        ("/services/{id}", "getFullyNestedServiceById", "service", _ref("compiled_service"), []),
        (
            "/service_at_locations/{id}",
            "getServiceAtLocationWithNestedDataById",
            "service at location",
            _ref("compiled_service_at_location"),
            [],
        ),
        ("/taxonomies/{id}", "getTaxonomyById", "taxonomy", _ref("taxonomy"), []),
        ("/taxonomy_terms/{id}", "getTaxonomyTermById", "taxonomy term", _ref("taxonomy_term"), []),
        (
            "/organizations/{id}",
            "getOrganizationById",
            "organization",
            _ref("compiled_organization"),
            [{"in": "query", "schema": OrganizationArgs}],
        ),
    ]
    for path, operation_id, what, schema, query in details:
        responses = {
            "200": _json(f"The {what}, with its related data.", schema),
            "404": _error(f"No public {what} has that id."),
        }
        if query:
            responses["400"] = _error(BAD_PARAMETERS)
        spec.path(
            path=path,
            operations={
                "get": {
                    "operationId": operation_id,
                    "summary": f"One {what} by id.",
                    "parameters": _id_parameter(what) + query,
                    "responses": responses,
                }
            },
        )
    spec.path(
        path="/export.json",
        operations={
            "get": {
                "operationId": "exportDirectory",
                "summary": "The whole public directory as one page of fully nested services.",
                "responses": {
                    "200": _json("Every public service.", _page_of(_ref("compiled_service")))
                },
            }
        },
    )


def _describe_parameters(document: dict[str, Any], profile: dict[str, Any]) -> None:
    """Give each query parameter the profile's description where it has one."""
    words = {
        name: parameter.get("description", "")
        for name, parameter in profile["components"]["parameters"].items()
    }
    for methods in document["paths"].values():
        for operation in methods.values():
            for parameter in operation.get("parameters", []):
                if not parameter.get("description") and words.get(parameter["name"]):
                    parameter["description"] = words[parameter["name"]]


@cache
def _document() -> dict[str, Any]:
    profile = _profile_document()
    info = copy.deepcopy(profile["info"])
    info["description"] = (
        f"{info.get('description', '')}, as served by the CIVIC community directory. "
        "Adapted from the Open Referral UK profile's "
        "description (CC BY-SA 4.0): OpenAPI 3.1 for its JSON Schema 2020-12 schemas, "
        "which are carried here as components; parameters as this feed checks them; "
        "`/organizations`, `/export.json` and the error answers added."
    )
    spec = APISpec(
        title=info["title"],
        version=info["version"],
        openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin()],
        info=info,
        servers=[{"url": SERVER_URL}],
    )
    spec.components.schema("Error", schema=ErrorSchema)
    spec.components.schema("Page", copy.deepcopy(profile["components"]["schemas"]["Page"]))
    spec.components.schema("MinimalService", MINIMAL_SERVICE)
    for name, schema in profile_schemas().items():
        spec.components.schema(name, schema)
    _operations(spec, profile)
    document = spec.to_dict()
    document["jsonSchemaDialect"] = profile["jsonSchemaDialect"]
    _describe_parameters(document, profile)
    return document_blank_values(document)


def openapi_document() -> dict[str, Any]:
    """The feed's OpenAPI description (built once; a copy, so callers may change it)."""
    return copy.deepcopy(_document())
