"""Jinja filters and globals that put data into the product's words."""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app
from markupsafe import Markup

from directory import vocabularies
from directory.models import utcnow
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
    intervals = intervals_for(listing.kind, current_app.config.get("FRESHNESS_INTERVALS"))
    return is_stale(listing.last_verified_at, utcnow(), intervals)
