"""In-memory spreadsheet model: sheets, cells (CellData dicts), evaluation,
value conversion (RAW / USER_ENTERED) and rendering (FORMATTED / UNFORMATTED / FORMULA)."""

from __future__ import annotations

import copy
import pickle
import re
from typing import Any

from . import a1, dates
from .formula import FormulaError, RangeVal, Unsupported, evaluate, format_number
from .util import ApiError

STORED_CELL_FIELDS = (
    "userEnteredValue",
    "userEnteredFormat",
    "dataValidation",
    "note",
    "hyperlink",
    "textFormatRuns",
    "pivotTable",
    "dataSourceTable",
)
_NUMBER_RE = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][+-]?\d+)?$")
ERROR_TYPES = {
    "#DIV/0!": "DIVIDE_BY_ZERO",
    "#REF!": "REF",
    "#VALUE!": "VALUE",
    "#N/A": "N_A",
    "#NAME?": "NAME",
    "#NUM!": "NUM",
    "#ERROR!": "ERROR",
}


def not_found() -> ApiError:
    return ApiError(404, "Requested entity was not found.")


class Sheet:
    def __init__(self, properties: dict):
        self.properties = properties
        self.cells: dict[tuple[int, int], dict] = {}
        self.protected_ranges: list[dict] = []
        self.conditional_formats: list[dict] = []
        self.merges: list[dict] = []
        self.extra: dict = {}  # basicFilter, bandedRanges, ... (stored verbatim)

    @property
    def id(self) -> int:
        return self.properties["sheetId"]

    @property
    def title(self) -> str:
        return self.properties["title"]

    @property
    def grid(self) -> dict:
        return self.properties.setdefault("gridProperties", {})

    @property
    def rows(self) -> int:
        return self.grid.get("rowCount", 1000)

    @property
    def cols(self) -> int:
        return self.grid.get("columnCount", 26)

    def ensure_size(self, rows: int, cols: int) -> None:
        if rows > self.rows:
            self.grid["rowCount"] = rows
        if cols > self.cols:
            self.grid["columnCount"] = cols

    def check_in_grid(self, r1: int, c1: int, what: str = "Range") -> None:
        if r1 > self.rows or c1 > self.cols:
            raise ApiError(
                400,
                f"Invalid requests: {what} ({a1.quote_sheet(self.title)}!"
                f"{a1.index_to_col(c1 - 1)}{r1}) exceeds grid limits. Max rows: "
                f"{self.rows}, max columns: {self.cols}",
            )

    def has_value(self, r: int, c: int) -> bool:
        cell = self.cells.get((r, c))
        return bool(cell and cell.get("userEnteredValue"))

    def last_value_row(self, c0: int = 0, c1: int | None = None) -> int:
        """1 + index of the last row holding a value in columns [c0, c1)."""
        rows = [
            r
            for (r, c), cell in self.cells.items()
            if cell.get("userEnteredValue") and c >= c0 and (c1 is None or c < c1)
        ]
        return max(rows) + 1 if rows else 0

    def set_cell(self, r: int, c: int, cell: dict | None) -> None:
        if cell:
            self.cells[(r, c)] = cell
        else:
            self.cells.pop((r, c), None)

    def to_json(self) -> dict:
        out: dict[str, Any] = {"properties": copy.deepcopy(self.properties)}
        if self.protected_ranges:
            out["protectedRanges"] = copy.deepcopy(self.protected_ranges)
        if self.conditional_formats:
            out["conditionalFormats"] = copy.deepcopy(self.conditional_formats)
        if self.merges:
            out["merges"] = copy.deepcopy(self.merges)
        out.update(copy.deepcopy(self.extra))
        return out


class Spreadsheet:
    def __init__(self, spreadsheet_id: str, properties: dict):
        self.id = spreadsheet_id
        self.properties = properties
        self.sheets: list[Sheet] = []
        self.named_ranges: list[dict] = []
        self._cache: dict = {}

    # ------------------------------------------------------------ lookup
    @property
    def title(self) -> str:
        return self.properties.get("title", "")

    def titles(self) -> list[str]:
        return [s.title for s in self.sheets]

    def sheet_by_id(self, sheet_id) -> Sheet:
        sid = int(sheet_id or 0)
        for s in self.sheets:
            if s.id == sid:
                return s
        raise ApiError(400, f"Invalid requests: No grid with id: {sid}")

    def sheet_by_title(self, title: str) -> Sheet:
        for s in self.sheets:
            if s.title.lower() == title.lower():
                return s
        raise ApiError(400, f"Unable to parse range: {title}")

    def first_sheet(self) -> Sheet:
        return min(self.sheets, key=lambda s: s.properties.get("index", 0))

    def reindex(self) -> None:
        self.sheets.sort(key=lambda s: s.properties.get("index", 0))
        for i, s in enumerate(self.sheets):
            s.properties["index"] = i

    def resolve(self, text: str, default: Sheet | None = None) -> tuple[Sheet, a1.A1Range]:
        rng = a1.parse_a1(text, self.titles())
        sheet = self.sheet_by_title(rng.sheet) if rng.sheet else (default or self.first_sheet())
        return sheet, rng

    def clone(self) -> Spreadsheet:
        """A copy to apply a request to (committed only if all of it succeeds). Through pickle, not
        copy.deepcopy: the same copy of plain data, several times faster (deepcopy of the cells was
        three quarters of the fake's time in benchmarks/bench_demo.py --backend google-fake)."""
        cache, self._cache = self._cache, {}
        try:
            return pickle.loads(pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL))
        finally:
            self._cache = cache

    # -------------------------------------------------------- evaluation
    def begin_read(self) -> None:
        self._cache = {}

    def effective(self, sheet: Sheet, r: int, c: int, stack: tuple = ()):
        """Python value of a cell: None, float|int, str, bool or FormulaError."""
        cell = sheet.cells.get((r, c))
        uev = (cell or {}).get("userEnteredValue") or {}
        if "formulaValue" not in uev:
            return plain_value(uev)
        key = (sheet.id, r, c)
        if key in self._cache:
            return self._cache[key]
        if key in stack:
            return FormulaError("#REF!", "Circular dependency detected.")
        formula = uev["formulaValue"]
        try:
            value = evaluate(formula, lambda ref: self._resolve_ref(sheet, ref, stack + (key,)))
            if isinstance(value, float) and value.is_integer():
                value = int(value)
        except Unsupported:
            value = formula
        except FormulaError as err:
            value = err
        except RecursionError:
            value = FormulaError("#REF!", "Circular dependency detected.")
        self._cache[key] = value
        return value

    def _resolve_ref(self, sheet: Sheet, ref: str, stack: tuple):
        try:
            target, rng = self.resolve(ref, default=sheet)
        except ApiError:
            raise FormulaError("#REF!", f"Unresolved sheet name in {ref}")
        r0, c0, r1, c1 = rng.bounded(target.rows, target.cols)
        values = RangeVal()
        for r in range(r0, min(r1, target.rows)):
            for c in range(c0, min(c1, target.cols)):
                v = self.effective(target, r, c, stack)
                if isinstance(v, FormulaError):
                    raise v
                values.append(v)
        if r1 - r0 == 1 and c1 - c0 == 1:
            return values[0] if values else None
        return values

    # ---------------------------------------------------------- rendering
    def render(self, sheet: Sheet, r: int, c: int, option: str):
        """Value for values.get; None means empty."""
        cell = sheet.cells.get((r, c)) or {}
        uev = cell.get("userEnteredValue") or {}
        if not uev:
            return None
        if option == "FORMULA" and "formulaValue" in uev:
            return uev["formulaValue"]
        value = self.effective(sheet, r, c)
        if isinstance(value, FormulaError):
            return value.code
        date = dates.is_date_format(cell)
        if date and isinstance(value, (int, float)) and not isinstance(value, bool):
            if option in ("FORMATTED_VALUE", "UNFORMATTED_VALUE/FORMATTED_STRING"):
                return dates.format_serial(value, date)
        if option == "FORMATTED_VALUE":
            return formatted(value)
        return _json_number(value)

    def cell_json(self, sheet: Sheet, r: int, c: int) -> dict:
        cell = sheet.cells.get((r, c))
        if not cell:
            return {}
        out = {k: copy.deepcopy(cell[k]) for k in STORED_CELL_FIELDS if k in cell}
        if cell.get("userEnteredValue"):
            value = self.effective(sheet, r, c)
            out["effectiveValue"] = extended(value)
            date = dates.is_date_format(cell)
            if date and isinstance(value, (int, float)) and not isinstance(value, bool):
                out["formattedValue"] = dates.format_serial(value, date)
            else:
                out["formattedValue"] = value.code if isinstance(value, FormulaError) else formatted(value)
        if "userEnteredFormat" in cell:
            out["effectiveFormat"] = copy.deepcopy(cell["userEnteredFormat"])
        return out


# ------------------------------------------------------------------ values


def plain_value(uev: dict):
    if "numberValue" in uev:
        return _json_number(float(uev["numberValue"]))
    if "stringValue" in uev:
        return uev["stringValue"]
    if "boolValue" in uev:
        return bool(uev["boolValue"])
    if "errorValue" in uev:
        return FormulaError("#ERROR!", uev["errorValue"].get("message", ""))
    return None


def _json_number(v):
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return int(v)
    return v


def formatted(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return format_number(float(value))
    return str(value)


def extended(value) -> dict:
    if isinstance(value, FormulaError):
        return {"errorValue": {"type": ERROR_TYPES.get(value.code, "ERROR"), "message": value.message or value.code}}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": value}
    if value is None:
        return {}
    return {"stringValue": str(value)}


# Locales whose decimal separator is a comma (Sheets parses typed numbers by the spreadsheet's locale)
COMMA_LOCALES = ("ru", "kk", "uk", "be", "ky", "uz", "az", "de", "fr", "es", "it", "pt", "pl", "cs", "tr", "nl")
_COMMA_NUMBER_RE = re.compile(r"^[+-]?(?:\d{1,3}(?:[ \u00a0]\d{3})+|\d+)?(?:,\d+)?(?:[eE][+-]?\d+)?$")


def decimal_comma(locale: str | None) -> bool:
    return str(locale or "en_US").split("_")[0].lower() in COMMA_LOCALES


def typed_cell(cell: dict, value, input_option: str, where: str, locale: str | None = None) -> dict:
    """`cell` with `value` written into it as values.* writes it: a date typed under USER_ENTERED
    becomes its serial number and gives the cell a date format unless it already has one (dates.py)."""
    ext = to_extended(value, input_option, where, locale)
    if ext is None:
        cell.pop("userEnteredValue", None)
        return cell
    typed = dates.parse_typed(value, locale) if input_option == "USER_ENTERED" and "stringValue" in ext else None
    if typed is not None and not value.startswith("'"):
        serial, number_format = typed
        ext = {"numberValue": serial}
        if not dates.is_date_format(cell):
            cell.setdefault("userEnteredFormat", {})["numberFormat"] = number_format
    cell["userEnteredValue"] = ext
    return cell


def to_extended(value, input_option: str, where: str, locale: str | None = None) -> dict | None:
    """A values.* input value -> ExtendedValue; None = clear the cell. USER_ENTERED text is parsed
    as a number the way the spreadsheet's `locale` writes one: "7,5" is 7.5 in ru_RU and kk_KZ,
    where "7.5" stays text (it is not a number there); en_US reads "7.5" and "1,234"."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": value}
    if not isinstance(value, str):
        raise ApiError(400, f"Invalid {where}: struct_value or list_value {value!r} is not a valid cell value")
    if value == "":
        return None
    if input_option == "RAW":
        return {"stringValue": value}
    if value.startswith("=") and len(value) > 1:
        return {"formulaValue": value}
    if value.startswith("'"):
        return {"stringValue": value[1:]}
    if value.strip().upper() in ("TRUE", "FALSE"):
        return {"boolValue": value.strip().upper() == "TRUE"}
    s = value.strip()
    if decimal_comma(locale):
        if s and any(ch.isdigit() for ch in s) and _COMMA_NUMBER_RE.match(s):
            return {"numberValue": _json_number(float(s.replace(" ", "").replace("\u00a0", "").replace(",", ".")))}
        return {"stringValue": value}
    if s and any(ch.isdigit() for ch in s) and _NUMBER_RE.match(s):
        return {"numberValue": _json_number(float(s.replace(",", "")))}
    return {"stringValue": value}


def new_sheet_properties(sheet_id: int, title: str, index: int, given: dict | None = None) -> dict:
    props = copy.deepcopy(given or {})
    props["sheetId"] = sheet_id
    props["title"] = title
    props["index"] = index
    props.setdefault("sheetType", "GRID")
    grid = props.setdefault("gridProperties", {})
    grid.setdefault("rowCount", 1000)
    grid.setdefault("columnCount", 26)
    return props
