"""The Google rating sheet as an expert uses it: what the one batchUpdate leaves in the spreadsheet."""

from __future__ import annotations

from pipelines.domain.models import Application, Author, Expert, Response, Status
from pipelines.formats import rating_sheet
from pipelines.ports import SheetKey, SheetSpec

EXPERT = "e.zhumabayev@atu.edu.kz"
LINK = "https://skills.atu.kz/course/view.php?id=225"


def _app(n: int, title: str, link: str) -> Application:
    response = Response(
        row_key=f"row-{n}",
        row_number=n,
        submitted_at=None,
        respondent_email=f"a{n}@atu.edu.kz",
        faculty="ФИТА",
        department="Ақпараттық жүйелер",
        title=title,
        authors=[Author(f"Автор {n}", "доцент")],
        authors_raw=f"Автор {n}, доцент",
        languages=["Қазақ тілі"],
        der_type="курс",
        justification="",
        link=link,
        act_files=[],
        certificate_files=[],
        raw={},
    )
    return Application(f"DER-G{n}", response, Status.ACCEPTED, [], "FIT", "FIT-IS")


def _made(ws, fake, config, lang: str):
    apps = [_app(1, "Базы данных: SQL на практике", LINK), _app(2, "Желілер", "курс сайтта, сілтеме жоқ")]
    grid = rating_sheet.build_grid(
        config=config,
        stage=1,
        group_name="Ақпараттық жүйелер кафедрасы",
        expert=Expert("Жұмабаев Ерлан Серікұлы", EXPERT, "FIT-IS"),
        applications=apps,
        deadline_text="05.03.2027 18:00",
        lang=lang,
    )
    spec = SheetSpec(
        key=SheetKey("2027-test", 1, "FIT-IS", EXPERT),
        name="form02_s1_FIT-IS_e.zhumabayev",
        folder=["stage-1", "FIT-IS", "sheets"],
        grid=grid,
        expert_name="Жұмабаев Ерлан Серікұлы",
        deadline_text="05.03.2027 18:00",
        share_message="",
    )
    ref = ws.sheets.ensure(spec)
    return rating_sheet.layout(config), fake.spreadsheet_model(ref.id).sheets[0]


def test_title_and_authors_frozen_links_clickable_notes_and_help(ws, fake, config):
    lay, sheet = _made(ws, fake, config, "ru")
    grid = sheet.properties["gridProperties"]
    assert grid["frozenRowCount"] == lay.header_row + 1 and grid["frozenColumnCount"] == lay.fixed["authors"] + 1
    link = sheet.cells[(lay.data_row(0), lay.fixed["link"])]
    assert link["userEnteredValue"] == {"stringValue": LINK}
    assert link["userEnteredFormat"]["textFormat"]["link"] == {"uri": LINK}
    plain = sheet.cells[(lay.data_row(1), lay.fixed["link"])]
    assert "link" not in plain["userEnteredFormat"].get("textFormat", {})  # not an address: not a link
    note = sheet.cells[(lay.header_row, lay.scores["video_quality"])]["note"]
    assert "Доступность и качество дизайна видео/анимации" in note and "10.6" in note and "10.7" in note
    rule = sheet.cells[(lay.data_row(0), lay.scores["video_quality"])]["dataValidation"]
    assert "Целое число от 1 до 10" in rule["inputMessage"] and "1, 2, 3, 4, 5, 6, 7, 8, 9, 10" in rule["inputMessage"]
    assert "10.6" in rule["inputMessage"]


def test_header_row_height_instruction_block_merged_and_how_to_return_on_google(ws, fake, config):
    lay, sheet = _made(ws, fake, config, "kk")
    (made,) = [f.id for f in fake.files.values() if f.app_properties.get("kind") == "rating_sheet"]
    (update,) = [r for r in fake.requests if r.method == "spreadsheets.batchUpdate" and made in r.url]
    body = update.body["requests"]
    rows = {
        q["updateDimensionProperties"]["range"]["startIndex"]: q["updateDimensionProperties"]["properties"]["pixelSize"]
        for q in body
        if "updateDimensionProperties" in q and q["updateDimensionProperties"]["range"]["dimension"] == "ROWS"
    }
    assert rows[lay.header_row] >= 20 * 4  # the wrapped criterion names show whole
    merges = [q["mergeCells"]["range"] for q in body if "mergeCells" in q]
    # the instruction block spans the columns up to the link: they print on the first page (printing.fit)
    span = min(lay.fixed["link"] + 1, lay.width)
    assert [(m["startRowIndex"], m["startColumnIndex"], m["endColumnIndex"]) for m in merges] == [(5, 0, span)]
    text = sheet.cells[(5, 0)]["userEnteredValue"]["stringValue"]
    assert "ештеңе жіберудің қажеті жоқ" in text  # on Google the scores are saved where they are typed
    assert all(e in text for e in config.backend.cdb_editors)  # whom to ask
