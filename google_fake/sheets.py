"""Sheets v4: spreadsheets.create/get and spreadsheets.values.*"""

from __future__ import annotations

import copy
import re
from typing import Any

from . import a1, access
from .registry import handles
from .sheets_model import STORED_CELL_FIELDS, Sheet, Spreadsheet, new_sheet_properties, not_found
from .util import ApiError, mask_paths

SHEET_MIME = "application/vnd.google-apps.spreadsheet"
_ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"


def new_id(fake, length: int = 44, prefix: str = "1") -> str:
    return prefix + "".join(fake.rng.choice(_ID_CHARS) for _ in range(length - len(prefix)))


def new_int_id(fake, used=()) -> int:
    while True:
        n = fake.rng.randrange(1, 2**31 - 1)
        if n not in used:
            return n


def spreadsheet_url(ss_id: str) -> str:
    return f"https://docs.google.com/spreadsheets/d/{ss_id}/edit"


def get_ss(fake, ss_id: str) -> Spreadsheet:
    ss = fake.spreadsheets.get(ss_id)
    if ss is None or ss_id not in fake.files:
        raise not_found()
    return ss


# ---------------------------------------------------------------- building


def build_spreadsheet(fake, body: dict, ss_id: str | None = None) -> Spreadsheet:
    props = copy.deepcopy(body.get("properties") or {})
    props.setdefault("title", "Untitled spreadsheet")
    props.setdefault("locale", "en_US")
    props.setdefault("autoRecalc", "ON_CHANGE")
    props.setdefault("timeZone", "Etc/GMT")
    ss = Spreadsheet(ss_id or new_id(fake), props)
    sheets = body.get("sheets") or [{}]
    for i, sb in enumerate(sheets):
        given = sb.get("properties") or {}
        used = {s.id for s in ss.sheets}
        sid = given.get("sheetId")
        sid = int(sid) if sid is not None else (0 if i == 0 else new_int_id(fake, used))
        if sid in used:
            raise ApiError(400, f"Invalid spreadsheet.sheets[{i}]: A sheet with the id {sid} already exists.")
        title = given.get("title") or _free_title(ss)
        if title.lower() in (t.lower() for t in ss.titles()):
            raise ApiError(
                400,
                f"Invalid spreadsheet.sheets[{i}]: A sheet with the name "
                f'"{title}" already exists. Please enter another name.',
            )
        sheet = Sheet(new_sheet_properties(sid, title, i, given))
        ss.sheets.append(sheet)
        for grid in sb.get("data") or []:
            write_grid(
                sheet, grid.get("startRow", 0), grid.get("startColumn", 0), grid.get("rowData") or [], None, extend=True
            )
        for pr in sb.get("protectedRanges") or []:
            add_protected_range(fake, ss, pr, default_sheet=sheet)
        for rule in sb.get("conditionalFormats") or []:
            rule = copy.deepcopy(rule)
            for rng in rule.get("ranges", []):
                rng.setdefault("sheetId", sheet.id)
            sheet.conditional_formats.append(rule)
        for m in sb.get("merges") or []:
            sheet.merges.append({**copy.deepcopy(m), "sheetId": m.get("sheetId", sheet.id)})
        for key, val in sb.items():
            if key not in ("properties", "data", "protectedRanges", "conditionalFormats", "merges"):
                sheet.extra[key] = copy.deepcopy(val)
    for nr in body.get("namedRanges") or []:
        nr = copy.deepcopy(nr)
        nr.setdefault("namedRangeId", new_id(fake, 12, "n"))
        ss.named_ranges.append(nr)
    return ss


def _free_title(ss: Spreadsheet) -> str:
    n = len(ss.sheets) + 1
    while f"sheet{n}" in (t.lower() for t in ss.titles()):
        n += 1
    return f"Sheet{n}"


def write_grid(sheet: Sheet, r0: int, c0: int, rows: list, fields: str | None, extend: bool = False) -> None:
    """Write RowData[] at (r0, c0). fields=None stores every CellData field."""
    if extend:
        width = max((len(r.get("values") or []) for r in rows), default=0)
        sheet.ensure_size(r0 + len(rows), c0 + width)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row.get("values") or []):
            apply_cell(sheet, r0 + i, c0 + j, cell or {}, fields)


def apply_cell(sheet: Sheet, r: int, c: int, cell: dict, fields: str | None) -> None:
    cur = copy.deepcopy(sheet.cells.get((r, c)) or {})
    paths = ["*"] if fields is None else mask_paths(fields)
    if paths == ["*"]:
        new = {k: copy.deepcopy(v) for k, v in cell.items() if k in STORED_CELL_FIELDS}
    else:
        new = cur
        for path in paths:
            _set_path(new, cell, path.split("."))
    sheet.set_cell(r, c, {k: v for k, v in new.items() if v not in (None, {}, [])})


def _set_path(dst: dict, src: dict, path: list[str]) -> None:
    key = path[0]
    if len(path) == 1:
        if key in src:
            dst[key] = copy.deepcopy(src[key])
        else:
            dst.pop(key, None)
        return
    sub_src = src.get(key) or {}
    sub_dst = dst.setdefault(key, {})
    _set_path(sub_dst, sub_src, path[1:])
    if not sub_dst:
        dst.pop(key, None)


def add_protected_range(fake, ss: Spreadsheet, pr: dict, default_sheet: Sheet | None = None) -> dict:
    """A ProtectedRange added as Sheets' reference describes it
    (https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets/sheets#ProtectedRange;
    the same words in the discovery document): "When writing, only one of range or named_range_id or
    table_id may be set"; protectedRangeId and requestingUserCanEdit are read-only (an id given must
    be new: AddProtectedRangeRequest); "Unprotected ranges are only supported on protected sheets";
    with warningOnly "editors are ignored" (a warning-only range answers `"editors": {}`, as gspread's
    recorded WorksheetTest.test_add_protected_range_warning shows). Fields sent as null are unset."""
    pr = {k: v for k, v in copy.deepcopy(pr).items() if v is not None}
    used = {p["protectedRangeId"] for s in ss.sheets for p in s.protected_ranges}
    if pr.get("protectedRangeId") in used:
        raise ApiError(400, f"Invalid requests: protected range with id {pr['protectedRangeId']} already exists.")
    backing = [k for k in ("range", "namedRangeId", "tableId") if k in pr]
    if len(backing) > 1:
        raise ApiError(400, "Invalid requests: only one of range, namedRangeId or tableId may be set.")
    if "tableId" in pr:
        raise ApiError(501, "fake Google: protected ranges backed by a table are not implemented")
    if "namedRangeId" in pr:
        named = next((n for n in ss.named_ranges if n.get("namedRangeId") == pr["namedRangeId"]), None)
        if named is None:
            raise ApiError(400, f"Invalid requests: No named range with id: {pr['namedRangeId']}")
        rng = pr["range"] = copy.deepcopy(named.get("range") or {})
    else:
        rng = pr.setdefault("range", {})
        if "sheetId" not in rng and default_sheet is not None:
            rng["sheetId"] = default_sheet.id
    sheet = ss.sheet_by_id(rng.get("sheetId", 0))
    bounds = ("startRowIndex", "endRowIndex", "startColumnIndex", "endColumnIndex")
    if any(int(rng.get(k, 0)) < 0 for k in bounds) or any(
        int(rng[a]) > int(rng[b]) for a, b in (bounds[:2], bounds[2:]) if a in rng and b in rng
    ):
        raise ApiError(400, "Invalid requests: Invalid GridRange: start index must be <= end index")
    if pr.get("unprotectedRanges"):
        if any(k in rng for k in bounds):
            raise ApiError(400, "Invalid requests: Unprotected ranges are only supported on protected sheets.")
        if any(u.get("sheetId", 0) != sheet.id for u in pr["unprotectedRanges"]):
            raise ApiError(400, "Invalid requests: Unprotected ranges must be on the protected sheet.")
    pr["protectedRangeId"] = int(pr.get("protectedRangeId") or new_int_id(fake, used))
    pr["requestingUserCanEdit"] = True  # read-only: what was sent is not kept
    if pr.get("warningOnly"):
        pr["editors"] = {}
    else:
        editors = pr.setdefault("editors", {})
        users = editors.setdefault("users", [])
        if fake.identity not in users:
            users.insert(0, fake.identity)
    sheet.protected_ranges.append(pr)
    return pr


# ---------------------------------------------------------------- rendering


def spreadsheet_json(fake, ss: Spreadsheet, include_grid: bool = False, ranges: list[str] | None = None) -> dict:
    ss.begin_read()
    wanted: dict[int, list] = {}
    for text in ranges or []:
        sheet, rng = ss.resolve(text)
        wanted.setdefault(sheet.id, []).append(rng.bounded(sheet.rows, sheet.cols))
    sheets = []
    for sheet in ss.sheets:
        if ranges and sheet.id not in wanted:
            continue
        out = sheet.to_json()
        if include_grid:
            bounds = wanted.get(sheet.id) or [(0, 0, sheet.rows, sheet.cols)]
            out["data"] = [grid_data(ss, sheet, b) for b in bounds]
        sheets.append(out)
    access.hide_protected_editors(fake, ss.id, sheets)
    result = {
        "spreadsheetId": ss.id,
        "properties": copy.deepcopy(ss.properties),
        "sheets": sheets,
        "spreadsheetUrl": spreadsheet_url(ss.id),
    }
    if ss.named_ranges:
        result["namedRanges"] = copy.deepcopy(ss.named_ranges)
    return result


def grid_data(ss: Spreadsheet, sheet: Sheet, bounds) -> dict:
    r0, c0, r1, c1 = bounds
    r1, c1 = min(r1, sheet.rows), min(c1, sheet.cols)
    inside = [(r, c) for (r, c) in sheet.cells if r0 <= r < r1 and c0 <= c < c1]
    last_r = max((r for r, _ in inside), default=r0 - 1) + 1
    last_c = max((c for _, c in inside), default=c0 - 1) + 1
    rows = []
    for r in range(r0, last_r):
        vals = [ss.cell_json(sheet, r, c) for c in range(c0, last_c)]
        while vals and not vals[-1]:
            vals.pop()
        rows.append({"values": vals} if vals else {})
    out: dict = {}
    if r0:
        out["startRow"] = r0
    if c0:
        out["startColumn"] = c0
    if rows:
        out["rowData"] = rows
    return out


def value_range(ss: Spreadsheet, sheet: Sheet, bounds, option: str, major: str) -> dict:
    r0, c0, r1, c1 = bounds
    if r0 >= sheet.rows or c0 >= sheet.cols:
        raise ApiError(
            400,
            f"Range ({a1.quote_sheet(sheet.title)}!{a1.index_to_col(c0)}"
            f"{r0 + 1}) exceeds grid limits. Max rows: {sheet.rows}, max "
            f"columns: {sheet.cols}",
        )
    r1, c1 = min(r1, sheet.rows), min(c1, sheet.cols)
    grid = [[ss.render(sheet, r, c, option) for c in range(c0, c1)] for r in range(r0, r1)]
    if major == "COLUMNS":
        grid = [list(col) for col in zip(*grid)] if grid else []
    values = []
    for row in grid:
        while row and row[-1] is None:
            row.pop()
        values.append(["" if v is None else v for v in row])
    while values and not values[-1]:
        values.pop()
    out: dict[str, Any] = {
        "range": a1.format_range(sheet.title, r0, c0, r1, c1),
        "majorDimension": "COLUMNS" if major == "COLUMNS" else "ROWS",
    }
    if values:
        out["values"] = values
    return out


# ---------------------------------------------------------------- handlers


@handles("sheets.spreadsheets.create")
def spreadsheets_create(fake, req):
    fake.check_storage(parents=None, mime=SHEET_MIME)
    ss = build_spreadsheet(fake, req.json())
    fake.spreadsheets[ss.id] = ss
    fake.register_file(ss.id, ss.title, SHEET_MIME)
    return spreadsheet_json(fake, ss)


@handles("sheets.spreadsheets.get")
def spreadsheets_get(fake, req):
    ss = get_ss(fake, req.p("spreadsheetId"))
    include = req.qbool("includeGridData") or bool(re.search(r"(^|[,./(])data([,./()]|$)", req.q("fields") or ""))
    return spreadsheet_json(fake, ss, include, req.qlist("ranges"))
