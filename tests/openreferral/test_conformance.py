"""Every endpoint's responses validate against the Open Referral UK schemas.

And the level-1 checks the ORUK validator makes hold: the required endpoints exist,
pagination metadata is right, detail pages work and filters combine with AND.
"""

from __future__ import annotations

import pytest

from directory.vocabularies import term_id, vocabulary_id
from tests.openreferral.oruk_schemas import (
    PAGE_FIELDS,
    item_schema,
    page_schema,
    schema_errors,
)

LIST_ENDPOINTS = [
    ("/openreferral/services", "compiled/service_list.json"),
    ("/openreferral/services?full=true", "compiled/service_list.json"),
    ("/openreferral/service_at_locations", "compiled/service_at_location_list.json"),
    (
        "/openreferral/service_at_locations?full=true&postcode=PL4+8AA&proximity=5000",
        "compiled/service_at_location_list.json",
    ),
    ("/openreferral/taxonomies", "taxonomy.json"),
    ("/openreferral/taxonomy_terms", "taxonomy_term.json"),
    ("/openreferral/organizations", "compiled/organization_list.json"),
]


def get_json(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response.get_json()


@pytest.mark.parametrize(("url", "schema"), LIST_ENDPOINTS)
def test_list_pages_validate(client, feed, url, schema):
    body = get_json(client, url)
    assert body["contents"], "an empty page would validate trivially"
    assert schema_errors(body, page_schema(schema)) == []


def test_every_page_of_every_list_validates(client, feed):
    """Walk each list endpoint one item a page: each page is valid and they add up."""
    for url, schema in LIST_ENDPOINTS:
        joiner = "&" if "?" in url else "?"
        first = get_json(client, f"{url}{joiner}per_page=1")
        seen = []
        for number in range(1, first["total_pages"] + 1):
            page = get_json(client, f"{url}{joiner}per_page=1&page={number}")
            assert schema_errors(page, page_schema(schema)) == [], (url, number)
            seen.extend(item["id"] for item in page["contents"])
        assert len(seen) == len(set(seen)) == first["total_items"], url


def test_service_detail_validates_for_every_service(client, feed):
    for listing in feed.public:
        body = get_json(client, f"/openreferral/services/{listing.id}")
        assert schema_errors(body, item_schema("compiled/service.json")) == []
        assert body["id"] == listing.id


def test_service_at_location_detail_validates(client, feed):
    for listing in feed.public:
        location = listing.locations[0]
        body = get_json(client, f"/openreferral/service_at_locations/{location.id}")
        assert schema_errors(body, item_schema("compiled/service_at_location.json")) == []
        assert body["service"]["id"] == listing.id


def test_taxonomy_details_validate(client, feed):
    taxonomy = get_json(client, f"/openreferral/taxonomies/{vocabulary_id('civic_domain')}")
    assert schema_errors(taxonomy, item_schema("taxonomy.json")) == []
    term = get_json(client, f"/openreferral/taxonomy_terms/{term_id('civic_domain', 'beyond')}")
    assert schema_errors(term, item_schema("taxonomy_term.json")) == []


def test_organization_detail_validates(client, feed):
    url = f"/openreferral/organizations/{feed.plymouth_org.id}"
    for suffix in ("", "?full_service=true"):
        body = get_json(client, url + suffix)
        assert schema_errors(body, item_schema("compiled/organization.json")) == []
        names = {s["name"] for s in body["services"]}
        assert names == {"Hearing Voices Peer Group", "Wellbeing Walk"}


def test_the_validator_notices_a_broken_record(client, feed):
    """The schema check is not vacuous: a service without a status fails it."""
    body = get_json(client, f"/openreferral/services/{feed.cafe.id}")
    del body["status"]
    body["schedules"][0]["freq"] = "HOURLY"
    errors = schema_errors(body, item_schema("compiled/service.json"))
    assert any("status" in error for error in errors)
    assert any("HOURLY" in error for error in errors)


# ---------------------------------------------------------------- level-1 checks


def test_required_endpoints_exist(client, feed):
    index = get_json(client, "/openreferral/")
    assert index["version"] == "3.0"
    assert "uk-profile" in index["profile"]
    assert schema_errors(index, _index_schema()) == []
    openapi = client.get(index["openapi_url"].removeprefix("http://localhost"))
    assert openapi.status_code == 200
    described = openapi.get_json()["paths"]
    for path in described:
        concrete = "/openreferral" + path.replace("{id}", _an_id(path, feed))
        assert client.get(concrete).status_code == 200, path


def _an_id(path: str, feed) -> str:
    if path.startswith("/services"):
        return feed.cafe.id
    if path.startswith("/service_at_locations"):
        return feed.cafe.locations[0].id
    if path.startswith("/taxonomies"):
        return vocabulary_id("kind")
    if path.startswith("/organizations"):
        return feed.plymouth_org.id
    return term_id("kind", "place")


def _index_schema() -> dict:
    from tests.openreferral.oruk_schemas import openapi

    schema = openapi()["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]
    return {**schema["schema"], "required": ["version", "profile", "openapi_url"]}


@pytest.mark.parametrize("per_page", [1, 2, 3, 50])
def test_pagination_metadata_is_correct(client, feed, per_page):
    total = len(feed.public)
    pages = -(-total // per_page)
    for number in range(1, pages + 2):
        body = get_json(client, f"/openreferral/services?per_page={per_page}&page={number}")
        expected_size = max(0, min(per_page, total - (number - 1) * per_page))
        assert {key: body[key] for key in PAGE_FIELDS if key != "contents"} == {
            "total_items": total,
            "total_pages": pages,
            "page_number": number,
            "size": expected_size,
            "first_page": number == 1,
            "last_page": number >= pages,
            "empty": expected_size == 0,
        }
        assert len(body["contents"]) == expected_size


def test_an_empty_result_is_a_valid_empty_page(client, feed):
    body = get_json(client, "/openreferral/services?search=nothing-matches-this")
    assert body == {
        "total_items": 0,
        "total_pages": 0,
        "page_number": 1,
        "size": 0,
        "first_page": True,
        "last_page": True,
        "empty": True,
        "contents": [],
    }


def test_detail_pages_work_for_every_listed_item(client, feed):
    for url, detail in [
        ("/openreferral/services", "/openreferral/services/{}"),
        ("/openreferral/service_at_locations", "/openreferral/service_at_locations/{}"),
        ("/openreferral/taxonomies", "/openreferral/taxonomies/{}"),
        ("/openreferral/organizations", "/openreferral/organizations/{}"),
        ("/openreferral/taxonomy_terms?per_page=1000", "/openreferral/taxonomy_terms/{}"),
    ]:
        for item in get_json(client, url)["contents"]:
            body = get_json(client, detail.format(item["id"]))
            assert body["id"] == item["id"]


def test_detail_pages_of_missing_or_hidden_records_are_404(client, feed):
    for url in [
        f"/openreferral/services/{feed.unpublished.id}",
        f"/openreferral/services/{feed.closed.id}",
        "/openreferral/services/no-such-id",
        f"/openreferral/service_at_locations/{feed.unpublished.locations[0].id}",
        "/openreferral/taxonomies/no-such-id",
        "/openreferral/taxonomy_terms/no-such-id",
        "/openreferral/organizations/no-such-id",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.is_json and response.get_json()["error"], url


def _ids(client, url: str) -> set[str]:
    return {item["id"] for item in get_json(client, url)["contents"]}


def test_filters_combine_with_and(client, feed):
    cared_for = term_id("civic_domain", "cared_for")
    plymouth = feed.plymouth_org.id
    assert _ids(client, f"/openreferral/services?taxonomy_term_id={cared_for}") == {
        feed.peer_group.id,
        feed.cafe.id,
    }
    assert _ids(client, f"/openreferral/services?organization_id={plymouth}") == {
        feed.peer_group.id,
        feed.walking.id,
    }
    both = f"/openreferral/services?taxonomy_term_id={cared_for}&organization_id={plymouth}"
    assert _ids(client, both) == {feed.peer_group.id}
    assert _ids(client, both + "&search=cafe") == set()
    assert _ids(client, both + "&modified_after=2026-03-02") == set()
    assert _ids(client, both + "&modified_after=2026-02-28T00:00:00Z") == {feed.peer_group.id}
