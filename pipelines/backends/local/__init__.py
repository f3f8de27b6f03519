"""The local workspace: a folder of .xlsx and .docx files, the embedded default and the offline mode.

workspace/
  control.xlsx        the control tables (registry, stages, results, journal ...), one tab each: the
                      file people read (control.py; laid out by presentation.py)
  contest.sqlite3     the records nobody opens: what the pipeline made under its idempotency keys,
                      the share messages' ledger, journal rows not yet in control.xlsx (store.py;
                      manifest.py holds its entries in memory)
  backups/            the last copies of control.xlsx, each with a copy of contest.sqlite3 (backups.py)
  drive/              documents (drive.py) and rating sheets (sheets.py, workbooks.py), one folder per
                      stage and group
  outbox/             notifications as .eml files for CDB to send; no mail server here (outbox.py)
  inbox/              the sheets experts mail back, saved by CDB under any name (inbox.py): each filed
                      by its identity into its place (originals kept in inbox/filed/, others in
                      inbox/not-filed/)
  .frozen/            copies of rating sheets taken at stage close; later edits are ignored

The form's responses come from an export file (forms.py). files.py: the disk under all of them
(atomic writes, OSError as the ports' errors). legacy.py: the previous version's manifest.json,
manifest.log and control.pending.jsonl, read once to migrate a workspace.
"""

from __future__ import annotations

from functools import partial

from pipelines.backends.local import legacy
from pipelines.backends.local.backups import Backup, ControlBackups, PutBack, inspect_backup
from pipelines.backends.local.control import LocalControlStore
from pipelines.backends.local.drive import LocalDrive
from pipelines.backends.local.files import file_errors
from pipelines.backends.local.forms import ExportFormSource
from pipelines.backends.local.inbox import LocalInbox
from pipelines.backends.local.manifest import Manifest, ManifestLedger
from pipelines.backends.local.outbox import LocalMailer, Outbox
from pipelines.backends.local.sheets import LocalRatingSheets
from pipelines.backends.local.store import DB_NAME, Database
from pipelines.backends.local.workbooks import openpyxl_tabs, read_xlsx_tabs, render_xlsx, sniff
from pipelines.domain.models import Notice
from pipelines.ports import BackendError, Workspace

__all__ = [
    "DB_NAME",
    "Backup",
    "ControlBackups",
    "Database",
    "ExportFormSource",
    "LocalControlStore",
    "LocalDrive",
    "LocalInbox",
    "LocalMailer",
    "LocalRatingSheets",
    "Outbox",
    "Manifest",
    "ManifestLedger",
    "PutBack",
    "inspect_backup",
    "open_local",
    "openpyxl_tabs",
    "read_xlsx_tabs",
    "render_xlsx",
    "sniff",
]


@file_errors
def open_local(config) -> Workspace:
    root = config.path(config.backend.workspace)
    root.mkdir(parents=True, exist_ok=True)
    if config.form.kind != "file" or not config.form.path:
        from pipelines.formats.forms import FormError

        said = FormError("form_local_needs_file")  # in the config's language where the error is shown
        raise BackendError(str(said)) from said
    db = Database(root)  # one connection for the manifest and the control store's pending rows
    # read on first use, so that a job the guard refuses creates no database; a previous version's
    # workspace is migrated (or refused, if damaged) at once
    manifest = Manifest(root, db, lazy=not legacy.found(root))
    outbox = Outbox(root, manifest, sender=config.backend.sender, zone=config.zone)
    return Workspace(
        forms=ExportFormSource(config.path(config.form.path), config.form.aliases),
        control=LocalControlStore(root, config.backend.control_backups, db),
        sheets=LocalRatingSheets(root, manifest, outbox),
        drive=LocalDrive(root, manifest),
        mailer=LocalMailer(outbox),
        description=f"local workspace {root}",
        inbox=LocalInbox(root, manifest),
        place=Notice("workspace_local", root=str(root)),
        clocks=[partial(setattr, outbox, "now")],  # the job's time: the outbox's Date: and file names
    )
