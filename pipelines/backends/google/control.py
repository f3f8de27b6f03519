"""The control spreadsheet of an edition: one tab per table (registry, stages, journal …), and the
cell-value conversions the Sheets adapters share.

Economy (Sheets allows 60 reads + 60 writes per minute per user): the jobs read every table they need
at once (read_tables: one values.batchGet, UNFORMATTED_VALUE, SERIAL_NUMBER); write_tables compares
against what this process last read or wrote, else it is 1 read (values.batchGet of the named tabs)
+ 1 write — ONE spreadsheets.batchUpdate carrying addSheet for missing tabs and updateCells for every
changed tab, the old rectangle cleared in the same call — whatever the tables' size; append_rows is
ONE batchUpdate of appendCells. Text is written as stringValue: a form answer "=…" never becomes a
formula.

A person's edit is named, never taken (issue 23 item 1, formats/witness.py): each table's written
copy (WRITTEN) rides along in those same requests, tables are found by sheetId, and the product's
tabs are protected with a warning (docs/reliability.md, "A person's edit of the control store")"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from openpyxl.utils import quote_sheetname

from pipelines import i18n
from pipelines.formats.witness import ControlEdited, TableEdit, exempt, known_titles, sheet_edits
from pipelines.ports import (
    BackendError,
    Conflict,
    ControlHealth,
    InvalidRequest,
    Lease,
    NotFound,
    TableLayout,
    comparable,
    lease_refusal,
    rows_as_dicts,
)

from .drive import SHEET, Folders, create_file, least_access, list_files, props_query
from .transport import Clients

ERRORS = {
    "DIVIDE_BY_ZERO": "#DIV/0!",
    "REF": "#REF!",
    "VALUE": "#VALUE!",
    "N_A": "#N/A",
    "NAME": "#NAME?",
    "NUM": "#NUM!",
    "NULL_VALUE": "#NULL!",
    "ERROR": "#ERROR!",
    "LOADING": "#LOADING",
}
LEASE_TAB = "tick lease"  # a tab of its own: adding a tab whose title exists fails, atomically
LEASE_HEADER = ["holder", "until", "since"]
IDS_TAB = "reserved ids"  # hidden: the file ids of the batch in use, recorded before any is used
# hidden: the ledger of Google Workspace files (rating sheets), which Drive will not create with a
# reserved id: [key, id] once made, before anything is shared from it (claimed); append only
CREATED_TAB = "created files"
# Each table's written copy (issue 23 item 1): a hidden tab "written <sheetId> <table>" holding the
# table's values as the product last wrote them, <sheetId> the table's own tab (found by it, whatever
# its title now). Protected for the product's account alone; updated in the same batchUpdate as
# the table, so the copy costs no request of its own. Its cells count against the spreadsheet's 10
# million ("Files you can store in Google Drive", support.google.com/drive/answer/37603): a copy is
# sized to its rows (an edition's tables: tens of thousands of cells), not Sheets' 1000 x 26 default.
#
# A copy is the product's only when its title is exactly what the product writes (sheetId without a
# leading zero) AND a protection that is not a mere warning covers its whole grid: a tab a person
# adds or retitles "written 0123 Тізілім" is none (issue 23 item 1); Sheets refuses a second tab of
# one title, so while the product's copy is there nobody holds its title. Two such tabs for one table
# are named (copy_clash), neither believed.
#
# COPIES_TAB marks a spreadsheet whose every table has its written copy (added, hidden and protected,
# by the write that makes the last copy still missing; a new edition's first write): from then on a
# table's tab (a title of tables.yaml) without its copy is a copy deleted or renamed, named
# (copy_missing), never trusted as found. A spreadsheet from before the copies has no mark until each
# of its tables has been written.
WRITTEN = "written"
WRITTEN_TITLE = re.compile(r"^written (\d+) (.+)$")
COPIES_TAB = "written copies"
READ = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"}


def pixels(chars: int) -> int:
    """A column width in characters (as the grids and tables.yaml give it) in Sheets' pixels."""
    return int(chars * 7 + 12)


def quote_tab(title: str) -> str:
    """A tab's title as an A1 range names it (openpyxl's quoting: 'It''s')."""
    return quote_sheetname(title)


def sheet_url(spreadsheet_id: str) -> str:
    return f"https://docs.google.com/spreadsheets/d/{spreadsheet_id}/edit"


def plain(value: Any) -> Any:
    """A value as Sheets gives it back: integral numbers as int; None as ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def json_value(value: Any) -> Any:
    """A table value as a JSON cell value (text stays text: written RAW / as stringValue)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return plain(value)
    return str(value)


def extended(value: Any) -> dict[str, Any]:
    value = json_value(value)
    if value == "":
        return {}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": value}
    return {"stringValue": value}


def from_extended(ev: dict[str, Any] | None) -> Any:
    ev = ev or {}
    if "numberValue" in ev:
        return plain(ev["numberValue"])
    if "errorValue" in ev:
        return ERRORS.get(ev["errorValue"].get("type", "ERROR"), "#ERROR!")
    for key in ("stringValue", "boolValue"):
        if key in ev:
            return ev[key]
    return None


def _norm(rows: list[list[Any]]) -> list[list[str]]:
    return comparable(rows, lambda v: str(plain(v)))


class GoogleControlStore:
    """The control spreadsheet of the edition: found by appProperties (kind=control, edition) or
    created in the edition's folder; `backend.control_spreadsheet_id` names it explicitly."""

    def __init__(self, c: Clients, folders: Folders):
        self.c, self.folders = c, folders
        self.id: str | None = c.backend.control_spreadsheet_id
        self.tabs: dict[str, dict[str, int]] | None = None  # title -> sheetId, rows, cols
        self.spare: dict[str, int] | None = None  # the blank first tab of a spreadsheet we just created
        self.created = False
        # What this process last read or wrote of each tab: the baseline `write_tables` compares
        # against to skip unchanged tables. Reads always go to the spreadsheet (read_tables).
        self.cache: dict[str, tuple[float, list[list[Any]]]] = {}
        self.clock = c.transports["sheets"].read_limiter.clock
        self.lease: tuple[str, int] | None = None  # (holder, sheetId of the lease tab) this store added
        # the lease held: (holder, the tick's now, the clock then, seconds), renewed by _heartbeat
        self.renewal: tuple[str, datetime, float, float] | None = None
        self.renewed = 0.0
        self._renewing = False
        self._creating = False  # the control spreadsheet's own create is under way
        # table -> its tab's sheetId and its written copy's tab (title, sheetId), from the copies' titles
        self.tracked: dict[str, dict[str, Any]] = {}
        self.clashes: dict[str, list[str]] = {}  # table -> the titles of the tabs that claim to be its copy
        self.titles: dict[int, str] = {}  # sheetId -> title now
        self.written: dict[str, list[list[Any]]] = {}  # each table's written copy, read once per process

    def _spreadsheet(self) -> str:
        if self.id:
            return self.id
        marker = {"kind": "control", "edition": self.c.edition}
        with self.c.stats.operation("find control spreadsheet"):
            found = list_files(self.c, props_query(marker), "id,createdTime")
            if found:
                self.id = self._one_of(found)
                return self.id
            body = {
                "name": f"{self.c.edition_name} — control",
                "mimeType": SHEET,
                "parents": [self.folders.path([])],
                "appProperties": marker,
                **least_access(self.c, document=False),
            }
            self._creating = True  # the ledger lives in it: its own create is not in the ledger
            try:
                self.id = create_file(self.c, body, "id")["id"]
            finally:
                self._creating = False
            self.created = True
        return self.id

    def _one_of(self, found: list[dict[str, Any]]) -> str:
        """The control spreadsheet among those found by its key. Two exist only when its create was
        applied but its answer lost for longer than Drive's search lagged (it is created without a
        reserved id: Drive refuses one for a Google Sheet, and the ledger of such creates lives in
        it): the one in use (more tabs) wins, then the oldest. The other, blank, is left as it is
        (never shared with anyone; reading the store writes nothing)."""
        if len(found) == 1:
            return str(found[0]["id"])
        tabs = {}
        for f in found:
            meta = self.c.run(
                "sheets", self.c.spreadsheets.get(spreadsheetId=f["id"], fields="sheets.properties.title")
            )
            tabs[f["id"]] = len(meta.get("sheets", []))
        return str(min(found, key=lambda f: (-tabs[f["id"]], str(f.get("createdTime") or ""), f["id"]))["id"])

    def health(self) -> ControlHealth:
        """Looks for the control spreadsheet (never creates it) and reads its tab titles: what
        _spreadsheet and _tabs would do, so a healthy store costs the jobs no extra request."""
        marker = {"kind": "control", "edition": self.c.edition}
        where = self.id or f"appProperties {marker}"
        with self.c.stats.operation("check control spreadsheet"):
            try:
                if self.id:
                    meta = self.c.run(
                        "drive", self.c.files.get(fileId=self.id, fields="id,trashed", supportsAllDrives=True)
                    )
                    if meta.get("trashed"):
                        return ControlHealth("missing", where, "google", detail="in the trash")
                else:
                    found = list_files(self.c, props_query(marker), "id,createdTime")
                    if not found:
                        return ControlHealth("missing", where, "google")
                    self.id = self._one_of(found)
                    where = self.id
                tables = self._table_names()
            except NotFound as exc:  # deleted for good (or never shared with us)
                return ControlHealth("missing", where, "google", detail=str(exc))
                raise  # Google could not be reached: the job's own error, not a lost store
        return ControlHealth("ok", where, "google", tables=tables)

    def hold_lease(self, holder: str, now: datetime, seconds: float) -> str | None:
        """The lease is the tab LEASE_TAB, holder, expiry and since when in A2:C2. It is taken by ONE
        spreadsheets.batchUpdate that adds the tab (after deleting an expired one, or one whose
        holder is known to be gone, by its sheetId): Sheets refuses to add a tab whose title exists,
        or to delete a tab already deleted, and a batchUpdate is all or nothing, so of two machines
        racing for it exactly one gets it. Held, it is renewed before each request once a third of
        `seconds` has passed (`_heartbeat`), so a tick longer than the lease keeps it."""
        self.renewal, self.c.heartbeat = None, None  # renewed again once held (_keep)
        with self.c.stats.operation("tick lease"):
            held, until = self._reload_lease()  # what the spreadsheet holds now, not what we last saw
            tabs = self._tabs()
            requests: list[dict[str, Any]] = []
            if LEASE_TAB in tabs:
                if held == holder:
                    self.lease = (holder, tabs[LEASE_TAB]["id"])
                    self._keep(holder, now, seconds)
                    return None
                refused = lease_refusal(held, until, holder, now)
                if refused is not None:
                    return refused
                requests.append({"deleteSheet": {"sheetId": tabs[LEASE_TAB]["id"]}})
            sheet_id = self._new_sheet_id()
            row = [holder, _iso(now + timedelta(seconds=seconds)), _iso(now)]
            requests += [
                {"addSheet": {"properties": {"sheetId": sheet_id, "title": LEASE_TAB, "hidden": True}}},
                {
                    "updateCells": {
                        "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                        "rows": self._cells([LEASE_HEADER, row], 2, 3),
                        "fields": "userEnteredValue,userEnteredFormat.textFormat.bold",
                    }
                },
            ]
            try:
                self.c.run(
                    "sheets",
                    self.c.spreadsheets.batchUpdate(spreadsheetId=self._spreadsheet(), body={"requests": requests}),
                    recover=lambda: (self._reload_lease()[0] == holder, None),
                )
            except (InvalidRequest, Conflict, NotFound):  # another machine took it first
                held, until = self._reload_lease()
                if held != holder:
                    return lease_refusal(held, until, holder, now) or f"{held} until {until}"
                sheet_id = self._tabs()[LEASE_TAB]["id"]
            # the tabs are known without asking again: the expired lease's gone, ours added (the
            # grid Sheets gives a tab added without one)
            if self.tabs is not None:
                self.tabs[LEASE_TAB] = {"id": sheet_id, "rows": 1000, "cols": 26}
            self.cache[LEASE_TAB] = (self.clock(), [LEASE_HEADER, row])
            self.lease = (holder, sheet_id)
            self._keep(holder, now, seconds)
            return None

    def _keep(self, holder: str, now: datetime, seconds: float) -> None:
        """Renew the lease while it is held: before each request, once a third of it has passed."""
        self.renewal = (holder, now, self.clock(), seconds)
        self.renewed = self.clock()
        self.c.heartbeat = self._heartbeat

    def _heartbeat(self) -> None:
        if self.renewal is None or self._renewing or self.clock() - self.renewed < self.renewal[3] / 3:
            return
        holder, taken, clock_then, seconds = self.renewal
        now = taken + timedelta(seconds=self.clock() - clock_then)  # the tick's `now`, moved on
        self._renewing = True
        try:
            with self.c.stats.operation("tick lease"):
                held, _ = self._reload_lease()
                if held != holder:  # lapsed and taken by another machine: this tick must stop
                    self.renewal, self.c.heartbeat = None, None
                    said = i18n.Said("lease_lost", holder=held or "-")
                    error = BackendError(str(said))
                    error.__cause__ = said
                    raise error
                self.c.run(
                    "sheets",
                    self.c.values.update(
                        spreadsheetId=self._spreadsheet(),
                        range=f"{quote_tab(LEASE_TAB)}!B2",
                        valueInputOption="RAW",
                        body={"values": [[_iso(now + timedelta(seconds=seconds))]]},
                    ),
                )
                self.cache.pop(LEASE_TAB, None)
                self.renewed = self.clock()
        finally:
            self._renewing = False

    def _lease(self) -> tuple[str, str]:
        held = self._lease_row()
        return held[0], held[1]

    def _lease_row(self) -> tuple[str, str, str]:
        self.cache.pop(LEASE_TAB, None)
        rows = self._values([LEASE_TAB])[LEASE_TAB]
        row = (rows[1] if len(rows) > 1 else []) + ["", "", ""]
        return str(row[0]), str(row[1]), str(row[2])

    def lease_held(self) -> Lease | None:
        with self.c.stats.operation("tick lease"):
            self.tabs = None
            if LEASE_TAB not in self._tabs():
                return None
            holder, until, since = self._lease_row()
            return Lease(holder, since, until) if holder else None

    def clear_lease(self) -> Lease | None:
        """Deletes the lease tab whoever holds it (`contest unlock`), by its sheetId."""
        held = self.lease_held()
        if held is None:
            return None
        with self.c.stats.operation("tick lease"):
            request = {"deleteSheet": {"sheetId": self._tabs()[LEASE_TAB]["id"]}}
            try:
                self.c.run(
                    "sheets",
                    self.c.spreadsheets.batchUpdate(spreadsheetId=self._spreadsheet(), body={"requests": [request]}),
                )
            except (InvalidRequest, NotFound):
                pass  # released meanwhile
            self.tabs = None
            self.cache.pop(LEASE_TAB, None)
        return held

    def _reload_lease(self) -> tuple[str, str]:
        self.tabs = None
        return self._lease() if LEASE_TAB in self._tabs() else ("", "")

    def release_lease(self, holder: str) -> None:
        """Deletes the lease tab if `holder` holds it (a crashed tick's lease simply expires). The
        tab this store added is deleted by its sheetId (random, one a lease), in one request and
        without reading it first: if the lease expired and another machine took it, that machine
        deleted our tab and added its own under another sheetId, so ours is not there to delete
        (Sheets refuses the request) and theirs is left alone."""
        if self.renewal is not None and self.renewal[0] == holder:
            self.renewal, self.c.heartbeat = None, None
        with self.c.stats.operation("tick lease"):
            if self.lease is not None and self.lease[0] == holder:
                sheet_id = self.lease[1]
            elif self._reload_lease()[0] == holder:  # held, but not taken by this store object
                sheet_id = self._tabs()[LEASE_TAB]["id"]
            else:
                return
            self.lease = None
            request = {"deleteSheet": {"sheetId": sheet_id}}
            try:
                self.c.run(
                    "sheets",
                    self.c.spreadsheets.batchUpdate(spreadsheetId=self._spreadsheet(), body={"requests": [request]}),
                )
            except (InvalidRequest, NotFound):
                self.tabs = None  # already gone, or another machine's lease is there now
            if self.tabs is not None and self.tabs.get(LEASE_TAB, {}).get("id") == sheet_id:
                del self.tabs[LEASE_TAB]
            self.cache.pop(LEASE_TAB, None)

    def record_reserved_ids(self, ids: list[str]) -> bool:
        """Keep the batch of file ids just reserved (files.generateIds) in the hidden tab IDS_TAB,
        in the order they will be used, before any create uses one: ONE batchUpdate per batch (ID_BATCH
        creates). False while the control spreadsheet is not known yet (its own create and the
        folders above it): those creates are found again by search as before."""
        if not self.id or not ids:
            return False
        with self.c.stats.operation("record reserved ids"):
            tabs = self._tabs()
            rows = [["id"], *([i] for i in ids)]
            height = max(len(rows), 25)
            requests: list[dict[str, Any]] = []
            if IDS_TAB in tabs:
                sheet_id = tabs[IDS_TAB]["id"]
                if height > tabs[IDS_TAB]["rows"]:  # a larger batch than the tab was made for: grow it first
                    more = {"sheetId": sheet_id, "dimension": "ROWS", "length": height - tabs[IDS_TAB]["rows"]}
                    requests.append({"appendDimension": more})
                height = max(height, tabs[IDS_TAB]["rows"])
            else:
                sheet_id = self._new_sheet_id()
                grid = {"rowCount": height, "columnCount": 1}
                props = {"sheetId": sheet_id, "title": IDS_TAB, "hidden": True, "gridProperties": grid}
                requests.append({"addSheet": {"properties": props}})
            rows += [[""]] * (height - len(rows))  # the ids of an earlier batch are overwritten
            requests.append(
                {
                    "updateCells": {
                        "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                        "rows": self._cells(rows, height, 1),
                        "fields": "userEnteredValue",
                    }
                }
            )
            self.c.run("sheets", self.c.spreadsheets.batchUpdate(spreadsheetId=self.id, body={"requests": requests}))
            if self.tabs is not None:  # known without asking again
                self.tabs[IDS_TAB] = {"id": sheet_id, "rows": height, "cols": 1}
            self.cache[IDS_TAB] = (self.clock(), [[str(v) for v in r] for r in rows if r[0]])
        return True

    def reserved_ids(self) -> list[str] | None:
        """The ids IDS_TAB holds (an earlier run's batch), in the order they were to be used; None
        while the control spreadsheet is not known."""
        if not self.id:
            return None
        if IDS_TAB not in self._tabs():
            return []
        rows = self._values([IDS_TAB])[IDS_TAB]
        return [str(r[0]).strip() for r in rows[1:] if r and str(r[0]).strip()]

    def note_created_files(self, rows: list[list[str]]) -> bool:
        """Append ledger rows [key, file id] to the hidden tab CREATED_TAB: ONE batchUpdate
        (adding the tab the first time). An append sent again after a lost answer only repeats a
        row, which reads the same. False during the control spreadsheet's own create."""
        if self._creating or not rows:
            return False
        self._spreadsheet()
        with self.c.stats.operation("record created files"):
            tabs = self._tabs()
            requests: list[dict[str, Any]] = []
            added = CREATED_TAB not in tabs
            if added:
                sheet_id = self._new_sheet_id()
                grid = {"rowCount": 1, "columnCount": 2}
                props = {"sheetId": sheet_id, "title": CREATED_TAB, "hidden": True, "gridProperties": grid}
                requests.append({"addSheet": {"properties": props}})
                rows = [["key", "id"], *rows]
            else:
                sheet_id = tabs[CREATED_TAB]["id"]
            cells = [{"values": [{"userEnteredValue": {"stringValue": str(v)}} for v in row]} for row in rows]
            requests.append({"appendCells": {"sheetId": sheet_id, "rows": cells, "fields": "userEnteredValue"}})
            self._batch_update(requests, [CREATED_TAB] if added else [])
            if self.tabs is not None and added:
                self.tabs[CREATED_TAB] = {"id": sheet_id, "rows": len(rows), "cols": 2}
            if CREATED_TAB in self.cache:
                when, cached = self.cache[CREATED_TAB]
                self.cache[CREATED_TAB] = (when, cached + [list(r) for r in rows])
        return True

    def created_files(self) -> list[list[str]] | None:
        """The ledger's rows [key, id] in the order written; None while the control spreadsheet is not
        known yet (its own create is under way)."""
        if self._creating:
            return None
        if CREATED_TAB not in self._tabs():
            return []
        with self.c.stats.operation("read created files"):
            rows = self._values([CREATED_TAB])[CREATED_TAB]
        return [[str(r[0]), str(r[1]) if len(r) > 1 else ""] for r in rows[1:] if r and str(r[0]).strip()]

    def _tabs(self) -> dict[str, dict[str, int]]:
        if self.tabs is None:
            sid = self._spreadsheet()
            meta = self.c.run(
                "sheets",
                self.c.spreadsheets.get(
                    spreadsheetId=sid,
                    fields="sheets(properties(sheetId,title,gridProperties(rowCount,columnCount)),"
                    "protectedRanges(range,warningOnly))",
                ),
            )
            self.tabs, self.tracked, self.titles, self.clashes = {}, {}, {}, {}
            for s in meta.get("sheets", []):
                p = s["properties"]
                grid = p.get("gridProperties", {})
                self.tabs[p["title"]] = {
                    "id": p["sheetId"],
                    "rows": grid.get("rowCount", 1000),
                    "cols": grid.get("columnCount", 26),
                }
                self.titles[p["sheetId"]] = p["title"]
                copy = WRITTEN_TITLE.match(p["title"])
                if copy and copy.group(1) == str(int(copy.group(1))) and _locked(s):
                    name = copy.group(2)
                    if name in self.tracked:
                        self.clashes.setdefault(name, [self.tracked[name]["copy"]]).append(p["title"])
                    self.tracked[name] = {"id": int(copy.group(1)), "copy": p["title"]}
            for name in self.clashes:
                del self.tracked[name]
            if self.created and len(self.tabs) == 1:  # "Sheet1" / "Лист1": becomes the first table
                self.spare = self.tabs.popitem()[1]
            self.created = False
        return self.tabs

    def _table_names(self) -> list[str]:
        """The tables the spreadsheet holds: those with a written copy under the name the product
        wrote them as, wherever their tab is now (a renamed tab is named by the read), then the
        other tabs but the copies."""
        tabs = self._tabs()
        ids = {t["id"] for t in self.tracked.values()}
        named = [n for n, t in self.tracked.items() if t["id"] in self.titles]
        return named + [
            t for t, tab in tabs.items() if tab["id"] not in ids and not WRITTEN_TITLE.match(t) and t != COPIES_TAB
        ]

    def _title(self, name: str) -> str | None:
        """The title now of table `name`'s tab: found by its sheetId when the product keeps its written
        copy (a renamed tab keeps its id), else by title (a table from before the copies)."""
        tabs = self._tabs()
        if name in self.tracked:
            return self.titles.get(self.tracked[name]["id"])
        return name if name in tabs else None

    def _orphans(self) -> list[str]:
        """The tables whose written copy went missing (deleted, or renamed out of its title): once the
        spreadsheet bears COPIES_TAB, a tab titled as a table of tables.yaml that no copy names by
        its sheetId. None in a spreadsheet from before the copies (not marked yet)."""
        tabs = self._tabs()
        if COPIES_TAB not in tabs:
            return []
        return [t for t in self._uncopied() if t not in self.clashes]

    def _uncopied(self) -> list[str]:
        named = {t["id"] for t in self.tracked.values()}
        known = known_titles()
        return [t for t, tab in (self.tabs or {}).items() if t in known and not exempt(t) and tab["id"] not in named]

    def _copy_edits(self, names: list[str]) -> list[TableEdit]:
        """Tables `names` whose written copy is missing or claimed by two tabs, named."""
        orphans = set(self._orphans())
        edits = [TableEdit(n, "copy_missing") for n in names if n in orphans]
        return edits + [
            TableEdit(n, "copy_clash", after=", ".join(f"«{t}»" for t in self.clashes[n]))
            for n in names
            if n in self.clashes
        ]

    def _mark(self, added: list[str]) -> list[dict[str, Any]]:
        """The requests adding COPIES_TAB (hidden, protected as the copies are; its title appended to
        `added`) when it is missing and every table now has its written copy: in the write that makes
        the last copy, so it costs no request of its own."""
        if self.tabs is None or COPIES_TAB in self.tabs or self._uncopied():
            return []
        sheet_id = self._new_sheet_id()
        grid = {"rowCount": 1, "columnCount": 1}
        props = {"sheetId": sheet_id, "title": COPIES_TAB, "hidden": True, "gridProperties": grid}
        self.tabs[COPIES_TAB] = {"id": sheet_id, "rows": 1, "cols": 1}
        self.titles[sheet_id] = COPIES_TAB
        added.append(COPIES_TAB)
        description = i18n.both("control_copies_marked")
        return [
            {"addSheet": {"properties": props}},
            {"addProtectedRange": {"protectedRange": {"range": {"sheetId": sheet_id}, "description": description}}},
        ]

    def _edited(self, edits: list[TableEdit]) -> ControlEdited:
        return ControlEdited(sheet_url(self.id or ""), edits, ("edits_restore_google", {}))

    def _structure(self, names: list[str]) -> None:
        """Stop when a table's tab was renamed or deleted (known from the tab list alone)."""
        tracked: dict[str, list[list[Any]]] = {n: [] for n in names if n in self.tracked}
        edits = sheet_edits(tracked, {}, {n: self._title(n) for n in tracked}) + self._copy_edits(names)
        if edits:
            raise self._edited(edits)

    def _read(self, names: list[str], *, fresh: bool) -> dict[str, list[list[Any]]]:
        """Tables `names` (present under their own titles) with their written copies not read yet by
        this process, in one request; each table read now is compared with its copy and a difference
        stops the job (ControlEdited). `fresh`: read even what this process last read or wrote."""
        if fresh:
            for name in names:
                self.cache.pop(name, None)
        stale = [n for n in names if n not in self.cache]
        copies = {self.tracked[n]["copy"]: n for n in stale if n in self.tracked and n not in self.written}
        values = self._values(names + list(copies))
        for title, name in copies.items():
            self.written[name] = self.cache.pop(title)[1]
        found = {n: values[n] for n in stale if n in self.tracked}
        edits = sheet_edits({n: self.written[n] for n in found}, found, {n: n for n in found})
        kept = {self.tracked[n]["copy"]: n for n in {e.tab for e in edits} if n not in copies.values()}
        if kept:  # compared with the copy as this process last knew it: a retried append may have
            # doubled a row in both the table and its copy; the copy itself decides
            for title in kept:
                self.cache.pop(title, None)
            self._values(list(kept))
            for title, name in kept.items():
                self.written[name] = self.cache.pop(title)[1]
            edits = sheet_edits({n: self.written[n] for n in found}, found, {n: n for n in found})
        if edits:
            raise self._edited(edits)
        return {n: values[n] for n in names}

    def _values(self, names: list[str]) -> dict[str, list[list[Any]]]:
        now = self.clock()
        stale = [n for n in names if n not in self.cache]
        values = self.c.values
        if len(stale) == 1:
            got = [self.c.run("sheets", values.get(spreadsheetId=self.id, range=quote_tab(stale[0]), **READ))]
        elif stale:
            got = self.c.run(
                "sheets", values.batchGet(spreadsheetId=self.id, ranges=[quote_tab(n) for n in stale], **READ)
            ).get("valueRanges", [])
        else:
            got = []
        for name, vr in zip(stale, got):
            self.cache[name] = (now, [[plain(v) for v in row] for row in vr.get("values", [])])
        return {n: self.cache[n][1] for n in names}

    def read_table(self, name: str) -> list[dict[str, Any]]:
        return self.read_tables([name])[name]

    def read_tables(self, names: list[str]) -> dict[str, list[dict[str, Any]]]:
        """One spreadsheets.get for the tabs (once per process) and one values.batchGet for all (with
        the tables' written copies, the first time in a process); a person's edit stops the job."""
        with self.c.stats.operation("read table"):
            tabs = self._tabs()
            self._structure(names)
            present = [n for n in names if n in tabs]
            values = self._read(present, fresh=True) if present else {}  # what the spreadsheet holds now
        return {name: rows_as_dicts(values.get(name, [])) for name in names}

    def _new_sheet_id(self) -> int:
        used = {t["id"] for t in (self.tabs or {}).values()} | {0}
        rng = self.c.transports["sheets"].rng
        while (n := rng.randrange(1, 2**31 - 1)) in used:
            pass
        return n

    def _add_tab(self, name: str, height: int, width: int, sheet_id: int | None = None) -> list[dict[str, Any]]:
        """The requests making tab `name`, recorded in self.tabs (loaded by the caller), and
        protecting it with a warning: CDB's editors can still fix things, each edit confirmed, and the
        next job names it (witness.py)."""
        assert self.tabs is not None
        made = self._make_tab(name, height, width, sheet_id)
        warn = {"range": {"sheetId": self.tabs[name]["id"]}, "description": i18n.both("control_tab_protected")}
        return made + [{"addProtectedRange": {"protectedRange": {**warn, "warningOnly": True}}}]

    def _make_tab(self, name: str, height: int, width: int, sheet_id: int | None) -> list[dict[str, Any]]:
        assert self.tabs is not None
        grid = {"rowCount": max(1000, height), "columnCount": max(26, width), "frozenRowCount": 1}
        if self.spare is not None and sheet_id is None:  # the blank first tab renamed, not one added
            tab, self.spare = self.spare, None
            self.tabs[name] = {"id": tab["id"], "rows": max(tab["rows"], height), "cols": max(tab["cols"], width)}
            self.titles[tab["id"]] = name
            return [
                {
                    "updateSheetProperties": {
                        "properties": {
                            "sheetId": tab["id"],
                            "title": name,
                            "gridProperties": {
                                "rowCount": self.tabs[name]["rows"],
                                "columnCount": self.tabs[name]["cols"],
                                "frozenRowCount": 1,
                            },
                        },
                        "fields": "title,gridProperties.rowCount,gridProperties.columnCount,gridProperties.frozenRowCount",
                    }
                }
            ]
        sheet_id = self._new_sheet_id() if sheet_id is None else sheet_id
        self.tabs[name] = {"id": sheet_id, "rows": grid["rowCount"], "cols": grid["columnCount"]}
        self.titles[sheet_id] = name
        return [{"addSheet": {"properties": {"sheetId": self.tabs[name]["id"], "title": name, "gridProperties": grid}}}]

    @staticmethod
    def _cells(
        rows: list[list[Any]], height: int, width: int, layout: TableLayout | None = None
    ) -> list[dict[str, Any]]:
        wrapped = set(layout.wrapped) if layout else set()
        out = []
        for r in range(height):
            row = rows[r] if r < len(rows) else []
            cells = []
            for c in range(width):
                cell: dict[str, Any] = {}
                value = extended(row[c]) if c < len(row) else {}
                if value:
                    cell["userEnteredValue"] = value
                if r == 0:
                    cell["userEnteredFormat"] = {"textFormat": {"bold": True}}
                    if layout is not None:
                        cell["userEnteredFormat"].update(wrapStrategy="WRAP", verticalAlignment="TOP")
                elif c in wrapped:
                    cell["userEnteredFormat"] = {"wrapStrategy": "WRAP", "verticalAlignment": "TOP"}
                cells.append(cell)
            out.append({"values": cells})
        return out

    def write_tables(
        self,
        tables: dict[str, tuple[list[str], list[list[Any]]]],
        layouts: dict[str, TableLayout] | None = None,
    ) -> list[str]:
        with self.c.stats.operation("write tables"):
            tabs = self._tabs()
            self._structure(list(tables))
            current = self._read([n for n in tables if n in tabs], fresh=False)
            wanted = {n: [list(cols)] + [list(r) for r in rows] for n, (cols, rows) in tables.items()}
            changed = [n for n in tables if n not in tabs or _norm(current[n]) != _norm(wanted[n])]
            if not changed:
                return []
            requests: list[dict[str, Any]] = []
            added: list[str] = []
            for name in changed:
                new = wanted[name]
                old = current.get(name, [])
                height = max(len(new), len(old))
                width = max([len(r) for r in new + old] + [1])
                layout = (layouts or {}).get(name)
                if name not in tabs:
                    requests += self._add_tab(name, height, width)
                    added.append(name)
                tab = tabs[name]
                requests += _grow(tab, height, width)
                requests.append(
                    {
                        "updateCells": {
                            "range": _rect(tab["id"], height, width),
                            "rows": self._cells(new, height, width, layout),
                            "fields": "userEnteredValue,userEnteredFormat.textFormat.bold,"
                            "userEnteredFormat.wrapStrategy,userEnteredFormat.verticalAlignment",
                        }
                    }
                )
                if layout is not None:
                    requests += _layout_requests(tab["id"], layout)
                requests += self._copy(name, new, added)
            requests += self._mark(added)
            self._batch_update(requests, added)
            now = self.clock()
            for name in changed:
                self.cache[name] = (now, [[plain(json_value(v)) for v in row] for row in wanted[name]])
                if name in self.tracked:
                    self.written[name] = [list(r) for r in self.cache[name][1]]
            return changed

    def _copy(self, name: str, rows: list[list[Any]], added: list[str]) -> list[dict[str, Any]]:
        """The requests putting `rows` into table `name`'s written copy (made, hidden and protected,
        the first time; its title is added to `added`). The progress tab has none (witness.exempt)."""
        if exempt(name):
            return []
        requests: list[dict[str, Any]] = []
        old = self.written.get(name, [])
        height, width = max(len(rows), len(old), 1), max([len(r) for r in rows + old] + [1])
        if name in self.tracked:
            tab = self.tabs[self.tracked[name]["copy"]] if self.tabs else {}
            # its whole grid written over: no row of an older copy is left below the new one
            height, width = max(height, tab["rows"]), max(width, tab["cols"])
            requests += _grow(tab, height, width)
        else:
            sheet_id, title = self._new_sheet_id(), f"{WRITTEN} {self.tabs[name]['id'] if self.tabs else 0} {name}"
            if title in (self.tabs or {}):  # a tab the product never wrote holds its copy's title
                said = i18n.Said("edits_copy_title_taken", tab=name, title=title)
                raise BackendError(str(said)) from said
            grid = {"rowCount": height, "columnCount": width}
            props = {"sheetId": sheet_id, "title": title, "hidden": True, "gridProperties": grid}
            requests.append({"addSheet": {"properties": props}})
            # protected for the product's account alone (editors left out: the requester and the owner)
            description = i18n.both("control_copy_protected")
            requests.append(
                {"addProtectedRange": {"protectedRange": {"range": {"sheetId": sheet_id}, "description": description}}}
            )
            tab = {"id": sheet_id, "rows": height, "cols": width}
            assert self.tabs is not None
            self.tabs[title] = tab
            self.titles[sheet_id] = title
            self.tracked[name] = {"id": self.tabs[name]["id"], "copy": title}
            added.append(title)
        cells = [{"values": [_value_cell(r[c] if c < len(r) else "") for c in range(width)]} for r in rows]
        cells += [{"values": [{} for _ in range(width)]} for _ in range(height - len(rows))]
        requests.append(
            {"updateCells": {"range": _rect(tab["id"], height, width), "rows": cells, "fields": "userEnteredValue"}}
        )
        return requests

    def _batch_update(self, requests: list[dict[str, Any]], added: list[str]) -> None:
        def recover():  # the answer was lost: did the (atomic) update happen?
            if not added:
                return False, None  # without new tabs the update is idempotent: send it again
            self.tabs = None
            applied = all(n in self._tabs() for n in added)
            if not applied:
                self.tabs = None
            return applied, None

        try:
            self.c.run(
                "sheets",
                self.c.spreadsheets.batchUpdate(spreadsheetId=self.id, body={"requests": requests}),
                recover=recover,
            )
        except BackendError:
            self.tabs = None  # our idea of the tabs may be wrong now: read it again next time
            self.cache.clear()
            self.written.clear()  # perhaps applied: the copies are read again with the tables
            raise

    def settle(self) -> None:
        pass  # appended rows are in the table at once

    def close(self) -> None:
        pass  # nothing held open between requests

    def hand_edits(self) -> list[TableEdit]:
        """What a person changed since the product last wrote the tables ([] when nothing): every
        table with a written copy, its tab found by sheetId, read with the copies in one request."""
        with self.c.stats.operation("read table"):
            self.tabs, self.cache, self.written = None, {}, {}
            self._tabs()
            titles = {n: self._title(n) for n in self.tracked}
            orphans = self._orphans()  # read too: accepted, they are copied as they are now
            found = self._values(
                [n for n, t in titles.items() if t == n] + [t["copy"] for t in self.tracked.values()] + orphans
            )
            self.written = {n: found[t["copy"]] for n, t in self.tracked.items()}
            edits = sheet_edits(self.written, {n: found[n] for n, t in titles.items() if t == n}, titles)
            return edits + self._copy_edits(orphans + list(self.clashes))

    def accept_hand_edits(self) -> None:
        """The tables as they are now become their written copies (`contest accept-edits`): ONE
        batchUpdate. A tab renamed or deleted is never accepted (jobs/edits.py refuses it first); a table
        whose copy went missing gets a fresh one, of the table as it is now."""
        edits = self.hand_edits()
        structural = ("tab_missing", "tab_renamed", "copy_clash")
        names = list(dict.fromkeys(e.tab for e in edits if e.kind not in structural))
        if not names:
            return
        with self.c.stats.operation("accept edits"):
            requests: list[dict[str, Any]] = []
            added: list[str] = []
            for name in names:
                requests += self._copy(name, self.cache[name][1], added)
            requests += self._mark(added)
            self._batch_update(requests, added)
            for name in names:
                self.written[name] = [list(r) for r in self.cache[name][1]]

    def undo_hand_edits(self) -> str | None:
        """Every table back as the product last wrote it, from its written copy (`contest
        undo-edits`): a renamed tab renamed back, a deleted one made again (its copy then names the
        new sheetId), typed cells put back; ONE batchUpdate. The edited version stays in the
        spreadsheet's version history; its address is returned (None: nothing to undo)."""
        edits = self.hand_edits()
        if not edits:
            return None
        clashes = [e for e in edits if e.kind == "copy_clash"]
        if clashes:  # which tab holds the copy is for a person to settle first
            raise self._edited(clashes)
        missing = list(dict.fromkeys(e.tab for e in edits if e.kind == "copy_missing"))
        if missing:  # nothing to put it back from: nothing is done (the edit stays, to be accepted)
            said = i18n.Said("edits_undo_no_copy", tabs="», «".join(missing))
            raise BackendError(str(said)) from said
        assert self.tabs is not None
        with self.c.stats.operation("undo edits"):
            requests: list[dict[str, Any]] = []
            added: list[str] = []
            for name in dict.fromkeys(e.tab for e in edits):
                rows, title = self.written[name], self._title(name)
                if title != name and name in self.tabs:  # the title is held by a tab the product never wrote
                    said = i18n.Said("edits_undo_title_taken", tab=name)
                    raise BackendError(str(said)) from said
                old: list[list[Any]] = []
                tab = self.tabs.get(title or "", {})
                if title is None:
                    tab_id = self._new_sheet_id()
                    self.titles[tab_id] = name
                    requests += self._add_tab(name, len(rows), max([len(r) for r in rows] + [1]), sheet_id=tab_id)
                    added.append(name)
                    copy = self.tracked[name]["copy"]
                    fresh = f"{WRITTEN} {tab_id} {name}"
                    props = {"sheetId": self.tabs[copy]["id"], "title": fresh}
                    requests.append({"updateSheetProperties": {"properties": props, "fields": "title"}})
                    self.tabs[fresh] = self.tabs.pop(copy)
                    self.tracked[name] = {"id": tab_id, "copy": fresh}
                    tab = self.tabs[name]
                elif title != name:  # renamed back; its cells (not read) put back over its whole grid
                    props = {"sheetId": tab["id"], "title": name}
                    requests.append({"updateSheetProperties": {"properties": props, "fields": "title"}})
                    old = [[""] * tab["cols"]] * tab["rows"]
                else:
                    old = self.cache[name][1]
                height, width = max(len(rows), len(old), 1), max([len(r) for r in rows + old] + [1])
                requests += _grow(tab, height, width)
                requests.append(
                    {
                        "updateCells": {
                            "range": _rect(tab["id"], height, width),
                            "rows": self._cells(rows, height, width),
                            "fields": "userEnteredValue,userEnteredFormat.textFormat.bold",
                        }
                    }
                )
            self._batch_update(requests, added)
            self.tabs, self.cache = None, {}
        return sheet_url(self.id or "")

    def append_rows(
        self, name: str, columns: list[str], rows: list[list[Any]], layout: TableLayout | None = None
    ) -> None:
        """ONE batchUpdate: appendCells to the table and to its written copy (a table from before
        the copies gets its copy now, after one read of it)."""
        with self.c.stats.operation("append rows"):
            tabs = self._tabs()
            self._structure([name])
            added: list[str] = []
            if name not in tabs:
                table = [list(columns)] + [list(r) for r in rows]
                width = max(len(r) for r in table)
                requests = self._add_tab(name, len(table), width)
                added.append(name)
                requests.append(
                    {
                        "updateCells": {
                            "start": {"sheetId": tabs[name]["id"], "rowIndex": 0, "columnIndex": 0},
                            "rows": self._cells(table, len(table), width, layout),
                            "fields": "userEnteredValue,userEnteredFormat.textFormat.bold,"
                            "userEnteredFormat.wrapStrategy,userEnteredFormat.verticalAlignment",
                        }
                    }
                )
                requests += _layout_requests(tabs[name]["id"], layout) if layout is not None else []
                requests += self._copy(name, table, added)
                requests += self._mark(added)
                self._batch_update(requests, added)
                self.cache[name] = (self.clock(), [[plain(json_value(v)) for v in row] for row in table])
                if name in self.tracked:
                    self.written[name] = [list(r) for r in self.cache[name][1]]
                return
            if not rows:
                return
            values = [[json_value(v) for v in row] for row in rows]
            appended = [[plain(v) for v in r] for r in values]
            cells = [{"values": [_value_cell(v) for v in row]} for row in values]
            requests = [{"appendCells": {"sheetId": tabs[name]["id"], "rows": cells, "fields": "userEnteredValue"}}]
            if name in self.tracked:  # (a copy this process has not read yet is read, appended, when needed)
                copy = self.tabs[self.tracked[name]["copy"]] if self.tabs else {}
                requests.append({"appendCells": {"sheetId": copy["id"], "rows": cells, "fields": "userEnteredValue"}})
            elif not exempt(name):  # a table from before the written copies: its copy is made now
                requests += self._copy(name, _norm_rows(self._read([name], fresh=False)[name]) + appended, added)
            requests += self._mark(added)
            self._batch_update(requests, added)
            if name in self.cache:
                when, cached = self.cache[name]
                self.cache[name] = (when, _norm_rows(cached) + appended)
            if name in self.written:
                self.written[name] = _norm_rows(self.written[name]) + appended


def _locked(sheet: dict[str, Any]) -> bool:
    """Whether a protection that is not a mere warning covers the whole grid of `sheet` (as
    spreadsheets.get gives it): the product's written copies are; a tab a person adds is not."""
    sid = sheet["properties"]["sheetId"]
    for pr in sheet.get("protectedRanges", []):
        rng = pr.get("range", {})
        bounded = any(k in rng for k in ("startRowIndex", "endRowIndex", "startColumnIndex", "endColumnIndex"))
        if not pr.get("warningOnly") and rng.get("sheetId", 0) == sid and not bounded:
            return True
    return False


def _rect(sheet_id: int, height: int, width: int) -> dict[str, int]:
    return {
        "sheetId": sheet_id,
        "startRowIndex": 0,
        "endRowIndex": height,
        "startColumnIndex": 0,
        "endColumnIndex": width,
    }


def _grow(tab: dict[str, int], height: int, width: int) -> list[dict[str, Any]]:
    """appendDimension requests making tab `tab` at least height x width (recorded in `tab`)."""
    requests = []
    for dimension, key, need in (("ROWS", "rows", height), ("COLUMNS", "cols", width)):
        if need > tab[key]:
            more = {"sheetId": tab["id"], "dimension": dimension, "length": need - tab[key]}
            requests.append({"appendDimension": more})
            tab[key] = need
    return requests


def _value_cell(value: Any) -> dict[str, Any]:
    ev = extended(value)
    return {"userEnteredValue": ev} if ev else {}


def _layout_requests(sheet_id: int, layout: TableLayout) -> list[dict[str, Any]]:
    """Column widths and the frozen key columns of a control tab (Sheets has no print setup in its
    API: a person printing picks landscape and "fit to width" in the print dialog)."""
    requests: list[dict[str, Any]] = [
        {
            "updateSheetProperties": {
                "properties": {"sheetId": sheet_id, "gridProperties": {"frozenColumnCount": layout.frozen_columns}},
                "fields": "gridProperties.frozenColumnCount",
            }
        }
    ]
    for c, w in enumerate(layout.widths):
        requests.append(
            {
                "updateDimensionProperties": {
                    "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": c, "endIndex": c + 1},
                    "properties": {"pixelSize": pixels(w), "hiddenByUser": c in layout.hidden},
                    "fields": "pixelSize,hiddenByUser",
                }
            }
        )
    return requests


def _norm_rows(rows: list[list[Any]]) -> list[list[Any]]:
    rows = [list(r) for r in rows]
    while rows and not any(v not in (None, "") for v in rows[-1]):
        rows.pop()
    return rows


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
