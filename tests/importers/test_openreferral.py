"""Importing Open Referral UK JSON.

The profile's examples, taxonomy mapping, re-imports, an ORUK API over HTTP, and export
→ import round trips.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from directory.models import ImportSource, Listing, ListingRevision, Organisation
from directory.vocabularies import term_id
from importers.openreferral import (
    FeedError,
    TermResolver,
    read_document,
    run_openreferral,
    service_to_import,
)

# Copied from the ORUK profile (see its NOTICE.txt), so a fresh clone has them.
EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "openreferral-examples"
SERVICE_EXAMPLES = {
    "service_full.json": 1,
    "service_list.json": 1,
    "service_at_location_full.json": 1,
    "service_at_location_list.json": 1,
    "organization_full.json": 1,
}


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def service(**fields) -> dict:
    """A small ORUK service with one place in Plymouth and a Tuesday schedule."""
    record = {
        "id": "svc-1",
        "name": "Wellbeing Walk",
        "description": "A gentle walk. Everyone welcome.",
        "status": "active",
        "organization": {"id": "2b1f0e6e-0d5c-4c44-8d5f-0a0a0a0a0a01", "name": "Walk Trust"},
        "service_at_locations": [
            {
                "id": "sal-1",
                "location": {
                    "id": "loc-1",
                    "location_type": "physical",
                    "addresses": [
                        {"address_1": "1 Hoe Road", "city": "Plymouth", "postal_code": "pl4 8aa"}
                    ],
                },
            }
        ],
        "schedules": [
            {"freq": "WEEKLY", "byday": "TU", "opens_at": "10:00:00", "closes_at": "12:00:00"}
        ],
        "attributes": [],
    }
    record.update(fields)
    return record


def write_json(tmp_path: Path, data, name: str = "feed.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_all_ten_profile_examples_are_here():
    assert len(list(EXAMPLES.glob("*.json"))) == 10


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_every_profile_example_imports_and_reimporting_changes_nothing(db, runner, name):
    """Each example imports with exit 0; services become listings.

    A second import reports them unchanged and leaves every count as it was.
    """
    path = EXAMPLES / name
    first = runner.invoke(args=["import", "openreferral", str(path)])
    assert first.exit_code == 0, first.output
    expected = SERVICE_EXAMPLES.get(name, 0)
    assert f"{expected} created, 0 updated, 0 unchanged, 0 rejected" in first.output
    counts = {m: count(db, m) for m in (Listing, Organisation, ListingRevision)}
    second = runner.invoke(args=["import", "openreferral", str(path)])
    assert second.exit_code == 0, second.output
    assert f"0 created, 0 updated, {expected} unchanged, 0 rejected" in second.output
    assert {m: count(db, m) for m in counts} == counts


def test_the_full_service_example_maps_its_fields(db, runner):
    runner.invoke(args=["import", "openreferral", str(EXAMPLES / "service_full.json")])
    listing = db.session.get(Listing, "ac148810-d857-441c-9679-408f346de14b")
    assert listing.name == "Community Counselling"
    assert listing.organisation.name == "Example Organization Inc."
    assert (listing.min_age, listing.max_age) == (12, 100)
    # Not in our postcode table, and coordinates out of range: kept without a position.
    assert [(loc.postcode, loc.latitude) for loc in listing.locations] == [("ABC 1234", None)]
    assert [(s.freq, s.byday, s.bymonthday) for s in listing.schedules] == [
        ("WEEKLY", "TH,FR", None)
    ]
    # Untrusted source: waits for a moderator, like a posted listing.
    assert listing.published is False
    assert listing.source_id == "ac148810-d857-441c-9679-408f346de14b"
    revision = db.session.scalar(
        select(ListingRevision).where(ListingRevision.listing_id == listing.id)
    )
    assert revision.status == "pending"


def test_matching_terms_become_ours_and_the_rest_tags():
    resolver = TermResolver()
    record = service(
        attributes=[
            {"taxonomy_term": {"id": term_id("civic_domain", "cared_for")}},
            {"taxonomy_term": {"taxonomy": "CIVIC domains", "term": "Involvement"}},
            {"taxonomy_term": {"name": "Peer support"}},
            {"taxonomy_term": {"taxonomy": "kind", "term": "group"}},
            {"taxonomy_term": {"name": "Gardening", "taxonomy": "esd"}},
        ]
    )
    incoming = service_to_import(record, resolver, lambda postcode: ("PL4 8AA", 50.37, -4.13))
    assert incoming.data["terms"]["civic_domain"] == ["involvement", "cared_for"]
    assert incoming.data["terms"]["intervention_type"] == ["peer"]
    assert incoming.data["kind"] == "group"
    assert incoming.tags == ["Gardening"]


def test_reimporting_a_changed_service_updates_it_rather_than_duplicating(db, runner, tmp_path):
    path = write_json(tmp_path, service())
    assert runner.invoke(args=["import", "openreferral", path, "--trusted"]).exit_code == 0
    listing = db.session.scalar(select(Listing).where(Listing.source_id == "svc-1"))
    assert listing.published is True  # trusted source: publishes directly
    write_json(tmp_path, service(name="Wellbeing Walk and Talk"))
    result = runner.invoke(args=["import", "openreferral", path])
    assert "0 created, 1 updated, 0 unchanged" in result.output
    assert (
        db.session.scalar(select(func.count(Listing.id)).where(Listing.source_id == "svc-1")) == 1
    )
    assert listing.name == "Wellbeing Walk and Talk"


def test_a_change_to_a_live_listing_from_an_untrusted_source_waits(db, runner, tmp_path):
    path = write_json(tmp_path, service())
    runner.invoke(args=["import", "openreferral", path, "--trusted"])
    runner.invoke(args=["import", "openreferral", path, "--untrusted"])
    write_json(tmp_path, service(name="Renamed walk"))
    first = runner.invoke(args=["import", "openreferral", path])
    assert "1 updated" in first.output and "waiting for a moderator" in first.output
    listing = db.session.scalar(select(Listing).where(Listing.source_id == "svc-1"))
    assert listing.name == "Wellbeing Walk"  # the live version stays until approved
    again = runner.invoke(args=["import", "openreferral", path])
    assert "1 unchanged" in again.output
    pending = db.session.scalars(
        select(ListingRevision).where(
            ListingRevision.listing_id == listing.id, ListingRevision.status == "pending"
        )
    ).all()
    assert [r.data["name"] for r in pending] == ["Renamed walk"]


def test_a_service_without_an_id_or_name_is_rejected_and_the_rest_import(db, runner, tmp_path):
    path = write_json(
        tmp_path,
        [service(), service(id="svc-2", name=""), {"name": "No id", "status": "active"}, "junk"],
    )
    result = runner.invoke(args=["import", "openreferral", path])
    assert "1 created, 0 updated, 0 unchanged, 3 rejected" in result.output
    assert "service svc-2: the service has no name" in result.output
    assert "record 3: the service has no id" in result.output
    assert "record 4: a service must be a JSON object" in result.output


def test_dry_run_writes_nothing(db, runner, tmp_path):
    before = count(db, Listing), count(db, ImportSource)
    path = write_json(tmp_path, service())
    result = runner.invoke(args=["import", "openreferral", path, "--dry-run"])
    assert "Dry run, nothing written: 1 created" in result.output
    assert (count(db, Listing), count(db, ImportSource)) == before


def test_a_file_that_is_not_json_fails_with_a_message(db, runner, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    result = runner.invoke(args=["import", "openreferral", str(path)])
    assert result.exit_code == 1
    assert "is not valid JSON" in result.output


def test_documents_of_every_shape_are_sorted():
    document = read_document(
        {
            "total_items": 2,
            "contents": [
                {"id": "o1", "name": "Org", "services": [{"id": "s1", "name": "A"}]},
                {"id": "x", "location": {"id": "l"}, "service": {"id": "s2", "name": "B"}},
            ],
        }
    )
    assert [s["id"] for s in document.services] == ["s1", "s2"]
    assert document.services[0]["organization"]["id"] == "o1"
    assert document.services[1]["service_at_locations"][0]["location"] == {"id": "l"}


# -- an ORUK API over HTTP --------------------------------------------------------------


def _page(contents: list, page: int, total_pages: int) -> bytes:
    return json.dumps(
        {
            "total_items": 3,
            "total_pages": total_pages,
            "page_number": page,
            "size": len(contents),
            "first_page": page == 1,
            "last_page": page == total_pages,
            "empty": not contents,
            "contents": contents,
        }
    ).encode()


def test_a_feed_url_is_paged_through_services_full(db, runner, http_server):
    base, routes, asked = http_server
    services = [service(id=f"svc-{n}", name=f"Walk {n}") for n in range(1, 4)]
    routes["/services?full=true&page=1&per_page=100"] = _page(services[:2], 1, 2)
    # A feed that ignores full=true: the importer fetches the detail page.
    routes["/services?full=true&page=2&per_page=100"] = _page(
        [{"id": "svc-3", "name": "Walk 3"}], 2, 2
    )
    routes["/services/svc-3"] = json.dumps(services[2]).encode()
    result = runner.invoke(args=["import", "openreferral", base])
    assert result.exit_code == 0, result.output
    assert "3 created, 0 updated, 0 unchanged, 0 rejected" in result.output
    assert asked == [
        "/services?full=true&page=1&per_page=100",
        "/services?full=true&page=2&per_page=100",
        "/services/svc-3",
    ]
    walk = db.session.scalar(select(Listing).where(Listing.source_id == "svc-3"))
    assert [loc.postcode for loc in walk.locations] == ["PL4 8AA"]
    again = runner.invoke(args=["import", "openreferral", base])
    assert "0 created, 0 updated, 3 unchanged, 0 rejected" in again.output


def test_a_failing_feed_is_recorded_on_its_source(db, runner, http_server):
    base, routes, asked = http_server
    result = runner.invoke(args=["import", "openreferral", base + "/missing"])
    assert result.exit_code == 1
    assert "answered 404" in result.output
    source = db.session.scalar(select(ImportSource).where(ImportSource.name == base + "/missing"))
    assert "404" in source.last_error


def test_run_openreferral_reads_a_page_dict(db, locator, tmp_path):
    path = write_json(tmp_path, {"contents": [service()], "total_items": 1})
    summary = run_openreferral(db.session, path, actor=None, locator=locator)
    assert summary.counts() == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0}
    with pytest.raises(FeedError):
        run_openreferral(db.session, str(tmp_path / "nothing.json"), actor=None, locator=locator)


# -- export → import round trip ---------------------------------------------------------


def _directory(db) -> dict:
    """Everything a visitor sees of the directory, keyed by listing id."""
    from directory.lifecycle.services import snapshot

    seen = {}
    for listing in db.session.scalars(select(Listing).order_by(Listing.id)):
        organisation = listing.organisation
        seen[listing.id] = {
            "snapshot": snapshot(listing),
            "published": listing.published,
            "organisation": (
                organisation.id,
                organisation.name,
                organisation.description,
                organisation.email,
            ),
            "last_verified_at": listing.last_verified_at,
            "last_verified_by": listing.last_verified_by,
            "schedule_places": [
                listing.locations.index(s.location) if s.location else None
                for s in listing.schedules
            ],
        }
    return seen


def test_export_then_import_into_an_empty_database_gives_the_same_directory(
    db, runner, make_organisation, make_listing, locator, tmp_path
):
    import datetime as dt

    from directory.exports.oruk import directory_as_oruk
    from directory.models import Location

    plymouth = make_organisation(name="Plymouth Peer Network", charity_number="1234567")
    london = make_organisation(name="Hackney Cafe Trust", sector="community")
    common = {"last_verified_by": "organisation"}
    peer = make_listing(
        name="Hearing Voices Peer Group",
        organisation=plymouth,
        domains=("involvement", "cared_for"),
        terms={
            "audience": ("carers",),
            "accessibility": ("step_free",),
            "intervention_type": ("peer",),
        },
        min_age=18,
        max_age=65,
        languages=["English", "Polish"],
        phone="01632 960001",
        email="voices@example.org",
        url="https://www.plymouthvoices.org.uk/voices",
        welcome_statement="Everyone is welcome.",
        first_visit_support=True,
        mental_health_focus="specific",
        group_size="small",
        schedules=[
            {"byday": "TU", "interval": 2, "opens_at": dt.time(10), "closes_at": dt.time(12),
             "valid_from": dt.date(2026, 1, 6)},
            {"freq": "MONTHLY", "byday": "1SA", "opens_at": dt.time(14), "closes_at": dt.time(16)},
        ],
        **common,
    )  # fmt: skip
    peer.locations.append(
        Location(
            position=1, name="Second hall", address_1="2 Fore St", city="London", postcode="E1 0NX"
        )
    )
    cafe = make_listing(
        name="Community Cafe",
        kind="place",
        organisation=london,
        domains=("beyond",),
        cost="paid",
        cost_description="£2 a cup",
        how_to_join="self_referral",
        postcode="E2 6BG",
        schedules=[{"byday": "SA", "opens_at": dt.time(9), "closes_at": dt.time(13)}],
        **common,
    )
    course = make_listing(
        name="Recovery College: Hope",
        kind="activity",
        organisation=plymouth,
        attendance="online",
        format="course",
        course_weeks=8,
        delivered_by="staff",
        domains=("identity",),
        terms={"chime_process": ("hope",), "recovery_outcome": ("existential",)},
        schedules=[{"byday": "WE", "opens_at": dt.time(18), "closes_at": dt.time(19, 30)}],
        **common,
    )
    db.session.flush()
    for listing in (peer, cafe, course):
        for location in listing.locations:
            location.postcode, location.latitude, location.longitude = locator.place(
                location.postcode
            )
    peer.schedules[1].location = peer.locations[1]
    db.session.commit()
    before = _directory(db)
    assert len(before) == 3

    path = tmp_path / "directory.json"
    path.write_text(json.dumps(directory_as_oruk(db.session)))
    for listing in db.session.scalars(select(Listing)).all():
        db.session.delete(listing)
    db.session.flush()
    for organisation in db.session.scalars(select(Organisation)).all():
        db.session.delete(organisation)
    db.session.commit()
    assert count(db, Listing) == count(db, Organisation) == 0

    result = runner.invoke(args=["import", "openreferral", str(path), "--trusted"])
    assert result.exit_code == 0, result.output
    assert "3 created, 0 updated, 0 unchanged, 0 rejected" in result.output
    db.session.expire_all()
    assert _directory(db) == before
    again = runner.invoke(args=["import", "openreferral", str(path)])
    assert "0 created, 0 updated, 3 unchanged, 0 rejected" in again.output


def test_organisations_survive_a_rejected_service_in_the_same_file(db, runner, tmp_path):
    organisation = {
        "id": "7c1f0e6e-0d5c-4c44-8d5f-0a0a0a0a0a02",
        "name": "Only Org",
        "services": [],
    }
    path = write_json(
        tmp_path, {"organizations": [organisation], "services": [{"id": "x", "status": "active"}]}
    )
    result = runner.invoke(args=["import", "openreferral", path])
    assert "0 created, 0 updated, 0 unchanged, 1 rejected" in result.output
    assert "1 organisations created." in result.output
    assert db.session.get(Organisation, organisation["id"]).name == "Only Org"
