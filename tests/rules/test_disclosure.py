"""Statistical disclosure control: counts of 1 to 4 are never shown."""

from __future__ import annotations

import pytest

from directory.rules.disclosure import SMALL_NUMBER_LIMIT, is_small, suppress, words


def test_the_limit_is_five():
    assert SMALL_NUMBER_LIMIT == 5


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_small_counts_are_suppressed(count):
    assert is_small(count)
    assert suppress(count) is None
    assert words(suppress(count)) == "fewer than 5"


@pytest.mark.parametrize("count", [0, 5, 6, 120])
def test_zero_and_five_or_more_are_shown(count):
    assert not is_small(count)
    assert suppress(count) == count
    assert words(suppress(count)) == str(count)


def test_a_negative_count_is_a_mistake():
    with pytest.raises(ValueError):
        suppress(-1)
