"""Sheets v4: spreadsheets.values.* handlers."""

from __future__ import annotations

import copy

from . import a1
from .registry import handles
from .sheets import get_ss, value_range
from .sheets_model import Sheet, Spreadsheet, typed_cell
from .util import ApiError


def _options(req):
    render = req.q("valueRenderOption", "FORMATTED_VALUE")
    if render == "UNFORMATTED_VALUE" and req.q("dateTimeRenderOption") == "FORMATTED_STRING":
        render += "/FORMATTED_STRING"  # dates as their text, other numbers as numbers (dates.py)
    return render, req.q("majorDimension", "ROWS")


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


def write_values(ss: Spreadsheet, range_text: str, body: dict, input_option: str, where: str = "values") -> dict:
    sheet, rng = ss.resolve(range_text)
    if body.get("range"):
        s2, r2 = ss.resolve(body["range"])
        if (s2.id, r2) != (sheet.id, rng) and (s2.id, r2.r0, r2.c0) != (sheet.id, rng.r0, rng.c0):
            raise ApiError(
                400,
                f"Invalid ValueRange: range {body['range']} in body does not match the requested range {range_text}",
            )
    values = body.get("values") or []
    if body.get("majorDimension") == "COLUMNS":
        height = max((len(col) for col in values), default=0)
        values = [[col[i] if i < len(col) else None for col in values] for i in range(height)]
    return put_rows(ss, sheet, rng, values, input_option, range_text, where)


def put_rows(ss, sheet, rng, values, input_option, range_text, where="values", r0=None) -> dict:
    r0 = rng.r0 if r0 is None else r0
    c0 = rng.c0
    width = max((len(row) for row in values), default=0)
    single = (
        rng.r1 is not None and rng.c1 is not None and rng.r1 - rng.r0 == 1 and rng.c1 - rng.c0 == 1
    )  # a single start cell may expand
    if not single and rng.r1 is not None and r0 + len(values) > rng.r1:
        raise ApiError(400, f"Requested writing within range [{range_text}], but tried writing to row [{rng.r1 + 1}]")
    if not single and rng.c1 is not None and c0 + width > rng.c1:
        raise ApiError(
            400,
            f"Requested writing within range [{range_text}], but tried writing to column [{a1.index_to_col(rng.c1)}]",
        )
    sheet.ensure_size(r0 + len(values), c0 + width)
    rows_touched, cols_touched, cells = set(), set(), 0
    for i, row in enumerate(values):
        if not isinstance(row, list):
            raise ApiError(400, f"Invalid {where}[{i}]: expected a list of cell values")
        for j, v in enumerate(row):
            if v is None:
                continue
            cell = copy.deepcopy(sheet.cells.get((r0 + i, c0 + j)) or {})
            cell = typed_cell(cell, v, input_option, f"{where}[{i}][{j}]", ss.properties.get("locale"))
            sheet.set_cell(r0 + i, c0 + j, cell)
            rows_touched.add(i)
            cols_touched.add(j)
            cells += 1
    out = {
        "spreadsheetId": ss.id,
        "updatedRange": a1.format_range(sheet.title, r0, c0, r0 + max(len(values), 1), c0 + max(width, 1)),
    }
    if cells:
        out.update(updatedRows=len(rows_touched), updatedColumns=len(cols_touched), updatedCells=cells)
    return out


def _with_data(ss, result, req, include: bool):
    if include:
        sheet, rng = ss.resolve(result["updatedRange"])
        ss.begin_read()
        result["updatedData"] = value_range(
            ss,
            sheet,
            rng.bounded(sheet.rows, sheet.cols),
            req.q("responseValueRenderOption", "FORMATTED_VALUE"),
            "ROWS",
        )
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
        total.update(
            totalUpdatedRows=sum(r.get("updatedRows", 0) for r in responses),
            totalUpdatedColumns=sum(r.get("updatedColumns", 0) for r in responses),
            totalUpdatedCells=sum(r.get("updatedCells", 0) for r in responses),
            totalUpdatedSheets=len(sheets),
            responses=responses,
        )
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
    # The "table" starts at the range's top-left cell (an empty one: no table,
    # write right there, which gspread's insert_rows/insert_cols rely on) and
    # runs down consecutive rows holding values in the range's columns (from
    # its first column onwards for a one-column range); append after it.
    c_end = rng.c1 if rng.c1 is not None and rng.c1 - rng.c0 > 1 else None
    filled = {
        r
        for (r, c) in sheet.cells
        if r >= rng.r0 and c >= rng.c0 and (c_end is None or c < c_end) and sheet.has_value(r, c)
    }
    last = rng.r0
    while last in filled and sheet.has_value(rng.r0, rng.c0):
        last += 1
    result = {"spreadsheetId": ss.id}
    if last > rng.r0:
        width = max(
            (c + 1 for (r, c) in sheet.cells if rng.r0 <= r < last and c >= rng.c0 and sheet.has_value(r, c)),
            default=rng.c0 + 1,
        )
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
    for r, c in list(sheet.cells):
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
