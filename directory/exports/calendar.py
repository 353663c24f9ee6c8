"""A listing's regular times as an iCalendar file, for "add to calendar".

Each schedule becomes one recurring event: the rule (RRULE) is the schedule's own
frequency, interval, days and end date, starting from its next occurrence, so a
fortnightly group stays on the right fortnight. Times are UK local time (Europe/London),
so an event stays at 10:00 across the clocks changing.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vRecur

from directory import schedules
from directory.models import Listing, Schedule

LONDON = ZoneInfo("Europe/London")
PRODUCT_ID = "-//CIVIC community directory//Listing calendar//EN"


def recurrence_rule(schedule: Schedule) -> vRecur:
    """The schedule as an RFC 5545 RRULE (ORUK's schedule fields are iCalendar's)."""
    rule = vRecur(freq=schedule.freq)
    if schedule.interval and schedule.interval > 1:
        rule["interval"] = schedule.interval
    if schedule.byday:
        rule["byday"] = schedule.byday.split(",")
    if schedule.bymonthday:
        rule["bymonthday"] = [int(day) for day in schedule.bymonthday.split(",")]
    if schedule.valid_to:
        last = dt.datetime.combine(schedule.valid_to, dt.time(23, 59, 59), LONDON)
        rule["until"] = last.astimezone(dt.UTC)
    return rule


def _first_start(schedule: Schedule, now: dt.datetime) -> dt.datetime | None:
    """The next start on or after today (local), or None if the schedule has ended."""
    midnight = dt.datetime.combine(now.date(), dt.time.min)
    found = schedules.next_occurrences(schedule, midnight - dt.timedelta(seconds=1), count=1)
    return found[0] if found else None


def schedule_event(
    listing: Listing, schedule: Schedule, now: dt.datetime, page_url: str
) -> Event | None:
    """One recurring event for a schedule, or None if it has no more occurrences.

    Without an opening time it is an all-day event; a closing time at or before the
    opening time means it ends the next day (such as 19:00 to midnight).
    """
    try:
        start = _first_start(schedule, now)
    except schedules.ScheduleError:
        return None
    if start is None:
        return None
    event = Event()
    event.add("uid", f"{schedule.id}@civic-directory")
    event.add("dtstamp", now.replace(tzinfo=dt.UTC))
    event.add("summary", listing.name)
    if schedule.opens_at is None:
        event.add("dtstart", start.date())
    else:
        event.add("dtstart", start.replace(tzinfo=LONDON))
        if schedule.closes_at is not None:
            end = dt.datetime.combine(start.date(), schedule.closes_at)
            if schedule.closes_at <= schedule.opens_at:
                end += dt.timedelta(days=1)
            event.add("dtend", end.replace(tzinfo=LONDON))
    event.add("rrule", recurrence_rule(schedule))
    place = schedule.location or (listing.locations[0] if listing.locations else None)
    if place is not None:
        event.add("location", place.address)
    elif listing.is_online:
        event.add("location", "Online")
    words = [listing.summary, schedules.describe(schedule)]
    if schedule.description:
        words.append(schedule.description)
    words.append(f"More about it: {page_url}")
    event.add("description", "\n\n".join(w for w in words if w))
    event.add("url", page_url)
    return event


def listing_calendar(listing: Listing, now: dt.datetime, page_url: str) -> bytes | None:
    """The listing's schedules as an .ics file, or None when nothing is coming up.

    ``now`` is naive local time; ``page_url`` is the listing's public page, put in each
    event so the reader can check for changes.
    """
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", listing.name)
    events = [schedule_event(listing, s, now, page_url) for s in listing.schedules]
    events = [event for event in events if event is not None]
    if not events:
        return None
    for event in events:
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
