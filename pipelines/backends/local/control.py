"""control.xlsx, the control store people read: the tables (registry, stages, results, journal …),
one tab each, written whole, each replaced version kept in backups/ (backups.py); rows appended
between writes (the journal) wait in the workspace database (store.py) and are folded in."""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from pipelines.backends.local import xlsx_writer
from pipelines.backends.local.backups import ControlBackups
from pipelines.backends.local.files import atomic_write, file_digest, file_errors, said_error, storable
from pipelines.backends.local.legacy import FOLDED_PROPERTY
from pipelines.backends.local.legacy import found as legacy_files
from pipelines.backends.local.lock import LOCK_NAME, read_lock
from pipelines.backends.local.presentation import copy_sheet, moment_text, render_table
from pipelines.backends.local.store import Database
from pipelines.formats.witness import ControlEdited, TableEdit, tab_edits
from pipelines.ports import BackendError, ControlHealth, Lease, TableLayout, comparable, rows_as_dicts

TRACE_FOLDERS = ("drive", ".frozen", "backups", "outbox")


class LocalControlStore:
    """control.xlsx. Appended rows (the journal: a row per tick, one before and after each message)
    first go to the workspace database, one short transaction each; rewriting the whole workbook per
    row took a third of an edition's time. They are folded into the workbook by the next table write
    or at the end of the job (`settle`), and read with it meanwhile. A fold records the digest of the
    workbook it writes before replacing control.xlsx, so a crash between the replace and the rows'
    removal from the database never folds a row twice (`_pending`)."""

    def __init__(self, root: Path, keep: int = 10, db: Database | None = None):
        self.root = root
        self.path = root / "control.xlsx"
        self.db = db or Database(root)
        self.backups = ControlBackups(root, keep, self.db)
        # the parsed workbook, under its content's (size, digest); _save puts it under (mtime_ns, size)
        self._cache: tuple[tuple[Any, ...], _Book] | None = None
        self._witnessed = ""  # the digest of the file last proven to be as the product wrote it

    def _load(self) -> _Book | None:
        """The parsed workbook; parsed again only when the file changed on disk (jobs read it often)."""
        if not self.path.exists():
            return None
        data = self.path.read_bytes()
        stat = self.path.stat()
        key = (len(data), file_digest(data))  # the content, not a timestamp
        if self._cache:
            held, wb = self._cache
            # _save keeps the workbook it wrote under the file's (mtime, size) just after writing it
            if held == key or held == (stat.st_mtime_ns, stat.st_size):
                self._cache = (key, wb)
                return wb
        kept = self.db.path.exists()  # a memo never creates the database (health() only looks)
        book = _Book.remembered(self.db.parsed(key[1]) if kept else None, data)
        if book is None:
            book = _Book(_parse(data, self.path), data)
            memo = book.memo() if kept else None
            if memo is not None:
                self.db.remember_parsed(key[1], memo)
        book.digest = key[1]
        self._cache = (key, book)
        return book

    def _checked(self) -> _Book | None:
        """The workbook, proven to be as the product last wrote it (issue 23 item 1): a person's edit
        stops the job with ControlEdited, naming each change; an edit that changes no table (the file
        opened and saved again, a column widened, the progress tab typed over) is taken as it is."""
        book = self._load()
        if book is None or book.digest == self._witnessed:
            return book
        written = self.db.written()
        fold = self.db.fold_under_way()
        if not written or book.digest in written or (fold is not None and fold[1] == book.digest):
            if not written:  # a workspace from before the check: trusted as it is found
                self.db.record_written(book.digest, self.path.read_bytes(), only=True)
            self._witnessed = book.digest
            return book
        edits = self.hand_edits(book)
        if edits:
            raise ControlEdited(str(self.path), edits, ("edits_restore_local", {}))
        self.db.record_written(book.digest, self.path.read_bytes(), only=True)
        self._witnessed = book.digest
        return book

    def hand_edits(self, book: _Book | None = None) -> list[TableEdit]:
        """What a person changed since the product last wrote control.xlsx ([] when nothing)."""
        book = book or self._load()
        data = self.db.written_data()
        if book is None or data is None or book.digest in self.db.written():
            return []
        found = {name: book.rows(name) for name in book.tabs}
        was = _Book(_parse(data, self.path), data)
        return tab_edits({name: was.rows(name) for name in was.tabs}, found)

    def accept_hand_edits(self) -> None:
        """control.xlsx as it is now becomes what the product last wrote (`contest accept-edits`)."""
        book = self._load()
        if book is not None:
            self.db.record_written(book.digest, self.path.read_bytes(), only=True)
            self._witnessed = book.digest

    def undo_hand_edits(self) -> Path | None:
        """control.xlsx back as the product last wrote it; the edited file kept in backups/set-aside/
        (`contest undo-edits`). None when there is nothing to undo."""
        data = self.db.written_data()
        if data is None or not self.hand_edits():
            return None
        aside = self.backups.set_aside(self.path)
        atomic_write(self.path, data)
        self._cache = None
        return aside

    def _pending(self, book: _Book | None) -> list[dict[str, Any]]:
        """The appended rows not in the workbook yet, oldest first. A fold cut short by a crash is
        settled first: control.xlsx holds its rows exactly when it is the workbook the fold wrote."""
        fold = self.db.fold_under_way()
        if fold is not None:
            through, digest = fold
            if book is not None and book.digest == digest:
                self.db.end_fold(through)
            else:
                self.db.drop_fold()
        return self.db.pending()

    def _fold(self, book: _Book, pending: list[dict[str, Any]]) -> None:
        """The pending rows written into their tables (as an append always was)."""
        for entry in pending:
            shape = entry.get("layout")
            table = book.table(entry["table"], list(entry["columns"]), None if shape is None else _layout_from(shape))
            table.rows.append([storable(v) for v in entry["row"]])

    def settle(self) -> None:
        """Fold the pending rows into control.xlsx (the end of a job: a person opening it then sees
        every row)."""
        try:
            book = self._checked()
            pending = self._pending(book)
            if pending:
                self._save(book or _Book(None), append=True, pending=pending)
        finally:
            self.db.close()  # the job's end: contest.sqlite3 alone, no -wal or -shm beside it

    def close(self) -> None:
        self.db.close()

    def _save(self, book: _Book, *, append: bool = False, pending: list[dict[str, Any]] | None = None) -> None:
        pending = self._pending(book) if pending is None else pending
        through = max((int(e["seq"]) for e in pending), default=0)
        try:
            self._fold(book, pending)
            try:
                data = book.to_bytes()
            except ValueError as exc:  # a value or tab name no workbook holds (xlsx_writer names the cell)
                raise said_error(BackendError, "storage_control_unwritable", path=self.path, detail=exc) from None
            book.digest = file_digest(data)
            if through:  # before the replace: which workbook holds these rows
                self.db.begin_fold(through, book.digest)
            if self.path.is_file():  # the version being replaced is kept (a bad write can be undone)
                current = self.path.read_bytes()
                if current and current != data:
                    self.backups.take(current, before_append=append)
            self.db.record_written(book.digest, data)  # before the replace: either file is ours
            atomic_write(self.path, data)
        except BaseException:
            self._cache = None  # the cached workbook holds changes the file does not
            raise
        self.db.settle_written(book.digest)
        self._witnessed = book.digest
        stat = self.path.stat()
        self._cache = ((stat.st_mtime_ns, stat.st_size), book)
        if through:  # folded and saved: the rows leave the database (a crash before: see _pending)
            self.db.end_fold(through)

    def hold_lease(self, holder: str, now: datetime, seconds: float) -> str | None:
        return None  # the workspace's own lock (lock.py) already keeps every writer apart

    def release_lease(self, holder: str) -> None:
        pass

    def lease_held(self) -> Lease | None:
        return read_lock(self.path.parent / LOCK_NAME)

    def clear_lease(self) -> Lease | None:
        """Nothing to clear: the lock is the operating system's and ends with its process (a job
        holding it here runs; `contest unlock` takes the lock itself, so a stale record is its own)."""
        return None

    def health(self) -> ControlHealth:
        def health(state: str, **more: Any) -> ControlHealth:
            return ControlHealth(state, str(self.path), "local", backups=str(self.backups.folder), **more)

        records_gone = not self.db.path.exists() and not legacy_files(self.root)
        lost = {"records_missing": str(self.db.path) if records_gone else ""}
        if not self.path.exists():
            return health("missing", traces=self.traces(), **lost)
        if self.path.is_file() and self.path.stat().st_size == 0:
            return health("empty", traces=self.traces(), **lost)
        try:
            wb = self._load()
        except BackendError as exc:
            return health("unreadable", detail=str(exc.__context__ or exc), traces=self.traces(), **lost)
        tables = list(wb.tabs) if wb else []
        if records_gone:  # the file left, its records gone: what the disk holds tells whether it started
            traces = self.traces()
            return health("ok", tables=tables, traces=traces, records_missing=str(self.db.path) if traces else "")
        return health("ok", tables=tables)

    def traces(self) -> dict[str, int]:
        """What the edition left on this disk besides control.xlsx and its database, by folder (the
        files no job makes before the edition starts): rating sheets and documents (drive/), frozen
        copies (.frozen/), copies of control.xlsx (backups/), messages (outbox/)."""
        found = {}
        for folder in TRACE_FOLDERS:
            where = self.root / folder
            count = sum(1 for p in where.rglob("*") if p.is_file()) if where.is_dir() else 0
            if count:
                found[folder] = count
        return found

    @file_errors
    def read_table(self, name: str) -> list[dict[str, Any]]:
        return self.read_tables([name])[name]

    @file_errors
    def read_tables(self, names: list[str]) -> dict[str, list[dict[str, Any]]]:
        wb = self._checked()
        pending = self._pending(wb)
        return {name: self._table(wb, name, pending) for name in names}

    def _table(self, wb: _Book | None, name: str, pending: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows = wb.rows(name) if wb is not None and name in wb.tabs else []
        for entry in pending:
            if entry["table"] == name:
                rows = rows or [list(entry["columns"])]
                rows.append([storable(v) for v in entry["row"]])
        return rows_as_dicts(rows) if rows else []

    @file_errors
    def write_tables(
        self,
        tables: dict[str, tuple[list[str], list[list[Any]]]],
        layouts: dict[str, TableLayout] | None = None,
    ) -> list[str]:
        book = self._checked() or _Book(None)
        changed = []
        for name, (columns, rows) in tables.items():
            wanted = [list(columns)] + [
                ["" if v is None else v if v.__class__ is not str or v.isprintable() else storable(v) for v in row]
                for row in rows
            ]
            layout = (layouts or {}).get(name)
            if name in book.tabs:
                current = [["" if v is None else v for v in r] for r in book.rows(name)]
                if comparable(current) == comparable(wanted):
                    if layout is not None:  # as it was written: saved again from its rows, not its cells
                        book.tabs[name] = _Table(current, layout)
                    continue
            book.tabs[name] = _Table(wanted, layout)  # a replaced tab keeps its place
            changed.append(name)
        if changed or self._pending(book):  # the rows appended so far go in with it
            self._save(book)
        return changed

    def append_rows(
        self, name: str, columns: list[str], rows: list[list[Any]], layout: TableLayout | None = None
    ) -> None:
        if not rows:
            return
        shape = (
            None if layout is None else {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(layout).items()}
        )
        self.db.append_pending([(name, list(columns), list(row), shape) for row in rows])  # one transaction


def _parse(data: bytes, path: Path) -> Workbook:
    try:
        return load_workbook(io.BytesIO(data))
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise said_error(BackendError, "storage_control_damaged", path=path, detail=exc) from None


# what a memo of a parsed control.xlsx holds is what this code and this openpyxl read from it
MEMO_FORMAT = f"1 openpyxl {openpyxl.__version__}"
MEMO_TYPES = (str, int, float, bool, type(None))


def _layout_from(shape: dict[str, Any]) -> TableLayout:
    """A TableLayout as a pending row's JSON keeps it (lists for its tuples)."""
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in shape.items()}
    return TableLayout(**fields)


@dataclass
class _Table:
    """A tab as this process wrote it: its rows as the tables hold them (the header first; moments
    as ISO text) and its layout. Saved by `render_table`, read back without any cell."""

    rows: list[list[Any]]
    layout: TableLayout | None


class _Book:
    """control.xlsx in memory: each tab either as openpyxl read it from the file, or as a `_Table`
    this process wrote; saved whole by xlsx_writer (openpyxl's cells cost most of a 10,000-row
    intake to make and to write)."""

    def __init__(self, wb: Workbook | None, source: bytes = b""):
        # a tab of the file is None until its cells are needed (to copy it into a new version)
        self.tabs: dict[str, Worksheet | _Table | None] = {ws.title: ws for ws in wb.worksheets} if wb else {}
        self.digest = ""  # of the file this book was read from or written to
        self.source = source  # the file's bytes, parsed when a remembered book's cells are needed
        self._read_rows: dict[str, list[list[Any]]] = {}  # a file tab's rows, made once
        self.properties: dict[str, Any] = {}  # the file's other custom properties, kept as they are
        for prop in wb.custom_doc_props.props if wb else []:
            if prop.name != FOLDED_PROPERTY and isinstance(prop.value, int | float | bool | str):
                self.properties[prop.name] = prop.value

    @classmethod
    def remembered(cls, memo: Any, source: bytes) -> _Book | None:
        """The book `memo()` described, without parsing the file (None when the memo is of another
        code's reading)."""
        if not isinstance(memo, dict) or memo.get("format") != MEMO_FORMAT:
            return None
        book = cls(None, source)
        for name, rows in memo["tabs"]:
            book.tabs[name] = None
            book._read_rows[name] = rows
        book.properties = dict(memo["properties"])
        return book

    def memo(self) -> dict[str, Any] | None:
        """Every tab's rows and the properties, as JSON keeps them; None when a cell holds what JSON
        does not (a date a person typed): that file is parsed each time."""
        tabs = [[name, self.rows(name)] for name in self.tabs]
        if any(v.__class__ not in MEMO_TYPES for _, rows in tabs for row in rows for v in row):
            return None
        return {"format": MEMO_FORMAT, "tabs": tabs, "properties": self.properties}

    def rows(self, name: str) -> list[list[Any]]:
        """A tab's cells as the tables hold them (header first). A tab read from the file is turned
        into rows once (a tick reads the same tables several times); each caller gets its own lists."""
        tab = self.tabs[name]
        if isinstance(tab, _Table):
            return [list(r) for r in tab.rows]
        if name not in self._read_rows:
            self._read_rows[name] = [[moment_text(c) for c in r] for r in self._sheet(name)]
        return [list(r) for r in self._read_rows[name]]

    def _sheet(self, name: str) -> Worksheet:
        """A file tab's cells, the file parsed now if the book was remembered."""
        tab = self.tabs[name]
        if tab is None:
            for ws in load_workbook(io.BytesIO(self.source)).worksheets:
                if ws.title in self.tabs and self.tabs[ws.title] is None:
                    self.tabs[ws.title] = ws
            tab = self.tabs[name]
        assert isinstance(tab, Worksheet)
        return tab

    def table(self, name: str, columns: list[str], layout: TableLayout | None) -> _Table:
        """The tab as a `_Table` to append to (a new one holds the header), laid out by `layout`."""
        tab = self.tabs.get(name)
        if not isinstance(tab, _Table):
            tab = self.tabs[name] = _Table(self.rows(name) if name in self.tabs else [columns], layout)
        tab.layout = layout or tab.layout
        return tab

    def to_bytes(self) -> bytes:
        book = xlsx_writer.Book()
        for name, tab in self.tabs.items():
            sheet = book.add_sheet(name)
            if isinstance(tab, _Table):
                render_table(sheet, tab.rows, tab.layout)
            else:
                copy_sheet(sheet, self._sheet(name))
        book.properties.update(self.properties)
        return book.to_bytes()
