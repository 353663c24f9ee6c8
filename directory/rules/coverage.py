"""Coverage: how many public listings target each CIVIC domain in an area, and the gaps.

The counts themselves are search totals: the coverage of a place, radius and filters is
what a search for the same place, radius and filters finds (facet counts by domain and,
within each kind, by domain), so a commissioner's figure and a practitioner's search
never disagree. This module turns those counts into the grid and names the gaps:

- :func:`coverage_grid`: the six CIVIC domains × kind, with each domain's and kind's
  total. A listing has one kind and any number of domains, so a domain's row adds up to
  its total while the kind columns add up to more than the listings found;
- :func:`gap_domains`: the domains nothing found targets, in the vocabulary's order;
- :func:`filter_phrase` and :func:`gap_sentence`: the gap as a sentence a commissioner
  can paste into a report: "Within 5 km of NG7, nothing free in the evening targets
  Cared for and accepted; the nearest is Riverside Peer Group, 7.2 km away."
- :func:`hex_resolution`: how fine a map's hexagonal cells are for a radius.

Pure functions of plain values: no Flask, no session, no vocabulary lookups (names come
in as mappings).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# How each filter value reads in a sentence.
COST_WORDS = {"free": "free", "low_cost": "low-cost", "paid": "paid"}
DELIVERED_BY_WORDS = {"peers": "peer-led", "staff": "staff-led", "volunteers": "volunteer-led"}
KIND_NOUNS = {"group": "group", "place": "place", "activity": "activity"}
PART_WORDS = {"morning": "morning", "afternoon": "afternoon", "evening": "evening"}
DAY_WORDS = {
    "MO": "Mondays",
    "TU": "Tuesdays",
    "WE": "Wednesdays",
    "TH": "Thursdays",
    "FR": "Fridays",
    "SA": "Saturdays",
    "SU": "Sundays",
}

# Hexagonal map cells (H3 resolutions) by the radius mapped: about 100 to 250 cells,
# fine enough to see a neighbourhood without gaps, coarse enough to draw at once.
# (resolution 8: cells of 0.74 km²; 7: 5.2 km²; 6: 36 km²).
HEX_RESOLUTIONS = ((6.0, 8), (16.0, 7))
WIDEST_HEX_RESOLUTION = 6


@dataclass(frozen=True)
class CoverageGrid:
    """Counts of public listings by CIVIC domain and kind for one area and filter set.

    ``cells[domain][kind]`` is the number of listings of that kind targeting the domain;
    ``by_domain[domain]`` how many target the domain (any kind); ``by_kind[kind]`` how
    many of each kind were found; ``total`` how many listings in all.
    """

    domains: tuple[str, ...]
    kinds: tuple[str, ...]
    cells: dict[str, dict[str, int]]
    by_domain: dict[str, int]
    by_kind: dict[str, int]
    total: int

    def row_total(self, domain: str) -> int:
        """The listings of every kind targeting ``domain`` (the sum of its row)."""
        return sum(self.cells[domain].values())


@dataclass(frozen=True)
class CoverageFilters:
    """The filters a coverage question was asked with, as their codes.

    ``others`` is true when filters with no words of their own here (typed text, type of
    support, how to join, who it is for, accessibility) narrowed the search too.
    """

    kinds: tuple[str, ...] = ()
    costs: tuple[str, ...] = ()
    days: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    delivered_by: tuple[str, ...] = ()
    first_visit: bool = False
    online: bool = False
    others: bool = False


@dataclass(frozen=True)
class Nearest:
    """The nearest listing beyond the radius that would fill a gap."""

    name: str
    distance_km: float


@dataclass(frozen=True)
class Gap:
    """A domain nothing found targets, with the nearest listing that does (if any)."""

    domain: str
    nearest: Nearest | None
    searched_km: float
    sentence: str = field(default="")


def coverage_grid(
    domains: Sequence[str],
    kinds: Sequence[str],
    facets: Mapping[str, Mapping[str, int]],
    facets_by_kind: Mapping[str, Mapping[str, Mapping[str, int]]],
    total: int,
) -> CoverageGrid:
    """The grid from a search's facet counts.

    Args:
        domains: the CIVIC domain codes, in the order shown.
        kinds: the kinds shown as columns (every kind, or those the user filtered on).
        facets: the search's facet counts (``facets["domain"]``, ``facets["kind"]``).
        facets_by_kind: the facet counts among the results of each kind
            (``SearchOutcome.facets_within`` for ``facets_within="kind"``).
        total: the search's total.

    Returns:
        The grid; missing counts are 0.
    """
    cells = {
        domain: {
            kind: int(facets_by_kind.get(kind, {}).get("domain", {}).get(domain, 0))
            for kind in kinds
        }
        for domain in domains
    }
    by_domain = {domain: int(facets.get("domain", {}).get(domain, 0)) for domain in domains}
    by_kind = {kind: int(facets.get("kind", {}).get(kind, 0)) for kind in kinds}
    return CoverageGrid(tuple(domains), tuple(kinds), cells, by_domain, by_kind, int(total))


def gap_domains(grid: CoverageGrid) -> tuple[str, ...]:
    """The domains no listing found targets, in the grid's order."""
    return tuple(domain for domain in grid.domains if grid.by_domain[domain] == 0)


def _either(words: Sequence[str]) -> str:
    """Words joined as a list read aloud: a; a or b; a, b or c."""
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} or {words[-1]}"


def _subject(filters: CoverageFilters) -> str:
    """The subject: nothing, or no group (or place...) when kinds were chosen, described."""
    adjectives = [
        word
        for word in (
            _either([COST_WORDS.get(c, c) for c in filters.costs]),
            _either([DELIVERED_BY_WORDS.get(d, d) for d in filters.delivered_by]),
        )
        if word
    ]
    if filters.kinds:
        nouns = _either([KIND_NOUNS.get(k, k) for k in filters.kinds])
        return " ".join(["no", *adjectives, nouns])
    return " ".join(["nothing", " and ".join(adjectives)]).strip()


def filter_phrase(filters: CoverageFilters) -> str:
    """What was looked for, as the subject of a gap sentence.

    "nothing", "nothing free in the evening", "no peer-led group on Tuesdays or Thursdays
    in the morning or evening, with first-visit support".
    """
    words = [_subject(filters)]
    if filters.days:
        words.append("on " + _either([DAY_WORDS.get(d, d) for d in filters.days]))
    if filters.parts:
        parts = [PART_WORDS.get(p, p) for p in filters.parts]
        words.append("in the " + _either(parts))
    if filters.first_visit:
        words.append("with someone to go with you the first time")
    if filters.others:
        words.append("matching the other filters chosen")
    if filters.online:
        words.append("(online options included)")
    return " ".join(words)


def format_km(km: float) -> str:
    """A distance as people write it: "5 km", "2.5 km", "7.2 km"."""
    rounded = round(km, 1)
    return f"{rounded:g} km"


def gap_sentence(
    area: str,
    radius_km: float,
    filters: CoverageFilters,
    domain_name: str,
    nearest: Nearest | None,
    searched_km: float,
) -> str:
    """One gap as a sentence to paste into a report.

    "Within 5 km of NG7, nothing free in the evening targets Cared for and accepted;
    the nearest is Riverside Peer Group, 7.2 km away." When nothing is found further out
    either: "...; there is none within 50 km either." When the radius is already the
    widest searched, the sentence ends after the domain.
    """
    sentence = (
        f"Within {format_km(radius_km)} of {area}, {filter_phrase(filters)} targets {domain_name}"
    )
    if nearest is not None:
        return f"{sentence}; the nearest is {nearest.name}, {format_km(nearest.distance_km)} away."
    if searched_km > radius_km:
        return f"{sentence}; there is none within {format_km(searched_km)} either."
    return f"{sentence}."


def covered_sentence(area: str, radius_km: float, filters: CoverageFilters, domains: int) -> str:
    """The sentence when there is no gap: every domain has something."""
    subject = filter_phrase(filters)
    if subject.startswith("nothing"):
        something = "something" + subject[len("nothing") :]
    else:  # "no free group ..." -> "a free group ..."
        rest = subject[len("no ") :]
        something = ("an " if rest[:1] in "aeiou" else "a ") + rest
    return (
        f"Within {format_km(radius_km)} of {area}, {something} targets each of the "
        f"{domains} CIVIC domains."
    )


def hex_resolution(radius_km: float) -> int:
    """The H3 resolution of a coverage map's cells for a radius (see HEX_RESOLUTIONS)."""
    for widest, resolution in HEX_RESOLUTIONS:
        if radius_km <= widest:
            return resolution
    return WIDEST_HEX_RESOLUTION


def count_band(count: int, highest: int, bands: int) -> int:
    """Which of ``bands`` colour bands a cell's ``count`` falls in (0 for none).

    Bands 1..bands split 1..highest evenly (rounding up), so the darkest band always
    holds the highest count and a single listing is never shown as none.
    """
    if count <= 0 or highest <= 0:
        return 0
    return max(1, min(bands, -(-count * bands // highest)))
