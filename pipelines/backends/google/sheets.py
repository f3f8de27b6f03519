"""Rating sheets: one spreadsheet per expert per stage (form 02), shared with that expert only.

A sheet is created through Drive (files.create with its folder and appProperties: the only way a
service account without storage can create a file in a shared drive — spreadsheets.create always
lands in the caller's My Drive) and filled with ONE spreadsheets.batchUpdate (title, frozen rows,
cells, formats, validation, widths, hidden columns, protection), then shared with its expert — last,
so that a sheet whose expert has a permission is known complete (no marker to write afterwards);
reading it is one spreadsheets.get.
`GoogleControlStore` lives in control.py and is re-exported here.
"""

from __future__ import annotations

from typing import Any

from pipelines.domain.models import ScoreCell
from pipelines.formats.digest import content_digest
from pipelines.i18n import Said
from pipelines.ports import (
    BackendError,
    Cell,
    ChangedAfterFreeze,
    SheetGrid,
    SheetKey,
    SheetRef,
    SheetSpec,
    SheetTab,
    a1,
    grid_digest,
)

from .control import GoogleControlStore, extended, from_extended, json_value, pixels, sheet_url
from .drive import (
    FILE_FIELDS,
    SHEET,
    Folders,
    create_file,
    least_access,
    list_files,
    permissions,
    pick_of_key,
    props_query,
    send_mail,
    settle_key,
)
from .transport import Clients

__all__ = ["GoogleControlStore", "GoogleRatingSheets", "grid_requests"]

EDITABLE_BG = {"red": 1.0, "green": 0.949, "blue": 0.8}  # FFF2CC, the yellow the instructions mention
THIN = {"style": "SOLID", "color": {"red": 0.5, "green": 0.5, "blue": 0.5}}
LISTED = FILE_FIELDS + ",createdTime,modifiedTime,lastModifyingUser(me)"  # what a listing of sheets asks


# --- rating sheets -----------------------------------------------------------------------------
def _cell_data(cell: Cell, r: int, c: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    value = {"formulaValue": cell.formula} if cell.formula else extended(cell.value)
    if value:
        out["userEnteredValue"] = value
    fmt: dict[str, Any] = {"verticalAlignment": "TOP"}
    text: dict[str, Any] = {}
    if cell.bold:
        text["bold"] = True
    if cell.hyperlink:
        text["link"] = {"uri": cell.hyperlink}
    if text:
        fmt["textFormat"] = text
    if cell.centered:
        fmt["horizontalAlignment"] = "CENTER"
    if cell.boxed:
        fmt["borders"] = {side: THIN for side in ("top", "bottom", "left", "right")}
    if cell.wrap or cell.editable:
        fmt["wrapStrategy"] = "WRAP"
    if cell.editable:
        fmt["backgroundColor"] = EDITABLE_BG
    out["userEnteredFormat"] = fmt
    if cell.note:
        out["note"] = cell.note
    if cell.validation:
        low, high, ref = cell.validation[0], cell.validation[1], a1(r, c)
        # Sheets has no whole-number condition: a custom formula, strict (other input is rejected)
        out["dataValidation"] = {
            "condition": {
                "type": "CUSTOM_FORMULA",
                "values": [{"userEnteredValue": f"=AND(ISNUMBER({ref}),{ref}=INT({ref}),{ref}>={low},{ref}<={high})"}],
            },
            "strict": True,
            # Sheets has one help text, shown while the cell is selected and when a value is refused
            "inputMessage": "\n".join(t for t in (cell.prompt, cell.error) if t) or f"{low}–{high}",
        }
    return out


def _rectangles(cells: list[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    """Cells -> few rectangles (r0, r1, c0, c1): runs within a row, then equal runs of adjacent rows."""
    runs: list[tuple[int, int, int]] = []
    for r, c in sorted(cells):
        if runs and runs[-1][0] == r and runs[-1][2] == c:
            runs[-1] = (r, runs[-1][1], c + 1)
        else:
            runs.append((r, c, c + 1))
    rects: list[list[int]] = []
    for r, c0, c1 in runs:
        match = next((x for x in rects if x[1] == r and x[2] == c0 and x[3] == c1), None)
        if match:
            match[1] = r + 1
        else:
            rects.append([r, r + 1, c0, c1])
    return [tuple(x) for x in rects]  # type: ignore[misc]


def grid_requests(grid: SheetGrid, editors: list[str], sheet_id: int = 0) -> list[dict[str, Any]]:
    """Everything of a rating sheet as the requests of one spreadsheets.batchUpdate."""
    height, width = len(grid.rows), max(grid.width, 1)
    requests: list[dict[str, Any]] = [
        {
            "updateSheetProperties": {
                "properties": {
                    "sheetId": sheet_id,
                    "title": grid.title[:100],
                    "gridProperties": {
                        "rowCount": max(height, grid.frozen_rows + 1),
                        "columnCount": width,
                        "frozenRowCount": grid.frozen_rows,
                        "frozenColumnCount": grid.frozen_columns,
                    },
                },
                "fields": "title,gridProperties.rowCount,gridProperties.columnCount,gridProperties.frozenRowCount,"
                "gridProperties.frozenColumnCount",
            }
        }
    ]
    requests.append(
        {
            "updateCells": {
                "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                "rows": [
                    {"values": [_cell_data(cell, r, c) for c, cell in enumerate(row)]}
                    for r, row in enumerate(grid.rows)
                ],
                "fields": "userEnteredValue,userEnteredFormat,dataValidation,note",
            }
        }
    )
    for r, row in enumerate(grid.rows):
        for c, cell in enumerate(row):
            if cell.span > 1:
                requests.append(
                    {
                        "mergeCells": {
                            "range": {
                                "sheetId": sheet_id,
                                "startRowIndex": r,
                                "endRowIndex": r + 1,
                                "startColumnIndex": c,
                                "endColumnIndex": c + cell.span,
                            },
                            "mergeType": "MERGE_ALL",
                        }
                    }
                )
    columns = [({"pixelSize": pixels(w)}, "pixelSize", c) for c, w in enumerate(grid.column_widths) if w]
    columns += [({"hiddenByUser": True}, "hiddenByUser", c) for c in grid.hidden_columns]
    dimensions = [("COLUMNS", *x) for x in columns]
    # points -> pixels (96 / 72): a row left at Sheets' default would hide the wrapped criterion names
    dimensions += [("ROWS", {"pixelSize": round(h * 4 / 3)}, "pixelSize", r) for r, h in grid.row_heights.items()]
    for dimension, props, fields, c in dimensions:
        requests.append(
            {
                "updateDimensionProperties": {
                    "range": {"sheetId": sheet_id, "dimension": dimension, "startIndex": c, "endIndex": c + 1},
                    "properties": props,
                    "fields": fields,
                }
            }
        )
    requests.append(
        {
            "addProtectedRange": {
                "protectedRange": {
                    "range": {"sheetId": sheet_id},
                    "description": "Rating sheet: only the yellow cells are the expert's",
                    "warningOnly": False,
                    "editors": {"users": editors},
                    "unprotectedRanges": [
                        {
                            "sheetId": sheet_id,
                            "startRowIndex": r0,
                            "endRowIndex": r1,
                            "startColumnIndex": c0,
                            "endColumnIndex": c1,
                        }
                        for r0, r1, c0, c1 in _rectangles(grid.editable_cells())
                    ],
                }
            }
        }
    )
    return requests


def _sheet_key(p: dict[str, str]) -> SheetKey:
    return SheetKey(p["edition"], int(p["stage"]), p["group"], p["expert"], int(p["version"]), p["kind"])


def _direct(perm: dict[str, Any]) -> bool:
    details = perm.get("permissionDetails")
    return not details or any(not d.get("inherited") for d in details)


class GoogleRatingSheets:
    """One spreadsheet per expert per stage, found by its SheetKey in appProperties."""

    def __init__(self, c: Clients, folders: Folders):
        self.c, self.folders = c, folders
        self._index: dict[str, dict[str, dict[str, Any]]] = {}
        self.frozen: set[str] = set()  # sheets this run froze: reading them is the stage's close
        self._strays: dict[str, list[dict[str, Any]]] = {}  # token -> every file of a key listed twice
        self._complete: set[str] = set()  # tokens of sheets known filled and shared (no need to check)

    def _sheets(self, edition: str | None = None) -> dict[str, dict[str, Any]]:
        """token -> Drive file of every rating sheet of the edition (one paged list, then remembered)."""
        edition = edition or self.c.edition
        if edition not in self._index:
            with self.c.stats.operation("list rating sheets"):
                files = list_files(
                    self.c,
                    props_query({"kind": "rating_sheet", "edition": edition}),
                    LISTED,
                )
            by_token: dict[str, list[dict[str, Any]]] = {}
            keys: dict[str, SheetKey] = {}
            for f in files:
                try:
                    key = _sheet_key(f.get("appProperties", {}))
                except (KeyError, ValueError):
                    continue
                by_token.setdefault(key.token(), []).append(f)
                keys[key.token()] = key
            self._index[edition] = {}
            for token, found in by_token.items():
                if len(found) > 1:  # a second file of one key (a create whose answer was lost)
                    with self.c.stats.operation("settle a key's files"):
                        keep, _claimed = pick_of_key(self.c, keys[token].properties(), found, LISTED)
                    self._strays[token] = found  # the others trashed by the next write to the key
                    found = [keep]
                self._index[edition][token] = found[0]
        return self._index[edition]

    def _settle(self, key: SheetKey) -> None:
        """A listing showed a second file of `key`: one stays (claimed), the others are trashed. Done
        where the pipeline writes to the key anyway (ensure, freeze), never by a read-only command."""
        if key.token() in self._strays:
            found = self._strays.pop(key.token())
            with self.c.stats.operation("settle a key's files"):
                kept = settle_key(self.c, key.properties(), found, LISTED)
            self._sheets(key.edition)[key.token()] = kept

    def _editors(self) -> list[str]:
        people = [self.c.whoami()] if self.c.whoami() else []
        return list(dict.fromkeys(people + [e.strip().lower() for e in self.c.backend.cdb_editors]))

    def ensure(self, spec: SheetSpec) -> SheetRef:
        """Drive: one files.create (folder and final appProperties), one permissions.create; Sheets:
        one batchUpdate. The expert is shared LAST, so a sheet whose expert has a permission is
        complete: a sheet found without one (an earlier run stopped half-way) is finished here."""
        token = spec.key.token()
        self._sheets(spec.key.edition)
        self._settle(spec.key)
        found = self._sheets(spec.key.edition).get(token)
        if found and (token in self._complete or found.get("appProperties", {}).get("state") == "ready"):
            return SheetRef(spec.key, found["id"], sheet_url(found["id"]))  # ("ready": marked by older runs)
        if found is not None:
            with self.c.stats.operation("check sheet"):
                if self._shared(found["id"], spec.key.expert):
                    self._complete.add(token)
                    return SheetRef(spec.key, found["id"], sheet_url(found["id"]))
                # created, never shared: it is finished only if it is the key's claimed file (the
                # ledger's; one another run made and claimed may not show in search yet)
                listed = found["id"]
                found = settle_key(self.c, spec.key.properties(), [found], LISTED)
                self._sheets(spec.key.edition)[token] = found
                if found["id"] != listed and self._shared(found["id"], spec.key.expert):
                    self._complete.add(token)
                    return SheetRef(spec.key, found["id"], sheet_url(found["id"]))
        with self.c.stats.operation("create sheet"):
            if found is None:  # or the file an earlier run made, found in the ledger: maybe filled, shared
                found = self._create_file(spec)
                if found.get("recovered") and self._shared(found["id"], spec.key.expert):
                    self._complete.add(token)
                    return SheetRef(spec.key, found["id"], sheet_url(found["id"]))
                filled = bool(found.get("recovered")) and self._is_protected(found["id"])
            else:  # created, maybe filled, never shared: finish what the earlier run did not do
                filled = self._is_protected(found["id"])
            sid = found["id"]
            if not filled:
                self.c.run(
                    "sheets",
                    self.c.spreadsheets.batchUpdate(
                        spreadsheetId=sid, body={"requests": grid_requests(spec.grid, self._editors())}
                    ),
                    recover=lambda: (self._is_protected(sid), None),
                )
            self._share(sid, spec)
            self._complete.add(token)
        return SheetRef(spec.key, sid, sheet_url(sid), created=True)

    def _create_file(self, spec: SheetSpec) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": spec.name,
            "mimeType": SHEET,
            "parents": [self.folders.path(spec.folder)],
            "appProperties": spec.key.properties(),
            **least_access(self.c, document=False),  # the expert must not pass the sheet on
        }
        created = create_file(self.c, body)
        self._sheets(spec.key.edition)[spec.key.token()] = created
        return created

    def _share(self, sid: str, spec: SheetSpec) -> None:
        """The one request an expert notices (Google mails them the link): sent at most once. After a
        lost answer the sheet's permissions are asked before anything is sent again, and a 5xx or
        429 is retried only once the permissions show the share did not happen."""

        def shared() -> tuple[bool, Any]:
            return self._expert_role(sid, spec.key.expert) is not None, None

        request = self.c.permissions.create(
            fileId=sid,
            body={"type": "user", "role": "writer", "emailAddress": spec.key.expert},
            sendNotificationEmail=True,
            emailMessage=spec.share_message,
            supportsAllDrives=True,
            fields="id",
        )
        self.c.run("drive", request, recover=shared, recover_always=True)

    def _shared(self, sid: str, expert: str) -> bool:
        """Whether the expert holds a permission on the sheet (writer, or reader once frozen)."""
        return self._expert_role(sid, expert) is not None

    def _is_protected(self, sid: str) -> bool:
        meta = self.c.run(
            "sheets", self.c.spreadsheets.get(spreadsheetId=sid, fields="sheets.protectedRanges.protectedRangeId")
        )
        return any(s.get("protectedRanges") for s in meta.get("sheets", []))

    def _permissions(self, sid: str) -> list[dict[str, Any]]:
        return permissions(self.c, sid)

    def _expert_role(self, sid: str, expert: str) -> str | None:
        return next(
            (
                p["role"]
                for p in self._permissions(sid)
                if _direct(p) and str(p.get("emailAddress", "")).lower() == expert.lower()
            ),
            None,
        )

    def recreate(self, spec: SheetSpec) -> SheetRef:
        """A sheet deleted from Drive is no longer found by its key: `ensure` makes it again. One
        that is still there is Google's own and readable: it is kept, unfrozen."""
        self._complete.discard(spec.key.token())
        self._index.pop(spec.key.edition, None)  # listed again: a deleted sheet is no longer found
        ref = self.ensure(spec)
        self.unfreeze(ref)
        return ref

    def rebuild(self, ref: SheetRef, spec: SheetSpec) -> SheetRef:
        """One spreadsheets.get and one batchUpdate (all or nothing): a new tab from `spec`, every old
        tab deleted; then the expert a writer again (unfreeze). A lost answer is settled by asking
        whether the new tab is the only one."""
        with self.c.stats.operation("rebuild sheet"):
            tabs = self._tab_ids(ref.id)
            new = max(tabs, default=0) + 1
            requests: list[dict[str, Any]] = [{"addSheet": {"properties": {"sheetId": new, "title": f"~{new}"}}}]
            requests += [{"deleteSheet": {"sheetId": i}} for i in tabs]
            requests += grid_requests(spec.grid, self._editors(), new)
            self.c.run(
                "sheets",
                self.c.spreadsheets.batchUpdate(spreadsheetId=ref.id, body={"requests": requests}),
                recover=lambda: (self._tab_ids(ref.id) == [new], None),
            )
        self.frozen.discard(ref.id)
        self.unfreeze(ref)
        return SheetRef(spec.key, ref.id, ref.url)

    def _tab_ids(self, sid: str) -> list[int]:
        meta = self.c.run("sheets", self.c.spreadsheets.get(spreadsheetId=sid, fields="sheets.properties.sheetId"))
        return [int(s["properties"]["sheetId"]) for s in meta.get("sheets", [])]

    def freeze(self, ref: SheetRef) -> None:
        """Every direct writer but the pipeline and CDB becomes a reader (the expert first of all)."""
        keep = set(self._editors())
        self.frozen.add(ref.id)
        self._sheets(ref.key.edition)  # listed once per process: a second file of a key shows there
        self._settle(ref.key)
        with self.c.stats.operation("freeze sheet"):
            for p in self._permissions(ref.id):
                if _direct(p) and p["role"] == "writer" and str(p.get("emailAddress", "")).lower() not in keep:
                    self.c.run(
                        "drive",
                        self.c.permissions.update(
                            fileId=ref.id,
                            permissionId=p["id"],
                            body={"role": "reader"},
                            supportsAllDrives=True,
                            fields="id,role",
                        ),
                    )

    def unfreeze(self, ref: SheetRef, message: str = "") -> None:
        """The expert becomes a writer again (a reopened stage): their reader permission is changed
        with permissions.update, the way Google documents a role change (permissions.create on a
        user who already has one is not documented to change it). permissions.update cannot notify,
        so `message` (the new deadline) goes by Gmail when backend.gmail is on, sent at most once.
        Idempotent: an expert who is already a writer costs one permissions.list."""
        self.frozen.discard(ref.id)
        expert = ref.key.expert.lower()
        with self.c.stats.operation("unfreeze sheet"):
            mine = [
                p for p in self._permissions(ref.id) if _direct(p) and str(p.get("emailAddress", "")).lower() == expert
            ]
            if any(p["role"] == "writer" for p in mine):
                return
            self._forget_freeze(ref)
            if not mine:  # the expert's permission was removed by hand: shared again, Google notifies
                params: dict[str, Any] = dict(
                    fileId=ref.id,
                    body={"type": "user", "role": "writer", "emailAddress": ref.key.expert},
                    sendNotificationEmail=True,
                    supportsAllDrives=True,
                    fields="id",
                )
                if message:
                    params["emailMessage"] = message
                self.c.run(
                    "drive",
                    self.c.permissions.create(**params),
                    recover=lambda: (self._expert_role(ref.id, ref.key.expert) == "writer", None),
                    recover_always=True,
                )
                return
            self.c.run(
                "drive",
                self.c.permissions.update(
                    fileId=ref.id,
                    permissionId=mine[0]["id"],
                    body={"role": "writer"},
                    supportsAllDrives=True,
                    fields="id,role",
                ),
            )
        if message:
            name = self._sheets(ref.key.edition).get(ref.key.token(), {}).get("name") or ref.url
            text = f"{message}\n\n{ref.url}"  # keyed by its content: the mailbox can be asked whether it went;
            # a lost answer without the look-up raises MailUnsure: the job says so, never silently
            key = f"reopen/{ref.key.token()}/{content_digest(text.encode('utf-8'))[:16]}"
            send_mail(self.c, ref.key.expert, str(name), text, key=key)

    def read(self, ref: SheetRef) -> list[list[ScoreCell]]:
        tabs = self.read_tabs(ref)
        return tabs[0].cells if tabs else []

    def read_tabs(self, ref: SheetRef) -> list[SheetTab]:
        """Every tab as it is. Read at the close (a sheet this run froze), the digest of its tabs is
        recorded in the file's appProperties (frozen_digest, with modifiedTime pinned in
        frozen_modified); read again at a later close of a waiting stage, a different digest means
        someone edited the frozen sheet: it is refused (the stage's problem), never taken in."""
        tabs = self._fetch(ref)
        if ref.id in self.frozen:
            with self.c.stats.operation("record frozen sheet"):
                self._record_freeze(ref, _digest(tabs))
        return tabs

    def _record_freeze(self, ref: SheetRef, digest: str) -> None:
        known = self._sheets(ref.key.edition).get(ref.key.token()) or {}
        props = known.get("appProperties", {})
        held = props.get("frozen_digest")
        if held == digest:
            return
        if held:
            said = Said("storage_frozen_changed_google", path=ref.url)
            error = ChangedAfterFreeze(str(said))
            error.said = said
            raise error
        meta = self.c.run("drive", self.c.files.get(fileId=ref.id, fields="modifiedTime", supportsAllDrives=True))
        stamp = meta.get("modifiedTime", "")
        updated = self.c.run(
            "drive",
            self.c.files.update(
                fileId=ref.id,
                body={"appProperties": {"frozen_digest": digest, "frozen_modified": stamp}, "modifiedTime": stamp},
                fields=FILE_FIELDS + ",modifiedTime",
                supportsAllDrives=True,
            ),
        )
        self._sheets(ref.key.edition)[ref.key.token()] = updated

    def _forget_freeze(self, ref: SheetRef) -> None:
        """A reopened sheet may change again: the digest of its earlier freeze no longer holds."""
        known = self._sheets(ref.key.edition).get(ref.key.token()) or {}
        if not known.get("appProperties", {}).get("frozen_digest"):
            return
        updated = self.c.run(
            "drive",
            self.c.files.update(
                fileId=ref.id,
                body={"appProperties": {"frozen_digest": None, "frozen_modified": None}},
                fields=FILE_FIELDS + ",modifiedTime",
                supportsAllDrives=True,
            ),
        )
        self._sheets(ref.key.edition)[ref.key.token()] = updated

    def versions(self, refs: list[SheetRef]) -> dict[str, str]:
        """modifiedTime of each sheet not frozen yet: one files.list of the edition, taken now."""
        out: dict[str, str] = {}
        with self.c.stats.operation("sheet versions"):
            for edition in {r.key.edition for r in refs}:
                self._index.pop(edition, None)  # what Drive says now
            for ref in refs:
                f = self._sheets(ref.key.edition).get(ref.key.token()) or {}
                if (
                    f.get("id") == ref.id
                    and f.get("modifiedTime")
                    and not f.get("appProperties", {}).get("frozen_digest")
                ):
                    out[ref.id] = str(f["modifiedTime"])
        return out

    def last_changed_by_us(self, refs: list[SheetRef]) -> set[str]:
        """From the listing `versions` took (no request of its own): lastModifyingUser.me."""
        out: set[str] = set()
        for ref in refs:
            f = self._sheets(ref.key.edition).get(ref.key.token()) or {}
            if f.get("id") == ref.id and (f.get("lastModifyingUser") or {}).get("me") is True:
                out.add(ref.id)
        return out

    def unchanged_since_freeze(self, refs: list[SheetRef]) -> set[str]:
        """Sheets recorded at a close (frozen_digest) whose modifiedTime is still the one pinned then
        (frozen_modified): one files.list of the edition, taken now, whatever was listed before."""
        out: set[str] = set()
        with self.c.stats.operation("check frozen sheets"):
            for edition in {r.key.edition for r in refs}:
                self._index.pop(edition, None)  # what Drive says now
            for ref in refs:
                f = self._sheets(ref.key.edition).get(ref.key.token()) or {}
                props = f.get("appProperties", {})
                if f.get("id") == ref.id and props.get("frozen_digest"):
                    if f.get("modifiedTime") == props.get("frozen_modified"):
                        out.add(ref.id)
        return out

    def changed_after_freeze(self) -> list[dict[str, Any]]:
        """Sheets recorded at a close (frozen_digest) whose modifiedTime moved since: read again and
        compared, so a permission change or a comment is not taken for an edit. The listing is one
        files.list; an unchanged sheet costs nothing more."""
        out = []
        with self.c.stats.operation("check frozen sheets"):
            editions = {self.c.edition, *self._index}
            self._index.clear()  # what Drive says now
            files = {t: f for edition in editions for t, f in self._sheets(edition).items()}
            for _token, f in sorted(files.items()):
                props = f.get("appProperties", {})
                if not props.get("frozen_digest") or f.get("modifiedTime") == props.get("frozen_modified"):
                    continue
                ref = SheetRef(_sheet_key(props), f["id"], sheet_url(f["id"]))
                tabs = self._fetch(ref)
                if _digest(tabs) != props["frozen_digest"]:
                    out.append(
                        {
                            "sheet": f["id"],
                            "expert": props.get("expert", ""),
                            "notice": "why_edited_after_freeze",
                            "revision": str(f.get("modifiedTime") or ""),
                            "tabs": tabs,
                        }
                    )
        return out

    def _fetch(self, ref: SheetRef) -> list[SheetTab]:
        with self.c.stats.operation("read sheet at close" if ref.id in self.frozen else "read sheet"):
            meta = self.c.run(
                "sheets",
                self.c.spreadsheets.get(
                    spreadsheetId=ref.id,
                    includeGridData=True,
                    fields="sheets(properties.title,data.rowData.values(userEnteredValue,effectiveValue))",
                ),
            )
        return [
            SheetTab(str((sheet.get("properties") or {}).get("title", "")), _tab_cells(sheet))
            for sheet in (meta.get("sheets") or [{}])
        ]

    def write_as_expert(self, ref: SheetRef, values: dict[tuple[int, int], Any]) -> None:
        """As typed into the sheet (USER_ENTERED): "=…" becomes a formula, "8" a number. Refused on a
        sheet this run froze: the expert is a reader there, and Sheets would refuse them too (our
        own account could still write, which would break `read` returning what was there at the freeze)."""
        if ref.id in self.frozen:
            raise BackendError(f"{ref.url}: the sheet is frozen; its expert can no longer edit it")
        data = [{"range": a1(r, c), "values": [[json_value(v)]]} for (r, c), v in sorted(values.items())]
        if not data:
            return
        with self.c.stats.operation("write as expert"):
            self.c.run(
                "sheets",
                self.c.values.batchUpdate(
                    spreadsheetId=ref.id, body={"valueInputOption": "USER_ENTERED", "data": data}
                ),
            )

    def made(self) -> list[SheetKey]:
        return [_sheet_key(f["appProperties"]) for _t, f in sorted(self._sheets().items())]

    def sharing(self) -> list[dict[str, str]]:
        out = []
        with self.c.stats.operation("audit sharing"):
            files = {t: f for edition in {self.c.edition, *self._index} for t, f in self._sheets(edition).items()}
            for _token, f in sorted(files.items()):
                for p in self._permissions(f["id"]):
                    who = str(p.get("emailAddress") or p.get("domain") or p.get("type", "")).lower()
                    if _direct(p) and p["role"] != "owner" and who != (self.c.whoami() or "").lower():
                        out.append({"sheet": f["id"], "email": who, "role": p["role"]})
        return out


def _digest(tabs: list[SheetTab]) -> str:
    """What a freeze records of a sheet: every cell of every tab."""
    return grid_digest([row for tab in tabs for row in tab.cells])


def _tab_cells(sheet: dict[str, Any]) -> list[list[ScoreCell]]:
    rows = [row.get("values", []) for row in ((sheet.get("data") or [{}])[0].get("rowData") or [])]
    width = max((len(r) for r in rows), default=0)
    grid = []
    for r, row in enumerate(rows):
        out = []
        for c in range(width):
            cell = row[c] if c < len(row) else {}
            entered = cell.get("userEnteredValue") or {}
            formula = entered.get("formulaValue")
            value = from_extended(cell.get("effectiveValue") if "effectiveValue" in cell or formula else entered)
            out.append(ScoreCell(value, formula, a1(r, c)))
        grid.append(out)
    return grid
