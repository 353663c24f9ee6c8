"""The rule that practitioners' "helped with" ratings confirm a CIVIC domain."""

from __future__ import annotations

from directory.rules.domain_evidence import CONFIRMING_RATERS, confirmed_by_ratings


def test_the_threshold_is_two_practitioners():
    assert CONFIRMING_RATERS == 2


def test_one_practitioner_confirms_nothing():
    assert confirmed_by_ratings({1: ["closeness", "involvement"]}) == set()


def test_two_practitioners_naming_a_domain_confirm_it_and_only_it():
    found = confirmed_by_ratings({1: ["closeness", "involvement"], 2: ["involvement", "beyond"]})
    assert found == {"involvement"}


def test_one_practitioner_naming_a_domain_twice_is_still_one():
    assert confirmed_by_ratings({1: ["valued", "valued"]}) == set()


def test_raters_from_the_same_organisation_count_once():
    ratings = {1: ["identity"], 2: ["identity"]}
    assert confirmed_by_ratings(ratings, {1: ["org-a"], 2: ["org-a"]}) == set()
    assert confirmed_by_ratings(ratings, {1: ["org-a"], 2: ["org-b"]}) == {"identity"}
    # Unknown organisations (a practitioner with no membership): different people count.
    assert confirmed_by_ratings(ratings, {1: ["org-a"]}) == {"identity"}


def test_organisations_link_raters_through_others():
    # 1 and 2 share org-a, 2 and 3 share org-b: one team, one voice; a 4th from
    # elsewhere makes two.
    ratings = {1: ["beyond"], 2: ["beyond"], 3: ["beyond"]}
    organisations = {1: ["org-a"], 2: ["org-a", "org-b"], 3: ["org-b"]}
    assert confirmed_by_ratings(ratings, organisations) == set()
    assert confirmed_by_ratings({**ratings, 4: ["beyond"]}, organisations) == {"beyond"}


def test_empty_and_missing_answers():
    assert confirmed_by_ratings({}) == set()
    assert confirmed_by_ratings({1: [], 2: None}) == set()  # type: ignore[dict-item]
