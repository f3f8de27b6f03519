"""control.xlsx as LocalControlStore writes it since its tables are streamed by xlsx_writer: what
is written reads back the same (in this process and the next, through openpyxl and through the
store), a tab a person added and the folded journal survive later writes, and a failed write loses
no appended row."""

from __future__ import annotations

import errno
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from pipelines.backends.local import LocalControlStore
from pipelines.formats.tables import Tables, layout, title
from pipelines.ports import BackendError, TableLayout

LAYOUT = TableLayout(widths=(12, 30, 22, 10, 40), wrapped=(1, 4), frozen_columns=1, hidden=(3,), dates=(2,))
COLUMNS = ["id", "text", "at", "n", "notes"]
ROWS = [
    ["DER-1", "=SUM(A1)", "2027-02-19T18:05:12+05:00", 7, "a long note " * 40],
    ["DER-2", "+7 701 123 45 67", "2027-02-19T18:05:00+06:00", 2.5, "line one\nline two"],
    ["DER-3", "bell\x07 and vertical tab\x0bsplit", "19.02.2027 кешкі 6", None, "emoji 😀 Әә Ңң"],
    ["DER-4", "  spaced  ", "2027-02-19T18:05:00", 0, ""],  # a naive time stays text
]
AS_READ = [
    {"id": "DER-1", "text": "=SUM(A1)", "at": "2027-02-19T18:05:12+05:00", "n": 7, "notes": "a long note " * 40},
    {
        "id": "DER-2",
        "text": "+7 701 123 45 67",
        "at": "2027-02-19T18:05:00+06:00",
        "n": 2.5,
        "notes": "line one\nline two",
    },
    {
        "id": "DER-3",
        "text": "bell and vertical tab\nsplit",
        "at": "19.02.2027 кешкі 6",
        "n": "",
        "notes": "emoji 😀 Әә Ңң",
    },
    {"id": "DER-4", "text": "  spaced  ", "at": "2027-02-19T18:05:00", "n": 0, "notes": ""},
]


def test_awkward_values_read_back_the_same_in_this_process_and_the_next(tmp_path: Path):
    store = LocalControlStore(tmp_path)
    assert store.write_tables({"Т": (COLUMNS, ROWS)}, {"Т": LAYOUT}) == ["Т"]
    assert store.read_table("Т") == AS_READ  # from what this process wrote
    assert LocalControlStore(tmp_path).read_table("Т") == AS_READ  # from the file
    ws = load_workbook(tmp_path / "control.xlsx")["Т"]
    assert ws["B2"].value == "=SUM(A1)" and ws["B2"].data_type == "s"  # text, never a formula
    assert ws["C2"].is_date and ws["C2"].value == datetime(2027, 2, 19, 18, 5, 12)
    assert "+06:00" in ws["C3"].number_format and ws["C3"].alignment.horizontal == "left"
    assert ws["C4"].value == "19.02.2027 кешкі 6" and not ws["C4"].is_date
    assert ws["D2"].value == 7 and isinstance(ws["D3"].value, float)
    assert ws["A1"].font.b and ws["B1"].alignment.wrap_text  # the header
    assert ws["B2"].alignment.wrap_text and not ws["A2"].alignment.wrap_text and ws["A2"].alignment.vertical == "top"
    assert ws.row_dimensions[2].height >= 3 * 15  # the long note shows whole
    assert ws.row_dimensions[3].height >= 2 * 15 and ws.row_dimensions[5].height is None
    assert ws.column_dimensions["B"].width == 30 and ws.column_dimensions["D"].hidden
    assert ws.freeze_panes == "B2" and ws.auto_filter.ref == "A1:E5"
    # the same rows again: nothing to write, in this process and the next
    assert store.write_tables({"Т": (COLUMNS, ROWS)}, {"Т": LAYOUT}) == []
    assert LocalControlStore(tmp_path).write_tables({"Т": (COLUMNS, ROWS)}, {"Т": LAYOUT}) == []


def test_a_tab_a_person_added_and_the_folded_journal_survive_a_later_write(tmp_path: Path):
    tables = Tables(LocalControlStore(tmp_path), "kk")
    tables.write({"stages": [{"stage": 1, "state": "open", "opened_at": "2027-02-19T18:05:12+05:00"}]})
    journal = [{"at": "2027-02-20T00:05:00+05:00", "action": "tick", "detail": "x " * 200}]
    tables.append("journal", journal)
    tables.store.settle()
    path = tmp_path / "control.xlsx"
    wb = load_workbook(path)  # a person adds a tab of their own, and openpyxl saves the file its way
    mine = wb.create_sheet("Менің жазбаларым")
    mine["A1"], mine["B1"], mine["A2"], mine["B2"] = "Сан", "Қосынды", 3, "=A2*2"
    mine["A1"].font = Font(bold=True)
    mine.column_dimensions["A"].width = 33
    wb.save(path)
    later = Tables(LocalControlStore(tmp_path), "kk")  # the next job, in another process
    assert later.write({"stages": [{"stage": 1, "state": "closed", "opened_at": "2027-02-19T18:05:12+05:00"}]}) == [
        "stages"
    ]
    wb = load_workbook(path)
    mine = wb["Менің жазбаларым"]
    assert (mine["A2"].value, mine["B2"].value, mine["B2"].data_type) == (3, "=A2*2", "f")
    assert mine["A1"].font.b and mine.column_dimensions["A"].width == 33
    ws = wb[title("journal", "kk")]  # written by the earlier job, copied as it was
    assert ws["A2"].is_date and "+05:00" in ws["A2"].number_format
    assert ws.cell(2, 5).alignment.wrap_text and ws.row_dimensions[2].height >= 5 * 15
    assert ws.column_dimensions["E"].width == layout("journal").widths[4] and ws.freeze_panes == "B2"
    back = Tables(LocalControlStore(tmp_path), "kk").read("journal")
    assert [(r["at"], r["action"], r["detail"]) for r in back] == [(j["at"], j["action"], j["detail"]) for j in journal]
    assert Tables(LocalControlStore(tmp_path), "kk").read("stages")[0]["state"] == "closed"


def test_a_write_that_fails_keeps_the_file_and_every_appended_row(tmp_path: Path, monkeypatch):
    store = LocalControlStore(tmp_path)
    store.write_tables({"A": (["n"], [[1]])})
    before = (tmp_path / "control.xlsx").read_bytes()
    store.append_rows("J", ["n"], [[1], [2]])

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "mkstemp", full)
    with pytest.raises(BackendError, match="No space left"):
        store.write_tables({"A": (["n"], [[2]])})
    monkeypatch.undo()
    assert (tmp_path / "control.xlsx").read_bytes() == before and store.db.pending()
    assert [r["n"] for r in store.read_table("J")] == [1, 2]  # the rows the failed write had folded
    assert store.read_table("A") == [{"n": 1}]  # not the change that was never written
    store.write_tables({"A": (["n"], [[2]])})
    assert not store.db.pending()
    fresh = LocalControlStore(tmp_path)
    assert [r["n"] for r in fresh.read_table("J")] == [1, 2] and fresh.read_table("A") == [{"n": 2}]


def test_a_workbook_openpyxl_wrote_is_read_and_rewritten(tmp_path: Path):
    """control.xlsx as an older contest (openpyxl) or a person left it: shared strings, its own styles."""
    wb = Workbook()
    ws = wb.active
    ws.title = "A"
    ws.append(["n", "when"])
    ws.append([1, datetime(2027, 2, 19, 18, 5)])
    ws["B2"].number_format = 'DD.MM.YYYY HH:MM" (+05:00)"'
    wb.save(tmp_path / "control.xlsx")
    store = LocalControlStore(tmp_path)
    assert store.read_table("A") == [{"n": 1, "when": "2027-02-19T18:05:00+05:00"}]
    assert store.write_tables({"B": (["x"], [["y"]])}) == ["B"]
    fresh = LocalControlStore(tmp_path)
    assert fresh.read_table("A") == [{"n": 1, "when": "2027-02-19T18:05:00+05:00"}]
    assert fresh.read_table("B") == [{"x": "y"}]
    assert load_workbook(tmp_path / "control.xlsx").sheetnames == ["A", "B"]


def test_a_value_no_workbook_holds_is_refused_naming_the_cell_and_nothing_is_written(tmp_path: Path):
    store = LocalControlStore(tmp_path)
    store.write_tables({"A": (["n"], [[1]])})
    before = (tmp_path / "control.xlsx").read_bytes()
    with pytest.raises(
        BackendError, match=r"control.xlsx: басқару кестесін жазу мүмкін болмады \(A!B2: cannot write a set"
    ):
        store.write_tables({"A": (["n", "m"], [[2, {"x"}]])})
    assert (tmp_path / "control.xlsx").read_bytes() == before and store.read_table("A") == [{"n": 1}]
