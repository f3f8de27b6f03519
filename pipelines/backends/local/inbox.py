"""inbox/: where CDB saves the rating sheets experts mail back, under any name and in any subfolder.
The jobs file each by the identity it carries (jobs/inbox.py); here only the disk: list what waits,
put a sheet in its place, keep every original (inbox/filed/, inbox/not-filed/), never delete."""

from __future__ import annotations

import os
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from pipelines.backends.local.files import atomic_write, file_errors, sha256
from pipelines.backends.local.manifest import Manifest
from pipelines.backends.local.workbooks import read_xlsx_tabs
from pipelines.ports import BackendError, NotFound, Returned, SheetRef, SheetTab

FILED, NOT_FILED = "filed", "not-filed"  # subfolders of inbox/ the jobs move files into
MODIFIED = re.compile(rb"<dcterms:modified[^>]*>([^<]+)</dcterms:modified>")


def saved_at(path: Path) -> datetime | None:
    """When a workbook was last saved: its own docProps/core.xml time (Excel, LibreOffice and Google
    write it at each save, and a mail or a copy keeps it), else the file's time on this disk."""
    try:
        with zipfile.ZipFile(path) as z:
            found = MODIFIED.search(z.read("docProps/core.xml"))
        if found:
            return datetime.fromisoformat(found.group(1).decode().strip().replace("Z", "+00:00"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        pass
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return None


class LocalInbox:
    def __init__(self, root: Path, manifest: Manifest):
        self.root, self.manifest = root, manifest
        self.folder = root / "inbox"

    @file_errors
    def waiting(self) -> list[Returned]:
        if not self.folder.is_dir():
            return []
        out = []
        for path in sorted(self.folder.rglob("*")):
            rel = path.relative_to(self.folder)
            if not path.is_file() or rel.parts[0] in (FILED, NOT_FILED) or path.name.startswith((".", "~$")):
                continue  # kept from earlier runs, or Excel's lock file / a hidden file
            tabs: list[SheetTab] = []
            try:
                tabs, readable = read_xlsx_tabs(path), True
            except BackendError:  # not a workbook openpyxl can read: said, not filed
                readable = False
            out.append(Returned(rel.as_posix(), tabs, readable, saved_at(path), sha256(path.read_bytes())))
        return sorted(out, key=lambda r: (r.saved or datetime.min.replace(tzinfo=UTC), r.name))

    def _place(self, ref: SheetRef) -> Path:
        entry = self.manifest.data["sheets"].get(ref.key.token())
        if entry is None:
            raise NotFound(f"no rating sheet recorded for {ref.key.token()}")
        return self.root / entry["path"]

    @file_errors
    def saved(self, ref: SheetRef) -> tuple[datetime | None, str]:
        path = self._place(ref)
        return (saved_at(path), sha256(path.read_bytes())) if path.exists() else (None, "")

    @file_errors
    def file(self, item: Returned, ref: SheetRef) -> str:
        place, source = self._place(ref), self.folder / item.name
        if place.exists():
            place.chmod(place.stat().st_mode | 0o200)  # writable while its stage is open
        atomic_write(place, source.read_bytes())
        self._move(source, FILED)
        return place.relative_to(self.root).as_posix()

    @file_errors
    def set_aside(self, item: Returned) -> str:
        return self._move(self.folder / item.name, NOT_FILED)

    def _move(self, source: Path, sub: str) -> str:
        """Into inbox/<sub>/, the saved path flattened, a number added when the name is taken."""
        target = self.folder / sub / Path(item_name := source.relative_to(self.folder).as_posix().replace("/", "__"))
        target.parent.mkdir(parents=True, exist_ok=True)
        n = 1
        while target.exists():
            stem, dot, ext = item_name.rpartition(".")
            target = target.with_name(f"{stem} ({n}).{ext}" if dot else f"{item_name} ({n})")
            n += 1
        os.replace(source, target)
        return target.relative_to(self.root).as_posix()
