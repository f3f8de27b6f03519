"""Opening and closing the three stages (9.4, 9.7, 9.11, 10, 11, form 02)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pipelines import rating_sheet
from pipelines.domain import assignment as assigning
from pipelines.domain import scoring
from pipelines.i18n import say, state_label, text
from pipelines.domain.models import Application, Assignment, Expert, Problem, Rating, StageOutcome, Status
from pipelines.jobs import paperwork
from pipelines.jobs.common import Run, fmt_time
from pipelines.ports import BackendError, SheetKey, SheetRef, SheetSpec
from pipelines.registry import counting, from_row

OPEN, WAITING, CLOSED = "open", "waiting", "closed"


class StageError(Exception):
    """The stage cannot be opened or closed now; the message says why."""


# --- the state kept in the control tables ----------------------------------------------------------
def stage_rows(run: Run) -> dict[int, dict[str, Any]]:
    return {int(r["stage"]): r for r in run.tables.read("stages") if str(r.get("stage", "")).strip()}


def stage_state(run: Run, stage: int) -> str:
    return str(stage_rows(run).get(stage, {}).get("state", "") or "")


def set_stage(run: Run, stage: int, **values: Any) -> None:
    rows = stage_rows(run)
    blank = {"stage": stage, "state": "", "opened_at": "", "closed_at": "", "deadline": "", "note": ""}
    row = blank | rows.get(stage, {})
    row.update(values)
    rows[stage] = row
    run.tables.write({"stages": [rows[k] for k in sorted(rows)]})


def replace_stage_rows(run: Run, table: str, stage: int, rows: list[dict[str, Any]]) -> None:
    """Rewrite one stage's rows of a table, keeping the other stages' rows as they are."""
    kept = [r for r in run.tables.read(table) if str(r.get("stage")) != str(stage)]
    run.tables.write({table: kept + rows})


def applications(run: Run) -> dict[str, Application]:
    """The application that counts for each DER id, from the registry."""
    return counting([from_row(r) for r in run.tables.read("registry")])


def candidates(run: Run, stage: int) -> list[Application]:
    """Stage 1 takes every accepted DER; later stages only those selected at the stage before (9.4)."""
    apps = applications(run)
    if stage == 1:
        return [a for a in apps.values() if a.status is Status.ACCEPTED]
    chosen = [str(r["application_id"]) for r in run.tables.read("results")
              if str(r.get("stage")) == str(stage - 1) and r.get("selected")]
    return [apps[i] for i in chosen if i in apps and apps[i].status is Status.ACCEPTED]


def sheet_refs(run: Run, stage: int) -> list[tuple[dict[str, Any], SheetRef]]:
    out = []
    for row in run.tables.read("assignments"):
        if str(row.get("stage")) != str(stage):
            continue
        key = SheetKey(run.edition_key, stage, str(row["group"]), str(row["expert_email"]))
        out.append((row, SheetRef(key, str(row["sheet_id"]), str(row["sheet_url"]))))
    return out


# --- opening ---------------------------------------------------------------------------------------
@dataclass
class OpenReport:
    stage: int
    groups: int = 0
    sheets: int = 0
    created: int = 0
    quorum: list[str] = field(default_factory=list)


def open_stage(run: Run, stage: int) -> OpenReport:
    if stage > 1 and stage_state(run, stage - 1) != CLOSED:
        raise StageError(text("stage_needs_previous", run.lang, stage=stage, previous=stage - 1,
                              state=state_label(stage_state(run, stage - 1) or "pending", run.lang)))
    if stage_state(run, stage) in (WAITING, CLOSED):
        raise StageError(text("stage_already", run.lang, stage=stage,
                              state=state_label(stage_state(run, stage), run.lang)))
    report = OpenReport(stage)
    deadline = fmt_time(run.config.calendar.stage_close(stage), run.config)
    rows = []
    grouped = assigning.stage_groups(run.config.organisation(), stage, candidates(run, stage), report.quorum)
    work: list[tuple[Any, list[Application], Assignment]] = []
    for group, apps in grouped:
        report.groups += 1
        assignments, quorum = assigning.assign(group, apps, run.config.scoring_rules(), stage)
        report.quorum.extend(quorum)
        work.extend((group, apps, a) for a in assignments)
        if stage > 1:
            paperwork.write_dossier(run, stage, group, apps)
    for group, apps, a in run.each(f"stage {stage} rating sheets", work):
        by_id = {x.id: x for x in apps}
        spec = sheet_spec(run, stage, group, a.expert, [by_id[i] for i in a.application_ids], deadline)
        ref = run.workspace.sheets.ensure(spec)
        report.sheets += 1
        report.created += ref.created
        rows.append({"stage": stage, "group": group.id, "expert_email": a.expert.email,
                     "expert_name": a.expert.name, "application_ids": ",".join(a.application_ids),
                     "sheet_id": ref.id, "sheet_url": ref.url})
    replace_stage_rows(run, "assignments", stage, rows)
    note = "\n".join(say(q, run.lang) for q in report.quorum)
    opened_at = str(stage_rows(run).get(stage, {}).get("opened_at") or "")  # opening again keeps the first time
    set_stage(run, stage, state=OPEN, opened_at=opened_at or run.now.isoformat(timespec="seconds"), note=note)
    run.journal(f"open-stage {stage}", "ok", {"groups": report.groups, "sheets": report.sheets,
                                               "created": report.created, "quorum_problems": len(report.quorum)})
    run.say(text("stage_opened", run.lang, stage=stage, groups=report.groups, sheets=report.sheets,
                 created=report.created, deadline=deadline))
    for line in report.quorum:
        run.say(text("stage_warning", run.lang, line=say(line, run.lang)))
    return report


def sheet_spec(run: Run, stage: int, group, expert: Expert, apps: list[Application], deadline: str) -> SheetSpec:
    grid = rating_sheet.build_grid(config=run.config, stage=stage, group_name=group.name, expert=expert,
                                   applications=apps, deadline_text=deadline, lang=run.lang)
    message = paperwork.share_message(run, stage, group.name, deadline)
    return SheetSpec(key=SheetKey(run.edition_key, stage, group.id, expert.email),
                     name=f"form02_s{stage}_{group.id}_{expert.email.split('@')[0]}",
                     folder=[f"stage-{stage}", group.id, "sheets"], grid=grid, expert_name=expert.name,
                     deadline_text=deadline, share_message=message,
                     share_subject=text("share_subject", run.lang, edition=run.config.edition.name,
                                        group=group.name, deadline=deadline))


# --- reopening -------------------------------------------------------------------------------------
def reopen_stage(run: Run, stage: int) -> int:
    """A waiting stage whose deadline CDB moved past `now` is open again until the new deadline:
    every sheet of the stage unfrozen (its expert may edit again and is told the new deadline), the
    stage back to "open". At the new deadline the usual close runs again, freezing first.
    Returns the number of sheets reopened."""
    state = stage_state(run, stage)
    if state != WAITING:
        raise StageError(text("stage_not_waiting", run.lang, stage=stage,
                              state=state_label(state or "pending", run.lang)))
    close = run.config.calendar.stage_close(stage)
    if run.now >= close:
        raise StageError(text("stage_reopen_late", run.lang, stage=stage))
    deadline = fmt_time(close, run.config)
    names = {g.id: g.name for g, _members in assigning.stage_groups(run.config.organisation(), stage, candidates(run, stage))}
    refs = sheet_refs(run, stage)
    for row, ref in run.each(f"stage {stage}: reopening sheets", refs):
        group = str(row["group"])
        run.workspace.sheets.unfreeze(ref, paperwork.share_message(run, stage, names.get(group, group), deadline))
    note = f"reopened {run.now.isoformat(timespec='seconds')}: the deadline moved to {deadline}"
    set_stage(run, stage, state=OPEN, closed_at="", note=note)
    run.journal(f"reopen-stage {stage}", "ok", {"sheets": len(refs), "deadline": close.isoformat()})
    run.say(text("stage_reopened", run.lang, stage=stage, sheets=len(refs), deadline=deadline))
    return len(refs)


# --- closing ---------------------------------------------------------------------------------------
@dataclass
class CloseReport:
    stage: int
    outcomes: list[StageOutcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def closed(self) -> bool:
        return all(o.ready for o in self.outcomes)

    @property
    def waiting(self) -> list[str]:
        return [w for o in self.outcomes for w in o.waiting]  # each sentence names its stage and group

    def waiting_in(self, lang: str) -> list[str]:
        return [say(w, lang) for w in self.waiting]


def gather(run: Run, stage: int
           ) -> tuple[dict[str, list[Rating]], dict[str, list[Problem]], dict[str, list[Assignment]]]:
    """Freeze every sheet first, then read them all; a sheet that cannot be read is a problem, not a stop.
    Ratings, problems and assignments come back by group (an expert may sit on two commissions)."""
    apps = applications(run)
    refs = sheet_refs(run, stage)
    for _row, ref in run.each(f"stage {stage}: freezing sheets", refs):
        run.workspace.sheets.freeze(ref)
    ratings: dict[str, list[Rating]] = {}
    problems: dict[str, list[Problem]] = {}
    assignments: dict[str, list[Assignment]] = {}
    experts = {m.email: m.expert() for m in _all_members(run)}
    for row, ref in run.each(f"stage {stage}: reading sheets", refs):
        group, email = str(row["group"]), str(row["expert_email"])
        ids = [i for i in str(row["application_ids"]).split(",") if i]
        expert = experts.get(email, Expert(str(row.get("expert_name") or email), email))
        assignments.setdefault(group, []).append(Assignment(stage, group, expert, ids))
        try:
            cells = run.workspace.sheets.read(ref)
        except BackendError as exc:
            problems.setdefault(group, []).append(
                Problem(email, None, ref.url, f"the sheet could not be read: {exc}"))
            continue
        got, found = rating_sheet.read_sheet(cells=cells, expected=[apps[i] for i in ids if i in apps],
                                             expert_email=email, config=run.config, lang=run.lang)
        ratings.setdefault(group, []).extend(got)
        problems.setdefault(group, []).extend(found)
    return ratings, problems, assignments


def _all_members(run: Run):
    c = run.config.commissions
    yield from (m for ms in c.departments.values() for m in ms)
    yield from (m for ms in c.faculties.values() for m in ms)
    yield from c.contest


def close_stage(run: Run, stage: int) -> CloseReport:
    state = stage_state(run, stage)
    if state not in (OPEN, WAITING):
        raise StageError(text("stage_not_open", run.lang, stage=stage,
                              state=state_label(state or "pending", run.lang)))
    ratings, problems_by_group, assignments = gather(run, stage)
    problems = [p for g in sorted(problems_by_group) for p in problems_by_group[g]]
    apps = applications(run)
    groups = {g.id: (g, members) for g, members in
              assigning.stage_groups(run.config.organisation(), stage, candidates(run, stage))}
    report = CloseReport(stage, problems=problems)
    for group_id, (group, members) in sorted(groups.items()):
        outcome = scoring.close_group(
            stage=stage, group=group_id, applications=members, assignments=assignments.get(group_id, []),
            ratings=ratings.get(group_id, []), problems=problems_by_group.get(group_id, []),
            rules=run.config.scoring_rules(), decisions=run.config.domain_decisions())
        report.outcomes.append(outcome)
    _record(run, stage, report, ratings, problems_by_group)
    for group_id, (group, members) in run.each(f"stage {stage}: documents", sorted(groups.items())):
        paperwork.write_form02s(run, stage, group, assignments.get(group_id, []), ratings.get(group_id, []), apps)
    ready = [o for o in report.outcomes if o.ready]
    for outcome in ready:
        group = groups[outcome.group][0]
        if stage < 3:
            paperwork.write_extract(run, stage, group)
    if report.closed and stage == 3:
        paperwork.write_final(run)
    state = CLOSED if report.closed else WAITING
    set_stage(run, stage, state=state, closed_at=run.now.isoformat(timespec="seconds") if report.closed else "",
              note="\n".join(report.waiting_in(run.lang)), deadline=run.config.calendar.stage_close(stage).isoformat())
    run.journal(f"close-stage {stage}", state, {"groups": len(report.outcomes), "ready": len(ready),
                                                 "problems": len(problems), "waiting": report.waiting})
    run.say(text("stage_closed_summary", run.lang, stage=stage, state=state_label(state, run.lang),
                 ready=len(ready), groups=len(report.outcomes), problems=len(problems)))
    for line in report.waiting_in(run.lang):
        run.say(text("stage_waiting_line", run.lang, line=line))
    return report


def _record(run: Run, stage: int, report: CloseReport, ratings: dict[str, list[Rating]],
            problems: dict[str, list[Problem]]) -> None:
    """Ratings (raw kept), problems and standings of the stage into the control tables, in one write."""
    rating_rows = [{"stage": stage, "group": g, "expert_email": r.expert_email, "application_id": r.application_id,
                    "scores": json.dumps({k: (v if v is not None else r.raw.get(k)) for k, v in r.scores.items()},
                                         ensure_ascii=False, default=str),
                    "total": r.total if r.total is not None else "", "complete": r.complete, "comment": r.comment}
                   for g, rs in sorted(ratings.items()) for r in rs]
    problem_rows = [{"stage": stage, "group": g, "expert_email": p.expert, "application_id": p.application_id or "",
                     "cell": p.cell, "detail": p.detail, "raw": "" if p.raw is None else str(p.raw)}
                    for g, ps in sorted(problems.items()) for p in ps]
    result_rows = []
    for o in report.outcomes:
        tie_number = {i: n for n, tie in enumerate(o.ties, start=1) for i in tie}
        for s in o.standings:
            result_rows.append({
                "stage": stage, "group": o.group, "application_id": s.application_id,
                "rank": s.rank if s.rank is not None else "", "score": "" if s.score is None else round(s.score, 4),
                "raters": s.raters, "criterion_means": json.dumps({k: round(v, 4) for k, v in s.criterion_means.items()}),
                "selected": s.application_id in o.selected, "tied": tie_number.get(s.application_id, ""),
                "place": o.selected.index(s.application_id) + 1 if stage == 3 and o.ready
                and s.application_id in o.selected else "",
                "waiting": "\n".join(say(w, run.lang) for w in o.waiting)})
    tables = {}
    for table, rows in (("ratings", rating_rows), ("problems", problem_rows), ("results", result_rows)):
        kept = [r for r in run.tables.read(table) if str(r.get("stage")) != str(stage)]
        tables[table] = kept + rows
    run.tables.write(tables)
