"""workspace/contest.sqlite3: the workspace's internal records, the files no person opens, in one
stdlib sqlite3 database (control.xlsx stays the file people read).

- `entries`: what the pipeline made under its idempotency key — documents, rating sheets — and the
  exactly-once ledger of share messages (part, token -> the entry as JSON);
- `pending`: journal rows appended since control.xlsx was last written, in their order;
- `folding`: the one fold of pending rows into control.xlsx under way, by the digest the new
  control.xlsx has (see LocalControlStore._save);
- `meta`: the schema version and where the records were migrated from.

Each change is one sqlite transaction (WAL journal): a write cut short by a crash or a power loss is
rolled back when the database is next opened, so no hand-made append log, compaction or sequence
number is needed. A workspace of the previous version (manifest.json, manifest.log,
control.pending.jsonl) is migrated once, when it is first opened (legacy.py).
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipelines import i18n
from pipelines.backends.local import legacy
from pipelines.backends.local.files import PARTIAL, replace
from pipelines.ports import BackendError

DB_NAME = "contest.sqlite3"
SCHEMA_VERSION = 1
# messages: the exactly-once ledger of share notices; outbox: each message's .eml by its key;
# outbox_sent: the .eml files CDB recorded as sent (`contest outbox --mark-sent`), by file name
PARTS = ("documents", "sheets", "messages", "outbox", "outbox_sent")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    part TEXT NOT NULL, token TEXT NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (part, token)
);
CREATE TABLE IF NOT EXISTS pending (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, tab TEXT NOT NULL, columns TEXT NOT NULL,
    row TEXT NOT NULL, layout TEXT
);
CREATE TABLE IF NOT EXISTS folding (id INTEGER PRIMARY KEY CHECK (id = 1), through INTEGER NOT NULL, digest TEXT NOT NULL);
"""

# control.xlsx as the product last wrote it (issue 23 item 1: a person's edit is named, not taken):
# the newest row is it; while a write is under way, the one before it too
WRITTEN = "CREATE TABLE IF NOT EXISTS written (seq INTEGER PRIMARY KEY AUTOINCREMENT, digest TEXT NOT NULL, data BLOB NOT NULL)"
# control.xlsx's tabs as parsed from the file of `digest`, the current one only: a memo, since
# parsing the workbook was three quarters of an idle tick (benchmarks/idle_ticks.py)
PARSED = "CREATE TABLE IF NOT EXISTS parsed (digest TEXT PRIMARY KEY, tabs TEXT NOT NULL)"


class StorageError(i18n.Said):
    """A failure of the workspace database, worded by key (kk/ru), naming the file."""


def storage_error(key: str, path: Path, exc: BaseException) -> BackendError:
    said = StorageError(key, path=path, detail=str(exc) or type(exc).__name__)
    error = BackendError(str(said))
    error.__cause__ = error.said = said  # `said` outlives a `raise … from None`
    return error


class Database:
    """The workspace's database, opened (and created or migrated) on first use."""

    def __init__(self, root: Path):
        self.root = root
        self.path = root / DB_NAME
        self._conn: sqlite3.Connection | None = None
        self._pending: tuple[tuple[int, int], list[dict[str, Any]]] | None = None

    # --- the connection and its transactions -----------------------------------------------------
    def connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        self.root.mkdir(parents=True, exist_ok=True)
        # the previous version's files, read before anything is created: a damaged one stops here
        migrating = None if self.path.exists() else legacy.read(self.root)
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=60)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            version = self._schema(conn)
        except sqlite3.Error as exc:
            raise storage_error("storage_db_damaged", self.path, exc) from None
        if version is None:
            self._create(conn, migrating or legacy.read(self.root))
        elif version > SCHEMA_VERSION:
            raise storage_error("storage_db_newer", self.path, ValueError(f"schema {version}"))
        legacy.set_aside(self.root)  # left by a migration that committed just before a crash
        try:  # added after schema 1 shipped: made on open, in a workspace of either
            conn.execute(WRITTEN)
            conn.execute(PARSED)
        except sqlite3.Error as exc:
            raise storage_error("storage_db_write", self.path, exc) from None
        return conn

    @staticmethod
    def _schema(conn: sqlite3.Connection) -> int | None:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone():
            return None
        found = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        return int(found[0]) if found else None

    def _create(self, conn: sqlite3.Connection, migrating: legacy.Found) -> None:
        """The tables, and the previous version's files read into them: one transaction, so a crash
        half-way leaves no tables and the next open migrates again from the same files."""
        entries, pending, found = migrating
        with self._transaction(conn):
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.executemany(
                "INSERT OR REPLACE INTO entries VALUES (?, ?, ?)",
                [(part, token, _dump(entry)) for part, items in entries.items() for token, entry in items.items()],
            )
            conn.executemany(
                "INSERT INTO pending (tab, columns, row, layout) VALUES (?, ?, ?, ?)",
                [(e["table"], _dump(e["columns"]), _dump(e["row"]), _dump(e.get("layout"))) for e in pending],
            )
            conn.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            if found:
                conn.execute("INSERT INTO meta VALUES ('migrated_from', ?)", (_dump([p.name for p in found]),))

    @contextmanager
    def _transaction(self, conn: sqlite3.Connection, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        try:
            conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            key = (
                "storage_db_full"
                if "full" in str(exc)
                else "storage_db_locked"
                if "locked" in str(exc)
                else "storage_db_write"
            )
            raise storage_error(key, self.path, exc) from None

    @contextmanager
    def write(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction: all of it lands, or none of it. `durable=False` commits without forcing
        the WAL to disk: a power loss may take it back (never a process crash), not damage the file."""
        with self._transaction(self.connection(), durable=durable) as conn:
            yield conn

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            return self.connection().execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise storage_error("storage_db_damaged", self.path, exc) from None

    def close(self) -> None:
        """Close the connection (opened again on next use). The last connection to close folds the
        WAL into the database and removes contest.sqlite3-wal and -shm: a job's end leaves one file."""
        if self._conn is not None and not self._conn.in_transaction:
            self._conn.close()
            self._conn = None
            self._pending = None  # its stamp (data_version, total_changes) is the connection's

    # --- entries: what the pipeline made, and the share messages' ledger ---------------------------
    def entries(self, part: str | None = None) -> dict[str, dict[str, dict[str, Any]]]:
        """Every entry, or one part's (Manifest reads each part once per job, when a job first needs
        it: an idle tick reads the sheets' alone). The connection is closed after it if this opened
        it, so a job that only reads leaves no -wal or -shm file behind."""
        out: dict[str, dict[str, dict[str, Any]]] = {p: {} for p in ((part,) if part else PARTS)}
        opened = self._conn is None
        where, args = ("WHERE part = ?", (part,)) if part else ("", ())
        for found, token, entry in self._read(
            f"SELECT part, token, entry FROM entries {where} ORDER BY part, token", args
        ):
            out.setdefault(found, {})[token] = json.loads(entry)
        if opened:
            self.close()
        return out

    def save_entries(self, changes: list[tuple[str, str, dict[str, Any] | None]], *, durable: bool = True) -> None:
        with self.write(durable=durable) as conn:
            for part, token, entry in changes:
                if entry is None:
                    conn.execute("DELETE FROM entries WHERE part = ? AND token = ?", (part, token))
                else:
                    conn.execute("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", (part, token, _dump(entry)))

    # --- pending journal rows ------------------------------------------------------------------
    def append_pending(self, rows: list[tuple[str, list[str], list[Any], dict[str, Any] | None]]) -> None:
        """Rows for control.xlsx, durable before this returns (the journal records messages)."""
        with self.write() as conn:
            conn.executemany(
                "INSERT INTO pending (tab, columns, row, layout) VALUES (?, ?, ?, ?)",
                [(tab, _dump(columns), _dump(row), _dump(layout)) for tab, columns, row, layout in rows],
            )

    def pending(self) -> list[dict[str, Any]]:
        """Every pending row, oldest first: {seq, table, columns, row, layout}. Parsed again only
        when the database changed (a job reads them back at each read of the tables)."""
        conn = self.connection()
        try:
            stamp = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
        except sqlite3.Error as exc:
            raise storage_error("storage_db_damaged", self.path, exc) from None
        if self._pending is None or self._pending[0] != stamp:
            rows = self._read("SELECT seq, tab, columns, row, layout FROM pending ORDER BY seq")
            parsed = [
                {"seq": seq, "table": tab, "columns": json.loads(c), "row": json.loads(r), "layout": json.loads(lay)}
                for seq, tab, c, r, lay in rows
            ]
            self._pending = (stamp, parsed)
        return [dict(e) for e in self._pending[1]]

    # --- folding the pending rows into control.xlsx ----------------------------------------------
    def begin_fold(self, through: int, digest: str) -> None:
        """Before control.xlsx is replaced by one holding the rows up to `through`: its digest."""
        with self.write() as conn:
            conn.execute("INSERT OR REPLACE INTO folding VALUES (1, ?, ?)", (through, digest))

    def end_fold(self, through: int) -> None:
        """control.xlsx holds the rows up to `through`: they leave the database."""
        with self.write() as conn:
            conn.execute("DELETE FROM pending WHERE seq <= ?", (through,))
            conn.execute("DELETE FROM folding")

    def drop_fold(self) -> None:
        """The fold under way never replaced control.xlsx: its rows stay pending."""
        with self.write() as conn:
            conn.execute("DELETE FROM folding")

    def fold_under_way(self) -> tuple[int, str] | None:
        found = self._read("SELECT through, digest FROM folding")
        return (int(found[0][0]), str(found[0][1])) if found else None

    # --- control.xlsx as last written ------------------------------------------------------------
    def written(self) -> list[str]:
        """The digests of control.xlsx as the product wrote it, newest first (two while a write is
        under way: the file is either)."""
        return [str(r[0]) for r in self._read("SELECT digest FROM written ORDER BY seq DESC")]

    def written_data(self) -> bytes | None:
        found = self._read("SELECT data FROM written ORDER BY seq DESC LIMIT 1")
        return bytes(found[0][0]) if found else None

    def record_written(self, digest: str, data: bytes, *, only: bool = False) -> None:
        """Before control.xlsx is replaced by `data` (the version it replaces stays valid until
        `only` is recorded, after the replace): one transaction."""
        with self.write() as conn:
            if only:
                conn.execute("DELETE FROM written")
            elif conn.execute("SELECT 1 FROM written WHERE digest = ?", (digest,)).fetchone():
                conn.execute("DELETE FROM written WHERE digest != ?", (digest,))
                return
            else:
                conn.execute("DELETE FROM written WHERE seq < (SELECT MAX(seq) FROM written)")
            conn.execute("INSERT INTO written (digest, data) VALUES (?, ?)", (digest, data))

    def settle_written(self, digest: str) -> None:
        """control.xlsx is now the version of `digest`: the one it replaced is no longer valid."""
        with self.write() as conn:
            conn.execute("DELETE FROM written WHERE digest != ?", (digest,))

    # --- control.xlsx as parsed (a memo) -----------------------------------------------------------
    def parsed(self, digest: str) -> Any:
        """What `remember_parsed` kept for the file of `digest` (None when it is another file's)."""
        opened = self._conn is None  # closed again if this opened it (health() leaves no -wal, -shm)
        found = self._read("SELECT tabs FROM parsed WHERE digest = ?", (digest,))
        if opened:
            self.close()
        return json.loads(found[0][0]) if found else None

    def remember_parsed(self, digest: str, tabs: Any) -> None:
        """Kept if the database takes it at once: a memo is never worth a wait or a failed job (a
        read-only `status` beside a running tick, a full disk)."""
        opened = self._conn is None
        conn = self.connection()
        try:
            conn.execute("PRAGMA busy_timeout = 0")
            with self.write(durable=False) as conn:
                conn.execute("DELETE FROM parsed")
                conn.execute("INSERT INTO parsed VALUES (?, ?)", (digest, json.dumps(tabs, ensure_ascii=False)))
        except (BackendError, sqlite3.Error, ValueError):  # ValueError: text sqlite cannot encode
            pass
        finally:
            conn.execute("PRAGMA busy_timeout = 60000")
            if opened:
                self.close()

    # --- copies ---------------------------------------------------------------------------------
    def copy_to(self, target: Path) -> None:
        """A consistent copy (sqlite3's backup API: the committed state, whatever is being written),
        put in place atomically; without the memo of the parsed control.xlsx (a copy in each backup
        would be the largest part of it, and is made again by the first read)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=PARTIAL, dir=target.parent)
        os.close(fd)
        try:
            copy = sqlite3.connect(tmp)
            try:
                self.connection().backup(copy)
                if copy.execute("DELETE FROM parsed").rowcount:
                    copy.commit()
                    copy.execute("VACUUM")
            finally:
                copy.close()
            replace(Path(tmp), target)
        except sqlite3.Error as exc:
            Path(tmp).unlink(missing_ok=True)
            raise storage_error("storage_db_write", target, exc) from None
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def healthy(path: Path) -> bool:
    """Whether the database file at `path` opens and passes sqlite's quick check."""
    if not path.is_file() or path.stat().st_size == 0:
        return False
    try:
        conn = sqlite3.connect(path)
        try:
            return conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
