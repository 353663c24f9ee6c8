"""The network type a people, places and activities sketch suggests, and what is missing."""

from __future__ import annotations

from directory.rules.network_type import (
    SPARSE_MAX,
    SketchEntry,
    missing_domains,
    suggest_network_type,
)

DOMAINS = ("closeness", "identity", "valued", "involvement", "cared_for", "beyond")


def people(*kinds: str, often: str = "weekly") -> list[SketchEntry]:
    return [SketchEntry("people", kind=kind, often=often) for kind in kinds]


def test_an_empty_sketch_suggests_nothing():
    assert suggest_network_type([]) is None


def test_two_regular_ties_outside_services_is_formal_and_sparse():
    assert SPARSE_MAX == 2
    entries = people("family", "friend", "service", "service")
    suggestion = suggest_network_type(entries)
    assert suggestion.network_type == "formal_sparse"
    assert suggestion.reason == "2 regular ties outside services and 2 services: few connections"


def test_only_services_is_formal_and_sparse():
    suggestion = suggest_network_type(people("service"))
    assert suggestion.network_type == "formal_sparse"
    assert suggestion.reason == "0 regular ties outside services and 1 service: few connections"


def test_ties_seen_less_than_monthly_dont_count():
    entries = people("friend", "friend") + people("friend", "community", "family", often="less")
    assert suggest_network_type(entries).network_type == "formal_sparse"


def test_three_regular_ties_with_family_the_majority_is_family_and_stable():
    suggestion = suggest_network_type(people("family", "family", "friend", "service"))
    assert suggestion.network_type == "family_stable"
    assert suggestion.reason == "2 of 3 regular ties outside services are family"


def test_family_at_exactly_half_is_not_the_majority():
    suggestion = suggest_network_type(people("family", "family", "friend", "community"))
    assert suggestion.network_type == "diverse_active"
    assert suggestion.reason == "4 regular ties outside services, 2 of them beyond family"


def test_places_and_activities_count_and_an_unsaid_kind_is_a_tie_outside_services():
    entries = [
        SketchEntry("people", kind="family", often="most_days"),
        SketchEntry("places", often="weekly"),
        SketchEntry("activities"),  # only a name: the person named it, so it counts
    ]
    suggestion = suggest_network_type(entries)
    assert suggestion.network_type == "diverse_active"


def test_missing_domains_are_those_nothing_gives_in_vocabulary_order():
    entries = [
        SketchEntry("people", gives="closeness"),
        SketchEntry("places", gives="beyond", feels="good"),
        SketchEntry("activities", gives="involvement", feels="mixed"),
    ]
    assert missing_domains(entries, DOMAINS) == ("identity", "valued", "cared_for")


def test_a_tie_that_feels_hard_going_gives_nothing():
    entries = [SketchEntry("people", gives="closeness", feels="hard"),
               SketchEntry("people", gives="valued")]  # fmt: skip
    assert "closeness" in missing_domains(entries, DOMAINS)
    assert "valued" not in missing_domains(entries, DOMAINS)


def test_a_sketch_that_says_nothing_about_domains_has_no_gaps_to_offer():
    assert missing_domains([], DOMAINS) == ()
    assert missing_domains(people("family", "friend"), DOMAINS) == ()
