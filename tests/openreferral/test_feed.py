"""The feed's endpoints: what each filter does, shapes, ratings and bad parameters."""

from __future__ import annotations

import pytest

from directory.models import ListingScore
from directory.vocabularies import term_id, vocabulary_id


def ids(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return [item["id"] for item in response.get_json()["contents"]]


def test_only_public_listings_are_published_by_name(client, feed):
    assert ids(client, "/openreferral/services") == [
        feed.cafe.id,
        feed.peer_group.id,
        feed.walking.id,
    ]


def test_cors_is_open_on_the_feed_only(client, feed):
    assert client.get("/openreferral/services").headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/openreferral/nope").headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Origin" not in client.get("/api/search").headers


def test_search_matches_every_word_in_name_description_or_organisation(client, feed):
    assert ids(client, "/openreferral/services?search=walk") == [feed.walking.id]
    assert ids(client, "/openreferral/services?search=nottingham") == [feed.cafe.id]
    assert ids(client, "/openreferral/services?search=voices+peer") == [feed.peer_group.id]
    assert ids(client, "/openreferral/services?search=voices+cafe") == []
    # LIKE wildcards are literal.
    assert ids(client, "/openreferral/services?search=%25") == []


def test_taxonomy_term_filter_covers_terms_and_single_choice_attributes(client, feed):
    paid = term_id("cost", "paid")
    activity = term_id("kind", "activity")
    community = term_id("sector", "community")
    assert ids(client, f"/openreferral/services?taxonomy_term_id={paid}") == [feed.cafe.id]
    assert ids(client, f"/openreferral/services?taxonomy_term_id={activity}") == [feed.walking.id]
    assert ids(client, f"/openreferral/services?taxonomy_term_id={community}") == [feed.cafe.id]
    # Several values (repeated or comma-separated) match any of them.
    both = f"{paid},{activity}"
    assert ids(client, f"/openreferral/services?taxonomy_term_id={both}") == [
        feed.cafe.id,
        feed.walking.id,
    ]
    assert ids(client, "/openreferral/services?taxonomy_term_id=unknown") == []


def test_taxonomy_id_filter(client, feed):
    audience = vocabulary_id("audience")
    civic = vocabulary_id("civic_domain")
    assert ids(client, f"/openreferral/services?taxonomy_id={audience}") == [feed.peer_group.id]
    assert len(ids(client, f"/openreferral/services?taxonomy_id={civic}")) == 3
    assert ids(client, "/openreferral/services?taxonomy_id=unknown") == []


def test_modified_after_is_inclusive_and_takes_dates_or_times(client, feed):
    assert ids(client, "/openreferral/services?modified_after=2026-03-10") == [
        feed.cafe.id,
        feed.walking.id,
    ]
    assert ids(client, "/openreferral/services?modified_after=2026-03-10T12:00:00Z") == [
        feed.cafe.id,
        feed.walking.id,
    ]
    # 13:00 in Paris is 12:00 UTC.
    assert ids(client, "/openreferral/services?modified_after=2026-03-20T13:00:00%2B01:00") == [
        feed.cafe.id
    ]


def test_minimal_gives_ids_and_dates_and_full_nests(client, feed):
    minimal = client.get("/openreferral/services?minimal=true").get_json()["contents"]
    assert minimal[0] == {"id": feed.cafe.id, "last_modified": "2026-03-20T12:00:00.000Z"}
    listed = client.get("/openreferral/services").get_json()["contents"][0]
    assert "schedules" not in listed and listed["organization"]["name"] == "Nottingham Cafe Trust"
    full = client.get("/openreferral/services?full=true").get_json()["contents"][0]
    assert len(full["schedules"]) == 2
    assert full["service_at_locations"][0]["location"]["addresses"][0]["postal_code"] == "NG7 2RD"


def test_full_record_carries_what_the_listing_says(client, feed):
    body = client.get(f"/openreferral/services/{feed.peer_group.id}").get_json()
    assert body["minimum_age"] == 18 and body["maximum_age"] == 65
    assert [lang["name"] for lang in body["languages"]] == ["English", "Polish"]
    assert body["schedules"][0] | {"id": None} == {
        "id": None,
        "service_id": feed.peer_group.id,
        "freq": "WEEKLY",
        "interval": 2,
        "byday": "TU",
        "opens_at": "10:00:00",
        "closes_at": "12:00:00",
        "valid_from": "2026-01-06",
    }
    terms = {(a["link_type"], a["taxonomy_term"]["term"]) for a in body["attributes"]}
    assert {("civic_domain", "involvement"), ("civic_domain", "cared_for")} <= terms
    assert ("audience", "carers") in terms and ("kind", "group") in terms
    assert body["cost_options"][0]["amount"] == 0
    assert body["phones"][0]["number"] == "01632 960001"
    assert body["x-civic"]["welcome_statement"] == "Everyone is welcome."
    organisation = client.get(f"/openreferral/organizations/{feed.plymouth_org.id}").get_json()
    assert organisation["organization_identifiers"][0]["identifier"] == "1234567"


def test_ratings_stay_out_of_the_feed_unless_configured(app, client, db, feed):
    db.session.add(ListingScore(listing_id=feed.cafe.id, rating_count=3, rating_sum=12, mean=4.0))
    db.session.commit()
    url = f"/openreferral/services/{feed.cafe.id}"
    assert "ratings" not in client.get(url).get_json()["x-civic"]
    assert "rating" not in client.get("/openreferral/services?full=true").get_data(as_text=True)
    app.config["OPENREFERRAL_INCLUDE_RATINGS"] = True
    try:
        assert client.get(url).get_json()["x-civic"]["ratings"] == {"count": 3, "mean": 4.0}
    finally:
        app.config["OPENREFERRAL_INCLUDE_RATINGS"] = False


def test_service_at_locations_near_a_postcode_within_metres(client, feed):
    body = client.get("/openreferral/service_at_locations?postcode=PL4+8AA").get_json()
    assert [sal["service"]["id"] for sal in body["contents"]] == [
        feed.peer_group.id,
        feed.walking.id,
        feed.cafe.id,
    ]
    distances = [sal["distance"] for sal in body["contents"]]
    assert distances == sorted(distances) and distances[-1] > 250_000
    near = "/openreferral/service_at_locations?postcode=PL4+8AA&proximity="
    assert len(ids(client, near + "1500")) == 1
    assert len(ids(client, near + "3000")) == 2


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("day=TU", {"peer_group"}),
        ("day=saturday", {"cafe"}),
        ("start_time=17:00", {"walking"}),
        ("end_time=13:00", {"peer_group", "cafe"}),
        ("start_time=09:00&end_time=12:00", {"peer_group"}),
        ("day=SA&start_time=10:00", set()),
        ("minimum_age=16", {"peer_group", "walking"}),
        ("minimum_age=17", {"peer_group"}),
        ("maximum_age=65", {"peer_group"}),
        ("maximum_age=64", set()),
        ("minimum_age=16&day=TH", {"walking"}),
    ],
)
def test_uk_profile_filters_on_service_at_locations(client, feed, query, expected):
    body = client.get(f"/openreferral/service_at_locations?{query}").get_json()
    names = {"peer_group": feed.peer_group.id, "walking": feed.walking.id, "cafe": feed.cafe.id}
    assert {sal["service_id"] for sal in body["contents"]} == {names[n] for n in expected}
    # /services takes the same filters.
    assert set(ids(client, f"/openreferral/services?{query}")) == {names[n] for n in expected}


def test_taxonomies_publish_every_vocabulary_with_stable_term_ids(client, feed):
    taxonomies = client.get("/openreferral/taxonomies?per_page=100").get_json()
    names = {t["id"]: t["name"] for t in taxonomies["contents"]}
    assert vocabulary_id("civic_domain") in names and vocabulary_id("kind") in names
    civic = client.get(f"/openreferral/taxonomies/{vocabulary_id('civic_domain')}").get_json()
    assert [t["term"] for t in civic["taxonomy_terms"]] == [
        "closeness",
        "identity",
        "valued",
        "involvement",
        "cared_for",
        "beyond",
    ]
    # The same id on every install: derived from the vocabulary and the code.
    assert civic["taxonomy_terms"][4]["id"] == "f16a1cd5-8eb5-5d4e-b190-83daf0462de9"
    terms = client.get(
        f"/openreferral/taxonomy_terms?taxonomy_id={vocabulary_id('cost')}"
    ).get_json()
    assert [t["term"] for t in terms["contents"]] == ["free", "low_cost", "paid"]
    assert terms["total_items"] == 3


def test_the_openapi_description_is_served_where_the_index_says(client, feed):
    index = client.get("/openreferral/").get_json()
    assert index["openapi_url"] == "http://localhost/openreferral/openapi.json"
    document = client.get("/openreferral/openapi.json").get_json()
    assert document["info"]["title"] == "Open Referral UK Profile"
    assert "/services" in document["paths"] and "/service_at_locations" in document["paths"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/services?page=0", "page"),
        ("/services?page=x", "page"),
        ("/services?per_page=100000", "per_page"),
        ("/services?modified_after=yesterday", "modified_after"),
        ("/services?minimal=true&full=true", "minimal"),
        ("/services?minimal=perhaps", "minimal"),
        ("/services?minimum_age=-1", "minimum_age"),
        ("/services?day=Funday", "day"),
        ("/services?start_time=25:00", "start_time"),
        ("/services?search=" + "a" * 201, "search"),
        ("/service_at_locations?proximity=500", "proximity"),
        ("/service_at_locations?postcode=PL4+8AA&proximity=far", "proximity"),
        ("/service_at_locations?postcode=NOT+A+POSTCODE", "postcode"),
        ("/taxonomies?per_page=0", "per_page"),
        ("/taxonomy_terms?page=-3", "page"),
        ("/organizations?full_service=maybe", "full_service"),
    ],
)
def test_bad_parameters_get_a_clear_400(client, feed, query, field):
    response = client.get("/openreferral" + query)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "Bad Request"
    assert field in body["errors"] and body["message"].startswith(field)
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_unknown_parameters_are_ignored(client, feed):
    assert len(ids(client, "/openreferral/services?format=json&colour=blue")) == 3
