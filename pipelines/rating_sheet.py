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
             formula =SUM(<first criterion>:<last criterion>) of the same row.

`read_sheet` finds the column-header row and the DER id column by content and matches rows by
DER id, never by position, so a sorted or moved row is read correctly. Every problem names the
expert, the DER and the A1 cell, keeps the raw value, and never stops the other cells or rows.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

import yaml

from pipelines.config import Config, Criterion
from pipelines.domain.models import Application, Expert, Problem, Rating, ScoreCell
from pipelines.ports import Cell, SheetGrid, a1, col_letter, text_lines  # noqa: F401 - a1 is part of this module's API

SCHEMA_PATH = files("sheets_schema") / "rating_sheet.yaml"
HEADER_KEYS = ("title", "stage", "group", "expert", "deadline", "instructions")
FIXED_BEFORE = ("no", "der_id", "title", "authors", "link")  # before the criteria
FIXED_AFTER = ("comment", "sum")  # after the criteria


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
        return self.fixed["sum"] + 1


def layout(config: Config) -> Layout:
    """The rating sheet's rows and columns for this config's criteria."""
    keys = [c.key for c in config.criteria]
    fixed = {k: i for i, k in enumerate(FIXED_BEFORE)}
    scores = {k: len(FIXED_BEFORE) + i for i, k in enumerate(keys)}
    fixed.update({k: len(FIXED_BEFORE) + len(keys) + i for i, k in enumerate(FIXED_AFTER)})
    return Layout(header_row=len(HEADER_KEYS) + 1, fixed=fixed, scores=scores)


def sum_formula(row: int, lay: Layout) -> str:
    """The sum of a DER row's criterion cells (form 02, column 8)."""
    cols = sorted(lay.scores.values())
    return f"=SUM({a1(row, cols[0])}:{a1(row, cols[-1])})"


def column_labels(config: Config, lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """(fixed column key -> label, criterion key -> label) in one language."""
    spec = _column_spec()
    fixed = {k: spec[k][lang] for k in FIXED_BEFORE + FIXED_AFTER}
    return fixed, {c.key: c.label(lang) for c in config.criteria}


def authors_text(app: Application) -> str:
    """The authors as printed in the sheet: the parsed names, else the text as typed."""
    names = [a.name.strip() for a in app.response.authors if a.name.strip()]
    return ", ".join(names) if names else app.response.authors_raw.strip()


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


def guidance(criterion: Criterion, lang: str) -> list[str]:
    """The clause-10 descriptions the criterion weighs (sheets_schema/rating_sheet.yaml)."""
    sch = schema()
    return [sch["guidance"][k][lang] for k in sch["criterion_guidance"].get(criterion.key, [])]


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def score_help(criterion: Criterion, lang: str) -> tuple[str, str]:
    """(input message, refusal text) of a criterion's score cells, in the sheet's language. The
    input message is cut to 255 characters, the most Excel shows."""
    sch = schema()
    lo, hi = criterion.min, criterion.max
    short = "; ".join(g.split(" (")[0] for g in guidance(criterion, lang)) or criterion.label(lang)
    prompt = sch["score_prompt"][lang].format(min=lo, max=hi, guidance=short)
    allowed = ", ".join(str(n) for n in range(lo, hi + 1))
    return _trim(prompt, 255), sch["score_error"][lang].format(min=lo, max=hi, allowed=allowed)


def criterion_note(criterion: Criterion, lang: str) -> str:
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
    people = list(getattr(config.backend, "cdb_editors", []) or [])
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
) -> SheetGrid:
    """One expert's rating sheet (form 02) for one group of one stage, as an expert uses it:
    landscape A4 one page wide with the column headers on every page, title and authors frozen,
    links clickable, each criterion's wording and 10.x guidance on its header, help and a
    refusal text naming the allowed values on every score cell."""
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
        long = k == "instructions"  # the instruction block: wrapped across the sheet's width
        cell = Cell(sch["header"][lang][k].format(**values), bold=not long, wrap=long, span=lay.width if long else 1)
        rows.append([cell])
    rows[0] += [Cell() for _ in range(lay.width - 2)] + [Cell(sch["form_code"])]
    rows.append([Cell()])
    fixed_labels, score_labels = column_labels(config, lang)
    header = [Cell() for _ in range(lay.width)]
    for key, col in lay.fixed.items():
        header[col] = Cell(fixed_labels[key], bold=True, wrap=True, boxed=True)
    by_key = {c.key: c for c in config.criteria}
    for key, col in lay.scores.items():
        header[col] = Cell(score_labels[key], bold=True, wrap=True, boxed=True, note=criterion_note(by_key[key], lang))
    header[lay.fixed["link"]].note = sch["link_note"][lang]
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
        row[lay.fixed["sum"]] = Cell(formula=sum_formula(r, lay), boxed=True, centered=True, bold=True)
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


def _label(value: Any) -> str:
    return _text(value).casefold()


def parse_score(cell: ScoreCell | None, criterion: Criterion) -> tuple[int | None, str | None]:
    """(whole number, None), (None, None) when blank, or (None, why the value is rejected) (form 02)."""
    if cell is None:
        return None, None
    if cell.formula:
        return None, f"a formula in a score cell ({cell.formula}); type a whole number"
    value = cell.value
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    number: float
    if isinstance(value, bool):
        return None, f"not a number: {value!r}"
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)", text):
            return None, f"text, not a number: {value!r}"
        number = float(text.replace(",", "."))
    elif isinstance(value, (int, float)):
        number = value
    else:
        return None, f"not a number: {value!r}"
    if not math.isfinite(number) or not float(number).is_integer():
        return None, f"not a whole number: {value!r}"
    if not criterion.min <= int(number) <= criterion.max:
        return None, f"out of range: {int(number)} (allowed {criterion.min}–{criterion.max})"
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

    def cell(self, r: int, c: int) -> ScoreCell | None:
        row = self.cells[r] if 0 <= r < len(self.cells) else []
        return row[c] if 0 <= c < len(row) else None

    def where(self, r: int, c: int) -> str:
        cell = self.cell(r, c)
        return cell.a1 if cell is not None and cell.a1 else a1(r, c)

    def problem(self, app_id: str | None, r: int, c: int, detail: str, raw: Any = None) -> None:
        self.problems.append(Problem(self.expert, app_id, self.where(r, c), detail, raw))

    # -- header ----------------------------------------------------------------------------
    def labels(self) -> dict[str, set[str]]:
        """Column key ("crit:<key>" for criteria) -> accepted labels, in kk and ru."""
        out: dict[str, set[str]] = {}
        for lang in ("kk", "ru"):
            fixed, scores = column_labels(self.config, lang)
            for k, v in list(fixed.items()) + [(f"crit:{k}", v) for k, v in scores.items()]:
                out.setdefault(k, set()).add(_label(v))
        return out

    def built(self) -> dict[str, int]:
        return {**self.lay.fixed, **{f"crit:{k}": c for k, c in self.lay.scores.items()}}

    def find_columns(self) -> tuple[int, dict[str, int]]:
        """The column-header row (the row holding most column labels) and each column's index."""
        labels, built = self.labels(), self.built()
        every = set().union(*labels.values())
        hits = [sum(_label(c.value) in every for c in row if c is not None) for row in self.cells]
        if not hits or max(hits) == 0:
            header_row = self.lay.header_row
            self.problem(None, header_row, 0, "column-header row not found; read as built", None)
            return header_row, built
        header_row = hits.index(max(hits))
        row = self.cells[header_row]
        found = {}
        for key, accepted in labels.items():
            cols = [c for c, cell in enumerate(row) if cell is not None and _label(cell.value) in accepted]
            if cols:
                found[key] = min(cols, key=lambda c: abs(c - built[key]))
        shift = Counter(found[k] - built[k] for k in found).most_common(1)[0][0]
        columns = {}
        fixed_own, crit_own = column_labels(self.config, self.lang)
        for key, col in built.items():
            if key in found:
                columns[key] = found[key]
                continue
            columns[key] = col + shift
            label = crit_own[key[5:]] if key.startswith("crit:") else fixed_own[key]
            cell = self.cell(header_row, columns[key])
            self.problem(
                None,
                header_row,
                columns[key],
                f"column header changed: expected «{label}»",
                cell.value if cell else None,
            )
        moved = [k for k in found if found[k] != built[k]]
        if moved:
            self.problem(
                None,
                header_row,
                found[moved[0]],
                "columns were inserted, deleted or moved: "
                + ", ".join(f"{k.removeprefix('crit:')} {col_letter(built[k])}->{col_letter(found[k])}" for k in moved),
            )
        if "der_id" not in found:
            columns["der_id"] = self.id_column_by_content(header_row, columns["der_id"])
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
    def read(self) -> None:
        header_row, cols = self.find_columns()
        by_id = {a.id.casefold(): (i, a) for i, a in enumerate(self.expected)}
        seen: dict[str, int] = {}
        for r in range(header_row + 1, len(self.cells)):
            raw_id = _text(getattr(self.cell(r, cols["der_id"]), "value", None))
            if raw_id.casefold() in by_id:
                index, app = by_id[raw_id.casefold()]
                if app.id in seen:
                    self.problem(
                        app.id,
                        r,
                        cols["der_id"],
                        f"row added: DER {app.id} appears again (first in row {seen[app.id] + 1}); this row is ignored",
                        raw_id,
                    )
                    continue
                seen[app.id] = r
                self.read_row(r, index, app, cols)
            elif raw_id:
                self.problem(None, r, cols["der_id"], f"row added: unexpected DER id {raw_id!r}; ignored", raw_id)
            elif any(c is not None and (_text(c.value) or c.formula) for c in self.cells[r]):
                self.problem(
                    None,
                    r,
                    cols["der_id"],
                    "row added without a DER id; ignored",
                    [c.formula or c.value for c in self.cells[r] if c is not None],
                )
        for index, app in enumerate(self.expected):
            if app.id not in seen:
                r = self.lay.data_row(index)
                self.problems.append(
                    Problem(
                        self.expert,
                        app.id,
                        f"{a1(r, 0)}:{a1(r, self.lay.width - 1)}",
                        f"row deleted: DER {app.id} «{app.title}» is missing",
                    )
                )

    def read_row(self, r: int, index: int, app: Application, cols: dict[str, int]) -> None:
        fixed_labels, _ = column_labels(self.config, self.lang)
        expected = {"no": index + 1, "title": app.title, "authors": authors_text(app), "link": app.response.link}
        for key, want in expected.items():
            cell = self.cell(r, cols[key])
            got = (cell.formula or cell.value) if cell is not None else None
            if _text(got) != _text(want):
                self.problem(app.id, r, cols[key], f"{fixed_labels[key]} changed: expected «{_text(want)}»", got)
        self.check_sum(r, self.lay.data_row(index), app, cols)
        scores: dict[str, int | None] = {}
        raw: dict[str, Any] = {}
        for criterion in self.config.criteria:
            c = cols[f"crit:{criterion.key}"]
            cell = self.cell(r, c)
            raw[criterion.key] = (cell.formula or cell.value) if cell is not None else None
            scores[criterion.key], why = parse_score(cell, criterion)
            if why:
                self.problem(app.id, r, c, why, raw[criterion.key])
            elif scores[criterion.key] is None and self.require_complete:
                self.problem(app.id, r, c, "blank", raw[criterion.key])
        comment = self.comment(self.cell(r, cols["comment"]))
        raw["comment"] = comment
        self.ratings.append(Rating(self.expert, app.id, scores, comment, raw))

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
        accepted = {_norm_formula(f"SUM({a1(row, first)}:{a1(row, last)})") for row in (r, built_r)}
        formula = cell.formula if cell is not None else None
        if not formula:
            self.problem(app.id, r, c, "sum formula removed", cell.value if cell is not None else None)
        elif _norm_formula(formula) not in accepted:
            self.problem(app.id, r, c, f"sum formula changed: expected ={sorted(accepted)[0]}", formula)


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
    also a Problem with detail "blank"."""
    reader = _Reader(cells, expected, expert_email, config, lang, require_complete)
    reader.read()
    return reader.ratings, reader.problems
