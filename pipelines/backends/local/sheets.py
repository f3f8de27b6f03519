"""The rating sheets of the local workspace: one .xlsx per expert and group under drive/, recorded in
the manifest with its sharing and freeze; the share message written to the outbox exactly once; a
frozen copy under .frozen/ taken at the stage's close (later edits are named, never used)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from pipelines.backends.local.files import atomic_write, file_errors, replace, said_error, sha256, workbook_bytes
from pipelines.backends.local.manifest import Manifest, ManifestLedger
from pipelines.backends.local.outbox import Outbox
from pipelines.backends.local.workbooks import read_xlsx_tabs, render_xlsx, sniff
from pipelines.domain.models import ScoreCell
from pipelines.ports import (
    ChangedAfterFreeze,
    Conflict,
    NotFound,
    SheetKey,
    SheetRef,
    SheetSpec,
    SheetTab,
    Unreadable,
    deliver_once,
)


class LocalRatingSheets:
    def __init__(self, root: Path, manifest: Manifest, outbox: Outbox | None = None):
        self.root, self.manifest = root, manifest
        self.outbox = outbox or Outbox(root, manifest)  # the workspace's own (open_local) names its sender

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
        data = render_xlsx(spec.grid)
        if (self.root / rel).exists() and not self._as_made(self.root / rel, data):
            # a sheet the records do not know, holding what we did not write (an expert's typing):
            # never overwritten (the records were lost: jobs/guard.py says how to restore them)
            raise Conflict(
                f"{self.root / rel}: a rating sheet the workspace's records do not list holds cells "
                "this job did not write; it is left as it is (restore the workspace: contest restore)"
            )
        atomic_write(self.root / rel, data)
        self.manifest.data["sheets"][token] = {
            "path": rel.as_posix(),
            "properties": spec.key.properties(),
            "sharing": {spec.key.expert: "writer"},
            "frozen": None,
        }
        self.manifest.save()
        self.share_once(spec, rel)
        return SheetRef(spec.key, rel.as_posix(), str(self.root / rel), created=True)

    @staticmethod
    def _as_made(path: Path, data: bytes) -> bool:
        """Whether the file at `path` holds the cells `data` holds (left by a crash between writing
        the sheet and recording it: made again as it was)."""
        try:
            found = [(t.title, t.cells) for t in read_xlsx_tabs(path)]
        except Unreadable:
            return True  # nothing anyone could have typed into survives in it
        fd, tmp = tempfile.mkstemp(suffix=".xlsx")
        try:
            os.write(fd, data)
            os.close(fd)
            return found == [(t.title, t.cells) for t in read_xlsx_tabs(Path(tmp))]
        finally:
            os.unlink(tmp)

    def share_once(self, spec: SheetSpec, rel: Path) -> str:
        """The expert's share message, exactly once (ports.deliver_once, the ledger in the manifest)."""
        key = f"share/{spec.key.token()}"
        return deliver_once(
            ManifestLedger(self.manifest),
            key,
            lambda: bool(
                self.outbox.write(
                    spec.key.expert,
                    spec.share_subject or spec.name,
                    spec.share_message,
                    attachment=self.root / rel,
                    key=key,
                )
            ),
            lambda: self.outbox.holds(key),
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
                replace(path, aside)
            del self.manifest.data["sheets"][token]
            self.manifest.save()
        return self.ensure(spec)

    def rebuild(self, ref: SheetRef, spec: SheetSpec) -> SheetRef:
        return self.recreate(spec)  # the old file set aside beside it; the share is not repeated

    @file_errors
    def freeze(self, ref: SheetRef) -> None:
        entry = self._entry(ref.key.token())
        if entry is None:
            raise said_error(NotFound, "storage_sheet_not_recorded", sheet=ref.key.token())
        if entry.get("frozen"):
            return
        source = self.root / entry["path"]
        if not source.exists():
            raise self._missing(source)
        found = sniff(source)
        if found is not None:  # never freeze what cannot be read: the restored file is frozen later
            raise Unreadable(f"{source}: the rating sheet cannot be read: it is {found}", found=found)
        data = source.read_bytes()
        snapshot = Path(".frozen", f"{sha256(ref.key.token().encode())[:16]}.xlsx")
        atomic_write(self.root / snapshot, data)
        (self.root / snapshot).chmod(0o444)  # the frozen copy: read-only, and its hash kept in the manifest
        entry["frozen"] = {"snapshot": snapshot.as_posix(), "sha256": sha256(data)}
        entry["sharing"] = {ref.key.expert: "reader"}
        self.manifest.save()
        source.chmod(0o444)  # a hint to whoever opens it locally that the stage is closed

    @file_errors
    def unfreeze(self, ref: SheetRef, message: str = "") -> None:
        entry = self._entry(ref.key.token())
        if entry is None:
            raise said_error(NotFound, "storage_sheet_not_recorded", sheet=ref.key.token())
        frozen = entry.get("frozen")
        if not frozen and entry["sharing"].get(ref.key.expert) == "writer":
            return
        source = self.root / entry["path"]
        if source.exists():  # writable again first: a crash before the manifest is saved just repeats this
            source.chmod(source.stat().st_mode | 0o200)
        if message:  # named by its content: written again after a crash, never twice
            self.outbox.write(ref.key.expert, Path(entry["path"]).stem, message, attachment=source)
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
            raise said_error(NotFound, "storage_sheet_not_recorded", sheet=ref.key.token())
        path = self.root / (entry["frozen"]["snapshot"] if entry.get("frozen") else entry["path"])
        if not path.exists():
            raise self._missing(path)
        if entry.get("frozen") and sha256(path.read_bytes()) != entry["frozen"]["sha256"]:
            raise said_error(ChangedAfterFreeze, "storage_frozen_changed", path=path)
        return read_xlsx_tabs(path)

    @staticmethod
    def _missing(path: Path) -> NotFound:
        alike = _look_alikes(path)
        if alike:
            return said_error(NotFound, "storage_sheet_missing_alike", path=path, alike=", ".join(alike))  # type: ignore[return-value]
        return said_error(NotFound, "storage_sheet_missing", path=path)  # type: ignore[return-value]

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
                if not path.exists() or (now := sha256(path.read_bytes())) == frozen["sha256"]:
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
        atomic_write(path, workbook_bytes(wb))

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


def _look_alikes(path: Path) -> list[str]:
    """Files beside a missing sheet that may be it, renamed ("… (1).xlsx", another extension)."""
    if not path.parent.is_dir():
        return []
    stem = path.stem
    return sorted(p.name for p in path.parent.iterdir() if p.is_file() and p != path and p.name.startswith(stem))
