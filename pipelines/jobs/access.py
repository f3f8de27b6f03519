"""`check-config --access`: reach the backend and read what the jobs will need.

The dry run before the first real tick: are the credentials right, is the form readable, can the
control tables, the rating sheets and the documents be listed? It changes no table, sheet or
document; on a first run it may create the edition's (empty) control spreadsheet, which every
later job finds again by its key.
"""

from __future__ import annotations

from pipelines import i18n
from pipelines.jobs import edition as store
from pipelines.jobs.common import Run
from pipelines.ports import BackendError


def check_access(run: Run) -> list[str]:
    """Each check says what it found; returns the problems (empty when all is reachable)."""
    ws, problems, lang = run.workspace, [], run.lang
    checks = [
        ("access_forms", lambda: i18n.text("access_forms_found", lang, count=len(ws.forms.read_responses()))),
        ("access_control", lambda: i18n.text("access_control_found", lang, count=len(store.read_registry(run.tables)))),
        ("access_sheets", lambda: i18n.text("access_sheets_found", lang, count=len(ws.sheets.sharing()))),
        ("access_documents", lambda: i18n.text("access_documents_found", lang, count=len(ws.drive.documents()))),
    ]
    run.say(i18n.text("access_backend", lang, backend=i18n.place(ws, lang)))
    for key, check in checks:
        name = i18n.text(key, lang)
        try:
            run.say(i18n.text("access_ok", lang, name=name, found=check()))
        except BackendError as exc:
            problems.append(i18n.text("access_problem", lang, name=name, error=i18n.error_text(exc, lang)))
            run.say(i18n.text("access_fail", lang, name=name, error=i18n.error_text(exc, lang)))
    return problems
