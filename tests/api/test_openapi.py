"""The API's OpenAPI description: generated from its schemas and true to its answers.

It is also readable as a page that works under the Content-Security-Policy.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from directory.search_ui.schemas import SEARCH_ARGS
from directory.vocabularies import vocabulary


@pytest.fixture
def document(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response.get_json()


@pytest.fixture
def listing(db, make_listing):
    made = make_listing(name="Described Group", domains=("closeness", "identity"))
    db.session.commit()
    return made


def test_describes_every_endpoint_of_the_api(app, document):
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "/api"}]
    described = {"/api" + path for path in document["paths"]}
    served = {
        re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint not in ("api.openapi", "api.docs")
    }
    assert described == served


def test_search_parameters_come_from_the_input_schema(document):
    parameters = {p["name"]: p for p in document["paths"]["/search"]["get"]["parameters"]}
    assert set(parameters) == set(SEARCH_ARGS.fields)
    assert parameters["domain"]["schema"]["items"]["enum"] == list(vocabulary("civic_domain").codes)
    assert parameters["radius_km"]["schema"] == {
        "type": "number",
        "default": 5.0,
        "minimum": 0.5,
        "maximum": 50.0,
    }
    assert parameters["domain"]["explode"] is True


def _resolve(document, schema: dict) -> dict:
    for combined in ("allOf", "anyOf"):  # how OpenAPI 3.0 writes a nullable reference
        for part in schema.get(combined, []):
            if "$ref" in part:
                return _resolve(document, part)
    if "$ref" in schema:
        return document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _schema_of(document, path: str, status: str = "200") -> dict:
    response = document["paths"][path]["get"]["responses"][status]
    return _resolve(document, response["content"]["application/json"]["schema"])


def test_search_answers_match_the_description(client, document, listing):
    body = client.get("/api/search?postcode=PL4+8AA&q=described").get_json()
    page = _schema_of(document, "/search")
    assert set(body) == set(page["properties"])
    row = _resolve(document, page["properties"]["results"]["items"])
    assert set(body["results"][0]) == set(row["properties"])
    location = _resolve(document, page["properties"]["location"])
    assert set(body["location"]) == set(location["properties"])


def test_listing_answers_match_the_description(client, document, listing):
    body = client.get(f"/api/listings/{listing.id}").get_json()
    assert set(body) == set(_schema_of(document, "/listings/{listing_id}")["properties"])
    error = client.get("/api/listings/nope").get_json()
    described = _schema_of(document, "/listings/{listing_id}", "404")["properties"]
    assert set(error) <= set(described)


def test_me_is_described_as_needing_a_token(client_as, db, document):
    operation = document["paths"]["/me"]["get"]
    assert {"token": []} in operation["security"]
    assert document["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    client = client_as("practitioner")
    db.session.commit()
    body = client.get("/api/me").get_json()
    assert set(body) == set(_schema_of(document, "/me")["properties"])


def test_docs_page_lists_paths_parameters_and_schemas_without_scripts(client, document):
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for path in document["paths"]:
        assert f"/api{path}" in page
    for name in SEARCH_ARGS.fields:
        assert f"<code>{name}</code>" in page
    for name in document["components"]["schemas"]:
        assert f'id="schema-{name}"' in page
    assert "closeness, identity, valued" in page  # enum values are spelt out
    # Nothing the CSP would block: no inline styles, no scripts but the page's own.
    assert "style=" not in page and "<style" not in page
    assert "cdn" not in page.lower()
    nonce = re.search(r"nonce-([^' ;]+)", response.headers["Content-Security-Policy"])
    for tag in re.findall(r"<script[^>]*>", page):
        assert "src=" in tag or (nonce and nonce.group(1) in tag)


def test_the_document_is_valid_openapi(document):
    from openapi_spec_validator import validate

    validate(document)


def test_datetimes_carry_their_offset_and_are_described_as_date_time(
    client, document, db, make_listing, now
):
    # Stored naive (UTC); a client must not have to guess the zone.
    checked = now - dt.timedelta(days=267, hours=2, minutes=30)
    stamp = f"{checked:%Y-%m-%dT%H:%M:%S}+00:00"
    listing = make_listing(name="Timed Group", last_verified_at=checked)
    db.session.commit()
    body = client.get(f"/api/listings/{listing.id}").get_json()
    assert body["last_verified_at"] == stamp
    assert dt.datetime.fromisoformat(body["updated_at"]).utcoffset() == dt.timedelta(0)
    row = client.get("/api/search?q=timed").get_json()["results"][0]
    assert row["last_verified_at"] == stamp
    schemas = document["components"]["schemas"]
    for name, prop in (
        ("Listing", "last_verified_at"),
        ("Listing", "updated_at"),
        ("SearchResult", "last_verified_at"),
    ):
        assert schemas[name]["properties"][prop]["format"] == "date-time", (name, prop)


@pytest.mark.parametrize(
    ("query", "field"),
    [("domain=happiness", "domain"), ("domain=closeness,nope", "domain"), ("page=0", "page")],
)
def test_every_bad_parameter_gets_the_same_error_shape(client, query, field):
    # List parameters used to get their messages keyed by item index ({"0": [...]}),
    # which the Error schema (a list of strings per parameter) doesn't describe.
    body = client.get(f"/api/search?{query}").get_json()
    assert set(body) == {"error", "message", "errors"}
    assert isinstance(body["errors"][field], list)
    assert all(isinstance(message, str) for message in body["errors"][field])
    assert body["errors"][field]


@pytest.mark.parametrize("path", ["/api/search", "/api/me", "/api/openapi.json"])
def test_wrong_method_says_which_are_allowed(client, path):
    response = client.post(path)
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET"}
    assert response.get_json()["error"] == "Method Not Allowed"


def test_wrong_method_on_a_page_says_which_are_allowed_too(client):
    response = client.delete("/search")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_every_4xx_of_the_api_is_described_with_the_error_shape(document):
    for path, methods in document["paths"].items():
        for operation in methods.values():
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (path, status)


def test_me_lists_only_approved_memberships(client_as, db, make_organisation):
    from directory.models import Membership

    client = client_as("editor")
    approved = client.user.memberships[0].organisation_id
    requested = make_organisation(name="Requested Org")
    db.session.add(Membership(user_id=client.user.id, organisation_id=requested.id))
    db.session.commit()
    body = client.get("/api/me").get_json()
    assert body["organisations"] == [{"id": approved, "role": "editor"}]
