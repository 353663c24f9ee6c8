"""The four-week follow-up's answers (issue 21)."""

from __future__ import annotations

import itertools

import pytest

from directory.rules import uptake


def test_four_answers_in_the_practitioners_words():
    assert uptake.ANSWERS == ("still_going", "went_few", "didnt_go", "dont_know")
    assert list(uptake.LABELS.values()) == [
        "Still going",
        "Went a few times",
        "Didn't go",
        "Don't know",
    ]
    assert set(uptake.WENT) == {"still_going", "went_few"}
    assert "dont_know" not in uptake.KNOWN


def test_counts_say_who_went_of_those_known():
    counts = uptake.UptakeCounts.of(
        {"still_going": 2, "went_few": 1, "didnt_go": 1, "dont_know": 5, "went": 9}
    )
    assert (counts.went, counts.known, counts.still_going) == (3, 4, 2)
    assert counts.percent(counts.went) == 75
    assert counts.percent(counts.still_going) == 50
    assert uptake.UptakeCounts().percent(0) is None


# -- the commissioners' figure -----------------------------------------------------------


def figure(still_going=0, went_few=0, didnt_go=0, dont_know=0) -> uptake.PublishedUptake:
    return uptake.published_uptake(uptake.UptakeCounts(still_going, went_few, didnt_go, dont_know))


def test_still_going_share_is_of_those_known_and_dont_know_only_in_the_answers():
    shown = figure(still_going=10, went_few=5, didnt_go=5, dont_know=7)
    assert shown == uptake.PublishedUptake(
        still_going=10, went_few=5, didnt_go=5, still_going_percent=50, answered=27
    )


def test_nothing_answered_is_zeros_and_no_share():
    assert figure() == uptake.PublishedUptake(0, 0, 0, None, 0)
    # Only "don't know": nobody's going is known, so there is no share.
    assert figure(dont_know=6) == uptake.PublishedUptake(0, 0, 0, None, 6)


def test_zero_is_shown_and_a_share_of_a_hundred_percent_too():
    assert figure(still_going=8) == uptake.PublishedUptake(8, 0, 0, 100, 8)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # A small "didn't go": the share (8 of 8 + 12 + d) and the total would give it back.
        ((8, 12, 3, 0), uptake.PublishedUptake(8, 12, None, None, None)),
        # A small "still going": the same.
        ((1, 12, 9, 5), uptake.PublishedUptake(None, 12, 9, None, None)),
        # A small "don't know" is never shown, and the total would give it away.
        ((8, 12, 6, 2), uptake.PublishedUptake(8, 12, 6, 31, None)),
        # Every cell small: nothing but words.
        ((4, 4, 4, 4), uptake.PublishedUptake(None, None, None, None, None)),
    ],
)
def test_no_published_figure_gives_back_a_small_number(counts, expected):
    assert figure(*counts) == expected


def test_nothing_shown_reveals_a_count_under_five():
    """Brute force: from what is published, no count of 1 to 4 can be worked out.

    Every set of counts up to 11 of each answer, grouped by what would be published:
    within a group (indistinguishable to a reader), a small count always has company.
    """
    groups: dict[uptake.PublishedUptake, list[tuple[int, ...]]] = {}
    for counts in itertools.product(range(12), repeat=4):
        groups.setdefault(figure(*counts), []).append(counts)
    for shown, alike in groups.items():
        for index in range(4):
            values = {counts[index] for counts in alike}
            assert not (len(values) == 1 and 0 < min(values) < 5), (shown, alike[:3])
