"""Real sources become useful listings (issue 18).

The realistic feed fixtures in tests/data/realfeeds/ imported end to end.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select, text

from directory.models import Listing, ListingAssessment
from directory.rules.text import normalise_web_address
from directory.vocabularies import vocabulary
from importers.openreferral import POSTCODE_IN_TEXT

REALFEEDS = Path(__file__).resolve().parents[1] / "data" / "realfeeds"
LABELS = Path(__file__).resolve().parents[1] / "data" / "suggestion_labels.json"
# Markup or entities that must never reach a page or a summary.
RAW_MARKUP = re.compile(r"&lt;|&gt;|&amp;amp;|&nbsp;|<(?!/?(?:p|ul|ol|li|a|em|strong|br)[\s>/])")


@pytest.fixture(scope="module")
def export() -> list[dict]:
    return json.loads((REALFEEDS / "oruk1_list_export.json").read_text())["content"]


def _labels() -> dict[str, dict]:
    records = json.loads(LABELS.read_text())["records"]
    by_label = {r["id"]: r for r in records}
    mapping = json.loads((REALFEEDS / "oruk1_labels_map.json").read_text())
    return {service_id: by_label[m["label_id"]] for service_id, m in mapping.items()}


def _postcode_anywhere(record: dict, known) -> bool:
    """Whether a record mentions a postcode the offline table knows, anywhere."""
    texts = [json.dumps(record, ensure_ascii=False)]
    return any(
        known(f"{m.group(1)} {m.group(2)}") for t in texts for m in POSTCODE_IN_TEXT.finditer(t)
    )


def test_the_oruk1_list_export_imports_as_useful_listings(db, runner, client, export, locator):
    assert len(export) >= 700
    result = runner.invoke(
        args=["import", "openreferral", str(REALFEEDS / "oruk1_list_export.json"), "--trusted"]
    )
    assert result.exit_code == 0, result.output
    nameless = sum(1 for s in export if not s["name"])
    orphans = sum(1 for s in export if s["name"] and s["organization"] is None)
    created = len(export) - nameless - orphans
    assert f"{created} created, 0 updated, 0 unchanged, {nameless + orphans} rejected" in (
        result.output
    )
    listings = {
        listing.source_id: listing
        for listing in db.session.scalars(select(Listing).where(Listing.source.is_not(None)))
    }
    assert len(listings) == created

    # No markup shown anywhere: summaries and names are plain, descriptions the safe subset.
    for listing in listings.values():
        assert not RAW_MARKUP.search(listing.summary), listing.summary
        assert "<" not in listing.summary and "&amp;" not in listing.summary
        assert "<" not in listing.name and "&amp;" not in listing.name
        assert not RAW_MARKUP.search(listing.description), listing.description
    for listing in list(listings.values())[:25]:
        page = client.get(f"/listings/{listing.id}").get_data(as_text=True)
        assert "&lt;p&gt;" not in page and "&amp;amp;" not in page and "&amp;nbsp;" not in page

    # No web address lost: every real one is kept (scheme added), placeholders noted.
    placeholders = 0
    for record in export:
        if record["id"] not in listings or not record["url"]:
            continue
        expected = normalise_web_address(record["url"])
        if expected.url is None:
            placeholders += 1
            assert listings[record["id"]].url is None
        else:
            assert listings[record["id"]].url == expected.url, record["url"]
    assert placeholders > 0
    assert "placeholder address" in result.output

    # Every social service has suggested domains; services that are not social are marked.
    labels = _labels()
    social = [s for s in listings.values() if not labels[s.source_id]["not_social"]]
    other = [s for s in listings.values() if labels[s.source_id]["not_social"]]
    with_domains = [s for s in social if s.domain_codes]
    assert len(with_domains) / len(social) >= 0.95, (len(with_domains), len(social))
    # (A feed whose own taxonomy names a CIVIC domain, e.g. "Involvement", gave it.)
    domain_names = {t.name.lower() for t in vocabulary("civic_domain").terms}
    given = {
        r["id"]
        for r in export
        if any(t["taxonomy"]["name"].lower() in domain_names for t in r["service_taxonomys"])
    }
    unmarked = [
        (s.name, s.domain_codes, s.suggested_domain_codes)
        for s in with_domains
        if s.suggested_domain_codes != s.domain_codes and s.source_id not in given
    ]
    assert not unmarked, unmarked[:5]
    # The feed gives no kind: each listing has the suggested one, not all the default.
    assert {s.kind for s in listings.values()} == {"group", "place", "activity"}
    marked = [s for s in other if s.not_social or not s.domain_codes]
    assert len(marked) / len(other) >= 0.9, (len(marked), len(other))

    # Places wherever a postcode appears in the record (location, description, organisation).
    def known(postcode: str) -> bool:
        return locator(postcode) is not None

    placeable = [r for r in export if r["id"] in listings and _postcode_anywhere(r, known)]
    assert len(placeable) > 150
    for record in placeable:
        assert listings[record["id"]].locations, record["id"]
        assert listings[record["id"]].locations[0].latitude is not None

    # The summary says what is hidden and why, with the numbers the database has.
    no_place = sum(1 for s in listings.values() if not s.locations and s.attendance != "online")
    no_domains = sum(1 for s in listings.values() if not s.domain_codes)
    not_social = db.session.scalar(
        select(text("count(*)")).select_from(ListingAssessment).where(ListingAssessment.not_social)
    )
    assert f"{no_place} arrived without a place" in result.output
    assert f"{no_domains} arrived without a CIVIC domain" in result.output
    assert f"{not_social} are not about social connection" in result.output
    assert "last checked over a year ago, so they are hidden from default search" in (result.output)


def test_oruk3_staff_emails_are_never_stored(db, runner):
    path = REALFEEDS / "oruk3_services_full.json"
    records = json.loads(path.read_text())
    staff = {r["assurer_email"] for r in records if r.get("assurer_email")}
    staff |= {
        r["pc_metadata"]["assured_by"]
        for r in records
        if isinstance(r.get("pc_metadata"), dict) and r["pc_metadata"].get("assured_by")
    }
    assert staff
    result = runner.invoke(args=["import", "openreferral", str(path)])
    assert result.exit_code == 0, result.output
    assert "created" in result.output
    for address in staff:
        assert address not in result.output
    # Search every text column of every table for them.
    connection = db.session.connection()
    from directory.extensions import db as database

    for table in database.metadata.sorted_tables:
        for column in table.columns:
            if column.type.python_type not in (str, dict, list):
                continue
            for value in connection.execute(select(column)).scalars():
                if value is None:
                    continue
                dumped = value if isinstance(value, str) else json.dumps(value)
                for address in staff:
                    assert address.lower() not in dumped.lower(), (table.name, column.name)


def test_oruk3_camel_case_and_zoneless_dates_are_read(db, runner):
    path = REALFEEDS / "oruk3_services_full.json"
    records = json.loads(path.read_text())
    result = runner.invoke(args=["import", "openreferral", str(path)])
    assert result.exit_code == 0, result.output
    listing = db.session.scalars(select(Listing).where(Listing.source_id == records[0]["id"])).one()
    # Its schedule's service_at_location link was given as serviceId/locationId.
    assert listing.schedules and listing.locations
    assert listing.last_verified_at is not None
    # The placeholder web address and e-mail were left out, with a note.
    assert listing.url is None and listing.email is None
    assert "placeholder" in result.output


def test_a_list_level_oruk1_feed_is_completed_from_detail_pages(db, runner, http_server):
    """An ORUK 1.0 API (Spring-style ``content`` pages, list records without locations).

    Each record is completed from /services/{id}, at most 4 at a time.
    """
    import threading

    from importers import openreferral

    base, routes, asked = http_server
    export = json.loads((REALFEEDS / "oruk1_list_export.json").read_text())["content"]
    listed = [
        s for s in export if s["name"] and s["organization"] and not s["service_at_locations"]
    ][:12]
    page = {"content": listed, "totalPages": 1, "number": 0, "last": True}
    routes["/services?full=true&page=1&per_page=100"] = json.dumps(page).encode()
    for record in listed:
        full = dict(record)
        full["service_at_locations"] = [
            {
                "id": f"sal-{record['id']}",
                "location": {
                    "id": f"loc-{record['id']}",
                    "name": "Community Hall",
                    "physical_addresses": [
                        {"address_1": "1 Test Street", "city": "Plymouth", "postal_code": "PL4 8AA"}
                    ],
                },
            }
        ]
        full["regular_schedules"] = [
            {"freq": "WEEKLY", "byday": "TU", "opens_at": "10:00", "closes_at": "12:00"}
        ]
        routes[f"/services/{record['id']}"] = json.dumps(full).encode()

    busy, most = 0, 0
    lock = threading.Lock()

    def counting_fetch(url):
        nonlocal busy, most
        with lock:
            busy += 1
            most = max(most, busy)
        try:
            return openreferral.fetch_json(url)
        finally:
            with lock:
                busy -= 1

    services = openreferral.fetch_services(base, counting_fetch)
    assert most <= openreferral.DETAIL_WORKERS
    assert all(s["service_at_locations"] for s in services)
    asked.clear()
    result = runner.invoke(args=["import", "openreferral", base, "--trusted"])
    assert result.exit_code == 0, result.output
    assert f"{len(listed)} created, 0 updated, 0 unchanged, 0 rejected" in result.output
    assert sorted(p for p in asked if p.startswith("/services/")) == sorted(
        f"/services/{r['id']}" for r in listed
    )
    for record in listed:
        listing = db.session.scalars(select(Listing).where(Listing.source_id == record["id"])).one()
        assert [loc.postcode for loc in listing.locations] == ["PL4 8AA"]
        assert [s.byday for s in listing.schedules] == ["TU"]


def test_importing_the_same_export_again_changes_nothing(db, runner):
    path = REALFEEDS / "oruk3_services_full.json"
    first = runner.invoke(args=["import", "openreferral", str(path)])
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=["import", "openreferral", str(path)])
    created = int(re.search(r"(\d+) created", first.output).group(1))
    assert f"0 created, 0 updated, {created} unchanged" in again.output
