"""The rating sheet (form 02): its layout, and reading back what the expert left in it.

Pure: builds a backend-neutral `SheetGrid` and reads `ScoreCell` rows; the backends do the I/O.
The labels and widths live in sheets_schema/rating_sheet.yaml (read once, on first use).

Layout (0-based rows/columns; the yaml's header comment gives it 1-based):
  rows 0-5   title, stage, group, expert, deadline, instructions (column A, bold)
  row 6      blank
  row 7      column headers (bold; rows 0-7 frozen)              -> Layout.header_row
  row 8+i    the i-th DER                                         -> Layout.data_row(i)
  columns    0 №, 1 DER id (hidden), 2 title, 3 authors, 4 link, 5.. one per criterion in config
             order (editable, whole number min..max), then comment (editable), then the sum
             formula =SUM(<first criterion>:<last criterion>) of the same row, then the recusal
             mark (editable: any mark means "conflict of interest, I do not rate this", 13).
  row 6, column 1 (blank row, hidden DER id column, locked): the sheet's identity (SheetIdentity):
             its key (edition, stage, group, expert) and a checksum of what the pipeline wrote.

`pick_tab` finds the rating tab by its identity, never by position; a sheet whose identity is not
the expected one is not scored. `read_sheet` finds the column-header row by content and counts a
row only when two witnesses agree, its hidden DER id and its visible title, and a column only when
its header and its position agree with the layout; a sorted or moved row is read correctly. Every
problem names the expert, the DER and the A1 cell, keeps the raw value, and never stops the other
cells or rows.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache, partial
from importlib.resources import files
from typing import Any

import yaml

from pipelines.config import Config, CriterionEntry
from pipelines.domain.authors import printed_names
from pipelines.domain.models import Application, Expert, Notice, Problem, Rating, ScoreCell
from pipelines.domain.text import normalise
from pipelines.ports import Cell, SheetGrid, SheetTab, a1, col_letter, text_lines  # noqa: F401 - a1 is part of this module's API

SCHEMA_PATH = files("sheets_schema") / "rating_sheet.yaml"
HEADER_KEYS = ("title", "stage", "group", "expert", "deadline", "instructions")
FIXED_BEFORE = ("no", "der_id", "title", "authors", "link")  # before the criteria
FIXED_AFTER = ("comment", "sum", "recuse")  # after the criteria
LAYOUT_VERSION = 2  # changes whenever the layout does: part of each sheet's checksum
IDENTITY_PREFIX = "contest-sheet "
WITNESSES = ("der_id", "title")  # a row counts only when these two agree (13 item 2)
NOT_A_MARK = {"", "0", "-", "no", "нет", "жоқ", "false", "ложь"}  # typed in the recusal cell: not a recusal


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The layout file, sheets_schema/rating_sheet.yaml."""
    return yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))


def _column_spec() -> dict[str, dict[str, Any]]:
    return {c["key"]: c for c in schema()["columns"]}


# --- layout ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Layout:
    """Where things are in a freshly built sheet (0-based)."""

    header_row: int  # the column-header row
    fixed: dict[str, int]  # no, der_id, title, authors, link, comment, sum -> column
    scores: dict[str, int]  # criterion key -> column

    @property
    def first_data_row(self) -> int:
        return self.header_row + 1

    def data_row(self, index: int) -> int:
        """The row of the index-th DER (0-based) as built."""
        return self.first_data_row + index

    @property
    def width(self) -> int:
        return max(self.fixed.values()) + 1


def layout(config: Config) -> Layout:
    """The rating sheet's rows and columns for this config's criteria."""
    keys = [c.key for c in config.criteria]
    fixed = {k: i for i, k in enumerate(FIXED_BEFORE)}
    scores = {k: len(FIXED_BEFORE) + i for i, k in enumerate(keys)}
    fixed.update({k: len(FIXED_BEFORE) + len(keys) + i for i, k in enumerate(FIXED_AFTER)})
    return Layout(header_row=len(HEADER_KEYS) + 1, fixed=fixed, scores=scores)


def sum_formula(row: int, lay: Layout, config: Config, cols: tuple[int, int] | None = None) -> str:
    """The sum of a DER row's criterion cells (form 02, column 8), shown only when the row will
    count: every criterion holds a whole number in range (11.2 ranks by the sum of all the
    indicators). Otherwise the cell stays empty and its header's note says why: a sum of the
    scores that happen to be valid would show a total the close never uses. `cols`: the first and
    last criterion columns where they are now (a column inserted before them moves them)."""
    first, last = cols or (min(lay.scores.values()), max(lay.scores.values()))
    span = f"{a1(row, first)}:{a1(row, last)}"
    lo, hi = min(c.min for c in config.criteria), max(c.max for c in config.criteria)
    return (
        f'=IF(COUNT({span})<{len(lay.scores)},"",IF(OR(MIN({span})<{lo},MAX({span})>{hi},'
        f'SUMPRODUCT(MOD({span},1))<>0),"",SUM({span})))'
    )


def legacy_sum_formula(row: int, cols: tuple[int, int]) -> str:
    """The sum as sheets made before the conditional sum carried it (still read, never written)."""
    return f"=SUM({a1(row, cols[0])}:{a1(row, cols[1])})"


def worded_criterion(config: Config) -> CriterionEntry | None:
    """The criterion whose words go in the text column beside the scores (form 02's criterion 7,
    "general impression (you may write several lines)"), if the config has one."""
    last = config.criteria[-1]
    return last if last.with_text else None


def column_labels(config: Config, lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """(fixed column key -> label, criterion key -> label) in one language. A criterion with
    words (form 02's criterion 7) heads two columns, both under its wording: its score and its text."""
    spec, sch = _column_spec(), schema()
    fixed = {k: spec[k][lang] for k in FIXED_BEFORE + FIXED_AFTER}
    scores = {c.key: c.label(lang) for c in config.criteria}
    worded = worded_criterion(config)
    if worded is not None:
        scores[worded.key] = sch["worded_score"][lang].format(label=worded.label(lang), min=worded.min, max=worded.max)
        fixed["comment"] = sch["worded_text"][lang].format(label=worded.label(lang))
    return fixed, scores


def legacy_labels(config: Config, lang: str) -> dict[str, str]:
    """The headers of sheets made before criterion 7 had its text column (the plain criterion
    wording on the score column, "comment" on the text column): an edition under way still has
    them, and they are read as before."""
    return {"comment": _column_spec()["comment"][lang], **{f"crit:{c.key}": c.label(lang) for c in config.criteria}}


def authors_text(app: Application) -> str:
    """The authors as printed in the sheet: the parsed names, else the text as typed."""
    return ", ".join(printed_names(app.response.authors, app.response.authors_raw))


# --- identity ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SheetIdentity:
    """Whose sheet this is (edition, stage, group, expert) and a checksum of what the pipeline wrote
    in it (DER ids and titles, criteria, layout version): kept in a locked, hidden cell."""

    edition: str
    stage: int
    group: str
    expert: str
    checksum: str

    def text(self) -> str:
        return IDENTITY_PREFIX + json.dumps(
            [self.edition, self.stage, self.group, self.expert, self.checksum], ensure_ascii=False
        )

    @classmethod
    def parse(cls, value: Any) -> SheetIdentity | None:
        if not isinstance(value, str) or not value.startswith(IDENTITY_PREFIX):
            return None
        try:
            edition, stage, group, expert, checksum = json.loads(value[len(IDENTITY_PREFIX) :])
            return cls(str(edition), int(stage), str(group), str(expert), str(checksum))
        except (ValueError, TypeError):
            return None

    def names(self) -> Notice:
        """Whose sheet it is, as a problem names it."""
        return Notice("sheet_owner", expert=self.expert, stage=self.stage, group=self.group, edition=self.edition)


def content_checksum(config: Config, applications: list[Application]) -> str:
    """What the pipeline wrote in a sheet, as a short digest: DER ids and titles, criteria, layout."""
    payload = [
        LAYOUT_VERSION,
        [[a.id, normalise(a.title)] for a in applications],
        [[c.key, c.min, c.max] for c in config.criteria],
        list(FIXED_BEFORE + FIXED_AFTER),
    ]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()[:16]


def sheet_identity(
    config: Config, *, edition: str, stage: int, group: str, expert: str, applications: list[Application]
) -> SheetIdentity:
    return SheetIdentity(edition, stage, group, expert.strip().lower(), content_checksum(config, applications))


IDENTITY_ROW, IDENTITY_COL = len(HEADER_KEYS), FIXED_BEFORE.index("der_id")  # blank row, hidden column


def place_identity(rows: list[list[Cell]], identity: SheetIdentity) -> None:
    """The identity in the blank row under the header block, in the hidden DER id column (locked)."""
    row = rows[IDENTITY_ROW]
    row += [Cell() for _ in range(IDENTITY_COL + 1 - len(row))]
    row[IDENTITY_COL] = Cell(identity.text())


def find_identities(cells: list[list[ScoreCell]]) -> list[tuple[SheetIdentity, str]]:
    """Every identity written in a tab, with its cell (rows may have been moved)."""
    out = []
    for r, row in enumerate(cells):
        for c, cell in enumerate(row):
            found = SheetIdentity.parse(cell.value if cell is not None else None)
            if found is not None:
                out.append((found, (cell.a1 if cell is not None and cell.a1 else a1(r, c))))
    return out


def pick_tab(
    tabs: list[SheetTab], expected: SheetIdentity, lang: str
) -> tuple[list[list[ScoreCell]] | None, list[Problem]]:
    """The rating tab of the expected sheet, found by its identity, never by position (13 item 1).

    Returns (its cells, problems). Other tabs are ignored and each is reported. None when no tab is
    the expected sheet: a sheet of another expert, stage or group returned under this name, a copy
    whose identity was removed, or two candidate tabs that cannot be told apart; the problem says
    what was found, and the expert is asked again (the rating stays incomplete)."""
    problems: list[Problem] = []
    me = expected.expert

    def problem(where: str, notice: Notice, raw: Any = None) -> None:
        problems.append(Problem(me, None, where, notice, raw))

    built_title = schema()["sheet_title"][lang]
    mine: list[SheetTab] = []
    for tab in tabs:
        ids = find_identities(tab.cells)
        if not ids:
            continue
        ident, where = ids[0]
        key = (ident.edition, ident.stage, ident.group, ident.expert)
        if key == (expected.edition, expected.stage, expected.group, expected.expert):
            if ident.checksum != expected.checksum:
                problem(
                    f"'{tab.title}'!{where}",
                    Notice("why_checksum", found=ident.checksum, expected=expected.checksum),
                    ident.text(),
                )
                continue
            mine.append(tab)
        elif ident.expert != expected.expert:
            problem(
                f"'{tab.title}'!{where}",
                Notice("why_someone_elses", names=ident.names(), me=me),
                ident.text(),
            )
        else:
            problem(
                f"'{tab.title}'!{where}",
                Notice("why_other_stage", names=ident.names(), me=me, stage=expected.stage, group=expected.group),
                ident.text(),
            )
    chosen: SheetTab | None = None
    if len(mine) == 1:
        chosen = mine[0]
    elif len(mine) > 1:
        titled = [t for t in mine if t.title == built_title]
        if len(titled) == 1:
            chosen = titled[0]
        else:
            problem(
                ", ".join(f"'{t.title}'" for t in mine),
                Notice("why_many_tabs", n=len(mine)),
            )
    elif not problems:
        problem(
            ", ".join(f"'{t.title}'" for t in tabs) or "-",
            Notice("why_no_identity", me=me),
        )
    for tab in tabs:
        if tab is not chosen and tab not in mine and not find_identities(tab.cells):
            problem(f"'{tab.title}'", Notice("why_extra_tab"))
        elif tab is not chosen and tab in mine and chosen is not None:
            problem(f"'{tab.title}'", Notice("why_copy_tab"))
    return (chosen.cells if chosen is not None else None), problems


# --- build -------------------------------------------------------------------------------------
LINE_HEIGHT = 15.0  # points per wrapped line at the default 11-pt font


def fit_heights(rows: list[list[Cell]], widths: list[int], hidden: list[int]) -> dict[int, float]:
    """The height of each row holding wrapped text, tall enough to show all of it: Excel keeps a
    written row's height, so a header left at one line hides the criterion names."""
    out = {}
    for r, row in enumerate(rows):
        need = 1
        for c, cell in enumerate(row):
            text = cell.formula or cell.value
            if not (cell.wrap or cell.editable) or text in (None, ""):
                continue
            chars = sum(widths[i] for i in range(c, min(c + cell.span, len(widths))) if i not in hidden)
            need = max(need, text_lines(str(text), max(chars * 1.1 - 2, 1)))
        if need > 1:
            out[r] = need * LINE_HEIGHT + 4
    return out


def guidance(criterion: CriterionEntry, lang: str) -> list[str]:
    """The clause-10 descriptions the criterion weighs (sheets_schema/rating_sheet.yaml)."""
    sch = schema()
    return [sch["guidance"][k][lang] for k in sch["criterion_guidance"].get(criterion.key, [])]


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def score_help(criterion: CriterionEntry, lang: str) -> tuple[str, str]:
    """(input message, refusal text) of a criterion's score cells, in the sheet's language. The
    input message is cut to 255 characters, the most Excel shows."""
    sch = schema()
    lo, hi = criterion.min, criterion.max
    short = "; ".join(g.split(" (")[0] for g in guidance(criterion, lang)) or criterion.label(lang)
    prompt = sch["score_prompt"][lang].format(min=lo, max=hi, guidance=short)
    allowed = ", ".join(str(n) for n in range(lo, hi + 1))
    return _trim(prompt, 255), sch["score_error"][lang].format(min=lo, max=hi, allowed=allowed)


def criterion_note(criterion: CriterionEntry, lang: str) -> str:
    """The note on a criterion's column header: its full approved wording and its 10.x guidance."""
    lines = "\n".join(f"• {g}" for g in guidance(criterion, lang))
    if not lines:
        return criterion.label(lang)
    return schema()["criterion_note"][lang].format(
        label=criterion.label(lang), guidance=lines, min=criterion.min, max=criterion.max
    )


def instructions_values(config: Config, deadline_text: str, lang: str) -> dict[str, str]:
    """{returning} and {contact} of the instructions, for the config's backend."""
    sch = schema()
    kind = config.backend.kind
    returning = sch["returning"][kind][lang].format(deadline=deadline_text)
    named = config.remind.contact.strip()  # CDB's contact as written, then Google's CDB editors
    editors = [e for e in getattr(config.backend, "cdb_editors", []) or [] if e not in named]
    people = ([named] if named else []) + editors
    contact = (
        sch["contact"]["people"][lang].format(people=", ".join(people)) if people else sch["contact"]["reply"][lang]
    )
    return {"returning": returning, "contact": contact}


def build_grid(
    *,
    config: Config,
    stage: int,
    group_name: str,
    expert: Expert,
    applications: list[Application],
    deadline_text: str,
    lang: str,
    identity: SheetIdentity | None = None,
) -> SheetGrid:
    """One expert's rating sheet (form 02) for one group of one stage, as an expert uses it:
    landscape A4 one page wide with the column headers on every page, title and authors frozen,
    links clickable, each criterion's wording and 10.x guidance on its header, help and a
    refusal text naming the allowed values on every score cell. `identity` (sheet_identity) is
    written in its locked, hidden cell."""
    sch, lay = schema(), layout(config)
    lo, hi = min(c.min for c in config.criteria), max(c.max for c in config.criteria)
    values = {
        "year": config.edition.year,
        "stage_name": sch["stage_names"][lang][stage],
        "group": group_name,
        "expert": expert.name,
        "email": expert.email,
        "deadline": deadline_text,
        "min": lo,
        "max": hi,
        **instructions_values(config, deadline_text, lang),
    }
    rows: list[list[Cell]] = []
    for k in HEADER_KEYS:
        # the instruction block: wrapped across the columns before the criteria, which print on the
        # first page also when the sheet prints two pages wide (printing.fit): not cut at a page's edge
        long = k == "instructions"
        span = min(lay.fixed["link"] + 1, lay.width) if long else 1
        cell = Cell(sch["header"][lang][k].format(**values), bold=not long, wrap=long, span=span)
        rows.append([cell])
    rows[0] += [Cell() for _ in range(lay.width - 2)] + [Cell(sch["form_code"])]
    rows.append([Cell()])
    if identity is not None:
        place_identity(rows, identity)
    fixed_labels, score_labels = column_labels(config, lang)
    header = [Cell() for _ in range(lay.width)]
    for key, col in lay.fixed.items():
        header[col] = Cell(fixed_labels[key], bold=True, wrap=True, boxed=True)
    by_key = {c.key: c for c in config.criteria}
    for key, col in lay.scores.items():
        header[col] = Cell(score_labels[key], bold=True, wrap=True, boxed=True, note=criterion_note(by_key[key], lang))
    header[lay.fixed["link"]].note = sch["link_note"][lang]
    header[lay.fixed["sum"]].note = sch["sum_note"][lang].format(n=len(config.criteria), min=lo, max=hi)
    worded = worded_criterion(config)
    if worded is not None:
        header[lay.fixed["comment"]].note = sch["worded_text_note"][lang].format(label=worded.label(lang))
    rows.append(header)
    helps = {c.key: score_help(c, lang) for c in config.criteria}
    for i, app in enumerate(applications):
        r = lay.data_row(i)
        row = [Cell() for _ in range(lay.width)]
        fixed = {
            "no": i + 1,
            "der_id": app.id,
            "title": app.title,
            "authors": authors_text(app),
            "link": app.response.link,
        }
        for key, value in fixed.items():
            row[lay.fixed[key]] = Cell(
                value, wrap=key in ("title", "authors", "link"), boxed=True, centered=key == "no"
            )
        link = app.response.link.strip()
        if re.match(r"(?i)https?://\S+$", link):
            row[lay.fixed["link"]].hyperlink = link
        for key, col in lay.scores.items():
            prompt, error = helps[key]
            row[col] = Cell(
                None,
                editable=True,
                validation=(by_key[key].min, by_key[key].max),
                prompt=prompt,
                error=error,
                boxed=True,
                centered=True,
            )
        row[lay.fixed["comment"]] = Cell(None, editable=True, wrap=True, boxed=True)
        row[lay.fixed["sum"]] = Cell(formula=sum_formula(r, lay, config), boxed=True, centered=True, bold=True)
        row[lay.fixed["recuse"]] = Cell(None, editable=True, boxed=True, centered=True)
        rows.append(row)
    spec = _column_spec()
    widths = [spec["criteria"]["width"]] * lay.width
    for key, col in lay.fixed.items():
        widths[col] = spec[key]["width"]
    # the link column shows each whole address on one line (an address has no space to wrap at)
    longest = max((len(a.response.link.strip()) for a in applications), default=0)
    widths[lay.fixed["link"]] = max(widths[lay.fixed["link"]], min(longest + 2, spec["link"].get("max_width", 60)))
    hidden = [lay.fixed[k] for k in lay.fixed if spec[k].get("hidden")]
    heights = fit_heights(rows, widths, hidden)
    return SheetGrid(
        title=sch["sheet_title"][lang],
        rows=rows,
        column_widths=widths,
        hidden_columns=hidden,
        frozen_rows=lay.header_row + 1,
        frozen_columns=lay.fixed["authors"] + 1,
        row_heights=heights,
        landscape=True,
        repeat_rows=(lay.header_row, lay.header_row),
    )


# --- read back ---------------------------------------------------------------------------------
def _text(value: Any) -> str:
    """A cell value as comparable text: numbers without a trailing .0, spaces collapsed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _raw(cell: ScoreCell | None) -> Any:
    """What the cell holds as typed: its formula, else its value."""
    return (cell.formula or cell.value) if cell is not None else None


def _label(value: Any) -> str:
    try:
        return _known_label(value)
    except TypeError:  # a value that cannot be a key
        return _text(value).casefold()


@lru_cache(maxsize=65536, typed=True)  # every cell of every sheet is compared with the labels; True is not 1
def _known_label(value: Any) -> str:
    return _text(value).casefold()


def typed(value: Any, limit: int = 60) -> str:
    """What was typed, as a person reads it in a list: «8,5», one line (line breaks as " / "), long
    text cut with "…" (the problem keeps the whole value)."""
    text = " / ".join(" ".join(line.split()) for line in str(value).splitlines() if line.strip())
    return f"«{_trim(text, limit)}»"


def parse_score(cell: ScoreCell | None, criterion: CriterionEntry) -> tuple[int | None, Notice | None]:
    """(whole number, None), (None, None) when blank, or (None, why the value is rejected) (form 02)."""
    if cell is None:
        return None, None
    if cell.formula:
        return None, Notice("why_formula", formula=cell.formula)
    value = cell.value
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    number: float
    if isinstance(value, bool):
        return None, Notice("why_not_number", value=typed(value))
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)", text):
            return None, Notice("why_not_number", value=typed(value))
        number = float(text.replace(",", "."))
    elif isinstance(value, (int, float)):
        number = value
    else:
        return None, Notice("why_not_number", value=typed(value))
    if not math.isfinite(number) or not float(number).is_integer():
        return None, Notice("why_not_whole", value=typed(value))
    if not criterion.min <= int(number) <= criterion.max:
        return None, Notice("why_out_of_range", value=int(number), allowed=f"{criterion.min}–{criterion.max}")
    return int(number), None


def _norm_formula(formula: str | None) -> str:
    return re.sub(r"[\s$]", "", formula or "").upper().lstrip("=")


class _Reader:
    """One pass over one expert's sheet; collects ratings and problems."""

    def __init__(
        self,
        cells: list[list[ScoreCell]],
        expected: list[Application],
        expert: str,
        config: Config,
        lang: str,
        require_complete: bool,
    ):
        self.cells, self.expected, self.expert, self.config = cells, expected, expert, config
        self.lang, self.require_complete = lang, require_complete
        self.lay = layout(config)
        self.problems: list[Problem] = []
        self.ratings: list[Rating] = []
        self.bad: set[str] = set()  # columns whose header and position disagree: not read

    def cell(self, r: int, c: int) -> ScoreCell | None:
        row = self.cells[r] if 0 <= r < len(self.cells) else []
        return row[c] if 0 <= c < len(row) else None

    def where(self, r: int, c: int) -> str:
        cell = self.cell(r, c)
        return cell.a1 if cell is not None and cell.a1 else a1(r, c)

    def problem(self, app_id: str | None, r: int, c: int, notice: Notice, raw: Any = None) -> None:
        self.problems.append(Problem(self.expert, app_id, self.where(r, c), notice, raw))

    # -- header ----------------------------------------------------------------------------
    def labels(self) -> dict[str, set[str]]:
        """Column key ("crit:<key>" for criteria) -> accepted labels, in kk and ru."""
        out: dict[str, set[str]] = {}
        for lang in ("kk", "ru"):
            fixed, scores = column_labels(self.config, lang)
            for k, v in list(fixed.items()) + [(f"crit:{k}", v) for k, v in scores.items()]:
                out.setdefault(k, set()).add(_label(v))
            for k, v in legacy_labels(self.config, lang).items():
                out[k].add(_label(v))
        return out

    def built(self) -> dict[str, int]:
        return {**self.lay.fixed, **{f"crit:{k}": c for k, c in self.lay.scores.items()}}

    def find_columns(self) -> tuple[int, dict[str, int]]:
        """The column-header row (the row holding most column labels) and each column's index.

        Columns are where the layout put them, moved together by at most one common shift (most
        labels found agree on it). A column counts only when its header there is its own label
        (13 item 2): one whose header and position disagree is in `self.bad` and not read."""
        labels, built = self.labels(), self.built()
        every = set().union(*labels.values())
        hits = [sum(_label(c.value) in every for c in row if c is not None) for row in self.cells]
        if not hits or max(hits) == 0:
            header_row = self.lay.header_row
            self.problem(None, header_row, 0, Notice("why_no_header"), None)
            self.bad = {k for k in built if k not in WITNESSES}
            return header_row, built
        header_row = hits.index(max(hits))
        row = self.cells[header_row]
        found = {}
        for key, accepted in labels.items():
            cols = [c for c, cell in enumerate(row) if cell is not None and _label(cell.value) in accepted]
            if cols:
                found[key] = min(cols, key=lambda c: abs(c - built[key]))
        shift = Counter(found[k] - built[k] for k in found).most_common(1)[0][0]
        if shift:
            self.problem(
                None,
                header_row,
                0,
                Notice("why_columns_moved", shift=shift),
            )
        columns = {key: col + shift for key, col in built.items()}
        fixed_own, crit_own = column_labels(self.config, self.lang)
        for key, col in list(columns.items()):
            cell = self.cell(header_row, col)
            if cell is not None and _label(cell.value) in labels[key]:
                continue
            label = crit_own[key[5:]] if key.startswith("crit:") else fixed_own[key]
            if key in FIXED_BEFORE:  # what the pipeline wrote, checked row by row: found by label
                if key in found:
                    columns[key] = found[key]
                    continue
                if key == "der_id":
                    columns[key] = self.id_column_by_content(header_row, col)
                self.problem(None, header_row, col, Notice("why_header_changed", value=f"«{label}»"), _raw(cell))
                continue
            self.bad.add(key)
            why = "why_header_moved" if key in found else "why_header_lost"
            where = {"column": col_letter(found[key])} if key in found else {}
            self.problem(
                None,
                header_row,
                col,
                Notice(why + ("_scores" if key.startswith("crit:") else ""), value=f"«{label}»", **where),
                _raw(cell),
            )
        return header_row, columns

    def id_column_by_content(self, header_row: int, fallback: int) -> int:
        """The column holding the most expected DER ids below the header row."""
        ids = {a.id.casefold() for a in self.expected}
        counts: Counter[int] = Counter()
        for row in self.cells[header_row + 1 :]:
            for c, cell in enumerate(row):
                if cell is not None and _text(cell.value).casefold() in ids:
                    counts[c] += 1
        return counts.most_common(1)[0][0] if counts else fallback

    # -- rows ------------------------------------------------------------------------------
    def title_agrees(self, r: int, app: Application, cols: dict[str, int]) -> bool:
        if "title" in self.bad:
            return False
        cell = self.cell(r, cols["title"])
        return normalise(_text(_raw(cell))) == normalise(app.title)

    def read(self) -> None:
        header_row, cols = self.find_columns()
        by_id = {a.id.casefold(): a for a in self.expected}
        rows_of: dict[str, list[int]] = {}
        for r in range(header_row + 1, len(self.cells)):
            raw_id = _text(getattr(self.cell(r, cols["der_id"]), "value", None))
            if raw_id.casefold() in by_id:
                rows_of.setdefault(by_id[raw_id.casefold()].id, []).append(r)
            elif raw_id:
                self.problem(None, r, cols["der_id"], Notice("why_row_unknown_id", value=repr(raw_id)), raw_id)
            elif any(c is not None and (_text(c.value) or c.formula) for c in self.cells[r]):
                self.problem(
                    None,
                    r,
                    cols["der_id"],
                    Notice("why_row_no_id"),
                    [c.formula or c.value for c in self.cells[r] if c is not None],
                )
        for index, app in enumerate(self.expected):
            rows = rows_of.get(app.id, [])
            if not rows:
                r = self.lay.data_row(index)
                self.problems.append(
                    Problem(
                        self.expert,
                        app.id,
                        f"{a1(r, 0)}:{a1(r, self.lay.width - 1)}",
                        Notice("why_row_deleted", id=app.id, title=f"«{app.title}»"),
                    )
                )
                continue
            agreeing = [r for r in rows if self.title_agrees(r, app, cols)]
            chosen = agreeing[0] if agreeing else None
            for r in rows:
                if r == chosen:
                    continue
                if r in agreeing:
                    self.problem(
                        app.id,
                        r,
                        cols["der_id"],
                        Notice("why_row_again", id=app.id, row=str(chosen + 1) if chosen is not None else "?"),
                        app.id,
                    )
                else:
                    self.problem(
                        app.id,
                        r,
                        cols["title"],
                        Notice("why_id_title", id=app.id, title=f"«{app.title}»"),
                        _raw(self.cell(r, cols["title"])),
                    )
            if chosen is None:  # incomplete until the expert puts the row right
                raw = {k: _raw(self.cell(rows[0], cols[f"crit:{k}"])) for k in self.keys()}
                self.ratings.append(Rating(self.expert, app.id, {k: None for k in self.keys()}, "", raw))
                continue
            self.read_row(chosen, index, app, cols)

    def keys(self) -> list[str]:
        return [c.key for c in self.config.criteria]

    def read_row(self, r: int, index: int, app: Application, cols: dict[str, int]) -> None:
        fixed_labels, _ = column_labels(self.config, self.lang)
        expected = {"no": index + 1, "authors": authors_text(app), "link": app.response.link}
        for key, want in expected.items():
            if key in self.bad:
                continue
            cell = self.cell(r, cols[key])
            got = _raw(cell)
            if _text(got) != _text(want):
                self.problem(
                    app.id,
                    r,
                    cols[key],
                    Notice("why_label_changed", label=fixed_labels[key], value=f"«{_text(want)}»"),
                    got,
                )
        if "sum" not in self.bad:
            self.check_sum(r, self.lay.data_row(index), app, cols)
        scores: dict[str, int | None] = {}
        raw: dict[str, Any] = {}
        recused = self.recused(r, cols)
        for criterion in self.config.criteria:
            key = f"crit:{criterion.key}"
            c = cols[key]
            cell = self.cell(r, c)
            raw[criterion.key] = _raw(cell)
            if key in self.bad:
                scores[criterion.key] = None
                continue
            scores[criterion.key], why = parse_score(cell, criterion)
            if why and not recused:
                self.problem(app.id, r, c, why, raw[criterion.key])
            elif scores[criterion.key] is None and self.require_complete and not recused:
                self.problem(app.id, r, c, Notice("why_blank"), raw[criterion.key])
        comment = self.comment(self.cell(r, cols["comment"])) if "comment" not in self.bad else ""
        worded = worded_criterion(self.config)
        if worded is not None and not comment and scores.get(worded.key) is None:
            # her impression typed into its score cell: the words are kept as the impression (form
            # 02 prints them); the score stays missing and the reminder names the cell
            said = raw.get(worded.key)
            if isinstance(said, str) and (why := parse_score(ScoreCell(said), worded)[1]) is not None:
                comment = said.strip() if why.key == "why_not_number" else comment
        raw["comment"] = comment
        if recused:
            raw["recuse"] = _raw(self.cell(r, cols["recuse"]))
        self.ratings.append(Rating(self.expert, app.id, scores, comment, raw, recused=recused))

    def recused(self, r: int, cols: dict[str, int]) -> bool:
        """The expert marked this DER "I do not rate this" (conflict of interest, 13)."""
        if "recuse" in self.bad:
            return False
        cell = self.cell(r, cols["recuse"])
        if cell is None:
            return False
        if cell.formula:
            return True
        value = cell.value
        if isinstance(value, bool):
            return value
        return _text(value).casefold() not in NOT_A_MARK

    @staticmethod
    def comment(cell: ScoreCell | None) -> str:
        """The comment as text, line breaks kept; a number or formula typed there as its text."""
        if cell is None:
            return ""
        if cell.formula:
            return cell.formula
        return cell.value.strip() if isinstance(cell.value, str) else _text(cell.value)

    def check_sum(self, r: int, built_r: int, app: Application, cols: dict[str, int]) -> None:
        """The sum column keeps the pipeline's formula, for the row as built or where it now is (form 02, 8)."""
        c = cols["sum"]
        cell = self.cell(r, c)
        first, last = cols[f"crit:{self.config.criteria[0].key}"], cols[f"crit:{self.config.criteria[-1].key}"]
        accepted = {
            _norm_formula(f(row, cols=(first, last)))
            for row in (r, built_r)
            for f in (partial(sum_formula, lay=self.lay, config=self.config), legacy_sum_formula)
        }
        formula = cell.formula if cell is not None else None
        if not formula:
            self.problem(app.id, r, c, Notice("why_sum"), cell.value if cell is not None else None)
        elif _norm_formula(formula) not in accepted:
            self.problem(app.id, r, c, Notice("why_sum", expected="=" + sorted(accepted)[0]), formula)


def read_sheet(
    *,
    cells: list[list[ScoreCell]],
    expected: list[Application],
    expert_email: str,
    config: Config,
    lang: str,
    require_complete: bool = False,
) -> tuple[list[Rating], list[Problem]]:
    """The expert's ratings, one per DER row found (blank scores are None: `Rating.complete` says
    whether all are given), and every problem found. With `require_complete`, each blank score is
    also a Problem with the notice why_blank."""
    reader = _Reader(cells, expected, expert_email, config, lang, require_complete)
    reader.read()
    return reader.ratings, reader.problems
