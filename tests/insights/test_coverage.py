"""Coverage by CIVIC domain and area: the API, the page, the map and the comparison."""

from __future__ import annotations

import datetime as dt
import io
import random
from urllib.parse import urlencode

import pytest
from openpyxl import load_workbook

DOMAINS = ("closeness", "identity", "valued", "involvement", "cared_for", "beyond")
KINDS = ("group", "place", "activity")
# Outward-code centres (the test postcode table's): NG7, NG1 and PL4.
NG7 = (52.95792, -1.17251)
PL4 = (50.37556, -4.12801)


@pytest.fixture
def provision(db, make_listing):
    """About 120 listings scattered around NG7 and PL4, of every kind, domain and filter."""
    rng = random.Random(19)
    for n in range(120):
        lat0, lon0 = NG7 if n % 3 else PL4
        evening = rng.random() < 0.4
        make_listing(
            name=f"Provision {n}",
            kind=rng.choice(KINDS),
            cost=rng.choice(("free", "free", "low_cost", "paid")),
            delivered_by=rng.choice(("peers", "staff", "volunteers")),
            first_visit_support=rng.random() < 0.3,
            attendance="both" if rng.random() < 0.1 else "in_person",
            domains=tuple(rng.sample(DOMAINS, rng.randint(1, 3))),
            latitude=lat0 + rng.uniform(-0.09, 0.09),
            longitude=lon0 + rng.uniform(-0.14, 0.14),
            schedules=[
                {
                    "byday": rng.choice(("MO", "TU", "WE", "TH", "FR", "SA")),
                    "opens_at": dt.time(18 if evening else 10),
                    "closes_at": dt.time(20 if evening else 12),
                }
            ],
        )
    make_listing(name="Online Only Circle", attendance="online", domains=("valued",))
    db.session.commit()


PLACES = ["NG7", "NG1", "NG7 2RD", "PL4 8AA", "pl1", "Nottingham"]
FILTER_SETS = [
    {},
    {"cost": "free"},
    {"cost": "free", "part": "evening"},
    {"kind": "group", "delivered_by": "peers"},
    {"first_visit": "true", "day": ["TU", "TH"]},
    {"online": "true", "radius_km": "2"},
    {"cost": ["free", "low_cost"], "radius_km": "12.5", "kind": ["place", "activity"]},
]


def query(place: str, filters: dict, **more) -> str:
    return urlencode({"postcode": place, **filters, **more}, doseq=True)


def search_total(client, place: str, filters: dict, **more) -> int:
    response = client.get(f"/api/search?{query(place, filters, **more)}&per_page=1")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["total"]


@pytest.mark.parametrize("filters", FILTER_SETS, ids=lambda f: urlencode(f, doseq=True) or "none")
def test_each_domain_count_is_the_search_total(client, provision, filters):
    compared = 0
    for place in PLACES:
        response = client.get(f"/api/insights/coverage?{query(place, filters)}")
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["total"] == search_total(client, place, filters)
        for domain in DOMAINS:
            assert body["domains"][domain] == search_total(client, place, filters, domain=domain)
            compared += body["domains"][domain]
        kinds = filters.get("kind") or KINDS
        kinds = [kinds] if isinstance(kinds, str) else kinds
        for kind in kinds:
            # kind given twice: the search's own kind filter narrowed to one of them.
            narrowed = {**filters, "kind": kind}
            assert body["by_kind"][kind] == search_total(client, place, narrowed)
            for domain in DOMAINS:
                cell = body["grid"][domain][kind]
                assert cell == search_total(client, place, narrowed, domain=domain)
    assert compared > 0  # the places and filters found something to compare


def test_the_coverage_answer_names_the_place_and_the_gaps(client, db, make_listing):
    # Free, in the evening, Cared for and accepted: only 7 km west of NG7.
    make_listing(
        name="Riverside Peer Group",
        domains=("cared_for",),
        latitude=52.9579,
        longitude=-1.2770,
        schedules=[{"byday": "WE", "opens_at": dt.time(18), "closes_at": dt.time(20)}],
    )
    make_listing(name="Near but paid", cost="paid", domains=("cared_for",), **_at(NG7))
    make_listing(
        name="Near, free, evening",
        domains=DOMAINS[:4] + ("beyond",),
        schedules=[{"byday": "TU", "opens_at": dt.time(18), "closes_at": dt.time(21)}],
        **_at(NG7),
    )
    db.session.commit()
    body = client.get("/api/insights/coverage?postcode=NG7&radius_km=5&cost=free&part=evening")
    body = body.get_json()
    assert body["area"] == {
        "query": "NG7",
        "name": "NG7",
        "precision": "outward",
        "latitude": pytest.approx(NG7[0], abs=1e-4),
        "longitude": pytest.approx(NG7[1], abs=1e-4),
        "radius_km": 5.0,
        "note": None,
    }
    assert body["domains"]["cared_for"] == 0 and body["domains"]["involvement"] == 1
    (gap,) = body["gaps"]
    assert gap["domain"] == "cared_for" and gap["name"] == "Cared for and accepted"
    assert gap["nearest"]["name"] == "Riverside Peer Group"
    assert gap["nearest"]["distance_km"] == pytest.approx(7.0, abs=0.3)
    assert gap["sentence"] == (
        "Within 5 km of NG7, nothing free in the evening targets Cared for and accepted; "
        "the nearest is Riverside Peer Group, 7 km away."
    )
    assert body["summary"] == gap["sentence"]


def _at(point):
    return {"latitude": point[0], "longitude": point[1]}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ("postcode=ZZ99+9ZZ", "postcode"),
        ("postcode=not+a+place", "postcode"),
        ("postcode=BT1+1AA", "postcode"),
        ("radius_km=5", "postcode"),
        ("postcode=NG7&radius_km=99", "radius_km"),
        ("postcode=NG7&radius_km=far", "radius_km"),
        ("postcode=NG7&cost=gratis", "cost"),
        ("postcode=NG7&day=Someday", "day"),
        ("postcode=NG7&part=night", "part"),
        ("postcode=NG7&kind=club", "kind"),
        ("postcode=NG7&delivered_by=robots", "delivered_by"),
        ("postcode=NG7&first_visit=maybe", "first_visit"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_like_search(client, params, field):
    response = client.get(f"/api/insights/coverage?{params}")
    assert response.status_code == 400
    body = response.get_json()
    assert list(body["errors"]) == [field] and body["errors"][field][0]
    if field != "postcode" or "postcode=" in params:
        search = client.get(f"/api/search?{params}")
        assert search.status_code == 400 and list(search.get_json()["errors"]) == [field]
    page = client.get(f"/insights/coverage?{params}")
    assert page.status_code == 400
    assert "There is a problem" in page.get_data(as_text=True)


def test_the_page_keeps_what_was_typed_when_it_is_wrong(client):
    page = client.get("/insights/coverage?postcode=ZZ99+9ZZ&radius_km=70&cost=free&part=evening")
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert 'value="ZZ99 9ZZ"' in html and 'value="70"' in html
    assert 'id="cost-free" name="cost" type="checkbox" value="free" checked' in html
    assert 'id="part-evening" name="part" type="checkbox" value="evening" checked' in html


def test_the_coverage_page_grid_sentence_and_map(client, provision):
    page = client.get("/insights/coverage?postcode=NG7&radius_km=3&cost=free&part=evening")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    api = client.get("/api/insights/coverage?postcode=NG7&radius_km=3&cost=free&part=evening")
    body = api.get_json()
    assert body["summary"].split(";")[0] in html.replace("&#39;", "'")
    # Each cell links to the search it counts.
    search = "/search?postcode=NG7&amp;radius_km=3&amp;cost=free&amp;part=evening"
    assert f'href="{search}&amp;domain=closeness&amp;kind=group"' in html
    assert f">{body['grid']['closeness']['group']}</a>" in html
    # The hexagon map: Leaflet served here, the script under the CSP nonce.
    assert "/static/vendor/leaflet/leaflet." in html and '"type": "Polygon"' in html
    assert "cdn" not in html.lower()


def test_the_map_counts_listings_by_hexagon_for_one_domain(app, db, make_listing):
    from directory.insights import services

    make_listing(domains=("beyond",), **_at(NG7))
    make_listing(domains=("beyond",), latitude=NG7[0] + 0.0005, longitude=NG7[1])
    make_listing(domains=("beyond",), latitude=NG7[0] + 0.02, longitude=NG7[1])
    make_listing(domains=("closeness",), **_at(NG7))
    db.session.commit()
    area = services.Area("NG7", "NG7", "outward", *NG7, radius_km=5)
    args = {"radius_km": 5.0, "q": "", "kind": [], "intervention": [], "cost": [], "join": [],
            "delivered_by": [], "audience": [], "accessibility": [], "day": [], "part": [],
            "online": False, "first_visit": False, "show_unverified": False}  # fmt: skip
    hexes = services.hex_map(db.session, args, area, "beyond", [("NG7", *NG7)])
    assert hexes.total == 3 and hexes.resolution == 8
    assert sorted(c.count for c in hexes.cells if c.count) == [1, 2]
    assert 80 < len(hexes.cells) < 200 and hexes.empty == len(hexes.cells) - 2
    assert {c.near for c in hexes.cells} == {"NG7"}


def test_areas_side_by_side_and_downloads(client, provision):
    page = client.get("/insights/compare?areas=NG7,+NG1,+ZZ99&radius_km=3&cost=free")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert ">NG7</a>" in html and ">NG1</a>" in html and "like a UK postcode" in html
    csv = client.get("/insights/compare.csv?areas=NG7,+NG1&radius_km=3&cost=free")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Area,Radius (km),Listings,Closeness,Identity and common bond")
    ng7 = client.get("/api/insights/coverage?postcode=NG7&radius_km=3&cost=free").get_json()
    row = lines[1].split(",")
    assert row[:3] == ["NG7", "3.0", str(ng7["total"])]
    assert row[3:9] == [str(ng7["domains"][d]) for d in DOMAINS]
    xlsx = client.get("/insights/compare.xlsx?areas=NG7,+NG1&radius_km=3&cost=free")
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    assert [c.value for c in sheet[2]][:3] == ["NG7", 3, ng7["total"]]
    assert sheet.max_row == 3


def test_a_postcode_area_compares_each_of_its_outward_codes(client, provision):
    page = client.get("/insights/compare?areas=NG&radius_km=2")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for code in ("NG1", "NG2", "NG10", "NG34"):
        assert f">{code}</a>" in html
    assert html.index(">NG2</a>") < html.index(">NG10</a>")


@pytest.mark.parametrize("params", ["", "areas=", "areas=NG7&radius_km=0", "areas=NG7&cost=gratis"])
def test_comparison_bad_input(client, params):
    page = client.get(f"/insights/compare?{params}")
    assert page.status_code == (200 if params == "" else 400)
    if params:
        assert client.get(f"/insights/compare.csv?{params}").status_code == 400
        assert client.get(f"/insights/compare.xlsx?{params}").status_code == 400


def test_a_local_authority_district_is_a_place_and_a_set_of_areas(client, provision):
    body = client.get("/api/insights/coverage?postcode=nottingham&radius_km=3").get_json()
    assert body["area"]["name"] == "Nottingham" and body["area"]["precision"] == "district"
    page = client.get("/insights/coverage?postcode=Nottingham&radius_km=3")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Compare every outward code in Nottingham with the same filters" in html
    compare = client.get("/insights/compare?areas=Nottingham&radius_km=3").get_data(as_text=True)
    assert ">NG7</a>" in compare and ">NG10</a>" not in compare


def test_map_cells_are_coloured_by_count_with_a_key(app):
    from directory.insights.maps import BAND_COLOURS, band_colour, cell_feature, legend
    from directory.insights.services import HexCell

    assert band_colour(0, 8) == "#ffffff" and band_colour(8, 8) == BAND_COLOURS[-1]
    assert band_colour(1, 8) not in ("#ffffff", BAND_COLOURS[-1])
    assert legend(2) == [(0, "none"), (3, "1"), (5, "2")]
    cell = HexCell("881f1d4b6bfffff", 2, 52.95, -1.17, near="NG7 <b>")
    feature = cell_feature(cell, 2, "Involvement", "/search?postcode=NG7")
    assert feature["properties"]["style"]["fillColor"] == BAND_COLOURS[-1]
    assert feature["properties"]["tooltip"] == "2 listings near NG7 &lt;b&gt;"
    ring = feature["geometry"]["coordinates"][0]
    assert len(ring) == 7 and ring[0] == ring[-1]
