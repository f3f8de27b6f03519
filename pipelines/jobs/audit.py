"""audit-sharing: every rating sheet is shared with its own expert only (14.1, 13: access control)."""

from __future__ import annotations

from pipelines import i18n
from pipelines.domain.state import StageState
from pipelines.jobs.common import Run


def audit(run: Run) -> int:
    """Reports each sheet's access; returns the number of problems (anyone else, or writer after close)."""
    state = run.state
    expected = {a.sheet_id: (a.expert.email, a.stage) for a in state.assignments}
    problems = 0
    for entry in run.workspace.sheets.sharing():
        owner = expected.get(entry["sheet"])
        if owner is None:
            continue  # the pipeline's own access, or a sheet of another edition
        email, stage = owner
        closed = state.stage(stage).state in (StageState.CLOSED, StageState.WAITING)
        if entry["email"] != email:
            problems += 1
            run.say(
                i18n.text(
                    "audit_not_expert",
                    run.lang,
                    sheet=entry["sheet"],
                    email=entry["email"],
                    role=i18n.role(entry["role"], run.lang),
                    expert=email,
                )
            )
        elif closed and entry["role"] not in ("reader", "commenter"):
            problems += 1
            run.say(
                i18n.text(
                    "audit_still_writer",
                    run.lang,
                    sheet=entry["sheet"],
                    stage=stage,
                    email=email,
                    role=i18n.role(entry["role"], run.lang),
                )
            )
        else:
            run.say(
                i18n.text(
                    "audit_ok", run.lang, sheet=entry["sheet"], email=email, role=i18n.role(entry["role"], run.lang)
                )
            )
    run.say(i18n.text("audit_total", run.lang, count=problems))
    return problems
