"""The streaming .xlsx writer (pipelines/backends/local/xlsx_writer.py) read back by openpyxl and by
LibreOffice: awkward values keep their value and type, styles and sheet settings are what was asked."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipelines.backends.local.xlsx_writer import Book, Formula, Style

LONG = "Цифрлық білім беру ресурсы. " * 1170  # 32,760 characters: about what a cell holds
AWKWARD = [
    "=SUM(A1)",  # a formula typed as an answer stays text
    "+7 701 123 45 67",
    "@ivanov",
    "-1",
    "  leading and trailing spaces  ",
    "a & b < c > d \"quoted\" 'single'",
    "line one\nline two\r\nwindows line",
    "bell\x07 and null\x00 dropped",
    "emoji 😀 and Kazakh Әә Ғғ Ққ Ңң Өө Ұұ Үү Һһ Іі",
    "&#13; typed literally",
    LONG,
]


def _read(data: bytes, path: Path | None = None):
    if path is not None:
        path.write_bytes(data)
    return load_workbook(io.BytesIO(data))


def test_awkward_text_numbers_and_dates_read_back_with_their_types():
    book = Book()
    sheet = book.add_sheet("Тізілім")
    for text in AWKWARD:
        sheet.add_row([text])
    moment = datetime(2027, 2, 19, 18, 5, 12)
    sheet.add_row([0, -1.5, 12345678901234567, True, False, None, moment, date(2027, 1, 2), float("inf")])
    sheet.add_row([Formula("SUM(A12:B12)"), "after a formula", timedelta(hours=36, minutes=30), time(9, 15)])
    ws = _read(book.to_bytes()).worksheets[0]
    texts = [ws.cell(r, 1) for r in range(1, len(AWKWARD) + 1)]
    expected = [t.replace("\x07", "").replace("\x00", "") for t in AWKWARD]
    assert [c.value for c in texts] == expected
    assert all(c.data_type == "s" for c in texts)  # none became a formula or a number
    numbers = [c.value for c in ws[len(AWKWARD) + 1]]
    assert numbers[:6] == [0, -1.5, 12345678901234567, True, False, None]
    assert numbers[6] == moment and ws.cell(len(AWKWARD) + 1, 7).is_date
    assert numbers[7] == datetime(2027, 1, 2) and ws.cell(len(AWKWARD) + 1, 8).is_date
    assert numbers[8] == "inf"  # no spreadsheet holds an infinity: kept as text
    formula = ws.cell(len(AWKWARD) + 2, 1)
    assert formula.data_type == "f" and formula.value == "=SUM(A12:B12)"
    assert ws.cell(len(AWKWARD) + 2, 2).value == "after a formula"
    assert ws.cell(len(AWKWARD) + 2, 3).value == timedelta(hours=36, minutes=30)  # a duration, as openpyxl wrote it
    assert ws.cell(len(AWKWARD) + 2, 4).value == time(9, 15)


def test_styles_widths_heights_panes_filter_print_setup_and_properties():
    book = Book()
    sheet = book.add_sheet("Кезең 'бір'")
    header = book.styles.index(Style(bold=True, wrap=True, vertical="top"))
    moment = book.styles.index(Style(vertical="top", horizontal="left", number_format='DD.MM.YYYY HH:MM" (+05:00)"'))
    sheet.add_row(["id", "opened", "hidden"], [header] * 3, height=47)
    sheet.add_row(["DER-1", datetime(2027, 2, 19, 18, 5), None], [0, moment, header])
    sheet.widths, sheet.hidden = {1: 14, 2: 22.5}, {3}
    sheet.freeze, sheet.auto_filter = "B2", "A1:C2"
    sheet.landscape, sheet.paper_size, sheet.fit_width, sheet.fit_height = True, 9, 1, 0
    sheet.print_title_rows = "1:1"
    book.add_sheet("второй").add_row(["x"])
    book.properties.update({"contest_appended_through": 42, "note": "мәтін & <тег>", "ratio": 0.5, "flag": True})
    wb = _read(book.to_bytes())
    assert wb.sheetnames == ["Кезең 'бір'", "второй"]
    ws = wb["Кезең 'бір'"]
    assert ws["A1"].font.b and ws["A1"].alignment.wrap_text and ws["A1"].alignment.vertical == "top"
    assert not ws["A2"].font.b and not ws["A2"].alignment.wrap_text
    assert ws["B2"].number_format == 'DD.MM.YYYY HH:MM" (+05:00)"' and ws["B2"].alignment.horizontal == "left"
    assert ws["C2"].value is None and ws["C2"].alignment.wrap_text  # an empty cell keeps its style
    assert ws.row_dimensions[1].height == 47 and ws.row_dimensions[2].height is None
    assert ws.column_dimensions["A"].width == 14 and ws.column_dimensions["B"].width == 22.5
    assert ws.column_dimensions["C"].hidden and not ws.column_dimensions["A"].hidden
    assert ws.freeze_panes == "B2" and ws.auto_filter.ref == "A1:C2"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0 and ws.print_title_rows == "$1:$1"
    assert wb["второй"].freeze_panes is None and wb["второй"].print_title_rows is None
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props == {"contest_appended_through": 42, "note": "мәтін & <тег>", "ratio": 0.5, "flag": True}


def test_the_same_workbook_gives_the_same_bytes():
    def made() -> bytes:
        book = Book()
        book.add_sheet("a").add_row(["x", 1, datetime(2027, 1, 1, 9, 0)])
        return book.to_bytes()

    assert made() == made()  # a table written again unchanged takes no backup copy


def test_what_a_workbook_cannot_hold_is_refused_naming_the_cell():
    book = Book()
    with pytest.raises(ValueError, match="not a worksheet name"):
        book.add_sheet("a/b")
    with pytest.raises(ValueError, match="not a worksheet name"):
        book.add_sheet("x" * 32)
    book.add_sheet("Тізім")
    with pytest.raises(ValueError, match="two worksheets"):
        book.add_sheet("тізім")
    sheet = book.add_sheet("b")
    with pytest.raises(ValueError, match=r"b!B1: cannot write a set"):
        sheet.add_row(["ok", {1, 2}])
    # the refused row was not added: the next one is row 1 again
    with pytest.raises(ValueError, match=r"b!A1: a time with a UTC offset"):
        sheet.add_row([datetime(2027, 1, 1, tzinfo=UTC)])


@pytest.mark.needs_libreoffice
@pytest.mark.needs_libreoffice_calc
def test_libreoffice_reads_the_values(tmp_path: Path):
    book = Book()
    sheet = book.add_sheet("Тізілім")
    when = book.styles.index(Style(number_format="YYYY-MM-DD HH:MM"))
    sheet.add_row(["text", "formula-looking", "number", "moment"])
    sheet.add_row(["Қазақ тілі, «Python»", "=SUM(A1)", 7.5, datetime(2027, 2, 19, 18, 5)], [0, 0, 0, when])
    sheet.add_row(["two\nlines", "a & b", 12, None])
    (tmp_path / "book.xlsx").write_bytes(book.to_bytes())
    subprocess.run(
        [
            shutil.which("soffice") or "libreoffice",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "book.xlsx",
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=240,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin:/usr/local/bin"},
    )
    rows = list(csv.reader((tmp_path / "book.csv").read_text(encoding="utf-8").splitlines(keepends=True)))
    assert rows[1] == ["Қазақ тілі, «Python»", "=SUM(A1)", "7.5", "2027-02-19 18:05"]
    assert rows[2] == ["two\nlines", "a & b", "12", ""]
