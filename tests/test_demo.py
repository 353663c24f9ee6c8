"""Tests for directory.demo: deterministic, realistic and safely fictional demo data.

These use a plain in-memory SQLite database built from the models' metadata rather than the
app, so they exercise :func:`load_demo` exactly as the CLI calls it: with a session, and
flushing only.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.pool import StaticPool

from directory.demo import DEMO_ANCHOR, DemoResult, demo_listings, load_demo
from directory.extensions import db
from directory.models import Listing, Location, Organisation, Schedule, listing_term

POSTCODES_CSV = (
    Path(__file__).resolve().parent.parent / "directory" / "data" / "demo" / "postcodes.csv"
)
AREA_PREFIXES = {
    "east_midlands": re.compile(r"^(NG|DE|LE)\d"),
    "south_west": re.compile(r"^(PL|EX|TQ|TR)\d"),
    "london": re.compile(r"^(E|N|SE|SW|NW|W)\d"),
}
DRAMA_PHONE = re.compile(
    r"^(0115 496 0\d{3}|0116 496 0\d{3}|0117 496 0\d{3}|020 7946 0\d{3}"
    r"|01632 960\d{3}|07700 900\d{3})$"
)
EXAMPLE_DOMAIN = re.compile(r"(^|\.)example\.(org|com|net)$")
DOMAINS = ("closeness", "identity", "valued", "involvement", "cared_for", "beyond")
EVENING = dt.time(17, 0)


def make_engine() -> Engine:
    # One shared connection, so every session sees the same in-memory database.
    engine = create_engine("sqlite://", poolclass=StaticPool)

    @event.listens_for(engine, "connect")
    def enforce_foreign_keys(dbapi_connection, _record) -> None:
        # As in production: catches rows flushed before the rows they point at.
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    db.metadata.create_all(engine)
    return engine


def snapshot(session: Session) -> dict[str, list[tuple]]:
    """Every row of the demo tables, timestamps included, in a stable order."""
    tables = {
        "organisation": Organisation.__table__,
        "listing": Listing.__table__,
        "location": Location.__table__,
        "schedule": Schedule.__table__,
        "listing_term": listing_term,
    }
    return {
        name: sorted(tuple(row) for row in session.execute(select(table)))
        for name, table in tables.items()
    }


@dataclass
class Loaded:
    engine: Engine
    first: DemoResult
    second: DemoResult
    before: dict[str, list[tuple]]
    after: dict[str, list[tuple]]


@pytest.fixture(scope="module")
def loaded() -> Iterator[Loaded]:
    """The default demo, loaded, committed, then loaded again in a fresh session."""
    engine = make_engine()
    with Session(engine) as session:
        first = load_demo(session)
        session.commit()
        before = snapshot(session)
    with Session(engine) as session:
        second = load_demo(session)
        session.commit()
        after = snapshot(session)
    yield Loaded(engine, first, second, before, after)
    engine.dispose()


@pytest.fixture(scope="module")
def listings(loaded: Loaded) -> Iterator[list[Listing]]:
    with Session(loaded.engine) as session:
        yield list(
            session.scalars(
                select(Listing).options(
                    selectinload(Listing.terms),
                    selectinload(Listing.locations),
                    selectinload(Listing.schedules),
                    selectinload(Listing.organisation),
                )
            )
        )


@pytest.fixture(scope="module")
def organisations(loaded: Loaded) -> Iterator[list[Organisation]]:
    with Session(loaded.engine) as session:
        yield list(session.scalars(select(Organisation)))


@pytest.fixture(scope="module")
def postcodes() -> dict[str, dict[str, str]]:
    with POSTCODES_CSV.open(encoding="utf-8", newline="") as file:
        return {row["postcode"]: row for row in csv.DictReader(file)}


def area_of(postcode: str) -> str:
    return next(area for area, prefix in AREA_PREFIXES.items() if prefix.match(postcode))


def is_public(listing: Listing) -> bool:
    return listing.published and listing.status == "active"


def is_evening(listing: Listing) -> bool:
    return any(s.closes_at > EVENING for s in listing.schedules)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(a))


# --------------------------------------------------------------------------- the data file


def test_postcodes_file_is_small_and_covers_the_three_areas(postcodes):
    assert POSTCODES_CSV.stat().st_size < 30_000
    assert 150 <= len(postcodes) <= 250
    assert {"PL4 8AA", "NG7 2RD"} <= set(postcodes)
    assert Counter(row["area"] for row in postcodes.values()).keys() == AREA_PREFIXES.keys()
    for postcode, row in postcodes.items():
        assert area_of(postcode) == row["area"]
        assert re.fullmatch(r"-?\d+\.\d{6}", row["latitude"])
        assert re.fullmatch(r"-?\d+\.\d{6}", row["longitude"])
        assert 49.9 < float(row["latitude"]) < 53.5 and -5.8 < float(row["longitude"]) < 0.1


# --------------------------------------------------------------------------- loading


def test_loads_at_least_300_listings_and_about_40_organisations(loaded, listings, organisations):
    assert len(listings) >= 300
    assert loaded.first.listings.created == len(listings)
    assert 35 <= len(organisations) <= 45
    sectors = Counter(o.sector for o in organisations)
    assert sectors["third_sector"] + sectors["community"] >= 0.7 * len(organisations)
    assert sectors["local_authority"] >= 1
    assert sectors["primary_care"] >= 1 and sectors["secondary_care"] >= 1
    assert all(listing.source == "demo" for listing in listings)


def test_second_run_changes_nothing(loaded):
    second = loaded.second
    assert second.created == 0 and second.updated == 0
    assert second.unchanged == second.total == loaded.first.total
    assert loaded.after == loaded.before


def test_only_flushes_so_the_caller_decides_to_commit():
    engine = make_engine()
    with Session(engine) as session:
        load_demo(session, count=12)
        assert session.scalar(select(func.count(Listing.id))) == 12
        session.rollback()
        assert session.scalar(select(func.count(Listing.id))) == 0
    engine.dispose()


def test_edited_rows_are_put_back_and_only_they_count_as_updated():
    engine = make_engine()
    with Session(engine) as session:
        load_demo(session, count=20)
        session.commit()
        listing = session.scalars(select(Listing).order_by(Listing.id)).first()
        untouched = session.scalars(select(Listing).order_by(Listing.id.desc())).first()
        original_name, untouched_stamp = listing.name, untouched.updated_at
        listing.name = "Renamed by a moderator"
        listing.terms = listing.terms[1:]
        session.commit()

        result = load_demo(session, count=20)
        session.commit()
        assert result.listings.updated == 1
        assert result.listings.unchanged == 19
        assert listing.name == original_name
        assert untouched.updated_at == untouched_stamp
    engine.dispose()


def test_more_listings_only_adds_to_the_end():
    assert demo_listings(40) == demo_listings(60)[:40]
    engine = make_engine()
    with Session(engine) as session:
        load_demo(session, count=30)
        result = load_demo(session, count=36)
        assert (result.listings.created, result.listings.unchanged) == (6, 30)
        assert result.organisations.created == 0
    engine.dispose()


# --------------------------------------------------------------------------- coverage


def test_every_kind_and_domain_is_covered_in_every_area(listings):
    assert {listing.kind for listing in listings} == {"group", "place", "activity"}
    by_area: dict[str, set[str]] = {area: set() for area in AREA_PREFIXES}
    kinds_by_area: dict[str, set[str]] = {area: set() for area in AREA_PREFIXES}
    for listing in filter(is_public, listings):
        for location in listing.locations:
            by_area[area_of(location.postcode)] |= set(listing.domain_codes)
            kinds_by_area[area_of(location.postcode)].add(listing.kind)
    for area in AREA_PREFIXES:
        assert by_area[area] == set(DOMAINS), area
        assert kinds_by_area[area] == {"group", "place", "activity"}, area


def test_areas_get_roughly_a_third_each(listings):
    areas = Counter(
        area_of(listing.locations[0].postcode) for listing in listings if listing.locations
    )
    total = sum(areas.values())
    assert set(areas) == set(AREA_PREFIXES)
    assert all(0.25 * total <= n <= 0.42 * total for n in areas.values()), areas


def test_attributes_vary_realistically(listings):
    n = len(listings)
    costs = Counter(listing.cost for listing in listings)
    assert costs["free"] > n / 2 and costs["low_cost"] > 0 and costs["paid"] > 0
    assert {listing.how_to_join for listing in listings} == {
        "drop_in",
        "self_referral",
        "professional_referral",
    }
    assert {listing.delivered_by for listing in listings} >= {"peers", "staff", "volunteers"}
    attendance = Counter(listing.attendance for listing in listings)
    assert 0.05 * n <= attendance["online"] <= 0.15 * n
    assert 0.05 * n <= attendance["both"] <= 0.15 * n
    courses = [listing for listing in listings if listing.format == "course"]
    assert courses and all(6 <= listing.course_weeks <= 12 for listing in courses)
    assert all(listing.course_weeks is None for listing in listings if listing.format == "ongoing")
    languages = {lang for listing in listings for lang in listing.languages}
    assert {"English", "Polish", "Urdu", "BSL"} <= languages
    assert sum(listing.languages == ["English"] for listing in listings) > 0.8 * n
    assert any(listing.min_age == 18 and listing.max_age == 25 for listing in listings)
    assert any((listing.min_age or 0) >= 60 for listing in listings)
    assert sum(bool(listing.welcome_statement) for listing in listings) > n / 3
    assert any(listing.first_visit_support for listing in listings)
    vocabularies = {t.vocabulary_code for listing in listings for t in listing.terms}
    assert vocabularies >= {
        "civic_domain",
        "intervention_type",
        "chime_process",
        "recovery_outcome",
        "audience",
        "accessibility",
    }


def test_status_publication_and_verification_dates(listings):
    n = len(listings)
    status = Counter(listing.status for listing in listings)
    assert 0.90 * n <= status["active"] <= 0.97 * n
    assert status["temporarily_closed"] > 0 and status["closed"] > 0
    assert 0.94 * n <= sum(listing.published for listing in listings) < n
    ages = [(DEMO_ANCHOR - listing.last_verified_at.date()).days for listing in listings]
    assert all(0 <= age <= 400 for age in ages)
    assert sum(age <= 90 for age in ages) > 0.8 * n
    assert 0.05 * n <= sum(age > 180 for age in ages) <= 0.15 * n
    assert sum(age > 365 for age in ages) > 0


def test_listing_names_are_unique(listings):
    names = Counter(listing.name for listing in listings)
    assert names.most_common(1)[0][1] == 1


# --------------------------------------------------------------------------- fictional


def test_phone_numbers_are_only_from_drama_ranges(listings, organisations):
    phones = [o.phone for o in organisations] + [listing.phone for listing in listings]
    assert all(DRAMA_PHONE.match(phone) for phone in phones if phone), [
        phone for phone in phones if phone and not DRAMA_PHONE.match(phone)
    ]


def test_emails_and_websites_are_only_on_example_domains(listings, organisations):
    emails = [o.email for o in organisations] + [listing.email for listing in listings]
    urls = [o.website for o in organisations] + [listing.url for listing in listings]
    for email in filter(None, emails):
        assert EXAMPLE_DOMAIN.search(email.rpartition("@")[2]), email
    for url in filter(None, urls):
        parts = urlsplit(url)
        assert parts.scheme == "https" and EXAMPLE_DOMAIN.search(parts.hostname), url


def test_charity_numbers_are_fictional(organisations):
    numbers = [o.charity_number for o in organisations if o.charity_number]
    assert numbers and all(re.fullmatch(r"99\d{5}", number) for number in numbers)


# --------------------------------------------------------------------------- locations


def test_locations_are_at_demo_postcodes_with_coordinates(listings, postcodes):
    for listing in listings:
        for location in listing.locations:
            row = postcodes[location.postcode]
            assert location.latitude is not None and location.longitude is not None
            assert abs(location.latitude - float(row["latitude"])) <= 0.0005
            assert abs(location.longitude - float(row["longitude"])) <= 0.0005
            assert location.city == row["town"] and location.address_1


def test_online_listings_have_no_locations(listings):
    for listing in listings:
        if listing.attendance == "online":
            assert listing.locations == [], listing.name
        else:
            assert 1 <= len(listing.locations) <= 2, listing.name


# --------------------------------------------------------------------------- schedules


def test_schedules_are_varied_and_valid(listings):
    schedules = [s for listing in listings for s in listing.schedules]
    assert all(listing.schedules for listing in listings)
    assert all(s.opens_at and s.closes_at and s.closes_at > s.opens_at for s in schedules)
    fortnightly = [s for s in schedules if s.freq == "WEEKLY" and s.interval == 2]
    assert fortnightly and all(s.dtstart is not None for s in fortnightly)
    monthly = {s.byday for s in schedules if s.freq == "MONTHLY"}
    assert any(byday.startswith("-1") for byday in monthly)
    assert any("," in byday for byday in monthly)
    assert any(s.byday == "MO,TU,WE,TH,FR" for s in schedules)
    for listing in listings:
        if listing.format == "course":
            s = listing.schedules[0]
            weeks = (s.valid_to - s.valid_from).days // 7 + 1
            assert weeks == listing.course_weeks and s.valid_from.weekday() == (
                ("MO", "TU", "WE", "TH", "FR", "SA", "SU").index(s.byday)
            )
    try:
        from directory.schedules import validate_schedule
    except ImportError:  # written concurrently; the checks above stand on their own
        return
    for s in schedules:
        assert not validate_schedule(
            s.freq, s.interval, s.byday, s.opens_at, s.closes_at, s.valid_from, s.valid_to
        )


def test_evening_sessions_in_every_area_and_in_ng7(listings):
    evening_areas = {
        area_of(location.postcode)
        for listing in listings
        if is_public(listing) and is_evening(listing)
        for location in listing.locations
    }
    assert evening_areas == set(AREA_PREFIXES)
    assert any(
        is_public(listing) and is_evening(listing)
        for listing in listings
        if any(location.postcode.startswith("NG7 ") for location in listing.locations)
    )


# --------------------------------------------------------------------------- journeys


def test_journey_1_free_peer_led_tuesday_options_near_pl4_8aa(listings, postcodes):
    home = postcodes["PL4 8AA"]
    matches = [
        listing
        for listing in listings
        if is_public(listing)
        and listing.cost == "free"
        and listing.delivered_by == "peers"
        and set(listing.domain_codes) & {"involvement", "cared_for"}
        and any("TU" in (s.byday or "") for s in listing.schedules)
        and any(
            distance_km(
                location.latitude,
                location.longitude,
                float(home["latitude"]),
                float(home["longitude"]),
            )
            < 3
            for location in listing.locations
        )
    ]
    assert len(matches) >= 3


def test_journey_2_fortnightly_hearing_voices_group_in_plymouth(listings):
    group = next(x for x in listings if x.name == "Hearing Voices Peer Group (Devonport)")
    assert group.locations[0].city == "Plymouth"
    assert group.schedules[0].interval == 2 and group.schedules[0].byday == "TU"
    assert {"identity", "cared_for"} <= set(group.domain_codes)
    assert group.delivered_by == "peers"


def test_journey_4_no_free_evening_cared_for_within_5_km_of_ng7(listings, postcodes):
    centres = [row for postcode, row in postcodes.items() if postcode.startswith("NG7 ")]
    centroid = (
        sum(float(r["latitude"]) for r in centres) / len(centres),
        sum(float(r["longitude"]) for r in centres) / len(centres),
    )
    ng7_2rd = (float(postcodes["NG7 2RD"]["latitude"]), float(postcodes["NG7 2RD"]["longitude"]))
    for listing in listings:
        if listing.cost == "free" and "cared_for" in listing.domain_codes and is_evening(listing):
            for location in listing.locations:
                for centre in (centroid, ng7_2rd):
                    assert distance_km(location.latitude, location.longitude, *centre) > 5, (
                        listing.name
                    )
