"""The cells of an .xlsx workbook read straight from its XML, as openpyxl's full read gives them.

Kept beside openpyxl because no library reads a cell's formula and its cached value in one pass.

openpyxl builds a whole workbook (styles, cell objects, validations, print setup) to hand back a
few hundred values; a rating sheet took about 30 ms that way, twice (once more for the cached values
of formulas), and a tick reads every open sheet. This reader parses only the parts that decide what
a cell holds: the workbook's tab list, the shared strings, the number formats of the cell styles
(a number in a date style is a date), each worksheet's cells, merged ranges, hyperlinks and comments
(they make cells, so they decide the grid's extent, as in openpyxl).

Each cell comes back as openpyxl would give it, through the same rules (parse_cell in
openpyxl/worksheet/_reader.py, 3.1): the value as read with formulas ("=…", the shared ones
translated to the cell) and the cached value a `data_only` read gives, its data type and its number
format. Anything this reader does not handle the same way (an array or data-table formula, a
workbook found elsewhere than xl/workbook.xml, a row number that is not a number) raises `NotPlain`:
the caller then reads the file with openpyxl as before. tests/backends/test_xlsx_values.py compares
the two on files as Excel, LibreOffice and hurried experts leave them.
"""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from xml.etree.ElementTree import Element, fromstring

from openpyxl.formula.translate import Translator
from openpyxl.styles.numbers import BUILTIN_FORMATS_REVERSE, builtin_format_code, is_date_format, is_timedelta_format
from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter, range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
DOC_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CONTENT_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
}
SHARED_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
COMMENTS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments"


class NotPlain(Exception):
    """The workbook has something this reader leaves to openpyxl."""


@dataclass(slots=True)
class Cell:
    value: Any  # as openpyxl reads it: a formula as "=…"
    data_type: str  # openpyxl's: n s b d e f
    cached: Any  # as a data_only read gives it: a formula's last computed value
    number_format: str | None = None


EMPTY = Cell(None, "n", None)


@dataclass
class Tab:
    title: str
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    extent: set[tuple[int, int]] = field(default_factory=set)  # every cell openpyxl would make

    def grid(self) -> list[list[Cell]]:
        """Row by row from A1 to the last row and column openpyxl would hold (ws.iter_rows())."""
        keys = self.extent
        if not keys:
            return []  # openpyxl's iter_rows() of a sheet without cells: no row at all
        rows = max((r for r, _ in keys), default=1)
        cols = max((c for _, c in keys), default=1)
        get = self.cells.get
        return [[get((r, c), EMPTY) for c in range(1, cols + 1)] for r in range(1, rows + 1)]


@dataclass
class Book:
    tabs: list[Tab]


@lru_cache(maxsize=65536)
def coordinate(row: int, col: int) -> str:
    return f"{get_column_letter(col)}{row}"


_position = lru_cache(maxsize=65536)(coordinate_to_tuple)  # every sheet of an edition has the same cells


def _rels(z: zipfile.ZipFile, names: set[str], part: str) -> dict[str, tuple[str, str, str]]:
    """id -> (type, target as a package path, mode) of a part's relationships."""
    folder = posixpath.dirname(part)
    path = posixpath.join(folder, "_rels", posixpath.basename(part) + ".rels")
    if path not in names:
        return {}
    out = {}
    for r in fromstring(z.read(path)):
        if r.tag != f"{PKG_REL}Relationship":
            continue
        target, mode = r.get("Target", ""), r.get("TargetMode", "")
        if mode != "External":
            target = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[r.get("Id", "")] = (r.get("Type", ""), target, mode)
    return out


def _text(node: Element) -> str:
    """openpyxl's Text.content: the plain `t` (the last one) and each run's `t`."""
    plain = None
    runs = []
    for child in node:
        if child.tag == f"{MAIN}t":
            plain = child.text
        elif child.tag == f"{MAIN}r":
            t = None
            for part in child:
                if part.tag == f"{MAIN}t":
                    t = part.text
            if t is not None:
                runs.append(t)
    return "".join(([plain] if plain is not None else []) + runs)


def _styles(z: zipfile.ZipFile, names: set[str]) -> list[str | None]:
    """Each cell style's number format code (openpyxl: custom ids rebased, builtins by index)."""
    if "xl/styles.xml" not in names:
        return ["General"]
    root = fromstring(z.read("xl/styles.xml"))
    custom: dict[int, str] = {}
    fmts = root.find(f"{MAIN}numFmts")
    if fmts is not None:
        for f in fmts.findall(f"{MAIN}numFmt"):
            custom[int(f.get("numFmtId", "0"))] = f.get("formatCode", "")
    xfs = root.find(f"{MAIN}cellXfs")
    if xfs is None:
        return ["General"]
    out: list[str | None] = []
    for xf in xfs.findall(f"{MAIN}xf"):
        fid = int(xf.get("numFmtId", "0"))
        if fid in custom:
            code = custom[fid]
            out.append(builtin_format_code(BUILTIN_FORMATS_REVERSE[code]) if code in BUILTIN_FORMATS_REVERSE else code)
        else:
            out.append(builtin_format_code(fid))
    return out or ["General"]


def _number(text: str) -> int | float:
    """openpyxl's _cast_number."""
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


def read_book(data: bytes | str) -> Book:
    """Every worksheet of the workbook (a path or its bytes), in tab order. zipfile's and the XML
    parser's errors come through as they are: the caller reads the file with openpyxl then."""
    import io

    source = io.BytesIO(data) if isinstance(data, bytes) else data
    with zipfile.ZipFile(source) as z:
        names = set(z.namelist())
        types = fromstring(z.read("[Content_Types].xml"))
        overrides = {o.get("PartName", ""): o.get("ContentType", "") for o in types.iter(f"{CONTENT_TYPES}Override")}
        if overrides.get("/xl/workbook.xml") not in WORKBOOK_TYPES or "xl/workbook.xml" not in names:
            raise NotPlain("the workbook part is not xl/workbook.xml")
        workbook = fromstring(z.read("xl/workbook.xml"))
        pr = workbook.find(f"{MAIN}workbookPr")
        epoch = CALENDAR_WINDOWS_1900
        if pr is not None and pr.get("date1904", "").lower() in ("1", "true"):
            epoch = CALENDAR_MAC_1904
        strings_part = next((p[1:] for p, t in overrides.items() if t == SHARED_STRINGS), None)
        strings = []
        if strings_part and strings_part in names:
            for si in fromstring(z.read(strings_part)).iter(f"{MAIN}si"):
                strings.append(_text(si).replace("x005F_", ""))
        formats = _styles(z, names)
        dates = {i for i, f in enumerate(formats) if is_date_format(f)}
        spans = {i for i, f in enumerate(formats) if is_timedelta_format(f)}
        rels = _rels(z, names, "xl/workbook.xml")
        tabs = []
        sheets = workbook.find(f"{MAIN}sheets")
        for sheet in sheets if sheets is not None else []:
            rid = sheet.get(f"{DOC_REL}id")
            if not rid:
                continue  # openpyxl drops it with a warning
            kind, target, _mode = rels[rid]
            if target not in names or "chartsheet" in kind:
                continue  # a chartsheet, or a part that is not there: no worksheet in openpyxl either
            tabs.append(_sheet(z, names, target, sheet.get("name", ""), strings, formats, dates, spans, epoch))
    return Book(tabs)


def _sheet(
    z: zipfile.ZipFile,
    names: set[str],
    part: str,
    title: str,
    strings: list[str],
    formats: list[str | None],
    dates: set[int],
    spans: set[int],
    epoch: Any,
) -> Tab:
    root = fromstring(z.read(part))
    tab = Tab(title)
    cells, extent = tab.cells, tab.extent
    shared: dict[str, Translator] = {}
    data = root.find(f"{MAIN}sheetData")
    row_no = 0
    V, F, IS = f"{MAIN}v", f"{MAIN}f", f"{MAIN}is"
    for row in data if data is not None else []:
        if row.tag != f"{MAIN}row":
            continue
        r = row.get("r")
        if r is not None:
            try:
                row_no = int(r)
            except ValueError:
                raise NotPlain(f"row number {r!r}") from None
        else:
            row_no += 1
        col_no = 0
        for c in row:
            if c.tag != f"{MAIN}c":
                raise NotPlain(f"a {c.tag} inside row {row_no}")
            t = c.get("t", "n")
            s = c.get("s")
            style = int(s) if s else 0
            if s == "" or not 0 <= style < len(formats):
                raise NotPlain(f"style {style} not in the stylesheet")
            ref = c.get("r")
            if ref:
                rc = _position(ref)
                col_no = rc[1]
            else:
                col_no += 1
                rc = (row_no, col_no)
            raw = None if t == "inlineStr" else (c.findtext(V) or None)
            cached: Any = raw
            kind = t
            if raw is not None:
                if t == "n":
                    cached = _number(raw)
                    if style in dates:
                        kind = "d"
                        try:
                            cached = from_excel(cached, epoch, timedelta=style in spans)
                        except (OverflowError, ValueError):
                            kind, cached = "e", "#VALUE!"
                elif t == "s":
                    cached = strings[int(raw)]
                elif t == "b":
                    cached = bool(int(raw))
                elif t == "str":
                    kind = "s"
                elif t == "d":
                    cached = from_ISO8601(raw)
            elif t == "inlineStr":
                child = c.find(IS)
                if child is not None:
                    kind, cached = "s", _text(child)
            f = c.find(F)
            if f is not None:
                value: Any = "=" + (f.text or "")
                ftype = f.get("t")
                if ftype in ("array", "dataTable"):
                    raise NotPlain(f"an {ftype} formula in {ref}")
                if ftype == "shared":
                    si = f.get("si")
                    if si in shared:
                        value = shared[si].translate_formula(ref)
                    elif f.text is not None:
                        shared[str(si)] = Translator(value, ref)
                cells[rc] = Cell(value, "f", cached, formats[style])
            else:
                cells[rc] = Cell(cached, kind, cached, formats[style])
            extent.add(rc)
    merges = root.find(f"{MAIN}mergeCells")
    hidden: dict[tuple[int, int], tuple[int, int]] = {}  # a merged cell but the first -> the first
    for m in merges.findall(f"{MAIN}mergeCell") if merges is not None else []:
        min_col, min_row, max_col, max_row = _bounds(m.get("ref", ""))
        for r_ in range(min_row, max_row + 1):
            for c_ in range(min_col, max_col + 1):
                extent.add((r_, c_))
                if (r_, c_) != (min_row, min_col):
                    cells.pop((r_, c_), None)  # a merged cell holds nothing (openpyxl's MergedCell)
                    hidden[(r_, c_)] = (min_row, min_col)
    rels = _rels(z, names, part)
    links = root.find(f"{MAIN}hyperlinks")
    for link in links.findall(f"{MAIN}hyperlink") if links is not None else []:
        _link(cells, extent, hidden, rels, link)
    for kind, target, _mode in rels.values():
        if kind == COMMENTS_REL and target in names:
            for comment in fromstring(z.read(target)).iter(f"{MAIN}comment"):
                min_col, min_row, max_col, max_row = _bounds(comment.get("ref", ""))
                extent.update((r_, c_) for r_ in range(min_row, max_row + 1) for c_ in range(min_col, max_col + 1))
    return tab


def _bounds(ref: str) -> tuple[int, int, int, int]:
    """min_col, min_row, max_col, max_row of a cell or range reference."""
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    if min_col is None or min_row is None or max_col is None or max_row is None:
        raise NotPlain(f"a reference to whole rows or columns ({ref})")
    return min_col, min_row, max_col, max_row


def _link(cells: dict, extent: set, hidden: dict, rels: dict, link: Element) -> None:
    """A hyperlink as openpyxl binds it: it makes its cells, and an empty one shows the link's
    target (Cell.hyperlink's setter); a merged cell's link goes to the merge's first cell."""
    rid = link.get(f"{DOC_REL}id")
    target = None
    if rid:
        if rid not in rels:
            raise NotPlain(f"a hyperlink to a missing relationship {rid}")
        target = rels[rid][1]
    text = target or link.get("location")
    ref = link.get("ref", "")
    min_col, min_row, max_col, max_row = _bounds(ref)
    if ":" in ref:
        where = [
            (r, c) for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1) if (r, c) not in hidden
        ]
    else:
        where = [hidden.get((min_row, min_col), (min_row, min_col))]
    for rc in where:
        extent.add(rc)
        if text is None:
            continue
        kind = "f" if len(text) > 1 and text.startswith("=") else "s"
        cell = cells.get(rc)
        if cell is None:
            cells[rc] = Cell(text, kind, text, "General")
            continue
        if cell.value is None:
            cell.value, cell.data_type = text, kind
        if cell.cached is None:
            cell.cached = text
