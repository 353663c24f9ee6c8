"""Importing calendars: repeating events as schedules, one-offs as dated occurrences.

Failing feeds are reported, never skipped.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from directory.models import ImportSource, Listing
from importers.calendars import CalendarError, calendar_series, parse_calendar, run_calendar

TODAY = dt.date(2026, 11, 23)

CALENDAR = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Test//EN
BEGIN:VEVENT
UID:walk@example.org
SUMMARY:Wellbeing Walk
DESCRIPTION:A gentle walk round the park. All welcome.
LOCATION:Central Park Gates, Plymouth, PL4 8AA
CATEGORIES:group,Involvement,Walking
DTSTART;TZID=Europe/London:20260106T100000
DTEND;TZID=Europe/London:20260106T120000
RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU
END:VEVENT
BEGIN:VEVENT
UID:cafe@example.org
SUMMARY:Memory Cafe
LOCATION:Online (Zoom)
DTSTART:20260103T140000Z
DTEND:20260103T160000Z
RRULE:FREQ=MONTHLY;BYDAY=1SA;UNTIL=20270101T000000Z
END:VEVENT
BEGIN:VEVENT
UID:fair@example.org
SUMMARY:Winter Fair
LOCATION:Guildhall, Plymouth, PL4 8AA
DTSTART:20261205T100000Z
DTEND:20261205T150000Z
END:VEVENT
BEGIN:VEVENT
UID:old@example.org
SUMMARY:Summer BBQ
DTSTART:20260705T100000Z
DTEND:20260705T150000Z
END:VEVENT
BEGIN:VEVENT
UID:daily@example.org
SUMMARY:Morning Stretch
DTSTART:20261124T090000Z
DTEND:20261124T093000Z
RRULE:FREQ=DAILY;COUNT=3
END:VEVENT
END:VCALENDAR
"""


def test_events_become_schedules_and_dated_occurrences():
    series = {s.name: s for s in calendar_series(parse_calendar(CALENDAR), TODAY)}
    # The past one-off is left out; everything else is one listing per title.
    assert sorted(series) == ["Memory Cafe", "Morning Stretch", "Wellbeing Walk", "Winter Fair"]
    walk = series["Wellbeing Walk"].schedules
    assert [
        (s["freq"], s["interval"], s["byday"], s["opens_at"], s["closes_at"]) for s in walk
    ] == [("WEEKLY", 2, "TU", "10:00:00", "12:00:00")]
    cafe = series["Memory Cafe"].schedules[0]
    assert (cafe["freq"], cafe["byday"], cafe["valid_to"]) == ("MONTHLY", "1SA", "2027-01-01")
    fair = series["Winter Fair"].schedules
    assert [(s["byday"], s["valid_from"], s["valid_to"]) for s in fair] == [
        ("SA", "2026-12-05", "2026-12-05")
    ]
    # A daily rule can't be a schedule: its occurrences are dated ones.
    stretch = series["Morning Stretch"].schedules
    assert [s["valid_from"] for s in stretch] == ["2026-11-24", "2026-11-25", "2026-11-26"]


def test_a_calendar_imports_for_an_organisation_and_reimporting_changes_nothing(
    db, make_organisation, locator, tmp_path
):
    organisation = make_organisation(name="Park Friends")
    db.session.commit()
    path = tmp_path / "events.ics"
    path.write_bytes(CALENDAR)
    summary = run_calendar(
        db.session, str(path), organisation, actor=None, locator=locator, today=TODAY
    )
    assert summary.counts() == {"created": 4, "updated": 0, "unchanged": 0, "rejected": 0}
    walk = db.session.scalar(select(Listing).where(Listing.name == "Wellbeing Walk"))
    assert walk.organisation_id == organisation.id
    assert walk.kind == "group"
    assert walk.domain_codes == ["involvement"]
    assert walk.tags == ["Walking"]
    assert [loc.postcode for loc in walk.locations] == ["PL4 8AA"]
    cafe = db.session.scalar(select(Listing).where(Listing.name == "Memory Cafe"))
    assert (cafe.attendance, cafe.locations) == ("online", [])
    again = run_calendar(
        db.session, str(path), organisation, actor=None, locator=locator, today=TODAY
    )
    assert again.counts() == {"created": 0, "updated": 0, "unchanged": 4, "rejected": 0}


def test_a_failing_feed_is_recorded_and_emailed_to_editors_and_moderators(
    db, make_organisation, make_user, locator, mail, http_server
):
    base, routes, asked = http_server
    organisation = make_organisation(name="Park Friends")
    editor = make_user(editor_of=organisation)
    moderator = make_user(role="moderator")
    bystander = make_user()
    db.session.commit()
    with pytest.raises(CalendarError, match="answered 404"):
        run_calendar(db.session, base + "/gone.ics", organisation, actor=None, locator=locator)
    source = db.session.scalar(select(ImportSource).where(ImportSource.kind == "ical"))
    assert "404" in source.last_error
    recipients = sorted(message["To"] for message in mail)
    assert recipients == sorted([editor.email, moderator.email])
    assert bystander.email not in recipients
    assert "Calendar import failed: Park Friends" in mail[0]["Subject"]


def test_a_file_that_is_not_a_calendar_fails_through_the_cli(
    db, runner, make_organisation, tmp_path
):
    organisation = make_organisation()
    db.session.commit()
    path = tmp_path / "junk.ics"
    path.write_text("hello")
    result = runner.invoke(
        args=["import", "calendar", str(path), "--organisation", organisation.id]
    )
    assert result.exit_code == 1
    assert "not an iCalendar file" in result.output
    assert "moderators were told" in result.output
    source = db.session.scalar(select(ImportSource).where(ImportSource.kind == "ical"))
    assert source.last_error


def test_the_cli_imports_a_calendar_with_a_dry_run_first(db, runner, make_organisation, tmp_path):
    organisation = make_organisation()
    db.session.commit()
    path = tmp_path / "events.ics"
    path.write_bytes(CALENDAR)
    args = ["import", "calendar", str(path), "--organisation", organisation.id]
    dry = runner.invoke(args=[*args, "--dry-run"])
    assert "Dry run, nothing written" in dry.output, dry.output
    assert db.session.scalar(select(Listing).where(Listing.name == "Wellbeing Walk")) is None
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "Wellbeing Walk" in db.session.scalars(select(Listing.name)).all()
