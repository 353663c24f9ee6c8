"""The filters a search applied, each as a tag that removes itself.

The search page shows them above the results, so a GP sees at a glance what narrowed
the list and takes one filter off (or all: "Clear filters") without opening the form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from directory import schedules
from directory.vocabularies import read_vocabularies, vocabulary

# Where the search is (kept by "Clear filters") and how it is shown: not filters. The
# page's links carry the place sealed as ``near`` (directory.search_ui.place).
PLACE_AND_ORDER = ("postcode", "near", "radius_km", "sort")
# Never carried by a tag's link: a new set of filters starts on page one.
DROPPED = ("page",)
# Not shown as a tag of their own (they qualify another filter).
QUALIFIERS = ("match", "per_page")
# Query parameters named differently from the vocabulary of their values.
VOCABULARY_OF = {
    "domain": "civic_domain",
    "intervention": "intervention_type",
    "join": "how_to_join",
}
# Yes/no filters, as the tag reads.
SWITCHES = {
    "online": "Including online options",
    "first_visit": "Someone to go with you the first time",
    "show_unverified": "Including listings not checked for over a year",
}
PARTS = {"morning": "Morning", "afternoon": "Afternoon", "evening": "Evening"}
DAYS = dict(zip(schedules.DAY_CODES, schedules.DAY_NAMES, strict=True))
TRUE = ("true", "on", "1", "yes")


@dataclass(frozen=True)
class AppliedFilter:
    """One filter of the search: its words, and the query string without it."""

    name: str
    value: str
    text: str
    without: str
    domain: str | None = None  # a CIVIC domain's code, for its colour


def _words(name: str, value: str) -> str:
    if name == "q":
        return f"Keywords: {value}"
    if name == "day":
        return DAYS.get(value.upper(), value)
    if name == "part":
        return PARTS.get(value, value)
    code = VOCABULARY_OF.get(name, name)
    if code in read_vocabularies():
        term = vocabulary(code).term(value)
        if term is not None:
            return term.name
    return f"{name.replace('_', ' ').capitalize()}: {value}"


def applied_filters(query: Mapping | MultiDict) -> list[AppliedFilter]:
    """The filters in ``query`` (the search page's arguments), in the order given.

    Blank values and the place, distance and order of the search are not filters;
    a yes/no filter counts only when it is on. Each filter's ``without`` keeps every
    other parameter (and their order), so following it removes that filter alone.
    """
    pairs = _pairs(query)
    applied = []
    for index, (name, value) in enumerate(pairs):
        if name in PLACE_AND_ORDER or name in QUALIFIERS or not value.strip():
            continue
        if name in SWITCHES:
            if value.lower() not in TRUE:
                continue
            text = SWITCHES[name]
        else:
            text = _words(name, value.strip())
        rest = [pair for i, pair in enumerate(pairs) if i != index]
        applied.append(
            AppliedFilter(
                name=name,
                value=value,
                text=text,
                without=urlencode(rest),
                domain=value if name == "domain" else None,
            )
        )
    return applied


def cleared(query: Mapping | MultiDict) -> str:
    """The query string of the same search with every filter taken off.

    The place, distance and order stay: clearing the filters doesn't lose the place.
    """
    return urlencode([(k, v) for k, v in _pairs(query) if k in PLACE_AND_ORDER and v.strip()])


def _pairs(query: Mapping | MultiDict) -> list[tuple[str, str]]:
    items = query.items(multi=True) if isinstance(query, MultiDict) else query.items()
    pairs = []
    for name, value in items:
        values = value if isinstance(value, list | tuple) else [value]
        pairs.extend((name, str(v)) for v in values if name not in DROPPED)
    return pairs
