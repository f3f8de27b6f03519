"""The rating-sheet reader that parses the .xlsx XML itself (pipelines/backends/local/xlsx_values.py) gives
exactly what openpyxl's full read gave (`openpyxl_tabs`, the reader it replaces): on our own sheets
as experts edit them (numbers typed as text, decimal commas, formulas, rows added and deleted, tabs
added), as LibreOffice saves them again, on XML the way Excel and other tools write it (inline and
rich strings, shared formulas, cells and rows without numbers, dates, errors, the 1904 calendar),
and on random edits (hypothesis). Where it leaves a file to openpyxl (an array formula), the result
is still openpyxl's."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from datetime import datetime, time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.comments import Comment
from openpyxl.utils.exceptions import IllegalCharacterError
from test_hostile_input import VALUES, edited_sheets
from test_rating_sheet import APPS, EXPERT, make_config

from pipelines.backends.local import openpyxl_tabs, read_xlsx_tabs, render_xlsx, xlsx_values
from pipelines.formats import rating_sheet
from pipelines.ports import Unreadable

CONFIG = make_config()
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
LAY = rating_sheet.layout(CONFIG)
SCORES = sorted(LAY.scores.values())


def outcome(read, path: Path):
    try:
        return read(path)
    except Unreadable as exc:
        return ("unreadable", str(exc))


def assert_same(path: Path, *, fast: bool = True) -> None:
    """Our reader's tabs are openpyxl's; with `fast`, it read them itself (no fallback)."""
    assert outcome(read_xlsx_tabs, path) == outcome(openpyxl_tabs, path)
    if fast:
        xlsx_values.read_book(str(path))  # raises NotPlain (or a parse error) if it fell back


def our_sheet(path: Path) -> Path:
    grid = rating_sheet.build_grid(
        config=CONFIG,
        stage=1,
        group_name="Ақпараттық жүйелер",
        expert=EXPERT,
        applications=APPS,
        deadline_text="10.03.2026 18:00",
        lang="kk",
        identity=rating_sheet.sheet_identity(
            CONFIG, edition="2026", stage=1, group="FIT-IS", expert=EXPERT.email, applications=APPS
        ),
    )
    path.write_bytes(render_xlsx(grid))
    return path


def hurried_expert(path: Path) -> Path:
    """What a hurried expert does to the sheet in Excel: every kind of value in the score cells,
    a row deleted, rows inserted and added below, a note, a link, a merge, a tab added."""
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    r0, r1 = LAY.data_row(0) + 1, LAY.data_row(1) + 1
    typed = ["8", " 7 ", "7,5", 9.0, 10, True, "=5+5", "ten", datetime(2027, 3, 1, 12, 0), "", None, "8 баллов"]
    for i, value in enumerate(typed):
        ws.cell(r0 + i % 2, SCORES[i % len(SCORES)] + 1).value = value
    ws.cell(r1, SCORES[0] + 1).number_format = "DD.MM.YYYY"
    ws.cell(r1, SCORES[0] + 1).value = 46000  # a number in a date style: openpyxl reads a date
    ws.cell(r1, SCORES[-1] + 1).value = time(1, 30)
    ws.cell(r0, LAY.fixed["comment"] + 1).value = CellRichText(["жақсы ", TextBlock(InlineFont(b=True), "өте")])
    ws.insert_rows(r1 + 1)
    ws.cell(r1 + 1, 2).value = "қосылған жол"
    ws.delete_rows(r0 - 1)
    ws.cell(ws.max_row + 3, 1).value = "Қолы: ________"
    ws.cell(ws.max_row + 2, 30).comment = Comment("сарапшы", "expert")  # a note far right makes cells
    ws.cell(2, 12).hyperlink = "https://atu.edu.kz"
    ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row + 1, end_column=3)
    extra = wb.create_sheet("Sheet1")
    extra["A1"], extra["B2"] = "жоба", "=Sheet1!A1"
    wb.save(path)
    return path


def test_our_fresh_sheet_reads_as_openpyxl_reads_it(tmp_path):
    assert_same(our_sheet(tmp_path / "fresh.xlsx"))


def test_a_sheet_a_hurried_expert_edited_reads_as_openpyxl_reads_it(tmp_path):
    path = hurried_expert(our_sheet(tmp_path / "edited.xlsx"))
    assert_same(path)
    tabs = read_xlsx_tabs(path)
    assert [t.title for t in tabs] == [tabs[0].title, "Sheet1"]
    flat = {c.a1: c for row in tabs[0].cells for c in row}
    assert any(c.value == "7,5" for c in flat.values())  # raw values kept as typed
    assert any(c.formula == "=5+5" for c in flat.values())
    assert any(isinstance(c.value, datetime) for c in flat.values())


@pytest.mark.needs_libreoffice
@pytest.mark.needs_libreoffice_calc
def test_sheets_saved_again_by_libreoffice_read_as_openpyxl_reads_them(tmp_path):
    sources = tmp_path / "in"
    sources.mkdir()
    our_sheet(sources / "fresh.xlsx")
    hurried_expert(our_sheet(sources / "edited.xlsx"))
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    out = tmp_path / "out"
    subprocess.run(
        [exe, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--norestore"]
        + ["--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out)]
        + [str(p) for p in sorted(sources.iterdir())],
        check=True,
        capture_output=True,
        timeout=180,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    saved = sorted(out.glob("*.xlsx"))
    assert len(saved) == 2
    for path in saved:
        with zipfile.ZipFile(path) as z:
            assert b"LibreOffice" in z.read("docProps/app.xml")  # really LibreOffice's own writing
        assert_same(path)


# --- XML as other tools write it -----------------------------------------------------------------
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STYLES = (
    f'<styleSheet xmlns="{MAIN}"><numFmts count="2"><numFmt numFmtId="164" formatCode="dd\\.mm\\.yyyy"/>'
    '<numFmt numFmtId="165" formatCode="[h]:mm"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="1"><fill>'
    '<patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs><cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/>'
    '<xf numFmtId="2"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def handmade(path: Path, sheet_xml: str, *, strings: list[str] | None = None, date1904: bool = False, extra=()) -> Path:
    """A minimal package as Excel lays it out, with the given worksheet XML."""
    rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/>'
            + (f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>' if strings else "")
            + "</Types>"
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rels}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{rels}">'
            + ('<workbookPr date1904="1"/>' if date1904 else "")
            + '<sheets><sheet name="Бағалау" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rels}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rels}/styles" Target="/xl/styles.xml"/>'
            + (f'<Relationship Id="rId3" Type="{rels}/sharedStrings" Target="sharedStrings.xml"/>' if strings else "")
            + "</Relationships>"
        ),
        "xl/styles.xml": STYLES,
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{MAIN}" xmlns:r="{rels}"><sheetData>{sheet_xml}'
        + "</worksheet>",
    }
    if strings:
        parts["xl/sharedStrings.xml"] = f'<sst xmlns="{MAIN}">' + "".join(strings) + "</sst>"
    parts.update(dict(extra))
    with zipfile.ZipFile(path, "w") as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return path


CASES = {
    "inline and rich strings": '<row r="1"><c r="A1" t="inlineStr"><is><t>8</t></is></c>'
    '<c r="B1" t="inlineStr"><is><r><t>7</t></r><r><rPr><b/></rPr><t>,5</t></r></is></c>'
    '<c r="C1" t="inlineStr"/></row></sheetData>',
    "shared strings with runs and escapes": '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c>'
    '<c r="D2" t="s"><v>2</v></c></row></sheetData>',
    "cells and rows without numbers": '<row><c><v>1</v></c><c><v>2.5</v></c></row><row><c t="b"><v>1</v></c>'
    '<c r="E2"><v>1E3</v></c><c><v>-4</v></c></row></sheetData>',
    "shared formulas as Excel fills them down": '<row r="1"><c r="A1"><v>3</v></c><c r="B1"><f t="shared" ref="B1:B3" '
    'si="0">SUM(A1:A1)*2</f><v>6</v></c></row><row r="2"><c r="B2"><f t="shared" si="0"/><v>0</v></c></row>'
    '<row r="3"><c r="B3"><f t="shared" si="0"/></c><c r="C3" t="str"><f>"x"&amp;A1</f><v>x3</v></c>'
    '<c r="D3" t="e"><f>1/0</f><v>#DIV/0!</v></c></row></sheetData>',
    "dates, times and errors": '<row r="1"><c r="A1" s="1"><v>46000</v></c><c r="B1" s="2"><v>46000.5</v></c>'
    '<c r="C1" s="3"><v>1.25</v></c><c r="D1" t="d"><v>2027-03-01T12:00:00</v></c><c r="E1" t="e"><v>#N/A</v></c>'
    '<c r="F1" s="4"><v>7.50</v></c><c r="G1" s="1"><v></v></c><c r="H1" s="2"><v>99999999</v></c></row>'
    "</sheetData>",
    "merged cells, links and an empty row far below": '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row>'
    '<row r="9" ht="30" customHeight="1"/></sheetData><mergeCells count="1"><mergeCell ref="A1:C2"/></mergeCells>'
    '<hyperlinks><hyperlink ref="F4:G5" display="x"/></hyperlinks>',
    "an array formula (left to openpyxl)": '<row r="1"><c r="A1"><f t="array" ref="A1:A2">{1;2}</f><v>1</v></c></row>'
    "</sheetData>",
    "a cell style the stylesheet lacks (openpyxl refuses it)": '<row r="1"><c r="A1" s="9"><v>1</v></c></row>'
    "</sheetData>",
    "an empty sheet": "</sheetData>",
}
STRINGS = [
    "<si><t>8</t></si>",
    '<si><r><t xml:space="preserve">жақсы </t></r><r><rPr><i/></rPr><t>өте</t></r><rPh sb="0" eb="1"><t>x</t></rPh></si>',
    "<si><t>a_x005F_x000D_b</t></si>",
]


@pytest.mark.filterwarnings("ignore:Cell H1 is marked as a date")  # the date out of range: the case itself
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("date1904", [False, True])
def test_xml_as_other_tools_write_it_reads_as_openpyxl_reads_it(tmp_path, case, date1904):
    path = handmade(tmp_path / "sheet.xlsx", CASES[case], strings=STRINGS, date1904=date1904)
    plain = "array" not in case and "lacks" not in case
    assert_same(path, fast=plain)
    if not plain:
        with pytest.raises(xlsx_values.NotPlain):
            xlsx_values.read_book(str(path))


def test_a_note_outside_the_cells_makes_them_as_in_openpyxl(tmp_path):
    rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    comments = (
        f'<comments xmlns="{MAIN}"><authors><author>x</author></authors><commentList>'
        '<comment ref="H12" authorId="0"><text><t>note</t></text></comment></commentList></comments>'
    )
    sheet_rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rels}/comments" Target="../comments1.xml"/></Relationships>'
    )
    path = handmade(
        tmp_path / "noted.xlsx",
        '<row r="1"><c r="A1"><v>1</v></c></row></sheetData>',
        extra={"xl/comments1.xml": comments, "xl/worksheets/_rels/sheet1.xml.rels": sheet_rels},
    )
    assert_same(path)
    cells = read_xlsx_tabs(path)[0].cells
    assert (len(cells), len(cells[0])) == (12, 8)


def test_a_file_that_is_no_workbook_is_still_named_as_before(tmp_path):
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("[Content_Types].xml", "<Types")  # cut short
        z.writestr("xl/workbook.xml", "<workbook/>")
    assert_same(broken, fast=False)
    with pytest.raises(Unreadable, match="openpyxl cannot open"):
        read_xlsx_tabs(broken)


def _write(tabs, path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for tab in tabs:
        ws = wb.create_sheet(tab.title)
        for r, row in enumerate(tab.cells, start=1):
            for c, cell in enumerate(row, start=1):
                value = cell.formula or cell.value
                if isinstance(value, str):  # what no xlsx can hold, as Excel would refuse it
                    value = NOT_XML.sub("", value)
                try:
                    ws.cell(r, c).value = value
                except (IllegalCharacterError, ValueError):
                    ws.cell(r, c).value = repr(value)
    wb.save(path)
    return path


@given(edited_sheets(), st.lists(VALUES, max_size=5))
def test_randomly_edited_sheets_read_as_openpyxl_reads_them(tmp_path_factory, tabs, more):
    tabs[-1].cells.append([xlsx_values_cell(v) for v in more])
    path = _write(tabs, tmp_path_factory.mktemp("edited") / "sheet.xlsx")
    assert outcome(read_xlsx_tabs, path) == outcome(openpyxl_tabs, path)


def xlsx_values_cell(value):
    from pipelines.domain.models import ScoreCell

    return ScoreCell(value)
