"""The one listing input schema.

Each limit and its message, and every way in (the form, the spreadsheet, ORUK and
calendar imports) giving the same message for the same bad value.
"""

from __future__ import annotations

import datetime as dt

import pytest
from marshmallow import ValidationError
from sqlalchemy import func, select

from directory.models import Listing
from directory.openreferral.mapping import EXTENSION
from directory.rules.listing_input import (
    FEED,
    MESSAGES,
    POSTED,
    REQUIRED,
    SPREADSHEET,
    ListingInput,
    anchor_problem,
    flatten,
    load_leniently,
    match_term,
    read_vocabularies,
)
from importers.calendars import Series, series_snapshot
from importers.openreferral import TermResolver, service_to_import
from importers.runner import RowRejected
from importers.spreadsheet import RowContext, check_row
from tests.importers.conftest import good_row, locator  # noqa: F401 (a fixture)
from tests.importers.test_openreferral import service
from tests.lifecycle.conftest import editor, listing_form  # noqa: F401 (a fixture)


def listing(**overrides) -> dict:
    """A complete, valid listing input."""
    data = {
        "kind": "group",
        "name": "Hearing Voices",
        "summary": "A peer group.",
        "description": "We meet for tea.",
        "status": "active",
        "how_to_join": "drop_in",
        "cost": "free",
        "format": "ongoing",
        "attendance": "in_person",
        "terms": {"civic_domain": ["identity"]},
        "locations": [
            {"name": "Hall", "address_1": "1 Fore St", "city": "Plymouth", "postcode": "PL4 8AA"}
        ],  # fmt: skip
        "schedules": [
            {
                "freq": "WEEKLY",
                "interval": 1,
                "byday": "TU",
                "opens_at": "18:30",
                "closes_at": "20:00",
            }
        ],  # fmt: skip
    }
    data.update(overrides)
    return data


def problems(data: dict, require=POSTED) -> list[tuple[tuple, str]]:
    """The schema's messages for ``data``, or [] if it loads."""
    try:
        ListingInput(require=require).load_listing(data)
    except ValidationError as error:
        return flatten(error.messages)
    return []


def test_a_complete_listing_loads_as_a_snapshot():
    snapshot = ListingInput().load_listing(
        listing(kind="Place", how_to_join="self referral", min_age="18", languages=[" Welsh "])
    )
    assert snapshot["kind"] == "place" and snapshot["how_to_join"] == "self_referral"
    assert snapshot["min_age"] == 18 and snapshot["languages"] == ["Welsh"]
    assert snapshot["terms"]["civic_domain"] == ["identity"]
    assert snapshot["terms"]["audience"] == []
    assert snapshot["schedules"][0]["opens_at"] == "18:30:00"
    assert snapshot["locations"][0]["address_2"] is None


LIMITS = [
    ({"name": "x" * 201}, ("name",), "This is 201 characters long; the most is 200."),
    ({"name": "x" * 200}, None, None),
    ({"summary": "s" * 301}, ("summary",), "This is 301 characters long; the most is 300."),
    ({"description": "d" * 5001}, ("description",), "the most is 5000."),
    ({"phone": "0" * 41}, ("phone",), "the most is 40."),
    ({"cost_description": "c" * 301}, ("cost_description",), "the most is 300."),
    ({"welcome_statement": "w" * 1001}, ("welcome_statement",), "the most is 1000."),
    ({"languages": ["l" * 61]}, ("languages", 0), "the most is 60."),
    ({"email": "not-an-email"}, ("email",), MESSAGES["email"]),
    ({"email": "a@" + "b" * 250 + ".org"}, ("email",), MESSAGES["email"]),
    ({"email": "name@example.org"}, None, None),
    ({"url": "example.org"}, ("url",), MESSAGES["url"]),
    ({"url": "https://localhost"}, ("url",), MESSAGES["url"]),
    ({"url": "https://example.org/" + "p" * 490}, ("url",), MESSAGES["url"]),
    ({"url": "http://example.org:8080/a?b=c"}, None, None),
    ({"min_age": "-1"}, ("min_age",), "Enter an age from 0 to 120."),
    ({"max_age": 121}, ("max_age",), "Enter an age from 0 to 120."),
    ({"max_age": "eighteen"}, ("max_age",), "Enter an age from 0 to 120."),
    ({"min_age": 18.5}, ("min_age",), "Enter an age from 0 to 120."),
    ({"min_age": 0, "max_age": 120}, None, None),
    ({"min_age": 90, "max_age": 20}, ("max_age",), MESSAGES["age_order"]),
    ({"min_age": 30, "max_age": 30}, None, None),
    ({"course_weeks": 0}, ("course_weeks",), "Enter a number of weeks from 1 to 104."),
    ({"course_weeks": "105"}, ("course_weeks",), "Enter a number of weeks from 1 to 104."),
    ({"format": "course", "course_weeks": 104}, None, None),
    ({"format": "course"}, ("course_weeks",), "Enter how many weeks the course lasts."),
    ({"kind": "club"}, ("kind",), "'club' is not one of: group, place, activity."),
    ({"kind": ""}, ("kind",), REQUIRED["kind"]),
    ({"name": "  "}, ("name",), REQUIRED["name"]),
    ({"summary": None}, ("summary",), REQUIRED["summary"]),
    ({"description": ""}, ("description",), REQUIRED["description"]),
    ({"terms": {}}, ("terms", "civic_domain"), REQUIRED["domains"]),
    ({"terms": {"civic_domain": ["joy"]}}, ("terms", "civic_domain"), "'joy' is not one of"),
    ({"first_visit_support": "maybe"}, ("first_visit_support",), "Answer yes or no."),
    ({"locations": [{"name": "Hall"}]}, ("locations", 0, "postcode"), "Enter the postcode."),
    ({"locations": []}, ("locations", 0, "postcode"), "Enter where it meets, or choose online."),
    ({"locations": [], "attendance": "online"}, None, None),
    (
        {"locations": [{"postcode": "PL4 8AA", "city": "c" * 101}]},
        ("locations", 0, "city"),
        "the most is 100.",
    ),
    (
        {"schedules": [{"freq": "WEEKLY", "byday": "TU", "opens_at": "25:00"}]},
        ("schedules", 0, "opens_at"),
        "Enter a time like 18:30.",
    ),
    (
        {"schedules": [{"freq": "WEEKLY", "byday": "TU", "valid_from": "31/02/2026"}]},
        ("schedules", 0, "valid_from"),
        "Enter a date like 2026-01-31.",
    ),
    (
        {
            "schedules": [
                {"freq": "WEEKLY", "byday": "TU", "opens_at": "20:00", "closes_at": "18:00"}
            ]
        },  # fmt: skip
        ("schedules", 0, "closes_at"),
        "Closing time must be after opening time",
    ),
    (
        {"schedules": [{"freq": "WEEKLY", "byday": None}]},
        ("schedules", 0, "byday"),
        "Choose at least one day of the week",
    ),
]


@pytest.mark.parametrize(("overrides", "path", "message"), LIMITS)
def test_each_limit_and_its_message(overrides, path, message):
    found = problems(listing(**overrides))
    if path is None:
        assert found == []
    else:
        assert len(found) == 1, found
        assert found[0][0] == path and message in found[0][1]


def test_what_a_way_in_must_give_differs_but_not_what_a_value_may_be():
    bare = {"kind": "group", "name": "Walk", "status": "active", "how_to_join": "drop_in",
            "cost": "free", "format": "course", "attendance": "online"}  # fmt: skip
    assert problems(bare, FEED) == []
    assert {path for path, _ in problems(bare, SPREADSHEET)} == {("course_weeks",)}
    assert {path for path, _ in problems({**bare, "attendance": "both"}, POSTED)} >= {
        ("summary",), ("description",), ("terms", "civic_domain"), ("course_weeks",),
        ("locations", 0, "postcode"),
    }  # fmt: skip
    assert problems({**bare, "max_age": 150}, FEED) == [(("max_age",), MESSAGES["age"])]


def test_vocabularies_can_be_passed_in():
    vocabularies = {**read_vocabularies(), "kind": (("meetup", "Meet-up"),)}
    schema = ListingInput(vocabularies, require=FEED)
    assert schema.load_listing(listing(kind="Meet up"))["kind"] == "meetup"
    with pytest.raises(ValidationError, match="is not one of: meetup"):
        schema.load_listing(listing(kind="group"))
    assert match_term(vocabularies["kind"], "MEET_UP") == "meetup"


def test_a_feed_loads_leniently_leaving_out_or_cutting_what_breaks_a_rule():
    data, warnings = load_leniently(
        ListingInput(require=FEED),
        listing(email="nope", min_age=90, max_age=20, course_weeks=500, description="d" * 6000),
    )
    assert (data["email"], data["min_age"], data["max_age"], data["course_weeks"]) == (
        None, None, None, None
    )  # fmt: skip
    assert len(data["description"]) == 5000
    assert dict(warnings) == {
        "email": f"{MESSAGES['email']} Left out.",
        "max_age": f"{MESSAGES['age_order']} Left out.",
        "course_weeks": f"{MESSAGES['weeks']} Left out.",
        "description": "This is 6000 characters long; the most is 5000. Cut short.",
    }
    with pytest.raises(ValidationError):  # a name can't be left out
        load_leniently(ListingInput(require=FEED), listing(name=""))


# -- every way in, the same words ---------------------------------------------------------

# (form fields, spreadsheet cells, ORUK service fields, the message)
SAME = [
    ({"email": "nope"}, {"email": "nope"}, {"email": "nope"}, MESSAGES["email"]),
    ({"url": "see our page"}, {"website": "see our page"}, {"url": "see our page"},
     MESSAGES["url"]),
    ({"min_age": "90", "max_age": "20"}, {"min_age": "90", "max_age": "20"},
     {"minimum_age": 90, "maximum_age": 20}, MESSAGES["age_order"]),
    ({"max_age": "150"}, {"max_age": "150"}, {"maximum_age": 150}, MESSAGES["age"]),
    ({"format": "course", "course_weeks": "200"}, {"format": "course", "course_weeks": "200"},
     {"extension": {"course_weeks": 200}}, MESSAGES["weeks"]),
]  # fmt: skip


@pytest.mark.parametrize(("form", "cells", "oruk", "message"), SAME)
def test_the_form_and_every_importer_give_the_same_message(
    editor,  # noqa: F811
    db,
    locator,  # noqa: F811
    form,
    cells,
    oruk,
    message,
):
    response = editor.post(
        f"/organisations/{editor.organisation.id}/listings/new", data=listing_form(**form)
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Listing)) == 0

    context = RowContext(locator=locator, organisation=None, session=db.session, seen={})
    with pytest.raises(RowRejected) as rejected:
        check_row(2, good_row(1, **cells), context)
    assert [p.reason for p in rejected.value.problems] == [message]

    oruk = dict(oruk)
    record = service(**{EXTENSION: oruk.pop("extension", {})}, **oruk)
    incoming = service_to_import(record, TermResolver(), lambda p: ("PL4 8AA", 50.37, -4.13))
    assert any(message in warning for warning in incoming.warnings), incoming.warnings


def test_oruk_imports_now_enforce_the_age_and_course_length_limits():
    record = service(minimum_age=-5, maximum_age=300, **{EXTENSION: {"course_weeks": 900}})
    incoming = service_to_import(record, TermResolver(), lambda p: ("PL4 8AA", 50.37, -4.13))
    assert (incoming.data["min_age"], incoming.data["max_age"]) == (None, None)
    assert incoming.data["course_weeks"] is None
    assert f"min_age: {MESSAGES['age']} Left out." in incoming.warnings
    assert f"max_age: {MESSAGES['age']} Left out." in incoming.warnings
    assert f"course_weeks: {MESSAGES['weeks']} Left out." in incoming.warnings
    fine = service_to_import(
        service(minimum_age=18, maximum_age=65, **{EXTENSION: {"course_weeks": 8}}),
        TermResolver(),
        lambda p: ("PL4 8AA", 50.37, -4.13),
    )
    assert (fine.data["min_age"], fine.data["max_age"], fine.data["course_weeks"]) == (18, 65, 8)
    assert fine.warnings == []


def test_a_calendar_event_gets_the_same_web_address_message(locator):  # noqa: F811
    day = dt.date(2026, 1, 6).isoformat()
    series = Series(key="walk", name="Walk", url="see our page", schedules=[{
        "freq": "WEEKLY", "interval": 1, "byday": "TU", "bymonthday": None, "dtstart": day,
        "opens_at": "10:00:00", "closes_at": None, "valid_from": day, "valid_to": day,
        "description": None}])  # fmt: skip
    warnings: list[str] = []
    data, _ = series_snapshot(series, locator, warnings)
    assert data["url"] is None
    assert warnings == [f"url: {MESSAGES['url']} Left out."]


ODD = [None, 5, "x", [None], [5], {"a": 1}, [{"freq": 5}], True, 1.5, [[1]],
       {"civic_domain": "abc"}, {"civic_domain": 5}, {"civic_domain": [None, 3]}]  # fmt: skip


@pytest.mark.parametrize("field", ["kind", "name", "email", "min_age", "languages", "terms",
                                   "locations", "schedules", "first_visit_support"])  # fmt: skip
def test_any_value_in_any_field_is_a_message_never_a_crash(field):
    for value in ODD:
        for require in (POSTED, FEED):
            try:
                load_leniently(ListingInput(require=require), listing(**{field: value}))
            except ValidationError as error:
                assert all(isinstance(m, str) for _, m in flatten(error.messages))


# -- the date a session every few weeks counts from ----------------------------------------


@pytest.mark.parametrize(
    ("freq", "interval", "byday", "dtstart", "problem"),
    [
        ("WEEKLY", 1, "TU", None, None),
        ("MONTHLY", 1, "1TU", None, None),
        ("WEEKLY", 2, "TU", None, "Enter the date of the next session"),
        ("WEEKLY", 4, "TU", None, "Enter the date of the next session"),
        ("WEEKLY", 2, "TU", "2026-12-01", None),
        ("WEEKLY", 3, "TU", dt.date(2026, 12, 1), None),
        ("WEEKLY", 2, "TU", "2026-12-02",
         "2 December 2026 is a Wednesday. Enter the date of the next Tuesday session."),
        ("WEEKLY", 2, "MO,WE", "2026-12-02", None),
    ],
)  # fmt: skip
def test_anchor_problem(freq, interval, byday, dtstart, problem):
    found = anchor_problem(freq, interval, byday, dtstart)
    assert (found is None) == (problem is None)
    if problem:
        assert found.startswith(problem)


def test_posted_fortnightly_sessions_need_their_next_date_but_feeds_do_not():
    schedule = {"freq": "WEEKLY", "interval": 2, "byday": "TU", "opens_at": "18:30"}
    data = {"kind": "group", "name": "Walk", "status": "active", "how_to_join": "drop_in",
            "cost": "free", "format": "ongoing", "attendance": "online",
            "summary": "A walk.", "description": "We walk.",
            "terms": {"civic_domain": ["involvement"]}, "schedules": [schedule]}  # fmt: skip
    with pytest.raises(ValidationError) as error:
        ListingInput(require=POSTED).load_listing(data)
    assert error.value.messages == {"schedules": {0: {"dtstart": [MESSAGES["next_date"]]}}}
    loaded = ListingInput(require=SPREADSHEET).load_listing(data)
    assert loaded["schedules"][0]["dtstart"] is None
    dated = {**data, "schedules": [{**schedule, "dtstart": "2026-12-01"}]}
    assert ListingInput(require=POSTED).load_listing(dated)["schedules"][0]["dtstart"] == (
        "2026-12-01"
    )
