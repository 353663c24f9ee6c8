"""``/openreferral/openapi.json``: valid OpenAPI, self-contained, and true to the feed."""

from __future__ import annotations

import re

import pytest

from tests.openreferral.oruk_schemas import schema_errors


@pytest.fixture
def document(client):
    response = client.get("/openreferral/openapi.json")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response.get_json()


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def test_the_document_is_valid_openapi(document):
    # The profile's own file says 3.0.0 and writes `type: "time"`: invalid either way.
    from openapi_spec_validator import validate

    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["jsonSchemaDialect"] == "https://json-schema.org/draft/2020-12/schema"


def test_no_type_is_made_up(document):
    allowed = {"string", "number", "integer", "boolean", "array", "object", "null"}
    for node in _walk(document):
        kind = node.get("type")
        kinds = kind if isinstance(kind, list) else [kind]
        if isinstance(kind, str | list) and not isinstance(node.get("in"), str):
            assert set(kinds) <= allowed, node


def test_every_ref_resolves_inside_the_document(document):
    refs = [node["$ref"] for node in _walk(document) if isinstance(node.get("$ref"), str)]
    assert refs
    for ref in refs:
        assert ref.startswith("#/"), ref  # nothing to fetch from elsewhere
        target = document
        for part in ref[2:].split("/"):
            target = target[part]
        assert isinstance(target, dict), ref


def test_says_where_the_feed_is_served(document):
    assert document["servers"] == [{"url": "/openreferral"}]


def test_describes_every_route_of_the_feed(app, document):
    served = {
        re.sub(r"<(?:[^:>]+:)?([^>]+)>", "{id}", rule.rule).removeprefix("/openreferral")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("openreferral.") and rule.endpoint != "openreferral.openapi"
    }
    assert set(document["paths"]) == served


def test_parameters_are_those_the_feed_checks(document):
    parameters = {p["name"]: p for p in document["paths"]["/services"]["get"]["parameters"]}
    assert parameters["per_page"]["schema"]["maximum"] == 1000
    assert parameters["start_time"]["schema"]["type"] == "string"
    assert parameters["start_time"]["schema"]["pattern"]
    assert "modified_after" in parameters and "minimal" in parameters
    # The profile's wording is kept where it has one.
    assert parameters["search"]["description"] == "Full text search."


def test_minimal_services_match_what_the_document_says(client, feed, document):
    body = client.get("/openreferral/services?minimal=true").get_json()
    schema = document["components"]["schemas"]["MinimalService"]
    assert body["contents"]
    for item in body["contents"]:
        assert schema_errors(item, schema) == []
        assert item["last_modified"].endswith("Z")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/services?taxonomy_term_id=" + "x" * 101, "taxonomy_term_id"),
        ("/services?start_time=09", "start_time"),
        ("/services?modified_after=2024-01-31T09", "modified_after"),
    ],
)
def test_bad_parameters_get_the_one_error_shape(client, query, field):
    response = client.get(f"/openreferral{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert set(body) == {"error", "message", "errors"}
    messages = body["errors"][field]
    assert isinstance(messages, list) and messages
    assert all(isinstance(message, str) for message in messages)


def test_wrong_method_says_which_are_allowed(client):
    response = client.post("/openreferral/services")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
