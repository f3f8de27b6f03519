"""Sheets v4: spreadsheets.create/get and spreadsheets.values.*"""
from __future__ import annotations

import copy
import re

from . import a1
from .registry import handles
from .sheets_model import (STORED_CELL_FIELDS, Sheet, Spreadsheet, new_sheet_properties,
                           not_found, to_extended)
from .util import ApiError

SHEET_MIME = "application/vnd.google-apps.spreadsheet"
_ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"


def new_id(fake, length: int = 44, prefix: str = "1") -> str:
    return prefix + "".join(fake.rng.choice(_ID_CHARS) for _ in range(length - len(prefix)))


def new_int_id(fake, used=()) -> int:
    while True:
        n = fake.rng.randrange(1, 2 ** 31 - 1)
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
            raise ApiError(400, f"Invalid spreadsheet.sheets[{i}]: A sheet with the id {sid} "
                           "already exists.")
        title = given.get("title") or _free_title(ss)
        if title.lower() in (t.lower() for t in ss.titles()):
            raise ApiError(400, f'Invalid spreadsheet.sheets[{i}]: A sheet with the name '
                           f'"{title}" already exists. Please enter another name.')
        sheet = Sheet(new_sheet_properties(sid, title, i, given))
        ss.sheets.append(sheet)
        for grid in sb.get("data") or []:
            write_grid(sheet, grid.get("startRow", 0), grid.get("startColumn", 0),
                       grid.get("rowData") or [], None, extend=True)
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


def write_grid(sheet: Sheet, r0: int, c0: int, rows: list, fields: str | None,
               extend: bool = False) -> None:
    """Write RowData[] at (r0, c0). fields=None stores every CellData field."""
    if extend:
        width = max((len(r.get("values") or []) for r in rows), default=0)
        sheet.ensure_size(r0 + len(rows), c0 + width)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row.get("values") or []):
            apply_cell(sheet, r0 + i, c0 + j, cell or {}, fields)


def apply_cell(sheet: Sheet, r: int, c: int, cell: dict, fields: str | None) -> None:
    cur = copy.deepcopy(sheet.cells.get((r, c)) or {})
    if fields is None or fields.strip() == "*":
        new = {k: copy.deepcopy(v) for k, v in cell.items() if k in STORED_CELL_FIELDS}
    else:
        new = cur
        for path in [p.strip() for p in re.split(r",(?![^(]*\))", fields) if p.strip()]:
            _set_path(new, cell, re.split(r"[./]", path))
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
    pr = copy.deepcopy(pr)
    used = {p["protectedRangeId"] for s in ss.sheets for p in s.protected_ranges}
    if pr.get("protectedRangeId") in used:
        raise ApiError(400, f"Invalid requests: protected range with id "
                       f"{pr['protectedRangeId']} already exists.")
    pr["protectedRangeId"] = int(pr.get("protectedRangeId") or new_int_id(fake, used))
    rng = pr.setdefault("range", {})
    if "sheetId" not in rng and default_sheet is not None:
        rng["sheetId"] = default_sheet.id
    sheet = ss.sheet_by_id(rng.get("sheetId", 0))
    pr["requestingUserCanEdit"] = True
    if not pr.get("warningOnly"):
        editors = pr.setdefault("editors", {})
        users = editors.setdefault("users", [])
        if fake.identity not in users:
            users.insert(0, fake.identity)
    sheet.protected_ranges.append(pr)
    return pr


# ---------------------------------------------------------------- rendering

def spreadsheet_json(fake, ss: Spreadsheet, include_grid: bool = False,
                     ranges: list[str] | None = None) -> dict:
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
    result = {"spreadsheetId": ss.id, "properties": copy.deepcopy(ss.properties),
              "sheets": sheets, "spreadsheetUrl": spreadsheet_url(ss.id)}
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
        raise ApiError(400, f"Range ({a1.quote_sheet(sheet.title)}!{a1.index_to_col(c0)}"
                       f"{r0 + 1}) exceeds grid limits. Max rows: {sheet.rows}, max "
                       f"columns: {sheet.cols}")
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
    out = {"range": a1.format_range(sheet.title, r0, c0, r1, c1),
           "majorDimension": "COLUMNS" if major == "COLUMNS" else "ROWS"}
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
    include = req.qbool("includeGridData") or bool(
        re.search(r"(^|[,./(])data([,./()]|$)", req.q("fields") or ""))
    return spreadsheet_json(fake, ss, include, req.qlist("ranges"))


def _options(req):
    return req.q("valueRenderOption", "FORMATTED_VALUE"), req.q("majorDimension", "ROWS")


@handles("sheets.spreadsheets.values.get")
def values_get(fake, req):
    ss = get_ss(fake, req.p("spreadsheetId"))
    ss.begin_read()
    sheet, rng = ss.resolve(req.p("range"))
    return value_range(ss, sheet, rng.bounded(sheet.rows, sheet.cols), *_options(req))


@handles("sheets.spreadsheets.values.batchGet")
def values_batch_get(fake, req):
    ss = get_ss(fake, req.p("spreadsheetId"))
    ss.begin_read()
    out = {"spreadsheetId": ss.id}
    vrs = []
    for text in req.qlist("ranges"):
        sheet, rng = ss.resolve(text)
        vrs.append(value_range(ss, sheet, rng.bounded(sheet.rows, sheet.cols), *_options(req)))
    if vrs:
        out["valueRanges"] = vrs
    return out


def _input_option(value: str | None) -> str:
    if value not in ("RAW", "USER_ENTERED"):
        raise ApiError(400, "'valueInputOption' is required but not specified")
    return value


def write_values(ss: Spreadsheet, range_text: str, body: dict, input_option: str,
                 where: str = "values") -> dict:
    sheet, rng = ss.resolve(range_text)
    if body.get("range"):
        s2, r2 = ss.resolve(body["range"])
        if (s2.id, r2) != (sheet.id, rng) and (s2.id, r2.r0, r2.c0) != (sheet.id, rng.r0, rng.c0):
            raise ApiError(400, f"Invalid ValueRange: range {body['range']} in body does not "
                           f"match the requested range {range_text}")
    values = body.get("values") or []
    if body.get("majorDimension") == "COLUMNS":
        height = max((len(col) for col in values), default=0)
        values = [[col[i] if i < len(col) else None for col in values] for i in range(height)]
    return put_rows(ss, sheet, rng, values, input_option, range_text, where)


def put_rows(ss, sheet, rng, values, input_option, range_text, where="values",
             r0=None) -> dict:
    r0 = rng.r0 if r0 is None else r0
    c0 = rng.c0
    width = max((len(row) for row in values), default=0)
    single = (rng.r1 is not None and rng.c1 is not None and rng.r1 - rng.r0 == 1
              and rng.c1 - rng.c0 == 1)     # a single start cell may expand
    if not single and rng.r1 is not None and r0 + len(values) > rng.r1:
        raise ApiError(400, f"Requested writing within range [{range_text}], but tried "
                       f"writing to row [{rng.r1 + 1}]")
    if not single and rng.c1 is not None and c0 + width > rng.c1:
        raise ApiError(400, f"Requested writing within range [{range_text}], but tried "
                       f"writing to column [{a1.index_to_col(rng.c1)}]")
    sheet.ensure_size(r0 + len(values), c0 + width)
    rows_touched, cols_touched, cells = set(), set(), 0
    for i, row in enumerate(values):
        if not isinstance(row, list):
            raise ApiError(400, f"Invalid {where}[{i}]: expected a list of cell values")
        for j, v in enumerate(row):
            if v is None:
                continue
            ext = to_extended(v, input_option, f"{where}[{i}][{j}]")
            cell = copy.deepcopy(sheet.cells.get((r0 + i, c0 + j)) or {})
            if ext is None:
                cell.pop("userEnteredValue", None)
            else:
                cell["userEnteredValue"] = ext
            sheet.set_cell(r0 + i, c0 + j, cell)
            rows_touched.add(i)
            cols_touched.add(j)
            cells += 1
    out = {"spreadsheetId": ss.id,
           "updatedRange": a1.format_range(sheet.title, r0, c0, r0 + max(len(values), 1),
                                           c0 + max(width, 1))}
    if cells:
        out.update(updatedRows=len(rows_touched), updatedColumns=len(cols_touched),
                   updatedCells=cells)
    return out


def _with_data(ss, result, req, include: bool):
    if include:
        sheet, rng = ss.resolve(result["updatedRange"])
        ss.begin_read()
        result["updatedData"] = value_range(ss, sheet, rng.bounded(sheet.rows, sheet.cols),
                                            req.q("responseValueRenderOption", "FORMATTED_VALUE"),
                                            "ROWS")
    return result


@handles("sheets.spreadsheets.values.update")
def values_update(fake, req):
    ss = get_ss(fake, req.p("spreadsheetId"))
    opt = _input_option(req.q("valueInputOption"))
    work = ss.clone()
    result = write_values(work, req.p("range"), req.json(), opt)
    fake.commit_spreadsheet(work)
    return _with_data(work, result, req, req.qbool("includeValuesInResponse"))


@handles("sheets.spreadsheets.values.batchUpdate")
def values_batch_update(fake, req):
    ss = get_ss(fake, req.p("spreadsheetId"))
    body = req.json()
    opt = _input_option(body.get("valueInputOption"))
    work = ss.clone()
    responses = []
    for i, vr in enumerate(body.get("data") or []):
        if not vr.get("range"):
            raise ApiError(400, f"Invalid data[{i}]: range is required")
        res = write_values(work, vr["range"], vr, opt, where=f"data[{i}].values")
        responses.append(_with_data(work, res, req, bool(body.get("includeValuesInResponse"))))
    fake.commit_spreadsheet(work)
    total = {"spreadsheetId": ss.id}
    if responses:
        sheets = {work.resolve(r["updatedRange"])[0].id for r in responses if r.get("updatedCells")}
        total.update(totalUpdatedRows=sum(r.get("updatedRows", 0) for r in responses),
                     totalUpdatedColumns=sum(r.get("updatedColumns", 0) for r in responses),
                     totalUpdatedCells=sum(r.get("updatedCells", 0) for r in responses),
                     totalUpdatedSheets=len(sheets), responses=responses)
    return total


@handles("sheets.spreadsheets.values.append")
def values_append(fake, req):
    ss = get_ss(fake, req.p("spreadsheetId"))
    opt = _input_option(req.q("valueInputOption"))
    work = ss.clone()
    sheet, rng = work.resolve(req.p("range"))
    body = req.json()
    values = body.get("values") or []
    if body.get("majorDimension") == "COLUMNS":
        height = max((len(col) for col in values), default=0)
        values = [[col[i] if i < len(col) else None for col in values] for i in range(height)]
    c_end = rng.c1 if rng.c1 is not None and rng.c1 - rng.c0 > 1 else None
    last = max(rng.r0, sheet.last_value_row(rng.c0, c_end))
    result = {"spreadsheetId": ss.id}
    if last > rng.r0:
        width = max((c + 1 for (r, c) in sheet.cells if r < last and c >= rng.c0
                     and sheet.has_value(r, c)), default=rng.c0 + 1)
        result["tableRange"] = a1.format_range(sheet.title, rng.r0, rng.c0, last, width)
    if req.q("insertDataOption") == "INSERT_ROWS" and values:
        shift_rows(sheet, last, len(values))
    open_rng = a1.A1Range(sheet.title, last, rng.c0, None, None)
    updates = put_rows(work, sheet, open_rng, values, opt, req.p("range"))
    fake.commit_spreadsheet(work)
    result["updates"] = _with_data(work, updates, req, req.qbool("includeValuesInResponse"))
    return result


def shift_rows(sheet: Sheet, at: int, n: int) -> None:
    """Insert n empty rows before row index `at`."""
    moved = {((r + n) if r >= at else r, c): cell for (r, c), cell in sheet.cells.items()}
    sheet.cells = moved
    sheet.grid["rowCount"] = sheet.rows + n


def clear_range(ss: Spreadsheet, text: str) -> str:
    sheet, rng = ss.resolve(text)
    r0, c0, r1, c1 = rng.bounded(sheet.rows, sheet.cols)
    for (r, c) in list(sheet.cells):
        if r0 <= r < r1 and c0 <= c < c1:
            cell = dict(sheet.cells[(r, c)])
            cell.pop("userEnteredValue", None)
            sheet.set_cell(r, c, cell)
    return a1.format_range(sheet.title, r0, c0, min(r1, sheet.rows), min(c1, sheet.cols))


@handles("sheets.spreadsheets.values.clear")
def values_clear(fake, req):
    ss = get_ss(fake, req.p("spreadsheetId"))
    work = ss.clone()
    cleared = clear_range(work, req.p("range"))
    fake.commit_spreadsheet(work)
    return {"spreadsheetId": ss.id, "clearedRange": cleared}


@handles("sheets.spreadsheets.values.batchClear")
def values_batch_clear(fake, req):
    ss = get_ss(fake, req.p("spreadsheetId"))
    work = ss.clone()
    cleared = [clear_range(work, t) for t in req.json().get("ranges") or []]
    fake.commit_spreadsheet(work)
    out = {"spreadsheetId": ss.id}
    if cleared:
        out["clearedRanges"] = cleared
    return out
