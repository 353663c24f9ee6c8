"""Freshness: how long since an organisation last checked a listing, and what follows.

One intervals type, :class:`Intervals`, built from the ``FRESHNESS_INTERVALS`` setting
by :func:`intervals_for`, says after how many days without a check a listing of a kind
is reminded about, reminded again, escalated to moderators ("out of date") and hidden
from default search. The reminder job, the moderators' dashboard, the "out of date"
label and every search engine read their days from it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields

# The steps of the reminder ladder, in order.
STEPS = ("remind", "remind_again", "escalate", "hide")


@dataclass(frozen=True)
class Intervals:
    """Days without a check at which each step of the freshness policy is reached.

    ``remind`` and ``remind_again``: e-mail the organisation's editors; ``escalate``: tell
    the moderators, and label the listing out of date once past it; ``hide``: leave it out
    of default search.
    """

    remind: int = 90
    remind_again: int = 120
    escalate: int = 180
    hide: int = 365

    def __getitem__(self, step: str) -> int:
        """The days of one step by name (``intervals["hide"]``)."""
        if step not in STEPS:
            raise KeyError(step)
        return getattr(self, step)

    def as_dict(self) -> dict[str, int]:
        """The steps and their days."""
        return asdict(self)


DEFAULT_INTERVALS = Intervals()

# The freshness signal of ranking: full for as long as a listing needs no reminder, then
# halving every HALF_LIFE_DAYS. A listing nobody has checked scores NEVER_CHECKED:
# possibly fine, but we can't vouch for it.
FULLY_FRESH_DAYS = DEFAULT_INTERVALS.remind
HALF_LIFE_DAYS = 180
NEVER_CHECKED = 0.2

# Evidence of life from practitioners pushes back the staleness clock of search, within
# limits: a practitioner's "still running" confirmation counts as a check on its day, but
# carries the clock at most CONFIRMATION_LIMIT_DAYS past the organisation's own last
# check; someone who went a few times after it was shortlisted counts from the day it
# was shortlisted, at most WENT_LIMIT_DAYS past it; someone "still going" at the
# follow-up (directory.rules.uptake: weeks of attendance, the strongest evidence that it
# runs as described) counts from the day that was recorded, at most
# STILL_GOING_LIMIT_DAYS past it. So evidence keeps a listing found for up to that long,
# but the organisation must still check it itself in the end.
CONFIRMATION_LIMIT_DAYS = 180
WENT_LIMIT_DAYS = 90
STILL_GOING_LIMIT_DAYS = 270


def intervals_for(kind: str, configured: Mapping[str, Mapping[str, int]] | None) -> Intervals:
    """The intervals for a kind of listing.

    The defaults, then the configured ``"default"`` entry, then the kind's own entry of
    ``FRESHNESS_INTERVALS``.

    Raises ValueError for a step name that isn't one of :data:`STEPS`.
    """
    configured = configured or {}
    merged = {**configured.get("default", {}), **configured.get(kind, {})}
    unknown = set(merged) - {f.name for f in fields(Intervals)}
    if unknown:
        raise ValueError(
            f"FRESHNESS_INTERVALS: unknown step {', '.join(sorted(unknown))}; "
            f"use {', '.join(STEPS)}"
        )
    return Intervals(**{**DEFAULT_INTERVALS.as_dict(), **merged})


def hide_after_days(
    kinds: Iterable[str], configured: Mapping[str, Mapping[str, int]] | None
) -> dict[str, int]:
    """For each kind, the days without a check after which it leaves default search."""
    return {kind: intervals_for(kind, configured).hide for kind in kinds}


def age_days(last_verified_at: dt.datetime, now: dt.datetime) -> int:
    """Whole days since the last check."""
    return (now - last_verified_at).days


def freshness_stage(
    last_verified_at: dt.datetime | None, now: dt.datetime, intervals: Intervals
) -> str | None:
    """Which step of the reminder ladder a listing has reached.

    Returns None while it is fresh, else "remind", "remind_again", "escalate" or
    "hide" — the furthest step whose number of days has passed since the last check.
    A listing never checked counts from when it was listed (pass its created_at); None
    means "hide".
    """
    if last_verified_at is None:
        return "hide"
    age = age_days(last_verified_at, now)
    reached = None
    for step in STEPS:
        if age >= intervals[step]:
            reached = step
    return reached


def is_stale(last_verified_at: dt.datetime | None, now: dt.datetime, intervals: Intervals) -> bool:
    """True when a listing carries the "out of date" label.

    Never checked, or not checked for more than ``intervals.escalate`` days (when
    moderators are told).
    """
    if last_verified_at is None:
        return True
    return age_days(last_verified_at, now) > intervals.escalate


def hidden_before(now: dt.datetime, hide_after: int) -> dt.datetime:
    """The moment at or before which last-checked listings are hidden from default search.

    For a kind hidden after ``hide_after`` days; the SQL index filters on it.
    """
    return now - dt.timedelta(days=hide_after)


def is_hidden(last_verified_at: dt.datetime | None, now: dt.datetime, hide_after: int) -> bool:
    """True when default search leaves a listing out.

    Never checked, or checked ``hide_after`` days ago or longer (the "hide" step of
    :func:`freshness_stage`).
    """
    return last_verified_at is None or last_verified_at <= hidden_before(now, hide_after)


def freshness_score(last_verified_at: dt.datetime | None, now: dt.datetime) -> float:
    """How much to trust that a listing is still as described, from 0 to 1.

    Ranking's freshness signal: 1.0 up to :data:`FULLY_FRESH_DAYS` after the last check,
    then halving every :data:`HALF_LIFE_DAYS`. Never-checked listings score
    :data:`NEVER_CHECKED`.
    """
    if last_verified_at is None:
        return NEVER_CHECKED
    age = max(0.0, (now - last_verified_at).total_seconds() / 86400)
    if age <= FULLY_FRESH_DAYS:
        return 1.0
    return 0.5 ** ((age - FULLY_FRESH_DAYS) / HALF_LIFE_DAYS)


def evidence_checked_at(
    checked_at: dt.datetime | None,
    confirmed_at: dt.datetime | None = None,
    went_at: dt.datetime | None = None,
    still_going_at: dt.datetime | None = None,
) -> dt.datetime | None:
    """The moment search's staleness clock counts from, with practitioners' evidence.

    ``checked_at`` is the organisation's (or a moderator's) last check; ``confirmed_at``
    the latest practitioner "still running" confirmation; ``went_at`` the latest day a
    listing was shortlisted for someone who then went (still going, or a few times);
    ``still_going_at`` the latest day a practitioner recorded someone still going. Each
    piece of evidence moves the clock to its own day, but never more than
    :data:`CONFIRMATION_LIMIT_DAYS` / :data:`WENT_LIMIT_DAYS` /
    :data:`STILL_GOING_LIMIT_DAYS` (the most: the strongest evidence) past the
    organisation's check, and never back. A listing its organisation never checked stays
    never checked (None): evidence extends a check, it doesn't replace one.
    """
    if checked_at is None:
        return None
    clock = checked_at
    for evidence, limit in (
        (confirmed_at, CONFIRMATION_LIMIT_DAYS),
        (went_at, WENT_LIMIT_DAYS),
        (still_going_at, STILL_GOING_LIMIT_DAYS),
    ):
        if evidence is not None:
            clock = max(clock, min(evidence, checked_at + dt.timedelta(days=limit)))
    return clock
