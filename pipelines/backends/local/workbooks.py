"""Rating-sheet workbooks: a SheetGrid rendered as a protected .xlsx, and any .xlsx read back cell by
cell (formulas kept as text), or named for what it is when it is not a workbook openpyxl reads."""

from __future__ import annotations

import zipfile
from copy import copy
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula

from pipelines.backends.local import xlsx_values
from pipelines.backends.local.files import set_text, workbook_bytes
from pipelines.domain.models import ScoreCell
from pipelines.formats import printing
from pipelines.ports import SheetGrid, SheetTab, Unreadable

EDITABLE_FILL = PatternFill("solid", fgColor="FFF2CC")  # the yellow the instructions mention
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FONT_PT = 11  # openpyxl's default font (Calibri 11): every cell of a grid is written in it
MARGIN_IN = 0.4  # left and right print margins


def render_xlsx(grid: SheetGrid) -> bytes:
    """The grid as a protected workbook: only editable cells unlocked, whole numbers validated,
    with the grid's notes, links, merges, row heights, frozen panes and print setup."""
    wb = Workbook()
    ws = wb.active
    ws.title = grid.title[:31]
    validations: dict[tuple[Any, ...], DataValidation] = {}
    looks: dict[tuple[Any, ...], Any] = {}  # a cell's look -> its style, made once per workbook
    for r, row in enumerate(grid.rows, start=1):
        for c, cell in enumerate(row, start=1):
            target = ws.cell(r, c)
            if cell.formula:
                target.value = cell.formula
            else:
                set_text(target, cell.value)
            if cell.hyperlink:
                target.hyperlink = cell.hyperlink
            look: tuple[Any, ...] = (cell.bold, bool(cell.hyperlink), bool(cell.wrap or cell.editable))
            look += (cell.centered, cell.boxed, cell.editable)
            made = looks.get(look)
            if made is not None:  # the style of the first cell that looked so (openpyxl hashes each new one)
                target._style = copy(made)
            else:
                font: dict[str, Any] = {"bold": True} if cell.bold else {}
                if cell.hyperlink:
                    font.update(color="0563C1", underline="single")
                if font:
                    target.font = Font(**font)
                target.alignment = Alignment(
                    wrap_text=cell.wrap or cell.editable, vertical="top", horizontal="center" if cell.centered else None
                )
                if cell.boxed:
                    target.border = BOX
                if cell.editable:
                    target.protection = Protection(locked=False)
                    target.fill = EDITABLE_FILL
                looks[look] = copy(target._style)
            if cell.note:
                comment = Comment(cell.note, "contest")
                comment.width, comment.height = 320, 40 + 18 * (cell.note.count("\n") + len(cell.note) // 45)
                target.comment = comment
            if cell.span > 1:
                ws.merge_cells(start_row=r, start_column=c, end_row=r, end_column=c + cell.span - 1)
            if cell.validation:
                rule = (cell.validation, cell.prompt, cell.error)
                dv = validations.get(rule)
                if dv is None:
                    low, high = cell.validation
                    dv = DataValidation(
                        type="whole",
                        operator="between",
                        formula1=str(low),
                        formula2=str(high),
                        allow_blank=True,
                        showErrorMessage=True,
                        error=cell.error[:255] or None,
                        showInputMessage=bool(cell.prompt),
                        prompt=cell.prompt[:255] or None,
                    )
                    validations[rule] = dv
                    ws.add_data_validation(dv)
                dv.add(target.coordinate)
    for c, width in enumerate(grid.column_widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    for c in grid.hidden_columns:
        ws.column_dimensions[get_column_letter(c + 1)].hidden = True
    for r, height in grid.row_heights.items():
        ws.row_dimensions[r + 1].height = height
    if grid.frozen_rows or grid.frozen_columns:
        ws.freeze_panes = f"{get_column_letter(grid.frozen_columns + 1)}{grid.frozen_rows + 1}"
    if grid.landscape:
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_margins.left = ws.page_margins.right = MARGIN_IN
        fit = printing.fit(grid.column_widths, grid.hidden_columns, FONT_PT, MARGIN_IN)
        if fit.scale is None:  # one page wide, as many long as needed: the type stays readable
            ws.sheet_properties.pageSetUpPr.fitToPage = True
            ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        else:  # fitted to one page it would print below 8 pt: a fixed scale, two pages wide
            ws.sheet_properties.pageSetUpPr.fitToPage = False
            ws.page_setup.scale = fit.scale
    if grid.repeat_rows:
        ws.print_title_rows = f"{grid.repeat_rows[0] + 1}:{grid.repeat_rows[1] + 1}"
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # experts may widen columns to read long titles
    ws.protection.formatRows = False  # and make a row taller
    wb.security = WorkbookProtection(lockStructure=True)  # no tab added before, renamed or removed
    return workbook_bytes(wb)


def sniff(path: Path) -> str | None:
    """What a file that should be an .xlsx workbook is when openpyxl cannot read it as one; None
    when it looks like a workbook."""
    size = path.stat().st_size
    if size == 0:
        return "an empty file (0 bytes)"
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "a password-protected workbook (or an old .xls): save it again without a password, as .xlsx"
    if not head.startswith(b"PK"):
        return "a text file (CSV or similar), not a workbook"
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "mimetype" in names and b"opendocument" in z.read("mimetype"):
                return "an OpenDocument spreadsheet (.ods): save it as Excel Workbook (.xlsx)"
            if "xl/workbook.xml" in names and b"purl.oclc.org/ooxml" in z.read("xl/workbook.xml"):
                return "a Strict Open XML workbook: save it as Excel Workbook (.xlsx), not Strict"
            if "xl/workbook.xml" not in names:
                return "a zip file that is not an .xlsx workbook"
    except zipfile.BadZipFile:
        return "a damaged zip file, not a workbook"
    return None


def read_xlsx_tabs(path: Path) -> list[SheetTab]:
    """Every tab, every cell with its typed value; formulas kept as text (cached value where Excel
    left one). A file that is not a readable workbook is `Unreadable`, saying what it is.

    Read from the file's XML (xlsx_values, the same cells openpyxl gives, a tenth of the time);
    what that reader leaves aside, or cannot parse, is read by openpyxl, which names the problem."""
    found = sniff(path)
    if found is None:
        try:
            return _tabs_of(xlsx_values.read_book(str(path)))
        except Exception:  # NotPlain, or a damaged part: openpyxl's full read decides and says why
            pass
    return openpyxl_tabs(path, found)


def openpyxl_tabs(path: Path, found: str | None = None) -> list[SheetTab]:
    """read_xlsx_tabs through openpyxl's full read (twice: the second for formulas' cached values)."""
    if found is None:
        try:
            wb = load_workbook(path)
            cached = load_workbook(path, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            found = f"a workbook openpyxl cannot open ({type(exc).__name__}: {exc})"
    if found is not None:
        raise Unreadable(f"{path}: the rating sheet cannot be read: it is {found}", found=found)
    tabs = []
    for ws, wv in zip(wb.worksheets, cached.worksheets):
        grid = []
        for row, vrow in zip(ws.iter_rows(), wv.iter_rows()):
            out = []
            for cell, vcell in zip(row, vrow):
                is_formula = cell.data_type == "f" or (
                    isinstance(cell.value, str) and cell.value.startswith("=") and cell.data_type != "s"
                )
                if is_formula:  # an array formula's text, not the object's repr
                    text = cell.value.text if isinstance(cell.value, ArrayFormula) else cell.value
                    out.append(ScoreCell(vcell.value, str(text), cell.coordinate))
                else:
                    out.append(ScoreCell(cell.value, None, cell.coordinate))
            grid.append(out)
        tabs.append(SheetTab(ws.title, grid))
    return tabs


def _tabs_of(book: xlsx_values.Book) -> list[SheetTab]:
    """The tabs as read_xlsx_tabs gives them: a formula as its text with its cached value."""
    tabs = []
    for tab in book.tabs:
        grid = []
        for r, row in enumerate(tab.grid(), start=1):
            out = []
            for c, cell in enumerate(row, start=1):
                where = xlsx_values.coordinate(r, c)
                value = cell.value
                if cell.data_type == "f" or (
                    isinstance(value, str) and value.startswith("=") and cell.data_type != "s"
                ):
                    out.append(ScoreCell(cell.cached, str(value), where))
                else:
                    out.append(ScoreCell(value, None, where))
            grid.append(out)
        tabs.append(SheetTab(tab.title, grid))
    return tabs
