"""The rating sheet (form 02): layout, and reading back a tampered sheet cell by cell."""

from __future__ import annotations

import copy
from datetime import datetime

import pytest

from pipelines.config import Config
from pipelines.domain.models import Application, Author, Expert, Notice, Response, ScoreCell, Status
from pipelines.formats import rating_sheet
from pipelines.formats.rating_sheet import a1, build_grid, layout, read_sheet
from pipelines.ports import SheetGrid

CONFIG = {
    "edition": {"name": "ATU best DER 2026", "year": 2026},
    "calendar": {
        "announcement": "2026-01-05T09:00",
        "intake_open": "2026-01-20T09:00",
        "intake_close": "2026-02-20T18:00",
        "stage1_close": "2026-03-10T18:00",
        "stage2_close": "2026-03-31T18:00",
        "stage3_close": "2026-04-20T18:00",
    },
    "faculties": [
        {
            "id": "FIT",
            "name_kk": "АТ факультеті",
            "name_ru": "Факультет ИТ",
            "departments": [{"id": "IS", "name_kk": "Ақпараттық жүйелер", "name_ru": "Информационные системы"}],
        }
    ],
    "commissions": {"contest": [{"name": "Председатель", "email": "chair@atu.kz"}]},
}
EXPERT = Expert("Серикова Алия", "serikova@atu.kz", "IS")
EMAIL = EXPERT.email


def make_config(**overrides) -> Config:
    data = copy.deepcopy(CONFIG)
    data.update(overrides)
    return Config.model_validate(data)


def make_app(app_id: str, title: str, authors: list[str]) -> Application:
    response = Response(
        row_key=app_id,
        row_number=1,
        submitted_at=datetime(2026, 2, 1),
        respondent_email="a@atu.kz",
        faculty="FIT",
        department="IS",
        title=title,
        authors=[Author(a) for a in authors],
        authors_raw=", ".join(authors),
        languages=["kk"],
        der_type="",
        justification="",
        link=f"https://skills.atu.kz/course/{app_id}",
        act_files=[],
        certificate_files=[],
        raw={},
    )
    return Application(app_id, response, Status.ACCEPTED, [], "FIT", "IS")


APPS = [
    make_app("DER-AAA111", "Python негіздері", ["Абенов Данияр"]),
    make_app("DER-BBB222", "Деректер қоры", ["Ким Ольга", "Ли Виктор"]),
    make_app("DER-CCC333", "Желілік технологиялар", ["Омаров Бахыт"]),
]


def grid(lang: str = "kk", config: Config | None = None, apps=APPS) -> SheetGrid:
    return build_grid(
        config=config or make_config(),
        stage=1,
        group_name="Ақпараттық жүйелер",
        expert=EXPERT,
        applications=apps,
        deadline_text="10.03.2026 18:00",
        lang=lang,
    )


def to_cells(g: SheetGrid) -> list[list[ScoreCell]]:
    """What a backend reads back from a freshly created sheet."""
    return [
        [ScoreCell(value=c.value, formula=c.formula, a1=a1(r, i)) for i, c in enumerate(row)]
        for r, row in enumerate(g.rows)
    ]


def relabel(cells: list[list[ScoreCell]]) -> list[list[ScoreCell]]:
    """Give every cell the A1 name of where it now is, as a backend reading the sheet would."""
    for r, row in enumerate(cells):
        for c, cell in enumerate(row):
            cell.a1 = a1(r, c)
    return cells


def filled(scores: dict[int, list] | None = None, lang: str = "kk") -> list[list[ScoreCell]]:
    """A built sheet with every DER scored 8 unless `scores` gives its row's values (by DER index)."""
    cells = to_cells(grid(lang))
    lay = layout(make_config())
    for i in range(len(APPS)):
        values = (scores or {}).get(i, [8] * 7)
        for col, value in zip(sorted(lay.scores.values()), values):
            cells[lay.data_row(i)][col].value = value
    return cells


def read(cells, lang: str = "kk", **kw):
    return read_sheet(cells=cells, expected=APPS, expert_email=EMAIL, config=make_config(), lang=lang, **kw)


def by_id(ratings):
    return {r.application_id: r for r in ratings}


LAY = layout(make_config())
F, L = LAY.scores["completeness"], LAY.scores["impression"]  # first and last criterion columns


# --- layout -----------------------------------------------------------------------------------
def test_a1_helper():
    assert a1(0, 0) == "A1" and a1(8, 5) == "F9" and a1(0, 25) == "Z1" and a1(2, 26) == "AA3" and a1(0, 27) == "AB1"


def test_layout_rows_and_columns():
    assert LAY.header_row == 7 and LAY.first_data_row == 8
    assert LAY.fixed == {
        "no": 0,
        "der_id": 1,
        "title": 2,
        "authors": 3,
        "link": 4,
        "comment": 12,
        "sum": 13,
        "recuse": 14,
    }
    assert list(LAY.scores.values()) == list(range(5, 12))


def test_build_grid_header_block_in_kazakh_and_russian():
    kk, ru = grid("kk"), grid("ru")
    assert kk.rows[0][0].value == "«АТУ үздік цифрлық білім беру ресурсы – 2026» байқауы"
    assert ru.rows[0][0].value == "Конкурс «Лучший цифровой образовательный ресурс АТУ – 2026»"
    texts = [r[0].value for r in kk.rows[:6]]
    assert "1-кезең" in texts[1] and "Ақпараттық жүйелер" in texts[2]
    assert "Серикова Алия" in texts[3] and EMAIL in texts[3] and "10.03.2026 18:00" in texts[4]
    assert "1-ден (өте нашар) 10-ге (өте жақсы)" in texts[5]
    assert "от 1 (очень плохо) до 10 (очень хорошо)" in ru.rows[5][0].value and "жёлтых" in ru.rows[5][0].value
    assert all(r[0].bold for r in kk.rows[:5])
    assert all(c.value is None for c in kk.rows[6])
    assert kk.title == "Бағалау парағы" and ru.title == "Оценочный лист"


def test_build_grid_column_headers_data_rows_and_presentation():
    g = grid("ru")
    header = [c.value for c in g.rows[7]]
    assert header[:5] == ["№", "ID ЦОР", "Название ЦОР", "Автор(ы) ЦОР", "Ссылка на ЦОР"]
    assert header[5:11] == [c.ru for c in make_config().criteria][:6]
    # criterion 7 as form 02 means it: a score and the words beside it, both under its wording
    impression = make_config().criteria[6].ru
    assert header[11] == f"{impression}: оценка (1–10)" and header[12] == f"{impression}: словами"
    assert header[13] == "Сумма баллов по всем показателям"
    assert "только когда все 7 оценок" in g.rows[7][13].note and "словами" in g.rows[7][12].note
    assert all(c.bold for c in g.rows[7])
    assert g.frozen_rows == 8 and g.hidden_columns == [1] and len(g.column_widths) == 15 == g.width
    row = g.rows[9]  # the second DER
    assert [c.value for c in row[:5]] == [
        2,
        "DER-BBB222",
        "Деректер қоры",
        "Ким Ольга, Ли Виктор",
        "https://skills.atu.kz/course/DER-BBB222",
    ]
    assert all(c.editable and c.validation == (1, 10) and c.value is None for c in row[5:12])
    assert row[12].editable and row[12].validation is None
    assert row[13].formula == (
        '=IF(COUNT(F10:L10)<7,"",IF(OR(MIN(F10:L10)<1,MAX(F10:L10)>10,SUMPRODUCT(MOD(F10:L10,1))<>0),"",SUM(F10:L10)))'
    )
    assert not row[13].editable
    assert not any(c.editable for r in g.rows[:8] for c in r)
    assert row[14].editable and row[14].validation is None  # the recusal mark (13)
    assert len(g.editable_cells()) == 3 * 9


def test_custom_criteria_change_the_columns_and_the_formula():
    config = make_config(
        criteria=[{"key": "a", "kk": "А", "ru": "А", "min": 0, "max": 5}, {"key": "b", "kk": "Б", "ru": "Б"}]
    )
    g = grid(config=config)
    assert g.rows[8][5].validation == (0, 5) and g.rows[8][6].validation == (1, 10)
    assert g.rows[8][8].formula.endswith(',"",SUM(F9:G9)))') and "COUNT(F9:G9)<2" in g.rows[8][8].formula
    assert g.rows[7][7].value == "Комментарий (можно написать несколько строк)" or g.rows[7][7].value.startswith(
        "Пікір"
    )
    assert "0-ден (өте нашар)" in g.rows[5][0].value


# --- reading back -----------------------------------------------------------------------------
def test_clean_sheet_reads_complete_ratings_without_problems():
    cells = filled({1: [10, 9, 8, 7, 6, 5, 4]})
    cells[LAY.data_row(1)][12].value = "Жақсы ресурс,\nбірақ бейне аз"
    ratings, problems = read(cells)
    assert problems == []
    r = by_id(ratings)
    assert set(r) == {"DER-AAA111", "DER-BBB222", "DER-CCC333"}
    assert r["DER-BBB222"].scores["completeness"] == 10 and r["DER-BBB222"].total == 49
    assert r["DER-BBB222"].comment == "Жақсы ресурс,\nбірақ бейне аз"
    assert all(x.complete and x.expert_email == EMAIL for x in ratings)


def test_russian_sheet_reads_back_too():
    ratings, problems = read(filled(lang="ru"), lang="ru")
    assert problems == [] and all(r.total == 56 for r in ratings)


def test_blank_scores_make_the_rating_incomplete_and_are_problems_only_on_request():
    cells = filled({0: [8, None, "  ", 8, 8, 8, 8]})
    ratings, problems = read(cells)
    assert problems == []
    r = by_id(ratings)["DER-AAA111"]
    assert not r.complete and r.total is None and r.scores["text_quality"] is None
    _, problems = read(cells, require_complete=True)
    assert [(p.application_id, p.cell, p.notice) for p in problems] == [
        ("DER-AAA111", "G9", Notice("why_blank")),
        ("DER-AAA111", "H9", Notice("why_blank")),
    ]


@pytest.mark.parametrize(
    "value, accepted, detail",
    [
        (7, 7, None),
        (7.0, 7, None),
        ("7", 7, None),
        (" 10 ", 10, None),
        ("7.0", 7, None),
        (0, None, Notice("why_out_of_range", value=0, allowed="1–10")),
        (11, None, Notice("why_out_of_range", value=11, allowed="1–10")),
        ("11", None, Notice("why_out_of_range", value=11, allowed="1–10")),
        (-3, None, Notice("why_out_of_range", value=-3, allowed="1–10")),
        (7.5, None, Notice("why_not_whole", value="«7.5»")),
        ("7,5", None, Notice("why_not_whole", value="«7,5»")),
        ("seven", None, Notice("why_not_number", value="«seven»")),
        ("7 points", None, Notice("why_not_number", value="«7 points»")),
        (True, None, Notice("why_not_number", value="«True»")),
    ],
)
def test_score_values(value, accepted, detail):
    cells = filled()
    cells[LAY.data_row(2)][F + 3].value = value  # DER-CCC333, criterion "design", cell I11
    ratings, problems = read(cells)
    assert by_id(ratings)["DER-CCC333"].scores["design"] == accepted
    if detail is None:
        assert problems == []
    else:
        (p,) = problems
        assert (p.expert, p.application_id, p.cell, p.raw) == (EMAIL, "DER-CCC333", "I11", value)
        assert p.notice == detail
        assert by_id(ratings)["DER-CCC333"].raw["design"] == value
        assert all(r.complete for r in ratings if r.application_id != "DER-CCC333")


def test_a_formula_typed_in_a_score_cell_is_rejected():
    cells = filled()
    cell = cells[LAY.data_row(0)][F]
    cell.formula, cell.value = "=5+5", 10
    ratings, problems = read(cells)
    assert by_id(ratings)["DER-AAA111"].scores["completeness"] is None
    (p,) = problems
    assert (p.application_id, p.cell, p.raw) == ("DER-AAA111", "F9", "=5+5") and p.notice.key == "why_formula"


def test_rows_are_matched_by_der_id_not_position():
    cells = filled({0: [1] * 7, 2: [10] * 7})
    d0, d2 = LAY.data_row(0), LAY.data_row(2)
    cells[d0], cells[d2] = cells[d2], cells[d0]  # the expert sorted the rows
    ratings, problems = read(relabel(cells))
    assert problems == []
    assert by_id(ratings)["DER-AAA111"].total == 7 and by_id(ratings)["DER-CCC333"].total == 70


def test_a_deleted_row_is_reported_and_the_others_are_read():
    cells = filled()
    del cells[LAY.data_row(1)]
    ratings, problems = read(relabel(cells))
    assert set(by_id(ratings)) == {"DER-AAA111", "DER-CCC333"}
    (p,) = problems
    assert p.application_id == "DER-BBB222" and p.notice.key == "why_row_deleted" and p.cell == "A10:O10"


def test_added_rows_unexpected_id_and_no_id_with_values():
    cells = filled()
    extra = copy.deepcopy(cells[LAY.data_row(0)])
    extra[1].value = "DER-ZZZ999"
    cells.append(extra)
    blank = [ScoreCell(None, a1=a1(len(cells), c)) for c in range(14)]
    cells.append(blank)  # an empty row is fine
    no_id = [ScoreCell(None, a1=a1(len(cells), c)) for c in range(14)]
    no_id[2].value, no_id[5].value = "Менің ресурсым", 10
    cells.append(no_id)
    ratings, problems = read(relabel(cells))
    assert len(ratings) == 3 and all(r.complete for r in ratings)
    assert [(p.application_id, p.cell, p.notice) for p in problems] == [
        (None, "B12", Notice("why_row_unknown_id", value="'DER-ZZZ999'")),
        (None, "B14", Notice("why_row_no_id")),
    ]
    assert problems[0].raw == "DER-ZZZ999"


def test_a_duplicated_row_is_reported_and_the_first_one_counts():
    cells = filled({0: [9] * 7})
    copy_row = copy.deepcopy(cells[LAY.data_row(0)])
    for c in copy_row[F : L + 1]:
        c.value = 1
    cells.append(copy_row)
    ratings, problems = read(relabel(cells))
    assert by_id(ratings)["DER-AAA111"].total == 63
    (p,) = problems
    assert (
        p.application_id == "DER-AAA111"
        and p.notice == Notice("why_row_again", id="DER-AAA111", row="9")
        and p.cell == "B12"
    )


def test_edits_outside_score_cells_are_problems_but_scores_stay_usable():
    cells = filled()
    r = LAY.data_row(1)
    cells[r][0].value = 5  # № changed
    cells[r][2].value = "  деректер  ҚОРЫ "  # the title retyped: the same title once normalised
    cells[r][3].value = "Ким Ольга"  # an author removed
    cells[r][4].value = "https://example.com"  # link changed
    cells[r][13].formula, cells[r][13].value = None, 70  # sum formula removed
    cells[LAY.data_row(2)][13].formula = "=SUM(F11:K11)"  # sum formula changed
    ratings, problems = read(cells)
    assert all(x.complete and x.total == 56 for x in ratings)
    found = [(p.application_id, p.cell, p.notice.key, p.notice.values.get("label"), p.raw) for p in problems]
    assert found == [
        ("DER-BBB222", "A10", "why_label_changed", "№", 5),
        ("DER-BBB222", "D10", "why_label_changed", "СББР авторы", "Ким Ольга"),
        ("DER-BBB222", "E10", "why_label_changed", "СББР сілтемесі", "https://example.com"),
        ("DER-BBB222", "N10", "why_sum", None, 70),
        ("DER-CCC333", "N11", "why_sum", None, "=SUM(F11:K11)"),
    ]
    assert problems[4].notice.values["expected"].endswith(',"",SUM(F11:L11)))')


def test_a_changed_column_header_is_a_problem_and_its_scores_are_not_counted():
    cells = filled()
    cells[LAY.header_row][F + 1].value = "Менің бағам"
    ratings, problems = read(cells)
    assert not any(r.complete for r in ratings) and len(ratings) == 3
    assert all(r.scores["text_quality"] is None and r.scores["completeness"] == 8 for r in ratings)
    (p,) = problems
    assert p.application_id is None and p.cell == "G8" and p.notice.key == "why_header_lost_scores"
    assert p.raw == "Менің бағам"


def test_header_row_and_id_column_are_found_by_content():
    cells = filled({1: [5] * 7})
    del cells[0:3]  # header block rows deleted: everything moved up three rows
    ratings, problems = read(relabel(cells))
    assert by_id(ratings)["DER-BBB222"].total == 35 and len(ratings) == 3
    assert problems == []  # the sum formulas still name the rows they were built for (or, in Sheets, the new rows)


def test_the_der_id_column_is_found_by_its_ids_when_its_header_was_changed():
    cells = filled({2: [4] * 7})
    cells[LAY.header_row][1].value = ""
    ratings, problems = read(cells)
    assert by_id(ratings)["DER-CCC333"].total == 28 and len(ratings) == 3
    (p,) = problems
    assert p.cell == "B8" and p.notice.key == "why_header_changed"


def test_an_inserted_column_is_a_problem_and_scores_are_read_from_their_labelled_columns():
    cells = filled({0: [10, 9, 8, 7, 6, 5, 4]})
    for r, row in enumerate(cells):
        row.insert(3, ScoreCell("inserted" if r == LAY.header_row else None))
    relabel(cells)
    for r in range(len(APPS)):
        row = LAY.data_row(r)
        cells[row][14].formula = f"=SUM(G{row + 1}:M{row + 1})"  # Sheets shifts the formula's references
    ratings, problems = read(cells)
    assert by_id(ratings)["DER-AAA111"].scores == dict(
        zip(
            ["completeness", "text_quality", "video_quality", "design", "interactivity", "tests", "impression"],
            [10, 9, 8, 7, 6, 5, 4],
        )
    )
    (p,) = problems
    assert p.cell == "A8" and p.notice == Notice("why_columns_moved", shift=1)


def test_one_bad_row_never_stops_the_others():
    cells = filled({0: ["x", 0, 7.5, None, 8, 8, 8]})
    cells[LAY.data_row(0)][2].value = "changed"
    cells[LAY.data_row(0)][F + 6].formula = "=A1"
    ratings, problems = read(cells)
    assert [p.cell for p in problems] == ["C9"]  # id and title disagree: the row is not read at all
    assert set(by_id(ratings)["DER-AAA111"].scores.values()) == {None}
    assert by_id(ratings)["DER-AAA111"].raw["completeness"] == "x"  # raw kept
    cells[LAY.data_row(0)][2].value = APPS[0].title
    ratings, problems = read(cells)
    assert [p.cell for p in problems] == ["F9", "G9", "H9", "L9"]
    assert by_id(ratings)["DER-AAA111"].scores == {
        "completeness": None,
        "text_quality": None,
        "video_quality": None,
        "design": None,
        "interactivity": 8,
        "tests": 8,
        "impression": None,
    }
    assert by_id(ratings)["DER-BBB222"].complete and by_id(ratings)["DER-CCC333"].complete


def test_comments_are_kept_as_text():
    cells = filled()
    cells[LAY.data_row(0)][12].value = 42
    cells[LAY.data_row(1)][12].value = "  Өте жақсы  "
    ratings, problems = read(cells)
    assert problems == []
    assert by_id(ratings)["DER-AAA111"].comment == "42" and by_id(ratings)["DER-BBB222"].comment == "Өте жақсы"
    assert by_id(ratings)["DER-CCC333"].comment == ""


def test_a_deleted_column_header_row_is_reported_and_no_score_is_counted():
    cells = filled({0: [6] * 7})
    for cell in cells[LAY.header_row]:
        cell.value = None
    ratings, problems = read(cells)
    assert not any(r.complete for r in ratings)
    (p,) = problems
    assert p.application_id is None and p.cell == "A8" and p.notice.key == "why_no_header"


# --- criterion 7 as form 02 means it (issue 20 item 1) --------------------------------------------
@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_sheet_of_the_layout_before_criterion_7_had_its_text_column_is_still_read(lang):
    """An edition under way keeps its sheets: the plain wording on criterion 7's score column, the
    "comment" column, the plain =SUM(...) are read as before, with no problem."""
    config = make_config()
    cells = filled(lang=lang)
    header = cells[LAY.header_row]
    header[L].value = config.criteria[-1].label(lang)
    header[LAY.fixed["comment"]].value = rating_sheet.schema()["columns"][-3][lang]
    for i in range(len(APPS)):
        r = LAY.data_row(i)
        cells[r][LAY.fixed["sum"]].formula = f"=SUM({a1(r, F)}:{a1(r, L)})"
    cells[LAY.data_row(0)][LAY.fixed["comment"]].value = "Жақсы"
    ratings, problems = read(cells, lang=lang)
    assert problems == [] and all(r.complete and r.total == 56 for r in ratings)
    assert by_id(ratings)["DER-AAA111"].comment == "Жақсы"


def test_words_typed_in_criterion_7s_score_cell_are_kept_as_the_impression_and_named():
    cells = filled()
    cells[LAY.data_row(1)][L].value = "Жалпы алғанда жақсы,\nбірақ бейне аз"
    cells[LAY.data_row(2)][L].value = "8,5"
    ratings, problems = read(cells)
    second, third = by_id(ratings)["DER-BBB222"], by_id(ratings)["DER-CCC333"]
    assert second.comment == "Жалпы алғанда жақсы,\nбірақ бейне аз" and second.scores["impression"] is None
    assert [v for k, v in second.scores.items() if k != "impression"] == [8] * 6  # the others stay
    assert third.comment == "" and third.scores["impression"] is None  # a number typed wrong is not words
    assert [(p.cell, p.notice) for p in problems] == [
        ("L10", Notice("why_not_number", value="«Жалпы алғанда жақсы, / бірақ бейне аз»")),
        ("L11", Notice("why_not_whole", value="«8,5»")),
    ]
    assert by_id(ratings)["DER-AAA111"].complete


def test_with_text_only_on_the_last_criterion():
    with pytest.raises(Exception, match="with_text"):
        make_config(
            criteria=[{"key": "a", "kk": "А", "ru": "А", "with_text": True}, {"key": "b", "kk": "Б", "ru": "Б"}]
        )
