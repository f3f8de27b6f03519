"""The Google control spreadsheet as a person reads it: widths, wrapping and frozen key columns
travel in the same batchUpdate as the values (Sheets' API has no print setup)."""

from __future__ import annotations

from pipelines.formats.tables import Tables, layout

ROWS = [
    {
        "stage": 1,
        "group": "FEB-EC",
        "expert_email": "m.ivanova@atu.edu.kz",
        "expert_name": "Иванова Мария Петровна",
        "application_id": "DER-2027-0007",
        "title": "Микроэкономика: интерактивті курс",
        "cell": "H10",
        "detail": "not a whole number: '8,5'",
        "raw": "8,5",
    }
]


def test_google_control_tab_gets_widths_and_frozen_key_columns(ws, fake):
    Tables(ws.control, "ru").write({"problems": ROWS})
    (update,) = [r for r in fake.requests if r.method == "spreadsheets.batchUpdate"][-1:]
    wrapped = [
        c
        for q in update.body["requests"]
        if "updateCells" in q
        for row in q["updateCells"]["rows"][1:]
        for c in row["values"]
        if c.get("userEnteredFormat", {}).get("wrapStrategy") == "WRAP"
    ]
    assert len(wrapped) == len(layout("problems").wrapped)
    body = update.body["requests"]
    frozen = [
        q["updateSheetProperties"]["properties"]["gridProperties"]
        for q in body
        if "updateSheetProperties" in q
        and "frozenColumnCount" in q["updateSheetProperties"]["properties"].get("gridProperties", {})
    ]
    assert frozen == [{"frozenColumnCount": layout("problems").frozen_columns}]
    widths = [q["updateDimensionProperties"] for q in body if "updateDimensionProperties" in q]
    assert len(widths) == len(layout("problems").widths)
    assert Tables(ws.control, "ru").read("problems")[0]["title"] == ROWS[0]["title"]
