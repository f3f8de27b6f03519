"""control.xlsx as a person reads it: each control table laid out (bold header, wrapped columns, rows
tall enough for their text, moments as dates that read back as the same ISO text, filters, print
setup), and a tab a person added copied as it was. Written by xlsx_writer (backends/xlsx_writer.py)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pipelines.backends.local import xlsx_writer
from pipelines.ports import TableLayout, text_lines

MOMENT_FORMAT = 'DD.MM.YYYY HH:MM" ({offset})"'  # the offset kept in the format: read back exactly
OFFSET_IN_FORMAT = re.compile(r'" \(([+-]\d\d:\d\d)\)"$')


def _as_moment(value: Any) -> tuple[datetime, str] | None:
    """An ISO 8601 moment with its UTC offset, as the tables hold them, becomes a date cell a person
    can sort and filter: returned as the local time and the number format that keeps the offset, so
    `moment_text` gives back the very same text. Anything else (a time the form left unreadable, a
    naive one) stays as it is, and None is returned."""
    if not isinstance(value, str) or len(value) < 25 or value[-6] not in "+-":
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None or moment.microsecond or moment.isoformat(timespec="seconds") != value:
        return None
    return moment.replace(tzinfo=None), MOMENT_FORMAT.format(offset=value[-6:])


WRAP_TOP = xlsx_writer.Style(wrap=True, vertical="top")
TOP = xlsx_writer.Style(vertical="top")  # beside a tall wrapped cell, at its top
HEADER, HEADER_TOP = (
    xlsx_writer.Style(bold=True, wrap=True, vertical="top"),
    xlsx_writer.Style(bold=True, vertical="top"),
)


def moment_text(cell) -> Any:
    """A cell's value as the tables hold it: a date cell written by `_as_moment` as its ISO text."""
    value = cell.value
    if isinstance(value, datetime):
        found = OFFSET_IN_FORMAT.search(cell.number_format or "")
        if found:
            return value.replace(microsecond=0).isoformat(timespec="seconds") + found.group(1)
    return value


def render_table(sheet: xlsx_writer.Sheet, rows: list[list[Any]], layout: TableLayout | None) -> None:
    """A control table as a person reads it: a bold header, every cell of a laid-out table at the
    top of its row, the wrapped columns wrapped and each row tall enough to show all of its text,
    moments as dates, the layout's widths, hidden and frozen columns, a filter, the print setup."""
    index = sheet.styles.index
    if layout is None:
        sheet.add_row(rows[0], [index(xlsx_writer.Style(bold=True))] * len(rows[0]))
        for row in rows[1:]:
            sheet.add_row(row)
        sheet.freeze = "A2"
        return
    columns = len(layout.widths)
    hidden, dates = set(layout.hidden), set(layout.dates)
    wrapped = [c for c in layout.wrapped if c not in hidden and c not in dates and c < columns]
    chars = {c: max(layout.widths[c] * 1.1 - 2, 1) for c in range(columns)}
    header = [*rows[0], *[None] * (columns - len(rows[0]))]
    header_styles = [
        index((HEADER_TOP if c in hidden else HEADER) if c < len(rows[0]) else TOP if c in hidden else WRAP_TOP)
        if c < columns
        else index(xlsx_writer.Style(bold=True))
        for c in range(len(header))
    ]
    sheet.add_row(header, header_styles, _height(header, [c for c in range(columns) if c not in hidden], chars))
    styles = [0 if c in dates else index(WRAP_TOP if c in wrapped else TOP) for c in range(columns)]
    moments: dict[str, int] = {}  # a number format -> its style
    for row in rows[1:]:
        if len(row) < columns:
            row = [*row, *[None] * (columns - len(row))]
        cell_styles = styles
        for c in dates:
            made = _as_moment(row[c]) if c < len(row) else None
            if made:
                if cell_styles is styles:
                    row, cell_styles = list(row), list(styles)
                row[c], number_format = made
                found = moments.get(number_format)
                if found is None:
                    style = xlsx_writer.Style(vertical="top", horizontal="left", number_format=number_format)
                    found = moments[number_format] = index(style)
                cell_styles[c] = found
        sheet.add_row(row, cell_styles, _height(row, wrapped, chars))
    sheet.widths = {c + 1: w for c, w in enumerate(layout.widths)}
    sheet.hidden = {c + 1 for c in layout.hidden}
    sheet.freeze = f"{get_column_letter(layout.frozen_columns + 1)}2"
    sheet.auto_filter = f"A1:{get_column_letter(max(len(rows[0]), 1))}{max(len(rows), 1)}"
    if layout.landscape:
        sheet.landscape, sheet.paper_size, sheet.fit_width, sheet.fit_height = True, 9, 1, 0  # A4, one page wide
        sheet.print_title_rows = "1:1"


def _height(row: list[Any], wrapped: list[int], chars: dict[int, float]) -> float | None:
    """The height that shows every line of the row's wrapped cells (at most 30: a long JSON stays
    readable); None for one line."""
    need = 1
    for c in wrapped:
        value = row[c] if c < len(row) else None
        if value not in (None, ""):
            value = str(value)
            if len(value) > chars[c] or "\n" in value:  # else one line
                need = max(need, text_lines(value, chars[c]))
    return min(need, 30) * 15 + 2 if need > 1 else None


def copy_sheet(sheet: xlsx_writer.Sheet, ws: Worksheet) -> None:
    """A tab read from the file and not written since (the journal, a tab a person added) as it
    was: values and formulas, bold, wrapping, alignment and number formats, widths, hidden columns,
    heights, frozen panes, the filter and the print setup. Fills, borders, comments and merged
    cells are not kept (control.xlsx has none of its own)."""
    styles: dict[Any, int] = {}  # openpyxl's style of a cell -> the writer's
    for r, cells in enumerate(ws.iter_rows(), start=1):
        values, indices = [], []
        for cell in cells:
            value = cell.value
            if cell.data_type == "f":
                value = xlsx_writer.Formula(str(getattr(value, "text", value) or "").removeprefix("="))
            key = tuple(cell._style) if cell.has_style else None
            found = styles.get(key)
            if found is None:
                found = styles[key] = sheet.styles.index(_style_of(cell)) if key else 0
            values.append(value)
            indices.append(found)
        dim = ws.row_dimensions.get(r)
        sheet.add_row(values, indices, dim.height if dim is not None and dim.customHeight else None)
    for dim in ws.column_dimensions.values():
        for c in range(dim.min or 1, (dim.max or dim.min or 1) + 1):
            if dim.customWidth and dim.width:
                sheet.widths[c] = dim.width
            if dim.hidden:
                sheet.hidden.add(c)
    sheet.freeze = ws.freeze_panes
    sheet.auto_filter = ws.auto_filter.ref or None
    setup = ws.page_setup
    sheet.landscape = setup.orientation == "landscape"
    sheet.paper_size = int(setup.paperSize) if setup.paperSize else None
    if ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage:
        sheet.fit_width, sheet.fit_height = setup.fitToWidth, setup.fitToHeight
    sheet.print_title_rows = ws.print_title_rows


def _style_of(cell) -> xlsx_writer.Style:
    align, number_format = cell.alignment, cell.number_format
    return xlsx_writer.Style(
        bold=bool(cell.font.b),
        wrap=bool(align.wrap_text),
        vertical=align.vertical,
        horizontal=align.horizontal if align.horizontal != "general" else None,
        number_format=None if number_format == "General" else number_format,
    )
