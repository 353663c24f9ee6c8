"""Unmet need: what is kept when practitioners look for something near a place and find nothing.

Only three things are kept, counted by day: the outward code of the place ("NG7", never
the full postcode), the CIVIC domain looked for, and the filters, and of the filters
only those that describe the *provision* wanted (:data:`FILTER_KEYS`: cost, kind, who
runs it, day and part of the day, first-visit support, online, distance), written by
:func:`filters_key` from known codes alone. Who it is for (women, LGBTQ+, a community)
and access needs (a hearing loop, BSL) describe the person, so they are never kept;
nor are free text, times of day, the practitioner or anything about the person.

Which looks count (:func:`search_counts`):

- a search near a place (a postcode or an outward code) that finds nothing, with no
  words typed (the words are what was looked for, and they are free text we don't
  keep); with several domains, only when any of them would do ("match any"): finding
  nothing for all of them at once says no one listing covers them together, not that
  any of them is missing;
- each domain a plan leaves uncovered, the first time the question is asked (not when
  the practitioner swaps an option or saves the plan, which ask it again).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

SOURCES = ("search", "plan")
SOURCE_WORDS = {"search": "Searches that found nothing", "plan": "Plans with a domain uncovered"}

# The filters kept, in the order they are written; each holds a set of codes, "yes"
# for a tick box, or a distance in kilometres.
FILTER_KEYS = ("kind", "cost", "delivered_by", "day", "part", "first_visit", "online", "radius_km")
TICK_BOXES = frozenset({"first_visit", "online"})
# Codes are short lowercase words or iCalendar days: never free text.
CODE = re.compile(r"^[A-Za-z][A-Za-z_]{0,29}$")
MAX_FILTERS_LENGTH = 200  # the width of UnmetNeed.filters


def search_counts(
    *, has_place: bool, text: str, domains: Iterable[str], match: str, total: int
) -> bool:
    """Whether a search is unmet need: near a place, no words, nothing found, "any" domain."""
    return (
        has_place and not text.strip() and total == 0 and (match == "any" or len(set(domains)) <= 1)
    )


def radius_words(radius_km: float) -> str:
    """A distance as kept: "5" for 5.0 km, "2.5" for 2.5 (half kilometres at most)."""
    return f"{round(float(radius_km) * 2) / 2:g}"


def filters_key(
    filters: Mapping[str, Iterable[str] | bool | float | None],
    allowed: Mapping[str, Iterable[str]],
) -> str:
    """The filters as kept: "cost=free;part=evening;radius_km=5", from known codes only.

    Only :data:`FILTER_KEYS` are kept, in that order; a set of codes keeps those
    ``allowed[key]`` names (sorted); a tick box is kept when ticked; ``radius_km`` as
    :func:`radius_words`. Anything else — an unknown key, a code not allowed, free
    text — is dropped, so what is kept can never carry words someone typed.
    """
    parts = []
    for key in FILTER_KEYS:
        value = filters.get(key)
        if value is None or value is False:
            continue
        if key == "radius_km":
            parts.append(f"{key}={radius_words(float(value))}")  # type: ignore[arg-type]
        elif key in TICK_BOXES:
            if value is True:
                parts.append(f"{key}=yes")
        elif not isinstance(value, bool | float | int | str):
            known = set(allowed.get(key, ()))
            codes = sorted({c for c in value if c in known and CODE.match(c)})
            if codes:
                parts.append(f"{key}={','.join(codes)}")
    key_text = ";".join(parts)
    return key_text if len(key_text) <= MAX_FILTERS_LENGTH else ""


def parse_filters_key(text: str) -> dict[str, list[str]]:
    """The filters :func:`filters_key` wrote, as {key: [codes]} in :data:`FILTER_KEYS` order."""
    found: dict[str, list[str]] = {}
    for part in text.split(";"):
        key, _, codes = part.partition("=")
        if key in FILTER_KEYS and codes:
            found[key] = codes.split(",")
    return {key: found[key] for key in FILTER_KEYS if key in found}
