"""The local workspace: a folder of .xlsx and .docx files, the embedded default and the offline mode.

workspace/
  control.xlsx        the control tables (registry, stages, results, journal ...), one sheet each
  backups/            the last copies of control.xlsx, each taken before it was replaced (contest restore)
  manifest.json       idempotency keys -> files, hashes, sharing and freezes
  manifest.log        entries changed since manifest.json was last written whole (JSON lines)
  drive/              documents and rating sheets, one folder per stage and group
  outbox/             notifications as .eml files for CDB to send (no mail server here)
  .frozen/            copies of rating sheets taken at stage close; later edits are ignored
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable
from copy import copy
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.worksheet import Worksheet

from pipelines.backends import xlsx_values, xlsx_writer
from pipelines.cells import UNSTORABLE
from pipelines.digest import content_digest
from pipelines.domain.models import RawResponse, ScoreCell
from pipelines.mail import compose
from pipelines.ports import (
    BackendError,
    ChangedAfterFreeze,
    Content,
    ControlHealth,
    DocKey,
    NotFound,
    PermissionDenied,
    SheetGrid,
    SheetKey,
    SheetRef,
    SheetSpec,
    SheetTab,
    StoredDoc,
    TableLayout,
    Unreadable,
    Workspace,
    comparable,
    deliver_once,
    plan_put,
    rows_as_dicts,
    text_lines,
)

EDITABLE_FILL = PatternFill("solid", fgColor="FFF2CC")  # the yellow the instructions mention
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

Method = TypeVar("Method", bound=Callable[..., Any])


def file_errors(method: Method) -> Method:
    """The disk's OSError as the ports' errors, so that the CLI shows one line instead of a traceback:
    a missing file is NotFound, a refused one PermissionDenied, anything else (a full disk) BackendError."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except PermissionError as exc:
            raise PermissionDenied(
                f"{_where(exc)}: permission denied; the user running contest must be able "
                "to read and write the workspace folder and its files"
            ) from exc
        except FileNotFoundError as exc:
            raise NotFound(f"{_where(exc)}: no such file or folder") from exc
        except OSError as exc:
            raise BackendError(f"{_where(exc)}: {exc.strerror or exc}") from exc

    return wrapper  # type: ignore[return-value]


def _where(exc: OSError) -> str:
    return str(exc.filename) if exc.filename else "the local workspace"


def _atomic_write(path: Path, data: bytes) -> None:
    """Write via a temp file in the same folder and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _workbook_bytes(wb: Workbook) -> bytes:
    with tempfile.TemporaryFile() as handle:
        wb.save(handle)
        handle.seek(0)
        return handle.read()


def _storable(value: Any) -> Any:
    """Text as a worksheet can hold it: a vertical tab (Word's manual line break) becomes a newline,
    other control characters (pasted into form answers from other programs), lone surrogates and
    non-characters are dropped — XML cannot hold them (cells.UNSTORABLE, as `cells.fit` drops them).
    The registry's raw JSON keeps them."""
    if isinstance(value, str) and not value.isprintable():  # printable: no control character at all
        return UNSTORABLE.sub("", value.replace("\x0b", "\n"))
    return value


def _set_text(cell, value: Any) -> None:
    """Store user text as text: openpyxl would otherwise turn '=…' into a formula."""
    value = _storable(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


class _Entries(dict):
    """One part of the manifest (token -> entry) that tells the manifest which entries changed."""

    def __init__(self, manifest: Manifest, part: str, entries: dict[str, Any]):
        super().__init__()
        self._manifest, self._part = manifest, part
        for token, entry in entries.items():
            dict.__setitem__(self, token, _Entry(self, token, entry))

    def changed(self, token: str) -> None:
        self._manifest._changed.add((self._part, token))

    def __setitem__(self, token: str, entry: dict[str, Any]) -> None:
        dict.__setitem__(self, token, _Entry(self, token, entry))
        self.changed(token)

    def __delitem__(self, token: str) -> None:
        dict.__delitem__(self, token)
        self.changed(token)


class _Entry(dict):
    """One entry; setting a key marks it changed (jobs update entries in place, then save)."""

    def __init__(self, owner: _Entries, token: str, items: dict[str, Any]):
        super().__init__(items)
        self._owner, self._token = owner, token

    def __setitem__(self, key: str, value: Any) -> None:
        dict.__setitem__(self, key, value)
        self._owner.changed(self._token)


PARTS = ("documents", "sheets", "messages")  # messages: the exactly-once ledger of notices (ManifestLedger)


def _state(value: Any) -> dict[str, Any]:
    """A message ledger entry (older manifests held the bare state)."""
    return value if isinstance(value, dict) else {"state": str(value)}


class Manifest:
    """manifest.json: what the pipeline created, under its idempotency key.

    A save appends the entries that changed to manifest.log (one JSON line each) instead of
    rewriting the whole file, so an edition's thousand documents cost a thousand short appends,
    not a thousand rewrites of a growing file. When the log outgrows the snapshot it is folded into
    manifest.json (written whole, atomically) and removed; reading replays the log over the
    snapshot, so manifest.json from before the log existed is read as it always was. A last line
    cut short by a crash is ignored: that entry's file is simply made again by the next run."""

    def __init__(self, root: Path):
        self.path = root / "manifest.json"
        self.log = root / "manifest.log"
        self._changed: set[tuple[str, str]] = set()
        data: Any = {"documents": {}, "sheets": {}, "messages": {}}
        self._snapshot_bytes = 0
        if self.path.exists():
            raw = self.path.read_bytes()
            self._snapshot_bytes = len(raw)
            try:
                data = json.loads(raw.decode("utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise self._damaged(str(exc)) from None
            problem = _manifest_problem(data)
            if problem:
                raise self._damaged(problem)
        self._log_bytes = 0
        if self.log.exists():
            self._replay(data)
        self._adopt(data)

    def _adopt(self, data: dict[str, Any]) -> None:
        self.data: dict[str, Any] = {
            **data,
            "documents": _Entries(self, "documents", data["documents"]),
            "sheets": _Entries(self, "sheets", data["sheets"]),
            "messages": _Entries(self, "messages", {k: _state(v) for k, v in (data.get("messages") or {}).items()}),
        }
        self._changed.clear()

    def _replay(self, data: dict[str, Any]) -> None:
        raw = self.log.read_bytes()
        self._log_bytes = len(raw)
        lines = raw.split(b"\n")
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line.decode("utf-8"))
                part, token, entry = record["part"], record["token"], record["entry"]
                if part not in PARTS or not isinstance(token, str):
                    raise ValueError(f"unknown part {part!r}")
            except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
                if number == len(lines):  # the last append, cut short: its file is made again
                    continue
                raise BackendError(
                    f"{self.log}: line {number} of the workspace manifest's log is damaged ({exc}); "
                    "restore the workspace from a backup before running jobs"
                ) from None
            if entry is None:
                data.setdefault(part, {}).pop(token, None)
            else:
                data.setdefault(part, {})[token] = entry
        problem = _manifest_problem(data)
        if problem:
            raise BackendError(
                f"{self.log}: the workspace manifest's log is damaged ({problem}); "
                "restore the workspace from a backup before running jobs"
            )

    def _damaged(self, why: str) -> BackendError:
        return BackendError(
            f"{self.path}: the workspace manifest is damaged ({why}); restore it from a backup before running jobs"
        )

    def save(self, *, durable: bool = True) -> None:
        """Make what changed since the last save durable: appended to the log, folded in when it grows.

        `durable=False` (a document's entry, LocalDrive.put) appends without forcing the log to
        disk: the entry is read by every later run, and only a power loss before the next durable
        save (a sheet, a message, anything else) can lose it — then the document is simply made
        again, as its file, never forced to disk either, may be lost with it. A sheet's or a
        message's entry is forced to disk before save returns (a message must never go twice)."""
        if not self._changed:
            return
        lines = b"".join(
            json.dumps(
                {"part": part, "token": token, "entry": self.data[part].get(token)}, ensure_ascii=False, sort_keys=True
            ).encode()
            + b"\n"
            for part, token in sorted(self._changed)
        )
        self._changed.clear()
        with open(self.log, "ab") as out:
            out.write(lines)
            out.flush()
            if durable:
                os.fsync(out.fileno())  # the lines appended before without it too
        self._log_bytes += len(lines)
        if self._log_bytes > max(self._snapshot_bytes, 1 << 16):
            self.compact()

    def compact(self) -> None:
        """Write manifest.json whole (the log folded in) and remove the log."""
        self._changed.clear()
        data = json.dumps(self.data, ensure_ascii=False, indent=1, sort_keys=True).encode()
        _atomic_write(self.path, data)
        self.log.unlink(missing_ok=True)  # a crash before this: the log replays onto the same entries
        self._snapshot_bytes, self._log_bytes = len(data), 0


def _manifest_problem(data: Any) -> str | None:
    """What is wrong with a parsed manifest's shape (valid JSON is not enough), or None."""
    if not isinstance(data, dict):
        return f"expected an object, found {type(data).__name__}"
    for part, needed in (("documents", ("path", "sha256", "properties")), ("sheets", ("path", "sharing"))):
        entries = data.get(part)
        if not isinstance(entries, dict):
            return f"'{part}' is missing or not an object"
        for token, entry in entries.items():
            lacking = [k for k in needed if not isinstance(entry, dict) or k not in entry]
            if lacking or not isinstance(entry.get("path"), str):
                return f"{part} entry {token!r} lacks {', '.join(lacking) or 'a file path'}"
    return None


# --- control store -----------------------------------------------------------------------------
BACKUP_NAME = re.compile(r"^control-(\d{8}T\d{6}\.\d{6}Z)(\.append)?\.xlsx$")


def _backup_parts(name: str) -> tuple[str, bool]:
    """(the UTC time stamp, taken before an append?) of a backup's file name."""
    match = BACKUP_NAME.match(name)
    return (match.group(1), bool(match.group(2))) if match else ("", False)


STAMP = "%Y%m%dT%H%M%S.%fZ"


@dataclass
class Backup:
    """One copy of control.xlsx in workspace/backups/."""

    path: Path
    taken: datetime  # UTC, from the file's name
    tables: dict[str, int] | None  # tab title -> rows below the header; None when unreadable
    detail: str = ""  # why it cannot be read

    @property
    def readable(self) -> bool:
        return self.tables is not None


class ControlBackups:
    """workspace/backups/control-<UTC time>.xlsx: the last `keep` versions of control.xlsx, each taken
    just before the file was replaced with changed content, so that a bad write or a deletion can be
    undone (`contest restore`). A control.xlsx replaced by a restore goes to backups/set-aside/.

    Cron's ticks append a journal row each, even when nothing is due: a copy taken before an append
    (named *.append.xlsx) replaces the newest copy when that one was also taken before an append —
    the only change between the two is appended rows, so nothing is lost — and idle ticks do not
    push the copies of real changes out of the rotation."""

    def __init__(self, root: Path, keep: int = 10):
        self.folder = root / "backups"
        self.control = root / "control.xlsx"
        self.keep = max(1, keep)

    def paths(self) -> list[Path]:
        """The copies, oldest first (their names sort by time)."""
        if not self.folder.is_dir():
            return []
        return sorted(
            (p for p in self.folder.iterdir() if p.is_file() and BACKUP_NAME.match(p.name)),
            key=lambda p: _backup_parts(p.name)[0],
        )

    def take(self, data: bytes, *, before_append: bool = False) -> Path:
        previous = self.paths()
        moment = datetime.now(UTC)
        suffix = ".append" if before_append else ""
        while True:
            path = self.folder / f"control-{moment.strftime(STAMP)}{suffix}.xlsx"
            if not any(_backup_parts(p.name)[0] == moment.strftime(STAMP) for p in previous):
                break
            moment = moment.replace(microsecond=(moment.microsecond + 1) % 1_000_000)
        _atomic_write(path, data)
        if before_append and previous and _backup_parts(previous[-1].name)[1]:
            previous[-1].unlink(missing_ok=True)  # the new copy holds all it held, plus the appended rows
        for old in self.paths()[: -self.keep]:
            old.unlink(missing_ok=True)
        return path

    def backups(self) -> list[Backup]:
        """Every copy, newest first, with its tables and row counts."""
        return [inspect_backup(p) for p in reversed(self.paths())]

    def find(self, name: str) -> Path | None:
        """A copy by its file name (or a path to it)."""
        for path in self.paths():
            if name in (path.name, str(path)) or Path(name).name == path.name:
                return path
        return None

    def put_back(self, backup: Path) -> Path | None:
        """control.xlsx becomes a copy of `backup`; the file it replaces, if any, is kept in
        backups/set-aside/ (never deleted). Returns where the replaced file went."""
        data = backup.read_bytes()
        aside: Path | None = None
        if self.control.is_file():
            moment = datetime.now(UTC)
            while (target := self.folder / "set-aside" / f"control-{moment.strftime(STAMP)}.xlsx").exists():
                moment = moment.replace(microsecond=(moment.microsecond + 1) % 1_000_000)
            _atomic_write(target, self.control.read_bytes())
            aside = target
        _atomic_write(self.control, data)
        return aside


def inspect_backup(path: Path) -> Backup:
    taken = datetime.strptime(_backup_parts(path.name)[0], STAMP).replace(tzinfo=UTC)
    try:
        if path.stat().st_size == 0:
            raise ValueError("the file is empty")
        wb = load_workbook(path, read_only=True)
        tables = {
            ws.title: sum(
                1 for row in ws.iter_rows(min_row=2, values_only=True) if any(v not in (None, "") for v in row)
            )
            for ws in wb.worksheets
        }
        wb.close()
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        return Backup(path, taken, None, str(exc) or type(exc).__name__)
    return Backup(path, taken, tables)


FOLDED_PROPERTY = "contest_appended_through"  # the workbook's custom property: the last pending row it holds


class LocalControlStore:
    """control.xlsx. Appended rows (the journal: a row per tick, one before and after each message)
    first go to control.pending.jsonl, one short fsynced line each; rewriting the whole workbook per
    row took a third of an edition's time. They are folded into the workbook by the next table write
    or at the end of the job (`settle`), and read with it meanwhile. Each pending row has a number;
    the workbook records the last it folded, so a crash between the fold and the log's removal
    never folds a row twice."""

    def __init__(self, root: Path, keep: int = 10):
        self.path = root / "control.xlsx"
        self.pending_path = root / "control.pending.jsonl"
        self.backups = ControlBackups(root, keep)
        # the parsed workbook, under its content's (size, digest); _save puts it under (mtime_ns, size)
        self._cache: tuple[tuple[Any, ...], _Book] | None = None
        # the pending log's entries parsed so far: (bytes parsed, their digest, the entries)
        self._parsed: tuple[int, bytes, list[dict[str, Any]]] = (0, hashlib.blake2b(b"", digest_size=16).digest(), [])

    def _load(self) -> _Book | None:
        """The parsed workbook; parsed again only when the file changed on disk (jobs read it often)."""
        if not self.path.exists():
            return None
        data = self.path.read_bytes()
        stat = self.path.stat()
        key = (len(data), hashlib.blake2b(data, digest_size=16).digest())  # the content, not a timestamp
        if self._cache:
            held, wb = self._cache
            # _save keeps the workbook it wrote under the file's (mtime, size) just after writing it
            if held == key or held == (stat.st_mtime_ns, stat.st_size):
                self._cache = (key, wb)
                return wb
        try:
            wb = load_workbook(io.BytesIO(data))  # the very bytes the key is of
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise BackendError(f"{self.path}: cannot open the control workbook ({exc})") from None
        book = _Book(wb)
        self._cache = (key, book)
        return book

    def _pending(self, wb: _Book | None) -> list[dict[str, Any]]:
        """The appended rows not in the workbook yet, oldest first."""
        try:
            data = self.pending_path.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return []
        folded = wb.folded if wb is not None else 0
        return [e for e in self._pending_entries(data) if int(e.get("seq", 0)) > folded]

    def _pending_entries(self, data: bytes) -> list[dict[str, Any]]:
        """Every readable entry of the log's bytes. A job appends a row at a time and reads them all
        back each time: the entries of the whole lines parsed before are kept with a digest of the
        bytes they came from, and only what follows is parsed (the same bytes, the same entries)."""
        done, digest, entries = self._parsed
        if not (len(data) >= done and hashlib.blake2b(data[:done], digest_size=16).digest() == digest):
            done, entries = 0, []
        end = data.rfind(b"\n") + 1  # a last line without its newline is parsed again next time
        if end > done:
            entries = entries + [e for e in map(_pending_line, data[done:end].splitlines()) if e is not None]
            done = end
            self._parsed = (done, hashlib.blake2b(data[:done], digest_size=16).digest(), entries)
        tail = _pending_line(data[end:]) if end < len(data) else None
        return entries + ([tail] if tail is not None else [])

    def _fold(self, book: _Book, pending: list[dict[str, Any]]) -> None:
        """The pending rows written into their tables (as an append always was), and marked folded."""
        for entry in pending:
            shape = entry.get("layout")
            table = book.table(entry["table"], list(entry["columns"]), None if shape is None else _layout_from(shape))
            table.rows.append([_storable(v) for v in entry["row"]])
        if pending:
            book.folded = max(int(e["seq"]) for e in pending)

    def settle(self) -> None:
        """Fold the pending rows into control.xlsx (the end of a job: a person opening it then sees
        every row)."""
        book = self._load()
        pending = self._pending(book)
        if pending:
            self._save(book or _Book(None), append=True, pending=pending)
        elif self.pending_path.exists():
            self.pending_path.unlink(missing_ok=True)

    def _save(self, book: _Book, *, append: bool = False, pending: list[dict[str, Any]] | None = None) -> None:
        pending = self._pending(book) if pending is None else pending
        try:
            self._fold(book, pending)
            try:
                data = book.to_bytes()
            except ValueError as exc:  # a value or tab name no workbook holds (xlsx_writer names the cell)
                raise BackendError(f"{self.path}: cannot write the control workbook: {exc}") from None
            if self.path.is_file():  # the version being replaced is kept (a bad write can be undone)
                current = self.path.read_bytes()
                if current and current != data:
                    self.backups.take(current, before_append=append)
            _atomic_write(self.path, data)
        except BaseException:
            self._cache = None  # the cached workbook holds changes the file does not
            raise
        stat = self.path.stat()
        self._cache = ((stat.st_mtime_ns, stat.st_size), book)
        if pending:  # folded and saved: the log can go (a crash before this line: its rows are marked folded)
            self.pending_path.unlink(missing_ok=True)

    def hold_lease(self, holder: str, now: datetime, seconds: float) -> str | None:
        return None  # every writer is on this machine: the tick's file lock already serialises them

    def release_lease(self, holder: str) -> None:
        pass

    def health(self) -> ControlHealth:
        def health(state: str, **more: Any) -> ControlHealth:
            return ControlHealth(state, str(self.path), "local", backups=str(self.backups.folder), **more)

        if not self.path.exists():
            return health("missing")
        if self.path.is_file() and self.path.stat().st_size == 0:
            return health("empty")
        try:
            wb = self._load()
        except BackendError as exc:
            return health("unreadable", detail=str(exc.__context__ or exc))
        return health("ok", tables=list(wb.tabs) if wb else [])

    @file_errors
    def read_table(self, name: str) -> list[dict[str, Any]]:
        return self.read_tables([name])[name]

    @file_errors
    def read_tables(self, names: list[str]) -> dict[str, list[dict[str, Any]]]:
        wb = self._load()
        pending = self._pending(wb)
        return {name: self._table(wb, name, pending) for name in names}

    def _table(self, wb: _Book | None, name: str, pending: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows = wb.rows(name) if wb is not None and name in wb.tabs else []
        for entry in pending:
            if entry["table"] == name:
                rows = rows or [list(entry["columns"])]
                rows.append([_storable(v) for v in entry["row"]])
        return rows_as_dicts(rows) if rows else []

    @file_errors
    def write_tables(
        self,
        tables: dict[str, tuple[list[str], list[list[Any]]]],
        layouts: dict[str, TableLayout] | None = None,
    ) -> list[str]:
        book = self._load() or _Book(None)
        changed = []
        for name, (columns, rows) in tables.items():
            wanted = [list(columns)] + [
                ["" if v is None else v if v.__class__ is not str or v.isprintable() else _storable(v) for v in row]
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

    @file_errors
    def _ends_a_line(self) -> bool:
        """Whether the pending log's last byte ends a line (a crash mid-append leaves it cut short)."""
        return _last_byte(self.pending_path) == b"\n"

    def append_rows(
        self, name: str, columns: list[str], rows: list[list[Any]], layout: TableLayout | None = None
    ) -> None:
        if not rows:
            return
        book = self._load()
        pending = self._pending(book)
        seq = max([book.folded if book else 0, *(int(e["seq"]) for e in pending)])
        shape = (
            None if layout is None else {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(layout).items()}
        )
        lines = []
        for row in rows:
            seq += 1
            entry = {"seq": seq, "table": name, "columns": list(columns), "row": list(row), "layout": shape}
            lines.append(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
        with open(self.pending_path, "a", encoding="utf-8") as handle:  # one write: the rows land together
            if handle.tell() and not self._ends_a_line():  # a line a crash cut short: end it, or
                lines.insert(0, "\n")  # this append's first row would be read as part of it
            handle.write("".join(lines))
            handle.flush()
            os.fsync(handle.fileno())


def _last_byte(path: Path) -> bytes:
    with open(path, "rb") as data:
        data.seek(-1, os.SEEK_END)
        return data.read(1)


def _pending_line(line: bytes) -> dict[str, Any] | None:
    """One entry of the pending log; None for a line a crash cut short (its append never returned)."""
    try:
        entry = json.loads(line.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError is one too
        return None
    return entry if isinstance(entry, dict) else None


def _layout_from(shape: dict[str, Any]) -> TableLayout:
    """A TableLayout as a pending row's JSON keeps it (lists for its tuples)."""
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in shape.items()}
    return TableLayout(**fields)


def _folded_through(wb: Workbook | None) -> int:
    """The number of the last pending row the workbook holds (0: none)."""
    if wb is None:
        return 0
    for prop in wb.custom_doc_props.props:
        if prop.name == FOLDED_PROPERTY:
            try:
                return int(prop.value)
            except (TypeError, ValueError):
                return 0
    return 0


@dataclass
class _Table:
    """A tab as this process wrote it: its rows as the tables hold them (the header first; moments
    as ISO text) and its layout. Saved by `_render_table`, read back without any cell."""

    rows: list[list[Any]]
    layout: TableLayout | None


class _Book:
    """control.xlsx in memory: each tab either as openpyxl read it from the file, or as a `_Table`
    this process wrote; saved whole by xlsx_writer (openpyxl's cells cost most of a 10,000-row
    intake to make and to write)."""

    def __init__(self, wb: Workbook | None):
        self.tabs: dict[str, Worksheet | _Table] = {ws.title: ws for ws in wb.worksheets} if wb else {}
        self.folded = _folded_through(wb)  # the last pending row folded in (FOLDED_PROPERTY)
        self._read_rows: dict[str, list[list[Any]]] = {}  # a file tab's rows, made once
        self.properties: dict[str, Any] = {}  # the file's other custom properties, kept as they are
        for prop in wb.custom_doc_props.props if wb else []:
            if prop.name != FOLDED_PROPERTY and isinstance(prop.value, int | float | bool | str):
                self.properties[prop.name] = prop.value

    def rows(self, name: str) -> list[list[Any]]:
        """A tab's cells as the tables hold them (header first). A tab read from the file is turned
        into rows once (a tick reads the same tables several times); each caller gets its own lists."""
        tab = self.tabs[name]
        if isinstance(tab, _Table):
            return [list(r) for r in tab.rows]
        if name not in self._read_rows:
            self._read_rows[name] = [[_moment_text(c) for c in r] for r in tab]
        return [list(r) for r in self._read_rows[name]]

    def table(self, name: str, columns: list[str], layout: TableLayout | None) -> _Table:
        """The tab as a `_Table` to append to (a new one holds the header), laid out by `layout`."""
        tab = self.tabs.get(name)
        if not isinstance(tab, _Table):
            tab = self.tabs[name] = _Table(self.rows(name) if tab is not None else [columns], layout)
        tab.layout = layout or tab.layout
        return tab

    def to_bytes(self) -> bytes:
        book = xlsx_writer.Book()
        for name, tab in self.tabs.items():
            sheet = book.add_sheet(name)
            if isinstance(tab, _Table):
                _render_table(sheet, tab.rows, tab.layout)
            else:
                _copy_sheet(sheet, tab)
        book.properties.update(self.properties)
        if self.folded:
            book.properties[FOLDED_PROPERTY] = self.folded
        return book.to_bytes()


MOMENT_FORMAT = 'DD.MM.YYYY HH:MM" ({offset})"'  # the offset kept in the format: read back exactly
OFFSET_IN_FORMAT = re.compile(r'" \(([+-]\d\d:\d\d)\)"$')


def _as_moment(value: Any) -> tuple[datetime, str] | None:
    """An ISO 8601 moment with its UTC offset, as the tables hold them, becomes a date cell a person
    can sort and filter: returned as the local time and the number format that keeps the offset, so
    `_moment_text` gives back the very same text. Anything else (a time the form left unreadable, a
    naive one) stays as it is, and None is returned."""
    if not isinstance(value, str) or len(value) < 25 or value[-6] not in "+-":
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None or moment.microsecond or moment.isoformat(timespec="seconds") != value:
        return None
    return moment.replace(tzinfo=None), MOMENT_FORMAT.format(offset=value[-6:])


WRAP_TOP = xlsx_writer.Style(wrap=True, vertical="top")
TOP = xlsx_writer.Style(vertical="top")  # beside a tall wrapped cell, at its top
HEADER, HEADER_TOP = (
    xlsx_writer.Style(bold=True, wrap=True, vertical="top"),
    xlsx_writer.Style(bold=True, vertical="top"),
)


def _moment_text(cell) -> Any:
    """A cell's value as the tables hold it: a date cell written by `_as_moment` as its ISO text."""
    value = cell.value
    if isinstance(value, datetime):
        found = OFFSET_IN_FORMAT.search(cell.number_format or "")
        if found:
            return value.replace(microsecond=0).isoformat(timespec="seconds") + found.group(1)
    return value


def _render_table(sheet: xlsx_writer.Sheet, rows: list[list[Any]], layout: TableLayout | None) -> None:
    """A control table as a person reads it: a bold header, every cell of a laid-out table at the
    top of its row, the wrapped columns wrapped and each row tall enough to show all of its text,
    moments as dates, the layout's widths, hidden and frozen columns, a filter, the print setup."""
    index = sheet.styles.index
    if layout is None:
        sheet.add_row(rows[0], [index(xlsx_writer.Style(bold=True))] * len(rows[0]))
        for row in rows[1:]:
            sheet.add_row(row)
        sheet.freeze = "A2"
        return
    columns = len(layout.widths)
    hidden, dates = set(layout.hidden), set(layout.dates)
    wrapped = [c for c in layout.wrapped if c not in hidden and c not in dates and c < columns]
    chars = {c: max(layout.widths[c] * 1.1 - 2, 1) for c in range(columns)}
    header = [*rows[0], *[None] * (columns - len(rows[0]))]
    header_styles = [
        index((HEADER_TOP if c in hidden else HEADER) if c < len(rows[0]) else TOP if c in hidden else WRAP_TOP)
        if c < columns
        else index(xlsx_writer.Style(bold=True))
        for c in range(len(header))
    ]
    sheet.add_row(header, header_styles, _height(header, [c for c in range(columns) if c not in hidden], chars))
    styles = [0 if c in dates else index(WRAP_TOP if c in wrapped else TOP) for c in range(columns)]
    moments: dict[str, int] = {}  # a number format -> its style
    for row in rows[1:]:
        if len(row) < columns:
            row = [*row, *[None] * (columns - len(row))]
        cell_styles = styles
        for c in dates:
            made = _as_moment(row[c]) if c < len(row) else None
            if made:
                if cell_styles is styles:
                    row, cell_styles = list(row), list(styles)
                row[c], number_format = made
                found = moments.get(number_format)
                if found is None:
                    style = xlsx_writer.Style(vertical="top", horizontal="left", number_format=number_format)
                    found = moments[number_format] = index(style)
                cell_styles[c] = found
        sheet.add_row(row, cell_styles, _height(row, wrapped, chars))
    sheet.widths = {c + 1: w for c, w in enumerate(layout.widths)}
    sheet.hidden = {c + 1 for c in layout.hidden}
    sheet.freeze = f"{get_column_letter(layout.frozen_columns + 1)}2"
    sheet.auto_filter = f"A1:{get_column_letter(max(len(rows[0]), 1))}{max(len(rows), 1)}"
    if layout.landscape:
        sheet.landscape, sheet.paper_size, sheet.fit_width, sheet.fit_height = True, 9, 1, 0  # A4, one page wide
        sheet.print_title_rows = "1:1"


def _height(row: list[Any], wrapped: list[int], chars: dict[int, float]) -> float | None:
    """The height that shows every line of the row's wrapped cells (at most 30: a long JSON stays
    readable); None for one line."""
    need = 1
    for c in wrapped:
        value = row[c] if c < len(row) else None
        if value not in (None, ""):
            value = str(value)
            if len(value) > chars[c] or "\n" in value:  # else one line
                need = max(need, text_lines(value, chars[c]))
    return min(need, 30) * 15 + 2 if need > 1 else None


def _copy_sheet(sheet: xlsx_writer.Sheet, ws: Worksheet) -> None:
    """A tab read from the file and not written since (the journal, a tab a person added) as it
    was: values and formulas, bold, wrapping, alignment and number formats, widths, hidden columns,
    heights, frozen panes, the filter and the print setup. Fills, borders, comments and merged
    cells are not kept (control.xlsx has none of its own)."""
    styles: dict[Any, int] = {}  # openpyxl's style of a cell -> the writer's
    for r, cells in enumerate(ws.iter_rows(), start=1):
        values, indices = [], []
        for cell in cells:
            value = cell.value
            if cell.data_type == "f":
                value = xlsx_writer.Formula(str(getattr(value, "text", value) or "").removeprefix("="))
            key = tuple(cell._style) if cell.has_style else None
            found = styles.get(key)
            if found is None:
                found = styles[key] = sheet.styles.index(_style_of(cell)) if key else 0
            values.append(value)
            indices.append(found)
        dim = ws.row_dimensions.get(r)
        sheet.add_row(values, indices, dim.height if dim is not None and dim.customHeight else None)
    for dim in ws.column_dimensions.values():
        for c in range(dim.min or 1, (dim.max or dim.min or 1) + 1):
            if dim.customWidth and dim.width:
                sheet.widths[c] = dim.width
            if dim.hidden:
                sheet.hidden.add(c)
    sheet.freeze = ws.freeze_panes
    sheet.auto_filter = ws.auto_filter.ref or None
    setup = ws.page_setup
    sheet.landscape = setup.orientation == "landscape"
    sheet.paper_size = int(setup.paperSize) if setup.paperSize else None
    if ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage:
        sheet.fit_width, sheet.fit_height = setup.fitToWidth, setup.fitToHeight
    sheet.print_title_rows = ws.print_title_rows


def _style_of(cell) -> xlsx_writer.Style:
    align, number_format = cell.alignment, cell.number_format
    return xlsx_writer.Style(
        bold=bool(cell.font.b),
        wrap=bool(align.wrap_text),
        vertical=align.vertical,
        horizontal=align.horizontal if align.horizontal != "general" else None,
        number_format=None if number_format == "General" else number_format,
    )


# --- rating sheets -----------------------------------------------------------------------------
def render_xlsx(grid: SheetGrid) -> bytes:
    """The grid as a protected workbook: only editable cells unlocked, whole numbers validated,
    with the grid's notes, links, merges, row heights, frozen panes and print setup."""
    wb = Workbook()
    ws = wb.active
    ws.title = grid.title[:31]
    validations: dict[tuple[Any, ...], DataValidation] = {}
    looks: dict[tuple[Any, ...], Any] = {}  # a cell's look -> its style, made once per workbook
    for r, row in enumerate(grid.rows, start=1):
        for c, cell in enumerate(row, start=1):
            target = ws.cell(r, c)
            if cell.formula:
                target.value = cell.formula
            else:
                _set_text(target, cell.value)
            if cell.hyperlink:
                target.hyperlink = cell.hyperlink
            look: tuple[Any, ...] = (cell.bold, bool(cell.hyperlink), bool(cell.wrap or cell.editable))
            look += (cell.centered, cell.boxed, cell.editable)
            made = looks.get(look)
            if made is not None:  # the style of the first cell that looked so (openpyxl hashes each new one)
                target._style = copy(made)
            else:
                font: dict[str, Any] = {"bold": True} if cell.bold else {}
                if cell.hyperlink:
                    font.update(color="0563C1", underline="single")
                if font:
                    target.font = Font(**font)
                target.alignment = Alignment(
                    wrap_text=cell.wrap or cell.editable, vertical="top", horizontal="center" if cell.centered else None
                )
                if cell.boxed:
                    target.border = BOX
                if cell.editable:
                    target.protection = Protection(locked=False)
                    target.fill = EDITABLE_FILL
                looks[look] = copy(target._style)
            if cell.note:
                comment = Comment(cell.note, "contest")
                comment.width, comment.height = 320, 40 + 18 * (cell.note.count("\n") + len(cell.note) // 45)
                target.comment = comment
            if cell.span > 1:
                ws.merge_cells(start_row=r, start_column=c, end_row=r, end_column=c + cell.span - 1)
            if cell.validation:
                rule = (cell.validation, cell.prompt, cell.error)
                dv = validations.get(rule)
                if dv is None:
                    low, high = cell.validation
                    dv = DataValidation(
                        type="whole",
                        operator="between",
                        formula1=str(low),
                        formula2=str(high),
                        allow_blank=True,
                        showErrorMessage=True,
                        error=cell.error[:255] or None,
                        showInputMessage=bool(cell.prompt),
                        prompt=cell.prompt[:255] or None,
                    )
                    validations[rule] = dv
                    ws.add_data_validation(dv)
                dv.add(target.coordinate)
    for c, width in enumerate(grid.column_widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    for c in grid.hidden_columns:
        ws.column_dimensions[get_column_letter(c + 1)].hidden = True
    for r, height in grid.row_heights.items():
        ws.row_dimensions[r + 1].height = height
    if grid.frozen_rows or grid.frozen_columns:
        ws.freeze_panes = f"{get_column_letter(grid.frozen_columns + 1)}{grid.frozen_rows + 1}"
    if grid.landscape:
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0  # one page wide, as many long as needed
        ws.page_margins.left = ws.page_margins.right = 0.4
    if grid.repeat_rows:
        ws.print_title_rows = f"{grid.repeat_rows[0] + 1}:{grid.repeat_rows[1] + 1}"
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # experts may widen columns to read long titles
    ws.protection.formatRows = False  # and make a row taller
    wb.security = WorkbookProtection(lockStructure=True)  # no tab added before, renamed or removed
    return _workbook_bytes(wb)


def sniff(path: Path) -> str | None:
    """What a file that should be an .xlsx workbook is when openpyxl cannot read it as one; None
    when it looks like a workbook."""
    size = path.stat().st_size
    if size == 0:
        return "an empty file (0 bytes)"
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "a password-protected workbook (or an old .xls): save it again without a password, as .xlsx"
    if not head.startswith(b"PK"):
        return "a text file (CSV or similar), not a workbook"
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "mimetype" in names and b"opendocument" in z.read("mimetype"):
                return "an OpenDocument spreadsheet (.ods): save it as Excel Workbook (.xlsx)"
            if "xl/workbook.xml" in names and b"purl.oclc.org/ooxml" in z.read("xl/workbook.xml"):
                return "a Strict Open XML workbook: save it as Excel Workbook (.xlsx), not Strict"
            if "xl/workbook.xml" not in names:
                return "a zip file that is not an .xlsx workbook"
    except zipfile.BadZipFile:
        return "a damaged zip file, not a workbook"
    return None


def read_xlsx_tabs(path: Path) -> list[SheetTab]:
    """Every tab, every cell with its typed value; formulas kept as text (cached value where Excel
    left one). A file that is not a readable workbook is `Unreadable`, saying what it is.

    Read from the file's XML (xlsx_values, the same cells openpyxl gives, a tenth of the time);
    what that reader leaves aside, or cannot parse, is read by openpyxl, which names the problem."""
    found = sniff(path)
    if found is None:
        try:
            return _tabs_of(xlsx_values.read_book(str(path)))
        except Exception:  # NotPlain, or a damaged part: openpyxl's full read decides and says why
            pass
    return openpyxl_tabs(path, found)


def openpyxl_tabs(path: Path, found: str | None = None) -> list[SheetTab]:
    """read_xlsx_tabs through openpyxl's full read (twice: the second for formulas' cached values)."""
    if found is None:
        try:
            wb = load_workbook(path)
            cached = load_workbook(path, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            found = f"a workbook openpyxl cannot open ({type(exc).__name__}: {exc})"
    if found is not None:
        raise Unreadable(f"{path}: the rating sheet cannot be read: it is {found}", found=found)
    tabs = []
    for ws, wv in zip(wb.worksheets, cached.worksheets):
        grid = []
        for row, vrow in zip(ws.iter_rows(), wv.iter_rows()):
            out = []
            for cell, vcell in zip(row, vrow):
                is_formula = cell.data_type == "f" or (
                    isinstance(cell.value, str) and cell.value.startswith("=") and cell.data_type != "s"
                )
                if is_formula:  # an array formula's text, not the object's repr
                    text = cell.value.text if isinstance(cell.value, ArrayFormula) else cell.value
                    out.append(ScoreCell(vcell.value, str(text), cell.coordinate))
                else:
                    out.append(ScoreCell(cell.value, None, cell.coordinate))
            grid.append(out)
        tabs.append(SheetTab(ws.title, grid))
    return tabs


def _tabs_of(book: xlsx_values.Book) -> list[SheetTab]:
    """The tabs as read_xlsx_tabs gives them: a formula as its text with its cached value."""
    tabs = []
    for tab in book.tabs:
        grid = []
        for r, row in enumerate(tab.grid(), start=1):
            out = []
            for c, cell in enumerate(row, start=1):
                where = xlsx_values.coordinate(r, c)
                value = cell.value
                if cell.data_type == "f" or (
                    isinstance(value, str) and value.startswith("=") and cell.data_type != "s"
                ):
                    out.append(ScoreCell(cell.cached, str(value), where))
                else:
                    out.append(ScoreCell(value, None, where))
            grid.append(out)
        tabs.append(SheetTab(tab.title, grid))
    return tabs


def read_xlsx_cells(path: Path) -> list[list[ScoreCell]]:
    """The first tab of `read_xlsx_tabs`."""
    return read_xlsx_tabs(path)[0].cells


def _look_alikes(path: Path) -> list[str]:
    """Files beside a missing sheet that may be it, renamed ("… (1).xlsx", another extension)."""
    if not path.parent.is_dir():
        return []
    stem = path.stem
    return sorted(p.name for p in path.parent.iterdir() if p.is_file() and p != path and p.name.startswith(stem))


class LocalRatingSheets:
    def __init__(self, root: Path, manifest: Manifest):
        self.root, self.manifest = root, manifest

    def _entry(self, token: str) -> dict[str, Any] | None:
        return self.manifest.data["sheets"].get(token)

    @file_errors
    def ensure(self, spec: SheetSpec) -> SheetRef:
        token = spec.key.token()
        entry = self._entry(token)
        if entry and (self.root / entry["path"]).exists():
            self.share_once(spec, Path(entry["path"]))  # a crash after the manifest, before the .eml
            return SheetRef(spec.key, entry["path"], str(self.root / entry["path"]))
        rel = Path("drive", *spec.folder, f"{spec.name}.xlsx")
        _atomic_write(self.root / rel, render_xlsx(spec.grid))
        self.manifest.data["sheets"][token] = {
            "path": rel.as_posix(),
            "properties": spec.key.properties(),
            "sharing": {spec.key.expert: "writer"},
            "frozen": None,
        }
        self.manifest.save()
        self.share_once(spec, rel)
        return SheetRef(spec.key, rel.as_posix(), str(self.root / rel), created=True)

    def share_once(self, spec: SheetSpec, rel: Path) -> str:
        """The expert's share message, exactly once (ports.deliver_once, the ledger in the manifest)."""
        key = f"share/{spec.key.token()}"
        return deliver_once(
            ManifestLedger(self.manifest),
            key,
            lambda: bool(
                _write_eml(
                    self.root,
                    spec.key.expert,
                    spec.share_subject or spec.name,
                    spec.share_message,
                    attachment=self.root / rel,
                    key=key,
                )
            ),
            lambda: _eml_path(self.root, key).exists(),
        )

    @file_errors
    def recreate(self, spec: SheetSpec) -> SheetRef:
        token = spec.key.token()
        entry = self._entry(token)
        if entry is not None:
            path = self.root / entry["path"]
            if path.exists():  # set aside beside it, never deleted
                n = 1
                while (aside := path.with_name(f"{path.stem}.set-aside-{n}{path.suffix}")).exists():
                    n += 1
                path.chmod(path.stat().st_mode | 0o200)
                os.replace(path, aside)
            del self.manifest.data["sheets"][token]
            self.manifest.save()
        return self.ensure(spec)

    @file_errors
    def freeze(self, ref: SheetRef) -> None:
        entry = self._entry(ref.key.token())
        if entry is None:
            raise NotFound(f"no rating sheet recorded for {ref.key.token()}")
        if entry.get("frozen"):
            return
        source = self.root / entry["path"]
        if not source.exists():
            raise self._missing(source)
        found = sniff(source)
        if found is not None:  # never freeze what cannot be read: the restored file is frozen later
            raise Unreadable(f"{source}: the rating sheet cannot be read: it is {found}", found=found)
        data = source.read_bytes()
        snapshot = Path(".frozen", f"{_sha256(ref.key.token().encode())[:16]}.xlsx")
        _atomic_write(self.root / snapshot, data)
        (self.root / snapshot).chmod(0o444)  # the frozen copy: read-only, and its hash kept in the manifest
        entry["frozen"] = {"snapshot": snapshot.as_posix(), "sha256": _sha256(data)}
        entry["sharing"] = {ref.key.expert: "reader"}
        self.manifest.save()
        source.chmod(0o444)  # a hint to whoever opens it locally that the stage is closed

    @file_errors
    def unfreeze(self, ref: SheetRef, message: str = "") -> None:
        entry = self._entry(ref.key.token())
        if entry is None:
            raise NotFound(f"no rating sheet recorded for {ref.key.token()}")
        frozen = entry.get("frozen")
        if not frozen and entry["sharing"].get(ref.key.expert) == "writer":
            return
        source = self.root / entry["path"]
        if source.exists():  # writable again first: a crash before the manifest is saved just repeats this
            source.chmod(source.stat().st_mode | 0o200)
        if message:  # named by its content: written again after a crash, never twice
            _write_eml(self.root, ref.key.expert, Path(entry["path"]).stem, message, attachment=source)
        entry["frozen"] = None
        entry["sharing"] = {ref.key.expert: "writer"}
        self.manifest.save()
        if frozen:
            (self.root / frozen["snapshot"]).unlink(missing_ok=True)

    @file_errors
    def read(self, ref: SheetRef) -> list[list[ScoreCell]]:
        return self.read_tabs(ref)[0].cells

    @file_errors
    def read_tabs(self, ref: SheetRef) -> list[SheetTab]:
        entry = self._entry(ref.key.token())
        if entry is None:
            raise NotFound(f"no rating sheet recorded for {ref.key.token()}")
        path = self.root / (entry["frozen"]["snapshot"] if entry.get("frozen") else entry["path"])
        if not path.exists():
            raise self._missing(path)
        if entry.get("frozen") and _sha256(path.read_bytes()) != entry["frozen"]["sha256"]:
            raise ChangedAfterFreeze(
                f"{path}: the frozen copy of this rating sheet changed after the freeze and is not used; "
                "restore it from a backup, or record a decision for this group in contest.yaml"
            )
        return read_xlsx_tabs(path)

    @staticmethod
    def _missing(path: Path) -> NotFound:
        alike = _look_alikes(path)
        found = f"; found instead: {', '.join(alike)}" if alike else "; nothing like it in its folder"
        return NotFound(f"{path}: the rating sheet file is missing{found}")

    def versions(self, refs: list[SheetRef]) -> dict[str, str]:
        out = {}
        for ref in refs:
            entry = self._entry(ref.key.token())
            if entry is None or entry.get("frozen"):
                continue
            try:
                st = (self.root / entry["path"]).stat()
            except OSError:
                continue  # missing: read, and said
            out[ref.id] = f"{st.st_ino}:{st.st_mtime_ns}:{st.st_size}"
        return out

    def last_changed_by_us(self, refs: list[SheetRef]) -> set[str]:
        return set()  # a file does not say who saved it last: read it (a local read is cheap)

    def unchanged_since_freeze(self, refs: list[SheetRef]) -> set[str]:
        return set()  # the frozen copy is read again: no request to save

    def changed_after_freeze(self) -> list[dict[str, Any]]:
        out = []
        for e in self.manifest.data["sheets"].values():
            frozen = e.get("frozen")
            if not frozen:
                continue
            for path, notice in (
                (self.root / frozen["snapshot"], "why_frozen_copy_changed"),
                (self.root / e["path"], "why_edited_after_freeze"),
            ):
                if not path.exists() or (now := _sha256(path.read_bytes())) == frozen["sha256"]:
                    continue
                try:
                    tabs = read_xlsx_tabs(path)
                except Exception:  # saved as something openpyxl cannot open: said, no cell compared
                    tabs = []
                expert = next(iter(e["sharing"]), "")
                out.append({"sheet": e["path"], "expert": expert, "notice": notice, "revision": now[:16], "tabs": tabs})
                break
        return out

    @file_errors
    def write_as_expert(self, ref: SheetRef, values: dict[tuple[int, int], Any]) -> None:
        path = self.root / ref.id
        wb = load_workbook(path)
        ws = wb.worksheets[0]
        for (r, c), value in values.items():
            cell = ws.cell(r + 1, c + 1)
            cell.value = value  # as typed in Excel: '=…' stays a formula, like a real expert's
        _atomic_write(path, _workbook_bytes(wb))

    def sharing(self) -> list[dict[str, str]]:
        return [
            {"sheet": e["path"], "email": email, "role": role}
            for e in self.manifest.data["sheets"].values()
            for email, role in e["sharing"].items()
        ]

    def made(self) -> list[SheetKey]:
        out = []
        for entry in self.manifest.data["sheets"].values():
            p = entry.get("properties") or {}
            try:
                out.append(
                    SheetKey(
                        p["edition"],
                        int(p["stage"]),
                        p["group"],
                        p["expert"],
                        int(p["version"]),
                        p.get("kind", "rating_sheet"),
                    )
                )
            except (KeyError, TypeError, ValueError):
                continue  # not written by ensure(): no key to give
        return out


# --- documents and mail ------------------------------------------------------------------------
class LocalDrive:
    def __init__(self, root: Path, manifest: Manifest):
        self.root, self.manifest = root, manifest

    @file_errors
    def put(
        self,
        key: DocKey,
        folder: list[str],
        filename: str,
        content: Content,
        mime: str = "",
        *,
        source: str | None = None,
    ) -> StoredDoc:
        token = key.token()
        rel = Path("drive", *folder, filename)
        entry = self.manifest.data["documents"].get(token)
        exists = bool(entry) and (self.root / entry["path"]).exists()
        plan = plan_put(
            held_digest=entry["sha256"] if exists else None,
            held_source=entry.get("source") if exists else None,
            same_place=exists and entry["path"] == rel.as_posix(),
            content=content,
            source=source,
        )
        if not plan.write:
            if plan.remember_source:
                entry["source"] = source
                self.manifest.save(durable=False)
            return StoredDoc(key, str(self.root / entry["path"]))
        content, digest = plan.data or b"", plan.digest or ""
        if entry and entry["path"] != rel.as_posix():
            (self.root / entry["path"]).unlink(missing_ok=True)
        _atomic_write(self.root / rel, content)
        self.manifest.data["documents"][token] = {
            "path": rel.as_posix(),
            "sha256": digest,
            "properties": key.properties(),
            "source": source,
        }
        self.manifest.save(durable=False)
        return StoredDoc(key, str(self.root / rel), changed=True)

    @file_errors
    def put_pdf(self, key: DocKey, folder: list[str], filename: str, docx: bytes) -> StoredDoc:
        from pipelines.documents import DocumentError, to_pdf

        entry = self.manifest.data["documents"].get(key.token())
        source = content_digest(docx)
        if entry and entry.get("source_sha256") == source and (self.root / entry["path"]).exists():
            return StoredDoc(key, str(self.root / entry["path"]))
        try:
            pdf = to_pdf(docx)
        except DocumentError as exc:
            raise BackendError(str(exc)) from None
        stored = self.put(key, folder, filename, pdf)
        self.manifest.data["documents"][key.token()]["source_sha256"] = source
        self.manifest.save(durable=False)
        return stored

    def access(self) -> list[dict[str, str]]:
        return []  # nothing here is shared: a folder on CDB's own disk

    def documents(self) -> list[StoredDoc]:
        out = []
        for _token, entry in sorted(self.manifest.data["documents"].items()):
            p = entry["properties"]
            key = DocKey(p["edition"], p["kind"], int(p["stage"]), p["group"], p["subject"], int(p["version"]))
            out.append(StoredDoc(key, str(self.root / entry["path"])))
        return out


def _eml_path(root: Path, key: str) -> Path:
    return root / "outbox" / f"{_sha256(key.encode())[:12]}.eml"


def _write_eml(
    root: Path, to: str, subject: str, body: str, attachment: Path | None = None, key: str | None = None
) -> Path:
    """The message in outbox/, named by its key (else by its content): written again, never twice."""
    msg = compose(to, subject, body, attachment=attachment)
    path = _eml_path(root, key or (to + subject + body))
    _atomic_write(path, bytes(msg))
    return path


class ManifestLedger:
    """ports.MessageLedger in manifest.json's "messages" part (the local workspace)."""

    def __init__(self, manifest: Manifest):
        self.manifest = manifest

    def message_state(self, key: str) -> str | None:
        entry = self.manifest.data["messages"].get(key)
        return entry.get("state") if entry else None

    def record_message(self, key: str, state: str) -> None:
        self.manifest.data["messages"][key] = {"state": state}
        self.manifest.save()  # an entry of its own in the log: durable before the message goes


class LocalMailer:
    """No mail server offline: messages land in outbox/ as .eml files for CDB to send."""

    def __init__(self, root: Path):
        self.root = root

    @file_errors
    def notify(self, to: str, subject: str, body: str, *, key: str | None = None) -> bool:
        _write_eml(self.root, to, subject, body, key=key)
        return True

    def delivered(self, key: str) -> bool | None:
        return _eml_path(self.root, key).exists()


class ExportFormSource:
    """Responses from a Google export file (.csv / .xlsx) that CDB downloaded: forms.ExportFile,
    its FormError as this backend's BackendError."""

    def __init__(self, path: Path, extra_aliases: dict[str, list[str]] | None = None):
        from pipelines.forms import ExportFile

        self.file = ExportFile(path, extra_aliases)
        self.path = self.file.path

    @file_errors
    def read_responses(self) -> list[RawResponse]:
        from pipelines.forms import FormError

        try:
            return self.file.read_responses()
        except FormError as exc:
            kind = BackendError if self.path.exists() else NotFound
            raise kind(str(exc)) from None


@file_errors
def open_local(config) -> Workspace:
    root = config.path(config.backend.workspace)
    root.mkdir(parents=True, exist_ok=True)
    if config.form.kind != "file" or not config.form.path:
        from pipelines.forms import FormError

        said = FormError("form_local_needs_file")  # in the config's language where the error is shown
        raise BackendError(str(said)) from said
    manifest = Manifest(root)
    return Workspace(
        forms=ExportFormSource(config.path(config.form.path), config.form.aliases),
        control=LocalControlStore(root, config.backend.control_backups),
        sheets=LocalRatingSheets(root, manifest),
        drive=LocalDrive(root, manifest),
        mailer=LocalMailer(root),
        description=f"local workspace {root}",
    )
