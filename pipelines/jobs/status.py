"""What is done, what is waiting, who has not scored: the DESIGN.md `status --json` contract."""
from __future__ import annotations

import json
from typing import Any

from pipelines.domain.models import Status
from pipelines.jobs.common import Run
from pipelines.jobs.remind import incomplete_sheets
from pipelines.jobs.stages import OPEN, stage_rows
from pipelines.registry import from_row


def _progress(results: dict[str, dict[str, Any]], app_id: str, status: str) -> str:
    """An accepted DER's furthest point: in stage N, not selected at N, finalist, winner."""
    if status != Status.ACCEPTED.value:
        return status
    for stage in (3, 2, 1):
        row = results.get(f"{stage}/{app_id}")
        if row is None:
            continue
        if stage == 3:
            return "winner" if row.get("selected") else "finalist"
        return f"selected at stage {stage}" if row.get("selected") else f"not selected at stage {stage}"
    return status


def build_status(run: Run) -> dict[str, Any]:
    tables = run.tables
    registry = tables.read("registry")
    results_rows = tables.read("results")
    results = {f"{r['stage']}/{r['application_id']}": r for r in results_rows}
    applications = []
    for row in registry:
        app = from_row(row)
        applications.append({
            "id": app.id, "title": app.title, "faculty": app.faculty_id or app.response.faculty,
            "department": app.department_id or app.response.department,
            "authors": [a.name for a in app.response.authors],
            "status": _progress(results, app.id, app.status.value),
            "registry_status": app.status.value, "row_key": app.response.row_key,
            "reasons": [r.as_dict() for r in app.reasons]})
    stage_info = stage_rows(run)
    assignments = tables.read("assignments")
    ratings = tables.read("ratings")
    complete = {(str(r["stage"]), str(r["expert_email"]), str(r["application_id"]))
                for r in ratings if r.get("complete")}
    # The ratings table is written when a stage closes; while it is open, read the sheets themselves.
    live = {number: {(p.group, p.email) for p in incomplete_sheets(run, number)}
            for number in (1, 2, 3) if str(stage_info.get(number, {}).get("state")) == OPEN}
    stages = []
    for number in (1, 2, 3):
        info = stage_info.get(number, {})
        groups: dict[str, dict[str, Any]] = {}
        for a in (x for x in assignments if str(x.get("stage")) == str(number)):
            g = groups.setdefault(str(a["group"]), {"name": str(a["group"]), "experts": [], "sheets_complete": 0,
                                                     "sheets_incomplete": [], "selected": [], "ties": []})
            g["experts"].append(str(a["expert_email"]))
            ids = [i for i in str(a["application_ids"]).split(",") if i]
            if number in live:
                done = (str(a["group"]), str(a["expert_email"])) not in live[number]
            else:
                done = bool(ids) and all((str(number), str(a["expert_email"]), i) in complete for i in ids)
            if done:
                g["sheets_complete"] += 1
            else:
                g["sheets_incomplete"].append(str(a["expert_email"]))
        for r in (x for x in results_rows if str(x.get("stage")) == str(number)):
            g = groups.setdefault(str(r["group"]), {"name": str(r["group"]), "experts": [], "sheets_complete": 0,
                                                     "sheets_incomplete": [], "selected": [], "ties": []})
            if r.get("selected"):
                g["selected"].append(str(r["application_id"]))
            if r.get("tied"):
                g.setdefault("_ties", {}).setdefault(str(r["tied"]), []).append(str(r["application_id"]))
            g["waiting"] = [w for w in str(r.get("waiting") or "").split("\n") if w]
        for g in groups.values():
            g["ties"] = [ids for _n, ids in sorted(g.pop("_ties", {}).items())]
        stages.append({"number": number, "state": str(info.get("state") or "pending"),
                       "opened_at": str(info.get("opened_at") or ""), "closed_at": str(info.get("closed_at") or ""),
                       "note": str(info.get("note") or ""), "groups": list(groups.values())})
    winners = []
    if str(stage_info.get(3, {}).get("state")) == "closed":
        final = [r for r in results_rows if str(r.get("stage")) == "3" and str(r.get("place") or "")]
        winners = sorted(({"place": int(float(r["place"])), "id": str(r["application_id"]),
                           "score": float(r["score"])} for r in final), key=lambda w: w["place"])
    documents = [{"kind": d.key.kind, "stage": d.key.stage, "group": d.key.group, "subject": d.key.subject,
                  "path_or_url": d.path_or_url} for d in run.workspace.drive.documents()]
    intake = stage_info.get(0, {})
    return {"edition": run.config.edition.name, "language": run.lang, "now": run.now.isoformat(timespec="seconds"),
            "backend": run.workspace.description, "intake": {"state": str(intake.get("state") or "")},
            "applications": applications, "stages": stages, "winners": winners, "documents": documents}


def status_json(run: Run) -> str:
    return json.dumps(build_status(run), ensure_ascii=False, indent=2)
