"""What is done, what is waiting, who has not scored: the `status --json` contract (docs/architecture.md)."""

from __future__ import annotations

import json
from typing import Any

from pipelines import i18n
from pipelines.domain.models import Application, Status
from pipelines.domain.state import EditionState, StageState
from pipelines.jobs.common import Run
from pipelines.jobs.sheets import incomplete_sheets


def left_out(run: Run, stage: int) -> list[dict[str, Any]]:
    """Every rating cell not counted at the stage's close: group, expert, DER, cell, why (en and local)."""
    names = {a.expert.email: a.expert.name for a in run.state.sheets(stage)}
    out = []
    for (s, group), problems in sorted(run.state.problems.items()):
        if s != stage:
            continue
        for p in problems:
            if p.application_id is None and not p.detail.startswith("the sheet could not be read"):
                continue  # a header or an added row: no rating is affected
            out.append(
                {
                    "group": group,
                    "expert": p.expert,
                    "expert_name": names.get(p.expert, ""),
                    "id": p.application_id or "",
                    "cell": p.cell,
                    "why": p.detail,
                    "why_local": i18n.sheet_problem(p.detail, run.lang),
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


def build_status(run: Run) -> dict[str, Any]:
    state = run.state
    applications = [
        {
            "id": app.id,
            "title": app.title,
            "faculty": app.faculty_id or app.response.faculty,
            "department": app.department_id or app.response.department,
            "authors": [a.name for a in app.response.authors],
            "status": _progress(state, app),
            "registry_status": app.status.value,
            "row_key": app.response.row_key,
            "reasons": [r.as_dict() for r in app.reasons],
            # came or was edited after intake closed (9.8): a record beside the registry, never counted
            "after_deadline": any(r.rule in ("after_deadline", "late") for r in app.reasons),
        }
        for app in state.applications
    ]
    stages = []
    for number in (1, 2, 3):
        record = state.stage(number)
        # The ratings are read from the sheets when a stage closes; while it is open, read them live.
        live = {(p.group, p.email) for p in incomplete_sheets(run, number)} if record.state is StageState.OPEN else None
        complete = {
            (r.expert_email, r.application_id)
            for (s, _g), rs in state.ratings.items()
            if s == number
            for r in rs
            if r.complete
        }
        groups: dict[str, dict[str, Any]] = {}

        def group(name: str, groups: dict[str, dict[str, Any]] = groups) -> dict[str, Any]:
            return groups.setdefault(
                name,
                {
                    "name": name,
                    "experts": [],
                    "sheets_complete": 0,
                    "sheets_incomplete": [],
                    "selected": [],
                    "ties": [],
                },
            )

        for a in state.sheets(number):
            g = group(a.group)
            g["experts"].append(a.expert.email)
            if live is not None:
                done = (a.group, a.expert.email) not in live
            else:
                done = bool(a.application_ids) and all((a.expert.email, i) in complete for i in a.application_ids)
            if done:
                g["sheets_complete"] += 1
            else:
                g["sheets_incomplete"].append(a.expert.email)
        for outcome in state.outcomes_of(number):
            g = group(outcome.group)
            g["selected"] = list(outcome.selected)
            g["ties"] = [list(t) for t in outcome.ties]
            g["waiting"] = [str(w) for w in outcome.waiting]
            g["waiting_local"] = [i18n.say(w, run.lang) for w in outcome.waiting]
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
        "edition": run.config.edition_name(),
        "language": run.lang,
        "now": run.now.isoformat(timespec="seconds"),
        "backend": run.workspace.description,
        "intake": {"state": "" if intake.state is StageState.PENDING else intake.state.value},
        "applications": applications,
        "stages": stages,
        "winners": winners,
        "documents": documents,
    }


def status_json(run: Run) -> str:
    return json.dumps(build_status(run), ensure_ascii=False, indent=2)
