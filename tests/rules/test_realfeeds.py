"""The realistic feed fixtures: they have the traits issue 18 lists, and clean text fixes them."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from bench import realfeeds
from directory.rules.text import clean_html, normalise_web_address, plain_text

DATA = Path(__file__).resolve().parent.parent / "data" / "realfeeds"
AREAS = {"PL", "NG", "DE", "LE", "EX", "TQ", "TR", "E", "N", "SE", "SW", "NW", "W", "EC", "WC"}
POSTCODE = re.compile(r"\b([A-Z]{1,2})[0-9][0-9A-Z]? [0-9][A-Z]{2}\b")


@pytest.fixture(scope="module")
def services() -> list[dict]:
    return json.loads((DATA / "oruk1_list_export.json").read_text("utf-8"))["content"]


def test_the_committed_fixtures_are_what_the_builder_makes(capsys):
    # Deterministic and offline: rebuilding gives byte-identical files.
    assert realfeeds.main(["--check"]) == 0, capsys.readouterr().err


def test_the_list_export_has_the_traits_of_a_real_council_export(services):
    assert len(services) >= 740
    names = Counter(s.get("name") for s in services)
    assert names["Art Club"] == 4
    assert 1 <= sum(not s.get("name") for s in services) <= 10
    assert 1 <= sum(not s.get("organization") for s in services) <= 10
    with_org = [s for s in services if s.get("organization")]
    assert all(s["organization"]["id"] and s["organization"]["name"] for s in with_org)
    no_place = sum(not s["service_at_locations"] and not s["regular_schedules"] for s in services)
    assert no_place > len(services) * 0.7
    descriptions = [s["description"] for s in services]
    assert sum("<p" in d or "&lt;p&gt;" in d for d in descriptions) > len(services) * 0.7
    for marker in ("&nbsp;", "&amp;amp;", "<ul>", "<a href=", "&lt;p&gt;", "MsoNormal"):
        assert any(marker in d for d in descriptions), marker
    urls = [s["url"] for s in services if s["url"]]
    assert any(u.startswith("www.") for u in urls)
    assert any(u.startswith("linktr.ee/") for u in urls)
    assert "http://www.example.com" in urls
    areas = {m.group(1) for s in services for m in POSTCODE.finditer(json.dumps(s))}
    assert areas == AREAS


def test_about_half_is_not_about_social_connection(services):
    label_map = json.loads((DATA / "oruk1_labels_map.json").read_text("utf-8"))
    labels = {
        r["id"]: r
        for r in json.loads((DATA.parent / "suggestion_labels.json").read_text("utf-8"))["records"]
    }
    assert set(label_map) == {s["id"] for s in services}
    not_social = sum(labels[label_map[s["id"]]["label_id"]]["not_social"] for s in services)
    assert 0.25 < not_social / len(services) < 0.6


def test_clean_text_leaves_no_markup_and_no_web_address_lost(services):
    for service in services:
        text = plain_text(service["description"])
        assert not re.search(r"<[a-zA-Z/]|&(amp|lt|gt|nbsp|#\d+);", text), service["id"]
        assert "&amp;amp;" not in clean_html(service["description"])
    kept = dropped = 0
    for service in services:
        if not service["url"]:
            continue
        result = normalise_web_address(service["url"])
        if result.url:
            kept += 1
            assert result.url.startswith(("https://", "http://"))
        else:
            dropped += 1
            assert "placeholder" in result.note, service["url"]
    assert kept > dropped > 0


def test_the_oruk3_sample_has_the_quirks_of_real_3_0_feeds():
    services = json.loads((DATA / "oruk3_services_full.json").read_text("utf-8"))
    assert len(services) >= 10
    for service in services:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", service["last_modified"])
        assert "@" in service["pc_metadata"]["assured_by"]
        assert "@" in service["assurer_email"]
        assert service["schedules"][0]["serviceId"] == service["id"]
        assert service["service_at_locations"][0]["serviceId"] == service["id"]
        assert POSTCODE.search(json.dumps(service["service_at_locations"]))
    assert any(s["url"] == "http://www.example.com" for s in services)


def test_the_datapackage_lists_each_csv_and_the_csvs_join_up():
    folder = DATA / "hsds_datapackage"
    package = json.loads((folder / "datapackage.json").read_text("utf-8"))
    tables = {}
    for resource in package["resources"]:
        with (folder / resource["path"]).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert [f["name"] for f in resource["schema"]["fields"]] == list(rows[0])
        tables[resource["name"]] = rows
    assert {
        "services",
        "organizations",
        "locations",
        "regular_schedules",
        "service_at_locations",
    } <= set(tables)
    organisations = {o["id"] for o in tables["organizations"]}
    services = {s["id"] for s in tables["services"]}
    locations = {loc["id"] for loc in tables["locations"]}
    assert all(s["organization_id"] in organisations for s in tables["services"])
    assert all(
        sal["service_id"] in services and sal["location_id"] in locations
        for sal in tables["service_at_locations"]
    )
    assert all(r["service_id"] in services for r in tables["regular_schedules"])
