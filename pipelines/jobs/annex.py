"""The annex "how this ranking was made" beside every protocol extract and the final protocol
(issue 22; 9.4.1, 9.4.2, 11.2-11.3, 13): each expert's scores, the rule used and each recorded
decision, the experts' agreement (Krippendorff's α), spreads and flags, a normalised view, edits after
the freeze, a chart, and the digests that prove the data. The official ranking is never changed.

One .docx per protocol, written with it (paperwork.write_extract / write_final call `write_annex`).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pipelines import i18n
from pipelines.domain import fairness, proof, scoring
from pipelines.domain.fairness import GroupFairness
from pipelines.domain.models import Assignment, Rating, StageOutcome, Standing
from pipelines.formats.chart import ChartRow, ChartText, scores_chart
from pipelines.jobs.common import Run, common_context, rendered, stage_title
from pipelines.ports import DocKey, StoredDoc

CHART_MARKER = "[[chart]]"  # the template's paragraph the chart takes the place of
AGGREGATE_KEYS = {"mean": "doc_how_mean", "sum": "doc_how_sum"}


def product_version() -> str:
    try:
        return version("contest")
    except PackageNotFoundError:  # a checkout run without installing
        return "0+unknown"


RULE_KEYS = {"criteria", "quotas", "scoring", "fairness"}


def config_digest(run: Run) -> str:
    """SHA-256 of the rules a ranking is made under, as the run read them (defaults included): the
    config's criteria, quotas, scoring and fairness keys. Recorded decisions are printed one by one;
    a decision of another group does not change this group's annex."""
    data = run.config.model_dump(mode="json", include=RULE_KEYS)
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def fmt(value: float | None, digits: int = 2) -> str:
    """A number as the documents print it: a decimal comma (kk-KZ, ru-RU)."""
    return "—" if value is None else f"{value:.{digits}f}".replace(".", ",")


# --- what one annex speaks for ---------------------------------------------------------------------
@dataclass
class Scope:
    stage: int
    group: str  # the group's id; "contest" at stage 3
    outcome: StageOutcome
    assignments: list[Assignment]
    ratings: list[Rating]  # the group's ratings by its assigned experts (scoring.assigned_ratings)
    names: dict[str, str]  # expert e-mail (lower case) -> name

    @property
    def application_ids(self) -> list[str]:
        return [s.application_id for s in self.outcome.standings]


def scope(run: Run, stage: int, group: str) -> Scope | None:
    outcome = run.state.outcomes.get((stage, group))
    if outcome is None:
        return None
    assignments = [a for a in run.state.assignments if a.stage == stage and a.group == group]
    ratings = scoring.assigned_ratings(run.state.ratings.get((stage, group), []), assignments, stage=stage, group=group)
    names = {a.expert.email.strip().lower(): a.expert.name for a in assignments}
    return Scope(stage, group, outcome, assignments, ratings, names)


def evidence(run: Run, s: Scope) -> GroupFairness:
    return fairness.group_fairness(
        stage=s.stage,
        group=s.group,
        ratings=s.ratings,
        application_ids=s.application_ids,
        official=s.outcome.selected,
        rules=run.config.scoring_rules(),
        fairness=run.config.fairness_rules(),
        decisions=run.config.domain_decisions(),
    )


# --- the context -----------------------------------------------------------------------------------
def _rule_lines(run: Run, stage: int) -> list[str]:
    config, lang = run.config, run.lang
    how = i18n.text(AGGREGATE_KEYS[config.scoring.aggregate], lang)
    lines = [
        i18n.text("doc_reason_basis", lang, how=how, n=len(config.criteria), min=config.scoring.min_experts),
        i18n.text("fair_rule_quota", lang, quota=config.scoring_rules().quota(stage)),
    ]
    if config.scoring.tie_break.startswith("criterion:"):
        key = config.scoring.tie_break.split(":", 1)[1]
        label = next((c.label(lang) for c in config.criteria if c.key == key), key)
        lines.append(i18n.text("fair_rule_tie_criterion", lang, criterion=label))
    else:
        lines.append(i18n.text("fair_rule_tie_none", lang))
    return lines


def _expert(s: Scope, email: str) -> str:
    return s.names.get(email, email)


def _ders(run: Run, s: Scope, ev: GroupFairness) -> list[dict[str, str]]:
    apps = run.state.counting()
    spread = {x.application_id: x for x in ev.spreads}
    yes, flag = "✓", i18n.text("fair_needs_discussion", run.lang)
    ordered = sorted(s.outcome.standings, key=lambda x: (x.rank is None, x.rank or 0, x.application_id))
    out = []
    for st in ordered:
        i = st.application_id
        sp = spread.get(i)
        out.append(
            {
                "rank": str(st.rank or "—"),
                "id": i,
                "title": apps[i].title if i in apps else i,
                "score": fmt(st.score),
                "raters": str(st.raters),
                "sd": fmt(sp.sd if sp else None),
                "range": fmt(sp.range if sp else None, 0),
                "flag": flag if sp and sp.needs_discussion else "",
                "normalised": fmt(ev.normalised.scores.get(i)),
                "selected_mark": yes if i in s.outcome.selected else "",
            }
        )
    return out


def _ratings(run: Run, s: Scope) -> list[dict[str, str]]:
    """Every assigned expert's row for every DER: the scores in criterion order, the total and
    whether it counted (complete, not recused: scoring.counted_ratings)."""
    keys = run.config.scoring_rules().keys
    counted = scoring.counted_ratings(s.ratings, s.application_ids)
    used = {(r.expert_email.strip().lower(), i) for i, rs in counted.items() for r in rs}
    latest = {(r.expert_email.strip().lower(), r.application_id): r for r in s.ratings}
    yes, no = i18n.text("fair_yes", run.lang), i18n.text("fair_no", run.lang)
    out = []
    for i in s.application_ids:
        for email in sorted({e for e, der in latest if der == i}, key=lambda e: _expert(s, e)):
            r = latest[(email, i)]
            scores = " · ".join("—" if r.scores.get(k) is None else str(r.scores.get(k)) for k in keys)
            out.append(
                {
                    "der": i,
                    "expert": _expert(s, email),
                    "scores": i18n.text("fair_recused", run.lang) if r.recused else scores,
                    "total": "—" if r.total is None or r.recused else str(r.total),
                    "counted": yes if (email, i) in used else no,
                }
            )
    return out


def _alpha_text(run: Run, ev: GroupFairness) -> str:
    lang = run.lang
    raters = ev.table.groupby("application_id").size() if not ev.table.empty else None
    units = int((raters >= 2).sum()) if raters is not None else 0
    experts = int(ev.table["expert"].nunique()) if not ev.table.empty else 0
    head = i18n.text("fair_alpha_line", lang, alpha=fmt(ev.alpha, 3), ders=units, experts=experts)
    return head + " " + i18n.text(ev.alpha_key, lang)


def _normalised_lines(run: Run, s: Scope, ev: GroupFairness) -> list[str]:
    lang, view, rules = run.lang, ev.normalised, run.config.fairness_rules()
    if not view.normalised_experts:
        return [i18n.text("fair_normalised_none", lang, min=rules.min_ratings)]
    lines = [
        i18n.text(
            "fair_normalised_basis",
            lang,
            min=rules.min_ratings,
            experts=", ".join(_expert(s, e) for e in view.normalised_experts),
        )
    ]
    if view.kept_experts:
        lines.append(
            i18n.text("fair_normalised_kept", lang, experts=", ".join(_expert(s, e) for e in view.kept_experts))
        )
    if view.changes_selection:
        lines.append(
            i18n.text(
                "fair_normalised_changes",
                lang,
                entering=", ".join(view.entering) or "—",
                leaving=", ".join(view.leaving) or "—",
            )
        )
    else:
        lines.append(i18n.text("fair_normalised_same", lang))
    return lines


def _flags(run: Run, s: Scope, ev: GroupFairness) -> list[str]:
    lang = run.lang
    out = []
    for f in ev.flags:
        who = _expert(s, f.expert)
        if f.kind == "decisive":
            out.append(
                i18n.text(
                    "fair_flag_decisive",
                    lang,
                    expert=who,
                    entering=", ".join(f.entering) or "—",
                    leaving=", ".join(f.leaving) or "—",
                )
            )
        else:
            out.append(i18n.text(f"fair_flag_{f.kind}", lang, expert=who, value=f.value, n=f.ratings))
    out += [
        i18n.text("fair_flag_spread", lang, der=x.application_id, range=fmt(x.range, 0))
        for x in ev.spreads
        if x.needs_discussion
    ]
    return out


def proof_digests(run: Run, s: Scope) -> tuple[str, dict[str, str]]:
    """(the group's scores digest, {sheet id: its scores digest}): what the journal chains at the close."""
    keys = run.config.scoring_rules().keys
    sheets = {
        a.sheet_id: proof.scores_digest(
            [r for r in s.ratings if r.expert_email.strip().lower() == a.expert.email.strip().lower()], keys
        )
        for a in s.assignments
    }
    return proof.scores_digest(s.ratings, keys), sheets


def short_digest(digest: str) -> str:
    """A digest as a footer prints it (the annex prints it whole)."""
    return digest[:16]


def footer_digest(run: Run, stage: int, group: str) -> str:
    """The footer line of a protocol (extract or final): the short scores digest its annex prints
    and the close's journal link carries, and "see the annex"; "" when the group has no outcome."""
    s = scope(run, stage, group)
    if s is None:
        return ""
    digest, _sheets = proof_digests(run, s)
    return i18n.text("fair_footer_digest", run.lang, digest=short_digest(digest))


def chart_png(run: Run, stage: int, group: str, label: Callable[[Standing], str] | None = None) -> bytes | None:
    """The chart of a group's (stage 3: the finalists') scores, as its annex draws it; `label` names
    each row (default: the DER's id, as the annex's tables do)."""
    s = scope(run, stage, group)
    return None if s is None else _chart(run, s, evidence(run, s), label)


def _chart(run: Run, s: Scope, ev: GroupFairness, label: Callable[[Standing], str] | None = None) -> bytes | None:
    if ev.table.empty:
        return None
    lang, rules = run.lang, run.config.scoring_rules()
    rows = []
    ordered = sorted(s.outcome.standings, key=lambda x: (x.rank is None, x.rank or 0, x.application_id))
    for st in ordered:
        mine = ev.table[ev.table["application_id"] == st.application_id]
        totals = {_expert(s, str(e)): float(t) for e, t in zip(mine["expert"], mine["total"])}
        mean = float(mine["total"].mean()) if not mine.empty else None
        name = label(st) if label else st.application_id
        rows.append(ChartRow(name, mean, totals, st.application_id in s.outcome.selected))
    low, high = fairness.official_range(rules)
    text = ChartText(
        title=i18n.text("fair_chart_title", lang),
        axis=i18n.text("fair_chart_axis", lang, low=int(low), high=int(high)),
        bar=i18n.text("fair_chart_bar", lang),
        selected=i18n.text("fair_chart_selected", lang),
        spread=i18n.text("fair_chart_spread", lang),
    )
    return scores_chart(rows, text, low, high)


def annex_context(run: Run, s: Scope, unit_name: str) -> tuple[dict[str, Any], bytes | None]:
    """The annex's context and its chart (PNG; None without a counted rating)."""
    from pipelines.jobs import paperwork

    lang, config = run.lang, run.config
    ev = evidence(run, s)
    digest, sheets = proof_digests(run, s)
    cfg, ver = config_digest(run), product_version()
    title_key = "fair_title_final" if s.stage == 3 else "fair_title_extract"
    legend = "; ".join(f"{n} — {c.label(lang)}" for n, c in enumerate(config.criteria, start=1))
    names = {a.sheet_id: a.expert.name for a in s.assignments}
    context = {
        # dated as its protocol (its meeting), so that writing it again with the same data changes nothing
        **common_context(config, paperwork._meeting(run, s.stage, None if s.stage == 3 else s.group)["meeting_date"]),
        "protocol_title": i18n.text(title_key, lang, stage=stage_title(s.stage, lang)),
        "unit_name": unit_name,
        "rule_lines": _rule_lines(run, s.stage),
        "ders": _ders(run, s, ev),
        "spread_note": i18n.text("fair_spread_note", lang, flag=fmt(config.fairness.spread_flag, 0)),
        "criteria_legend": i18n.text("fair_criteria_legend", lang, legend=legend),
        "ratings": _ratings(run, s),
        "alpha_text": _alpha_text(run, ev),
        "normalised_lines": _normalised_lines(run, s, ev),
        "flags": _flags(run, s, ev),
        "decisions": paperwork._decisions(run, s.stage, None if s.stage == 3 else s.group),
        "post_freeze_edits": paperwork.freeze_annex(run, s.stage, None if s.stage == 3 else s.group),
        "chart_caption": i18n.text("fair_chart_caption", lang),
        "chart_marker": CHART_MARKER,
        "proof_lines": [
            i18n.text("fair_proof_scores", lang, digest=digest),
            *[
                i18n.text("fair_proof_sheet", lang, expert=names.get(sheet, sheet), digest=d)
                for sheet, d in sorted(sheets.items(), key=lambda x: names.get(x[0], x[0]))
            ],
            i18n.text("fair_proof_config", lang, digest=cfg),
            i18n.text("fair_proof_version", lang, version=ver),
            i18n.text("fair_proof_verify", lang),
        ],
        "footer_proof": i18n.text("fair_footer_proof", lang, digest=short_digest(digest), config=cfg[:12], version=ver),
    }
    return context, _chart(run, s, ev)


def with_chart(docx: bytes, png: bytes | None) -> bytes:
    """The rendered annex with the chart in place of its marker paragraph (or the marker removed)."""
    from docx import Document
    from docx.shared import Cm

    doc = Document(io.BytesIO(docx))
    section = doc.sections[0]
    text_width = (section.page_width or 0) - (section.left_margin or 0) - (section.right_margin or 0)
    width = min(Cm(19), text_width) if text_width > 0 else Cm(19)  # within the margins (portrait results)
    for p in doc.paragraphs:
        if p.text.strip() == CHART_MARKER:
            for run in p.runs:
                run.text = ""
            if png is not None:
                (p.runs[0] if p.runs else p.add_run()).add_picture(io.BytesIO(png), width=width)
            break
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _suffix(version: int) -> str:
    return "" if version == 1 else f"_v{version}"


def write_annex(run: Run, stage: int, group: str, unit_name: str, version: int = 1) -> StoredDoc | None:
    """The annex of the protocol extract (stage 1, 2) or the final protocol (stage 3) of one group,
    as a .docx beside it, in the same version."""
    s = scope(run, stage, group)
    if s is None:
        return None
    context, png = annex_context(run, s, unit_name)
    source, render = rendered("annex", run.lang, context)
    chart_digest = hashlib.sha256(png or b"").hexdigest()
    source = hashlib.sha256((source + chart_digest).encode()).hexdigest()
    make: Callable[[], bytes] = lambda: with_chart(render(), png)  # noqa: E731
    if stage == 3:
        folder, name = ["stage-3", "contest"], f"final_protocol_annex{_suffix(version)}.docx"
    else:
        folder, name = [f"stage-{stage}", group], f"protocol_extract_s{stage}_{group}_annex{_suffix(version)}.docx"
    key = DocKey(run.edition_key, "annex", stage, group, "-", version)
    return run.workspace.drive.put(key, folder, name, make, source=source)
