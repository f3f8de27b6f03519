"""Opening, closing and reopening the three stages (9.4, 9.7, 9.10, 9.11, 10, 11, form 02).

Each job checks the move with domain/lifecycle.py, acts through the ports, changes the edition's
state in memory and writes it back once (`run.commit()`). Documents are built from the in-memory
outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from pipelines.domain import assignment as assigning
from pipelines.domain import lifecycle, scoring
from pipelines.domain.models import (
    Application,
    Assignment,
    Decision,
    Expert,
    Group,
    Notice,
    Problem,
    Rating,
    StageOutcome,
    Status,
)
from pipelines.domain.state import INTAKE, Key, StageState
from pipelines.i18n import state_label, text, word
from pipelines.jobs import paperwork
from pipelines.jobs.common import Run, fmt_time
from pipelines.jobs.inbox import file_returned
from pipelines.jobs.remind import tell_left_out
from pipelines.jobs.sheets import read_assignment, share_message, sheet_ref, sheet_spec, unreadable
from pipelines.ports import NotFound, Unreadable


class StageError(Exception):
    """The stage cannot be opened or closed now; the message says why (in the edition's language)."""


def refused(notice: Notice, lang: str) -> StageError:
    values = dict(notice.values)
    if "state" in values:
        values["state"] = state_label(str(values["state"]), lang)
    return StageError(text(notice.key, lang, **values))


def close_intake(run: Run) -> bool:
    """Intake's record closed at its deadline (9.8): later submissions are recorded as late."""
    record = run.state.stage(INTAKE)
    if record.state is StageState.CLOSED:
        return False
    run.state.stages[INTAKE] = replace(
        record,
        state=StageState.CLOSED,
        opened_at=run.config.calendar.intake_open,
        closed_at=run.now,
        note=text("stage_note_intake_closed", run.lang),
    )
    return True


def _groups(run: Run, stage: int, problems: list[Notice] | None = None):
    return assigning.stage_groups(run.config.organisation(), stage, run.state.candidates(stage), problems)


# --- opening ---------------------------------------------------------------------------------------
@dataclass
class OpenReport:
    stage: int
    groups: int = 0
    sheets: int = 0
    created: int = 0
    quorum: list[Notice] = field(default_factory=list)


def open_stage(run: Run, stage: int) -> OpenReport:
    """Assign every group's DERs (nobody rates their own, 13) and give each expert a rating sheet."""
    state, dates = run.state, run.config.dates()
    why = lifecycle.refuse_open(state.stages, stage, dates, run.now)
    if why is not None:
        raise refused(why, run.lang)
    if stage == 1:
        close_intake(run)
    report = OpenReport(stage)
    rules = run.config.scoring_rules()
    work: list[tuple[Group, list[Application], Assignment]] = []
    for group, apps in _groups(run, stage, report.quorum):
        report.groups += 1
        assignments, quorum = assigning.assign(group, apps, rules, stage)
        report.quorum.extend(quorum)
        work.extend((group, apps, a) for a in assignments)
        if stage > 1:
            paperwork.write_dossier(run, stage, group, apps)
    placed = []
    for group, apps, a in run.each(f"stage {stage} rating sheets", work):
        by_id = {x.id: x for x in apps}
        ref = run.workspace.sheets.ensure(
            sheet_spec(run, stage, group, a.expert, [by_id[i] for i in a.application_ids])
        )
        report.sheets += 1
        report.created += ref.created
        if ref.created:
            run.made_sheets.add(ref.id)
        placed.append(replace(a, sheet_id=ref.id, sheet_url=ref.url))
    state.replace_stage(stage, assignments=placed)
    record = state.stage(stage)
    state.stages[stage] = replace(
        record,
        state=StageState.OPEN,
        opened_at=record.opened_at or run.now,
        note="\n".join(word(q, run.lang) for q in report.quorum),
    )
    run.commit()
    deadline = fmt_time(dates.stage_close(stage), run.config)
    run.journal(
        f"open-stage {stage}",
        "ok",
        {
            "groups": report.groups,
            "sheets": report.sheets,
            "created": report.created,
            "quorum_problems": len(report.quorum),
        },
    )
    run.say(
        text(
            "stage_opened",
            run.lang,
            stage=stage,
            groups=report.groups,
            sheets=report.sheets,
            created=report.created,
            deadline=deadline,
        )
    )
    for line in report.quorum:
        run.say(text("stage_warning", run.lang, line=word(line, run.lang)))
    return report


# --- reopening -------------------------------------------------------------------------------------
def reopen_stage(run: Run, stage: int) -> int:
    """A waiting stage whose deadline CDB moved past `now` is open again until the new deadline:
    every sheet unfrozen (its expert may edit again and is told the new deadline). Returns the
    number of sheets reopened."""
    state, dates = run.state, run.config.dates()
    why = lifecycle.refuse_reopen(state.stages, stage, dates, run.now)
    if why is not None:
        raise refused(why, run.lang)
    deadline = fmt_time(dates.stage_close(stage), run.config)
    names = {g.id: g.name for g, _members in _groups(run, stage)}
    sheets = state.sheets(stage)
    for a in run.each(f"stage {stage}: reopening sheets", sheets):
        run.workspace.sheets.unfreeze(
            sheet_ref(run, a), share_message(run, stage, names.get(a.group, a.group), deadline)
        )
    state.stages[stage] = replace(
        state.stage(stage),
        state=StageState.OPEN,
        closed_at=None,
        note=text("stage_note_reopened", run.lang, at=f"{run.now:%d.%m.%Y %H:%M}", deadline=deadline),
    )
    run.commit()
    run.journal(
        f"reopen-stage {stage}", "ok", {"sheets": len(sheets), "deadline": dates.stage_close(stage).isoformat()}
    )
    run.say(text("stage_reopened", run.lang, stage=stage, sheets=len(sheets), deadline=deadline))
    return len(sheets)


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
    def waiting(self) -> list[Notice]:
        return [w for o in self.outcomes for w in o.waiting]  # each names its stage and group

    def waiting_in(self, lang: str) -> list[str]:
        return [word(w, lang) for w in self.waiting]


def gather(run: Run, stage: int) -> tuple[dict[Key, list[Rating]], dict[Key, list[Problem]]]:
    """Freeze every sheet first, then read them all; a sheet that cannot be read is a problem, not a stop.
    Ratings and problems come back by group (an expert may sit on two commissions). A waiting stage
    closed again takes, for each sheet the backend knows unchanged since the earlier close froze and
    read it, what that close recorded (frozen and read again, it would give the same)."""
    state = run.state
    sheets = state.sheets(stage)
    kept: set[str] = set()
    if state.stage(stage).state is StageState.WAITING and sheets:
        kept = run.workspace.sheets.unchanged_since_freeze([sheet_ref(run, a) for a in sheets])
    lost: dict[int, Problem] = {}  # a sheet missing or unreadable at the freeze: a problem, not a stop
    for i, a in enumerate(run.each(f"stage {stage}: freezing sheets", sheets)):
        if a.sheet_id in kept:
            continue
        try:
            run.workspace.sheets.freeze(sheet_ref(run, a))
        except (NotFound, Unreadable) as exc:
            lost[i] = unreadable(run, a, exc)
    ratings: dict[Key, list[Rating]] = {}
    problems: dict[Key, list[Problem]] = {}
    for i, a in enumerate(run.each(f"stage {stage}: reading sheets", sheets)):
        if a.sheet_id in kept:
            key = (stage, a.group)
            got = [r for r in state.ratings.get(key, []) if r.expert_email == a.expert.email]
            found = [p for p in state.problems.get(key, []) if p.expert == a.expert.email]
        else:
            got, found = ([], [lost[i]]) if i in lost else read_assignment(run, a)
        ratings.setdefault((stage, a.group), []).extend(got)
        problems.setdefault((stage, a.group), []).extend(found)
    return ratings, problems


def _experts(run: Run) -> dict[str, Expert]:
    """The commission members as the config declares them (conflicts included), by e-mail."""
    org = run.config.organisation()
    members = [
        *org.contest_commission,
        *(e for es in org.faculty_commissions.values() for e in es),
        *(e for es in org.department_commissions.values() for e in es),
    ]
    return {e.email: e for e in members}


def _with_experts(run: Run, assignments: list[Assignment]) -> list[Assignment]:
    experts = _experts(run)
    return [replace(a, expert=experts.get(a.expert.email, a.expert)) for a in assignments]


def close_stage(run: Run, stage: int, *, force: bool = False) -> CloseReport:
    """Freeze, read, validate, rank and select every group of the stage; write its documents."""
    state, dates = run.state, run.config.dates()
    why = lifecycle.refuse_close(state.stages, stage, dates, run.now, force)
    if why is not None:
        raise refused(why, run.lang)
    early = run.now < dates.stage_close(stage)
    file_returned(run)  # the sheets CDB saved in the inbox, each in its place before the freeze
    ratings, problems = gather(run, stage)
    rules, decisions = run.config.scoring_rules(), run.config.domain_decisions()
    assignments = _with_experts(run, state.sheets(stage))
    groups = {g.id: (g, members) for g, members in _groups(run, stage)}
    report = CloseReport(stage, problems=[p for k in sorted(problems) for p in problems[k]])
    outcomes = {}
    for group_id, (_group, members) in sorted(groups.items()):
        key = (stage, group_id)
        outcome = scoring.close_group(
            stage=stage,
            group=group_id,
            applications=members,
            assignments=[a for a in assignments if a.group == group_id],
            ratings=ratings.get(key, []),
            problems=problems.get(key, []),
            rules=rules,
            decisions=decisions,
        )
        outcomes[key] = outcome
        report.outcomes.append(outcome)
    state.replace_stage(stage, ratings=ratings, problems=problems, outcomes=outcomes)
    for group_id, (group, _members) in run.each(f"stage {stage}: documents", sorted(groups.items())):
        paperwork.write_form02s(
            run, stage, group, [a for a in assignments if a.group == group_id], ratings.get((stage, group_id), [])
        )
        if stage < 3 and outcomes[(stage, group_id)].ready:
            paperwork.write_extract(run, stage, group)
    if report.closed and stage == 3:
        paperwork.write_final(run)
    new_state = StageState.CLOSED if report.closed else StageState.WAITING
    state.stages[stage] = replace(
        state.stage(stage),
        state=new_state,
        closed_at=run.now if report.closed else None,
        note="\n".join(report.waiting_in(run.lang)),
        deadline=dates.stage_close(stage),
    )
    run.commit()
    tell_left_out(run, stage)  # the experts whose cells were not counted hear which ones
    ready = [o for o in report.outcomes if o.ready]
    run.journal(
        f"close-stage {stage}",
        new_state.value,
        {
            "groups": len(report.outcomes),
            "ready": len(ready),
            "problems": len(report.problems),
            "waiting": report.waiting_in(run.lang),
            **({"forced_before_deadline": True} if early else {}),
        },
    )
    from pipelines.jobs.verify import record_close  # the scores used, chained in the journal (issue 22)

    record_close(run, stage)
    run.say(
        text(
            "stage_closed_summary",
            run.lang,
            stage=stage,
            state=state_label(new_state.value, run.lang),
            ready=len(ready),
            groups=len(report.outcomes),
            problems=len(report.problems),
        )
    )
    for line in report.waiting_in(run.lang):
        run.say(text("stage_waiting_line", run.lang, line=line))
    return report


# --- a disqualification after the close (9.10) -----------------------------------------------------
def _disqualified_ids(run: Run) -> set[str]:
    return {i for d in run.config.domain_decisions() if d.kind == "disqualify" for i in d.applications} | {
        a.id for a in run.state.applications if a.status is Status.DISQUALIFIED
    }


def replacing(run: Run, stage: int, group: str, hit: list[str]) -> Decision | None:
    """The recorded `replace` decision that covers every DER of `hit` in this stage's group: the
    commission chose to bring in the next of the ranking while the next stage is under way (9.10)."""
    found = [
        d
        for d in run.config.domain_decisions()
        if d.kind == "replace" and d.stage == stage and d.group == group and set(hit) <= set(d.applications)
    ]
    return found[-1] if found else None


def waiting_replacements(run: Run) -> list[Notice]:
    """Each DER disqualified (9.10) after the stage that selected it closed, once the next stage is
    under way, with no recorded `replace` decision (or one the next stage can no longer take): what
    CDB must settle, with the decision to record."""
    state, out_ids = run.state, _disqualified_ids(run)
    out: list[Notice] = []
    for (stage, group_id), outcome in sorted(state.outcomes.items()):
        hit = [i for i in outcome.selected if i in out_ids]
        if not hit or stage == 3 or state.stage(stage).state is not StageState.CLOSED:
            continue
        later = state.stage(stage + 1).state
        if later is StageState.PENDING or (later is StageState.OPEN and replacing(run, stage, group_id, hit)):
            continue
        out.append(
            Notice(
                "disqualified_after_next_opened",
                ids=", ".join(hit),
                stage=stage,
                group=group_id,
                next=stage + 1,
                state=Notice(f"state_{later.value}"),
                decision=f"decisions: [{{kind: replace, stage: {stage}, group: {group_id}, applications: [{', '.join(hit)}],"
                " by: …, at: …, reason: …}]",
            )
        )
    return out


def apply_late_disqualifications(run: Run) -> list[str]:
    """A DER disqualified (9.10) after the stage that selected it closed: while the next stage has not
    opened, that stage's outcome is recomputed from the frozen ratings (the next DER moves up) and its
    documents written again as a new version; after the final, the winners and the final documents
    follow. When the next stage is already open, the same happens only by a recorded `replace`
    decision (the newcomer then joins the open stage: jobs/decisions.py); without one CDB is told
    once which decision to record (`status` shows it until then). Returns the sentences said."""
    state, out_ids = run.state, _disqualified_ids(run)
    said: list[str] = []
    if not out_ids:
        return said
    rules, decisions = run.config.scoring_rules(), run.config.domain_decisions()
    apps = state.counting()
    for notice in waiting_replacements(run):
        if run.edition.journal.first("disqualification", str(notice)) is None:
            line = word(notice, run.lang)
            run.say(line)
            run.journal.write([run.journal.entry("disqualification", "needs-decision", str(notice))])
    for (stage, group_id), outcome in sorted(state.outcomes.items()):
        hit = [i for i in outcome.selected if i in out_ids]
        if not hit or state.stage(stage).state is not StageState.CLOSED:
            continue
        later = state.stage(stage + 1).state if stage < 3 else StageState.PENDING
        decision = replacing(run, stage, group_id, hit) if stage < 3 else None
        if later is not StageState.PENDING and not (later is StageState.OPEN and decision):
            continue  # the next stage ranked without it, or waits for a decision (waiting_replacements)
        members = [apps[s.application_id] for s in outcome.standings if s.application_id in apps]
        assignments = _with_experts(run, [a for a in state.sheets(stage) if a.group == group_id])
        new = scoring.close_group(
            stage=stage,
            group=group_id,
            applications=members,
            assignments=assignments,
            ratings=state.ratings.get((stage, group_id), []),
            problems=state.problems.get((stage, group_id), []),
            rules=rules,
            decisions=decisions,
        )
        came_in = [i for i in new.selected if i not in outcome.selected]
        if decision is not None and decision.replacement and came_in != [decision.replacement]:
            line = text(
                "replacement_not_next",
                run.lang,
                stage=stage,
                group=group_id,
                named=decision.replacement,
                next=", ".join(came_in) or "—",
            )
            if run.edition.journal.first("disqualification", line) is None:
                run.say(line)
                run.journal.write([run.journal.entry("disqualification", "refused", line)])
            continue
        state.outcomes[(stage, group_id)] = new
        group = next(
            (g for g, _m in assigning.stage_groups(run.config.organisation(), stage, members) if g.id == group_id), None
        )
        if group is not None and stage < 3:
            paperwork.write_extract(run, stage, group, version=2)
        if stage == 3:
            paperwork.write_final(run, version=2)
        line = text(
            "disqualified_recomputed",
            run.lang,
            ids=", ".join(hit),
            stage=stage,
            group=group_id,
            selected=", ".join(new.selected) or "—",
        )
        run.say(line)
        said.append(line)
        if not new.ready:
            for w in new.waiting:
                run.say(text("stage_waiting_line", run.lang, line=word(w, run.lang)))
    if said:
        run.commit()
        run.journal("disqualification", "applied", {"lines": said})
    return said
