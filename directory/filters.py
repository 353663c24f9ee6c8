"""Jinja filters and globals that put data into the product's words."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from flask import Flask, current_app
from markupsafe import Markup

from directory import vocabularies
from directory.links import add_to_shortlist_url, listing_url
from directory.models import utcnow
from directory.request_cache import request_cache
from directory.rules.freshness import intervals_for, is_stale


def long_date(value: dt.date | dt.datetime | None) -> str:
    """'3 March 2026': the date style of GOV.UK and NHS.UK (no leading zero)."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def safe_html(value: str | None) -> Markup:
    """A description shown formatted, sanitised again to the safe subset.

    The safe subset is paragraphs, lists, links and emphasis, whatever is stored, so it
    can be marked safe; plain typed text becomes paragraphs. Everything else on a page is
    escaped as usual.
    """
    from directory.rules.text import clean_html

    return Markup(clean_html(value or ""))  # noqa: S704  (nh3 has sanitised it)


def register(app: Flask) -> None:
    """Make vocabulary labels, dates and schedule words available to every template."""
    from directory import schedules

    app.add_template_filter(long_date, "long_date")
    app.add_template_filter(safe_html, "safe_html")
    app.add_template_filter(vocabularies.label, "label")
    app.add_template_filter(schedules.describe, "schedule_words")

    app.add_template_global(schedules.describe_validity, "describe_validity")
    app.add_template_global(next_dates, "next_dates")
    app.add_template_global(age_range, "age_range")
    app.add_template_global(listing_is_stale, "listing_is_stale")
    app.add_template_global(usefulness, "usefulness")
    app.add_template_global(next_session, "next_session")
    app.add_template_global(listing_url, "listing_url")
    app.add_template_global(add_to_shortlist_url, "add_to_shortlist_url")
    # One definition each, shared with the hand-out.
    from directory.listings.contact import contact_details
    from directory.plans.services import cost_words

    app.add_template_global(contact_details, "contact_details")
    app.add_template_global(cost_words, "cost_words")
    app.add_template_global(
        list(zip(schedules.DAY_CODES, schedules.DAY_NAMES, strict=True)), "day_options"
    )

    @app.context_processor
    def inject_vocabularies() -> dict:
        return {"vocab": vocabularies.vocabulary, "today": dt.date.today()}


def next_dates(listing, count: int = 3, now: dt.datetime | None = None) -> list[dt.datetime]:
    """The next ``count`` sessions across all of a listing's schedules."""
    from directory import schedules

    now = now or dt.datetime.now()
    upcoming = [
        when
        for schedule in listing.schedules
        for when in schedules.next_occurrences(schedule, now, count)
    ]
    return sorted(upcoming)[:count]


def age_range(listing) -> str:
    """An age range in words: "18 and over", "18 to 25", "Up to 25" or "" for no limit."""
    if listing.min_age and listing.max_age:
        return f"{listing.min_age} to {listing.max_age}"
    if listing.min_age:
        return f"{listing.min_age} and over"
    if listing.max_age:
        return f"Up to {listing.max_age}"
    return ""


def listing_is_stale(listing) -> bool:
    """Whether a listing carries the "not checked" label.

    The freshness policy, with the intervals ``FRESHNESS_INTERVALS`` sets for its kind.
    """
    # Worked out once per kind per request: a page of results asks for every card.
    known = request_cache("freshness_intervals")
    if listing.kind not in known:
        known[listing.kind] = intervals_for(
            listing.kind, current_app.config.get("FRESHNESS_INTERVALS")
        )
    return is_stale(listing.last_verified_at, utcnow(), known[listing.kind])


def usefulness(listing) -> str | None:
    """Practitioners' usefulness rating in a few words: "4.2 from 9 practitioners".

    The plain mean to one decimal place, as the listing page says it; None when nobody
    has rated it. Reads a search row's ``rating_count`` and ``rating_sum`` (read in its
    own statement) or an ORM listing's stored score (loaded with the card).
    """
    count = getattr(listing, "rating_count", None)
    total = getattr(listing, "rating_sum", None)
    if count is None:
        score = listing.score
        count, total = (score.rating_count, score.rating_sum) if score is not None else (0, 0)
    if not count:
        return None
    return f"{total / count:.1f} from {count} practitioner{'' if count == 1 else 's'}"


def next_session(listing, now: dt.datetime | None = None) -> str | None:
    """When a listing next meets, in words: "Tuesday 8 December at 10:00"; None if unknown.

    A schedule the dates of which can't be worked out (bad imported data) is left out
    rather than break a page of results.
    """
    from directory import schedules

    now = now or dt.datetime.now()
    upcoming = []
    for schedule in listing.schedules:
        try:
            start = schedules.next_start(schedule, now)
        except schedules.ScheduleError:
            continue
        if start is not None:
            upcoming.append(start)
    if not upcoming:
        return None
    return _session_words(min(upcoming), now.year)


@lru_cache(maxsize=4096)
def _session_words(when: dt.datetime, this_year: int) -> str:
    # Remembered: a page of results says it for every card, and many share a time.
    words = f"{when:%A} {when.day} {when:%B}"
    if when.year != this_year:
        words += f" {when.year}"
    if when.hour or when.minute:
        words += f" at {when:%H:%M}"
    return words
