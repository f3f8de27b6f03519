"""workspace/backups/: the last copies of control.xlsx, each with a copy of the workspace database
taken at the same moment, so that a bad write or a deletion can be undone (`contest restore`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import load_workbook

from pipelines.backends.local.files import atomic_write, file_digest, replace
from pipelines.backends.local.store import DB_NAME, Database, healthy

BACKUP_NAME = re.compile(r"^control-(\d{8}T\d{6}\.\d{6}Z)(\.append)?\.xlsx$")


def _backup_parts(name: str) -> tuple[str, bool]:
    """(the UTC time stamp, taken before an append?) of a backup's file name."""
    match = BACKUP_NAME.match(name)
    return (match.group(1), bool(match.group(2))) if match else ("", False)


STAMP = "%Y%m%dT%H%M%S.%fZ"


def database_copy(backup: Path) -> Path:
    """control-<time>.xlsx -> control-<time>.sqlite3, beside it."""
    return backup.with_suffix(".sqlite3")


@dataclass
class PutBack:
    """What `ControlBackups.put_back` did."""

    control_aside: Path | None  # where the replaced control.xlsx went, if there was one
    database: str  # "kept" (the workspace's is sound), "restored" (from the copy), "no-copy"
    database_aside: Path | None = None  # where the damaged database went


@dataclass
class Backup:
    """One copy of control.xlsx in workspace/backups/."""

    path: Path
    taken: datetime  # UTC, from the file's name
    tables: dict[str, int] | None  # tab title -> rows below the header; None when unreadable
    detail: str = ""  # why it cannot be read

    @property
    def database(self) -> Path:
        """The copy of the workspace database taken with it (may be absent: an older version's copy)."""
        return database_copy(self.path)

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

    def __init__(self, root: Path, keep: int = 10, db: Database | None = None):
        self.folder = root / "backups"
        self.control = root / "control.xlsx"
        self.database = root / DB_NAME
        self.keep = max(1, keep)
        self.db = db  # copied with each control.xlsx when given (the store's own connection)

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
        if self.db is not None:  # first: a copy listed is a copy whose database is there too
            self.db.copy_to(database_copy(path))
        atomic_write(path, data)
        if before_append and previous and _backup_parts(previous[-1].name)[1]:
            self._drop(previous[-1])  # the new copy holds all it held, plus the appended rows
        for old in self.paths()[: -self.keep]:
            self._drop(old)
        return path

    @staticmethod
    def _drop(backup: Path) -> None:
        backup.unlink(missing_ok=True)
        database_copy(backup).unlink(missing_ok=True)

    def backups(self) -> list[Backup]:
        """Every copy, newest first, with its tables and row counts."""
        return [inspect_backup(p) for p in reversed(self.paths())]

    def find(self, name: str) -> Path | None:
        """A copy by its file name (or a path to it)."""
        for path in self.paths():
            if name in (path.name, str(path)) or Path(name).name == path.name:
                return path
        return None

    def put_back(self, backup: Path) -> PutBack:
        """control.xlsx becomes a copy of `backup`; the file it replaces, if any, is kept in
        backups/set-aside/ (never deleted).

        The workspace database comes back from the copy taken with it only when it is missing or
        damaged. A sound one stays: it records which rating sheets, documents and messages exist on
        this disk, and an older copy would make the next job take an expert's filled sheet for one
        never made. Its journal rows not yet in control.xlsx go into the restored file (the fold under
        way, if any, is dropped: its digest is not the restored file's)."""
        data = backup.read_bytes()
        aside = self.set_aside(self.control) if self.control.is_file() else None
        atomic_write(self.control, data)
        if healthy(self.database):
            done = PutBack(aside, "kept")
        elif not database_copy(backup).is_file():
            return PutBack(aside, "no-copy")
        else:
            database_aside = self.set_aside(self.database, wal=True) if self.database.exists() else None
            atomic_write(self.database, database_copy(backup).read_bytes())
            done = PutBack(aside, "restored", database_aside)
        # the restored version is the one the product last wrote now: not a person's edit
        db = self.db or Database(self.control.parent)
        db.record_written(file_digest(data), data, only=True)
        if self.db is None:
            db.close()
        return done

    def set_aside(self, path: Path, *, wal: bool = False) -> Path:
        moment = datetime.now(UTC)
        while (target := self.folder / "set-aside" / f"{path.stem}-{moment.strftime(STAMP)}{path.suffix}").exists():
            moment = moment.replace(microsecond=(moment.microsecond + 1) % 1_000_000)
        if not wal:  # copied: control.xlsx is replaced atomically next, never missing in between
            atomic_write(target, path.read_bytes())
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        replace(path, target)
        for extra in ("-wal", "-shm") if wal else ():  # a damaged database's journal must not meet the copy
            side = path.with_name(path.name + extra)
            if side.exists():
                replace(side, target.with_name(target.name + extra))
        return target


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
