"""The previous version's internal files, read once to migrate a workspace into contest.sqlite3.

- manifest.json: the manifest's snapshot (documents, sheets, messages), and manifest.log: the entries
  changed since, one JSON line each (a line cut short by a crash is ignored: its file is made again;
  the previous version glued its next append onto such a line, and that record is read back from it);
- control.pending.jsonl: journal rows not yet in control.xlsx, each numbered; control.xlsx's custom
  property `contest_appended_through` names the last one it already holds.

After the migration commits, the files are moved to backups/before-sqlite/ (never deleted).
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any

from pipelines import i18n
from pipelines.ports import BackendError

MANIFEST, MANIFEST_LOG, PENDING = "manifest.json", "manifest.log", "control.pending.jsonl"
FILES = (MANIFEST, MANIFEST_LOG, PENDING)
FOLDED_PROPERTY = "contest_appended_through"
PARTS = ("documents", "sheets", "messages")
SET_ASIDE = Path("backups", "before-sqlite")


def found(root: Path) -> list[Path]:
    return [root / name for name in FILES if (root / name).is_file()]


Found = tuple[dict[str, dict[str, Any]], list[dict[str, Any]], list[Path]]


def read(root: Path) -> Found:
    """(the manifest's entries by part, the journal rows not yet in control.xlsx, the files read)."""
    files = found(root)
    if not files:
        return {part: {} for part in PARTS}, [], []
    data: Any = {"documents": {}, "sheets": {}, "messages": {}}
    if (root / MANIFEST).is_file():
        path = root / MANIFEST
        try:
            data = json.loads(path.read_bytes().decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _damaged(path, str(exc)) from None
        problem = _problem(data)
        if problem:
            raise _damaged(path, problem)
    if (root / MANIFEST_LOG).is_file():
        _replay(root / MANIFEST_LOG, data)
    entries = {
        "documents": dict(data.get("documents") or {}),
        "sheets": dict(data.get("sheets") or {}),
        "messages": {
            k: v if isinstance(v, dict) else {"state": str(v)} for k, v in (data.get("messages") or {}).items()
        },
    }
    pending: list[dict[str, Any]] = []
    if (root / PENDING).is_file():
        folded = _folded_through(root / "control.xlsx")
        for line in (root / PENDING).read_bytes().split(b"\n"):
            entry = _pending_line(line)
            if entry is not None and int(entry.get("seq", 0)) > folded:
                pending.append(entry)
        pending.sort(key=lambda e: int(e.get("seq", 0)))
    return entries, pending, files


def set_aside(root: Path) -> None:
    """Move the migrated files out of the way (a crash after the migration's commit leaves them)."""
    for path in found(root):
        target = root / SET_ASIDE / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)


def _replay(path: Path, data: dict[str, Any]) -> None:
    lines = path.read_bytes().split(b"\n")
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            part, token, entry = _log_record(line)
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            if number == len(lines) or (number == len(lines) - 1 and not lines[-1].strip()):
                continue  # the last append, cut short: its file is made again
            glued = _glued(line)
            if glued is None:
                raise _damaged(path, f"line {number}: {exc}") from None
            part, token, entry = glued  # an append cut short, the next one glued on: the cut one dropped
        if entry is None:
            data.setdefault(part, {}).pop(token, None)
        else:
            data.setdefault(part, {})[token] = entry
    problem = _problem(data)
    if problem:
        raise _damaged(path, problem)


def _log_record(line: bytes) -> tuple[str, str, Any]:
    record = json.loads(line.decode("utf-8"))
    part, token, entry = record["part"], record["token"], record["entry"]
    if part not in PARTS or not isinstance(token, str):
        raise ValueError(f"unknown part {part!r}")
    return part, token, entry


def _glued(line: bytes) -> tuple[str, str, Any] | None:
    """The whole record at the end of a line whose start is an append a crash cut short (the previous
    version then wrote its next append on the same line), or None. The cut append never returned:
    what it recorded is made again, as for a cut last line."""
    start = line.find(b'{"part"', 1)
    while start > 0:
        try:
            return _log_record(line[start:])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            start = line.find(b'{"part"', start + 1)
    return None


def _damaged(path: Path, why: str) -> BackendError:
    said = i18n.Said("storage_legacy_damaged", path=path, detail=why)
    error = BackendError(str(said))
    error.__cause__ = said
    return error


def _problem(data: Any) -> str | None:
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


def _pending_line(line: bytes) -> dict[str, Any] | None:
    """One entry of the pending log; None for a line a crash cut short (its append never returned)."""
    try:
        entry = json.loads(line.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError is one too
        return None
    if not isinstance(entry, dict) or not {"seq", "table", "columns", "row"} <= set(entry):
        return None
    return entry


def _folded_through(control: Path) -> int:
    """The number of the last pending row control.xlsx holds (its custom property; 0: none)."""
    try:
        with zipfile.ZipFile(control) as book:
            xml = book.read("docProps/custom.xml").decode("utf-8")
    except (OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError):
        return 0
    found = re.search(rf'name="{FOLDED_PROPERTY}"[^>]*>\s*<[^>]+>\s*(\d+)\s*<', xml)
    return int(found.group(1)) if found else 0
