"""Tests for directory.rules.duplicates: name similarity, distance and the duplicate rule."""

from __future__ import annotations

import pytest

from directory.rules.duplicates import (
    NEARBY_KM,
    NEARBY_MIN_SIMILARITY,
    SAME_ORGANISATION_MIN_SIMILARITY,
    ListingFacts,
    great_circle_km,
    name_similarity,
    nearest_km,
    normalise_name,
    probably_same,
    similar_names,
)

# Plymouth: the Hoe, and points a known distance north of it (1 degree of latitude is
# 111.2 km on the mean radius, so 0.0036 degrees is 0.40 km).
HOE = (50.3640, -4.1420)
HOE_400M = (50.3676, -4.1420)
HOE_2KM = (50.3820, -4.1420)
EXETER = (50.7184, -3.5339)


def facts(id_: str, name: str, org: str | None = "org-1", points=(), **more) -> ListingFacts:
    return ListingFacts(id=id_, name=name, organisation_id=org, points=tuple(points), **more)


# --- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("The Walking Group", "walking"),
        ("Café Connect Ltd", "cafe connect"),
        ("Knit & Natter", "knit natter"),
        ("Men’s Shed (Plymouth)", "mens plymouth shed"),
        ("Recovery College, Plymouth CIC", "college plymouth recovery"),
        ("The Group", "group the"),
        ("  ", ""),
    ],
)
def test_names_are_normalised_for_comparison(name, key):
    assert normalise_name(name) == key


@pytest.mark.parametrize(
    ("a", "b", "low", "high"),
    [
        ("The Walking Group", "Walking group", 100, 100),
        ("Plymouth Walking Group", "Walking Group, Plymouth", 100, 100),
        ("Café Connect", "CAFE CONNECT LTD", 100, 100),
        ("Knit and natter", "Knit & Natter", 100, 100),
        ("Coffee morning", "Coffee mornings", 95, 99),
        ("Hearing Voices Group", "Hearing Voices Peer Support", 0, 75),
        ("Art Club", "Art Hub", 0, 80),
        ("Men's Shed", "Women's Shed", 0, 0),
        ("Tuesday Art Club", "Thursday Art Club", 0, 0),
        ("Choir 1", "Choir 2", 0, 0),
        ("Art Club", "Tuesday Art Club", 60, 75),
        ("", "Art Club", 0, 0),
    ],
)
def test_name_similarity(a, b, low, high):
    assert low <= name_similarity(a, b) <= high
    assert name_similarity(a, b) == name_similarity(b, a)


def test_similar_names_finds_the_close_ones_among_many():
    names = [normalise_name(n) for n in ("Art Club", "Walking group", "The Art Club", "Choir")]
    names += [normalise_name(f"Listing number {i}") for i in range(5000)]
    assert similar_names("Art club!", names) == [0, 2]
    assert similar_names("", names) == []
    assert similar_names("Art Club", []) == []


# --- distance ---------------------------------------------------------------------------


def test_great_circle_distance():
    assert great_circle_km(HOE, HOE) == 0
    assert great_circle_km(HOE, HOE_400M) == pytest.approx(0.40, abs=0.005)
    # Plymouth to Exeter is about 58 km as the crow flies.
    assert great_circle_km(HOE, EXETER) == pytest.approx(58.5, abs=1.0)


def test_nearest_distance_takes_the_closest_pair_and_none_without_places():
    assert nearest_km([HOE_2KM, EXETER], [HOE]) == pytest.approx(great_circle_km(HOE, HOE_2KM))
    assert nearest_km([], [HOE]) is None
    assert nearest_km([HOE], []) is None


# --- the rule ---------------------------------------------------------------------------


def test_same_organisation_and_similar_name_is_flagged_with_the_reason():
    match = probably_same(facts("a", "Walking group"), facts("b", "The Walking Group"))
    assert match is not None
    assert match.same_organisation and match.distance_km is None
    assert match.score == 100
    assert match.reason == "same organisation, names 100% alike"


def test_same_organisation_at_the_same_place_names_the_distance():
    match = probably_same(
        facts("a", "Coffee morning", points=[HOE]), facts("b", "Coffee mornings", points=[HOE])
    )
    assert match is not None
    assert match.reason == "same organisation, names 97% alike, under 0.1 km apart"


def test_similar_names_within_a_kilometre_are_flagged_whoever_runs_them():
    match = probably_same(
        facts("a", "Plymouth Walking Group", org="charity", points=[HOE]),
        facts("b", "Walking group - Plymouth", org="council", points=[HOE_400M]),
    )
    assert match is not None
    assert not match.same_organisation
    assert match.distance_km == pytest.approx(0.40, abs=0.005)
    assert match.reason == "names 100% alike, 0.4 km apart"


def test_similar_names_further_than_a_kilometre_apart_are_not_flagged():
    a = facts("a", "Walking group", org="charity", points=[HOE])
    b = facts("b", "Walking group", org="council", points=[HOE_2KM])
    assert great_circle_km(HOE, HOE_2KM) > NEARBY_KM
    assert probably_same(a, b) is None


def test_similar_names_without_places_and_different_organisations_are_not_flagged():
    assert probably_same(facts("a", "Art Club", org="x"), facts("b", "Art Club", org="y")) is None
    assert probably_same(facts("a", "Art Club", org=None), facts("b", "Art Club", org=None)) is None


def test_the_same_name_used_four_times_in_a_council_feed_is_not_flagged():
    """Four Art Clubs from one feed (separate records), at four libraries."""
    places = [HOE, HOE_2KM, EXETER, (50.40, -4.10)]
    clubs = [
        facts(
            f"art-{i}",
            "Art Club",
            org=f"library-{i}",
            points=[p],
            source="council",
            source_id=str(i),
        )
        for i, p in enumerate(places)
    ]
    assert all(probably_same(a, b) is None for a in clubs for b in clubs)


def test_one_feed_listing_two_records_at_one_place_is_trusted_to_mean_two_services():
    a = facts("a", "Art Club", points=[HOE], source="council", source_id="1")
    b = facts("b", "Art Club", points=[HOE], source="council", source_id="2")
    assert probably_same(a, b) is None
    # The same name posted by hand at the same place is flagged against either.
    posted = facts("c", "Art club", points=[HOE])
    assert probably_same(posted, a) is not None


def test_one_organisation_running_the_same_club_at_two_places_is_not_flagged():
    a = facts("a", "Art Club", points=[HOE])
    b = facts("b", "Art Club", points=[HOE_2KM])
    assert probably_same(a, b) is None


def test_one_organisations_sessions_on_different_days_are_not_flagged():
    a = facts("a", "Tuesday Art Club", points=[HOE])
    b = facts("b", "Thursday Art Club", points=[HOE])
    assert probably_same(a, b) is None


def test_a_listing_is_not_its_own_duplicate():
    a = facts("a", "Art Club", points=[HOE])
    assert probably_same(a, a) is None


def test_names_just_under_each_threshold_are_not_flagged():
    # "Art Club" / "Art Hub": 80% alike: enough within one organisation, not for neighbours.
    assert name_similarity("Art Club", "Art Hub") == SAME_ORGANISATION_MIN_SIMILARITY
    assert name_similarity("Art Club", "Art Hub") < NEARBY_MIN_SIMILARITY
    same_org = probably_same(facts("a", "Art Club"), facts("b", "Art Hub"))
    assert same_org is not None and same_org.score == 80
    neighbours = probably_same(
        facts("a", "Art Club", org="x", points=[HOE]), facts("b", "Art Hub", org="y", points=[HOE])
    )
    assert neighbours is None


def test_the_rule_is_symmetric():
    a = facts("a", "Plymouth Walking Group", org="charity", points=[HOE])
    b = facts("b", "Walking group", org="council", points=[HOE_400M])
    assert probably_same(a, b) == probably_same(b, a)


def test_similar_names_leaves_out_names_that_differ_by_a_day_or_number():
    names = [normalise_name(n) for n in ("Choir 2", "Tuesday choir", "Choir", "Choir 1")]
    assert similar_names("Choir 1", names) == [2, 3]
