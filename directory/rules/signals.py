"""The research's matching signals of a listing, worked out from what it states.

Stigma-lowering signals (mental-health specific or mainstream and welcoming), dose and
regularity (weekly or more often; ongoing or a course, and a course long enough for
Closeness), languages, and the "suits" tags practitioners agree on. Search indexes
these (``search.documents``), filters and counts them; ranking
(:mod:`directory.rules.ranking`) and the plan builder read the same values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable

# A course at least this many weeks long counts as a lasting dose (the research ties
# courses longer than two months to Closeness).
LONG_COURSE_WEEKS = 8
# An ongoing group that has been running more than this many days is established.
ESTABLISHED_DAYS = 61  # two months
# A "suits" tag is searchable only once at least this many practitioners chose it: one
# practitioner's view is an opinion, two agreeing is a signal.
SUITS_MIN_AGREEING = 2

# The values of the search filters that are not vocabulary codes.
FORMAT_ONGOING = "ongoing"
FORMAT_COURSE = "course"
FORMAT_LONG_COURSE = "course_8_weeks"
FORMAT_VALUES = (FORMAT_ONGOING, FORMAT_COURSE, FORMAT_LONG_COURSE)
REGULARITY_WEEKLY = "weekly"

_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)


def format_values(format_: str | None, course_weeks: int | None) -> tuple[str, ...]:
    """The format filter values a listing carries.

    "ongoing", or "course" and — for a course of at least :data:`LONG_COURSE_WEEKS`
    weeks — also "course_8_weeks". A course of unknown length is just a course.
    """
    if format_ == FORMAT_COURSE:
        if course_weeks is not None and course_weeks >= LONG_COURSE_WEEKS:
            return (FORMAT_COURSE, FORMAT_LONG_COURSE)
        return (FORMAT_COURSE,)
    return (FORMAT_ONGOING,)


def meets_weekly(schedules: Iterable) -> bool:
    """True when some session runs every week or more often.

    Weekly with an interval of 1 (or none given); fortnightly and monthly don't count.
    """
    return any(
        (getattr(s, "freq", None) or "WEEKLY").upper() in ("WEEKLY", "DAILY")
        and (getattr(s, "interval", None) or 1) <= 1
        for s in schedules
    )


def language_code(name: str) -> str:
    """A language name as a search value: lower case, words joined by "_".

    "British Sign Language" → "british_sign_language"; blank → "".
    """
    return _NOT_WORD.sub("_", name.strip().lower()).strip("_")


def language_codes(names: Iterable[str] | None) -> tuple[str, ...]:
    """Each named language as a search value, once, in the order given."""
    return tuple(dict.fromkeys(c for c in (language_code(n) for n in names or ()) if c))


def language_label(code: str) -> str:
    """A search value back in words, for a filter's label.

    "british_sign_language" → "British Sign Language".
    """
    return " ".join(word.capitalize() for word in code.split("_"))


def agreed_suits(
    tag_lists: Iterable[Iterable[str]], minimum: int = SUITS_MIN_AGREEING
) -> tuple[str, ...]:
    """The "suits" tags at least ``minimum`` practitioners chose, sorted.

    Each practitioner's rating counts once per tag (a repeat in one rating is one vote).
    """
    votes: Counter[str] = Counter()
    for tags in tag_lists:
        votes.update(set(tags or ()))
    return tuple(sorted(tag for tag, n in votes.items() if n >= minimum))


def started_on(
    schedule_starts: Iterable[dt.date | None], listed_at: dt.datetime | None
) -> dt.datetime | None:
    """When a listing started running, as best we know.

    The earliest start date of its sessions (``valid_from`` or ``dtstart``), else when it
    was listed.
    """
    dates = [d for d in schedule_starts if d is not None]
    if dates:
        return dt.datetime.combine(min(dates), dt.time())
    return listed_at


def ends_on(format_: str | None, schedule_ends: Iterable[dt.date | None]) -> dt.date | None:
    """The last day a course runs: the latest end date of its sessions.

    None for an ongoing listing, and for a course with a session of no end date (it
    can't be said to have ended).
    """
    if format_ != FORMAT_COURSE:
        return None
    ends = list(schedule_ends)
    if not ends or any(end is None for end in ends):
        return None
    return max(ends)
