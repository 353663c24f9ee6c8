"""How many A4 pages a hand-out prints on, and where each page starts."""

from __future__ import annotations

import pytest

from directory.rules.handout import ITEMS_PER_PAGE, pages_for, pages_words, starts_page


@pytest.mark.parametrize(
    "items, pages", [(0, 1), (1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 2), (7, 3), (20, 7)]
)
def test_three_options_fit_one_page_and_more_take_more(items, pages):
    assert ITEMS_PER_PAGE == 3
    assert pages_for(items) == pages


def test_pages_start_at_the_fourth_seventh_and_tenth_options():
    assert [n for n in range(1, 11) if starts_page(n)] == [4, 7, 10]


@pytest.mark.parametrize("items", range(1, 21))
def test_page_starts_agree_with_the_page_count(items):
    assert 1 + sum(starts_page(n) for n in range(1, items + 1)) == pages_for(items)


def test_the_sentence_names_the_pages():
    assert pages_words(3) == "This hand-out prints on one sheet of A4"
    assert pages_words(5) == "This hand-out prints on 2 pages of A4"
