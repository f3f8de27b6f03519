"""The lock that keeps writing jobs apart, in the folder it protects: `workspace/.contest-tick.lock`
for a local workspace, so two config files naming one workspace (a copied folder, a second cron line)
never run at once (a Google edition's lock is beside its config: the control spreadsheet's lease
keeps its configs apart).

The lock is the operating system's (flock): it ends with its process, however that process ends, so
a tick started after a crash on the same host proceeds at once. The file also records who holds it
and since when (holders.py), for `status`."""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pipelines import holders, i18n
from pipelines.backends.local.files import sweep_partials
from pipelines.ports import BackendError, Lease

LOCK_NAME = ".contest-tick.lock"


class LockBusy(Exception):
    """Another process holds the lock: `held` says who, since when (None when unknown)."""

    def __init__(self, path: Path, held: Lease | None):
        super().__init__(f"another job is running (lock {path}, held by {held.holder if held else 'unknown'})")
        self.path, self.held = path, held


@contextmanager
def workspace_lock(path: Path, lang: str = "kk", *, sweep: bool = False) -> Iterator[Lease]:
    """Hold the lock at `path` while the block runs; LockBusy at once when another process holds it.
    `sweep` (the lock of a local workspace): the temp files a crashed writer left in the folder are
    removed once the lock is held (no other writer can be writing one then)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")
    except OSError as exc:
        raise BackendError(i18n.text("lock_unwritable", lang, path=path, error=exc.strerror)) from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockBusy(path, read_lock(path)) from None
        lease = Lease(str(holders.this_process()), datetime.now(UTC).isoformat(timespec="seconds"), "")
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"holder": lease.holder, "since": lease.since}) + "\n")
        handle.flush()
        if sweep:
            sweep_partials(path.parent)
        yield lease
        handle.seek(0)
        handle.truncate()  # let go: nobody holds it (a crash leaves the record, read as gone)
    finally:
        handle.close()


def read_lock(path: Path) -> Lease | None:
    """Who holds the lock at `path`, from its record: None when nobody does (no record, or its holder
    is known to be gone: the kernel let the lock go with it)."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not text:
        return None
    try:
        record = json.loads(text)
        holder, since = str(record["holder"]), str(record.get("since", ""))
    except (ValueError, KeyError, TypeError):  # the previous version wrote the pid alone
        return None
    if holders.gone(holder):
        return None
    return Lease(holder, since, "")
