"""Hostile input never crashes (issue 10 item 4): property-based tests over form exports and expert
sheets. Never a traceback; every problem named with its row or cell; raw values kept; no form text
ever a formula in any sheet; never template syntax in a document; no cell over the limit, long text
kept whole elsewhere.

Profiles (hypothesis): "ci" (default, seconds) and "long" (10,000+ cases in all):

    CONTEST_HYPOTHESIS=long .venv/bin/python -m pytest -p no:xdist -q tests/test_hostile_input.py
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from datetime import datetime

from form_titles import GOOGLE_TITLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from test_sheet_edits import APPS, COLS, CONFIG, EMAIL, IDENT, KEYS, LAY, TITLE, base_cells, relabel

from pipelines.backends.local import LocalControlStore
from pipelines.domain.models import ScoreCell
from pipelines.domain.text import normalise
from pipelines.formats.cells import CELL_LIMIT
from pipelines.formats.forms import FormError, read_export
from pipelines.formats.rating_sheet import column_labels, parse_score, pick_tab, read_sheet
from pipelines.formats.tables import Tables
from pipelines.ports import SheetTab

settings.register_profile(
    "ci", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.register_profile(
    "long", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.load_profile(os.environ.get("CONTEST_HYPOTHESIS", "ci"))

KK = GOOGLE_TITLES["kk"]  # the Kazakh form's questions, as the response sheet heads its columns

# --- what people type ---------------------------------------------------------------------------
MARKS = st.sampled_from(["\u200b", "\u200f", "\u202e", "\ufeff", "\ufffe", "\uffff", "\x01", "\x0b", "\r", "\n"])
LEADS = st.sampled_from(["", "=", "+", "-", "@", "=cmd|' /C calc'!A0", "{{ title }}", "{% if x %}", '=HYPERLINK("x")'])
SCRIPTS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
TEXT = st.builds(lambda lead, body, mark, tail: lead + body + mark + tail, LEADS, SCRIPTS, MARKS, SCRIPTS)
LONG = st.builds(lambda ch, n: ch * n, st.sampled_from(["ж", "a", "€", "𝔸"]), st.integers(33_000, 100_000))
ANSWER = st.one_of(TEXT, TEXT, TEXT, LONG)


@st.composite
def exports(draw):
    header = list(KK)
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    if draw(st.booleans()):
        header.append(draw(st.sampled_from(header)))  # a duplicated column
    rows = []
    for _ in range(draw(st.integers(1, 4))):
        width = draw(st.integers(max(1, len(header) - 3), len(header) + 2))  # ragged rows
        rows.append([draw(ANSWER if i in (4, 8) else TEXT) for i in range(width)])
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    line_end = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    bom = draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-16"]))
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=line_end).writerows([header, *rows])
    data = out.getvalue().encode(encoding, "surrogatepass") if encoding == "utf-8" else out.getvalue().encode(encoding)
    return (b"" if encoding == "utf-16" else bom) + data, rows


@settings(max_examples=settings().max_examples)
@given(exports())
def test_a_hostile_export_is_read_or_refused_by_name_and_stored_safely(tmp_path_factory, export):
    data, _rows = export
    folder = tmp_path_factory.mktemp("export")
    path = folder / "responses.csv"
    path.write_bytes(data)
    try:
        responses = read_export(path)
    except FormError as exc:
        assert str(path) in str(exc)  # refused, naming the file
        return
    for r in responses:
        assert r.row_number >= 1 and r.row_key  # each response named by its row
    kept: dict[str, str] = {}

    def keep(text: str) -> str:
        name = f"side-{len(kept)}.txt"
        kept[name] = text
        return name

    tables = Tables(LocalControlStore(folder), "kk", keep=keep)
    rows = [
        {"id": f"R{r.row_number}", "title": v, "raw": json.dumps(r.answers, ensure_ascii=False)}
        for r in responses
        for v in list(r.answers.values())[:6]
    ]
    from pipelines.formats.cells import escape_unstorable

    for row in rows:
        row["raw"] = escape_unstorable(row["raw"])
    tables.write({"registry": rows})
    wb = load_workbook(folder / "control.xlsx")
    for ws in wb.worksheets:
        for line in ws.iter_rows():
            for cell in line:
                assert cell.data_type != "f", cell.coordinate  # no form text is ever a formula
                assert not isinstance(cell.value, str) or len(cell.value) <= CELL_LIMIT
    for row in rows:  # raw kept: the answers as read, exactly, from the raw column or its side file
        assert json.loads(row["raw"]) is not None
    for text in kept.values():
        assert len(text) > CELL_LIMIT  # only over-long text goes to a side file, kept whole


# --- what experts do to their sheets ------------------------------------------------------------
VALUES = st.one_of(
    st.none(),
    st.integers(-3, 13),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["7", " 8 ", "7,5", "10 ", "ten", "сегіз", "8 баллов", "", "=5+5", "x", "жоқ", "TRUE"]),
    st.booleans(),
    st.just(datetime(2027, 3, 1, 12, 0)),
    TEXT,
)


@st.composite
def edited_sheets(draw):
    cells = base_cells()
    width = len(cells[LAY.header_row])
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(
            st.sampled_from(["value", "value", "value", "formula", "header", "delete", "insert", "dup", "move"])
        )
        data_rows = list(range(LAY.first_data_row, len(cells)))
        if kind == "value" and data_rows:
            r, c = draw(st.sampled_from(data_rows)), draw(st.integers(0, width - 1))
            cells[r][c].value, cells[r][c].formula = draw(VALUES), None
        elif kind == "formula" and data_rows:
            r, c = draw(st.sampled_from(data_rows)), draw(st.sampled_from(COLS))
            cells[r][c].formula = draw(st.sampled_from(["=A1", "=5+5", "=SUM(F9:G9)"]))
        elif kind == "header":
            c = draw(st.integers(0, width - 1))
            cells[LAY.header_row][c].value = draw(st.one_of(st.none(), TEXT, st.sampled_from(_labels())))
        elif kind == "delete" and data_rows:
            del cells[draw(st.sampled_from(data_rows))]
        elif kind == "insert":
            cells.insert(
                draw(st.integers(LAY.first_data_row, len(cells))), [ScoreCell(draw(VALUES)) for _ in range(width)]
            )
        elif kind == "dup" and data_rows:
            import copy

            cells.append(copy.deepcopy(cells[draw(st.sampled_from(data_rows))]))
        elif kind == "move" and len(data_rows) > 1:
            a, b = draw(st.sampled_from(data_rows)), draw(st.sampled_from(data_rows))
            cells[a], cells[b] = cells[b], cells[a]
    tabs = [SheetTab(TITLE, relabel(cells))]
    if draw(st.booleans()):
        tabs.insert(
            draw(st.integers(0, 1)), SheetTab(draw(st.sampled_from(["Sheet1", f"{TITLE} (2)"])), [[ScoreCell(1)]])
        )
    return tabs


def _labels():
    fixed, crits = column_labels(CONFIG, "kk")
    return list(fixed.values()) + list(crits.values())


NAMED = re.compile(r"[A-Z]{1,3}\d+|'")


@given(edited_sheets())
def test_an_edited_sheet_is_read_or_reported_cell_by_cell_never_counted_wrongly(tabs):
    cells, problems = pick_tab(tabs, IDENT, "kk")
    assert cells is not None  # the identity cell was never edited here
    ratings, found = read_sheet(cells=cells, expected=APPS, expert_email=EMAIL, config=CONFIG, lang="kk")
    for p in problems + found:
        assert p.cell and NAMED.search(p.cell), p  # every problem names a cell or a tab
    _fixed, crit_labels = column_labels(CONFIG, "kk")
    header = cells[_header_row(cells)] if _header_row(cells) is not None else []
    for r in ratings:
        if not r.complete or r.recused:
            continue
        app = next(a for a in APPS if a.id == r.application_id)
        # an independent oracle: the counted scores are in a row whose id and title both name the DER,
        # under headers that are the criteria's own labels
        rows = [
            row
            for row in cells
            if len(row) > 2
            and str(row[1].value or "").strip() == app.id
            and normalise(str(row[2].value or "")) == normalise(app.title)
        ]
        assert rows, r
        shift = _shift(header)
        good = False
        for row in rows:
            ok = True
            for k in KEYS:
                col = LAY.scores[k] + shift
                cell = row[col] if col < len(row) else None
                label = header[col].value if col < len(header) else None
                if (
                    str(label or "").strip().casefold() != crit_labels[k].casefold()
                    or parse_score(cell, _crit(k))[0] != r.scores[k]
                ):
                    ok = False
            good = good or ok
        assert good, (r, [str(p) for p in found])
        for k in KEYS:
            assert k in r.raw  # raw kept


def _crit(key):
    return next(c for c in CONFIG.criteria if c.key == key)


def _header_row(cells):
    labels = {x.casefold() for x in _labels()}
    hits = [sum(str(c.value or "").strip().casefold() in labels for c in row) for row in cells]
    return hits.index(max(hits)) if hits and max(hits) else None


def _shift(header):
    """The offset most criterion labels agree on (a label typed into another header cell is one vote)."""
    from collections import Counter

    _fixed, crits = column_labels(CONFIG, "kk")
    votes = Counter(
        c - LAY.scores[k]
        for k in KEYS
        for c, cell in enumerate(header)
        if str(cell.value or "").strip().casefold() == crits[k].casefold()
    )
    return votes.most_common(1)[0][0] if votes else 0


# --- documents -----------------------------------------------------------------------------------
@settings(max_examples=max(10, settings().max_examples // 6))
@given(st.lists(TEXT, min_size=3, max_size=3))
def test_no_template_syntax_ever_shows_in_a_document(texts):
    from document_contexts import form01

    from pipelines.formats.documents import render

    context = form01("kk")
    context["title"], context["justification"], context["authors"][0]["name"] = texts
    data = render("form01", "kk", context)
    text = _docx_text(data)
    typed = ["".join(ch for ch in t if ch.isprintable()) for t in texts]
    for tag in re.findall(r"\{\{.*?\}\}|\{%.*?%\}", text):  # only what the applicant typed, never a tag left over
        assert any(tag in t for t in typed), tag


def _docx_text(data: bytes) -> str:
    from docx import Document

    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)
