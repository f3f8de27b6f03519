import pytest
from googleapiclient.errors import HttpError

from google_fake.a1 import parse_a1


def _cell(v):
    if isinstance(v, bool):
        return {"userEnteredValue": {"boolValue": v}}
    if isinstance(v, (int, float)):
        return {"userEnteredValue": {"numberValue": v}}
    if isinstance(v, str) and v.startswith("="):
        return {"userEnteredValue": {"formulaValue": v}}
    return {"userEnteredValue": {"stringValue": v}}


def _create(sheets, rows, title="Results", sheet_title="Sheet 1", **extra_sheet):
    body = {
        "properties": {"title": title},
        "sheets": [
            {
                "properties": {
                    "title": sheet_title,
                    "gridProperties": {"rowCount": 50, "columnCount": 8, "frozenRowCount": 1},
                },
                "data": [
                    {"startRow": 0, "startColumn": 0, "rowData": [{"values": [_cell(v) for v in row]} for row in rows]}
                ],
                **extra_sheet,
            }
        ],
    }
    return sheets.spreadsheets().create(body=body).execute()


def test_create_with_data_validation_protection_then_read_back(fake, sheets):
    validation = {
        "condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "yes"}, {"userEnteredValue": "no"}]},
        "strict": True,
        "showCustomUi": True,
    }
    body = {
        "properties": {"title": "Scores"},
        "sheets": [
            {
                "properties": {"title": "Sheet 1", "gridProperties": {"rowCount": 20, "columnCount": 5}},
                "data": [
                    {
                        "startRow": 0,
                        "startColumn": 0,
                        "rowData": [
                            {"values": [_cell("name"), _cell("score"), _cell("ok")]},
                            {
                                "values": [
                                    _cell("ann"),
                                    _cell(3),
                                    {
                                        "userEnteredValue": {"stringValue": "yes"},
                                        "dataValidation": validation,
                                        "note": "pick one",
                                    },
                                ]
                            },
                            {"values": [_cell("bob"), _cell(4.5)]},
                            {"values": [_cell("total"), _cell("=SUM(B2:B3)")]},
                        ],
                    }
                ],
                "protectedRanges": [
                    {"range": {"startRowIndex": 0, "endRowIndex": 1}, "description": "header", "warningOnly": False}
                ],
            }
        ],
    }
    ss = sheets.spreadsheets().create(body=body).execute()
    sid = ss["spreadsheetId"]
    assert ss["spreadsheetUrl"].endswith(sid + "/edit")
    pr = ss["sheets"][0]["protectedRanges"][0]
    assert isinstance(pr["protectedRangeId"], int) and pr["range"]["sheetId"] == 0
    assert fake.identity in pr["editors"]["users"]

    got = (
        sheets.spreadsheets()
        .values()
        .batchGet(spreadsheetId=sid, ranges=["'Sheet 1'!A1:C4", "'Sheet 1'!B:B"], valueRenderOption="UNFORMATTED_VALUE")
        .execute()
    )
    first, col_b = got["valueRanges"]
    assert first["range"] == "'Sheet 1'!A1:C4"
    assert first["values"] == [["name", "score", "ok"], ["ann", 3, "yes"], ["bob", 4.5], ["total", 7.5]]
    assert col_b["range"] == "'Sheet 1'!B1:B20"
    assert col_b["values"] == [["score"], [3], [4.5], [7.5]]

    formulas = (
        sheets.spreadsheets()
        .values()
        .batchGet(spreadsheetId=sid, ranges=["'Sheet 1'!A4:B4"], valueRenderOption="FORMULA")
        .execute()
    )
    assert formulas["valueRanges"][0]["values"] == [["total", "=SUM(B2:B3)"]]

    full = sheets.spreadsheets().get(spreadsheetId=sid, includeGridData=True).execute()
    row2 = full["sheets"][0]["data"][0]["rowData"][1]["values"]
    assert row2[2]["dataValidation"] == validation and row2[2]["note"] == "pick one"
    assert row2[1]["effectiveValue"] == {"numberValue": 3}
    total = full["sheets"][0]["data"][0]["rowData"][3]["values"][1]
    assert total["userEnteredValue"] == {"formulaValue": "=SUM(B2:B3)"}
    assert total["effectiveValue"] == {"numberValue": 7.5} and total["formattedValue"] == "7.5"

    meta = fake.file_meta(sid)
    assert meta["mimeType"] == "application/vnd.google-apps.spreadsheet"
    assert meta["parents"] == [fake.root_id] and meta["owners"][0]["emailAddress"] == fake.identity
    fake.assert_all_valid()


def test_raw_vs_user_entered(sheets):
    sid = _create(sheets, [])["spreadsheetId"]
    values = sheets.spreadsheets().values()
    values.update(
        spreadsheetId=sid, range="'Sheet 1'!A1", valueInputOption="RAW", body={"values": [["=1+1", "42", "TRUE"]]}
    ).execute()
    values.update(
        spreadsheetId=sid,
        range="'Sheet 1'!A2",
        valueInputOption="USER_ENTERED",
        body={"values": [["=1+1", "42", "TRUE", "'007", "1,234.5", "abc"]]},
    ).execute()
    unf = values.get(spreadsheetId=sid, range="'Sheet 1'!A1:F2", valueRenderOption="UNFORMATTED_VALUE").execute()[
        "values"
    ]
    assert unf[0] == ["=1+1", "42", "TRUE"]
    assert unf[1] == [2, 42, True, "007", 1234.5, "abc"]
    fmt = values.get(spreadsheetId=sid, range="'Sheet 1'!A1:F2").execute()["values"]
    assert fmt[1] == ["2", "42", "TRUE", "007", "1234.5", "abc"]
    form = values.get(spreadsheetId=sid, range="'Sheet 1'!A1:C2", valueRenderOption="FORMULA").execute()["values"]
    assert form == [["=1+1", "42", "TRUE"], ["=1+1", 42, True]]


def test_sum_formula_and_recalculation(fake, sheets):
    sid = _create(sheets, [["a", "b"], [1, 2], [3, 4], ["=SUM(A2:A3)", "=SUM(A2:B3) * 2"]])["spreadsheetId"]
    assert fake.sheet_values(sid, "'Sheet 1'!A4:B4") == [[4, 20]]
    sheets.spreadsheets().values().update(
        spreadsheetId=sid, range="'Sheet 1'!A2", valueInputOption="RAW", body={"values": [[10]]}
    ).execute()
    assert fake.sheet_values(sid, "'Sheet 1'!A4:B4") == [[13, 38]]
    sheets.spreadsheets().values().update(
        spreadsheetId=sid,
        range="'Sheet 1'!C1",
        valueInputOption="USER_ENTERED",
        body={"values": [["=SUM(C1)"], ["=VLOOKUP(1,A:B,2)"]]},
    ).execute()
    assert fake.sheet_values(sid, "'Sheet 1'!C1:C2", "FORMATTED_VALUE") == [["#REF!"], ["=VLOOKUP(1,A:B,2)"]]


def test_batch_update_misspelt_field_is_rejected_atomically(fake, sheets):
    sid = _create(sheets, [["x"]])["spreadsheetId"]
    version = fake.files[sid].version
    good = {"addSheet": {"properties": {"title": "Extra"}}}
    bad = {
        "updateCells": {
            "start": {"sheetId": 0, "rowIndex": 0, "columnIndex": 0},
            "rows": [{"values": [{"userEnteredValeu": {"stringValue": "y"}}]}],
            "fields": "userEnteredValue",
        }
    }
    with pytest.raises(HttpError) as exc:
        sheets.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": [good, bad]}).execute()
    assert exc.value.status_code == 400
    assert "userEnteredValeu" in str(exc.value)
    assert "requests[1].update_cells.rows[0].values[0]" in exc.value.reason
    assert [s["properties"]["title"] for s in sheets.spreadsheets().get(spreadsheetId=sid).execute()["sheets"]] == [
        "Sheet 1"
    ]
    assert fake.invalid_requests()[-1].method == "spreadsheets.batchUpdate"

    # semantically invalid sub-request (valid JSON): nothing applied either
    dup = {"addSheet": {"properties": {"title": "sheet 1"}}}
    with pytest.raises(HttpError) as exc:
        sheets.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": [good, dup]}).execute()
    assert "requests[1].addSheet" in exc.value.reason and "already exists" in exc.value.reason
    assert len(fake.spreadsheet_model(sid).sheets) == 1
    assert fake.files[sid].version == version

    # two kinds in one Request, and a wrong type
    two = {"addSheet": {"properties": {"title": "A"}}, "deleteSheet": {"sheetId": 0}}
    with pytest.raises(HttpError) as exc:
        sheets.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": [two]}).execute()
    assert "oneof" in exc.value.reason and "requests[0]" in exc.value.reason
    wrong = {
        "updateSheetProperties": {
            "properties": {"sheetId": 0, "gridProperties": {"rowCount": "many"}},
            "fields": "gridProperties.rowCount",
        }
    }
    with pytest.raises(HttpError) as exc:
        sheets.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": [wrong]}).execute()
    assert "update_sheet_properties.properties.grid_properties.row_count" in exc.value.reason
    with pytest.raises(HttpError) as exc:  # unknown request kind
        sheets.spreadsheets().batchUpdate(
            spreadsheetId=sid, body={"requests": [{"addSheeet": {"properties": {"title": "A"}}}]}
        ).execute()
    assert "Unknown name \"addSheeet\" at 'requests[0]'" in exc.value.reason
    with pytest.raises(HttpError) as exc:  # valid, but not implemented by the fake
        sheets.spreadsheets().batchUpdate(
            spreadsheetId=sid,
            body={"requests": [{"findReplace": {"find": "x", "replacement": "y", "allSheets": True}}]},
        ).execute()
    assert exc.value.status_code == 501


def test_batch_update_operations(fake, sheets):
    sid = _create(sheets, [["h1", "h2"], ["a", 1]])["spreadsheetId"]
    reqs = [
        {"addSheet": {"properties": {"title": "Log", "gridProperties": {"rowCount": 10, "columnCount": 3}}}},
        {"updateSheetProperties": {"properties": {"sheetId": 0, "title": "Main"}, "fields": "title"}},
        {
            "repeatCell": {
                "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1},
                "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                "fields": "userEnteredFormat.textFormat.bold",
            }
        },
        {
            "setDataValidation": {
                "range": {
                    "sheetId": 0,
                    "startRowIndex": 1,
                    "endRowIndex": 5,
                    "startColumnIndex": 1,
                    "endColumnIndex": 2,
                },
                "rule": {"condition": {"type": "NUMBER_GREATER", "values": [{"userEnteredValue": "0"}]}},
            }
        },
        {
            "addProtectedRange": {
                "protectedRange": {
                    "range": {"sheetId": 0, "startColumnIndex": 0, "endColumnIndex": 1},
                    "warningOnly": True,
                }
            }
        },
        {"appendCells": {"sheetId": 0, "rows": [{"values": [_cell("b"), _cell(2)]}], "fields": "userEnteredValue"}},
        {
            "updateCells": {
                "range": {
                    "sheetId": 0,
                    "startRowIndex": 3,
                    "endRowIndex": 4,
                    "startColumnIndex": 0,
                    "endColumnIndex": 2,
                },
                "rows": [{"values": [_cell("c"), _cell("=SUM(B2:B3)")]}],
                "fields": "userEnteredValue",
            }
        },
        {"updateSpreadsheetProperties": {"properties": {"title": "Renamed"}, "fields": "title"}},
        {
            "mergeCells": {
                "range": {
                    "sheetId": 0,
                    "startRowIndex": 5,
                    "endRowIndex": 6,
                    "startColumnIndex": 0,
                    "endColumnIndex": 2,
                },
                "mergeType": "MERGE_ALL",
            }
        },
        {
            "updateDimensionProperties": {
                "range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1},
                "properties": {"pixelSize": 200},
                "fields": "pixelSize",
            }
        },
        {"autoResizeDimensions": {"dimensions": {"sheetId": 0, "dimension": "COLUMNS"}}},
        {
            "addConditionalFormatRule": {
                "index": 0,
                "rule": {
                    "ranges": [{"sheetId": 0, "startColumnIndex": 1, "endColumnIndex": 2}],
                    "booleanRule": {
                        "condition": {"type": "NUMBER_LESS", "values": [{"userEnteredValue": "0"}]},
                        "format": {"backgroundColor": {"red": 1}},
                    },
                },
            }
        },
    ]
    res = sheets.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": reqs}).execute()
    replies = res["replies"]
    assert replies[0]["addSheet"]["properties"]["title"] == "Log"
    new_sheet_id = replies[0]["addSheet"]["properties"]["sheetId"]
    prid = replies[4]["addProtectedRange"]["protectedRange"]["protectedRangeId"]
    assert replies[1] == {}
    assert fake.sheet_values(sid, "Main!A1:B4") == [["h1", "h2"], ["a", 1], ["b", 2], ["c", 3]]
    got = sheets.spreadsheets().get(spreadsheetId=sid, ranges=["Main!A1:B2"], includeGridData=True).execute()
    assert got["properties"]["title"] == "Renamed"
    main = got["sheets"][0]
    assert main["data"][0]["rowData"][0]["values"][0]["userEnteredFormat"] == {"textFormat": {"bold": True}}
    assert main["data"][0]["rowData"][1]["values"][1]["dataValidation"]["condition"]["type"] == "NUMBER_GREATER"
    assert main["merges"] and main["conditionalFormats"]
    assert fake.file_meta(sid)["name"] == "Renamed"

    sheets.spreadsheets().batchUpdate(
        spreadsheetId=sid,
        body={
            "requests": [
                {
                    "updateProtectedRange": {
                        "protectedRange": {"protectedRangeId": prid, "description": "ids"},
                        "fields": "description",
                    }
                },
                {"deleteSheet": {"sheetId": new_sheet_id}},
            ]
        },
    ).execute()
    meta = sheets.spreadsheets().get(spreadsheetId=sid, fields="sheets.properties,sheets.protectedRanges").execute()
    assert list(meta) == ["sheets"] and len(meta["sheets"]) == 1
    assert meta["sheets"][0]["protectedRanges"][0]["description"] == "ids"
    sheets.spreadsheets().batchUpdate(
        spreadsheetId=sid, body={"requests": [{"deleteProtectedRange": {"protectedRangeId": prid}}]}
    ).execute()
    assert fake.spreadsheet_model(sid).sheets[0].protected_ranges == []

    with pytest.raises(HttpError) as exc:  # updateCells beyond the grid
        sheets.spreadsheets().batchUpdate(
            spreadsheetId=sid,
            body={
                "requests": [
                    {
                        "updateCells": {
                            "start": {"sheetId": 0, "rowIndex": 60, "columnIndex": 0},
                            "rows": [{"values": [_cell("x")]}],
                            "fields": "*",
                        }
                    }
                ]
            },
        ).execute()
    assert "exceeds grid limits" in exc.value.reason
    with pytest.raises(HttpError) as exc:
        sheets.spreadsheets().batchUpdate(
            spreadsheetId=sid, body={"requests": [{"deleteSheet": {"sheetId": 0}}]}
        ).execute()
    assert "can't remove all the sheets" in exc.value.reason


def test_values_append_clear_batch_and_ranges(fake, sheets):
    sid = _create(sheets, [["id", "name"], [1, "a"]], sheet_title="Data")["spreadsheetId"]
    values = sheets.spreadsheets().values()
    res = values.append(
        spreadsheetId=sid,
        range="Data!A:B",
        valueInputOption="USER_ENTERED",
        insertDataOption="INSERT_ROWS",
        body={"values": [[2, "b"], [3, "c"]]},
    ).execute()
    assert res["tableRange"] == "Data!A1:B2"
    assert res["updates"]["updatedRange"] == "Data!A3:B4" and res["updates"]["updatedCells"] == 4
    res = values.batchUpdate(
        spreadsheetId=sid,
        body={
            "valueInputOption": "RAW",
            "data": [
                {"range": "Data!D1", "values": [["x"], ["y"]]},
                {"range": "Data!E1:F1", "majorDimension": "COLUMNS", "values": [["p"], ["q"]]},
            ],
        },
    ).execute()
    assert res["totalUpdatedCells"] == 4 and res["totalUpdatedSheets"] == 1
    assert fake.sheet_values(sid, "Data") == [["id", "name", "", "x", "p", "q"], [1, "a", "", "y"], [2, "b"], [3, "c"]]
    cols = values.get(spreadsheetId=sid, range="Data!A1:B", majorDimension="COLUMNS").execute()
    assert cols["values"] == [["id", "1", "2", "3"], ["name", "a", "b", "c"]]
    assert (
        values.clear(spreadsheetId=sid, range="Data!D:F").execute()["clearedRange"] == "Data!D1:F52"
    )  # INSERT_ROWS grew the grid
    values.batchClear(spreadsheetId=sid, body={"ranges": ["Data!A4:B4"]}).execute()
    assert fake.sheet_values(sid, "Data!A1:Z") == [["id", "name"], [1, "a"], [2, "b"]]
    assert values.get(spreadsheetId=sid, range="Data!A10:B12").execute() == {
        "range": "Data!A10:B12",
        "majorDimension": "ROWS",
    }
    with pytest.raises(HttpError) as exc:  # rows beyond a bounded range
        values.update(
            spreadsheetId=sid, range="Data!A1:B1", valueInputOption="RAW", body={"values": [[1], [2]]}
        ).execute()
    assert "tried writing to row [2]" in exc.value.reason
    with pytest.raises(HttpError) as exc:
        values.update(spreadsheetId=sid, range="Data!A1", body={"values": [[1]]}).execute()
    assert "valueInputOption" in exc.value.reason
    with pytest.raises(HttpError) as exc:
        values.get(spreadsheetId=sid, range="Nope!A1").execute()
    assert exc.value.status_code == 400 and "Unable to parse range" in exc.value.reason
    # writes beyond the grid extend it (values.update)
    values.update(spreadsheetId=sid, range="Data!A60", valueInputOption="RAW", body={"values": [["far"]]}).execute()
    assert fake.spreadsheet_model(sid).sheets[0].rows == 60


def test_a1_parsing():
    titles = ["Sheet1", "Sheet 1", "It's"]
    r = parse_a1("'Sheet 1'!A1:C3", titles)
    assert (r.sheet, r.r0, r.c0, r.r1, r.c1) == ("Sheet 1", 0, 0, 3, 3)
    r = parse_a1("Sheet1", titles)
    assert (r.sheet, r.r1, r.c1) == ("Sheet1", None, None)
    r = parse_a1("A1:B", titles)
    assert (r.sheet, r.r0, r.c0, r.r1, r.c1) == (None, 0, 0, None, 2)
    r = parse_a1("'It''s'!C:C", titles)
    assert (r.sheet, r.c0, r.c1, r.r1) == ("It's", 2, 3, None)
    r = parse_a1("Sheet1!2:3", titles)
    assert (r.r0, r.r1, r.c1) == (1, 3, None)
    r = parse_a1("$AA$10", titles)
    assert (r.r0, r.c0) == (9, 26)


def test_gspread_and_googleapiclient_share_state(fake, gc, sheets, drive):
    sh = gc.create("Made by gspread")
    ws = sh.sheet1
    ws.update([["a", "b"], [1, "=A2*3"]], "A1")  # gspread 6 defaults to RAW ...
    assert ws.acell("B2").value == "=A2*3"  # ... so this stayed a string
    ws.update([["a", "b"], [1, "=A2*3"]], "A1", value_input_option="USER_ENTERED")
    ws.batch_update([{"range": "C1", "values": [["c"]]}])
    assert ws.get("A1:C2") == [["a", "b", "c"], ["1", "3"]]
    got = sh.values_batch_get(["Sheet1!A1:B2"], params={"valueRenderOption": "FORMULA"})
    assert got["valueRanges"][0]["values"] == [["a", "b"], [1, "=A2*3"]]
    assert ws.acell("B2", value_render_option="UNFORMATTED_VALUE").value == 3
    # the same file through googleapiclient
    vals = sheets.spreadsheets().values().get(spreadsheetId=sh.id, range="Sheet1!A1:C2").execute()
    assert vals["values"][0] == ["a", "b", "c"]
    listing = drive.files().list(q="name = 'Made by gspread'", fields="files(id,name)").execute()
    assert listing == {"files": [{"id": sh.id, "name": "Made by gspread"}]}
    assert [s.title for s in gc.openall()] == ["Made by gspread"]
    assert fake.files[sh.id].version > 1
    ws2 = sh.add_worksheet("Second", rows=5, cols=3)
    ws2.append_row([1, 2, 3])
    assert ws2.get_all_values() == [["1", "2", "3"]]
    sh.del_worksheet(ws2)
    fake.assert_all_valid()
    counts = fake.counts()
    assert counts["drive"]["files.create"] == 1
    assert counts["sheets"]["spreadsheets.values.update"] >= 1


def test_gspread_worksheet_operations_stay_valid(fake, gc, drive):
    sh = gc.create("Sweep")
    ws = sh.sheet1
    ws.update([["h1", "h2"], [3, "c"], [1, "a"], [2, "b"]], "A1")
    ws.insert_rows([["i", "j"]], 2)  # insertDimension + values.append at A2
    ws.insert_cols([["X", "Y"]], 1)
    assert ws.get_all_values()[:3] == [["X", "h1", "h2"], ["Y", "i", "j"], ["", "3", "c"]]
    ws.delete_rows(2)
    ws.delete_columns(1)
    ws.sort((1, "asc"), range="A2:B4")
    assert ws.get_all_values() == [["h1", "h2"], ["1", "a"], ["2", "b"], ["3", "c"]]
    ws.append_row(["4", "d"], value_input_option="USER_ENTERED")
    assert ws.get_all_records() == [
        {"h1": 1, "h2": "a"},
        {"h1": 2, "h2": "b"},
        {"h1": 3, "h2": "c"},
        {"h1": 4, "h2": "d"},
    ]
    ws.format("A1:B1", {"textFormat": {"bold": True}})  # fields "userEnteredFormat(textFormat)"
    assert fake.spreadsheet_model(sh.id).sheets[0].cells[(0, 1)]["userEnteredFormat"] == {"textFormat": {"bold": True}}
    ws.freeze(rows=1)
    ws.update_note("A1", "header")
    assert ws.get_note("A1") == "header"
    ws.add_protected_range("A1:B1", editor_users_emails=[fake.identity])
    ws.update_title("Main")
    sh.update_title("Sweep 2")
    dup = sh.duplicate_sheet(ws.id, new_sheet_name="Dup")
    assert [w.title for w in sh.worksheets()] == ["Main", "Dup"]
    ws.batch_clear(["A5:B5"])
    ws.resize(rows=10)
    ws.merge_cells("A8:B8")
    ws.set_basic_filter("A1:B4")
    copy = gc.copy(sh.id, title="Copy", copy_permissions=False)  # files.copy + comments.list
    assert copy.worksheet("Dup").get_all_values() == dup.get_all_values()
    assert drive.files().get(fileId=copy.id, fields="name").execute() == {"name": "Copy"}
    gc.del_spreadsheet(sh.id)
    fake.assert_all_valid()
