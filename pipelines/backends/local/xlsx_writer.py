"""A small .xlsx writer: sheets streamed row by row as SpreadsheetML text, styles shared.

Kept instead of XlsxWriter: 3.6x faster on the 10,000-row registry (0.38 s against 1.38 s), which
holds the 10,000-row intake under its 2 s target (docs/performance/libraries.md).

openpyxl builds an object per cell, binds and styles it, then lxml serialises each one: for the
10,000-row registry (239,000 cells) that was most of an intake. Here a row becomes one string as it
is added, a style is registered once and named by its index, and the package is zipped with fixed
timestamps (the same workbook always gives the same bytes). What it writes is what control.xlsx
needs and openpyxl, Excel and LibreOffice read back: text (always as text: "=SUM(A1)" stays
text), numbers, booleans, dates and datetimes (a serial number with a date format), formulas
(`Formula`), bold headers, wrapping and alignment, number formats, column widths and hidden
columns, row heights, frozen panes, an auto filter, landscape / fit-to-width printing with repeated
title rows, and custom document properties.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from io import BytesIO
from typing import Any

from openpyxl.styles.numbers import BUILTIN_FORMATS_REVERSE
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.datetime import to_excel

from pipelines.formats.cells import UNSTORABLE

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
APPLICATION = "contest"  # docProps/app.xml: who wrote the file (Excel and LibreOffice put their own name)


DEFAULT_FORMATS = ((datetime, "yyyy-mm-dd h:mm:ss"), (date, "yyyy-mm-dd"), (time, "h:mm:ss"), (timedelta, "[h]:mm:ss"))
# (openpyxl's own, so that it reads them back as the same type)


class Formula(str):
    """A cell's formula, without the leading '=' ("SUM(A1:A3)"); any other str is written as text."""


@dataclass(frozen=True)
class Style:
    """What a cell may look like here: bold, wrapped, aligned, a number format."""

    bold: bool = False
    wrap: bool = False
    vertical: str | None = None  # "top", "center", "bottom"
    horizontal: str | None = None  # "left", "center", "right", …
    number_format: str | None = None  # None: General


def text(value: str) -> str:
    """`value` as XML character data: markup escaped, a carriage return kept (a parser would turn a
    bare one into a newline), characters XML cannot hold at all dropped."""
    printable = value.isprintable()  # printable: no control character, surrogate or non-character
    if not printable:
        value = UNSTORABLE.sub("", value)
    if "&" in value or "<" in value or ">" in value:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if not printable and "\r" in value:
        value = value.replace("\r", "&#13;")
    return value


def attr(value: str) -> str:
    return text(value).replace('"', "&quot;")


_LETTERS: list[str] = []
_PRESERVE = ' xml:space="preserve"'
_S = [f' s="{s}"' if s else "" for s in range(1024)]  # a cell's style attribute, made once


def _style_attr(s: int) -> str:
    return f' s="{s}"' if s else ""


def letter(column: int) -> str:
    """A 1-based column's letters (1 -> "A"), remembered."""
    return _letters(column)[column - 1]


def _letters(columns: int) -> list[str]:
    """The letters of columns 1 .. `columns` (and maybe more)."""
    while len(_LETTERS) < columns:
        _LETTERS.append(get_column_letter(len(_LETTERS) + 1))
    return _LETTERS


class Styles:
    """The workbook's cell styles (cellXfs), each registered once: `index(style)` is what a cell's
    s="…" names. Index 0 is the default style."""

    def __init__(self) -> None:
        self._index: dict[Style, int] = {Style(): 0}
        self._formats: dict[str, int] = {}  # custom number formats, ids from 164

    def index(self, style: Style | None) -> int:
        if style is None:
            return 0
        found = self._index.get(style)
        if found is None:
            found = self._index[style] = len(self._index)
            if style.number_format and style.number_format not in BUILTIN_FORMATS_REVERSE:
                self._formats.setdefault(style.number_format, 164 + len(self._formats))
        return found

    def _format_id(self, style: Style) -> int:
        code = style.number_format
        if not code:
            return 0
        return BUILTIN_FORMATS_REVERSE.get(code) or self._formats[code]

    def xml(self) -> str:
        formats = "".join(f'<numFmt numFmtId="{i}" formatCode="{attr(code)}"/>' for code, i in self._formats.items())
        font = '<sz val="11"/><name val="Calibri"/><family val="2"/>'
        xfs = []
        for style in self._index:
            fmt = self._format_id(style)
            parts = [f'<xf numFmtId="{fmt}" fontId="{int(style.bold)}" fillId="0" borderId="0" xfId="0"']
            if fmt:
                parts.append(' applyNumberFormat="1"')
            if style.bold:
                parts.append(' applyFont="1"')
            align = _attributes(
                ("horizontal", style.horizontal or None),
                ("vertical", style.vertical or None),
                ("wrapText", "1" if style.wrap else None),
            )
            parts.append(f' applyAlignment="1"><alignment{align}/></xf>' if align else "/>")
            xfs.append("".join(parts))
        return (
            f'{HEAD}<styleSheet xmlns="{MAIN}">'
            + (f'<numFmts count="{len(self._formats)}">{formats}</numFmts>' if formats else "")
            + f'<fonts count="2"><font>{font}</font><font><b/>{font}</font></fonts>'
            + '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            + '<fill><patternFill patternType="gray125"/></fill></fills>'
            + '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            + '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            + f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            + '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            + "</styleSheet>"
        )


@dataclass
class Sheet:
    """One worksheet: rows added in order (`add_row`), and how it is shown and printed."""

    name: str
    widths: dict[int, float] = field(default_factory=dict)  # 1-based column -> width (characters)
    hidden: set[int] = field(default_factory=set)  # 1-based columns
    freeze: str | None = None  # the first cell that scrolls ("B2": row 1 and column A stay)
    auto_filter: str | None = None  # "A1:X10"
    landscape: bool = False
    paper_size: int | None = None  # 9: A4
    fit_width: int | None = None  # pages wide (with fit_height: pages long, 0 = as many as needed)
    fit_height: int | None = None
    print_title_rows: str | None = None  # "1:1": repeated on every printed page
    styles: Styles = field(default_factory=lambda: Styles(), repr=False)  # the book's
    _rows: list[str] = field(default_factory=list, repr=False)
    _columns: int = 0

    def add_row(self, values: list[Any], styles: list[int] | None = None, height: float | None = None) -> None:
        """The next row: `values[i]` in column i + 1 with style index `styles[i]` (Styles.index); a
        None value with a style is an empty styled cell, a None without one no cell at all."""
        r = len(self._rows) + 1
        n = len(values)
        if styles is None or len(styles) < n:
            styles = [*(styles or ()), *[0] * (n - len(styles or ()))]
        letters = _letters(n)
        cells = []
        for col, value, s in zip(letters, values, styles):
            if value.__class__ is str:  # most cells: text, written inline (never a formula)
                if value:
                    space = _PRESERVE if value != value.strip() else ""  # else Excel drops outer spaces
                    if not value.isprintable() or "&" in value or "<" in value or ">" in value:
                        value = text(value)
                    cells.append(
                        f'<c r="{col}{r}"{_S[s] if s < 1024 else _style_attr(s)} t="inlineStr">'
                        f"<is><t{space}>{value}</t></is></c>"
                    )
                    continue
            elif value is not None:
                if not s and isinstance(
                    value, datetime | date | time | timedelta
                ):  # a date needs a date format to read as one
                    s = self.styles.index(
                        Style(number_format=next(f for t, f in DEFAULT_FORMATS if isinstance(value, t)))
                    )
                cells.append(_cell(f'r="{col}{r}" s="{s}"' if s else f'r="{col}{r}"', value, f"{col}{r}", self.name))
                continue
            if s:  # an empty cell that keeps its style (a person typing into it sees it)
                cells.append(f'<c r="{col}{r}" s="{s}"/>')
        if n > self._columns:
            self._columns = n
        row = f'<row r="{r}" ht="{height:g}" customHeight="1">' if height else f'<row r="{r}">'
        self._rows.append(row + "".join(cells) + "</row>")

    def xml(self) -> str:
        return "".join(self.chunks())

    def chunks(self, rows_a_chunk: int = 2000) -> Iterator[str]:
        """The worksheet's XML in pieces (a 10,000-row sheet is not joined into one string)."""
        n, width = len(self._rows), max(self._columns, 1)
        parts = [f'{HEAD}<worksheet xmlns="{MAIN}" xmlns:r="{REL}">']
        if self.fit_width is not None or self.fit_height is not None:
            parts.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
        parts.append(f'<dimension ref="A1:{letter(width)}{max(n, 1)}"/>')
        parts.append(f'<sheetViews><sheetView workbookViewId="0">{_pane(self.freeze)}</sheetView></sheetViews>')
        parts.append('<sheetFormatPr defaultRowHeight="15"/>')
        columns = sorted(set(self.widths) | self.hidden)
        if columns:
            cols = []
            for c in columns:
                col = f'<col min="{c}" max="{c}"'
                if c in self.widths:
                    col += f' width="{self.widths[c]:g}" customWidth="1"'
                cols.append(col + (' hidden="1"/>' if c in self.hidden else "/>"))
            parts.append(f"<cols>{''.join(cols)}</cols>")
        parts.append("<sheetData>")
        yield "".join(parts)
        for i in range(0, n, rows_a_chunk):
            yield "".join(self._rows[i : i + rows_a_chunk])
        parts = ["</sheetData>"]
        if self.auto_filter:
            parts.append(f'<autoFilter ref="{self.auto_filter}"/>')
        parts.append('<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>')
        setup = _attributes(
            ("paperSize", self.paper_size),
            ("fitToWidth", self.fit_width),
            ("fitToHeight", self.fit_height),
            ("orientation", "landscape" if self.landscape else None),
        )
        if setup:
            parts.append(f"<pageSetup{setup}/>")
        parts.append("</worksheet>")
        yield "".join(parts)


def _attributes(*pairs: tuple[str, object]) -> str:
    """' name="value"' for each pair whose value is not None."""
    return "".join(f' {name}="{value}"' for name, value in pairs if value is not None)


def _pane(freeze: str | None) -> str:
    if not freeze or freeze == "A1":
        return ""
    found = re.fullmatch(r"([A-Z]+)(\d+)", freeze)
    if found is None:
        raise ValueError(f"frozen panes: {freeze!r} is not a cell reference")
    from openpyxl.utils import column_index_from_string

    x, y = column_index_from_string(found.group(1)) - 1, int(found.group(2)) - 1
    where = "bottomRight" if x and y else "topRight" if x else "bottomLeft"
    split = (f' xSplit="{x}"' if x else "") + (f' ySplit="{y}"' if y else "")
    return (
        f'<pane{split} topLeftCell="{freeze}" activePane="{where}" state="frozen"/>'
        f'<selection pane="{where}" activeCell="{freeze}" sqref="{freeze}"/>'
    )


def _cell(ref: str, value: Any, where: str, sheet: str) -> str:
    if isinstance(value, str):
        if isinstance(value, Formula):
            return f"<c {ref}><f>{text(value)}</f></c>"
        space = _PRESERVE if value != value.strip() else ""
        return f'<c {ref} t="inlineStr"><is><t{space}>{text(value)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c {ref} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f"<c {ref}><v>{value}</v></c>"
    if isinstance(value, float):
        if math.isfinite(value):
            return f"<c {ref}><v>{value!r}</v></c>"
        return _cell(ref, str(value), where, sheet)  # a spreadsheet has no infinity: kept as its text
    if isinstance(value, datetime | date | time | timedelta):
        if getattr(value, "tzinfo", None) is not None:
            raise ValueError(f"{sheet}!{where}: a time with a UTC offset cannot be a date cell ({value})")
        return f"<c {ref}><v>{to_excel(value)!r}</v></c>"
    raise ValueError(f"{sheet}!{where}: cannot write a {type(value).__name__} into a cell ({value!r})")


class Book:
    """A workbook being written: `add_sheet`, style indices from `styles`, then `to_bytes`."""

    def __init__(self) -> None:
        self.sheets: list[Sheet] = []
        self.styles = Styles()
        self.properties: dict[str, int | float | bool | str] = {}  # docProps/custom.xml

    def add_sheet(self, name: str) -> Sheet:
        if not name or len(name) > 31 or any(ch in name for ch in "[]:*?/\\"):
            raise ValueError(f"{name!r}: not a worksheet name (1-31 characters, none of []:*?/\\)")
        if any(s.name.lower() == name.lower() for s in self.sheets):
            raise ValueError(f"{name!r}: two worksheets of that name")
        sheet = Sheet(name, styles=self.styles)
        self.sheets.append(sheet)
        return sheet

    def to_bytes(self, compresslevel: int = 1) -> bytes:
        out = BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as zf:
            for name, data in self._parts():
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # the same bytes every time
                info.compress_type = zipfile.ZIP_DEFLATED
                with zf.open(info, "w") as part:
                    for chunk in [data] if isinstance(data, str) else data:
                        part.write(chunk.encode("utf-8"))
        return out.getvalue()

    def _parts(self) -> list[tuple[str, str | Iterator[str]]]:
        sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
        office = "application/vnd.openxmlformats-officedocument"
        overrides = [
            ("/xl/workbook.xml", f"{office}.spreadsheetml.sheet.main+xml"),
            ("/xl/styles.xml", f"{office}.spreadsheetml.styles+xml"),
            ("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
            ("/docProps/app.xml", f"{office}.extended-properties+xml"),
            *((f"/xl/worksheets/sheet{i}.xml", sheet_type) for i in range(1, len(self.sheets) + 1)),
        ]
        if self.properties:
            overrides.append(("/docProps/custom.xml", f"{office}.custom-properties+xml"))
        types = (
            f'{HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>'
            + "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides)
            + "</Types>"
        )
        rels = [
            (f"{REL}/officeDocument", "xl/workbook.xml"),
            (f"{PKG_REL}/metadata/core-properties", "docProps/core.xml"),
            (f"{REL}/extended-properties", "docProps/app.xml"),
        ]
        if self.properties:
            rels.append((f"{REL}/custom-properties", "docProps/custom.xml"))
        sheet_rels = [(f"{REL}/worksheet", f"worksheets/sheet{i}.xml") for i in range(1, len(self.sheets) + 1)]
        parts: list[tuple[str, str | Iterator[str]]] = [
            ("[Content_Types].xml", types),
            ("_rels/.rels", _relationships(rels)),
            ("docProps/app.xml", self._app()),
            ("docProps/core.xml", self._core()),
            ("xl/workbook.xml", self._workbook()),
            ("xl/_rels/workbook.xml.rels", _relationships([*sheet_rels, (f"{REL}/styles", "styles.xml")])),
        ]
        parts += [(f"xl/worksheets/sheet{i}.xml", s.chunks()) for i, s in enumerate(self.sheets, start=1)]
        parts.append(("xl/styles.xml", self.styles.xml()))  # every style is registered as its rows are added
        if self.properties:
            parts.append(("docProps/custom.xml", self._custom()))
        return parts

    def _workbook(self) -> str:
        sheets = "".join(
            f'<sheet name="{attr(s.name)}" sheetId="{i}" r:id="rId{i}"/>' for i, s in enumerate(self.sheets, start=1)
        )
        names = "".join(
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
            f"{text(quote_sheetname(s.name))}!{_absolute_rows(s.print_title_rows)}</definedName>"
            for i, s in enumerate(self.sheets)
            if s.print_title_rows
        )
        return (
            f'{HEAD}<workbook xmlns="{MAIN}" xmlns:r="{REL}"><bookViews><workbookView/></bookViews>'
            f"<sheets>{sheets}</sheets>" + (f"<definedNames>{names}</definedNames>" if names else "") + "</workbook>"
        )

    @staticmethod
    def _app() -> str:
        return (
            f'{HEAD}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            f"<Application>{APPLICATION}</Application></Properties>"
        )

    @staticmethod
    def _core() -> str:
        return (
            f"{HEAD}<cp:coreProperties"
            ' xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<dc:creator>{APPLICATION}</dc:creator></cp:coreProperties>"
        )

    def _custom(self) -> str:
        props = []
        for pid, (name, value) in enumerate(self.properties.items(), start=2):  # pid 2 is the first one allowed
            if isinstance(value, bool):
                typed = f"<vt:bool>{str(value).lower()}</vt:bool>"
            elif isinstance(value, int):
                typed = f"<vt:i4>{value}</vt:i4>" if -(2**31) <= value < 2**31 else f"<vt:lpwstr>{value}</vt:lpwstr>"
            elif isinstance(value, float):
                typed = f"<vt:r8>{value!r}</vt:r8>"
            else:
                typed = f"<vt:lpwstr>{text(str(value))}</vt:lpwstr>"
            props.append(
                f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{pid}" name="{attr(name)}">'
                f"{typed}</property>"
            )
        return (
            f'{HEAD}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"'
            ' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
            + "".join(props)
            + "</Properties>"
        )


def _absolute_rows(rows: str) -> str:
    """ "1:1" -> "$1:$1" (a print title is an absolute reference)."""
    return ":".join("$" + part.lstrip("$") for part in rows.split(":"))


def _relationships(targets: list[tuple[str, str]]) -> str:
    return (
        f'{HEAD}<Relationships xmlns="{PKG_REL}">'
        + "".join(f'<Relationship Id="rId{i}" Type="{t}" Target="{p}"/>' for i, (t, p) in enumerate(targets, start=1))
        + "</Relationships>"
    )
