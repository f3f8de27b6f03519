"""The control tables are never silently lost: every job checks them once, before it starts.

Without its control tables (registry, stages, results …) a job would take the edition for a new one:
the tick would rebuild the registry, reopen stage 1 "after its deadline" and lose the results, under
cron, without a word. So once the edition has started — the backend holds rating sheets or documents
the pipeline made (local: the manifest; Google: the appProperties search) — a control store that is
missing, empty, unreadable or lacks a table that must exist by then stops every job with ControlLost,
naming what is missing and how to restore it. A brand-new edition (nothing made yet) starts normally.

Which tables must exist follows from the order the jobs write in: intake writes the registry before
any form 01 letter, and a stage's sheets are made from the registry; a stage closes only from the
stages table (its sheets listed in assignments) and writes its results before its documents, and
stage 2 opens only from stage 1's results. A crash half-way through opening stage 1 (sheets made, the stages table not
yet written by a hand-run `open-stage 1`) is therefore not taken for a lost store.

`contest restore` (local workspace) puts back a copy from workspace/backups/ (backends/local/backups.py).
"""

from __future__ import annotations

from pipelines import i18n
from pipelines.formats.tables import LANGS, schema
from pipelines.ports import ControlHealth, ControlLost, SheetKey, StoredDoc, Workspace

ONCE_MADE = ("registry",)  # anything made: intake has written the registry
ONCE_CLOSED = ("stages", "assignments", "results")  # a stage has closed (or stage 2 opened)
ALL_REQUIRED = ONCE_MADE + ONCE_CLOSED


def _titles(table: str) -> set[str]:
    return {schema()[table]["title"][lang] for lang in LANGS}


def required_tables(sheets: list[SheetKey], documents: list[StoredDoc]) -> list[str]:
    """The control tables (by key) that must exist given what the backend holds."""
    if not sheets and not documents:
        return []
    if any(k.stage >= 2 for k in sheets) or any(d.key.stage >= 1 for d in documents):
        return list(ALL_REQUIRED)
    return list(ONCE_MADE)


def missing_tables(health: ControlHealth, tables: list[str]) -> list[str]:
    """The tables of `tables` the store has under neither language's title."""
    present = set(health.tables)
    return [t for t in tables if not (_titles(t) & present)]


def ensure_control_intact(workspace: Workspace, lang: str) -> None:
    """Raise ControlLost when the edition has started and its control store is missing or damaged.
    Creates nothing. A healthy store with every table costs no listing of sheets or documents."""
    health = workspace.control.health()
    if health.ok and not missing_tables(health, list(ALL_REQUIRED)):
        return
    sheets = workspace.sheets.made()
    documents = workspace.drive.documents()
    if not sheets and not documents:
        return  # a new edition: the jobs create the store
    if health.ok:
        lacking = missing_tables(health, required_tables(sheets, documents))
        if not lacking:
            return
        problem = i18n.text("control_tabs_missing", lang, tabs=", ".join(schema()[t]["title"][lang] for t in lacking))
    elif health.state == "unreadable":
        problem = i18n.text("control_unreadable", lang, detail=health.detail)
    elif health.state == "empty":
        problem = i18n.text("control_empty", lang)
    else:
        problem = i18n.text("control_missing", lang)
    raise ControlLost(
        i18n.text(
            "control_lost",
            lang,
            where=health.where,
            problem=problem,
            made=i18n.text("control_made", lang, sheets=len(sheets), documents=len(documents)),
            restore=restore_hint(health, lang),
        )
    )


def restore_hint(health: ControlHealth, lang: str) -> str:
    if health.backend == "local":
        return i18n.text("control_restore_local", lang, backups=health.backups)
    return i18n.text("control_restore_google", lang)
