"""Google Form responses: read an export (.csv / .xlsx), map headers to form 01 fields. No rules here.

What Google writes is described in docs/google.md "Forms": the timestamp's label and format follow the
sheet's locale, checkbox answers are joined by ", " (sheet) or ";" (CSV), uploads are Drive links.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from pipelines import i18n
from pipelines.domain import form01
from pipelines.domain.authors import parse_authors
from pipelines.domain.models import RawResponse, Response
from pipelines.domain.text import normalise, similar

SCHEMA = files("sheets_schema") / "form_fields.yaml"
FIELDS = ("timestamp", "respondent_email", *form01.NAMES)  # the columns an export is read into
SHEET_TIME = "%d.%m.%Y %H:%M:%S"  # how a datetime cell of the response sheet is kept as text


class FormError(i18n.Said):
    """A response export cannot be read; the message (by its key in sheets_schema/messages.yaml,
    `say(lang)` in Kazakh or Russian) names the file, the column or the field and what to do."""


# --- reading exports -----------------------------------------------------------------------------
def read_export(
    path: str | Path, source_name: str = "responses", *, aliases: dict[str, list[str]] | None = None
) -> list[RawResponse]:
    """Every non-empty data row of a .csv or .xlsx response export, in file order.

    `row_number` is the data row's position under the header (sheet row - 1), counting empty rows
    too, so numbers match the linked sheet. `source_name` names the logical source in row keys; the
    file name is only used in messages (each download gets a new one: "… (1).csv")."""
    path = Path(path)
    if not path.is_file():
        raise FormError("form_export_missing", path=path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(path)
    elif suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path)
    else:
        raise FormError("form_export_type", path=path, suffix=suffix or "—")
    return responses_from_rows(rows, source_name, where=str(path), source=path.name, aliases=aliases)


def responses_from_rows(
    rows: list[list[str]],
    source_name: str,
    *,
    where: str | None = None,
    source: str | None = None,
    aliases: dict[str, list[str]] | None = None,
) -> list[RawResponse]:
    """A response table (header row, then one row per response) -> its non-empty data rows.

    The one reading of a table for every source: an export file and the linked response sheet.
    `source_name` goes into row keys (see `table_row_key`); `where` names the file or sheet in
    messages and `source` in each RawResponse (both default to `source_name`); `aliases` are the
    form's header aliases (`load_aliases`), the default ones when None. Cells are text (see
    `cell_text` for typed values)."""
    where = where or source_name
    rows = [[cell_text(c) for c in row] for row in rows]
    while rows and not any(c.strip() for c in rows[0]):
        rows.pop(0)
    if not rows:
        raise FormError("form_table_empty", where=where)
    header = [c.strip() for c in rows[0]]
    if _looks_like_data(header):
        raise FormError("form_no_header", where=where, first=", ".join(f"«{h}»" for h in header[:3]))
    keys = _alias_keys(aliases) if aliases is not None else _default_keys()
    if not set(_find_columns({h: "" for h in header if h}, keys)) - set(GOOGLE_FIELDS):
        # Google's own timestamp / e-mail columns are in every export: they do not make it the form's.
        shown = ", ".join(f"«{h[:60]}{'…' if len(h) > 60 else ''}»" for h in header[:5] if h) + (
            ", …" if len(header) > 5 else ""
        )
        raise FormError("form_foreign", where=where, shown=shown)
    header = unique_titles(header)
    out = []
    for number, cells in enumerate(rows[1:], start=1):
        if not any(c.strip() for c in cells):
            continue
        answers = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h}
        for i in range(len(header), len(cells)):
            if cells[i].strip():
                answers[f"column {i + 1}"] = cells[i]
        for i, h in enumerate(header):
            if not h and i < len(cells) and cells[i].strip():
                answers[f"column {i + 1}"] = cells[i]
        out.append(
            RawResponse(
                row_key=table_row_key(source_name, number, answers),
                row_number=number,
                answers=answers,
                source=source or where,
            )
        )
    return out


class ExportFile:
    """A FormSource: the responses export (.csv / .xlsx) that CDB downloaded, as both backends read it.
    Raises FormError; the backends turn it into their BackendError."""

    def __init__(self, path: str | Path, extra_aliases: dict[str, list[str]] | None = None):
        self.path, self.extra_aliases = Path(path), extra_aliases

    def read_responses(self) -> list[RawResponse]:
        if not self.path.exists():
            raise FormError("form_path_missing", path=self.path)
        return read_export(self.path, aliases=load_aliases(self.extra_aliases))

    def taken_at(self) -> datetime | None:
        """When CDB downloaded the export: the file's modification time (UTC); None when it is absent."""
        try:
            return datetime.fromtimestamp(self.path.stat().st_mtime, UTC)
        except OSError:
            return None


DELIMITERS = ",;\t|"  # Google and Excel exports, regional Excel (;), tab- and pipe-separated copies


def csv_text(data: bytes, where: str) -> str:
    """The export's bytes as text: UTF-8 or UTF-16 by their BOM, any number of BOMs dropped, and
    every line-end convention (CRLF, LF, Excel for Mac's CR only) as LF."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise FormError("form_not_utf8", where=where) from None
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _csv_rows(path: Path) -> list[list[str]]:
    text = csv_text(path.read_bytes(), str(path))
    first = next((line for line in text.split("\n") if line.strip()), "")
    limit = csv.field_size_limit()
    try:
        csv.field_size_limit(max(limit, len(text) + 1))  # a 100k-character answer is one field, even in line 1
        delimiter = max(DELIMITERS, key=lambda d: len(next(csv.reader([first], delimiter=d), [])))
        return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise FormError("form_bad_csv", path=path, detail=exc) from None
    finally:
        csv.field_size_limit(limit)


def _xlsx_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    # A damaged file fails inside openpyxl, zipfile or the XML parser with any of their errors (an
    # lxml XMLSyntaxError for a part that is not XML): each is this file's kk/ru message, never a traceback.
    try:
        # from memory: a zip openpyxl gives up on is left open, and closing it later on a closed file
        # prints "Exception ignored … I/O operation on closed file" into cron's log
        book = load_workbook(io.BytesIO(path.read_bytes()), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError) as exc:
        raise FormError("form_bad_xlsx", path=path, detail=exc) from None
    except Exception as exc:  # noqa: BLE001 - a parser's own error class (lxml.etree.XMLSyntaxError, …)
        raise FormError("form_bad_xlsx", path=path, detail=f"{type(exc).__name__}: {exc}") from None
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # the stored size of a downloaded sheet may be wrong
        return [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    except Exception as exc:  # noqa: BLE001 - read_only parses the sheet's XML as it is iterated
        raise FormError("form_bad_xlsx", path=path, detail=f"{type(exc).__name__}: {exc}") from None
    finally:
        book.close()


def cell_text(value: object) -> str:
    """A cell as the text Google shows (datetimes as DD.MM.YYYY HH:MM:SS, 3.0 as 3); an unformatted
    serial date number stays a number (`parse_time` reads Excel serials)."""
    if isinstance(value, str):  # every cell of a CSV export
        return value
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(SHEET_TIME)
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def _looks_like_data(header: list[str]) -> bool:
    return any(parse_time(c, UTC, serial=False) for c in header if c)


def unique_titles(header: list[str]) -> list[str]:
    """Two questions with the same title keep both columns: the second becomes "Title (2)"."""
    seen: dict[str, int] = {}
    out = []
    for h in header:
        if h and h in seen:
            seen[h] += 1
            h = f"{h} ({seen[h]})"
        seen.setdefault(h, 1)
        out.append(h)
    return out


def table_row_key(
    source_name: str, row_number: int, answers: dict[str, str], aliases: dict[str, list[str]] | None = None
) -> str:
    """The stable key of a row of a response table (linked sheet or its export).

    A table has no response id, and the content is no key: an in-place edit changes any answer and
    the timestamp. What Google keeps stable is the row: an in-place edit rewrites its own row of the
    linked sheet, and new responses are appended below, never shifting earlier rows. So the key is
    sha1(source | normalised respondent e-mail | row number). The e-mail (when the form collects it,
    which it does for in-place edits) guards against the one case where rows do shift — a response
    deleted in Forms before the CSV download — turning a silent mix-up into a new key. The file name
    is not part of the key (every download is named anew). The Forms-API source uses responseId."""
    keys = _keys_of(aliases) if aliases is not None else _default_keys()
    column = _find_columns(answers, keys).get("respondent_email")
    email = (answers.get(column, "") if column else "").strip().casefold()
    digest = hashlib.sha1(f"{source_name}|{email}|{row_number}".encode()).hexdigest()
    return f"row-{digest[:16]}"


# --- header aliases -----------------------------------------------------------------------------
_NUMBER = re.compile(r"^\s*(?:№\s*)?\d{1,2}(?:\.\d{1,2})*\s*[.)]?\s+|^\s*(?:№\s*)?\d{1,2}(?:\.\d{1,2})*\s*[.)]")
_REMARK = re.compile(r"\s*\([^()]*\)\s*[:*\s]*$")


def header_key(text: str) -> str:
    """A question title folded for alias matching: no leading "1." / "1)" / "№1", no trailing ":" / "*"."""
    return normalise(_NUMBER.sub("", str(text or "").strip(), count=1))


@lru_cache(maxsize=4096)  # pure: every row of an export asks again for the same headers
def _header_keys(text: str) -> tuple[str, ...]:
    """The title's key, then its key without a trailing "(…)" remark."""
    keys = [header_key(text)]
    stripped = _REMARK.sub("", _NUMBER.sub("", str(text or "").strip(), count=1))
    if stripped and header_key(stripped) not in keys:
        keys.append(header_key(stripped))
    return tuple(k for k in keys if k)


@lru_cache(maxsize=1)
def _default_aliases() -> dict[str, tuple[str, ...]]:
    try:
        data = yaml.safe_load(SCHEMA.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise FormError("form_aliases_unreadable", path=SCHEMA, detail=exc) from None
    return {f: tuple(str(a) for a in data.get(f) or ()) for f in FIELDS}


def load_aliases(extra: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """Field -> header aliases: sheets_schema/form_fields.yaml, then config `form.aliases` added."""
    aliases = {f: list(a) for f, a in _default_aliases().items()}
    for field_name, more in (extra or {}).items():
        if field_name not in aliases:
            raise FormError("form_alias_unknown", field=field_name, fields=", ".join(FIELDS))
        aliases[field_name] = [str(a) for a in more] + aliases[field_name]
    return aliases


class _AliasKeys(dict[str, str]):
    """Header key -> field, never changed once made; `items_key` is its items as `_column_plan`'s
    cache key, sorted once (sorting them for every row of an export took a tenth of an intake)."""

    _items: tuple[tuple[str, str], ...] | None = None

    def items_key(self) -> tuple[tuple[str, str], ...]:
        if self._items is None:
            self._items = tuple(sorted(self.items()))
        return self._items


def _alias_keys(aliases: dict[str, list[str]]) -> _AliasKeys:
    keys = _AliasKeys()
    for field_name, names in aliases.items():
        for name in names:
            for key in _header_keys(name)[:1]:
                keys.setdefault(key, field_name)
    return keys


@lru_cache(maxsize=1)
def _default_keys() -> _AliasKeys:
    return _alias_keys(load_aliases({}))


def _find_columns(answers: dict[str, str], keys: dict[str, str]) -> dict[str, str]:
    """Field -> header of the answers; the first non-empty column wins when several match exactly.
    A column no alias names exactly may still be taken by similarity (`map_columns`)."""
    frozen = keys.items_key() if isinstance(keys, _AliasKeys) else tuple(sorted(keys.items()))
    exact, similar = _column_plan(tuple(answers), frozen)
    found: dict[str, str] = {}
    for header, field_name in exact:
        value = answers[header]
        if field_name not in found or (not answers[found[field_name]].strip() and value.strip()):
            found[field_name] = header
    for field_name, column in similar:
        found.setdefault(field_name, column)
    found.pop("", None)
    return found


@lru_cache(maxsize=64)
def _column_plan(
    headers: tuple[str, ...], keys: tuple[tuple[str, str], ...]
) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """What `_find_columns` decides from the headers alone (every row of an export has the same):
    the headers an alias names exactly, each with its field, and the columns taken by similarity."""
    by_key = dict(keys)
    exact = []
    for header in headers:
        field_name = next((by_key[k] for v in _title_variants(header) for k in _header_keys(v) if k in by_key), None)
        if field_name:
            exact.append((header, field_name))
    similar = tuple((m.field or "", m.column) for m in _similar_matches(headers, keys))
    return tuple(exact), similar


def _keys_of(aliases: dict[str, list[str]]) -> _AliasKeys:
    """`_alias_keys`, worked out once per set of aliases (map_response asks it for every row)."""
    return _frozen_alias_keys(tuple((k, tuple(v)) for k, v in aliases.items()))


@lru_cache(maxsize=16)
def _frozen_alias_keys(aliases: tuple[tuple[str, tuple[str, ...]], ...]) -> _AliasKeys:
    return _alias_keys({k: list(v) for k, v in aliases})


def field_columns(answers: dict[str, str], aliases: dict[str, list[str]] | None = None) -> dict[str, str]:
    """Field -> the header that holds it, by the form's aliases (and the config's, when given)."""
    return _find_columns(answers, _keys_of(aliases) if aliases is not None else _default_keys())


# --- the mapping decision ----------------------------------------------------------------------
GOOGLE_FIELDS = ("timestamp", "respondent_email")  # columns Google adds, not questions of the form
REQUIRED = tuple(f for f in FIELDS if f not in GOOGLE_FIELDS)  # form 01 fields 1-8 and its note
SIMILAR_ENOUGH = 0.82  # below this a column is not taken for a field (the closest are still shown)
_SUFFIX = re.compile(r"\s*(?:\[[^\[\]]*\]|\([^()]*\))\s*[:*\s]*$")  # "[…]" / "(…)" Google or CDB appended
_DESCRIPTION = re.compile(r"\s+[—–-]\s+|\n")  # "Title — description" / the description on its own line


@dataclass(frozen=True)
class ColumnMatch:
    """One column of the export and the decision taken on it: the field (None: not used), how it was
    found (alias: a title listed in form_fields.yaml or form.aliases; similar: the closest title) and
    the score (1.0 for an alias, the similarity otherwise), kept so the decision can be shown."""

    column: str
    field: str | None
    how: str
    score: float
    closest: str | None = None  # the closest field, for a column that is not used


@dataclass(frozen=True)
class ColumnMapping:
    matches: tuple[ColumnMatch, ...]

    def columns(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for m in self.matches:
            if m.field:
                out.setdefault(m.field, m.column)
        return out

    def missing(self) -> list[str]:
        """The required fields (form 01 fields 1-8 and the note's attachments) no column holds."""
        have = self.columns()
        return [f for f in REQUIRED if f not in have]

    def closest(self, field_name: str, n: int = 3) -> list[tuple[str, float]]:
        """The unused columns most like `field_name`'s titles, best first."""
        aliases = load_aliases({}).get(field_name, [])
        scored = [
            (m.column, max((_similarity(m.column, a) for a in aliases), default=0.0))
            for m in self.matches
            if m.field is None and m.column
        ]
        return sorted(scored, key=lambda x: -x[1])[:n]

    def as_dict(self) -> dict[str, Any]:
        return {
            "columns": [
                {"column": m.column, "field": m.field, "how": m.how, "score": round(m.score, 2)} for m in self.matches
            ],
            "missing": self.missing(),
        }


def _title_variants(text: str) -> list[str]:
    """A column title and the shorter titles a person would still recognise in it: without the
    field number, a trailing "(…)" / "[…]", a description after " — " or on its own line."""
    text = str(text or "").strip()
    out = [text]
    first = _DESCRIPTION.split(text, maxsplit=1)[0].strip()
    for candidate in (first, _SUFFIX.sub("", text), _SUFFIX.sub("", first)):
        if candidate and candidate not in out:
            out.append(candidate)
    return out


def _similarity(column: str, alias: str) -> float:
    """0..1: how like the alias the column's title is (any variant of it); a title that begins
    with the whole alias (Google appended the question's description) scores 0.95."""
    best = 0.0
    akey = header_key(alias)
    if not akey:
        return 0.0
    for variant in _title_variants(column):
        ckey = header_key(variant)
        if not ckey:
            continue
        if ckey == akey:
            return 1.0
        if len(akey) >= 8 and (ckey.startswith(akey + " ") or akey.startswith(ckey + " ") and len(ckey) >= 12):
            best = max(best, 0.95)
        best = max(best, similar(ckey, akey))
    return best


@lru_cache(maxsize=256)
def _similar_matches(header: tuple[str, ...], keys: tuple[tuple[str, str], ...]) -> tuple[ColumnMatch, ...]:
    """Columns no alias names exactly, taken for the field whose title they are most like (one
    column per field, best score first, never a field an exact alias already holds)."""
    exact = {k: f for k, f in keys}
    taken: set[str] = set()
    loose: list[str] = []
    for column in header:
        hit = next((exact[k] for v in _title_variants(column) for k in _header_keys(v) if k in exact), None)
        if hit:
            taken.add(hit)
        elif column and not column.startswith("column "):
            loose.append(column)
    candidates = []
    for column in loose:
        for key, field_name in keys:
            if field_name in GOOGLE_FIELDS:
                continue
            score = _similarity(column, key)
            if score >= SIMILAR_ENOUGH:
                candidates.append((score, column, field_name))
    out, used = [], set()
    for score, column, field_name in sorted(candidates, key=lambda c: (-c[0], header.index(c[1]))):
        if column in used or field_name in taken:
            continue
        used.add(column)
        taken.add(field_name)
        out.append(ColumnMatch(column, field_name, "similar", score))
    return tuple(out)


def map_columns(
    header: list[str], aliases: dict[str, list[str]] | None = None, timestamp_column: int = 0
) -> ColumnMapping:
    """Every column of a response table -> the field it holds, or not used, with how and how sure."""
    aliases = load_aliases({}) if aliases is None else aliases
    keys = _alias_keys(aliases)
    header = [h for h in header if h]
    similar_by_column = {m.column: m for m in _similar_matches(tuple(header), tuple(sorted(keys.items())))}
    matches: list[ColumnMatch] = []
    seen: set[str] = set()
    for index, column in enumerate(header, start=1):
        hit = next((keys[k] for v in _title_variants(column) for k in _header_keys(v) if k in keys), None)
        if hit:
            matches.append(ColumnMatch(column, hit, "alias", 1.0))
            seen.add(hit)
        elif column in similar_by_column:
            matches.append(similar_by_column[column])
            seen.add(similar_by_column[column].field or "")
        elif index == timestamp_column and "timestamp" not in seen:
            matches.append(ColumnMatch(column, "timestamp", "position", 1.0))
            seen.add("timestamp")
        else:
            best = max(
                ((_similarity(column, a), f) for f, names in aliases.items() for a in names),
                default=(0.0, None),
            )
            matches.append(ColumnMatch(column, None, "", best[0], best[1]))
    return ColumnMapping(tuple(matches))


def header_of(responses: list[RawResponse]) -> list[str]:
    """The columns of a response table as its rows carry them (every row has every header)."""
    return [h for h in (responses[0].answers if responses else {}) if not re.fullmatch(r"column \d+", h)]


# --- mapping ------------------------------------------------------------------------------------
def map_response(raw: RawResponse, aliases: dict[str, list[str]], timestamp_column: int, zone: ZoneInfo) -> Response:
    """One raw response -> form 01 fields. Unreadable values stay in `raw` (and the time's text in
    `submitted_text`); judging them is the intake rules' work."""
    columns = _find_columns(raw.answers, _keys_of(aliases))
    if "timestamp" not in columns and 0 < timestamp_column <= len(raw.answers):
        columns["timestamp"] = list(raw.answers)[timestamp_column - 1]

    def get(name: str) -> str:
        return str(raw.answers.get(columns[name], "") or "").strip() if name in columns else ""

    stamp = get("timestamp")
    authors_raw = get("authors")
    return Response(
        row_key=raw.row_key,
        row_number=raw.row_number,
        submitted_at=submitted_time(stamp, raw.time_zone, zone),
        submitted_text=stamp,
        respondent_email=get("respondent_email").casefold(),
        faculty=get("faculty"),
        department=get("department"),
        title=" ".join(get("title").split()),
        authors=parse_authors(authors_raw),
        authors_raw=authors_raw,
        languages=split_choices(get("languages")),
        der_type=get("der_type"),
        justification=get("justification"),
        link=get("link"),
        act_files=split_files(get("act_files")),
        certificate_files=split_files(get("certificate_files")),
        raw=dict(raw.answers),
    )


def split_choices(text: str) -> list[str]:
    """A multi-select answer ("Қазақ тілі, Русский" or "Қазақ тілі;Русский") -> its items as typed."""
    return [p.strip() for p in re.split(r"[;,\n]", text or "") if p.strip()]


def split_files(text: str) -> list[str]:
    """File-upload answer: Drive links separated by commas, semicolons, spaces or newlines."""
    return [p for p in re.split(r"[\s,;]+", text or "") if p]


# --- time ---------------------------------------------------------------------------------------
_RU = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})[ ,T]+(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_EN = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})[ ,]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?$")
_FORMS_CSV = re.compile(
    r"^(\d{4})/(\d{1,2})/(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*"
    r"([AaPp][Mm]|ДП|ПП)?\s*(?:(?:GMT|UTC)\s*(?:([+-])(\d{1,2})(?::?(\d{2}))?)?)?$"
)
_SERIAL_RANGE = (25569.0, 73051.0)  # 1970 .. 2100 as Excel day numbers


def submitted_time(text: str, written_in: str, zone: ZoneInfo) -> datetime | None:
    """A response's time in `zone` (the config's). A linked response sheet writes its timestamps
    as serial day numbers in the spreadsheet's own time zone (`written_in`), not the config's."""
    source: ZoneInfo = zone
    if written_in:
        try:
            source = ZoneInfo(written_in)
        except (ValueError, KeyError):  # a zone name this system does not know: the config's
            source = zone
    moment = parse_time(text, source)
    return moment.astimezone(zone) if moment is not None else None


def parse_time(text: str, zone: ZoneInfo | timezone, *, serial: bool = True) -> datetime | None:
    """A submission time in any format Google writes -> aware datetime in `zone`; None if unreadable.

    en `1/25/2027 9:05:03`, ru `25.01.2027 09:05:03`, Forms CSV `2027/01/25 9:05:03 AM GMT+5`,
    ISO / RFC 3339 `2027-01-25T04:05:03.123Z`, an Excel serial day number. Naive times are in `zone`.
    en dates are month-first; a first number above 12 is read as the day (en_GB sheets).
    Our own: dateutil guesses day-first or month-first per string, and Forms' "GMT+5" is not its offset sign."""
    s = " ".join(str(text or "").replace("\u202f", " ").replace("\xa0", " ").split())
    if not s:
        return None
    try:
        moment = _parse(s, serial)
    except ValueError:  # month 13, hour 25 …
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


def _hour(hour: int, ampm: str | None) -> int:
    if not ampm:
        return hour
    if not 1 <= hour <= 12:
        raise ValueError("hour out of range for AM/PM")
    pm = ampm.upper() in ("PM", "ПП")
    return (hour % 12) + (12 if pm else 0)


def _parse(s: str, serial: bool) -> datetime | None:
    if m := _RU.match(s):
        d, mo, y, h, mi, se = m.groups()
        return datetime(int(y), int(mo), int(d), int(h), int(mi), int(se or 0))
    if m := _EN.match(s):
        mo, d, y, h, mi, se, ampm = m.groups()
        if int(mo) > 12 >= int(d):
            mo, d = d, mo
        return datetime(int(y), int(mo), int(d), _hour(int(h), ampm), int(mi), int(se or 0))
    if m := _FORMS_CSV.match(s):
        y, mo, d, h, mi, se, ampm, sign, oh, om = m.groups()
        tz = None
        if "GMT" in s.upper() or "UTC" in s.upper():
            offset = timedelta(hours=int(oh or 0), minutes=int(om or 0))
            tz = timezone(-offset if sign == "-" else offset)
        return datetime(int(y), int(mo), int(d), _hour(int(h), ampm), int(mi), int(se or 0), tzinfo=tz)
    if re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}", s):
        iso = re.sub(r"(\.\d{6})\d+", r"\1", s)  # the Forms API gives nanoseconds
        iso = re.sub(r"[Zz]$", "+00:00", iso)
        return datetime.fromisoformat(iso)
    if serial and re.match(r"^\d{5}(?:\.\d+)?$", s):
        days = float(s)
        if _SERIAL_RANGE[0] <= days <= _SERIAL_RANGE[1]:
            moment = datetime(1899, 12, 30) + timedelta(days=days)
            return moment.replace(microsecond=0) + timedelta(seconds=round(moment.microsecond / 1e6))
    return None
