"""The control tables as a person reads them: widths, wrapping, frozen key columns, print setup —
read back from control.xlsx (the Google side: tests/backends/google/test_google_control_presentation.py)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from pipelines.backends.local import LocalControlStore
from pipelines.formats.tables import Tables, headers, layout, schema, title

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
        "detail_local": "бүтін сан емес: '8,5'",
        "raw": "8,5",
    }
]


def test_control_xlsx_has_widths_wrapping_frozen_ids_and_print_setup(tmp_path: Path):
    Tables(LocalControlStore(tmp_path), "kk").write({"problems": ROWS})
    ws = load_workbook(tmp_path / "control.xlsx")[title("problems", "kk")]
    keys = [c["key"] for c in schema()["problems"]["columns"]]
    assert [c.value for c in ws[1]] == headers("problems", "kk")
    spec = layout("problems")
    for i, width in enumerate(spec.widths):
        assert ws.column_dimensions[chr(65 + i)].width == width
    assert ws.column_dimensions["F"].width >= 40  # the title is not cut
    # the header row and the key columns (stage, group, expert, name, DER id, title) stay in view
    assert ws.freeze_panes == "G2" and spec.frozen_columns == keys.index("title") + 1
    assert ws.cell(2, keys.index("detail_local") + 1).alignment.wrap_text
    # the reader's English is kept for the pipeline, not shown: people read detail_local
    assert ws.column_dimensions[chr(65 + keys.index("detail"))].hidden
    assert not ws.column_dimensions[chr(65 + keys.index("detail_local"))].hidden
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows == "$1:$1"
    assert ws.auto_filter.ref.startswith("A1:")


def test_a_wrapped_row_is_tall_enough_and_the_journal_is_laid_out_too(tmp_path: Path):
    long = {**ROWS[0], "detail_local": "баған тақырыбы өзгертілген: күтілгені «Жалпы әсер»\nСББР кодынсыз жол қосылған"}
    tables = Tables(LocalControlStore(tmp_path), "ru")
    tables.write({"problems": [long]})
    tables.append("journal", [{"at": "2027-02-20T00:05:00+05:00", "action": "tick", "detail": "x " * 200}])
    tables.store.settle()  # the end of the job: the row and its layout go into the workbook
    wb = load_workbook(tmp_path / "control.xlsx")
    problems = wb[title("problems", "ru")]
    assert problems.row_dimensions[2].height >= 2 * 15  # both lines of the detail show
    journal = wb[title("journal", "ru")]
    assert journal.column_dimensions["E"].width == layout("journal").widths[4]
    assert journal.cell(2, 5).alignment.wrap_text and journal.row_dimensions[2].height >= 5 * 15
    assert journal.freeze_panes == "B2"


def test_moments_are_dates_a_person_can_sort_and_read_back_as_the_same_text(tmp_path: Path):
    rows = [
        {
            "stage": 0,
            "state": "closed",
            "opened_at": "2027-01-20T09:00:00+05:00",
            "closed_at": "2027-02-19T18:00:00+05:00",
        },
        {"stage": 1, "state": "open", "opened_at": "2027-02-19T18:05:12+06:00", "note": "ашылды 19.02 кешке"},
    ]
    tables = Tables(LocalControlStore(tmp_path), "kk")
    assert tables.write({"stages": rows}) == ["stages"]
    ws = load_workbook(tmp_path / "control.xlsx")[title("stages", "kk")]
    opened = ws["C3"]
    assert opened.is_date and opened.value.hour == 18 and opened.value.second == 12
    assert "DD.MM.YYYY HH:MM" in opened.number_format and "+06:00" in opened.number_format
    back = Tables(LocalControlStore(tmp_path), "kk").read("stages")
    assert [r["opened_at"] for r in back] == [r["opened_at"] for r in rows]
    assert back[0]["closed_at"] == rows[0]["closed_at"] and back[1]["closed_at"] == ""
    assert tables.write({"stages": rows}) == []  # read back as written: nothing to rewrite
    # a time the form left unreadable stays the text it was
    tables.write({"registry": [{"id": "DER-1", "submitted_at": "19.02.2027 кешкі 6"}]})
    assert Tables(LocalControlStore(tmp_path), "kk").read("registry")[0]["submitted_at"] == "19.02.2027 кешкі 6"
