"""The coverage rule: the grid from search counts, the gaps, and their sentences."""

from __future__ import annotations

import pytest

from directory.rules.coverage import (
    CoverageFilters,
    Nearest,
    count_band,
    coverage_grid,
    covered_sentence,
    filter_phrase,
    format_km,
    gap_domains,
    gap_sentence,
    hex_resolution,
)

DOMAINS = ("closeness", "identity", "valued", "involvement", "cared_for", "beyond")
KINDS = ("group", "place", "activity")


def grid():
    facets = {
        "domain": {"closeness": 2, "involvement": 3, "beyond": 1},
        "kind": {"group": 2, "place": 1, "activity": 1},
    }
    by_kind = {
        "group": {"domain": {"closeness": 2, "involvement": 2}},
        "place": {"domain": {"involvement": 1, "beyond": 1}},
        "activity": {"domain": {}},
    }
    return coverage_grid(DOMAINS, KINDS, facets, by_kind, total=4)


def test_grid_cells_rows_and_columns():
    g = grid()
    assert g.cells["involvement"] == {"group": 2, "place": 1, "activity": 0}
    assert g.cells["cared_for"] == {"group": 0, "place": 0, "activity": 0}
    assert g.by_domain["involvement"] == 3 and g.by_kind == {"group": 2, "place": 1, "activity": 1}
    # A listing has one kind, so each domain's row adds up to the domain's total.
    assert all(g.row_total(d) == g.by_domain[d] for d in DOMAINS)
    assert g.total == 4


def test_gaps_are_the_domains_with_nothing_in_vocabulary_order():
    assert gap_domains(grid()) == ("identity", "valued", "cared_for")


@pytest.mark.parametrize(
    ("filters", "phrase"),
    [
        (CoverageFilters(), "nothing"),
        (CoverageFilters(costs=("free",), parts=("evening",)), "nothing free in the evening"),
        (
            CoverageFilters(costs=("free", "low_cost"), delivered_by=("peers",)),
            "nothing free or low-cost and peer-led",
        ),
        (
            CoverageFilters(kinds=("group",), delivered_by=("peers",), days=("TU", "TH")),
            "no peer-led group on Tuesdays or Thursdays",
        ),
        (
            CoverageFilters(kinds=("group", "place", "activity"), parts=("morning", "evening")),
            "no group, place or activity in the morning or evening",
        ),
        (
            CoverageFilters(first_visit=True, online=True, others=True),
            "nothing with someone to go with you the first time matching the other filters "
            "chosen (online options included)",
        ),
    ],
)
def test_filter_phrase(filters, phrase):
    assert filter_phrase(filters) == phrase


def test_the_journey_4_sentence():
    filters = CoverageFilters(costs=("free",), parts=("evening",))
    sentence = gap_sentence(
        "NG7", 5.0, filters, "Cared for and accepted", Nearest("Riverside Peer Group", 7.24), 50
    )
    assert sentence == (
        "Within 5 km of NG7, nothing free in the evening targets Cared for and accepted; "
        "the nearest is Riverside Peer Group, 7.2 km away."
    )


def test_gap_sentence_with_nothing_further_out():
    none_further = gap_sentence("PL4 8AA", 2.5, CoverageFilters(), "Closeness", None, 50)
    assert none_further == (
        "Within 2.5 km of PL4 8AA, nothing targets Closeness; there is none within 50 km either."
    )
    widest = gap_sentence("PL4", 50, CoverageFilters(), "Closeness", None, 50)
    assert widest == "Within 50 km of PL4, nothing targets Closeness."


def test_covered_sentence():
    assert covered_sentence("NG7", 5, CoverageFilters(costs=("free",)), 6) == (
        "Within 5 km of NG7, something free targets each of the 6 CIVIC domains."
    )
    assert covered_sentence("NG7", 5, CoverageFilters(kinds=("activity",)), 6).startswith(
        "Within 5 km of NG7, an activity targets"
    )


@pytest.mark.parametrize(("km", "shown"), [(5.0, "5 km"), (2.5, "2.5 km"), (7.249, "7.2 km")])
def test_format_km(km, shown):
    assert format_km(km) == shown


@pytest.mark.parametrize(
    ("radius", "resolution"), [(0.5, 8), (5, 8), (6, 8), (10, 7), (16, 7), (20, 6), (50, 6)]
)
def test_hex_resolution_by_radius(radius, resolution):
    assert hex_resolution(radius) == resolution


@pytest.mark.parametrize(
    ("count", "highest", "band"),
    [(0, 10, 0), (1, 10, 1), (10, 10, 5), (5, 10, 3), (1, 1, 5), (3, 0, 0), (2, 2, 5)],
)
def test_count_band(count, highest, band):
    assert count_band(count, highest, 5) == band
