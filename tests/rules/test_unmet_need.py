"""What unmet need keeps: an outward code, a domain, known filter codes; nothing typed."""

from __future__ import annotations

import pytest

from directory.rules.unmet_need import (
    FILTER_KEYS,
    filters_key,
    parse_filters_key,
    radius_words,
    search_counts,
)

ALLOWED = {
    "cost": ("free", "low_cost", "paid"),
    "kind": ("group", "place", "activity"),
    "delivered_by": ("peers", "staff", "volunteers"),
    "day": ("MO", "TU", "WE", "TH", "FR", "SA", "SU"),
    "part": ("morning", "afternoon", "evening"),
}


def test_filters_are_kept_in_a_fixed_order_from_known_codes():
    key = filters_key(
        {"part": ["evening"], "cost": ["free"], "radius_km": 5.0, "online": False}, ALLOWED
    )
    assert key == "cost=free;part=evening;radius_km=5"
    assert parse_filters_key(key) == {"cost": ["free"], "part": ["evening"], "radius_km": ["5"]}


def test_the_same_filters_in_any_order_give_the_same_key():
    one = filters_key({"day": ["TU", "MO"], "cost": ["low_cost", "free"]}, ALLOWED)
    other = filters_key({"cost": ["free", "low_cost"], "day": ["MO", "TU", "MO"]}, ALLOWED)
    assert one == other == "cost=free,low_cost;day=MO,TU"


def test_typed_words_unknown_codes_and_personal_filters_are_never_kept():
    key = filters_key(
        {
            "q": "my neighbour John at 12 Acacia Avenue",
            "postcode": "NG7 2RD",
            "audience": ["lgbtq"],
            "accessibility": ["hearing_loop"],
            "cost": ["free", "NG7 2RD", "'; drop table"],
            "kind": "group",  # a string, not a set of codes
        },
        ALLOWED,
    )
    assert key == "cost=free"


def test_tick_boxes_are_kept_when_ticked():
    assert filters_key({"first_visit": True, "online": True}, ALLOWED) == (
        "first_visit=yes;online=yes"
    )
    assert filters_key({"first_visit": False, "online": None}, ALLOWED) == ""


def test_parse_ignores_anything_not_written_by_filters_key():
    assert parse_filters_key("") == {}
    assert parse_filters_key("audience=lgbtq;cost=free;junk") == {"cost": ["free"]}
    assert list(parse_filters_key("radius_km=5;cost=free")) == ["cost", "radius_km"]
    assert set(FILTER_KEYS) >= {"cost", "part", "radius_km"}


@pytest.mark.parametrize(("km", "words"), [(5.0, "5"), (2.5, "2.5"), (2.7, "2.5"), (0.5, "0.5")])
def test_distances_are_kept_to_the_half_kilometre(km, words):
    assert radius_words(km) == words


@pytest.mark.parametrize(
    ("case", "counts"),
    [
        ({}, True),
        ({"has_place": False}, False),
        ({"text": "choir"}, False),
        ({"total": 1}, False),
        ({"domains": ["closeness", "involvement"], "match": "all"}, False),
        ({"domains": ["closeness", "involvement"], "match": "any"}, True),
        ({"domains": ["closeness"], "match": "all"}, True),
        ({"domains": []}, True),
    ],
)
def test_which_searches_count(case, counts):
    values = {
        "has_place": True,
        "text": " ",
        "domains": ["cared_for"],
        "match": "any",
        "total": 0,
    } | case
    assert search_counts(**values) is counts
