"""Publishing direction of the mapping: our records as ORUK records."""

from __future__ import annotations

import datetime as dt

import pytest

from directory.openreferral.mapping import (
    iso_datetime,
    schedule_record,
    service_record,
    status_to_oruk,
    taxonomy_record,
    term_record,
)
from directory.vocabularies import term_id, vocabulary_id
from tests.openreferral.oruk_schemas import item_schema, schema_errors


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [("active", "active"), ("temporarily_closed", "temporarily closed"), ("closed", "defunct")],
)
def test_status_words(ours, theirs):
    assert status_to_oruk(ours) == theirs


def test_timestamps_are_utc_with_milliseconds():
    assert iso_datetime(dt.datetime(2026, 3, 1, 9, 5, 7, 123456)) == "2026-03-01T09:05:07.123Z"
    assert iso_datetime(None) is None


def test_a_temporarily_closed_listing_is_published_and_valid(db, make_listing):
    listing = make_listing(status="temporarily_closed", max_age=30, min_age=None)
    record = service_record(listing, full=True)
    assert record["status"] == "temporarily closed"
    assert "minimum_age" not in record  # absent, never null
    assert schema_errors(record, item_schema("compiled/service.json")) == []


def test_a_schedule_at_one_of_several_places_names_that_place(db, make_listing):
    listing = make_listing()
    schedule = listing.schedules[0]
    schedule.location = listing.locations[0]
    db.session.flush()
    record = schedule_record(schedule)
    assert record["service_at_location_id"] == listing.locations[0].id
    full = service_record(listing, full=True)
    assert full["service_at_locations"][0]["id"] == record["service_at_location_id"]


def test_ids_of_terms_and_attributes_are_stable(db, make_listing):
    listing = make_listing(domains=("valued",))
    first = service_record(listing, full=True)["attributes"]
    again = service_record(listing, full=True)["attributes"]
    assert first == again
    valued = next(a for a in first if a["link_type"] == "civic_domain")
    assert valued["taxonomy_term_id"] == term_id("civic_domain", "valued")
    assert valued["taxonomy_term"]["taxonomy_id"] == vocabulary_id("civic_domain")


def test_taxonomy_and_term_records_validate():
    taxonomy = taxonomy_record("how_to_join", with_terms=True)
    assert [t["term"] for t in taxonomy["taxonomy_terms"]] == [
        "drop_in",
        "self_referral",
        "professional_referral",
    ]
    assert schema_errors(taxonomy, item_schema("taxonomy.json")) == []
    term = term_record("kind", "place")
    assert term["id"] == term_id("kind", "place")
    assert schema_errors(term, item_schema("taxonomy_term.json")) == []


def test_an_online_listing_has_no_locations(db, make_listing):
    listing = make_listing(attendance="online")
    record = service_record(listing, full=True)
    assert record["service_at_locations"] == []
    assert any(a["taxonomy_term"]["term"] == "online" for a in record["attributes"])
    assert schema_errors(record, item_schema("compiled/service.json")) == []
