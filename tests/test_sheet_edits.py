"""Sheet edits as careless or hurried experts make them (issue 13, "Done when"): each kind is made
on a filled sheet, the sheet is read as the close reads it (rating_sheet.pick_tab, then read_sheet),
and the outcome is classed:

- read correctly: every DER's counted rating is what the expert typed for it;
- rejected and named: the affected scores are not counted and a problem names a cell (A1 or tab);
- counted wrongly: a counted rating differs from what the expert typed for that DER. Goal 0.

`python -m pytest tests/test_sheet_edits.py -s` prints the counts."""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

import pytest
from test_i18n_notices import assert_said_without_english
from test_rating_sheet import APPS, EMAIL, EXPERT, make_app, make_config

from pipelines.domain.models import ScoreCell
from pipelines.formats.rating_sheet import a1, build_grid, layout, pick_tab, read_sheet, schema, sheet_identity
from pipelines.ports import SheetTab

CONFIG = make_config()
LAY = layout(CONFIG)
KEYS = [c.key for c in CONFIG.criteria]
COLS = [LAY.scores[k] for k in KEYS]
TITLE = schema()["sheet_title"]["kk"]


def ident(**change):
    base = dict(edition="2026", stage=1, group="FIT-IS", expert=EMAIL, applications=APPS)
    base.update(change)
    return sheet_identity(CONFIG, **base)


IDENT = ident()


def typed(i: int, j: int) -> int:
    """What the expert typed for DER i, criterion j: distinct enough that a moved score shows."""
    return (i * 3 + j) % 10 + 1


TRUTH = {a.id: {k: typed(i, j) for j, k in enumerate(KEYS)} for i, a in enumerate(APPS)}


def base_cells(identity=IDENT, apps=APPS) -> list[list[ScoreCell]]:
    g = build_grid(
        config=CONFIG,
        stage=1,
        group_name="Ақпараттық жүйелер",
        expert=EXPERT,
        applications=apps,
        deadline_text="10.03.2026 18:00",
        lang="kk",
        identity=identity,
    )
    cells = [[ScoreCell(c.value, c.formula, a1(r, i)) for i, c in enumerate(row)] for r, row in enumerate(g.rows)]
    for i in range(len(apps)):
        for j, col in enumerate(COLS):
            cells[LAY.data_row(i)][col].value = typed(i, j)
    return cells


def relabel(cells):
    for r, row in enumerate(cells):
        for c, cell in enumerate(row):
            cell.a1 = a1(r, c)
    return cells


def row_of(i: int) -> int:
    return LAY.data_row(i)


def set_cell(i: int, col: int, value=None, formula=None) -> Callable:
    def edit(cells):
        cells[row_of(i)][col].value, cells[row_of(i)][col].formula = value, formula
        return cells

    return edit


def score(i: int, j: int, value) -> Callable:
    return set_cell(i, COLS[j], value)


def header(col: int, value) -> Callable:
    def edit(cells):
        cells[LAY.header_row][col].value = value
        return cells

    return edit


def swap_ids(cells):
    a, b = row_of(0), row_of(1)
    c = LAY.fixed["der_id"]
    cells[a][c].value, cells[b][c].value = cells[b][c].value, cells[a][c].value
    return cells


def next_id(cells):
    c = LAY.fixed["der_id"]
    cells[row_of(0)][c].value = cells[row_of(1)][c].value
    return cells


def swap_headers(cells):
    h, a, b = LAY.header_row, COLS[1], COLS[2]
    cells[h][a].value, cells[h][b].value = cells[h][b].value, cells[h][a].value
    return cells


def delete_column(col: int) -> Callable:
    def edit(cells):
        for row in cells:
            if len(row) > col:
                del row[col]
        return relabel(cells)

    return edit


def insert_column(col: int) -> Callable:
    def edit(cells):
        for row in cells:
            row.insert(col, ScoreCell(None))
        return relabel(cells)

    return edit


def move_column_to_end(col: int) -> Callable:
    def edit(cells):
        for row in cells:
            if len(row) > col:
                row.append(row.pop(col))
        return relabel(cells)

    return edit


def reverse_rows(cells):
    first = row_of(0)
    cells[first:] = cells[first:][::-1]
    return relabel(cells)


def delete_header_block(cells):
    del cells[0:3]
    return relabel(cells)


def blank_rows_between(cells):
    width = len(cells[row_of(0)])
    cells.insert(row_of(1), [ScoreCell(None) for _ in range(width)])
    return relabel(cells)


def delete_row(i: int) -> Callable:
    def edit(cells):
        del cells[row_of(i)]
        return relabel(cells)

    return edit


def append_copy_of_row(i: int, change: int | None = None) -> Callable:
    def edit(cells):
        row = copy.deepcopy(cells[row_of(i)])
        if change is not None:
            for col in COLS:
                row[col].value = change
        cells.append(row)
        return relabel(cells)

    return edit


def append_row(values: dict[int, object]) -> Callable:
    def edit(cells):
        width = len(cells[row_of(0)])
        row = [ScoreCell(None) for _ in range(width)]
        for c, v in values.items():
            row[c].value = v
        cells.append(row)
        return relabel(cells)

    return edit


def merge_scores(i: int) -> Callable:
    """Two score cells merged: the sheet keeps the first value, the second cell reads blank."""
    return score(i, 1, None)


def clear_identity(cells):
    for row in cells:
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("contest-sheet "):
                cell.value = None
    return cells


def replace_identity(new) -> Callable:
    def edit(cells):
        for row in cells:
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("contest-sheet "):
                    cell.value = new.text()
        return cells

    return edit


# Each kind: (name, edit of the rating tab's cells, extra tabs or None, expected class, DERs whose
# truth changed {id: {criterion: value}}, DERs that must not count)
def same(cells):
    return cells


A, B, C = (a.id for a in APPS)


def _t(i, j, v):
    return {APPS[i].id: {KEYS[j]: v}}


KINDS: list[tuple[str, Callable, str, dict, set]] = [
    ("no edit", same, "read", {}, set()),
    ("score typed as text '7'", score(0, 0, "7"), "read", _t(0, 0, 7), set()),
    ("score typed with spaces ' 7 '", score(0, 0, " 7 "), "read", _t(0, 0, 7), set()),
    ("score typed as 7.0", score(0, 0, 7.0), "read", _t(0, 0, 7), set()),
    ("score typed as '7,0'", score(0, 0, "7,0"), "read", _t(0, 0, 7), set()),
    ("score typed as '7.'", score(0, 0, "7."), "read", _t(0, 0, 7), set()),
    ("score typed as '+7'", score(0, 0, "+7"), "read", _t(0, 0, 7), set()),
    ("score with a no-break space", score(0, 0, "\xa07"), "read", _t(0, 0, 7), set()),
    ("score in full-width digits '１０'", score(0, 0, "１０"), "read", _t(0, 0, 10), set()),
    ("score 10 (the top)", score(1, 1, 10), "read", _t(1, 1, 10), set()),
    ("score 1 (the bottom)", score(1, 1, 1), "read", _t(1, 1, 1), set()),
    ("comment on several lines", set_cell(0, LAY.fixed["comment"], "жақсы\nбірақ"), "read", {}, set()),
    ("comment that looks like a formula", set_cell(0, LAY.fixed["comment"], "=бәрі жақсы"), "read", {}, set()),
    ("comment typed as a number", set_cell(0, LAY.fixed["comment"], 42), "read", {}, set()),
    ("title retyped in other case and spacing", set_cell(0, 2, "  python   НЕГІЗДЕРІ "), "read", {}, set()),
    ("№ changed", set_cell(0, 0, 9), "read", {}, set()),
    ("authors changed", set_cell(0, 3, "Басқа адам"), "read", {}, set()),
    ("link changed", set_cell(0, 4, "https://example.com"), "read", {}, set()),
    ("sum formula removed", set_cell(0, LAY.fixed["sum"], 70), "read", {}, set()),
    ("sum formula changed", set_cell(0, LAY.fixed["sum"], None, "=SUM(F9:G9)"), "read", {}, set()),
    ("rows sorted in reverse", reverse_rows, "read", {}, set()),
    ("header block rows deleted", delete_header_block, "read", {}, set()),
    ("a blank row inserted between DERs", blank_rows_between, "read", {}, set()),
    ("a column inserted before the table", insert_column(0), "read", {}, set()),
    ("a column added after the table", insert_column(LAY.width), "read", {}, set()),
    ("a note typed below the table", append_row({2: "тексерілді"}), "read", {}, set()),
    ("a row duplicated with the same scores", append_copy_of_row(0), "read", {}, set()),
    ("a row duplicated and the copy rescored", append_copy_of_row(0, 1), "read", {}, set()),
    ("a row of another DER id added", append_row({1: "DER-ZZZ999", 2: "Бөтен", COLS[0]: 9}), "read", {}, set()),
    ("the № header renamed", header(0, "Реті"), "read", {}, set()),
    ("the hidden id header cleared", header(1, None), "read", {}, set()),
    ("the title header renamed", header(2, "Атауы"), "read", {}, set()),
    ("the comment header renamed", header(LAY.fixed["comment"], "Ескерту"), "read", {}, set()),
    ("recusal marked 'x'", set_cell(1, LAY.fixed["recuse"], "x"), "read", {}, {B}),
    ("recusal marked 'Иә' with scores left", set_cell(1, LAY.fixed["recuse"], "Иә"), "read", {}, {B}),
    ("recusal cell typed 'жоқ'", set_cell(1, LAY.fixed["recuse"], "жоқ"), "read", {}, set()),
    ("recusal cell typed 0", set_cell(1, LAY.fixed["recuse"], 0), "read", {}, set()),
    ("score 0", score(0, 0, 0), "rejected", {}, {A}),
    ("score 11", score(0, 0, 11), "rejected", {}, {A}),
    ("score -3", score(0, 0, -3), "rejected", {}, {A}),
    ("score 7.5", score(0, 0, 7.5), "rejected", {}, {A}),
    ("score '7,5'", score(0, 0, "7,5"), "rejected", {}, {A}),
    ("score 'seven'", score(0, 0, "seven"), "rejected", {}, {A}),
    ("score '8 баллов'", score(0, 0, "8 баллов"), "rejected", {}, {A}),
    ("score '7e0'", score(0, 0, "7e0"), "rejected", {}, {A}),
    ("score True", score(0, 0, True), "rejected", {}, {A}),
    ("score a date", score(0, 0, datetime(2026, 3, 1)), "rejected", {}, {A}),
    ("score a formula '=5+5'", set_cell(0, COLS[0], 10, "=5+5"), "rejected", {}, {A}),
    ("score a formula '=F10'", set_cell(0, COLS[0], 8, "=F10"), "rejected", {}, {A}),
    ("score cleared", score(0, 3, None), "rejected", {}, {A}),
    ("two score cells merged", merge_scores(2), "rejected", {}, {C}),
    ("title changed to another text", set_cell(0, 2, "Менің атауым"), "rejected", {}, {A}),
    ("two rows' hidden ids swapped", swap_ids, "rejected", {}, {A, B}),
    ("a row given the next row's id", next_id, "rejected", {}, {A}),
    ("the hidden id cleared on a row", set_cell(0, 1, None), "rejected", {}, {A}),
    ("a row deleted", delete_row(1), "rejected", {}, {B}),
    ("two criterion headers swapped", swap_headers, "rejected", {}, {A, B, C}),
    ("a criterion column deleted", delete_column(COLS[2]), "rejected", {}, {A, B, C}),
    ("a criterion column moved to the end", move_column_to_end(COLS[0]), "rejected", {}, {A, B, C}),
    ("a criterion header renamed", header(COLS[4], "Менің бағам"), "rejected", {}, {A, B, C}),
    ("a criterion header cleared", header(COLS[6], None), "rejected", {}, {A, B, C}),
    (
        "the column-header row cleared",
        lambda cells: [header(c, None)(cells) for c in range(LAY.width)][-1],
        "rejected",
        {},
        {A, B, C},
    ),
    ("the sheet identity cleared", clear_identity, "rejected", {}, {A, B, C}),
    (
        "a colleague's sheet returned under this name",
        replace_identity(ident(expert="colleague@atu.kz")),
        "rejected",
        {},
        {A, B, C},
    ),
    ("the sheet of another stage", replace_identity(ident(stage=2)), "rejected", {}, {A, B, C}),
    ("the sheet of another group", replace_identity(ident(group="FIT-CS")), "rejected", {}, {A, B, C}),
    (
        "a sheet made for another list of DERs",
        replace_identity(ident(applications=[*APPS[:2], make_app("DER-DDD444", "Басқа", ["X"])])),
        "rejected",
        {},
        {A, B, C},
    ),
]

TAB_KINDS: list[tuple[str, Callable[[list[SheetTab]], list[SheetTab]], str, set]] = [
    ("an extra tab added after", lambda tabs: [*tabs, SheetTab("Жоба", [[ScoreCell("қаралама")]])], "read", set()),
    ("an extra tab added in front", lambda tabs: [SheetTab("Sheet1", [[ScoreCell(5)]]), *tabs], "read", set()),
    (
        "a draft copy of the tab placed in front, rescored",
        lambda tabs: [SheetTab(f"{TITLE} (2)", _rescored(tabs[0].cells)), *tabs],
        "read",
        set(),
    ),
    ("the rating tab renamed", lambda tabs: [SheetTab("Менің бағаларым", tabs[0].cells)], "read", set()),
    (
        "two copies, neither with the original title",
        lambda tabs: [SheetTab("A", tabs[0].cells), SheetTab("B", _rescored(tabs[0].cells))],
        "rejected",
        {A, B, C},
    ),
    ("the rating tab deleted, a blank tab left", lambda tabs: [SheetTab("Sheet1", [])], "rejected", {A, B, C}),
]


def _rescored(cells):
    out = copy.deepcopy(cells)
    for i in range(len(APPS)):
        for col in COLS:
            out[row_of(i)][col].value = 1
    return out


NAMED = re.compile(r"(^|[!':\s])[A-Z]{1,3}\d+|'")


def classify(tabs, truth_changes: dict, excluded: set) -> tuple[str, list]:
    cells, problems = pick_tab(tabs, IDENT, "kk")
    ratings = []
    if cells is not None:
        ratings, found = read_sheet(
            cells=cells, expected=APPS, expert_email=EMAIL, config=CONFIG, lang="kk", require_complete=True
        )
        problems += found
    truth = copy.deepcopy(TRUTH)
    for der, change in truth_changes.items():
        truth[der].update(change)
    counted = {r.application_id: r for r in ratings if r.complete and not r.recused}
    wrong = [d for d, r in counted.items() if r.scores != truth[d]]
    if wrong:
        return "counted wrongly", problems
    if any(d in counted for d in excluded if d not in {r.application_id for r in ratings if r.recused}):
        leaked = [d for d in excluded if d in counted]
        if leaked:
            return "counted wrongly", problems
    missing = [a.id for a in APPS if a.id not in counted and a.id not in excluded]
    if missing:
        return "rejected without reason" if not problems else "rejected and named", problems
    recused = {r.application_id for r in ratings if r.recused}
    if excluded - recused:
        named = problems and all(NAMED.search(p.cell) for p in problems)
        return ("rejected and named" if named else "rejected without reason"), problems
    return "read correctly", problems


def _all_kinds():
    for name, edit, expect, changes, excluded in KINDS:
        yield name, (lambda edit=edit: [SheetTab(TITLE, edit(base_cells()))]), expect, changes, excluded
    for name, tab_edit, expect, excluded in TAB_KINDS:
        yield name, (lambda tab_edit=tab_edit: tab_edit([SheetTab(TITLE, base_cells())])), expect, {}, excluded


ALL = list(_all_kinds())
EXPECT = {"read": "read correctly", "rejected": "rejected and named"}


@pytest.mark.parametrize("name, make, expect, changes, excluded", ALL, ids=[k[0] for k in ALL])
def test_each_kind_of_edit_is_read_correctly_or_rejected_and_named(name, make, expect, changes, excluded):
    got, problems = classify(make(), changes, excluded)
    assert got == EXPECT[expect], (name, [str(p) for p in problems])
    for p in problems:
        assert p.cell  # every problem names where, and says why in Kazakh and Russian, never in English
        assert_said_without_english(p.notice)


def test_the_counts(capsys):
    counts = Counter(classify(make(), changes, excluded)[0] for _n, make, _e, changes, excluded in ALL)
    assert len(ALL) >= 50 and counts["counted wrongly"] == 0 and counts["rejected without reason"] == 0
    with capsys.disabled():
        print(f"\nsheet edits: {len(ALL)} kinds: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


def test_recused_ratings_are_marked_and_kept():
    cells = set_cell(1, LAY.fixed["recuse"], "x")(base_cells())
    ratings, problems = read_sheet(cells=cells, expected=APPS, expert_email=EMAIL, config=CONFIG, lang="kk")
    b = next(r for r in ratings if r.application_id == B)
    assert b.recused and b.raw["recuse"] == "x" and problems == []
    assert not any(r.recused for r in ratings if r.application_id != B)
    assert replace(b, recused=False).complete  # the scores typed are kept, never counted


def test_every_problem_the_reader_can_give_is_met_by_some_edit():
    from test_i18n_notices import CHOSEN, literal_keys, notice_calls

    seen = set()
    for _name, make, _expect, changes, excluded in ALL:
        for p in classify(make(), changes, excluded)[1]:
            seen |= {p.notice.key, *(v.key for v in p.notice.values.values() if hasattr(v, "key"))}
    reader = {
        k
        for path, _line, node in notice_calls()
        if path == "pipelines/formats/rating_sheet.py"
        for k in literal_keys(node)
    }
    assert sorted((reader | CHOSEN["pipelines/formats/rating_sheet.py"]) - seen) == []
