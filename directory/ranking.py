"""Ranking and freshness: the rules that decide what a practitioner sees first."""

from __future__ import annotations

import datetime as dt
import math

# A listing checked within this many days counts as fully fresh.
FRESH_DAYS = 90
# After this many days without a check a listing is labelled out of date.
STALE_DAYS = 180


def freshness(last_verified_at: dt.datetime | None, now: dt.datetime) -> float:
    """How much to trust that a listing is still as described, from 0 to 1.

    1.0 up to :data:`FRESH_DAYS` after the last check, then halving every 180 days.
    Never-verified listings score 0.2: possibly fine, but we can't vouch for them.
    """
    if last_verified_at is None:
        return 0.2
    age_days = max(0.0, (now - last_verified_at).total_seconds() / 86400)
    if age_days <= FRESH_DAYS:
        return 1.0
    return 0.5 ** ((age_days - FRESH_DAYS) / 180)


def is_stale(last_verified_at: dt.datetime | None, now: dt.datetime) -> bool:
    """True when a listing should carry an "out of date" label."""
    if last_verified_at is None:
        return True
    return (now - last_verified_at).days > STALE_DAYS


def best_match_score(
    *,
    relevance: float | None,
    distance_km: float | None,
    radius_km: float,
    usefulness: float | None,
    freshness_score: float,
) -> float:
    """Combine the signals of "best match" into one score; higher ranks first.

    - ``relevance``: text relevance normalised to 0..1 (1 = best text match in the
      result set); None when no text was typed, so it neither helps nor hurts.
    - ``distance_km``: distance to the nearest location; None for online listings or
      when no location was given. Nearby scores near 1, the edge of the radius 0.25.
    - ``usefulness``: the Bayesian-adjusted practitioner rating on 1..5, or None.
    - ``freshness_score``: from :func:`freshness`.

    Weights: relevance 0.4, distance 0.3, usefulness 0.15, freshness 0.15. Missing
    signals take a neutral value so a listing is never punished for having no ratings.
    """
    text = 0.5 if relevance is None else max(0.0, min(1.0, relevance))
    if distance_km is None:
        near = 0.5
    else:
        # Decays smoothly: a listing at the radius keeps a quarter of the credit.
        near = math.exp(-math.log(4) * distance_km / max(radius_km, 0.1))
    useful = 0.5 if usefulness is None else (max(1.0, min(5.0, usefulness)) - 1) / 4
    fresh = max(0.0, min(1.0, freshness_score))
    return 0.4 * text + 0.3 * near + 0.15 * useful + 0.15 * fresh


# Days without a check at which the reminder job acts: remind the editors, remind them
# again, escalate to moderators, hide from default search. Overridable per kind with
# the FRESHNESS_INTERVALS setting.
DEFAULT_INTERVALS = {"remind": 90, "remind_again": 120, "escalate": 180, "hide": 365}


def intervals_for(kind: str, configured: dict | None) -> dict[str, int]:
    """The reminder intervals for a kind of listing: defaults, then configured values."""
    configured = configured or {}
    return {**DEFAULT_INTERVALS, **configured.get("default", {}), **configured.get(kind, {})}


def freshness_stage(
    last_verified_at: dt.datetime | None, now: dt.datetime, intervals: dict[str, int]
) -> str | None:
    """The freshness policy: which step of the reminder ladder a listing has reached.

    Returns None while it is fresh, else "remind", "remind_again", "escalate" or
    "hide" — the furthest step whose number of days has passed since the last check.
    A listing never checked counts from when it was listed (pass its created_at).
    """
    if last_verified_at is None:
        return "hide"
    age = (now - last_verified_at).days
    reached = None
    for step in ("remind", "remind_again", "escalate", "hide"):
        if age >= intervals[step]:
            reached = step
    return reached
