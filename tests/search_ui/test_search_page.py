"""The ``/search`` page: results, facets, map, errors that keep what was typed."""

from __future__ import annotations

import re


def test_results_with_distances_facets_and_map(client, db, make_listing):
    listing = make_listing(name="Tuesday Peer Group", domains=("involvement", "cared_for"))
    db.session.commit()
    response = client.get("/search?postcode=PL4+8AA&domain=involvement&domain=cared_for")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>1</strong> result within 5 km of PL4 8AA" in page
    assert "Tuesday Peer Group" in page
    assert "km away" in page
    assert (
        'id="domain-involvement" name="domain" type="checkbox" value="involvement" checked' in page
    )
    assert 'Involvement <span class="civic-facet-count">(1)</span>' in page
    # The map: local Leaflet, no CDN, the script carries the CSP nonce.
    assert re.search(r'<script src="/static/vendor/leaflet/leaflet\.[0-9a-f]{12}\.js">', page)
    assert "cdn" not in page.lower()
    nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in page
    assert f"/listings/{listing.id}" in page


def test_listing_name_cannot_inject_script_into_map(client, db, make_listing):
    make_listing(name="</script><script>alert(1)</script>`${alert(2)}`")
    db.session.commit()
    page = client.get("/search?postcode=PL4+8AA").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page


def map_features(page: str) -> list[dict]:
    """The features the page's map script adds to its one GeoJSON layer."""
    import json
    import re

    found = re.findall(r"geo_json_\w+\.addData\((.*)\);\n", page)
    assert len(found) == 1, "one layer, given its features once"
    return json.loads(found[0])["features"]


def test_map_is_one_layer_of_styled_linked_points(client, db, make_listing):
    group = make_listing(name="Tuesday Peer Group")
    place = make_listing(name="Drop-in Cafe", kind="place", latitude=50.38, longitude=-4.13)
    db.session.commit()
    page = client.get("/search?postcode=PL4+8AA").get_data(as_text=True)
    assert "circle_marker_" not in page, "no element (and no template) per marker"
    features = {f["properties"]["tooltip"]: f for f in map_features(page)}
    assert features["Tuesday Peer Group"]["geometry"]["coordinates"] == [-4.129, 50.3755]
    assert features["Tuesday Peer Group"]["properties"]["style"]["color"] == "#005eb8"
    assert features["Drop-in Cafe"]["properties"]["style"]["fillColor"] == "#007f3b"
    assert f'href="/listings/{group.id}"' in features["Tuesday Peer Group"]["properties"]["popup"]
    assert f'href="/listings/{place.id}"' in features["Drop-in Cafe"]["properties"]["popup"]
    assert ".fitBounds(" in page


def test_listing_name_is_never_run_as_a_template(client, db, make_listing):
    # folium's elements compile what they render as Jinja: names must not reach them.
    listing = make_listing(name="Group {{ 7*7 }} {% if true %}x{% endif %}")
    db.session.commit()
    for url in ("/search?postcode=PL4+8AA", f"/listings/{listing.id}"):
        response = client.get(url)
        assert response.status_code == 200
        [feature] = map_features(response.get_data(as_text=True))
        assert feature["properties"]["tooltip"] == "Group {{ 7*7 }} {% if true %}x{% endif %}"


def test_bad_input_keeps_what_was_typed(client):
    response = client.get("/search?postcode=PL4+8AA&q=choir&radius_km=500&domain=involvement")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page
    assert "Must be between 0.5 and 50 km." in page
    assert 'value="PL4 8AA"' in page and 'value="choir"' in page and 'value="500"' in page
    assert 'value="involvement" checked' in page


def test_junk_postcode_message(client):
    response = client.get("/search?postcode=zzzz")
    assert response.status_code == 400
    assert "doesn&#39;t look like a UK postcode" in response.get_data(as_text=True)


def test_did_you_mean_link(client, db, make_listing):
    make_listing(name="Community choir")
    db.session.commit()
    page = client.get("/search?q=chior").get_data(as_text=True)
    assert "Did you mean" in page and "choir" in page


def test_empty_search_page_invites_a_search(client):
    page = client.get("/search").get_data(as_text=True)
    assert "Search the directory" in page


def test_health_reports_database_and_index(client, db, make_listing):
    make_listing()
    db.session.commit()
    body = client.get("/health").get_json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True and body["database"]["listings"] == 1
    assert body["search"] == {"ok": True, "engine": "sql", "listings": 1}


def test_the_public_count_is_reused_for_a_minute(client, db, make_listing, monkeypatch):
    from directory.main import views

    make_listing()
    db.session.commit()
    assert client.get("/health").get_json()["database"]["listings"] == 1
    make_listing(name="Second group")
    db.session.commit()
    # Load balancers ask every few seconds: the count isn't read again...
    assert client.get("/health").get_json()["database"]["listings"] == 1
    assert "1 listings" in client.get("/").get_data(as_text=True)
    # ...until it is older than PUBLIC_COUNT_SECONDS; the database check itself is live.
    monkeypatch.setattr(views, "PUBLIC_COUNT_SECONDS", 0)
    assert client.get("/health").get_json()["database"]["listings"] == 2
    assert client.get("/health").get_json()["search"]["listings"] == 2


def test_security_headers_on_every_page(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self' 'nonce-" in response.headers["Content-Security-Policy"]


def test_the_research_filters_with_counts_keep_what_was_ticked(client, db, make_listing):
    make_listing(
        name="Polish Coffee Club",
        mental_health_focus="welcoming",
        languages=["English", "Polish"],
        format="course",
        course_weeks=10,
    )
    make_listing(name="Hearing Voices", mental_health_focus="specific", languages=["English"])
    db.session.commit()
    response = client.get("/search?postcode=PL4+8AA")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'Mainstream and welcoming <span class="civic-facet-count">(1)</span>' in page
    assert 'Every week or more often <span class="civic-facet-count">(2)</span>' in page
    assert 'A course of 8 weeks or more <span class="civic-facet-count">(1)</span>' in page
    assert 'Polish <span class="civic-facet-count">(1)</span>' in page
    assert 'English <span class="civic-facet-count">(2)</span>' in page
    assert 'Anxious in groups <span class="civic-facet-count">(0)</span>' in page
    ticked = client.get(
        "/search?postcode=PL4+8AA&focus=welcoming&weekly=true&format=course_8_weeks&language=polish"
    ).get_data(as_text=True)
    assert "<strong>1</strong> result within 5 km" in ticked and "Polish Coffee Club" in ticked
    assert 'name="focus" type="checkbox" value="welcoming" checked' in ticked
    assert 'name="weekly" type="checkbox" value="true" checked' in ticked
    assert 'name="format" type="checkbox" value="course_8_weeks" checked' in ticked
    assert 'name="language" type="checkbox" value="polish" checked' in ticked
    bad = client.get("/search?suits=everyone&format=forever")
    assert bad.status_code == 400
