"""Evidence beside the official ranking: did the experts agree, and did one of them decide the cut-off?
(9.4.1, 9.4.2: reasoned decisions; 11.2-11.3: the result rests on the experts' scores; 13: corrupt
interests of commission members.)

Pure: no I/O. None of this changes the official ranking (domain/scoring.py); it is printed beside it.

- `krippendorff_alpha`: agreement of the experts' totals, interval metric, missing ratings allowed.
- `alpha_reading`: which plain sentence reads a value of α (Krippendorff's own thresholds).
- `spreads`: per DER the standard deviation and max − min of the experts' totals, flagged above
  `fairness.spread_flag`.
- `normalised_view`: each expert's totals as z-scores (experts with at least `fairness.min_ratings`
  ratings), rescaled to the official range; whether that order would change who crosses the cut-off.
- `pattern_flags`: an expert who gave one score everywhere, or only the maximum, or only the minimum.
- `decisive_experts`: an expert whose removal alone changes the selection (leave-one-expert-out,
  with scoring.aggregate / scoring.select themselves).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from pipelines.domain import scoring
from pipelines.domain.models import Decision, Rating, Standing
from pipelines.domain.rules import FairnessRules, ScoringRules

# Krippendorff (2004, 2011): α ≥ .800 to rely on the data, .667 ≤ α < .800 for tentative conclusions only.
ALPHA_RELIABLE = 0.800
ALPHA_TENTATIVE = 0.667


# --- agreement -----------------------------------------------------------------------------------
def krippendorff_alpha(units: Mapping[str, Mapping[str, float | None]]) -> float | None:
    """Krippendorff's α, interval metric: 1 − D_o / D_e over the units rated by at least two coders.

    `units` maps a unit (a DER) to {coder (expert): value (their total)}; a coder who did not rate a
    unit is simply absent (or None). None when α is undefined: fewer than two pairable values, or
    every pairable value equal (D_e = 0)."""
    pairable = [[float(v) for v in coders.values() if v is not None] for coders in units.values()]
    pairable = [vs for vs in pairable if len(vs) >= 2]
    n = sum(len(vs) for vs in pairable)
    if n < 2:
        return None

    def squared_differences(values: list[float]) -> float:  # Σ over ordered pairs i ≠ j of (v_i − v_j)²
        return 2 * (len(values) * sum(v * v for v in values) - sum(values) ** 2)

    observed = sum(squared_differences(vs) / (len(vs) - 1) for vs in pairable) / n
    expected = squared_differences([v for vs in pairable for v in vs]) / (n * (n - 1))
    if expected <= 1e-12:
        return None
    return 1 - observed / expected


def alpha_reading(alpha: float | None) -> str:
    """The message key that reads α in plain words (i18n `fair_alpha_*`)."""
    if alpha is None:
        return "fair_alpha_none"
    if alpha >= ALPHA_RELIABLE:
        return "fair_alpha_high"
    if alpha >= ALPHA_TENTATIVE:
        return "fair_alpha_tentative"
    return "fair_alpha_low"


# --- the score table -----------------------------------------------------------------------------
def score_table(ratings: Iterable[Rating], application_ids: Sequence[str], rules: ScoringRules) -> pd.DataFrame:
    """The counted ratings (scoring.counted_ratings: complete, not recused, the latest) as a table:
    one row per (expert, DER), a column per criterion and `total`."""
    counted = scoring.counted_ratings(ratings, application_ids)
    rows = [
        {
            "expert": r.expert_email.strip().lower(),
            "application_id": app_id,
            **{k: r.scores.get(k) for k in rules.keys},
            "total": sum(r.scores.get(k) or 0 for k in rules.keys),
        }
        for app_id in application_ids
        for r in counted[app_id]
    ]
    return pd.DataFrame(rows, columns=["expert", "application_id", *rules.keys, "total"])


def totals_by_der(table: pd.DataFrame) -> dict[str, dict[str, float]]:
    """DER -> {expert: total}: the units of α."""
    out: dict[str, dict[str, float]] = {}
    for row in table.itertuples(index=False):
        out.setdefault(str(row.application_id), {})[str(row.expert)] = float(row.total)
    return out


# --- spread --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spread:
    application_id: str
    raters: int
    sd: float | None  # sample standard deviation of the experts' totals; None with one rater
    range: float | None  # highest − lowest total; None without ratings
    needs_discussion: bool


def spreads(table: pd.DataFrame, application_ids: Sequence[str], fairness: FairnessRules) -> list[Spread]:
    """Per DER, how far apart its experts' totals are; above `fairness.spread_flag` (max − min) the
    commission should discuss it before signing (9.4: a reasoned decision)."""
    grouped = table.groupby("application_id")["total"]
    out = []
    for app_id in application_ids:
        if app_id not in grouped.groups:
            out.append(Spread(app_id, 0, None, None, False))
            continue
        totals = grouped.get_group(app_id).astype(float)
        sd = float(totals.std(ddof=1)) if len(totals) > 1 else None
        width = float(totals.max() - totals.min())
        out.append(Spread(app_id, len(totals), sd, width, len(totals) > 1 and width > fairness.spread_flag))
    return out


# --- the normalised view -------------------------------------------------------------------------
@dataclass(frozen=True)
class NormalisedView:
    """The DERs' scores once each expert's habits (mean, spread) are taken out: each total as a z-score
    among that expert's totals, rescaled to the points of all totals and kept within the official
    range. Experts with fewer than `min_ratings` ratings keep their own totals."""

    scores: dict[str, float | None]
    normalised_experts: tuple[str, ...]
    kept_experts: tuple[str, ...]  # too few ratings to normalise
    selected: list[str]  # who would cross the cut-off in this view
    official: list[str]
    entering: list[str] = field(default_factory=list)  # selected here, not officially
    leaving: list[str] = field(default_factory=list)  # selected officially, not here

    @property
    def changes_selection(self) -> bool:
        return bool(self.entering or self.leaving)


def official_range(rules: ScoringRules) -> tuple[float, float]:
    """The lowest and highest total an expert can give (form 02: each criterion's min and max)."""
    return float(sum(c.min for c in rules.criteria)), float(sum(c.max for c in rules.criteria))


def normalised_totals(table: pd.DataFrame, rules: ScoringRules, fairness: FairnessRules) -> tuple[pd.Series, set[str]]:
    """Each row's total, normalised where its expert has enough ratings; and those experts."""
    if table.empty:
        return pd.Series(dtype=float), set()
    totals = table["total"].astype(float)
    centre, scale = float(totals.mean()), float(totals.std(ddof=0))
    low, high = official_range(rules)
    counts = table.groupby("expert")["total"].transform("count")
    mean = table.groupby("expert")["total"].transform("mean")
    sd = table.groupby("expert")["total"].transform(lambda s: s.astype(float).std(ddof=0))
    z = ((totals - mean) / sd.where(sd > 0)).fillna(0.0)
    normalised = (centre + z * scale).clip(low, high)
    enough = counts >= fairness.min_ratings
    experts = set(table.loc[enough, "expert"])
    return normalised.where(enough, totals), experts


def normalised_view(
    table: pd.DataFrame,
    application_ids: Sequence[str],
    rules: ScoringRules,
    fairness: FairnessRules,
    *,
    stage: int,
    group: str,
    official: Sequence[str],
    decisions: Iterable[Decision] = (),
) -> NormalisedView:
    """The ranking once each expert's habits are taken out, cut with the stage's own quota and
    tie-break (scoring.select); it never replaces the official ranking (11.2)."""
    values, experts = normalised_totals(table, rules, fairness)
    scores: dict[str, float | None] = {}
    standings = []
    for app_id in application_ids:
        mine = values[table["application_id"] == app_id] if not table.empty else pd.Series(dtype=float)
        if mine.empty:
            scores[app_id] = None
        else:
            scores[app_id] = float(mine.mean()) if rules.aggregate == "mean" else float(mine.sum())
        standings.append(Standing(app_id, scores[app_id], len(mine), {}))
    selected, ties, _waiting = scoring.select(
        scoring.rank(standings), rules.quota(stage), tie_break="none", decisions=decisions, group=group, stage=stage
    )
    selected = selected + [i for t in ties for i in t]  # a tie here is shown, not decided
    everyone = set(table["expert"]) if not table.empty else set()
    return NormalisedView(
        scores=scores,
        normalised_experts=tuple(sorted(experts)),
        kept_experts=tuple(sorted(everyone - experts)),
        selected=selected,
        official=list(official),
        entering=[i for i in selected if i not in official],
        leaving=[i for i in official if i not in selected],
    )


# --- flags a chair must see (13) -----------------------------------------------------------------
@dataclass(frozen=True)
class ExpertFlag:
    expert: str  # e-mail, lower case
    kind: str  # uniform | all_max | all_min | decisive
    ratings: int = 0
    value: int | None = None  # the one score given (uniform, all_max, all_min)
    entering: tuple[str, ...] = ()  # decisive: selected without this expert, not officially
    leaving: tuple[str, ...] = ()  # decisive: selected officially, not without this expert


def pattern_flags(table: pd.DataFrame, rules: ScoringRules) -> list[ExpertFlag]:
    """An expert who gave one score to every criterion of every DER they rated: only the maximum,
    only the minimum, or one other value (the scores say nothing about the DERs)."""
    out = []
    low = {c.min for c in rules.criteria}
    high = {c.max for c in rules.criteria}
    for expert, rows in table.groupby("expert", sort=True):
        values = set(pd.unique(rows[rules.keys].to_numpy().ravel()))
        if len(values) != 1:
            continue
        value = int(next(iter(values)))
        kind = "all_max" if high == {value} else "all_min" if low == {value} else "uniform"
        out.append(ExpertFlag(str(expert), kind, len(rows), value))
    return out


def selection(
    ratings: Iterable[Rating],
    application_ids: Sequence[str],
    rules: ScoringRules,
    *,
    stage: int,
    group: str,
    decisions: Iterable[Decision] = (),
) -> list[str]:
    """Who crosses the cut-off from these ratings, by the product's own rule (scoring.aggregate,
    scoring.select with the configured tie-break and recorded decisions); an undecided tie at the
    cut-off counts as selecting all of its DERs, so that a tie reads as a change."""
    standings = scoring.rank(scoring.aggregate(ratings, application_ids, rules.criteria, rules.aggregate))
    selected, ties, _waiting = scoring.select(
        standings, rules.quota(stage), tie_break=rules.tie_break, decisions=decisions, group=group, stage=stage
    )
    return selected + [i for t in ties for i in t]


def decisive_experts(
    ratings: Sequence[Rating],
    application_ids: Sequence[str],
    rules: ScoringRules,
    *,
    stage: int,
    group: str,
    official: Sequence[str],
    decisions: Iterable[Decision] = (),
) -> list[ExpertFlag]:
    """Leave-one-expert-out: each expert whose ratings, taken away alone, change who is selected."""
    decisions = list(decisions)
    counted = scoring.counted_ratings(ratings, application_ids)
    experts = sorted({r.expert_email.strip().lower() for rs in counted.values() for r in rs})
    out = []
    for expert in experts:
        rest = [r for r in ratings if r.expert_email.strip().lower() != expert]
        without = selection(rest, application_ids, rules, stage=stage, group=group, decisions=decisions)
        entering = tuple(i for i in without if i not in official)
        leaving = tuple(i for i in official if i not in without)
        if entering or leaving:
            n = sum(1 for rs in counted.values() for r in rs if r.expert_email.strip().lower() == expert)
            out.append(ExpertFlag(expert, "decisive", n, None, entering, leaving))
    return out


# --- all of it for one group ---------------------------------------------------------------------
@dataclass(frozen=True)
class GroupFairness:
    stage: int
    group: str
    table: pd.DataFrame
    alpha: float | None
    spreads: list[Spread]
    normalised: NormalisedView
    flags: list[ExpertFlag]

    @property
    def alpha_key(self) -> str:
        return alpha_reading(self.alpha)


def group_fairness(
    *,
    stage: int,
    group: str,
    ratings: Sequence[Rating],
    application_ids: Sequence[str],
    official: Sequence[str],
    rules: ScoringRules,
    fairness: FairnessRules,
    decisions: Iterable[Decision] = (),
) -> GroupFairness:
    """The evidence for one group of one stage, from the ratings its close counted."""
    decisions = list(decisions)
    table = score_table(ratings, application_ids, rules)
    return GroupFairness(
        stage=stage,
        group=group,
        table=table,
        alpha=krippendorff_alpha(totals_by_der(table)),
        spreads=spreads(table, application_ids, fairness),
        normalised=normalised_view(
            table,
            application_ids,
            rules,
            fairness,
            stage=stage,
            group=group,
            official=official,
            decisions=decisions,
        ),
        flags=pattern_flags(table, rules)
        + decisive_experts(
            ratings, application_ids, rules, stage=stage, group=group, official=official, decisions=decisions
        ),
    )


__all__ = [
    "krippendorff_alpha",
    "alpha_reading",
    "score_table",
    "spreads",
    "normalised_view",
    "pattern_flags",
    "decisive_experts",
    "selection",
    "group_fairness",
]
