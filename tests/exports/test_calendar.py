"""An .ics "add to calendar" file per listing, with the schedules as RRULEs."""

from __future__ import annotations

import datetime as dt

from dateutil.rrule import rrulestr
from icalendar import Calendar

from directory import schedules
from directory.exports.calendar import LONDON, listing_calendar

NOW = dt.datetime(2026, 3, 4, 9, 0)  # a Wednesday
PAGE = "https://civic.example.org/listings/x"


def events(body: bytes) -> list:
    return Calendar.from_ical(body).walk("VEVENT")


def test_fortnightly_group_keeps_its_fortnight(feed):
    (event,) = events(listing_calendar(feed.peer_group, NOW, PAGE))
    assert event["summary"] == "Hearing Voices Peer Group"
    assert event.decoded("dtstart") == dt.datetime(2026, 3, 17, 10, 0, tzinfo=LONDON)
    assert event.decoded("dtend") == dt.datetime(2026, 3, 17, 12, 0, tzinfo=LONDON)
    assert event["rrule"].to_ical() == b"FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"
    assert event["location"] == "Community Hall, 1 Test Street, Plymouth, PL4 8AA"
    assert PAGE in event["description"] and str(event["url"]) == PAGE
    assert event["uid"] == f"{feed.peer_group.schedules[0].id}@civic-directory"


def test_the_calendar_repeats_exactly_when_the_listing_says(feed):
    """Expanding each event's RRULE gives the same dates as the directory's own rules.

    Including across the clocks going forward on 29 March.
    """
    for listing in feed.public:
        body = listing_calendar(listing, NOW, PAGE)
        for event, schedule in zip(events(body), listing.schedules, strict=True):
            start = event.decoded("dtstart").replace(tzinfo=None)
            rule = rrulestr(event["rrule"].to_ical().decode(), dtstart=start)
            expected = schedules.next_occurrences(schedule, NOW, count=8)
            assert list(rule[:8]) == expected, listing.name


def test_the_file_names_its_time_zone(feed):
    body = listing_calendar(feed.cafe, NOW, PAGE)
    calendar = Calendar.from_ical(body)
    assert calendar["version"] == "2.0" and calendar["prodid"]
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    assert b"DTSTART;TZID=Europe/London:20260307T093000" in body
    rules = sorted(e["rrule"].to_ical() for e in calendar.walk("VEVENT"))
    assert rules == [b"FREQ=MONTHLY;BYMONTHDAY=1,15", b"FREQ=WEEKLY;BYDAY=SA"]


def test_an_end_date_becomes_until_and_a_finished_schedule_is_left_out(db, make_listing):
    listing = make_listing(
        schedules=[
            {"byday": "MO", "opens_at": dt.time(14), "valid_to": dt.date(2026, 6, 29)},
            {"byday": "FR", "opens_at": dt.time(14), "valid_to": dt.date(2026, 1, 30)},
        ]
    )
    (event,) = events(listing_calendar(listing, NOW, PAGE))
    assert event["rrule"]["UNTIL"] == [dt.datetime(2026, 6, 29, 22, 59, 59, tzinfo=dt.UTC)]
    assert "dtend" not in event


def test_no_opening_time_is_an_all_day_event_and_midnight_ends_next_day(db, make_listing):
    listing = make_listing(
        attendance="online",
        schedules=[
            {"byday": "WE"},
            {"byday": "TH", "opens_at": dt.time(19), "closes_at": dt.time(0)},
        ],
    )
    all_day, late = events(listing_calendar(listing, NOW, PAGE))
    assert all_day.decoded("dtstart") == dt.date(2026, 3, 4)
    assert late.decoded("dtend") == dt.datetime(2026, 3, 6, 0, 0, tzinfo=LONDON)
    assert all_day["location"] == "Online"


def test_nothing_coming_up_gives_no_file(db, make_listing):
    listing = make_listing(schedules=[])
    assert listing_calendar(listing, NOW, PAGE) is None


def test_download(client, feed):
    response = client.get(f"/listings/{feed.peer_group.id}/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    disposition = response.headers["Content-Disposition"]
    assert disposition == 'attachment; filename="hearing-voices-peer-group.ics"'
    (event,) = events(response.get_data())
    assert event["url"].endswith(f"/listings/{feed.peer_group.id}")


def test_hidden_or_timeless_listings_have_no_calendar(client, db, feed, make_listing):
    timeless = make_listing(schedules=[])
    db.session.commit()
    for listing in (feed.unpublished, feed.closed, timeless):
        response = client.get(f"/listings/{listing.id}/calendar.ics")
        assert response.status_code == 404
    assert client.get("/listings/nope/calendar.ics").status_code == 404
