"""The disk under every room of the local workspace: writes that a crash never leaves half done, and
the operating system's errors as the ports' errors, each naming its file."""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from openpyxl import Workbook

from pipelines.formats.cells import UNSTORABLE
from pipelines.i18n import Said
from pipelines.ports import BackendError, NotFound, PermissionDenied

Method = TypeVar("Method", bound=Callable[..., Any])


FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}
LOCKED = {errno.EAGAIN, errno.EBUSY, errno.ETXTBSY, getattr(errno, "EDEADLK", errno.EAGAIN)}


def said_error(kind: type[BackendError], key: str, /, **values: object) -> BackendError:
    """A backend error of `kind` worded by message key (kk/ru, naming the file): its text in both
    languages, the `Said` as its cause so that the CLI says it in the edition's language."""
    said = Said(key, **values)
    error = kind(str(said))
    error.__cause__ = error.said = said  # `said` outlives a `raise … from None`
    return error


def file_errors(method: Method) -> Method:
    """The disk's OSError as the ports' errors, so that the CLI shows one line in kk/ru naming the
    file instead of a traceback: a missing file is NotFound, a refused one PermissionDenied, a full
    disk, a locked file or anything else a BackendError; the system's own words stay as the detail."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except OSError as exc:
            raise os_error(exc) from None

    return wrapper  # type: ignore[return-value]


def os_error(exc: OSError) -> BackendError:
    """One OSError as the ports' error, worded in kk/ru with the file it concerns."""
    path, detail = where(exc), exc.strerror or str(exc) or type(exc).__name__
    if isinstance(exc, PermissionError):
        return said_error(PermissionDenied, "storage_permission", path=path, detail=detail)
    if isinstance(exc, FileNotFoundError):
        return said_error(NotFound, "storage_missing", path=path, detail=detail)
    if exc.errno in FULL:
        return said_error(BackendError, "storage_disk_full", path=path, detail=detail)
    if exc.errno in LOCKED:
        return said_error(BackendError, "storage_locked", path=path, detail=detail)
    return said_error(BackendError, "storage_os_error", path=path, detail=detail)


def where(exc: OSError) -> str:
    return str(exc.filename) if exc.filename else os.getcwd()


PARTIAL = ".partial"  # the suffix of a file being written (atomic_write); a crash may leave one


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a temp file in the same folder, forced to disk, then renamed over `path` (the folder
    forced to disk too): a crash or a power loss at any byte leaves either the old file or the new
    one, never half of one. A crash may leave the temp file `.<name>.<random>.partial` beside it:
    the next writing job removes it (`sweep_partials`, under the workspace's lock). The bytes go out
    through os.write, the one call every file the workspace writes is made of."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=PARTIAL, dir=path.parent)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    sync_folder(path.parent)


def replace(source: Path, target: Path) -> None:
    """os.replace, the folders forced to disk: the rename survives a power loss."""
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)
    sync_folder(target.parent)
    if source.parent != target.parent:
        sync_folder(source.parent)


def sync_folder(folder: Path) -> None:
    """Force a folder's entries (a rename, a new file) to disk; a system that cannot is let be."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def sweep_partials(root: Path) -> list[Path]:
    """Remove the temp files a crashed write left under `root` (called only while holding the lock
    that keeps every writer of `root` out, so none of them is being written)."""
    swept = []
    for path in root.rglob(f".*{PARTIAL}") if root.is_dir() else ():
        if path.is_file():
            path.unlink(missing_ok=True)
            swept.append(path)
    return swept


def file_digest(data: bytes) -> str:
    """A short content digest of a file the workspace keeps (control.xlsx's versions)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def workbook_bytes(wb: Workbook) -> bytes:
    with tempfile.TemporaryFile() as handle:
        wb.save(handle)
        handle.seek(0)
        return handle.read()


def storable(value: Any) -> Any:
    """Text as a worksheet can hold it: a vertical tab (Word's manual line break) becomes a newline,
    other control characters (pasted into form answers from other programs), lone surrogates and
    non-characters are dropped — XML cannot hold them (cells.UNSTORABLE, as `cells.fit` drops them).
    The registry's raw JSON keeps them."""
    if isinstance(value, str) and not value.isprintable():  # printable: no control character at all
        return UNSTORABLE.sub("", value.replace("\x0b", "\n"))
    return value


def set_text(cell, value: Any) -> None:
    """Store user text as text: openpyxl would otherwise turn '=…' into a formula."""
    value = storable(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
