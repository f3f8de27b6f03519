"""audit-sharing: every rating sheet is shared with its own expert only (14.1, 13: access control),
and nothing else of the edition (its folders, documents, control store, the shared drive) with
anyone but CDB and the pipeline itself."""

from __future__ import annotations

from pipelines import i18n
from pipelines.domain.state import StageState
from pipelines.jobs.common import Run
from pipelines.jobs.sheets import changed_after_freeze


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
    problems += _beyond_the_sheets(run, expected)
    problems += len(changed_after_freeze(run))
    run.say(i18n.text("audit_total", run.lang, count=problems))
    return problems


def _beyond_the_sheets(run: Run, sheets: dict[str, tuple[str, int]]) -> int:
    """Every other permission of the edition: only CDB (backend.cdb_editors) may hold one; an
    inherited one is counted where it is granted (the folder or the drive), not on every file."""
    allowed = {e.strip().lower() for e in getattr(run.config.backend, "cdb_editors", [])}
    problems = 0
    for entry in run.workspace.drive.access():
        if entry["file"] in sheets or entry["inherited"] or entry["who"] in allowed:
            continue  # a rating sheet's own access is checked above
        problems += 1
        run.say(
            i18n.text(
                "audit_beyond",
                run.lang,
                kind=entry["kind"],
                name=entry["name"],
                file=entry["file"],
                who=entry["who"],
                role=entry["role"],
            )
        )
    return problems
