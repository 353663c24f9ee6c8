"""The four-week follow-up's answers (issue 21)."""

from __future__ import annotations

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
