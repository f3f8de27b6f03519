"""`contest restore`: the local workspace's control.xlsx back from one of its rotated copies, and its
database (contest.sqlite3) from the copy taken with it when the workspace's own is missing or damaged.

A command over the local backend (its ControlBackups), so it lives beside the CLI, not among the
jobs (which reach backends only through the ports).
"""

from __future__ import annotations

from pipelines import i18n
from pipelines.backends.local import Backup, ControlBackups, inspect_backup
from pipelines.ports import BackendError


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
    done = backups.put_back(chosen.path)
    lines = [
        i18n.text(
            "restore_done",
            lang,
            name=chosen.path.name,
            taken=chosen.taken.strftime("%Y-%m-%d %H:%M:%S"),
            tables=_tables_text(chosen.tables or {}),
        )
    ]
    if done.control_aside:
        lines.append(i18n.text("restore_set_aside", lang, path=done.control_aside))
    lines.append(i18n.text(f"restore_database_{done.database.replace('-', '_')}", lang, path=backups.database))
    if done.database_aside:
        lines.append(i18n.text("restore_set_aside", lang, path=done.database_aside))
    return lines


def _backups(config, lang: str):
    if config.backend.kind != "local":
        raise BackendError(i18n.text("restore_google", lang))
    return ControlBackups(config.path(config.backend.workspace), config.backend.control_backups)


def undo_edits(control, lang: str) -> list[str]:
    """`contest undo-edits`: the control tables back as the product last wrote them
    (formats/witness.py): control.xlsx with the edited file set aside in backups/set-aside/, or the
    control spreadsheet from its written copies, the edited version left in its version history."""
    aside = control.undo_hand_edits()
    if aside is None:
        return [i18n.text("edits_none", lang)]
    if str(aside).startswith("https://"):
        return [i18n.text("edits_undone_google", lang, url=aside)]
    return [i18n.text("edits_undone", lang, path=aside)]
