"""The CIVIC check's answers and the sketch's gaps as the plan builder's domains."""

from __future__ import annotations

import pytest

from directory.rules.civic_check import ANSWERS, domains_from_check

DOMAINS = ("closeness", "identity", "valued", "involvement", "cared_for", "beyond")


def test_would_like_more_is_chosen_in_vocabulary_order():
    result = domains_from_check(DOMAINS, {"beyond": "more", "closeness": "more", "valued": "ok"})
    assert result.chosen == ("closeness", "beyond")
    assert result.offered == () and result.not_for_me == () and result.missing == ()


def test_nothing_answered_and_nothing_sketched_chooses_nothing():
    result = domains_from_check(DOMAINS, {})
    assert (result.chosen, result.offered, result.not_for_me) == ((), (), ())


def test_a_gap_in_the_sketch_is_chosen_when_unanswered_and_offered_when_doing_ok():
    result = domains_from_check(
        DOMAINS, {"involvement": "ok", "identity": "more"}, missing=("involvement", "valued")
    )
    assert result.chosen == ("identity", "valued")
    assert result.offered == ("involvement",)
    assert result.missing == ("valued", "involvement")


def test_not_for_me_is_never_chosen_or_offered_even_when_missing():
    result = domains_from_check(
        DOMAINS, {"closeness": "not_for_me", "cared_for": "more"}, missing=DOMAINS
    )
    assert "closeness" not in result.chosen + result.offered + result.missing
    assert result.not_for_me == ("closeness",)
    assert result.chosen == ("identity", "valued", "involvement", "cared_for", "beyond")


@pytest.mark.parametrize("answer", ["", "yes", "MORE", None, "not for me"])
def test_unknown_answers_count_as_skipped(answer):
    result = domains_from_check(DOMAINS, {"closeness": answer}, missing=("closeness",))
    assert result.chosen == ("closeness",) and result.not_for_me == ()


def test_unknown_domains_are_ignored():
    result = domains_from_check(DOMAINS, {"friendship": "more"}, missing=("friendship",))
    assert result.chosen == () and result.missing == ()


def test_why_says_the_answer_and_the_gap():
    answers = {"involvement": "ok", "identity": "more"}
    result = domains_from_check(DOMAINS, answers, missing=("involvement", "valued"))
    assert result.why("identity", answers) == "would like more"
    assert result.why("involvement", answers) == "doing OK; nothing in the sketch"
    assert result.why("valued", answers) == "nothing in the sketch"


def test_the_answers_are_the_three_the_page_offers():
    assert ANSWERS == ("ok", "more", "not_for_me")
