"""Shortlist labels that could identify someone, and the hand-out's pictures."""

from __future__ import annotations

import datetime as dt

import pytest

from directory.plans.handout import (
    MapPoint,
    compass,
    distance_words,
    printed_on,
    qr_svg,
    straight_line_km,
)
from directory.plans.labels import label_problem


@pytest.mark.parametrize(
    "label",
    ["Tuesday walk options", "Options for Wednesday 3pm", "Group 12", "Plan 2026-11-23"],
)
def test_practitioners_own_words_are_fine(label):
    assert label_problem(label) is None


@pytest.mark.parametrize(
    "label, words",
    [
        ("jo@example.com", "email address"),
        ("jo (at) example (dot) com", "email address"),
        ("9434765919", "NHS number"),
        ("943-476-5919 options", "NHS number"),
        ("07700 900123", "phone number"),
        ("(01752) 000 111 5", "phone number"),
        ("+44 7700 900123", "phone number"),
        ("   ", "Enter a label"),
        ("x" * 81, "80 characters or fewer"),
    ],
)
def test_labels_that_look_like_patient_identifiers_are_refused(label, words):
    assert words in label_problem(label)


def test_ten_digits_failing_the_nhs_check_are_still_refused_as_a_phone_number():
    assert "phone number" in label_problem("9434765918")


def test_directions_say_in_words_where_the_place_is_from_home():
    home = MapPoint(50.3755, -4.1290, "PL4")
    place = MapPoint(50.3755 + 1.5 / 111.2, -4.1290, "PL4 6LG")
    assert straight_line_km(place, home) == pytest.approx(1.5, abs=0.02)
    assert compass(place, home) == "north"
    assert distance_words(place, home) == (
        "About 1.5 km north of the centre of PL4, in a straight line"
    )
    near = MapPoint(50.3755 - 0.4 / 111.2, -4.1290 + 0.4 / 70.8, "PL4 8AA")
    assert distance_words(near, home).startswith("About 565 m south-east of the centre of PL4")
    assert distance_words(home, home) == "Close to the centre of PL4"


def test_the_printed_date_is_the_uk_day():
    assert printed_on(dt.datetime(2026, 11, 30, 9, 0)) == "Printed on 30 November 2026"
    # 23:30 UTC on 31 May is 00:30 on 1 June in British Summer Time.
    assert printed_on(dt.datetime(2026, 5, 31, 23, 30)) == "Printed on 1 June 2026"


def test_qr_code_is_inline_svg_without_styles():
    svg = str(qr_svg("http://localhost/feedback/HHN9U9UK", "QR code"))
    assert svg.startswith('<svg role="img" ') and "civic-qr" in svg
    assert "style=" not in svg
