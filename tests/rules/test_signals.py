"""The research's matching signals of a listing (directory.rules.signals)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from directory.rules.signals import (
    agreed_suits,
    ends_on,
    format_values,
    language_codes,
    language_label,
    meets_weekly,
    started_on,
)


def test_a_course_of_eight_weeks_or_more_is_also_a_long_course():
    assert format_values("ongoing", None) == ("ongoing",)
    assert format_values("course", 7) == ("course",)
    assert format_values("course", 8) == ("course", "course_8_weeks")
    assert format_values("course", None) == ("course",)
    assert format_values(None, 12) == ("ongoing",)


def test_weekly_or_more_often():
    def schedule(freq, interval=1):
        return SimpleNamespace(freq=freq, interval=interval)

    assert meets_weekly([schedule("WEEKLY")])
    assert meets_weekly([schedule("WEEKLY", None)])
    assert not meets_weekly([schedule("WEEKLY", 2)])  # fortnightly
    assert not meets_weekly([schedule("MONTHLY")])
    assert meets_weekly([schedule("MONTHLY"), schedule("WEEKLY")])
    assert not meets_weekly([])


def test_languages_as_search_values():
    assert language_codes(["English", " british sign language ", "ENGLISH", "", "Kurdî"]) == (
        "english",
        "british_sign_language",
        "kurdî",
    )
    assert language_codes(None) == ()
    assert language_codes(["100%_"]) == ("100",)  # no SQL wildcard survives
    assert language_label("british_sign_language") == "British Sign Language"


def test_suits_tags_need_two_practitioners_agreeing():
    ratings = [["anxious_in_groups", "anxious_in_groups"], ["anxious_in_groups"], ["new_to_area"]]
    assert agreed_suits(ratings) == ("anxious_in_groups",)
    # One practitioner choosing a tag twice in one rating is still one voice.
    assert agreed_suits([["new_to_area", "new_to_area"]]) == ()
    assert agreed_suits([]) == ()


def test_started_from_the_earliest_session_else_when_listed():
    listed = dt.datetime(2025, 3, 1, 12)
    assert started_on([dt.date(2025, 5, 1), None, dt.date(2024, 9, 2)], listed) == dt.datetime(
        2024, 9, 2
    )
    assert started_on([None], listed) == listed
    assert started_on([], None) is None


def test_a_course_ends_on_its_last_session_day():
    assert ends_on("course", [dt.date(2025, 1, 5), dt.date(2025, 2, 1)]) == dt.date(2025, 2, 1)
    # Any session without an end date: it can't be said to end.
    assert ends_on("course", [dt.date(2025, 1, 5), None]) is None
    assert ends_on("course", []) is None
    assert ends_on("ongoing", [dt.date(2025, 1, 5)]) is None
