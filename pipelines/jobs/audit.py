"""audit-sharing: every rating sheet is shared with its own expert only (14.1, 13: access control)."""
from __future__ import annotations

from pipelines import i18n
from pipelines.jobs.common import Run
from pipelines.jobs.stages import CLOSED, WAITING, stage_rows


def audit(run: Run) -> int:
    """Reports each sheet's access; returns the number of problems (anyone else, or writer after close)."""
    states = {n: str(r.get("state")) for n, r in stage_rows(run).items()}
    expected = {str(r["sheet_id"]): (str(r["expert_email"]), int(r["stage"])) for r in run.tables.read("assignments")}
    problems = 0
    for entry in run.workspace.sheets.sharing():
        owner = expected.get(entry["sheet"])
        if owner is None:
            continue  # the pipeline's own access, or a sheet of another edition
        email, stage = owner
        closed = states.get(stage) in (CLOSED, WAITING)
        if entry["email"] != email:
            problems += 1
            run.say(i18n.text("audit_not_expert", run.lang, sheet=entry["sheet"], email=entry["email"],
                              role=entry["role"], expert=email))
        elif closed and entry["role"] not in ("reader", "commenter"):
            problems += 1
            run.say(i18n.text("audit_still_writer", run.lang, sheet=entry["sheet"], stage=stage, email=email,
                              role=entry["role"]))
        else:
            run.say(i18n.text("audit_ok", run.lang, sheet=entry["sheet"], email=email, role=entry["role"]))
    run.say(i18n.text("audit_total", run.lang, count=problems))
    return problems
