"""Intake inputs that never block the edition (issue 13 item 5): any line-end convention and
delimiter, BOMs; characters no cell can hold removed from the cell with the whole answer kept and a
note; answers longer than a cell kept whole outside it, so the registry settles after one write."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from jobkit import copy_example, run_at, table_rows
from openpyxl import load_workbook
from test_intake_job import AFTER_CLOSE, KK, ROWS, _rows

from pipelines.formats.cells import CELL_LIMIT
from pipelines.jobs.intake import run_intake


def _export(path: Path, rows, *, delimiter=",", line_end="\r\n", bom: bytes = b"", encoding="utf-8") -> None:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=line_end).writerows([KK, *rows])
    path.write_bytes(bom + out.getvalue().encode(encoding))


STYLES = {
    "Excel for Mac, CR only": dict(line_end="\r"),
    "Unix LF": dict(line_end="\n"),
    "regional Excel, semicolons": dict(delimiter=";"),
    "tab-separated": dict(delimiter="\t"),
    "pipe-separated": dict(delimiter="|"),
    "a double BOM": dict(bom=b"\xef\xbb\xbf\xef\xbb\xbf"),
    "UTF-16 with its BOM": dict(encoding="utf-16"),
}


@pytest.mark.parametrize("style", sorted(STYLES))
def test_every_export_convention_gives_the_same_registry(tmp_path, style):
    _export(tmp_path / "plain.csv", _rows("kk"))
    plain = copy_example(tmp_path / "plain", responses=str(tmp_path / "plain.csv"))
    run_intake(run_at(plain, AFTER_CLOSE))
    _export(tmp_path / "odd.csv", _rows("kk"), **STYLES[style])
    odd = copy_example(tmp_path / "odd", responses=str(tmp_path / "odd.csv"))
    report = run_intake(run_at(odd, AFTER_CLOSE))
    assert report.responses == len(ROWS)

    def essence(config_path):
        return sorted((r["id"], r["title"], r["authors"], r["status"]) for r in table_rows(config_path, "registry"))

    assert essence(odd) == essence(plain)


def test_unstorable_characters_and_a_huge_answer_never_block_intake(tmp_path):
    rows = _rows("kk")
    rows[0][4] = rows[0][4] + "\ufffe\uffff\x01"  # pasted from another program
    huge = "Негіздеме. " * 4000  # 44,000 characters: more than an .xlsx cell holds
    rows[2][8] = huge
    _export(tmp_path / "responses.csv", rows)
    config_path = copy_example(tmp_path / "ed", responses=str(tmp_path / "responses.csv"))
    first = run_intake(run_at(config_path, AFTER_CLOSE))
    assert first.registry_changed and first.responses == len(ROWS)
    again = run_intake(run_at(config_path, AFTER_CLOSE))
    assert not again.registry_changed  # settled after one write
    wb = load_workbook(config_path.parent / "workspace" / "control.xlsx")
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for v in row:
                assert not isinstance(v, str) or len(v) <= CELL_LIMIT
    registry = table_rows(config_path, "registry")
    odd = next(r for r in registry if r["title"] == ROWS[0][4])  # removed from the cell
    assert rows[0][4] in json.loads(odd["raw"]).values()  # the answer as given, whole, in the raw JSON
    assert "«3. СББР атауы»: кестеге сыймайтын 3 таңба" in odd["cell_notes"]  # and the row says so
    assert all(not r["cell_notes"] for r in registry if r is not odd)
    long_row = next(r for r in registry if r["title"] == ROWS[2][4])
    assert "more than a cell holds" in long_row["justification"]
    side = Path(long_row["justification"].rsplit("the whole text: ", 1)[1].rstrip("]"))
    assert side.read_text(encoding="utf-8") == huge.strip()  # the field as mapped; the raw answer below
    raw_cell = long_row["raw"]
    raw_side = Path(raw_cell.rsplit("the whole text: ", 1)[1].rstrip("]"))
    assert huge in json.loads(raw_side.read_text(encoding="utf-8")).values()


def test_an_xlsx_answer_as_long_as_a_cell_is_named_as_maybe_cut(tmp_path):
    """Issue 23 item 4: an .xlsx export holds at most 32,767 characters a cell, so an answer of exactly
    that length was likely cut by the export; the CSV path keeps it whole. The registry row says so."""
    from openpyxl import Workbook

    rows = _rows("kk")
    rows[1][8] = "ә" * CELL_LIMIT
    book = Workbook()
    for row in [KK, *rows]:
        book.active.append(row)
    book.save(tmp_path / "responses.xlsx")
    config_path = copy_example(tmp_path / "ed", responses=str(tmp_path / "responses.xlsx"))
    run_intake(run_at(config_path, AFTER_CLOSE))
    registry = table_rows(config_path, "registry")
    cut = next(r for r in registry if r["title"] == ROWS[1][4])
    assert f"жауап дәл {CELL_LIMIT} таңба" in cut["cell_notes"] and ".csv" in cut["cell_notes"]
    assert all(not r["cell_notes"] for r in registry if r is not cut)
