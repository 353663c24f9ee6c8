"""Importing an organisation's calendar (iCalendar / ICS, a file or a feed URL).

Events with the same title are one listing. A repeating event whose rule the directory
can hold (weekly or monthly, with days, an interval and an end date) becomes one of the
listing's schedules; any other event — a one-off, or a rule we can't hold — becomes
dated occurrences (a schedule valid on that one day) for the coming months, expanded
with recurring-ical-events. Categories that name one of our kinds or terms are used as
such; the rest are kept as tags. A postcode in an event's location places it.

A feed that can't be fetched or read is recorded on the source (``last_error``) and
reported by email to the organisation's editors and to the moderators; it is never
skipped silently.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.email import send_email
from directory.geo import GeocodingError
from directory.lifecycle.services import TERM_VOCABULARIES
from directory.listings.cleaning import clean_listing_data
from directory.listings.suggestions import apply_suggestions
from directory.models import ImportSource, Membership, Organisation, User, utcnow
from directory.rules.listing_input import flatten, load_leniently
from directory.schedules import validate_schedule
from directory.vocabularies import vocabulary
from importers.runner import (
    ImportSummary,
    Locator,
    Progress,
    RowProblem,
    RowRejected,
    complete_run,
    feed_schema,
    find_or_create_source,
    run_rows,
    run_with_progress,
    suggest_for_import,
    where,
    write_listing,
)
from importers.spreadsheet import choice

if TYPE_CHECKING:
    from icalendar import Calendar

LOCAL = ZoneInfo("Europe/London")
# How far ahead one-off and irregular events are turned into dated occurrences.
HORIZON_DAYS = 180
TIMEOUT = 30
POSTCODE_RE = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})\b", re.IGNORECASE)
ONLINE_RE = re.compile(r"\b(online|zoom|teams|virtual)\b|https?://", re.IGNORECASE)
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Rule parts a schedule can hold; a rule with any other part becomes dated occurrences.
RULE_PARTS = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "UNTIL", "WKST"}
# Rules that repeat more than daily describe no group a person can go to, and expand to
# hundreds of thousands of occurrences: left out with a note (hostile or broken input).
SUB_DAILY = {"SECONDLY", "MINUTELY", "HOURLY"}
# Dated occurrences read from one calendar at most: bounds time and memory whatever the
# rules say (a weekly group for the horizon is 26).
MAX_OCCURRENCES = 5_000
MAX_EVENTS = 20_000


class CalendarError(RuntimeError):
    """A calendar file or feed that can't be fetched or read."""


@dataclass
class Series:
    """The events with one title: one listing."""

    key: str
    name: str
    description: str = ""
    url: str | None = None
    location_text: str = ""
    categories: list[str] = field(default_factory=list)
    schedules: list[dict[str, Any]] = field(default_factory=list)


# -- reading -----------------------------------------------------------------------------


def fetch_calendar(location: str) -> bytes:
    """The bytes of a calendar file or feed URL; raises :class:`CalendarError`."""
    if location.lower().startswith(("http://", "https://")):
        request = urllib.request.Request(
            location, headers={"User-Agent": "civic-directory-importer"}
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
                return response.read()
        except urllib.error.HTTPError as error:
            error.close()
            raise CalendarError(f"{location} answered {error.code} {error.reason}.") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise CalendarError(f"Couldn't reach {location}: {reason}.") from None
    try:
        return Path(location).read_bytes()
    except OSError as error:
        raise CalendarError(f"Couldn't read {location}: {error.strerror or error}.") from None


def parse_calendar(content: bytes) -> Calendar:
    """An icalendar Calendar; raises :class:`CalendarError` for anything that isn't one."""
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(content)
    except Exception as error:  # icalendar raises ValueError and friends for junk
        raise CalendarError(f"This is not an iCalendar file: {error}.") from None
    if calendar.name != "VCALENDAR":
        raise CalendarError("This is not an iCalendar file: it has no VCALENDAR.")
    return calendar


def _local(value: Any) -> dt.datetime | dt.date:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            return value.astimezone(LOCAL).replace(tzinfo=None)
        return value
    return value


def _times(event) -> tuple[dt.date, str | None, str | None]:
    """The start date and (for a timed event) the local opening and closing times."""
    start = _local(event.decoded("DTSTART"))
    end = _local(event.decoded("DTEND")) if event.get("DTEND") is not None else None
    if not isinstance(start, dt.datetime):
        return start, None, None
    closes = None
    if isinstance(end, dt.datetime) and end.date() == start.date() and end > start:
        closes = end.time().replace(microsecond=0).isoformat()
    return start.date(), start.time().replace(microsecond=0).isoformat(), closes


def rule_schedule(event) -> dict[str, Any] | None:
    """A repeating event as a schedule, or None when its rule is one we can't hold."""
    rule = event.get("RRULE")
    if rule is None or event.get("RECURRENCE-ID") is not None:
        return None
    parts = {key.upper(): value for key, value in dict(rule).items()}
    if set(parts) - RULE_PARTS:
        return None
    freq = str(parts["FREQ"][0]).upper() if parts.get("FREQ") else None
    if freq not in ("WEEKLY", "MONTHLY"):
        return None
    start_date, opens, closes = _times(event)
    interval = int(parts["INTERVAL"][0]) if parts.get("INTERVAL") else 1
    byday = ",".join(str(day).upper() for day in parts.get("BYDAY", [])) or None
    bymonthday = ",".join(str(day) for day in parts.get("BYMONTHDAY", [])) or None
    if freq == "WEEKLY" and not byday:
        byday = DAY_CODES[start_date.weekday()]
    if freq == "MONTHLY" and not byday and not bymonthday:
        bymonthday = str(start_date.day)
    until = parts.get("UNTIL", [None])[0]
    valid_to = _local(until) if until is not None else None
    if isinstance(valid_to, dt.datetime):
        valid_to = valid_to.date()
    schedule = {
        "freq": freq,
        "interval": interval,
        "byday": byday,
        "bymonthday": bymonthday,
        "dtstart": start_date.isoformat(),
        "opens_at": opens,
        "closes_at": closes,
        "valid_from": start_date.isoformat(),
        "valid_to": valid_to.isoformat() if valid_to else None,
        "description": None,
    }
    problems = validate_schedule(
        freq,
        interval,
        byday,
        dt.time.fromisoformat(opens) if opens else None,
        dt.time.fromisoformat(closes) if closes else None,
        start_date,
        valid_to,
        bymonthday,
    )
    return None if problems else schedule


def occurrence_schedule(event) -> dict[str, Any]:
    """One dated occurrence: a weekly schedule on its weekday, valid on that day only."""
    day, opens, closes = _times(event)
    return {
        "freq": "WEEKLY",
        "interval": 1,
        "byday": DAY_CODES[day.weekday()],
        "bymonthday": None,
        "dtstart": day.isoformat(),
        "opens_at": opens,
        "closes_at": closes,
        "valid_from": day.isoformat(),
        "valid_to": day.isoformat(),
        "description": None,
    }


def _text(event, name: str) -> str:
    value = event.get(name)
    return str(value).strip() if value is not None else ""


def _categories(event) -> list[str]:
    found = []
    values = event.get("CATEGORIES")
    for value in values if isinstance(values, list) else [values] if values is not None else []:
        found += [str(c).strip() for c in getattr(value, "cats", [value]) if str(c).strip()]
    return found


def _frequency(event) -> str | None:
    rule = event.get("RRULE")
    if rule is None:
        return None
    try:
        freq = dict(rule).get("FREQ") or []
        return str(freq[0]).upper() if freq else None
    except (TypeError, ValueError, AttributeError):
        return "?"


def _usable(event, warnings: list[str]) -> bool:
    """Whether an event can be read at all: its dates parse and its rule works.

    A sub-daily or broken rule can't be read. Otherwise a note says why it was left out.
    """
    name = _text(event, "SUMMARY")[:80] or "(no title)"
    try:
        _times(event)
    except (KeyError, ValueError, TypeError, AttributeError, OverflowError):
        warnings.append(f"event {name!r}: its start or end date can't be read; left out.")
        return False
    freq = _frequency(event)
    if freq == "?":
        warnings.append(f"event {name!r}: its repeat rule can't be read; left out.")
        return False
    if freq in SUB_DAILY:
        warnings.append(
            f"event {name!r}: it repeats {freq.lower()}, which is not a listing's schedule; "
            "left out."
        )
        return False
    return True


def calendar_series(
    calendar,
    today: dt.date,
    horizon_days: int = HORIZON_DAYS,
    warnings: list[str] | None = None,
) -> list[Series]:
    """The calendar's events as one :class:`Series` per title, schedules in order.

    Hostile input is bounded: unreadable events and sub-daily rules are left out with a
    note in ``warnings``; at most :data:`MAX_EVENTS` events are read and
    :data:`MAX_OCCURRENCES` dated occurrences expanded (a rule that never ends stops at
    the horizon). A calendar whose rules still can't be expanded raises
    :class:`CalendarError`.
    """
    from icalendar import Calendar

    warnings = warnings if warnings is not None else []
    events = _usable_events(calendar, warnings)
    usable = Calendar()
    for event in events:
        usable.add_component(event)
    series: dict[str, Series] = {}
    as_rules = _add_rule_schedules(events, series, warnings)
    _add_occurrences(usable, series, as_rules, today, horizon_days, warnings)
    for found in series.values():
        # Dicts aren't hashable: dedupe on their items, linear rather than quadratic.
        unique = list({tuple(sorted(s.items())): s for s in found.schedules}.values())
        found.schedules = sorted(unique, key=lambda s: (s["valid_from"] or "", s["opens_at"] or ""))
    return [s for s in series.values() if s.schedules]


def _usable_events(calendar: Any, warnings: list[str]) -> list[Any]:
    """The calendar's readable events, at most :data:`MAX_EVENTS` (more is an error)."""
    events = []
    for event in calendar.walk("VEVENT"):
        if len(events) >= MAX_EVENTS:
            raise CalendarError(f"This calendar has more than {MAX_EVENTS:,} events; split it up.")
        if _usable(event, warnings):
            events.append(event)
    return events


def _series_for(series: dict[str, Series], event: Any) -> Series | None:
    """The series of ``event``'s title (made on first sight), filled in from the event.

    None for an event without a title.
    """
    name = _text(event, "SUMMARY")
    if not name:
        return None
    key = " ".join(name.lower().split())
    if key not in series:
        series[key] = Series(key=key, name=name[:200])
    found = series[key]
    found.description = found.description or _text(event, "DESCRIPTION")
    found.url = found.url or (_text(event, "URL") or None)
    found.location_text = found.location_text or _text(event, "LOCATION")
    for category in _categories(event):
        if category not in found.categories:
            found.categories.append(category)
    return found


def _add_rule_schedules(
    events: list[Any], series: dict[str, Series], warnings: list[str]
) -> set[str]:
    """Add each repeating event's rule to its series; returns the UIDs added as rules."""
    as_rules: set[str] = set()
    for event in events:
        try:
            schedule = rule_schedule(event)
        except (KeyError, ValueError, TypeError, AttributeError, OverflowError):
            warnings.append(f"event {_text(event, 'SUMMARY')[:80]!r}: its rule can't be read.")
            schedule = None
        target = _series_for(series, event)
        if schedule is not None and target is not None:
            target.schedules.append(schedule)
            as_rules.add(_text(event, "UID"))
    return as_rules


def _add_occurrences(
    usable: Any,
    series: dict[str, Series],
    as_rules: set[str],
    today: dt.date,
    horizon_days: int,
    warnings: list[str],
) -> None:
    """Add the dated occurrences within the horizon not already added as rules.

    At most :data:`MAX_OCCURRENCES`; a calendar whose rules can't be expanded raises
    :class:`CalendarError`.
    """
    import recurring_ical_events

    window_end = dt.datetime.combine(today + dt.timedelta(days=horizon_days), dt.time())
    # Lazily, in time order, so a rule that never ends costs only what is read.
    try:
        occurrences = recurring_ical_events.of(usable).after(today)
        taken = 0
        for event in occurrences:
            start = _local(event.decoded("DTSTART"))
            start = (
                start if isinstance(start, dt.datetime) else dt.datetime.combine(start, dt.time())
            )
            if start >= window_end:
                break
            if _text(event, "UID") in as_rules and _text(event, "UID"):
                continue
            taken += 1
            if taken > MAX_OCCURRENCES:
                warnings.append(
                    f"More than {MAX_OCCURRENCES:,} dated events in the next {horizon_days} "
                    "days; only the first were read."
                )
                break
            target = _series_for(series, event)
            if target is not None:
                target.schedules.append(occurrence_schedule(event))
    except CalendarError:
        raise
    except Exception as error:  # the recurrence library raises many kinds for bad rules
        raise CalendarError(
            f"The calendar's repeating events can't be read ({type(error).__name__})."
        ) from None


# -- writing -----------------------------------------------------------------------------


def series_snapshot(
    series: Series, locator: Locator, warnings: list[str]
) -> tuple[dict, list[str]]:
    """A series as a listing snapshot, and the categories kept as tags."""
    columns, terms, tags = _read_categories(series.categories)
    locations = _series_locations(series, locator, warnings)
    online = bool(ONLINE_RE.search(series.location_text))
    attendance = (
        ("both" if online else "in_person") if locations else ("online" if online else "in_person")
    )
    from importers.openreferral import summarise

    data = {
        "kind": columns.get("kind", "activity"),
        "name": series.name,
        "summary": summarise(series.description) if series.description else "",
        "description": series.description,
        "status": "active",
        "phone": None,
        "email": None,
        "url": series.url,
        "how_to_join": columns.get("how_to_join", "drop_in"),
        "cost": columns.get("cost", "free"),
        "cost_description": None,
        "min_age": None,
        "max_age": None,
        "languages": [],
        "delivered_by": columns.get("delivered_by"),
        "format": "ongoing",
        "course_weeks": None,
        "first_visit_support": False,
        "group_size": None,
        "mental_health_focus": None,
        "welcome_statement": None,
        "attendance": attendance,
        "terms": terms,
        "locations": locations,
        "schedules": series.schedules,
    }
    # Markup made safe and web addresses usable (issue 18).
    data, notes = clean_listing_data(data)
    warnings += notes
    # The listing rules every way in shares: a value that breaks one is left out (or cut
    # short) with a warning; one that can't be left out rejects the series.
    try:
        data, problems = load_leniently(feed_schema(), data)
    except ValidationError as error:
        raise RowRejected(
            [
                RowProblem(f"event {series.name!r}", where(path), message)
                for path, message in flatten(error.messages)  # type: ignore[arg-type]
            ]
        ) from None
    warnings += [f"{name}: {message}" for name, message in problems]
    return data, tags


def _read_categories(
    categories: list[str],
) -> tuple[dict[str, str], dict[str, list[str]], list[str]]:
    """The event categories as listing columns, vocabulary terms, and tags for the rest.

    A category naming a kind, cost, way to join or provider sets that column (the first
    one wins); one naming a term adds it; anything else is kept as a tag.
    """
    columns: dict[str, str] = {}
    terms: dict[str, list[str]] = {code: [] for code in TERM_VOCABULARIES}
    tags = []
    for category in categories:
        for code in ("kind", "cost", "how_to_join", "delivered_by", *TERM_VOCABULARIES):
            if (found := choice(code, category)) is not None:
                if code in TERM_VOCABULARIES:
                    terms[code].append(found)
                else:
                    columns.setdefault(code, found)
                break
        else:
            tags.append(category)
    for code, chosen in terms.items():
        order = vocabulary(code).codes
        terms[code] = sorted(set(chosen), key=order.index)
    return columns, terms, tags


def _series_locations(series: Series, locator: Locator, warnings: list[str]) -> list[dict]:
    """The place in the series' LOCATION text, when it has a postcode the locator knows.

    A location without a postcode (and not online) is noted in ``warnings``.
    """
    locations = []
    if match := POSTCODE_RE.search(series.location_text):
        postcode = f"{match[1]} {match[2]}".upper()
        try:
            matched, latitude, longitude = locator.place(postcode)
        except GeocodingError as error:
            warnings.append(f"location: {error}")
        else:
            before = series.location_text[: match.start()].strip(" ,")
            first, _, rest = before.partition(",")
            locations.append(
                {
                    "name": None,
                    "address_1": first.strip()[:200],
                    "address_2": None,
                    "city": rest.strip(" ,").split(",")[-1].strip()[:100],
                    "postcode": matched,
                    "latitude": latitude,
                    "longitude": longitude,
                }
            )
    elif series.location_text and not ONLINE_RE.search(series.location_text):
        warnings.append(f"location {series.location_text!r} has no postcode; not on the map.")
    return locations


def report_feed_failure(
    session: Session, source: ImportSource, organisation: Organisation, problem: str
) -> list[str]:
    """Record a failed calendar on its source and tell its people; returns who was told.

    The organisation's editors and the moderators are emailed.
    """
    source.last_error = problem
    source.last_run_at = utcnow()
    editors = session.scalars(
        select(User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organisation_id == organisation.id,
            Membership.role == "editor",
            Membership.status == "approved",
            User.status == "approved",
        )
    ).all()
    moderators = session.scalars(
        select(User.email).where(User.role.in_(("moderator", "admin")), User.status == "approved")
    ).all()
    recipients = list(dict.fromkeys([*editors, *moderators]))
    subject = f"Calendar import failed: {organisation.name}"
    body = (
        f"The calendar for {organisation.name} could not be imported.\n\n"
        f"Calendar: {source.url or source.name}\n"
        f"Problem: {problem}\n\n"
        "Its listings stay as they were. Please check the calendar's address or file, "
        "or tell a moderator if it has moved.\n"
    )
    for recipient in recipients:
        send_email(session, recipient, subject, body)
    session.flush()
    return recipients


def import_calendar(
    session: Session,
    series: list[Series],
    source: ImportSource,
    organisation: Organisation,
    *,
    actor: User | None,
    locator: Locator,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Write each series as a listing of ``organisation``, matched on its title."""
    summary = ImportSummary(source=source.name, dry_run=dry_run, source_id=source.id)

    def write(key: str, one: Series) -> str:
        warnings: list[str] = []
        data, tags = series_snapshot(one, locator, warnings)
        summary.warnings.extend(RowProblem(f"event {one.name!r}", "", w) for w in warnings)
        suggestion = suggest_for_import(session, source, one.key[:200], data, tags)
        outcome, listing = write_listing(
            session, actor, source, organisation, one.key[:200], data, tags=tags
        )
        if suggestion is not None and outcome != "pending":
            apply_suggestions(session, listing, suggestion)
        summary.listing_ids.append(listing.id)
        return outcome

    return run_rows(
        session, summary, ((s.key, s) for s in series), write, dry_run=dry_run, progress=progress
    )


def run_calendar(
    session: Session,
    location: str,
    organisation: Organisation,
    *,
    actor: User | None,
    locator: Locator,
    content: bytes | None = None,
    source_name: str | None = None,
    dry_run: bool = False,
    today: dt.date | None = None,
    progress_factory: Any = None,
) -> ImportSummary:
    """Fetch (unless ``content`` is given), read and import a calendar for an organisation.

    On failure the problem is recorded and reported (:func:`report_feed_failure`) and
    committed even on a dry run, then :class:`CalendarError` is raised.
    """
    is_url = location.lower().startswith(("http://", "https://"))
    name = source_name or f"ical:{location if is_url else Path(location).name}"
    source = find_or_create_source(
        session, name, "ical", url=location if is_url else None, organisation=organisation
    )
    if not dry_run:
        session.commit()
    try:
        calendar = parse_calendar(content if content is not None else fetch_calendar(location))
        read_warnings: list[str] = []
        series = calendar_series(calendar, today or utcnow().date(), warnings=read_warnings)
    except CalendarError as error:
        report_feed_failure(session, source, organisation, str(error))
        session.commit()
        raise
    summary = run_with_progress(
        len(series),
        progress_factory,
        partial(
            import_calendar,
            session,
            series,
            source,
            organisation,
            actor=actor,
            locator=locator,
            dry_run=dry_run,
        ),
    )
    summary.warnings[:0] = [RowProblem("calendar", "", text) for text in read_warnings]
    return complete_run(session, source, summary, dry_run=dry_run)
