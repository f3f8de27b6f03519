"""The documents the contest leaves: form 01 letters, protocol extracts, each expert's form 02, the
final protocol and the published results (9.7, 9.11, 11.4, 13.2). Contexts are built from the
edition's in-memory state, so any document can be written again identically."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from pipelines import i18n
from pipelines.config import Config
from pipelines.domain import intake as rules
from pipelines.domain import text
from pipelines.domain.authors import printed_names
from pipelines.domain.models import Application, Assignment, Decision, Group, Notice, Problem, Rating, Standing
from pipelines.domain.scoring import counted_ratings
from pipelines.formats.rating_sheet import worded_criterion
from pipelines.jobs.common import Run, common_context, fmt_date, fmt_time, rendered, stage_title
from pipelines.ports import BackendError, DocKey, StoredDoc

COMMISSION_KEYS = {1: "doc_commission_1", 2: "doc_commission_2"}
DECISION_KIND_KEYS = {
    "tie_break": "doc_kind_tie_break",
    "close_incomplete": "doc_kind_close_incomplete",
    "disqualify": "doc_kind_disqualify",
    "reinstate": "doc_kind_reinstate",
    "replace": "doc_kind_replace",
}
AGGREGATE_KEYS = {"mean": "doc_how_mean", "sum": "doc_how_sum"}
BLANK = "____________"
BLANK_DATE = {"kk": "«___» ________ 20___ ж.", "ru": "«___» ________ 20___ г."}


def fmt_number(value: float | None) -> str:
    """A score as the documents print it: two decimals and a decimal comma (kk-KZ, ru-RU)."""
    return "—" if value is None else f"{value:.2f}".replace(".", ",")


def form01_context(run: Run, app: Application) -> dict:
    config, r = run.config, app.response
    faculty_name = department_name = ""
    if app.department_id and app.department_id in config.departments():
        faculty, department = config.departments()[app.department_id]
        faculty_name, department_name = faculty.name(run.lang), department.name(run.lang)
    codes, _unknown = rules.language_codes(r.languages)
    names = {
        "kk": {"kk": "қазақ", "ru": "орыс", "en": "ағылшын"},
        "ru": {"kk": "казахский", "ru": "русский", "en": "английский"},
    }[run.lang]
    return {
        **common_context(config, fmt_date(r.submitted_at, config)),
        "application_id": app.id,
        "faculty": faculty_name or r.faculty,
        "department": department_name or r.department,
        "title": r.title,
        "authors": [{"name": a.name, "position": a.position, "contact": a.contact} for a in r.authors]
        or [{"name": n, "position": "", "contact": ""} for n in printed_names(r.authors, r.authors_raw)],
        "languages": ", ".join(names.get(c, c) for c in codes) or ", ".join(r.languages),
        "der_type": r.der_type,
        "justification": r.justification,
        "link": r.link,
        "act_files": list(r.act_files),
        "certificate_files": list(r.certificate_files),
        "submitted_at": fmt_time(r.submitted_at, config),
        "head_of_department": "",
    }


def form01_folder(app: Application) -> list[str]:
    return ["intake", app.faculty_id or "unknown", app.department_id or "unknown"]


def write_form01(run: Run, app: Application, folder: list[str], kind: str = "form01", stage: int = 0) -> StoredDoc:
    source, render = rendered("form01", run.lang, form01_context(run, app))
    key = DocKey(run.edition_key, kind, stage, app.department_id or "-", app.id)
    return run.workspace.drive.put(key, folder, f"form01_{app.id}.docx", render, source=source)


def _apps(run: Run) -> dict[str, Application]:
    return run.state.counting()


def _standings(run: Run, stage: int, group: str | None = None) -> list[Standing]:
    """The ranking of one group (or of the whole stage), from the in-memory outcome: best first."""
    found = [s for o in run.state.outcomes_of(stage) if group is None or o.group == group for s in o.standings]
    return sorted(found, key=lambda s: (s.rank is None, s.rank or 0))


def _selected(run: Run, stage: int, group: str | None = None) -> list[str]:
    return [i for o in run.state.outcomes_of(stage) if group is None or o.group == group for i in o.selected]


def _unit_ders(run: Run, stage: int, group: str | None) -> set[str]:
    """The DERs a protocol speaks for: the department's (stage 1), the faculty's (stage 2), the
    finalists' (stage 3: those the faculties sent, whatever happened to them since)."""
    if stage == 1:
        return {i for i, a in _apps(run).items() if a.department_id == group}
    if stage == 2:
        return {i for i, a in _apps(run).items() if a.faculty_id == group}
    return {s.application_id for s in _standings(run, 3)} | set(_selected(run, 2))


def _put(
    run: Run,
    kind: str,
    stage: int,
    group: str,
    subject: str,
    folder: list[str],
    filename: str,
    context: dict[str, Any],
    version: int = 1,
):
    source, render = rendered(kind, run.lang, context)
    return run.workspace.drive.put(
        DocKey(run.edition_key, kind, stage, group, subject, version), folder, filename, render, source=source
    )


def _label(app_id: str, apps: dict[str, Application]) -> str:
    """A DER as a protocol names it: its id with its title beside it."""
    app = apps.get(app_id)
    return f"{app_id} «{app.title}»" if app else app_id


def _group_decisions(run: Run, stage: int, group: str | None) -> list[tuple[Decision, Any]]:
    """The recorded decisions a protocol speaks for, each with the vote recorded beside it: its own
    tie-breaks and incomplete closes, and disqualifications (9.10) of its own DERs only."""
    ders = _unit_ders(run, stage, group)
    out = []
    for d, raw in zip(run.config.domain_decisions(), run.config.decisions):
        if d.kind == "disqualify":
            if not ders & set(d.applications):
                continue
        elif not (d.stage == stage and (group is None or d.group == group)):
            continue
        out.append((d, raw.votes))
    return out


def _decisions(run: Run, stage: int, group: str | None) -> list[dict[str, str]]:
    """The decisions table: what, by whom, when and why, each DER named with its title."""
    apps = _apps(run)
    out = []
    for d, _votes in _group_decisions(run, stage, group):
        ids = d.order if d.kind == "tie_break" and d.order else d.applications
        which = (" › " if d.kind == "tie_break" else "; ").join(_label(i, apps) for i in ids)
        kind = i18n.text(DECISION_KIND_KEYS[d.kind], run.lang)
        out.append(
            {
                "kind": f"{kind}: {which}" if which else kind,
                "by": d.by,
                "at": fmt_date(d.at, run.config),
                "reason": d.reason,
            }
        )
    return out


def meeting_body(stage: int, unit_name: str, lang: str) -> str:
    """Who decided, as the extract's decision names it: the department's meeting (stage 1) or the
    faculty's expert commission (stage 2), the unit's name as the config writes it, its word once."""
    of = text.unit_genitive(unit_name, "department" if stage == 1 else "faculty", lang)
    body = i18n.text(f"doc_body_{stage}", lang, unit=of)
    return body[:1].upper() + body[1:]


def _votes_text(votes: Any, lang: str) -> str:
    return i18n.word(_votes(votes), lang)


def _commission(run: Run, stage: int, group_id: str) -> list:
    c = run.config.commissions
    return {1: c.departments.get(group_id, []), 2: c.faculties.get(group_id, []), 3: c.contest}[stage]


def _ratings(run: Run, stage: int, group_id: str | None) -> list[Rating]:
    return [
        r for (s, g), rs in run.state.ratings.items() if s == stage and (group_id is None or g == group_id) for r in rs
    ]


def _recusals(run: Run, stage: int, group_id: str | None) -> dict[str, list[str]]:
    """expert e-mail -> the DERs the expert stood aside from (13): marked "I do not rate this" in
    the sheet, or not given the DER at all (an author's own DER, a declared conflict)."""
    out: dict[str, list[str]] = {}
    for r in _ratings(run, stage, group_id):
        if r.recused:
            out.setdefault(r.expert_email.strip().lower(), []).append(r.application_id)
    for email, ders in _not_assigned(run, stage, group_id).items():
        out.setdefault(email, []).extend(i for i in ders if i not in out.get(email, []))
    return out


def _not_assigned(run: Run, stage: int, group_id: str | None) -> dict[str, list[str]]:
    """expert e-mail -> the group's DERs the assignment did not give the expert (stood aside, 13)."""
    groups: dict[str, list[Assignment]] = {}
    for a in run.state.assignments:
        if a.stage == stage and (group_id is None or a.group == group_id):
            groups.setdefault(a.group, []).append(a)
    out: dict[str, list[str]] = {}
    for sheets in groups.values():
        ders = sorted({i for a in sheets for i in a.application_ids})
        for a in sheets:
            aside = [i for i in ders if i not in a.application_ids]
            if aside:
                out.setdefault(a.expert.email.strip().lower(), []).extend(aside)
    return out


def _meeting(run: Run, stage: int, group_id: str | None) -> dict[str, Any]:
    """The meeting's record: the config's (`meetings:`), with the defaults the minutes need."""
    config, lang = run.config, run.lang
    m = config.meeting(stage, group_id)
    members = _commission(run, stage, group_id or "contest")
    chair = m.chair or (config.commissions.chair if stage == 3 else "") or ""
    when = m.date
    if when is None:  # the deadline, or the latest decision it took: never before its own decisions
        when = max([config.calendar.stage_close(stage)] + [d.at for d, _v in _group_decisions(run, stage, group_id)])
    recused = _recusals(run, stage, group_id)
    apps = _apps(run)
    names = list(m.attendees) or [x.name for x in members]
    if chair and chair not in names:
        names.insert(0, chair)
    if m.secretary and m.secretary not in names:
        names.append(m.secretary)
    by_name = {x.name: x for x in members}
    attendees = []
    for name in names:
        key = "doc_role_chair" if name == chair else "doc_role_secretary" if name == m.secretary else "doc_member"
        member = by_name.get(name)
        aside = recused.get(member.email.strip().lower(), []) if member else []
        note = i18n.text("doc_recused_note", lang, ders="; ".join(_label(i, apps) for i in aside)) if aside else ""
        attendees.append({"name": name, "role": i18n.text(key, lang), "note": note})
    heads = [a for a in attendees if a["name"] == chair] + [a for a in attendees if a["name"] == m.secretary]
    return {
        "protocol_number": m.number or BLANK,
        "meeting_date": fmt_date(when, config),
        "chair": chair or BLANK,
        "secretary": m.secretary or BLANK,
        "members": [{"name": a["name"], "role": "; ".join(x for x in (a["role"], a["note"]) if x)} for a in attendees],
        "signers": heads + [a for a in attendees if a not in heads],
        "present": len(attendees),
        "total": len({x.name for x in members} | ({chair} if chair else set())),
        "votes": m.votes,
    }


MEETING_KEYS = ("protocol_number", "meeting_date", "chair", "secretary", "members", "signers")


def _order(run: Run, stage: int, group_id: str | None) -> list[Standing]:
    """The ranking as the commission decided it: by rank and, within a shared rank, in the order
    of the selection (a tie-break decision's order, the places), then in the decision's order."""
    standings = _standings(run, stage, group_id)
    selected = _selected(run, stage, group_id)
    decided = [i for d, _v in _group_decisions(run, stage, group_id) if d.kind == "tie_break" for i in d.order]

    def key(s: Standing) -> tuple:
        i = s.application_id
        within = selected.index(i) if i in selected else len(selected) + (decided.index(i) if i in decided else 0)
        return (s.rank is None, s.rank or 0, i not in selected, within)

    return sorted(standings, key=key)


# --- the reasoned decision: facts first, words from the catalogue ----------------------------------
@dataclass(frozen=True)
class Rater:
    """One expert of a DER's group as the decision saw them: counted, or not and why."""

    name: str
    email: str
    counted: bool
    why: str = ""  # when not counted: recused | aside | none | incomplete
    missing: int = 0  # criteria left unscored (incomplete)
    criteria: int = 0


@dataclass(frozen=True)
class DerFacts:
    id: str
    title: str
    score: float | None
    raters: tuple[Rater, ...]


@dataclass(frozen=True)
class DecisionFacts:
    """A recorded decision the protocol speaks for (9.10, 11.3, 13): what it decided, by whom, when,
    why, and the vote recorded beside it."""

    kind: str  # tie_break | close_incomplete | disqualify
    ders: tuple[str, ...]  # as the decision names them (a disqualification: this protocol's own)
    order: tuple[str, ...]  # a tie-break's order
    score: float | None  # the score a tie-break's DERs share
    by: str
    at: str
    reason: str
    votes: Any = None  # config Votes, or None when the minutes record none


@dataclass(frozen=True)
class CriterionTie:
    """DERs on the same score ordered by the configured tie-break criterion (11.3)."""

    score: float
    criterion: str  # its label in the edition's language
    ders: tuple[str, ...]


@dataclass(frozen=True)
class Account:
    """What happened in one group (or the final), as facts: how the score is made, who was counted
    for each DER and who was not and why, the decisions taken and the ties a criterion settled. The
    protocol's reasoned decision is worded from it by `reasoning` (the texts: sheets_schema/messages.yaml)."""

    aggregate: str  # mean | sum
    criteria: int
    min_experts: int
    ders: tuple[DerFacts, ...]
    decisions: tuple[DecisionFacts, ...]
    criterion_ties: tuple[CriterionTie, ...]
    titles: dict[str, str] = field(default_factory=dict)  # DER id -> title, for naming them

    def as_context(self) -> dict[str, Any]:
        """The account as a document's context holds it: plain values, scores as printed."""
        data = asdict(self)
        for der in data["ders"]:
            der["score"] = fmt_number(der["score"])
        for d, decision in zip(data["decisions"], self.decisions):
            d["score"] = fmt_number(d["score"])
            v = decision.votes
            d["votes"] = None if v is None else {"yes": v.yes, "against": v.against, "abstained": v.abstained}
        for t in data["criterion_ties"]:
            t["score"] = fmt_number(t["score"])
        return data


def _rater(email: str, name: str, rating: Rating | None, counted: bool) -> Rater:
    if counted:
        return Rater(name, email, True)
    if rating is not None and rating.recused:
        return Rater(name, email, False, "recused")
    if rating is None or all(v is None for v in rating.scores.values()):
        return Rater(name, email, False, "none")
    missing = sum(v is None for v in rating.scores.values())
    return Rater(name, email, False, "incomplete", missing, len(rating.scores))


def account(run: Run, stage: int, group_id: str | None, ordered: list[Standing]) -> Account:
    """The facts of a group's (or the final's) decision, from the in-memory state: no words."""
    config, apps = run.config, _apps(run)
    assignments = [a for a in run.state.assignments if a.stage == stage and (group_id is None or a.group == group_id)]
    ratings = _ratings(run, stage, group_id)
    counted = counted_ratings([r for r in ratings if not r.recused], [s.application_id for s in ordered])
    by_pair = {(r.expert_email.strip().lower(), r.application_id): r for r in ratings}
    not_assigned = _not_assigned(run, stage, group_id)
    ders = []
    for s in ordered:
        i = s.application_id
        done = {r.expert_email.strip().lower() for r in counted.get(i, [])}
        raters = []
        for a in assignments:
            email = a.expert.email.strip().lower()
            if i in a.application_ids:
                raters.append(_rater(email, a.expert.name, by_pair.get((email, i)), email in done))
        for a in assignments:
            email = a.expert.email.strip().lower()
            if i in not_assigned.get(email, []):
                raters.append(Rater(a.expert.name, email, False, "aside"))
        ders.append(DerFacts(i, apps[i].title if i in apps else i, s.score, tuple(raters)))
    decisions = []
    for d, votes in _group_decisions(run, stage, group_id):
        ids = d.applications
        score = None
        if d.kind == "tie_break":
            tied = [x for x in ordered if x.application_id in d.order]
            score = tied[0].score if tied else None
        elif d.kind == "disqualify":
            ids = [i for i in d.applications if i in _unit_ders(run, stage, group_id)]
        decisions.append(
            DecisionFacts(
                d.kind,
                tuple(ids),
                tuple(d.order),
                score,
                d.by,
                fmt_date(d.at, config),
                d.reason.strip().rstrip("."),
                votes if d.kind == "tie_break" else None,
            )
        )
    ties = []
    if config.scoring.tie_break.startswith("criterion:"):  # a tie the configured criterion separated
        key = config.scoring.tie_break.split(":", 1)[1]
        label = next(c.label(run.lang) for c in config.criteria if c.key == key)
        decided = {i for d in decisions if d.kind == "tie_break" for i in d.order}
        scores = [x.score for x in ordered if x.score is not None]
        for score in sorted({x for x in scores if scores.count(x) > 1}, reverse=True):
            same = [x for x in ordered if x.score == score and x.application_id not in decided]
            if len(same) > 1 and len({x.selected for x in same}) > 1:
                ties.append(CriterionTie(score, label, tuple(x.application_id for x in same)))
    named = {i for d in ders for i in [d.id]} | {i for d in decisions for i in (*d.ders, *d.order)}
    return Account(
        aggregate=config.scoring.aggregate,
        criteria=len(config.criteria),
        min_experts=config.scoring.min_experts,
        ders=tuple(ders),
        decisions=tuple(decisions),
        criterion_ties=tuple(ties),
        titles={i: apps[i].title for i in sorted(named) if i in apps},
    )


NOT_COUNTED_KEYS = {
    "recused": "doc_not_counted_recused",
    "aside": "doc_not_counted_aside",
    "none": "doc_not_counted_none",
    "incomplete": "doc_not_counted_incomplete",
}


def _votes(votes: Any) -> Notice:
    """The vote as the minutes record it; blank lines to fill in by hand when the config has none."""
    if votes is None:
        return Notice("doc_votes", yes="____", against="____", abstained="____")
    return Notice("doc_votes", yes=votes.yes, against=votes.against, abstained=votes.abstained)


def reasoning(facts: Account) -> list[list[Notice]]:
    """The reasoned decision, sentence by sentence (each a list of notices said one after the other):
    how the score is made, who was counted for each DER and who was not and why, ties and how they
    were decided, incomplete closes, disqualifications (9.10)."""

    def label(i: str) -> str:
        return f"{i} «{facts.titles[i]}»" if i in facts.titles else i

    lines = [
        [
            Notice(
                "doc_reason_basis", how=Notice(AGGREGATE_KEYS[facts.aggregate]), n=facts.criteria, min=facts.min_experts
            )
        ]
    ]
    for der in facts.ders:
        yes = [r.name for r in der.raters if r.counted]
        no = [
            Notice(
                "doc_not_counted_entry",
                name=r.name,
                why=Notice(NOT_COUNTED_KEYS[r.why], missing=r.missing, n=r.criteria),
            )
            for r in der.raters
            if not r.counted
        ]
        score = fmt_number(der.score)
        if no:
            lines.append(
                [
                    Notice("doc_reason_raters", der=label(der.id), score=score, n=len(yes), who=", ".join(yes)),
                    Notice("doc_reason_not_counted", who=no),
                ]
            )
        else:  # everyone assigned was counted: no need to name them again
            lines.append([Notice("doc_reason_raters_all", der=label(der.id), score=score, n=len(yes))])
    for d in facts.decisions:
        values = dict(by=d.by, at=d.at, reason=d.reason)
        if d.kind == "tie_break":
            ders, order = "; ".join(label(i) for i in d.ders), " › ".join(label(i) for i in d.order)
            tie = Notice("doc_reason_tie", ders=ders, score=fmt_number(d.score), order=order, **values)
            lines.append([tie, _votes(d.votes)])
        elif d.kind == "close_incomplete":
            which = "; ".join(label(i) for i in d.ders) or Notice("doc_all_ders")
            lines.append([Notice("doc_reason_incomplete", ders=which, min=facts.min_experts, **values)])
        else:
            lines.append([Notice("doc_reason_disqualified", ders="; ".join(label(i) for i in d.ders), **values)])
    for t in facts.criterion_ties:
        ders = " › ".join(label(i) for i in t.ders)
        lines.append([Notice("doc_reason_tie_criterion", score=fmt_number(t.score), criterion=t.criterion, ders=ders)])
    return lines


def worded(lines: list[list[Notice]], lang: str) -> list[str]:
    return [" ".join(i18n.word(n, lang) for n in line) for line in lines]


def _reasoning(run: Run, stage: int, group_id: str | None, ordered: list[Standing]) -> tuple[list[str], Account]:
    """(the reasoned decision in the edition's language, the account it is worded from)."""
    facts = account(run, stage, group_id, ordered)
    return worded(reasoning(facts), run.lang), facts


def footer_digest(run: Run, stage: int, group_id: str) -> str:
    """The protocol's footer: the scores digest its annex prints and the journal chains (issue 22)."""
    from pipelines.jobs import annex

    return annex.footer_digest(run, stage, group_id)


def extract_document(run: Run, stage: int, group: Group) -> tuple[str, Callable[[], bytes]]:
    """The extract from the department's (stage 1) or faculty commission's (stage 2) protocol (9.4, 9.7)."""
    apps, config = _apps(run), run.config
    chosen = set(_selected(run, stage, group.id))
    quota = config.quotas.department if stage == 1 else config.quotas.faculty
    ordered = _order(run, stage, group.id)
    ders = [
        {
            "rank": str(s.rank or "—"),
            "id": s.application_id,
            "title": apps[s.application_id].title if s.application_id in apps else s.application_id,
            "authors": _authors(apps.get(s.application_id)),
            "score": fmt_number(s.score),
            "raters": str(s.raters),
            "selected_mark": "✓" if s.application_id in chosen else "",
        }
        for s in ordered
    ]
    selected = [{k: d[k] for k in ("id", "title", "authors", "score")} for d in ders if d["selected_mark"]]
    commission = i18n.text(COMMISSION_KEYS[stage], run.lang)
    meeting = _meeting(run, stage, group.id)
    body = meeting_body(stage, group.name, run.lang)
    if selected:
        decision_text = i18n.text(
            "doc_decision",
            run.lang,
            body=body,
            quota=quota,
            n=len(selected),
            titles="; ".join(f"{d['id']} «{d['title']}» ({d['score']})" for d in selected),
        )
    else:
        decision_text = i18n.text("doc_decision_none", run.lang, body=body)
    reasons, facts = _reasoning(run, stage, group.id, ordered)
    context = {
        **common_context(config, meeting["meeting_date"]),
        "stage": stage,
        "stage_title": stage_title(stage, run.lang),
        "unit_name": group.name,
        "commission_kind": commission,
        **{k: meeting[k] for k in MEETING_KEYS},
        "quota": quota,
        "ders": ders,
        "selected": selected,
        "decision_text": decision_text + " " + _votes_text(meeting["votes"], run.lang),
        "reasoning": reasons,
        "account": facts.as_context(),
        "decisions": _decisions(run, stage, group.id),
        "post_freeze_edits": freeze_annex(run, stage, group.id),
        "footer_proof": footer_digest(run, stage, group.id),
        "criteria_note": i18n.text(
            "doc_criteria_note",
            run.lang,
            n=len(config.criteria),
            how=i18n.text(AGGREGATE_KEYS[config.scoring.aggregate], run.lang),
        ),
    }
    return rendered("protocol_extract", run.lang, context)


def freeze_annex(run: Run, stage: int, group_id: str | None) -> list[dict[str, str]]:
    """The annex of the minutes: each edit made to a rating sheet after its freeze (issue 10 item
    5), when it was seen and what changed; the scores in the minutes are the frozen ones."""
    names = {a.expert.email: a.expert.name for a in run.state.sheets(stage)}
    return [
        {
            "detected": fmt_time(e.detected_at, run.config),
            "expert": names.get(e.expert) or e.expert,
            "sheet": e.sheet,
            "revision": e.revision,
            "changes": e.changes or i18n.word(e.notice, run.lang),
        }
        for e in run.state.freeze_edits
        if e.stage == stage and (group_id is None or e.group == group_id)
    ]


def annex_freeze_edits(run: Run, keys: set[tuple[int, str]]) -> None:
    """Edits after a freeze detected once the minutes were written: the latest version of the
    minutes of that group is written again with them in its annex (a waiting stage's minutes get
    them when it closes)."""
    from pipelines.domain import assignment as assigning
    from pipelines.domain.state import StageState

    held: dict[tuple[str, int, str], int] = {}
    for d in run.workspace.drive.documents():
        k = (d.key.kind, d.key.stage, d.key.group)
        held[k] = max(held.get(k, 0), d.key.version)
    for stage, group_id in sorted(keys):
        if run.state.stage(stage).state not in (StageState.CLOSED, StageState.WAITING):
            continue  # the extract of a ready group of a waiting stage is written already
        if stage == 3:
            if run.state.stage(3).state is StageState.CLOSED and ("final_protocol", 3, "contest") in held:
                write_final(run, version=held[("final_protocol", 3, "contest")])
            continue
        version = held.get(("protocol_extract", stage, group_id))
        members = run.state.candidates(stage)
        group = next(
            (g for g, _m in assigning.stage_groups(run.config.organisation(), stage, members) if g.id == group_id),
            None,
        )
        if version and group is not None:
            write_extract(run, stage, group, version=version)


def _suffix(version: int) -> str:
    """A later version of a document sits beside the first (the old one is kept, 9.10)."""
    return "" if version == 1 else f"_v{version}"


def write_extract(run: Run, stage: int, group: Group, version: int = 1):
    key = DocKey(run.edition_key, "protocol_extract", stage, group.id, "-", version)
    source, render = extract_document(run, stage, group)
    stored = run.workspace.drive.put(
        key,
        [f"stage-{stage}", group.id],
        f"protocol_extract_s{stage}_{group.id}{_suffix(version)}.docx",
        render,
        source=source,
    )
    from pipelines.jobs.annex import write_annex  # how this ranking was made (issue 22)

    write_annex(run, stage, group.id, group.name, version)
    return stored


def write_dossier(run: Run, stage: int, group: Group, apps: list[Application]) -> None:
    """9.7: the selected DERs travel with their form 01 letters and the extracts that selected them."""
    folder = [f"stage-{stage}", group.id, "dossier"]
    for app in apps:
        write_form01(run, app, folder, kind="dossier_form01", stage=stage)
    from pipelines.domain.assignment import stage_groups  # the groups that sent these DERs

    previous = stage_groups(run.config.organisation(), stage - 1, apps)
    for prev_group, _members in previous:
        source, render = extract_document(run, stage - 1, prev_group)
        key = DocKey(run.edition_key, "dossier_extract", stage, group.id, prev_group.id)
        run.workspace.drive.put(
            key, folder, f"protocol_extract_s{stage - 1}_{prev_group.id}.docx", render, source=source
        )


def form02_cells(
    rating: Rating | None, problems: list[Problem], criteria: list, lang: str
) -> tuple[list[str], list[str]]:
    """(the score cells as form 02 prints them, a note for each value not counted): the expert signs
    what she typed, and a value that does not count says why."""
    if rating is not None and rating.recused:
        return ["—" for _ in criteria], [i18n.text("form02_note_recused", lang)]
    if rating is not None and not rating.comment and all(_blank(rating.raw.get(c.key)) for c in criteria):
        return ["" for _ in criteria], [i18n.text("form02_note_not_rated", lang)]  # one line, not one per criterion
    cells, notes = [], []
    for n, c in enumerate(criteria, start=1):
        score = rating.scores.get(c.key) if rating else None
        if score is not None:
            cells.append(str(score))
            continue
        raw = rating.raw.get(c.key) if rating else None
        if raw is None or str(raw).strip() == "":
            cells.append("")
            if rating is not None:
                notes.append(i18n.text("form02_note_blank", lang, n=n))
            continue
        where = next((p.cell for p in problems if p.raw == raw), "")
        cells.append(f"{raw}*")
        notes.append(i18n.text("form02_note_invalid", lang, n=n, raw=raw, cell=where or "—", min=c.min, max=c.max))
    if rating is None:
        notes.append(i18n.text("form02_note_missing", lang))
    elif not rating.complete:
        notes.append(i18n.text("form02_note_incomplete", lang))
    return cells, notes


def impression_lines(n: int, said: str, config: Config, lang: str) -> list[str]:
    """The expert's words as form 02 prints them: under criterion 7's wording when the config has a
    worded criterion (else as a comment), each line she wrote its own paragraph, never a literal
    line break squeezed into one."""
    worded = worded_criterion(config)
    lines = [" ".join(line.split()) for line in said.splitlines() if line.strip()] or [said.strip()]
    if worded is not None:
        head = i18n.text("form02_note_impression", lang, n=config.criteria.index(worded) + 1, label=worded.label(lang))
    else:
        head = i18n.text("form02_note_comment", lang, comment="").rstrip()
    return [f"{n}. {head} {lines[0]}", *(f"    {line}" for line in lines[1:])]


def _blank(raw: Any) -> bool:
    return raw is None or str(raw).strip() == ""


def returned_nothing(ratings: list[Rating | None]) -> bool:
    """The expert returned nothing (11.2): no score, no mark and no comment on any DER of her sheet."""
    return all(
        r is None or (not r.recused and not r.comment and all(_blank(v) for v in r.raw.values())) for r in ratings
    )


def form02_context(run: Run, stage: int, group: Group, a: Assignment, ratings: list[Rating]) -> dict[str, Any]:
    """One expert's form 02 as approved: columns 1..n the criteria, n+1 the sum, a blank date line; a
    value that does not count is printed as typed with a note why. An expert who returned nothing
    gets one page saying so (`not_returned`), not a table of empty rows to sign."""
    config, apps, lang = run.config, _apps(run), run.lang
    criteria = [{"n": str(n), "label": c.label(lang)} for n, c in enumerate(config.criteria, start=1)]
    email = a.expert.email.strip().lower()
    by_pair = {(r.expert_email.strip().lower(), r.application_id): r for r in ratings}
    problems = run.state.problems.get((stage, group.id), [])
    rows, notes = [], []
    for n, app_id in enumerate(a.application_ids, start=1):
        app, rating = apps.get(app_id), by_pair.get((email, app_id))
        mine = [p for p in problems if p.expert.strip().lower() == email and p.application_id == app_id]
        scores, why = form02_cells(rating, mine, list(config.criteria), lang)
        notes += [f"{n}. {w}" for w in why]
        if rating is not None and rating.comment:
            notes += impression_lines(n, rating.comment, config, lang)
        total = rating.total if rating is not None and not rating.recused else None
        rows.append(
            {
                "n": str(n),
                "title": app.title if app else app_id,
                "authors": _authors(app),
                "link": app.response.link if app else "",
                "scores": scores,
                "total": "" if total is None else str(total),
            }
        )
    nothing = returned_nothing([by_pair.get((email, i)) for i in a.application_ids])
    return {
        **common_context(config, BLANK_DATE[lang]),
        "stage": stage,
        "unit_name": group.name,
        "expert_name": a.expert.name,
        "criteria": criteria,
        "sum_n": str(len(criteria) + 1),
        "rows": rows,
        "notes": notes,
        "not_returned": i18n.text(
            "form02_returned_nothing",
            lang,
            name=a.expert.name,
            count=len(a.application_ids),
            deadline=fmt_time(config.calendar.stage_close(stage), config),
        )
        if nothing and a.application_ids
        else "",
    }


def form02_document(
    run: Run, stage: int, group: Group, a: Assignment, ratings: list[Rating]
) -> tuple[str, Callable[[], bytes]]:
    """(source digest, render) of one expert's form 02."""
    return rendered("form02", run.lang, form02_context(run, stage, group, a, ratings))


def write_form02s(run: Run, stage: int, group: Group, assignments: list[Assignment], ratings: list[Rating]) -> None:
    """Every expert's filled form 02 for signature (`form02_context`)."""
    for a in assignments:
        _put(
            run,
            "form02",
            stage,
            group.id,
            a.expert.email,
            [f"stage-{stage}", group.id, "form02"],
            f"form02_s{stage}_{group.id}_{a.expert.email.split('@')[0]}.docx",
            form02_context(run, stage, group, a, ratings),
        )


def dossier_checks(run: Run, finalists: list[str]) -> list[dict[str, str]]:
    """9.4.3: the contest commission checks each finalist's documents — form 01 with both of its
    attachments, the extracts of the department's (stage 1) and the faculty's (stage 2) protocols —
    against what the workspace holds."""
    apps, lang = _apps(run), run.lang
    try:
        stored = {(d.key.kind, d.key.stage, d.key.group, d.key.subject) for d in run.workspace.drive.documents()}
    except BackendError as exc:
        run.say(i18n.text("note_dossiers_unlisted", lang, error=i18n.error_text(exc, lang)))
        stored = set()
    groups = {(k, s, g) for k, s, g, _subject in stored}
    yes, no = i18n.text("doc_check_yes", lang), i18n.text("doc_check_no", lang)
    out = []
    for i in finalists:
        app = apps.get(i)
        if app is None:
            continue
        checks = {
            "form01": any(k in ("form01", "dossier_form01") and subject == i for k, _s, _g, subject in stored),
            "attachments": bool(app.response.act_files) and bool(app.response.certificate_files),
            "extract1": ("protocol_extract", 1, app.department_id or "") in groups,
            "extract2": ("protocol_extract", 2, app.faculty_id or "") in groups,
        }
        complete = all(checks.values())
        out.append(
            {
                "id": i,
                "title": app.title,
                **{k: yes if v else no for k, v in checks.items()},
                "complete": i18n.text("doc_dossier_complete" if complete else "doc_dossier_incomplete", lang),
            }
        )
    return out


def _final_ranking(run: Run, ordered: list[Standing]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(the ranking, the winners) as the final protocol and the results print them."""
    config, apps, lang = run.config, _apps(run), run.lang
    departments = config.departments()
    ranking = []
    for s in ordered:
        app = apps.get(s.application_id)
        fac, dep = departments.get(app.department_id, (None, None)) if app and app.department_id else (None, None)
        ranking.append(
            {
                "rank": str(s.rank or "—"),
                "id": s.application_id,
                "title": app.title if app else s.application_id,
                "authors": _authors(app),
                "faculty": fac.name(lang) if fac else "",
                "department": dep.name(lang) if dep else "",
                "score": fmt_number(s.score),
                "raters": str(s.raters),
                "place": "",
            }
        )
    winners = []
    for place, app_id in winner_places(run):
        row = next(x for x in ranking if x["id"] == app_id)
        row["place"] = str(place)  # the column is headed "prize place": the number says it
        winners.append(
            {"place": str(place), "id": app_id, "title": row["title"], "authors": row["authors"], "score": row["score"]}
        )
    return ranking, winners


def write_final(run: Run, version: int = 1) -> None:
    """After stage 3: the final protocol (9.11) and the results for publication as PDF (11.4, 13.2)."""
    config, lang = run.config, run.lang
    ordered = _order(run, 3, None)
    ranking, winners = _final_ranking(run, ordered)
    meeting = _meeting(run, 3, None)
    quorum_key = "doc_quorum_met" if meeting["present"] * 2 > meeting["total"] else "doc_quorum_not_met"
    base = common_context(config, meeting["meeting_date"])
    reasons, facts = _reasoning(run, 3, None, ordered)
    protocol = {
        **base,
        **{k: meeting[k] for k in MEETING_KEYS},
        "quorum": i18n.text(quorum_key, lang, present=meeting["present"], total=meeting["total"]),
        "dossiers": dossier_checks(run, [s.application_id for s in ordered]),
        "ranking": ranking,
        "winners": winners,
        "decisions": _decisions(run, 3, None),
        "reasoning": reasons,
        "account": facts.as_context(),
        "votes": _votes_text(meeting["votes"], lang),
        "prize_places": config.quotas.prize_places,
        "post_freeze_edits": freeze_annex(run, 3, None),
        "footer_proof": footer_digest(run, 3, "contest"),
    }
    v = _suffix(version)
    _put(run, "final_protocol", 3, "contest", "-", ["stage-3", "contest"], f"final_protocol{v}.docx", protocol, version)
    from pipelines.jobs.annex import write_annex  # issue 22

    write_annex(run, 3, "contest", config.edition_name(lang), version)
    write_results(run, version, meeting["meeting_date"], ranking, winners)


def write_results(
    run: Run,
    version: int = 1,
    doc_date: str | None = None,
    ranking: list[dict[str, str]] | None = None,
    winners: list[dict[str, str]] | None = None,
    *,
    say: bool = True,
) -> str:
    """The results for publication (11.4) as .docx and as PDF (13.2); the PDF when the backend can
    convert, else a note (said unless `say` is False; the next tick or `contest render results`
    makes it once it can). Returns that note, "" when the PDF is there."""
    config, lang = run.config, run.lang
    if ranking is None or winners is None:
        ranking, winners = _final_ranking(run, _order(run, 3, None))
    if doc_date is None:
        doc_date = _meeting(run, 3, None)["meeting_date"]
    ceremony = config.ceremony
    where = ", ".join(x for x in (fmt_time(ceremony.at, config), ceremony.place.strip()) if x)
    from pipelines.jobs.annex import CHART_MARKER, chart_png, with_chart

    results = {
        **common_context(config, doc_date),
        "winners": winners,
        "ranking": ranking,
        "ceremony": where,
        "chart_caption": i18n.text("fair_chart_caption", lang),
        "chart_marker": CHART_MARKER,
    }
    # the final protocol's annex's chart, the experts' totals shown; its rows named as the results'
    # ranking names them (place in the ranking and title: the published results print no ids)
    titles = {r["id"]: r["title"] for r in ranking}
    png = chart_png(run, 3, "contest", lambda s: _chart_label(s.rank, titles.get(s.application_id, s.application_id)))
    source, render = rendered("results", lang, results)
    source = hashlib.sha256((source + hashlib.sha256(png or b"").hexdigest()).encode()).hexdigest()
    content = with_chart(render(), png)
    v = _suffix(version)
    key = DocKey(run.edition_key, "results", 3, "contest", "-", version)
    run.workspace.drive.put(key, ["results"], f"results{v}.docx", content, source=source)
    try:
        run.workspace.drive.put_pdf(
            DocKey(run.edition_key, "results_pdf", 3, "contest", "-", version), ["results"], f"results{v}.pdf", content
        )
    except BackendError as exc:
        note = i18n.text("note_no_results_pdf", run.lang, error=i18n.error_text(exc, run.lang))
        if say:
            run.say(note)
        run.journal("results-pdf", "skipped", str(exc))
        return note
    return ""


def _results_versions(run: Run) -> tuple[int | None, bool]:
    """(the latest version of the results, whether its PDF is stored) once stage 3 closed; (None,
    False) before."""
    from pipelines.domain.state import StageState

    if run.state.stage(3).state is not StageState.CLOSED:
        return None, False
    held: dict[str, set[int]] = {"results": set(), "results_pdf": set()}
    for d in run.workspace.drive.documents():
        if d.key.kind in held and d.key.edition == run.edition_key:
            held[d.key.kind].add(d.key.version)
    latest = max(held["results"], default=1)
    return latest, latest in held["results_pdf"]


def make_missing_results_pdf(run: Run) -> bool:
    """The results PDF (13.2) made by a tick when it is missing (never made: LibreOffice was
    installed after the stage-3 close) and the backend can convert now; a tick that cannot stays
    quiet (the close said why). Whether it made it."""
    if not run.workspace.drive.can_make_pdf():
        return False  # asked first: listing every document costs a tick more as the edition grows
    version, stored = _results_versions(run)
    if version is None or stored:
        return False
    return not write_results(run, version)


def render_results(run: Run) -> tuple[bool, str]:
    """`contest render results`: the results .docx and PDF written again for the latest version
    (unchanged files are left as they are; a PDF deleted from the disk is made again). (whether the
    PDF is there, what to tell CDB)."""
    version, _stored = _results_versions(run)
    if version is None:
        return False, i18n.text("render_results_not_closed", run.lang)
    problem = write_results(run, version, say=False)
    if problem:
        return False, problem
    pdf = next(
        (
            d.path_or_url
            for d in run.workspace.drive.documents()
            if d.key.kind == "results_pdf" and d.key.version == version
        ),
        "",
    )
    return True, i18n.text("render_results_done", run.lang, path=pdf)


def _chart_label(rank: int | None, title: str, width: int = 32) -> str:
    """A chart row's name in the results: its rank and its title, shortened to fit beside the bars."""
    short = title if len(title) <= width else title[: width - 1].rstrip() + "…"
    return f"{rank or '—'}. {short}"


def winner_places(run: Run) -> list[tuple[int, str]]:
    """(place, DER id) of the prize winners, place 1 first, once stage 3 decided them (11.3)."""
    final = run.state.outcomes_of(3)
    return list(enumerate(final[0].selected, start=1)) if final and final[0].ready else []


def _authors(app: Application | None) -> str:
    if app is None:
        return ""
    return "; ".join(printed_names(app.response.authors, app.response.authors_raw))


def previous_winners(run: Run) -> list[dict[str, Any]]:
    """This edition's winners and prize-winners (11.3, 11.5) as the next edition's config lists
    earlier winners (previous_winners, 9.9): title, link, authors, year, place, id."""
    apps = _apps(run)
    out = []
    for place, app_id in winner_places(run):
        app = apps.get(app_id)
        if app is None:
            continue
        authors = printed_names(app.response.authors, app.response.authors_raw)
        out.append(
            {
                "title": app.title,
                "link": app.response.link,
                "authors": [a for a in authors if a],
                "year": run.config.edition.year,
                "place": place,
                "id": app_id,
            }
        )
    return out


def winners_file(run: Run) -> str:
    """The YAML of `contest winners --export`: a file the next edition's contest.yaml includes with
    `previous_winners_files: [this file]`."""
    import yaml

    head = (
        f"# Winners and prize-winners of «{run.config.edition_name()}» ({run.config.edition.year}), written by\n"
        "# `contest winners --export`. The next edition includes this file in its contest.yaml:\n"
        "#   previous_winners_files: [<this file>]\n"
        "# so that their DERs are not accepted again (9.9).\n"
    )
    body = yaml.safe_dump({"previous_winners": previous_winners(run)}, allow_unicode=True, sort_keys=False)
    return head + body
