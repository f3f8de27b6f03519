"""The fairness statistics on hand-made tables whose answers are known (issue 22)."""

from __future__ import annotations

import random

import pytest

from pipelines.domain import fairness
from pipelines.domain.models import Rating
from pipelines.domain.rules import Criterion, FairnessRules, ScoringRules

CRITERIA = tuple(Criterion(k, k, k) for k in ("a", "b", "c"))  # totals 3..30
RULES = ScoringRules(criteria=CRITERIA, department_quota=2)


def rating(expert: str, der: str, *scores: int) -> Rating:
    return Rating(expert, der, dict(zip(["a", "b", "c"], scores)))


def flat(expert: str, der: str, total: int) -> Rating:
    """A rating whose total is `total` (spread over the three criteria)."""
    base, extra = divmod(total, 3)
    return rating(expert, der, base + (extra > 0), base + (extra > 1), base)


# --- α -------------------------------------------------------------------------------------------
def test_alpha_is_one_when_every_expert_gives_the_same_totals():
    units = {f"D{i}": {"x": float(i), "y": float(i), "z": float(i)} for i in range(1, 6)}
    assert fairness.krippendorff_alpha(units) == pytest.approx(1.0)


def test_alpha_is_near_zero_for_random_ratings():
    rng = random.Random(22)
    units = {f"D{i}": {e: float(rng.randint(7, 70)) for e in "abcd"} for i in range(400)}
    assert abs(fairness.krippendorff_alpha(units)) < 0.05  # type: ignore[arg-type]


def test_alpha_matches_krippendorffs_published_example_with_missing_data():
    """Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 coders, 12 units, some
    values missing; published α interval = 0.849 (nominal 0.743)."""
    coders = {
        "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    }
    units = {f"u{u}": {c: values[u] for c, values in coders.items()} for u in range(12)}
    assert round(fairness.krippendorff_alpha(units), 3) == 0.849  # type: ignore[arg-type]


def test_alpha_is_undefined_without_two_ratings_of_one_der():
    assert fairness.krippendorff_alpha({"D1": {"x": 10.0}, "D2": {"y": 20.0}}) is None
    assert fairness.alpha_reading(None) == "fair_alpha_none"
    assert fairness.alpha_reading(0.9) == "fair_alpha_high"
    assert fairness.alpha_reading(0.7) == "fair_alpha_tentative"
    assert fairness.alpha_reading(0.2) == "fair_alpha_low"


# --- spread --------------------------------------------------------------------------------------
def test_spread_flags_a_der_whose_experts_disagree_beyond_the_threshold():
    ratings = [flat("x", "D1", 20), flat("y", "D1", 22), flat("x", "D2", 10), flat("y", "D2", 28)]
    table = fairness.score_table(ratings, ["D1", "D2", "D3"], RULES)
    got = {s.application_id: s for s in fairness.spreads(table, ["D1", "D2", "D3"], FairnessRules(spread_flag=10))}
    assert got["D1"].range == 2 and not got["D1"].needs_discussion
    assert got["D1"].sd == pytest.approx(2 / 2**0.5)
    assert got["D2"].range == 18 and got["D2"].needs_discussion
    assert got["D3"].raters == 0 and got["D3"].sd is None


# --- flags ---------------------------------------------------------------------------------------
def test_pattern_flags_name_uniform_max_and_min_experts():
    ratings = [
        rating("max@x", "D1", 10, 10, 10),
        rating("max@x", "D2", 10, 10, 10),
        rating("min@x", "D1", 1, 1, 1),
        rating("min@x", "D2", 1, 1, 1),
        rating("same@x", "D1", 6, 6, 6),
        rating("same@x", "D2", 6, 6, 6),
        rating("fine@x", "D1", 6, 7, 6),
        rating("fine@x", "D2", 6, 6, 6),
    ]
    table = fairness.score_table(ratings, ["D1", "D2"], RULES)
    flags = {f.expert: (f.kind, f.value, f.ratings) for f in fairness.pattern_flags(table, RULES)}
    assert flags == {"max@x": ("all_max", 10, 2), "min@x": ("all_min", 1, 2), "same@x": ("uniform", 6, 2)}


def lenient_case() -> list[Rating]:
    """Two strict experts put D1, D2 above D3; one lenient expert scores D3 so high that D3 crosses
    the cut-off (quota 2) on the mean."""
    return [
        flat("s1", "D1", 24),
        flat("s2", "D1", 24),
        flat("len", "D1", 25),
        flat("s1", "D2", 22),
        flat("s2", "D2", 22),
        flat("len", "D2", 23),
        flat("s1", "D3", 20),
        flat("s2", "D3", 20),
        flat("len", "D3", 30),
        flat("s1", "D4", 10),
        flat("s2", "D4", 10),
        flat("len", "D4", 26),
    ]


def test_a_lenient_expert_whose_removal_alone_flips_the_cut_off_is_named():
    ratings, ids = lenient_case(), ["D1", "D2", "D3", "D4"]
    official = fairness.selection(ratings, ids, RULES, stage=1, group="g")
    assert official == ["D1", "D3"]  # D3: (20+20+30)/3 = 23.3 > D2: 22.3
    flags = fairness.decisive_experts(ratings, ids, RULES, stage=1, group="g", official=official)
    assert [(f.expert, f.entering, f.leaving) for f in flags] == [("len", ("D2",), ("D3",))]


def wide_case() -> list[Rating]:
    """Two experts who use a narrow band put D1 above D3; a third who uses the whole scale puts D1
    near the bottom: on the raw mean D3 crosses the cut-off, once each expert's habits are taken
    out D1 does."""
    narrow = {"D1": 26, "D2": 25, "D3": 20, "D4": 19}
    wide = {"D1": 5, "D2": 30, "D3": 30, "D4": 3}
    return [flat(e, d, t) for e in ("s1", "s2") for d, t in narrow.items()] + [flat("w", d, t) for d, t in wide.items()]


def test_normalised_view_says_when_one_experts_habit_decided_the_cut_off():
    ratings, ids = wide_case(), ["D1", "D2", "D3", "D4"]
    official = fairness.selection(ratings, ids, RULES, stage=1, group="g")
    assert official == ["D2", "D3"]
    table = fairness.score_table(ratings, ids, RULES)
    view = fairness.normalised_view(
        table, ids, RULES, FairnessRules(min_ratings=3), stage=1, group="g", official=official
    )
    assert view.normalised_experts == ("s1", "s2", "w")
    assert view.changes_selection
    assert view.leaving == ["D3"] and view.entering == ["D1"]
    low, high = fairness.official_range(RULES)
    assert all(low <= v <= high for v in view.scores.values() if v is not None)


def test_normalised_view_keeps_experts_with_too_few_ratings_as_they_are():
    ratings, ids = lenient_case(), ["D1", "D2", "D3", "D4"]
    table = fairness.score_table(ratings, ids, RULES)
    view = fairness.normalised_view(
        table, ids, RULES, FairnessRules(min_ratings=5), stage=1, group="g", official=["D1", "D3"]
    )
    assert view.normalised_experts == () and view.kept_experts == ("len", "s1", "s2")
    assert view.scores["D3"] == pytest.approx(70 / 3)
    assert not view.changes_selection


def test_group_fairness_agrees_with_itself_on_a_clean_group():
    ratings = [
        flat(e, d, t + bump) for d, t in (("D1", 25), ("D2", 18), ("D3", 12)) for e, bump in (("x", 0), ("y", 1))
    ]
    got = fairness.group_fairness(
        stage=1,
        group="g",
        ratings=ratings,
        application_ids=["D1", "D2", "D3"],
        official=["D1", "D2"],
        rules=RULES,
        fairness=FairnessRules(min_ratings=3),
    )
    assert got.alpha is not None and got.alpha > 0.95 and got.alpha_key == "fair_alpha_high"
    assert got.flags == [] and not got.normalised.changes_selection
