"""The ranking rules.

The best-match score, its bound, and the text-field weights, each defined once.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

from directory.rules import ranking
from directory.rules.ranking import (
    NEUTRAL_RATING,
    RELEVANCE_WEIGHT,
    TEXT_FIELD_WEIGHTS,
    WELCOME_MIN_ANSWERS,
    best_match_ceiling,
    best_match_score,
    bm25_weights,
    closeness_dose_signal,
    felt_welcome,
    great_circle_km,
    inside_radius,
    ts_rank_weights,
)

ROOT = Path(__file__).resolve().parents[2]


def score(**overrides) -> float:
    values = {
        "relevance": None,
        "distance_km": 1.0,
        "radius_km": 5.0,
        "usefulness": None,
        "freshness_score": 1.0,
    }
    values.update(overrides)
    return best_match_score(**values)


def test_each_signal_moves_the_score_the_right_way():
    assert score(relevance=1.0) > score(relevance=0.2)
    assert score(distance_km=0.5) > score(distance_km=4.5)
    assert score(usefulness=4.8) > score(usefulness=2.0)
    assert score(freshness_score=1.0) > score(freshness_score=0.3)


def test_missing_signals_are_neutral():
    assert score(usefulness=None) == pytest.approx(score(usefulness=3.0))
    assert score(relevance=None) == pytest.approx(score(relevance=0.5))


def test_distance_decays_to_a_quarter_at_the_radius():
    at_centre = score(distance_km=0.0, freshness_score=0.0)
    at_edge = score(distance_km=5.0, freshness_score=0.0)
    base = score(distance_km=1e9, freshness_score=0.0)
    assert (at_edge - base) == pytest.approx((at_centre - base) / 4, rel=0.01)


def test_text_outweighs_a_small_distance_difference():
    close_weak = score(relevance=0.2, distance_km=0.5)
    further_strong = score(relevance=1.0, distance_km=2.5)
    assert further_strong > close_weak


def test_scores_are_bounded():
    best = score(
        relevance=1.0,
        distance_km=0.0,
        usefulness=5.0,
        freshness_score=1.0,
        welcome=5.0,
        closeness_dose=1.0,
    )
    worst = score(
        relevance=0.0,
        distance_km=50.0,
        usefulness=1.0,
        freshness_score=0.0,
        welcome=1.0,
        closeness_dose=0.0,
    )
    assert best == pytest.approx(1.0)
    assert 0.0 <= worst < 0.1


def test_the_weights_add_up_to_one():
    weights = (
        ranking.RELEVANCE_WEIGHT,
        ranking.DISTANCE_WEIGHT,
        ranking.USEFULNESS_WEIGHT,
        ranking.FRESHNESS_WEIGHT,
        ranking.WELCOME_WEIGHT,
        ranking.CLOSENESS_WEIGHT,
    )
    assert sum(weights) == pytest.approx(1.0)


@pytest.mark.parametrize("closeness_asked", [True, False])
@pytest.mark.parametrize("best_welcome", [None, 1.0, 4.5, 5.0])
@pytest.mark.parametrize("best_usefulness", [None, 1.0, 2.5, 3.0, 4.2, 5.0])
@pytest.mark.parametrize("radius_km", [0.05, 5.0, 40.0])
def test_the_early_stop_bound_is_never_below_a_real_score(
    best_usefulness, radius_km, best_welcome, closeness_asked
):
    """No listing of a search without a place may score above the early stop's bound.

    The SQL index stops reading rows once RELEVANCE_WEIGHT × relevance + the ceiling is
    below the page.
    """
    ceiling = best_match_ceiling(best_usefulness, radius_km, best_welcome, closeness_asked)
    usefulness_values = [None] if best_usefulness is None else [None, 1.0, best_usefulness]
    welcome_values = [None] if best_welcome is None else [None, 1.0, best_welcome]
    doses = (None, 0.0, 1.0) if closeness_asked else (None,)
    for relevance, usefulness, fresh, welcome, dose in itertools.product(
        (0.0, 0.3, 1.0), usefulness_values, (0.0, 0.5, 1.0), welcome_values, doses
    ):
        real = best_match_score(
            relevance=relevance,
            distance_km=None,
            radius_km=radius_km,
            usefulness=usefulness,
            freshness_score=fresh,
            welcome=welcome,
            closeness_dose=dose,
        )
        assert real <= RELEVANCE_WEIGHT * relevance + ceiling + 1e-12
    # ...and it is reached: the bound is tight, so the stop is as early as it can be.
    best = max(best_usefulness or NEUTRAL_RATING, NEUTRAL_RATING)
    top = best_match_score(
        relevance=1.0,
        distance_km=None,
        radius_km=radius_km,
        usefulness=best if best_usefulness is not None else None,
        freshness_score=1.0,
        welcome=None if best_welcome is None else max(best_welcome, NEUTRAL_RATING),
        closeness_dose=1.0 if closeness_asked else None,
    )
    assert top == pytest.approx(RELEVANCE_WEIGHT + ceiling)


def test_the_early_stop_bound_is_tighter_without_welcome_or_closeness():
    """A text search without Closeness, where nobody has felt-welcome answers, stops sooner."""
    loosest = best_match_ceiling(4.0, 5.0)
    assert best_match_ceiling(4.0, 5.0, None, False) < best_match_ceiling(4.0, 5.0, None, True)
    assert best_match_ceiling(4.0, 5.0, None, True) < loosest
    assert best_match_ceiling(4.0, 5.0, 5.0, True) == loosest


# -- the research's signals: felt welcome and the dose Closeness needs ----------------


def test_felt_welcome_counts_only_from_enough_answers():
    assert felt_welcome(9, WELCOME_MIN_ANSWERS - 1) is None
    assert felt_welcome(0, 0) is None
    assert felt_welcome(13, 3) == pytest.approx(13 / 3)


def test_felt_welcome_adds_to_best_match_and_its_absence_is_neutral():
    assert score(welcome=4.7) > score(welcome=None) > score(welcome=1.5)
    assert score(welcome=None) == pytest.approx(score(welcome=3.0))
    # It is a small signal: it never outweighs being much nearer.
    assert score(distance_km=0.5, welcome=1.0) > score(distance_km=4.5, welcome=5.0)


def test_closeness_prefers_ongoing_groups_running_over_two_months():
    established = closeness_dose_signal(["ongoing"], running_days=200)
    new = closeness_dose_signal(["ongoing"], running_days=20)
    unknown = closeness_dose_signal(["ongoing"], running_days=None)
    long_course = closeness_dose_signal(["course", "course_8_weeks"], running_days=200)
    short_course = closeness_dose_signal(["course"], running_days=200)
    assert established == 1.0
    assert established > long_course > new == unknown > short_course == 0.0
    assert closeness_dose_signal(["ongoing"], running_days=61) == new  # two months: not yet
    assert score(closeness_dose=established) > score(closeness_dose=None)
    assert score(closeness_dose=None) > score(closeness_dose=short_course)


def test_inside_the_radius_is_one_rule_edge_included():
    assert inside_radius(5.0, 5.0) and inside_radius(0.0, 5.0)
    assert not inside_radius(5.0000001, 5.0) and not inside_radius(None, 5.0)
    # 0.045 degrees of latitude is 5.004 km on the mean sphere.
    assert great_circle_km(50.0, -4.0, 50.045, -4.0) == pytest.approx(5.004, abs=0.001)


def test_engine_weights_come_from_the_text_field_weights():
    assert list(TEXT_FIELD_WEIGHTS) == ["name", "summary", "description", "organisation"]
    assert bm25_weights() == "4.0, 3.0, 1.5, 1.0"
    # ts_rank takes {D, C, B, A}: organisation, description, summary, name, scaled to 1.
    assert ts_rank_weights() == "'{0.25, 0.375, 0.75, 1.0}'"


# -- defined once --------------------------------------------------------------------

# Where the ranking rules could be restated: the app and the search engines.
SCANNED = ("directory", "search")
HOME = ROOT / "directory" / "rules" / "ranking.py"


def number_literals(path: Path) -> list[tuple[int, float]]:
    """Every int or float literal in a module, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ]


def source_files():
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path != HOME and "rules" not in path.relative_to(ROOT).parts[1:2]:
                yield path


def test_ranking_numbers_are_imported_not_repeated():
    """The ranking weights appear as numbers only in directory/rules/ranking.py.

    That is the weights of best match, the decay at the radius and the text-field
    weights; everything else imports them. Numbers too common to single out (0.5, 1.0,
    4 ...) aren't searched for, but the weights as a set are: a module holding 0.4 and 0.3
    and 0.15 restates best match; one holding 4.0, 3.0 and 1.5 restates the text weights;
    math.log(4) restates the decay.
    """
    restated = []
    for path in source_files():
        values = {value for _, value in number_literals(path)}
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT)
        if {0.4, 0.3, 0.15} <= values:
            restated.append(f"{name}: the best-match weights 0.4, 0.3, 0.15")
        if {4.0, 3.0, 1.5} <= values:
            restated.append(f"{name}: the text-field weights 4, 3, 1.5")
        if "log(4)" in text or "ln(4)" in text:
            restated.append(f"{name}: the distance decay log(4)")
        if "0.375" in text:
            restated.append(f"{name}: PostgreSQL's text weights")
    assert not restated, "Import these from directory.rules.ranking:\n" + "\n".join(restated)


def test_the_scan_finds_a_restated_weight(tmp_path):
    """The scan above would catch a copy (so it can fail)."""
    copy = tmp_path / "copy.py"
    copy.write_text("SCORE = 0.4 * text + 0.3 * near + 0.15 * useful\n", encoding="utf-8")
    assert {0.4, 0.3, 0.15} <= {value for _, value in number_literals(copy)}
