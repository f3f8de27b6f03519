"""The local rating sheet as an expert opens and prints it: read back with openpyxl (and, where
LibreOffice Calc is installed, printed to PDF)."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipelines.backends.local import LocalRatingSheets, Manifest
from pipelines.backends.local.workbooks import render_xlsx
from pipelines.config import load_config
from pipelines.domain.models import Application, Author, Expert, Response, Status
from pipelines.formats import printing, rating_sheet
from pipelines.ports import Cell, SheetGrid, SheetKey, SheetSpec

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "atu-2027" / "contest.yaml"
LINK = "https://skills.atu.kz/course/view.php?id=225"


def _app(n: int, title: str, authors_raw: str, link: str) -> Application:
    names = [a.strip() for a in authors_raw.replace(";", ",").split(",") if a.strip()]
    response = Response(
        row_key=f"row-{n}",
        row_number=n,
        submitted_at=datetime(2027, 2, 1, 10, 0),
        respondent_email=f"a{n}@atu.edu.kz",
        faculty="Экономика және бизнес факультеті",
        department="Экономика кафедрасы",
        title=title,
        authors=[Author(x) for x in names],
        authors_raw=authors_raw,
        languages=["Қазақ тілі", "Орыс тілі"],
        der_type="онлайн-курс",
        justification="",
        link=link,
        act_files=[],
        certificate_files=[],
        raw={},
    )
    return Application(f"DER-P{n}", response, Status.ACCEPTED, [], "FEB", "FEB-EC")


APPS = [
    _app(1, "Микроэкономика: интерактивті курс", "Жақыпова Айнұр Бекқызы; Омаров Б.", LINK + "  "),
    _app(2, "Business Analytics with Excel", "Seitkali Daniyar", "https://skills.atu.kz/course/view.php?id=227"),
    _app(3, "Қаржылық сауаттылық", "Бектұрова С.Е.", "skills.atu.kz курс 234 (сілтеме кейін)"),
]


def _sheet(tmp_path: Path, lang: str):
    config = load_config(EXAMPLE, environ={})
    grid = rating_sheet.build_grid(
        config=config,
        stage=1,
        group_name="Экономика кафедрасы",
        expert=Expert("Иванова Мария Петровна", "m.ivanova@atu.edu.kz", "FEB-EC"),
        applications=APPS,
        deadline_text="05.03.2027 18:00",
        lang=lang,
    )
    spec = SheetSpec(
        key=SheetKey("2027-test", 1, "FEB-EC", "m.ivanova@atu.edu.kz"),
        name=f"form02_s1_FEB-EC_m.ivanova_{lang}",
        folder=["stage-1", "FEB-EC", "sheets"],
        grid=grid,
        expert_name="Иванова Мария Петровна",
        deadline_text="05.03.2027 18:00",
        share_message="",
    )
    ref = LocalRatingSheets(tmp_path, Manifest(tmp_path)).ensure(spec)
    return config, rating_sheet.layout(config), load_workbook(ref.url).worksheets[0], Path(ref.url)


def _printed_scale(ws) -> float:
    """The scale the sheet prints at: its fixed scale, or, fitted to one page wide, the page's width
    over the visible columns' (printing.column_points: the wide estimate of a column)."""
    if not ws.sheet_properties.pageSetUpPr.fitToPage:
        return ws.page_setup.scale / 100
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    widths = [d.width for d in ws.column_dimensions.values() if not d.hidden]
    printable = printing.A4_LANDSCAPE_WIDTH_PT - 72 * (ws.page_margins.left + ws.page_margins.right)
    return min(1.0, printable / sum(printing.column_points(w) for w in widths))


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_printed_landscape_a4_readable_with_the_header_row_repeated(tmp_path, lang):
    _config, lay, ws, _path = _sheet(tmp_path, lang)
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
    # too wide for one page at a readable size: a fixed scale, two pages wide, never below 8 pt
    assert ws.sheet_properties.pageSetUpPr.fitToPage is False and 73 <= ws.page_setup.scale <= 100
    default = ws.parent._fonts[0].sz  # the workbook's default font (a font without a size has it)
    sizes = {c.font.sz or default for row in ws.iter_rows() for c in row if c.value not in (None, "")}
    assert min(sizes) * _printed_scale(ws) >= 8, (sizes, _printed_scale(ws))
    header = lay.header_row + 1
    assert ws.print_title_rows == f"${header}:${header}"
    # title and authors stay in view when scrolling right, the header rows when scrolling down
    assert ws.freeze_panes == f"{rating_sheet.col_letter(lay.fixed['authors'] + 1)}{header + 1}"
    assert ws.protection.formatRows is False and ws.protection.formatColumns is False


def test_a_narrow_sheet_is_fitted_to_one_page_wide(tmp_path):
    """A sheet that fits one page at a readable size is fitted to it (one page wide, as many long)."""
    grid = SheetGrid(title="t", rows=[[Cell("№"), Cell("Атауы")]], column_widths=[4, 60], landscape=True)
    path = tmp_path / "narrow.xlsx"
    path.write_bytes(render_xlsx(grid))
    ws = load_workbook(path).worksheets[0]
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert 11 * _printed_scale(ws) >= 8


def test_the_print_scale_keeps_8_pt_and_two_pages_wide():
    wide = [4, 14, 30, 22, 46] + [14] * 7 + [28, 14, 16]
    fit = printing.fit(wide, [1], 11, 0.4)
    assert fit.scale is not None and fit.pages_wide == 2 and fit.printed_pt >= 8
    wider = printing.fit(wide + [28] * 3, [1], 11, 0.4)  # more columns: a smaller scale, still >= 8 pt
    assert wider.scale is not None and wider.scale < fit.scale and wider.printed_pt >= 8
    huge = printing.fit([40] * 30, [], 11, 0.4)  # far too wide for two pages: more pages, not smaller type
    assert huge.scale == 73 and huge.pages_wide > 2 and huge.printed_pt >= 8
    assert printing.fit([10, 10, 10], [], 11, 0.4) == printing.PrintFit(None, 1, 11.0)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_header_row_is_tall_enough_for_the_wrapped_criterion_names(tmp_path, lang):
    config, lay, ws, _path = _sheet(tmp_path, lang)
    header = lay.header_row + 1
    height = ws.row_dimensions[header].height
    for key, col in lay.scores.items():
        cell = ws.cell(header, col + 1)
        assert cell.alignment.wrap_text
        label = next(c.label(lang) for c in config.criteria if c.key == key)
        width = ws.column_dimensions[rating_sheet.col_letter(col)].width
        assert height >= 15 * len(label) / width, (label, height)  # every line of the name shows
    assert height >= 15 * 4


def test_each_link_is_clickable_and_shows_the_whole_address(tmp_path):
    _config, lay, ws, _path = _sheet(tmp_path, "kk")
    col = lay.fixed["link"] + 1
    first, second, typed = (ws.cell(lay.data_row(i) + 1, col) for i in range(3))
    assert first.hyperlink.target == LINK and first.value == LINK + "  "  # what the teacher typed is kept
    assert second.hyperlink.target.endswith("id=227") and second.value.endswith("id=227")
    assert typed.hyperlink is None and typed.value.startswith("skills.atu.kz")  # not an address: plain text
    width = ws.column_dimensions[rating_sheet.col_letter(lay.fixed["link"])].width
    assert width >= len(LINK)  # the whole address on one line: ?id=225 and ?id=227 can be told apart


@pytest.mark.parametrize(
    ("lang", "wording", "guidance", "error_words"),
    [
        (
            "kk",
            "Тест тапсырмаларының (сауалнама, сауалнама) болуы және сапасы",
            "10.5 білімді тексеру",
            "1-ден 10-ге дейінгі бүтін сан",
        ),
        ("ru", "Наличие и качество тестовых заданий", "10.5 разнообразие форм контроля", "целое число от 1 до 10"),
    ],
)
def test_criteria_carry_their_wording_guidance_help_and_refusal_text(tmp_path, lang, wording, guidance, error_words):
    _config, lay, ws, _path = _sheet(tmp_path, lang)
    header = lay.header_row + 1
    note = ws.cell(header, lay.scores["tests"] + 1).comment.text
    assert wording in note and guidance in note and "10.8" in note
    impression = ws.cell(header, lay.scores["impression"] + 1).comment.text
    assert "10.1" in impression and "10.3" in impression
    by_cell = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    by_cell[(r, c)] = dv
    dv = by_cell[(lay.data_row(2) + 1, lay.scores["tests"] + 1)]
    assert dv.showErrorMessage and error_words in dv.error and "1, 2, 3, 4, 5, 6, 7, 8, 9, 10" in dv.error
    assert dv.showInputMessage and "10.5" in dv.prompt and len(dv.prompt) <= 255
    assert all(len(d.error) <= 255 for d in ws.data_validations.dataValidation)


@pytest.mark.parametrize(
    ("lang", "returning", "ask"),
    [
        ("kk", "сол атпен сақтап", "ЖИЦДО"),
        ("ru", "сохраните этот файл под тем же именем", "ЖИЦДО"),
    ],
)
def test_instruction_block_says_deadline_what_to_type_how_to_return_and_whom_to_ask(tmp_path, lang, returning, ask):
    _config, lay, ws, _path = _sheet(tmp_path, lang)
    text = ws.cell(6, 1).value
    assert returning in text and ask in text and "05.03.2027 18:00" in text and "10" in text
    assert "05.03.2027 18:00" in ws.cell(5, 1).value  # the deadline line above it
    merged = [str(m) for m in ws.merged_cells.ranges]
    # across the columns before the criteria: on the first printed page, not cut at its edge
    assert f"A6:{rating_sheet.col_letter(lay.fixed['link'])}6" in merged
    assert ws.row_dimensions[6].height >= 15 * 3 and ws.cell(6, 1).alignment.wrap_text


@pytest.mark.needs_libreoffice
@pytest.mark.needs_libreoffice_calc
def test_the_sheet_prints_two_landscape_pages_wide(tmp_path):
    """Rendered as LibreOffice prints it: two landscape pages (the columns split between them) for a
    group of a few DERs, at the sheet's fixed readable scale."""
    _config, _lay, _ws, path = _sheet(tmp_path, "kk")
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation={Path(tmp, 'profile').as_uri()}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                tmp,
                str(path),
            ],
            capture_output=True,
            timeout=180,
            env=dict(os.environ, HOME=tmp),
        )
        pdf = Path(tmp, path.stem + ".pdf")
        if not pdf.exists():
            pytest.skip(f"LibreOffice Calc cannot open .xlsx here: {proc.stderr.decode()[-200:]}")
        data = pdf.read_bytes()
    pages = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", data)
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) == 2
    width, height = (float(x) for x in pages[0])
    assert width > height and round(width) == 842  # A4 landscape, in points
