"""Recorded decisions that change who is in a stage after it opened (README "Recorded decisions").

A DER that becomes a candidate of an open stage after it opened — an application reinstated by a
`reinstate` decision while stage 1 is open, or the next of a ranking brought in by a `replace`
decision (9.10) while the next stage is open — joins the stage: every expert of its group who may
rate it (13) gets it on their rating sheet. A sheet that exists is made again with the longer list
and what the expert typed so far typed back (as `contest recreate-sheet` does), and the expert is
told once; an expert with no sheet yet gets one, shared as at the opening. The tick runs this after
intake and the disqualifications, so a decision recorded in contest.yaml takes effect at the next
tick; nothing happens twice (a DER on a sheet of its group has joined).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from pipelines import i18n
from pipelines.domain import assignment as assigning
from pipelines.domain.models import Application, Group, Notice, Status
from pipelines.domain.state import StageState
from pipelines.jobs.common import JournalLedger, Run, fmt_time
from pipelines.jobs.recreate import typed_back
from pipelines.jobs.sheets import read_assignment, sheet_ref, sheet_spec
from pipelines.jobs.stages import apply_late_disqualifications, waiting_replacements
from pipelines.ports import deliver_once


@dataclass
class Joined:
    stage: int
    group: str
    ids: list[str]
    sheets: int = 0
    created: int = 0


def newcomers(run: Run, stage: int) -> list[tuple[Group, list[Application], list[str]]]:
    """Each group of an open stage with DERs that are its candidates now but on none of its sheets."""
    state = run.state
    groups = assigning.stage_groups(run.config.organisation(), stage, state.candidates(stage))
    out = []
    for group, apps in groups:
        on_sheets = {i for a in state.sheets(stage) if a.group == group.id for i in a.application_ids}
        new = [a.id for a in apps if a.id not in on_sheets]
        if new:
            out.append((group, apps, new))
    return out


def join_open_stages(run: Run) -> list[Joined]:
    """Every newcomer of an open stage on the sheets of its group's experts (module docstring)."""
    done: list[Joined] = []
    for stage in (1, 2, 3):
        if run.state.stage(stage).state is not StageState.OPEN:
            continue
        for group, apps, new in newcomers(run, stage):
            joined = _join(run, stage, group, apps, new)
            if joined.sheets:  # a DER nobody of its group may rate stays out (the quorum notes say so)
                done.append(joined)
    if done:
        run.commit()
        for j in done:
            line = i18n.text(
                "joined_stage",
                run.lang,
                stage=j.stage,
                group=j.group,
                ids=", ".join(j.ids),
                sheets=j.sheets,
                created=j.created,
            )
            run.say(line)
            run.journal("join-stage", "ok", {"stage": j.stage, "group": j.group, "ids": j.ids, "sheets": j.sheets})
    return done


def _join(run: Run, stage: int, group: Group, apps: list[Application], new: list[str]) -> Joined:
    state = run.state
    by_id = {a.id: a for a in state.counting().values()}
    wanted, _quorum = assigning.assign(group, apps, run.config.scoring_rules(), stage)
    held = {a.expert.email: a for a in state.sheets(stage) if a.group == group.id}
    joined = Joined(stage, group.id, list(new))
    for want in wanted:
        extra = [i for i in want.application_ids if i in new]
        if not extra:
            continue
        old = held.get(want.expert.email)
        ids = [*(old.application_ids if old else []), *extra]
        members = [by_id[i] for i in ids if i in by_id]
        spec = sheet_spec(run, stage, group, want.expert, members)
        if old is None:  # an expert with no sheet in this group yet: one as at the opening, shared
            ref = run.workspace.sheets.ensure(spec)
            state.assignments.append(replace(want, application_ids=ids, sheet_id=ref.id, sheet_url=ref.url))
        else:
            typed, _problems = read_assignment(run, old)  # what the expert left so far, carried over
            ref = run.workspace.sheets.rebuild(sheet_ref(run, old), spec)
            values = typed_back(run, members, typed)
            if values:
                run.workspace.sheets.write_as_expert(ref, values)
            state.assignments = [
                replace(a, application_ids=ids, sheet_id=ref.id, sheet_url=ref.url) if a is old else a
                for a in state.assignments
            ]
            _tell(run, stage, group, want.expert.name, want.expert.email, extra, ref.url, ref.key.token())
        joined.sheets += 1
        joined.created += old is None
    return joined


def _tell(run: Run, stage: int, group: Group, name: str, email: str, ids: list[str], url: str, token: str) -> None:
    """The expert hears once that the sheet was made again with these DERs on it."""
    mailer = run.workspace.mailer
    digest = hashlib.sha256(" ".join(sorted(ids)).encode()).hexdigest()[:10]
    key = f"join/{token}/{digest}"
    deadline = fmt_time(run.config.calendar.stage_close(stage), run.config)
    subject = i18n.text("sheet_joined_subject", run.lang, stage=stage, group=group.name)
    body = i18n.text(
        "sheet_joined_mail",
        run.lang,
        name=name,
        stage=stage,
        group=group.name,
        ids=", ".join(ids),
        deadline=deadline,
        url=url,
    )
    deliver_once(
        JournalLedger(run, "message"),
        key,
        lambda: mailer.notify(email, subject, body, key=key),
        lambda: mailer.delivered(key),
    )


def waiting(run: Run) -> list[Notice]:
    """What only CDB can settle now (status): a DER disqualified while the next stage is under way
    without a `replace` decision; a reinstated DER whose stage 1 is no longer open."""
    out = list(waiting_replacements(run))
    stage1 = run.state.stage(1).state
    if stage1 in (StageState.WAITING, StageState.CLOSED):
        on_sheets = {i for a in run.state.sheets(1) for i in a.application_ids}
        for app in run.state.counting().values():
            if (
                app.status is Status.ACCEPTED
                and app.id not in on_sheets
                and any(r.rule == "reinstated" for r in app.reasons)
            ):
                state = Notice(f"state_{stage1.value}")
                out.append(Notice("reinstated_stage_closed", id=app.id, state=state, key="calendar.stage1_close"))
    return out


def apply_decisions(run: Run) -> list[str]:
    """After intake, each tick: late disqualifications and replacements (jobs/stages.py), then the
    newcomers of open stages on their experts' sheets. Returns what was done, for the tick's row."""
    actions = []
    if apply_late_disqualifications(run):
        actions.append("disqualification")
    if join_open_stages(run):
        actions.append("joined")
    return actions
