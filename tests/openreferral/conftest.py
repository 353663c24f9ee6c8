"""A small published directory for the feed's tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from directory.models import Listing, Organisation


@dataclass
class Feed:
    """What the ``feed`` fixture made: three public listings and two hidden ones."""

    plymouth_org: Organisation
    nottingham_org: Organisation
    peer_group: Listing  # Plymouth, Tuesday mornings, 18-65, involvement + cared_for
    walking: Listing  # Plymouth (2 km off), Thursday evenings, over-16s, beyond
    cafe: Listing  # Nottingham, Saturdays, any age, cared_for, paid
    unpublished: Listing
    closed: Listing

    @property
    def public(self) -> list[Listing]:
        return [self.cafe, self.peer_group, self.walking]


@pytest.fixture
def feed(db, make_organisation, make_listing) -> Feed:
    plymouth = make_organisation(name="Plymouth Peer Network", charity_number="1234567")
    nottingham = make_organisation(name="Nottingham Cafe Trust", sector="community")
    peer_group = make_listing(
        name="Hearing Voices Peer Group",
        organisation=plymouth,
        domains=("involvement", "cared_for"),
        terms={"audience": ("carers",), "accessibility": ("step_free", "hearing_loop")},
        min_age=18,
        max_age=65,
        languages=["English", "Polish"],
        phone="01632 960001",
        email="voices@example.org",
        url="https://example.org/voices",
        welcome_statement="Everyone is welcome.",
        schedules=[
            {
                "byday": "TU",
                "interval": 2,
                "opens_at": dt.time(10),
                "closes_at": dt.time(12),
                "valid_from": dt.date(2026, 1, 6),
            }
        ],
    )
    walking = make_listing(
        name="Wellbeing Walk",
        kind="activity",
        organisation=plymouth,
        domains=("beyond",),
        min_age=16,
        latitude=50.3900,
        longitude=-4.1100,
        postcode="PL4 7AA",
        schedules=[{"byday": "TH", "opens_at": dt.time(18), "closes_at": dt.time(20)}],
    )
    cafe = make_listing(
        name="Community Cafe",
        kind="place",
        organisation=nottingham,
        domains=("cared_for",),
        cost="paid",
        cost_description="£2 for tea and cake",
        postcode="NG7 2RD",
        latitude=52.9470,
        longitude=-1.1850,
        schedules=[
            {
                "freq": "MONTHLY",
                "bymonthday": "1,15",
                "opens_at": dt.time(9),
                "closes_at": dt.time(17),
            },
            {"byday": "SA", "opens_at": dt.time(9, 30), "closes_at": dt.time(13)},
        ],
    )
    unpublished = make_listing(name="Draft Group", organisation=plymouth, published=False)
    closed = make_listing(name="Closed Group", organisation=plymouth, status="closed")
    for listing, day in ((peer_group, 1), (walking, 10), (cafe, 20)):
        listing.updated_at = dt.datetime(2026, 3, day, 12, 0)
    db.session.commit()
    return Feed(plymouth, nottingham, peer_group, walking, cafe, unpublished, closed)
