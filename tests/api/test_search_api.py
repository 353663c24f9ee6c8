"""``/api/search`` and ``/api/listings/<id>``: shapes, validation and errors."""

from __future__ import annotations

import pytest


@pytest.fixture
def two_listings(db, make_listing):
    near = make_listing(
        name="Near Peer Group",
        domains=("involvement", "cared_for"),
        latitude=50.3760,
        longitude=-4.1379,
    )
    far = make_listing(
        name="Far Walking Group", latitude=50.41, longitude=-4.13, domains=("involvement",)
    )
    db.session.commit()
    return near, far


def test_search_answers_the_documented_shape(client, two_listings):
    near, far = two_listings
    response = client.get(
        "/api/search?postcode=pl48aa&domain=involvement&domain=cared_for&sort=nearest"
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 2
    assert body["page"] == 1 and body["per_page"] == 20
    assert [r["id"] for r in body["results"]] == [near.id, far.id]
    first = body["results"][0]
    assert first["name"] == "Near Peer Group"
    assert first["kind"] == "group"
    assert first["domains"] == ["involvement", "cared_for"]
    assert first["url"].endswith(f"/listings/{near.id}")
    assert first["distance_km"] == pytest.approx(0.06, abs=0.02)
    assert body["results"][1]["distance_km"] > first["distance_km"]
    assert body["location"]["query"] == "pl48aa"
    assert body["location"]["matched"] == "PL4 8AA"
    assert body["location"]["latitude"] == pytest.approx(50.375, abs=0.01)
    assert body["facets"]["domain"] == {"involvement": 2, "cared_for": 1}


def test_outward_code_and_unknown_postcode_fallback(client, two_listings):
    body = client.get("/api/search?postcode=PL4").get_json()
    assert body["location"]["matched"] == "PL4"
    body = client.get("/api/search?postcode=PL4 9ZZ").get_json()
    assert body["location"]["matched"] == "PL4"
    assert any("PL4 9ZZ" in warning for warning in body["warnings"])


def test_no_location_means_no_distance(client, two_listings):
    body = client.get("/api/search?q=walking").get_json()
    assert body["total"] == 1
    assert "distance_km" not in body["results"][0]
    assert body["location"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("radius_km=0", "radius_km"),
        ("radius_km=51", "radius_km"),
        ("radius_km=far", "radius_km"),
        ("domain=happiness", "domain"),
        ("kind=spaceship", "kind"),
        ("cost=cheap", "cost"),
        ("day=funday", "day"),
        ("part=midnight", "part"),
        ("sort=random", "sort"),
        ("sort=nearest", "sort"),
        ("page=0", "page"),
        ("per_page=1000", "per_page"),
        ("match=some", "match"),
        ("q=" + "x" * 201, "q"),
    ],
)
def test_bad_parameters_get_400_with_field_errors(client, query, field):
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert field in body["errors"]
    assert body["message"]


@pytest.mark.parametrize(
    ("postcode", "message"),
    [
        ("hello", "doesn't look like a UK postcode"),
        ("BT1 5GS", "Northern Ireland"),
        ("JE2 3AB", "Channel Islands"),
        ("PL99", "couldn't find"),
    ],
)
def test_bad_postcodes_get_a_clear_message(client, postcode, message):
    response = client.get("/api/search", query_string={"postcode": postcode})
    assert response.status_code == 400
    assert message in response.get_json()["errors"]["postcode"][0]


def test_missing_postcode_table_is_a_503_not_a_500(app, client, tmp_path):
    previous = app.config["GEO_TABLE_PATH"]
    app.config["GEO_TABLE_PATH"] = str(tmp_path / "missing.sqlite")
    try:
        response = client.get("/api/search?postcode=PL4+8AA")
        page = client.get("/search?postcode=PL4+8AA")
    finally:
        app.config["GEO_TABLE_PATH"] = previous
    assert response.status_code == 503
    assert page.status_code == 503
    assert "isn&#39;t working right now" in page.get_data(as_text=True)


def test_pagination_and_day_names(client, db, make_listing):
    for n in range(3):
        make_listing(name=f"Group {n}")
    db.session.commit()
    body = client.get("/api/search?day=tuesday&per_page=2&page=2").get_json()
    assert body["total"] == 3
    assert len(body["results"]) == 1


def test_listing_detail(client, db, make_listing):
    listing = make_listing(
        name="Detail Group", terms={"accessibility": ("hearing_loop",)}, phone="0115 496 0001"
    )
    db.session.commit()
    body = client.get(f"/api/listings/{listing.id}").get_json()
    assert body["name"] == "Detail Group"
    assert body["terms"]["accessibility"] == ["hearing_loop"]
    assert body["schedules"][0]["words"] == "Every Tuesday, 10:00 to 12:00"
    assert body["schedules"][0]["opens_at"] == "10:00"
    assert body["locations"][0]["postcode"] == "PL4 8AA"


def test_unknown_listing_is_json_404(client):
    response = client.get("/api/listings/nope")
    assert response.status_code == 404
    assert response.get_json()["message"] == "No public listing has that id."


def test_unknown_api_route_is_json_404(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.is_json


def test_wrong_method_is_405_not_500(client):
    assert client.post("/api/search").status_code == 405


def test_the_research_filters_in_the_api_and_its_description(client, db, make_listing):
    polish = make_listing(languages=["Polish"], mental_health_focus="welcoming")
    make_listing(languages=["English"], format="course", course_weeks=4)
    db.session.commit()
    body = client.get("/api/search?language=Polish&focus=welcoming&weekly=true").get_json()
    assert [item["id"] for item in body["results"]] == [polish.id]
    assert client.get("/api/search?format=course").get_json()["total"] == 1
    assert client.get("/api/search?suits=nobody").status_code == 400
    spec = client.get("/api/openapi.json").get_json()
    params = {p["name"] for p in spec["paths"]["/search"]["get"]["parameters"]}
    assert {"focus", "weekly", "format", "language", "suits"} <= params
