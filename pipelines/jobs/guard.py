"""The control tables are never silently lost: every job checks them once, before it starts.

Without its control tables (registry, stages, results …) a job would take the edition for a new one:
the tick would rebuild the registry, reopen stage 1 "after its deadline" and lose the results, under
cron, without a word. So once the edition has started — the backend holds rating sheets or documents
the pipeline made (local: the manifest; Google: the appProperties search) — a control store that is
missing, empty, unreadable or lacks a table that must exist by then stops every job with ControlLost,
naming what is missing and how to restore it. A brand-new edition (nothing made yet) starts normally.

The control store and its records both gone (a folder restored from an old copy, a careless cleanup)
cannot count what was made: then every trace the edition leaves counts (ControlHealth.traces: the
local workspace's rating sheets, documents, frozen copies, backups and outbox; on Google the
appProperties search finds the files carrying the edition's key whatever the store holds).

Which tables must exist follows from the order the jobs write in: intake writes the registry before
any form 01 letter, and a stage's sheets are made from the registry; a stage closes only from the
stages table (its sheets listed in assignments) and writes its results before its documents, and
stage 2 opens only from stage 1's results. A crash half-way through opening stage 1 (sheets made, the stages table not
yet written by a hand-run `open-stage 1`) is therefore not taken for a lost store.

`contest restore` (local workspace) puts back a copy from workspace/backups/ (backends/local/backups.py).
"""

from __future__ import annotations

from pipelines import i18n
from pipelines.formats.tables import LANGS, schema, title
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
    if health.ok and not health.records_missing and not missing_tables(health, list(ALL_REQUIRED)):
        return
    if health.traces and health.records_missing:
        # the records gone, the edition's files left: said before anything (the records' database
        # included) is opened, so a refused job creates nothing
        raise ControlLost(
            i18n.text(
                "control_lost",
                lang,
                where=health.records_missing or health.where,
                problem=_problem(health, [], lang),
                made=i18n.text("control_traces", lang, traces=_traces_text(health.traces, lang)),
                restore=restore_hint(health, lang),
            )
        )
    sheets = workspace.sheets.made()
    documents = workspace.drive.documents()
    if not sheets and not documents and (health.ok or not health.traces):
        return  # a new edition: the jobs create the store
    lacking = missing_tables(health, required_tables(sheets, documents)) if health.ok else []
    if health.ok and not lacking:
        return
    raise ControlLost(
        i18n.text(
            "control_lost",
            lang,
            where=health.where,
            problem=_problem(health, lacking, lang),
            made=i18n.text("control_made", lang, sheets=len(sheets), documents=len(documents))
            if sheets or documents
            else i18n.text("control_traces", lang, traces=_traces_text(health.traces, lang)),
            restore=restore_hint(health, lang),
        )
    )


TRACE_WORDS = {"drive": "trace_drive", ".frozen": "trace_frozen", "backups": "trace_backups", "outbox": "trace_outbox"}


def _traces_text(traces: dict[str, int], lang: str) -> str:
    return ", ".join(f"{i18n.text(TRACE_WORDS[folder], lang)}: {n}" for folder, n in traces.items())


def _problem(health: ControlHealth, lacking: list[str], lang: str) -> str:
    said = [i18n.text("control_records_missing", lang, path=health.records_missing)] if health.records_missing else []
    if health.ok:
        if lacking:
            said.insert(0, i18n.text("control_tabs_missing", lang, tabs=", ".join(title(t, lang) for t in lacking)))
    elif health.state == "unreadable":
        said.insert(0, i18n.text("control_unreadable", lang, detail=health.detail))
    elif health.state == "empty":
        said.insert(0, i18n.text("control_empty", lang))
    else:
        said.insert(0, i18n.text("control_missing", lang))
    return "; ".join(said)


def restore_hint(health: ControlHealth, lang: str) -> str:
    if health.backend == "local":
        return i18n.text("control_restore_local", lang, backups=health.backups)
    return i18n.text("control_restore_google", lang)
