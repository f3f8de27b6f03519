"""`check-config --access`: reach the backend and read what the jobs will need.

The dry run before the first real tick: are the credentials right, is the form readable, can the
control tables, the rating sheets and the documents be listed? It changes no table, sheet or
document; on a first run it may create the edition's (empty) control spreadsheet, which every
later job finds again by its key.
"""
from __future__ import annotations

from pipelines.jobs.common import Run
from pipelines.ports import BackendError


def check_access(run: Run) -> list[str]:
    """Each check says what it found; returns the problems (empty when all is reachable)."""
    ws, problems = run.workspace, []
    checks = [
        ("form responses", lambda: f"{len(ws.forms.read_responses())} responses readable"),
        ("control tables", lambda: f"registry readable ({len(run.tables.read('registry'))} rows)"),
        ("rating sheets", lambda: f"{len(ws.sheets.sharing())} sharing entries listed"),
        ("documents", lambda: f"{len(ws.drive.documents())} documents listed"),
    ]
    run.say(f"backend: {ws.description}")
    for name, check in checks:
        try:
            run.say(f"ok   {name}: {check()}")
        except BackendError as exc:
            problems.append(f"{name}: {exc}")
            run.say(f"FAIL {name}: {exc}")
    return problems
