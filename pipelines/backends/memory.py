"""The memory workspace: every port held in Python objects, for job tests that need speed, not files.

It behaves as the local workspace does where a caller can see it (what `read` returns, which tables
`write_tables` reports, when `put` replaces a document), and keeps what it did inspectable:
`sheets.notifications` (shares and reopenings), `mailer.sent`, `forms.responses` (tests may change it).
It converts nothing: `put_pdf` raises, as a backend without a converter must.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pipelines.domain.models import Notice, RawResponse, ScoreCell
from pipelines.ports import (
    DOCX_MIME,
    BackendError,
    Content,
    ControlHealth,
    DocKey,
    Lease,
    SheetKey,
    SheetRef,
    SheetSpec,
    SheetTab,
    StoredDoc,
    TableLayout,
    Workspace,
    a1,
    comparable,
    lease_refusal,
    plan_put,
    rows_as_dicts,
)


@dataclass
class Message:
    to: str
    subject: str
    body: str
    attachments: tuple[str, ...] = ()


# --- forms ---------------------------------------------------------------------------------------
class MemoryFormSource:
    def __init__(self, responses: list[RawResponse] | None = None):
        self.responses: list[RawResponse] = list(responses or [])

    def read_responses(self) -> list[RawResponse]:
        # copies: a job that edits what it read must not change the "form"
        return [copy.deepcopy(r) for r in self.responses]

    def taken_at(self) -> datetime | None:
        return None  # read live, as the Forms API is


# --- control store -------------------------------------------------------------------------------
class MemoryControlStore:
    def __init__(self) -> None:
        self.tables: dict[str, list[list[Any]]] = {}  # name -> rows, the header first
        self.writes: list[str] = []  # names in the order they were (re)written, to check economy
        self.lease: tuple[str, str] = ("", "")  # holder, until (ISO-8601)
        self.lease_since = ""

    def read_table(self, name: str) -> list[dict[str, Any]]:
        return rows_as_dicts(self.tables.get(name) or [])

    def health(self) -> ControlHealth:
        """Memory cannot be damaged; it can only be empty."""
        return ControlHealth("ok", "memory", "memory", tables=list(self.tables))

    def read_tables(self, names: list[str]) -> dict[str, list[dict[str, Any]]]:
        return {name: self.read_table(name) for name in names}

    def write_tables(
        self,
        tables: dict[str, tuple[list[str], list[list[Any]]]],
        layouts: dict[str, TableLayout] | None = None,  # presentation: nothing to show in memory
    ) -> list[str]:
        changed = []
        for name, (columns, rows) in tables.items():
            wanted = [list(columns)] + [[_blank_none(v) for v in row] for row in rows]
            if name in self.tables and comparable(self.tables[name]) == comparable(wanted):
                continue
            self.tables[name] = wanted
            self.writes.append(name)
            changed.append(name)
        return changed

    def settle(self) -> None:
        pass  # appended rows are in the table at once

    def close(self) -> None:
        pass  # nothing held open between requests

    def hand_edits(self) -> list[Any]:
        return []  # nobody but the product reaches memory

    def accept_hand_edits(self) -> None:
        pass

    def undo_hand_edits(self) -> None:
        return None

    def append_rows(
        self, name: str, columns: list[str], rows: list[list[Any]], layout: TableLayout | None = None
    ) -> None:
        table = self.tables.setdefault(name, [list(columns)])
        table.extend([_blank_none(v) for v in row] for row in rows)
        self.writes.append(name)

    def hold_lease(self, holder: str, now: datetime, seconds: float) -> str | None:
        held, until = self.lease
        refused = lease_refusal(held, until, holder, now)
        if refused is None:
            if held != holder:
                self.lease_since = now.isoformat()
            self.lease = (holder, (now + timedelta(seconds=seconds)).isoformat())
        return refused

    def release_lease(self, holder: str) -> None:
        if self.lease[0] == holder:
            self.lease = ("", "")

    def lease_held(self) -> Lease | None:
        held, until = self.lease
        return Lease(held, self.lease_since, until) if held else None

    def clear_lease(self) -> Lease | None:
        held = self.lease_held()
        self.lease = ("", "")
        return held


def _blank_none(value: Any) -> Any:
    """None is stored as "" (as a worksheet gives an empty cell back to read_table)."""
    return "" if value is None else value


# --- rating sheets -------------------------------------------------------------------------------
@dataclass
class _Sheet:
    spec: SheetSpec
    cells: dict[tuple[int, int], ScoreCell]  # (row, col) -> value or formula; a1 is filled on reading
    role: str = "writer"  # the expert's
    frozen: dict[tuple[int, int], ScoreCell] | None = None  # the cells at the freeze
    extra_tabs: list[SheetTab] = field(default_factory=list)  # tabs added from outside (tests)


class MemoryRatingSheets:
    def __init__(self) -> None:
        self.sheets: dict[str, _Sheet] = {}  # SheetKey.token() -> sheet
        self.notifications: list[Message] = []  # what Drive (or the local outbox) would tell experts

    def _sheet(self, ref: SheetRef) -> _Sheet:
        sheet = self.sheets.get(ref.key.token())
        if sheet is None:
            raise BackendError(f"no rating sheet recorded for {ref.key.token()}")
        return sheet

    @staticmethod
    def _ref(sheet: _Sheet, created: bool = False) -> SheetRef:
        sheet_id = "/".join(["drive", *sheet.spec.folder, sheet.spec.name])
        return SheetRef(sheet.spec.key, sheet_id, f"memory://{sheet_id}", created=created)

    def ensure(self, spec: SheetSpec) -> SheetRef:
        token = spec.key.token()
        if token in self.sheets:
            return self._ref(self.sheets[token])
        cells = {
            (r, c): ScoreCell(None, cell.formula) if cell.formula else ScoreCell(cell.value)
            for r, row in enumerate(spec.grid.rows)
            for c, cell in enumerate(row)
        }
        self.sheets[token] = sheet = _Sheet(copy.deepcopy(spec), cells)
        self.notifications.append(Message(spec.key.expert, spec.share_subject or spec.name, spec.share_message))
        return self._ref(sheet, created=True)

    def recreate(self, spec: SheetSpec) -> SheetRef:
        self.sheets.pop(spec.key.token(), None)
        notices = len(self.notifications)
        ref = self.ensure(spec)
        del self.notifications[notices:]  # the job tells the expert
        return ref

    def rebuild(self, ref: SheetRef, spec: SheetSpec) -> SheetRef:
        return self.recreate(spec)

    def freeze(self, ref: SheetRef) -> None:
        sheet = self._sheet(ref)
        if sheet.frozen is None:
            sheet.frozen = copy.deepcopy(sheet.cells)
        sheet.role = "reader"

    def unfreeze(self, ref: SheetRef, message: str = "") -> None:
        sheet = self._sheet(ref)
        if sheet.frozen is None and sheet.role == "writer":
            return
        if message:
            self.notifications.append(Message(ref.key.expert, sheet.spec.name, message))
        sheet.frozen, sheet.role = None, "writer"

    def read(self, ref: SheetRef) -> list[list[ScoreCell]]:
        """A rectangle from A1 over every cell ever filled; empty cells are None, and formulas keep
        a value of None: nothing here computes them (the local workspace, written by openpyxl, has
        no cached values either)."""
        sheet = self._sheet(ref)
        return _grid(sheet.frozen if sheet.frozen is not None else sheet.cells)

    def versions(self, refs: list[SheetRef]) -> dict[str, str]:
        return {}  # in memory a read is as cheap as a stamp: every sheet is read

    def last_changed_by_us(self, refs: list[SheetRef]) -> set[str]:
        return set()  # who changed a sheet is not known: every sheet is read

    def unchanged_since_freeze(self, refs: list[SheetRef]) -> set[str]:
        return set()  # the frozen copy is read again: no request to save

    def changed_after_freeze(self) -> list[dict[str, Any]]:
        return [
            {
                "sheet": self._ref(s).id,
                "expert": s.spec.key.expert,
                "notice": "why_edited_after_freeze",
                "revision": hashlib.sha256(repr(sorted(s.cells.items())).encode()).hexdigest()[:16],
                "tabs": [SheetTab(s.spec.grid.title, _grid(s.cells))],
            }
            for s in self.sheets.values()
            if s.frozen is not None and s.frozen != s.cells
        ]

    def read_tabs(self, ref: SheetRef) -> list[SheetTab]:
        """One tab, as built; tests add others through `extra_tabs` (a sheet edited from outside)."""
        sheet = self._sheet(ref)
        return [SheetTab(sheet.spec.grid.title, self.read(ref)), *copy.deepcopy(sheet.extra_tabs)]

    def write_as_expert(self, ref: SheetRef, values: dict[tuple[int, int], Any]) -> None:
        """As typed into a spreadsheet: "=…" becomes a formula, anything else is kept as given. After
        the freeze the edit lands on the live sheet, which `read` ignores until an unfreeze."""
        sheet = self._sheet(ref)
        for (r, c), value in values.items():
            typed_formula = isinstance(value, str) and value.startswith("=")
            sheet.cells[(r, c)] = ScoreCell(None, value) if typed_formula else ScoreCell(value)

    def sharing(self) -> list[dict[str, str]]:
        return [
            {"sheet": self._ref(s).id, "email": s.spec.key.expert, "role": s.role}
            for _, s in sorted(self.sheets.items())
        ]

    def made(self) -> list[SheetKey]:
        return [s.spec.key for _, s in sorted(self.sheets.items())]


# --- documents and mail --------------------------------------------------------------------------
@dataclass
class _Document:
    key: DocKey
    folder: list[str]
    filename: str
    content: bytes
    mime: str
    digest: str
    source: str | None = None

    @property
    def path(self) -> str:
        return "/".join(["drive", *self.folder, self.filename])


class MemoryDrive:
    def __init__(self) -> None:
        self.files: dict[str, _Document] = {}  # DocKey.token() -> document
        self.renders = 0  # how often `put` had to make the content (a test checks it is spared)

    def put(
        self,
        key: DocKey,
        folder: list[str],
        filename: str,
        content: Content,
        mime: str = DOCX_MIME,
        *,
        source: str | None = None,
    ) -> StoredDoc:
        stored = self.files.get(key.token())

        def made() -> bytes:
            self.renders += 1
            return content() if callable(content) else content

        plan = plan_put(
            stored_digest=stored.digest if stored else None,
            stored_source=stored.source if stored else None,
            same_place=stored is not None and (stored.folder, stored.filename) == (list(folder), filename),
            content=made if callable(content) else content,
            source=source,
        )
        if stored is not None and not plan.write:
            if plan.remember_source:
                stored.source = source
            return StoredDoc(key, self._url(stored))
        content, digest = plan.data or b"", plan.digest or ""
        document = _Document(key, list(folder), filename, bytes(content), mime or DOCX_MIME, digest, source)
        self.files[key.token()] = document
        return StoredDoc(key, self._url(document), changed=True)

    def put_pdf(self, key: DocKey, folder: list[str], filename: str, docx: bytes) -> StoredDoc:
        raise BackendError(
            f"{filename}: the memory workspace does not convert .docx to PDF; "
            "publish from the local workspace (LibreOffice) or Google (Drive export)"
        )

    def can_make_pdf(self) -> bool:
        return False  # it converts nothing (put_pdf raises)

    def access(self) -> list[dict[str, str]]:
        return []  # nothing here is shared: a folder on CDB's own disk

    def documents(self) -> list[StoredDoc]:
        return [StoredDoc(d.key, self._url(d)) for _, d in sorted(self.files.items())]

    def content(self, key: DocKey) -> bytes:
        """The stored bytes of a document, for tests."""
        return self.files[key.token()].content

    @staticmethod
    def _url(document: _Document) -> str:
        return f"memory://{document.path}"


class MemoryMailer:
    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.keys: set[str] = set()  # the keys of the messages sent with one

    def notify(
        self, to: str, subject: str, body: str, *, key: str | None = None, attachments: tuple[str, ...] = ()
    ) -> bool:
        self.sent.append(Message(to, subject, body, attachments))
        if key:
            self.keys.add(key)
        return True

    def delivered(self, key: str) -> bool | None:
        return key in self.keys


def open_memory(config, responses: list[RawResponse] | None = None) -> Workspace:
    """A fresh, empty memory workspace; `responses` are the form's (tests may change them later
    through `workspace.forms.responses`). `config` is taken as open_local and open_google take it,
    so a test can pass `open_memory` wherever a workspace factory is expected."""
    return Workspace(
        forms=MemoryFormSource(responses),
        control=MemoryControlStore(),
        sheets=MemoryRatingSheets(),
        drive=MemoryDrive(),
        mailer=MemoryMailer(),
        description="memory workspace (nothing is kept after the run)",
        place=Notice("workspace_memory"),
    )


def _grid(cells: dict[tuple[int, int], ScoreCell]) -> list[list[ScoreCell]]:
    height = max((r for r, _ in cells), default=-1) + 1
    width = max((c for _, c in cells), default=-1) + 1
    grid = []
    for r in range(height):
        row = []
        for c in range(width):
            got = cells.get((r, c)) or ScoreCell(None)
            row.append(ScoreCell(got.value, got.formula, a1(r, c)))
        grid.append(row)
    return grid
