"""What is done, what is waiting, who has not scored: the `status --json` contract (docs/architecture.md)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Any

from pipelines import i18n
from pipelines.domain.authors import read_authors
from pipelines.domain.models import Application, Assignment, Problem, Rating, Reason, Status
from pipelines.domain.state import EditionState, ProgressRow, StageRecord, StageState
from pipelines.jobs.common import Run
from pipelines.jobs.outbox import outbox_counts, unsure_mail
from pipelines.jobs.sheets import (
    UNREADABLE_SHEET,
    changed_after_freeze,
    live_assignment,
    said_why,
    sheet_ref,
    sheet_versions,
)


# --- progress: per stage, group and expert ---------------------------------------------------------
def _held(r: Rating) -> dict[str, Any]:
    """A rating's scores with the raw value of each one not counted: what the ratings tab keeps."""
    return {k: (v if v is not None else r.raw.get(k)) for k, v in r.scores.items()}


def _seen(ratings: list[Rating]) -> str:
    """A digest of what the expert's sheet holds, the same read live or from the ratings tab: a new
    one means the sheet changed."""
    held = sorted(
        (r.application_id, sorted((k, str(v)) for k, v in _held(r).items()), r.comment, r.recused) for r in ratings
    )
    return hashlib.sha256(json.dumps(held, ensure_ascii=False, default=str).encode()).hexdigest()[:16]


def _typed(ratings: list[Rating]) -> bool:
    return any(r.comment or r.recused or any(v not in (None, "") for v in _held(r).values()) for r in ratings)


def _sheet_now(run: Run, a: Assignment, live: bool) -> tuple[list[Rating], list[Problem]]:
    """An expert's ratings and problems: read from the sheet while the stage is open, else as the
    close recorded them."""
    if live:
        ratings, problems = live_assignment(run, a)
        if not ratings and problems and problems[0].application_id is None:
            error = i18n.word(problems[0].notice, run.lang)
            run.say(i18n.text("remind_unreadable", run.lang, email=a.expert.email, error=error))
        return ratings, problems
    key = (a.stage, a.group)
    return (
        [r for r in run.state.ratings.get(key, []) if r.expert_email == a.expert.email],
        [p for p in run.state.problems.get(key, []) if p.expert == a.expert.email],
    )


def progress_rows(run: Run) -> list[ProgressRow]:
    """The "progress" tab: for each expert's sheet, DERs assigned, fully scored, % done, when a
    change was last seen, its problems, the stage's deadline and the group's ties waiting for a
    decision. Open stages are read live; `last_change` is the moment a run first saw the sheet's
    current content (kept from the tab while the content stays the same)."""
    state = run.state
    before = {r.key: r for r in run.edition.progress}
    rows: list[ProgressRow] = []
    for number in (1, 2, 3):
        record = state.stage(number)
        live = record.state is StageState.OPEN
        deadline = run.config.calendar.stage_close(number)  # as the config now sets it (CDB may move it)
        versions = sheet_versions(run, number) if live else {}
        fresh = _made_untouched(run, number) if live else set()
        closed = _closed_mark(record)
        for a in state.sheets(number):
            old = before.get((number, a.group, a.expert.email))
            version = versions.get(a.sheet_id, "") or closed
            if old and version and old.sheet_version == version and old.counts_trusted:  # untouched since read
                if live or old.assigned == len(a.application_ids):
                    rows.append(_carried(old, a, record.state, deadline, state))
                    continue
            ratings: list[Rating]
            problems: list[Problem]
            if version and a.sheet_id in fresh:  # nobody has typed in what this run just wrote
                ratings, problems = [], []
            else:
                ratings, problems = _sheet_now(run, a, live)
            done = {r.application_id for r in ratings if r.complete or r.recused} & set(a.application_ids)
            seen = _seen(ratings)
            if old and old.seen == seen:
                last_change = old.last_change
            elif _typed(ratings):
                last_change = run.now.isoformat(timespec="seconds")
            else:
                last_change = ""
            read = ProgressRow(
                number,
                a.group,
                a.expert.email,
                a.expert.name,
                assigned=len(a.application_ids),
                scored=len(done),
                last_change=last_change,
                problems=len(problems),
                problem_detail="\n".join(f"{p.cell}: {i18n.word(p.notice, run.lang)}" for p in problems[:5])
                + (f"\n… +{len(problems) - 5}" if len(problems) > 5 else ""),
                seen=seen,
                sheet_version=version,
            )
            rows.append(_of_stage(read, record.state, deadline, state))
    return rows


def _closed_mark(record: StageRecord) -> str:
    """A closed stage's stand-in for a sheet's version: its ratings are those its last close
    recorded (frozen sheets, stages.py close_stage), so a row read after that close stays right
    until the stage closes again (reopened: its `closed_at` moves). "" for a stage not closed."""
    if record.state is not StageState.CLOSED or record.closed_at is None:
        return ""
    return f"closed {record.closed_at.isoformat()}"


def _made_untouched(run: Run, stage: int) -> set[str]:
    """The sheets of the stage this run made whose last change is still the pipeline's own (asked
    after the versions, from the same listing): they hold what was written, nothing typed. A sheet
    an expert typed into, even seconds after its share, is read."""
    made = [a for a in run.state.sheets(stage) if a.sheet_id in run.made_sheets]
    if not made:
        return set()
    return run.workspace.sheets.last_changed_by_us([sheet_ref(run, a) for a in made])


def _of_stage(row: ProgressRow, stage: StageState, deadline, state: EditionState) -> ProgressRow:
    """The row with what it takes from the stage, not the sheet: its deadline and ties waiting."""
    outcome = state.outcomes.get((row.stage, row.group))
    ties = [" = ".join(t) for t in outcome.ties] if outcome is not None and not outcome.ready else []
    return replace(
        row,
        deadline="" if stage is StageState.CLOSED else deadline.isoformat(timespec="seconds"),
        ties_waiting="; ".join(ties),
    )


def _carried(old: ProgressRow, a: Assignment, stage: StageState, deadline, state: EditionState) -> ProgressRow:
    """The row of a sheet nobody touched since the last read: what it saw, with the stage's news."""
    return _of_stage(replace(old, expert_name=a.expert.name), stage, deadline, state)


def refresh_progress(run: Run) -> list[ProgressRow]:
    """Recompute the progress tab into the edition state (written by the next `run.commit()`)."""
    rows = progress_rows(run)
    run.edition.progress = rows
    return rows


def left_out(run: Run, stage: int) -> list[dict[str, Any]]:
    """Every rating cell not counted at the stage's close: group, expert, DER, cell, why (en and local)."""
    names = {a.expert.email: a.expert.name for a in run.state.sheets(stage)}
    out = []
    for (s, group), problems in sorted(run.state.problems.items()):
        if s != stage:
            continue
        for p in problems:
            if p.application_id is None and p.notice.key not in UNREADABLE_SHEET:
                continue  # a header or an added row: no rating is affected
            out.append(
                {
                    "group": group,
                    "expert": p.expert,
                    "expert_name": names.get(p.expert, ""),
                    "id": p.application_id or "",
                    "cell": p.cell,
                    "why": p.notice.key,
                    "why_values": dict(p.notice.as_dict()["values"]),
                    "why_local": said_why(p, run.lang),
                }
            )
    return out


def _progress(state: EditionState, app: Application) -> str:
    """An accepted DER's furthest point: in stage N, not selected at N, finalist, winner."""
    if app.status is not Status.ACCEPTED:
        return app.status.value
    for stage in (3, 2, 1):
        ranked = {s.application_id for o in state.outcomes_of(stage) for s in o.standings}
        if app.id not in ranked:
            continue
        chosen = app.id in state.selected_at(stage)
        if stage == 3:
            return "winner" if chosen else "finalist"
        return f"selected at stage {stage}" if chosen else f"not selected at stage {stage}"
    return app.status.value


PROGRESS_KEYS = (
    "expert_email",
    "expert_name",
    "assigned",
    "scored",
    "percent",
    "last_change",
    "problems",
    "deadline",
    "ties_waiting",
)


def reason_json(reason: Reason, lang: str) -> dict[str, Any]:
    """A reason as `status --json` gives it: rule, clause, `detail` in the edition's language, and
    the notice it words (`key`, `values`)."""
    return {
        "rule": reason.rule,
        "clause": reason.clause,
        "detail": i18n.word(reason.notice, lang),
        **reason.notice.as_dict(),
    }


def build_status(run: Run) -> dict[str, Any]:
    state = run.state
    progress = progress_rows(run)  # read live for open stages; status writes nothing
    applications = [
        {
            "id": app.id,
            "title": app.title,
            "faculty": app.faculty_id or app.response.faculty,
            "department": app.department_id or app.response.department,
            "authors": [a.name for a in app.response.authors],
            # what in the authors' answer is neither a name, a position nor contact data: for CDB to read
            "authors_unclear": list(read_authors(app.response.authors_raw).unclear),
            "status": _progress(state, app),
            "registry_status": app.status.value,
            "row_key": app.response.row_key,
            "reasons": [reason_json(r, run.lang) for r in app.reasons],
            # came or was edited after intake closed (9.8): a record beside the registry, never counted
            "after_deadline": any(r.rule in ("after_deadline", "late") for r in app.reasons),
            # needs CDB: a unit no spelling matches, a link off the allowed platforms (the reasons
            # name the closest matches); nobody is told until CDB settles it in contest.yaml
            "held": app.status is Status.HELD,
        }
        for app in state.applications
    ]
    stages = []
    for number in (1, 2, 3):
        record = state.stage(number)
        sheets = [p for p in progress if p.stage == number]
        groups: dict[str, dict[str, Any]] = {}

        def group(name: str, groups: dict[str, dict[str, Any]] = groups) -> dict[str, Any]:
            return groups.setdefault(
                name,
                {
                    "name": name,
                    "experts": [],
                    "sheets_complete": 0,
                    "sheets_incomplete": [],  # both of the two below
                    "sheets_unfilled": [],  # cells left blank
                    "sheets_invalid": [],  # a cell holds what is not a valid value (a problem of the sheet)
                    "selected": [],
                    "ties": [],
                    "progress": [],
                },
            )

        for p in sheets:
            g = group(p.group)
            g["experts"].append(p.expert_email)
            assigned, scored = p.assigned or 0, p.scored or 0  # rows are the pipeline's own (progress_rows)
            if scored >= assigned and (assigned > 0 or record.state is StageState.OPEN):
                g["sheets_complete"] += 1
            else:
                g["sheets_incomplete"].append(p.expert_email)
                # typed but not a valid value is not "not filled": said on a line of its own
                g["sheets_invalid" if p.problems else "sheets_unfilled"].append(p.expert_email)
            g["progress"].append({k: getattr(p, k) for k in PROGRESS_KEYS})
        for outcome in state.outcomes_of(number):
            g = group(outcome.group)
            g["selected"] = list(outcome.selected)
            g["ties"] = [list(t) for t in outcome.ties]
            g["waiting"] = [i18n.word(w, run.lang) for w in outcome.waiting]  # as `waiting_local` (once English)
            g["waiting_local"] = list(g["waiting"])
            g["waiting_notices"] = [w.as_dict() for w in outcome.waiting]
        for g in groups.values():  # a waiting stage waits for the groups that wait, not for every group
            decided = record.state is StageState.WAITING and not g.get("waiting")
            g["state"] = "decided" if decided else record.state.value
        if record.state in (StageState.CLOSED, StageState.WAITING):
            for item in left_out(run, number):
                group(item["group"]).setdefault("left_out", []).append(item)
        stages.append(
            {
                "number": number,
                "state": record.state.value,
                "opened_at": record.opened_at.isoformat(timespec="seconds") if record.opened_at else "",
                "closed_at": record.closed_at.isoformat(timespec="seconds") if record.closed_at else "",
                "note": record.note,
                "deadline": next((p.deadline for p in sheets if p.deadline), ""),
                "groups": list(groups.values()),
            }
        )
    winners = []
    final = state.outcomes_of(3)
    if state.stage(3).state is StageState.CLOSED and final and final[0].ready:
        scores = {s.application_id: s.score for s in final[0].standings}
        winners = [
            {"place": place, "id": app_id, "score": scores.get(app_id)}
            for place, app_id in enumerate(final[0].selected, start=1)
        ]
    documents = [
        {
            "kind": d.key.kind,
            "stage": d.key.stage,
            "group": d.key.group,
            "subject": d.key.subject,
            "version": d.key.version,
            "path_or_url": d.path_or_url,
        }
        for d in run.workspace.drive.documents()
    ]
    intake = state.stage(0)
    return {
        "post_freeze_edits": post_freeze_edits(run),
        "edition": run.config.edition_name(),
        "language": run.lang,
        "now": run.now.isoformat(timespec="seconds"),
        "backend": run.workspace.description,
        "backend_local": i18n.place(run.workspace, run.lang),
        # waiting: what the close waits for (9.8: responses that cover the deadline), as the last intake said
        "intake": {
            "state": "" if intake.state is StageState.PENDING else intake.state.value,
            "waiting": intake.note if intake.state is StageState.WAITING else "",
        },
        "applications": applications,
        "stages": stages,
        "winners": winners,
        "documents": documents,
        "messages_pending": _messages_pending(run),
        "decisions_waiting": decisions_waiting(run),
        "lease": _lease(run),
        # mail that may not have arrived (a lost answer, no mailbox to ask): never counted as sent,
        # each with the command that sends it again (jobs/outbox.py)
        "unsure_mail": [u.as_dict(run.lang) for u in unsure_mail(run)],
        "outbox": outbox_counts(run),
    }


def _messages_pending(run: Run) -> list[dict[str, Any]]:
    """What is about to be sent to applicants and when (jobs/notify.py `pending`): a final rejection
    waits for CDB's review until `send_at`; the others go with the next tick."""
    from pipelines.jobs.notify import pending

    return pending(run) if run.state.applications else []


def decisions_waiting(run: Run) -> list[dict[str, Any]]:
    """What only a recorded decision can settle now (jobs/decisions.py): a DER disqualified while
    the next stage is under way, a reinstated DER whose stage has closed."""
    from pipelines.jobs.decisions import waiting

    return [{"detail": i18n.word(n, run.lang), **n.as_dict()} for n in waiting(run)]


def _lease(run: Run) -> dict[str, Any] | None:
    """Who holds the edition's tick lease (or the local workspace's lock) now, since when: null
    when free (a crashed tick on this host holds nothing: the next one takes it at once)."""
    held = run.workspace.control.lease_held()
    return held.as_dict() if held is not None else None


def post_freeze_edits(run: Run) -> list[dict[str, Any]]:
    """Every edit of a frozen sheet: those recorded (by a tick or an audit) and those seen now that
    are not yet (status writes nothing); `recorded` says which. The scores used are the frozen ones."""
    recorded = {e.seen_as for e in run.state.freeze_edits}
    live = [e for e in changed_after_freeze(run, record=False) if e.seen_as not in recorded]
    names = {a.expert.email: a.expert.name for a in run.state.assignments}
    return [
        {
            "detected_at": e.detected_at.isoformat(timespec="seconds") if e.detected_at else "",
            "stage": e.stage,
            "group": e.group,
            "expert": e.expert,
            "expert_name": names.get(e.expert, ""),
            "sheet": e.sheet,
            "revision": e.revision,
            "changes": e.changes,
            "detail": e.notice.key,
            "detail_local": i18n.word(e.notice, run.lang),
            "recorded": e.seen_as in recorded,
        }
        for e in [*run.state.freeze_edits, *live]
    ]


def status_json(run: Run) -> str:
    return json.dumps(build_status(run), ensure_ascii=False, indent=2)
