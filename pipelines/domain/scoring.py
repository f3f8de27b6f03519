"""From experts' form 02 points to a group's ranking and selection (9.4, 11.2, 11.3, 9.10).

Pure: no I/O. Each rule is one small function citing its clause.

- `aggregate`: the rating score of each DER from its complete ratings (11.2).
- `rank`: highest first, ties share a rank (11.3).
- `select`: the quota of a stage; a tie across the cut-off is never broken silently (9.4.1, 9.4.2, 11.3).
- `close_group`: all of it for one group, with completeness, disqualification and recorded decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from pipelines.domain.models import (
    Application,
    Assignment,
    Decision,
    Group,
    Notice,
    Problem,
    Rating,
    StageOutcome,
    Standing,
    Status,
)
from pipelines.domain.rules import Criterion, ScoringRules


# --- aggregate and rank (11.2, 11.3) -----------------------------------------------------------
def _keys(criteria: Iterable[Criterion | str]) -> list[str]:
    return [c if isinstance(c, str) else c.key for c in criteria]


def counted_ratings(ratings: Iterable[Rating], application_ids: Iterable[str]) -> dict[str, list[Rating]]:
    """Only complete ratings count, one per expert and DER, the last given (11.2, form 02); never
    one the expert stood aside from (Rating.recused, 13)."""
    wanted = set(application_ids)
    latest: dict[tuple[str, str], Rating] = {}
    for r in ratings:
        if r.application_id in wanted:
            latest[(r.expert_email.strip().lower(), r.application_id)] = r
    out: dict[str, list[Rating]] = {i: [] for i in wanted}
    for r in latest.values():
        if r.complete and not r.recused:
            out[r.application_id].append(r)
    return out


def aggregate(
    ratings: Iterable[Rating], applications_ids: Sequence[str], criteria: Iterable[Criterion | str], how: str = "mean"
) -> list[Standing]:
    """The rating score of each DER from the experts' points: mean or sum of expert totals (11.2)."""
    if how not in ("mean", "sum"):
        raise ValueError(f"aggregate must be 'mean' or 'sum', not {how!r}")
    keys = _keys(criteria)
    counted = counted_ratings(ratings, applications_ids)
    standings = []
    for app_id in applications_ids:
        rs = counted[app_id]
        if not rs:
            standings.append(Standing(app_id, None, 0, {}))
            continue
        totals = [sum(r.scores.get(k) or 0 for k in keys) for r in rs]
        score = sum(totals) / len(totals) if how == "mean" else float(sum(totals))
        means = {k: sum(r.scores.get(k) or 0 for r in rs) / len(rs) for k in keys}
        standings.append(Standing(app_id, score, len(rs), means))
    return standings


def rank(standings: Iterable[Standing]) -> list[Standing]:
    """Highest score first; equal scores share a rank (1, 2, 2, 4); unscored last, unranked (11.3)."""
    scored = sorted((s for s in standings if s.score is not None), key=lambda s: -s.score)  # type: ignore[operator]
    out: list[Standing] = []
    for i, s in enumerate(scored):
        shared = i > 0 and s.score == scored[i - 1].score
        out.append(replace(s, rank=out[-1].rank if shared else i + 1))
    return out + [replace(s, rank=None) for s in standings if s.score is None]


# --- selection (9.4.1, 9.4.2, 11.3) ------------------------------------------------------------
def quota_for(stage: int, rules: ScoringRules) -> int:
    """Up to 3 per department (9.4.1), the 2 best per faculty (9.4.2), the prize places (11.3, 11.5)."""
    return rules.quota(stage)


def break_by_criterion(tied: list[Standing], tie_break: str) -> list[list[Standing]]:
    """scoring.tie_break "criterion:<key>": the higher mean on that criterion goes first (11.3).

    Returns the tied DERs as ordered blocks; DERs still equal share a block."""
    if not tie_break.startswith("criterion:"):
        return [tied]
    key = tie_break.split(":", 1)[1]
    blocks: list[list[Standing]] = []
    for s in sorted(tied, key=lambda s: -s.criterion_means.get(key, 0.0)):
        if blocks and blocks[-1][0].criterion_means.get(key, 0.0) == s.criterion_means.get(key, 0.0):
            blocks[-1].append(s)
        else:
            blocks.append([s])
    return blocks


def tie_decision(decisions: Iterable[Decision], ids: list[str], *, stage: int, group: str) -> Decision | None:
    """The commission's recorded tie_break decision covering these tied DERs, the latest one (9.4, 11.3)."""
    found = [
        d
        for d in decisions
        if d.kind == "tie_break" and d.stage == stage and d.group == group and set(ids) <= set(d.applications)
    ]
    return max(found, key=lambda d: d.at) if found else None


def _select(
    standings: Iterable[Standing], quota: int, *, tie_break: str, decisions: Iterable[Decision], group: str, stage: int
) -> tuple[list[str], list[list[str]], list[Notice], Decision | None]:
    ranked = [s for s in rank(standings) if s.score is not None]
    if len(ranked) <= quota:
        return [s.application_id for s in ranked], [], [], None
    cut = ranked[quota - 1].score
    if ranked[quota].score != cut:
        return [s.application_id for s in ranked[:quota]], [], [], None
    selected = [s.application_id for s in ranked if s.score > cut]  # type: ignore[operator]
    places = quota - len(selected)
    tied = [s for s in ranked if s.score == cut]
    for block in break_by_criterion(tied, tie_break):
        if places <= 0:
            break
        if len(block) <= places:
            selected += [s.application_id for s in block]
            places -= len(block)
            continue
        ids = [s.application_id for s in block]
        decision = tie_decision(decisions, ids, stage=stage, group=group)
        if decision is not None:
            selected += [i for i in decision.order if i in ids][:places]
            return selected, [], [], decision
        key = "tie_at_cutoff" if tie_break == "none" else "tie_at_cutoff_criterion"
        waiting = Notice(
            key,
            stage=stage,
            group=group,
            ids=", ".join(ids),
            score=f"{cut:g}",
            places=places,
            quota=quota,
        )
        return selected, [ids], [waiting], None
    return selected, [], [], None


def order_places(
    standings: Iterable[Standing],
    selected: list[str],
    *,
    tie_break: str,
    decisions: Iterable[Decision],
    group: str,
    stage: int,
) -> tuple[list[str], list[list[str]], list[Notice], list[Decision]]:
    """11.3, 11.5: prize places follow the score; winners with equal scores are not given places by
    row order — the tie-break criterion, then a recorded decision orders them, or the stage waits."""
    by_id = {s.application_id: s for s in standings}
    ordered: list[str] = []
    ties: list[list[str]] = []
    waiting: list[Notice] = []
    used: list[Decision] = []
    blocks: list[list[Standing]] = []
    for app_id in selected:
        s = by_id[app_id]
        if blocks and blocks[-1][0].score == s.score:
            blocks[-1].append(s)
        else:
            blocks.append([s])
    for block in blocks:
        for part in break_by_criterion(block, tie_break) if len(block) > 1 else [block]:
            ids = [s.application_id for s in part]
            if len(part) == 1:
                ordered += ids
                continue
            decision = tie_decision(decisions, ids, stage=stage, group=group)
            if decision is not None:
                ordered += [i for i in decision.order if i in ids]
                used.append(decision)
                continue
            place = len(ordered) + 1
            ordered += ids
            ties.append(ids)
            waiting.append(
                Notice(
                    "tie_for_places",
                    stage=stage,
                    group=group,
                    ids=", ".join(ids),
                    score=f"{part[0].score:g}",
                    first=place,
                    last=place + len(ids) - 1,
                )
            )
    return ordered, ties, waiting, used


def select(
    standings: Iterable[Standing],
    quota: int,
    *,
    tie_break: str = "none",
    decisions: Iterable[Decision] = (),
    group: str,
    stage: int,
) -> tuple[list[str], list[list[str]], list[Notice]]:
    """The best `quota` DERs in order (9.4.1: 3, 9.4.2: 2, 11.3: prize places).

    A tie across the cut-off is settled by the tie-break criterion, then by a recorded decision;
    otherwise its DERs go to `ties`, a sentence to `waiting`, and none of them is selected.
    """
    selected, ties, waiting, _ = _select(
        standings, quota, tie_break=tie_break, decisions=decisions, group=group, stage=stage
    )
    return selected, ties, waiting


# --- closing a group (9.4, 9.10, 11.2, 11.3) ---------------------------------------------------
def disqualified(applications: Iterable[Application], decisions: Iterable[Decision]) -> tuple[set[str], list[Decision]]:
    """DERs disqualified by a recorded decision at any stage, or already marked so (9.10)."""
    ids = {a.id for a in applications}
    found = [d for d in decisions if d.kind == "disqualify" and ids & set(d.applications)]
    out = {a.id for a in applications if a.status is Status.DISQUALIFIED}
    return out | (ids & {i for d in found for i in d.applications}), found


def assigned_ratings(
    ratings: Iterable[Rating], assignments: Iterable[Assignment], *, stage: int, group: str
) -> list[Rating]:
    """Only points of an expert assigned to that DER count: never a conflicted expert's (13, 9.4)."""
    allowed = {
        (a.expert.email.strip().lower(), i)
        for a in assignments
        if a.stage == stage and a.group == group
        for i in a.application_ids
    }
    return [r for r in ratings if (r.expert_email.strip().lower(), r.application_id) in allowed]


def close_incomplete_decision(
    decisions: Iterable[Decision], *, stage: int, group: str, application_id: str
) -> Decision | None:
    """A recorded decision to close the group without the quorum for this DER (9.4, 11.2).

    A decision with an empty `applications` list covers the whole group."""
    for d in decisions:
        if (
            d.kind == "close_incomplete"
            and d.stage == stage
            and d.group == group
            and (not d.applications or application_id in d.applications)
        ):
            return d
    return None


def missing_ratings(
    app: Application,
    counted: list[Rating],
    assignments: Iterable[Assignment],
    *,
    stage: int,
    group: str,
    min_experts: int,
    recused: Iterable[str] = (),
) -> Notice | None:
    """A DER needs `min_experts` complete ratings before its group closes (11.2, form 02); an expert
    who stood aside (13) is not waited for: the quorum is checked without them."""
    if len(counted) >= min_experts:
        return None
    done = {r.expert_email.strip().lower() for r in counted} | {e.strip().lower() for e in recused}
    missing = [
        f"{a.expert.name} <{a.expert.email}>"
        for a in assignments
        if a.stage == stage
        and a.group == group
        and app.id in a.application_ids
        and a.expert.email.strip().lower() not in done
    ]
    values = dict(
        stage=stage,
        group=group,
        id=app.id,
        title=app.title,
        count=len(counted),
        needed=min_experts,
        who=", ".join(missing),
        # the two ways out, as the lines CDB adds to contest.yaml
        decision=(
            f"`decisions: [{{kind: close_incomplete, stage: {stage}, group: {group}, applications: [{app.id}], "
            f'by: "…", at: "YYYY-MM-DD HH:MM", reason: "…"}}]`'
        ),  # quoted as code: typed as it is
        deadline_key=f"calendar.stage{stage}_close",
    )
    if missing:
        return Notice("missing_ratings", **values)
    return Notice("missing_ratings_nobody", **values)


def close_group(
    *,
    stage: int,
    group: Group | str,
    applications: list[Application],
    assignments: list[Assignment],
    ratings: list[Rating],
    problems: list[Problem],
    rules: ScoringRules,
    decisions: Iterable[Decision] = (),
) -> StageOutcome:
    """Rank one group and pick its quota (9.4.1, 9.4.2; winners 9.4.3, 11.2, 11.3), minus the
    disqualified (9.10). Stage 3: `selected` are the prize winners, place 1 first.

    `decisions` are the commission's recorded ones. While a DER lacks its quorum (and no close_incomplete
    decision covers it) nothing is selected and `waiting` says who has not finished.
    """
    gid = group.id if isinstance(group, Group) else group
    decisions = list(decisions)
    out_ids, used = disqualified(applications, decisions)
    competing = [a for a in applications if a.id not in out_ids]
    ids = [a.id for a in competing]
    mine = assigned_ratings(ratings, assignments, stage=stage, group=gid)
    counted = counted_ratings(mine, ids)
    waiting: list[Notice] = []
    for app in competing:
        aside = [r.expert_email for r in mine if r.application_id == app.id and r.recused]
        gap = missing_ratings(
            app, counted[app.id], assignments, stage=stage, group=gid, min_experts=rules.min_experts, recused=aside
        )
        if gap is None:
            continue
        decision = close_incomplete_decision(decisions, stage=stage, group=gid, application_id=app.id)
        if decision is None:
            waiting.append(gap)
        elif decision not in used:
            used.append(decision)
    standings = rank(aggregate(mine, ids, rules.criteria, rules.aggregate))
    selected: list[str] = []
    ties: list[list[str]] = []
    if not waiting:
        selected, ties, tie_waiting, tie_used = _select(
            standings, rules.quota(stage), tie_break=rules.tie_break, decisions=decisions, group=gid, stage=stage
        )
        waiting += tie_waiting
        if tie_used is not None:
            used.append(tie_used)
        if stage == 3 and not waiting:  # the winners' places, not only who wins (11.3)
            selected, ties, place_waiting, place_used = order_places(
                standings, selected, tie_break=rules.tie_break, decisions=decisions, group=gid, stage=stage
            )
            waiting += place_waiting
            used += [d for d in place_used if d not in used]
    tied = {i for t in ties for i in t}
    for s in standings:
        s.selected = s.application_id in selected
        s.tied_at_cutoff = s.application_id in tied
    return StageOutcome(
        stage=stage,
        group=gid,
        standings=standings,
        selected=selected,
        ties=ties,
        problems=list(problems),
        waiting=waiting,
        decisions=used,
    )


__all__ = [
    "aggregate",
    "rank",
    "select",
    "order_places",
    "close_group",
    "quota_for",
    "break_by_criterion",
    "tie_decision",
    "disqualified",
    "assigned_ratings",
    "close_incomplete_decision",
    "missing_ratings",
    "counted_ratings",
]
