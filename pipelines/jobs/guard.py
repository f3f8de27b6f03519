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

`contest restore` (local workspace) puts back a copy from workspace/backups/ (backends/local.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines import i18n
from pipelines.ports import BackendError, ControlHealth, ControlLost, SheetKey, StoredDoc, Workspace
from pipelines.tables import LANGS, schema

if TYPE_CHECKING:
    from pipelines.backends.local import Backup

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


# --- contest restore (the local workspace) ----------------------------------------------------------
def _tables_text(tables: dict[str, int]) -> str:
    return ", ".join(f"{name}: {rows}" for name, rows in tables.items()) or "—"


def list_backups(config, lang: str) -> list[str]:
    """`contest restore --list`: one line per copy of control.xlsx, newest first."""
    backups = _backups(config, lang)
    found = backups.backups()
    if not found:
        return [i18n.text("restore_list_empty", lang, folder=backups.folder)]
    out = []
    for b in found:
        taken = b.taken.strftime("%Y-%m-%d %H:%M:%S")
        if b.readable:
            out.append(
                i18n.text("restore_list_line", lang, name=b.path.name, taken=taken, tables=_tables_text(b.tables or {}))
            )
        else:
            out.append(i18n.text("restore_list_unreadable", lang, name=b.path.name, taken=taken, detail=b.detail))
    return out


def restore_control(config, lang: str, name: str | None = None) -> list[str]:
    """`contest restore [BACKUP]`: control.xlsx from the named copy, else from the newest readable
    one; the file it replaces (broken or not) is moved to backups/set-aside/, never deleted."""
    from pipelines.backends.local import inspect_backup

    backups = _backups(config, lang)
    chosen: Backup | None
    if name:
        path = backups.find(name)
        if path is None:
            raise BackendError(i18n.text("restore_unknown", lang, name=name, folder=backups.folder))
        chosen = inspect_backup(path)
        if not chosen.readable:
            raise BackendError(i18n.text("restore_unreadable", lang, name=path.name, detail=chosen.detail))
    else:
        chosen = next((b for b in backups.backups() if b.readable), None)
        if chosen is None:
            raise BackendError(i18n.text("restore_none", lang, folder=backups.folder))
    aside = backups.put_back(chosen.path)
    lines = [
        i18n.text(
            "restore_done",
            lang,
            name=chosen.path.name,
            taken=chosen.taken.strftime("%Y-%m-%d %H:%M:%S"),
            tables=_tables_text(chosen.tables or {}),
        )
    ]
    if aside:
        lines.append(i18n.text("restore_set_aside", lang, path=aside))
    return lines


def _backups(config, lang: str):
    if config.backend.kind != "local":
        raise BackendError(i18n.text("restore_google", lang))
    from pipelines.backends.local import ControlBackups

    return ControlBackups(config.path(config.backend.workspace), config.backend.control_backups)
