"""Form responses from the Forms API (paged, file uploads) and from the linked response sheet."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from google_fake.demo import demo_workspace_factory, fake_workspace
from pipelines.config import FormSourceConfig
from pipelines.demo import write_edition
from pipelines.formats.forms import load_aliases, map_response, read_export, table_row_key

OPEN = "https://drive.google.com/open?id="
QUESTIONS = [
    ("0001", "1. Факультет", "radio", ["ФИТА"]),
    ("0002", "3. Название ЦОР", "paragraph"),
    ("0003", "5. Язык обучения", "checkbox", ["Қазақ тілі", "Русский"]),
    ("0004", "Акт внедрения в учебный процесс", "file"),
]


def _form(fake, n: int) -> str:
    form_id = fake.add_form("Конкурс ЦОР", QUESTIONS)
    for i in range(n):
        answers = {"0001": "ФИТА", "0002": f"Курс {i}", "0003": ["Қазақ тілі", "Русский"]}
        if i % 2:
            answers["0004"] = {
                "files": [(f"ACT{i}a", "act.pdf", "application/pdf"), (f"ACT{i}b", "act2.pdf", "application/pdf")]
            }
        when = datetime(2027, 2, 1, 4, i, tzinfo=UTC)
        fake.add_response(
            form_id,
            answers,
            create_time=when,
            last_submitted_time=when,
            respondent_email=f"t{i}@atu.edu.kz",
            response_id=f"resp-{i:02d}",
        )
    return form_id


def test_forms_api_with_paging_and_uploads(fake, config, requests_made):
    form_id = _form(fake, 7)
    cfg = config.model_copy(update={"form": FormSourceConfig(kind="forms_api", form_id=form_id)})
    ws = fake_workspace(cfg, fake)
    ws.forms.page_size = 3
    fake.reset_counts()
    got = ws.forms.read_responses()
    assert requests_made() == {"forms.forms.get": 1, "forms.forms.responses.list": 3}
    assert [r.row_key for r in got] == [f"resp-{i:02d}" for i in range(7)]
    first, second = got[0], got[1]
    assert list(first.answers)[:2] == ["Timestamp", "Email Address"]
    assert first.answers["Email Address"] == "t0@atu.edu.kz"
    assert first.answers["5. Язык обучения"] == "Қазақ тілі, Русский"
    assert first.answers["Акт внедрения в учебный процесс"] == ""
    assert second.answers["Акт внедрения в учебный процесс"] == f"{OPEN}ACT1a, {OPEN}ACT1b"
    mapped = map_response(second, load_aliases({}), 1, ZoneInfo("Asia/Almaty"))
    assert mapped.submitted_at == datetime(2027, 2, 1, 4, 1, tzinfo=UTC)
    assert mapped.respondent_email == "t1@atu.edu.kz" and mapped.title == "Курс 1"
    assert mapped.act_files == [f"{OPEN}ACT1a", f"{OPEN}ACT1b"]


def test_linked_response_sheet(fake, config, drive_id, requests_made):
    sheets = fake.build("sheets")
    header = ["Отметка времени", "Адрес электронной почты", "3. Название ЦОР", "Акт внедрения"]
    rows = [
        header,
        ["01.02.2027 09:05:03", "t1@atu.edu.kz", "=not a formula", f"{OPEN}A1, {OPEN}A2"],
        ["", "", "", ""],
        ["02.02.2027 10:00:00", "t2@atu.edu.kz", "Базы данных", ""],
    ]
    created = (
        fake.build("drive")
        .files()
        .create(
            body={"name": "Ответы", "mimeType": "application/vnd.google-apps.spreadsheet", "parents": [drive_id]},
            supportsAllDrives=True,
        )
        .execute()
    )
    sid = created["id"]
    sheets.spreadsheets().values().update(
        spreadsheetId=sid, range="A1", valueInputOption="RAW", body={"values": rows}
    ).execute()
    cfg = config.model_copy(update={"form": FormSourceConfig(kind="sheet", spreadsheet_id=sid)})
    ws = fake_workspace(cfg, fake)
    fake.reset_counts()
    got = ws.forms.read_responses()
    assert requests_made() == {"sheets.spreadsheets.get": 1, "sheets.spreadsheets.values.get": 1}  # first tab's name
    fake.reset_counts()
    assert [r.answers for r in ws.forms.read_responses()] == [r.answers for r in got]
    assert requests_made() == {"sheets.spreadsheets.values.get": 1}  # the name is remembered
    assert [r.row_number for r in got] == [1, 3]  # the empty row keeps its place
    assert got[0].answers["3. Название ЦОР"] == "=not a formula"
    assert got[0].row_key == table_row_key("responses", 1, got[0].answers)
    assert {r.transport for r in fake.requests if r.api == "sheets" and r.method != "spreadsheets.values.update"} == {
        "requests"
    }  # through gspread's session
    named = fake_workspace(
        config.model_copy(
            update={
                "form": FormSourceConfig(
                    kind="sheet", spreadsheet_id=sid, worksheet=fake.spreadsheet_model(sid).sheets[0].title
                )
            }
        ),
        fake,
    )
    assert [r.answers for r in named.forms.read_responses()] == [r.answers for r in got]


def test_the_demo_factory_seeds_the_form_from_the_export(tmp_path, base_config):
    config_path = write_edition(tmp_path / "demo", seed=2027)
    factory = demo_workspace_factory(config_path)
    ws = factory(base_config)
    fake = ws.stats["fake"]
    assert ws.forms.form.kind == "forms_api" and ws.control.c.backend.shared_drive_id in fake.drives
    exported = read_export(config_path.parent / "responses.csv")
    got = ws.forms.read_responses()
    assert len(got) == len(exported)
    zone = base_config.zone
    aliases = load_aliases(base_config.form.aliases)
    for raw, via_api in zip(sorted(exported, key=lambda r: map_response(r, aliases, 1, zone).submitted_at), got):
        a, b = map_response(raw, aliases, 1, zone), map_response(via_api, aliases, 1, zone)
        assert (a.submitted_at, a.respondent_email, a.title, a.act_files) == (
            b.submitted_at,
            b.respondent_email,
            b.title,
            b.act_files,
        )
    assert factory(base_config).stats["fake"] is fake  # one fake for the whole demo
    assert any("Google API requests" in line for line in ws.stats["report"]())
    assert base_config.backend.kind == "local"  # the config given was not changed
    assert "kind: local" in config_path.read_text(encoding="utf-8")


def _linked_sheet(fake, drive_id, rows, time_zone: str = "Asia/Almaty") -> str:
    """A response sheet as Forms links it: in its owner's time zone (at ATU, Almaty's)."""
    created = (
        fake.build("drive")
        .files()
        .create(
            body={"name": "Ответы", "mimeType": "application/vnd.google-apps.spreadsheet", "parents": [drive_id]},
            supportsAllDrives=True,
        )
        .execute()
    )
    fake.build("sheets").spreadsheets().batchUpdate(
        spreadsheetId=created["id"],
        body={
            "requests": [{"updateSpreadsheetProperties": {"properties": {"timeZone": time_zone}, "fields": "timeZone"}}]
        },
    ).execute()
    fake.build("sheets").spreadsheets().values().update(
        spreadsheetId=created["id"], range="A1", valueInputOption="RAW", body={"values": rows}
    ).execute()
    return created["id"]


def _serial(moment: datetime) -> float:
    return (moment - datetime(1899, 12, 30)).total_seconds() / 86400


def test_linked_sheet_is_read_unformatted_and_serial_times_map(fake, config, drive_id):
    header = ["Отметка времени", "Адрес электронной почты", "3. Название ЦОР", "6. Вид ЦОР (количество тем)", ""]
    rows = [
        header,
        [_serial(datetime(2027, 2, 1, 9, 5, 3)), "t1@atu.edu.kz", "Базы данных", 12.0, "extra"],
        [_serial(datetime(2027, 2, 2, 10, 0)), "t2@atu.edu.kz", "Сети", 2.5, ""],
    ]
    sid = _linked_sheet(fake, drive_id, rows)
    ws = fake_workspace(config.model_copy(update={"form": FormSourceConfig(kind="sheet", spreadsheet_id=sid)}), fake)
    fake.reset_counts()
    got = ws.forms.read_responses()
    [get] = [r for r in fake.requests if r.method == "spreadsheets.values.get"]
    assert get.query["valueRenderOption"] == ["UNFORMATTED_VALUE"]
    assert get.query["dateTimeRenderOption"] == ["SERIAL_NUMBER"]
    assert all(isinstance(v, str) for r in got for v in r.answers.values())
    assert got[0].answers["6. Вид ЦОР (количество тем)"] == "12"  # an integral number as an int
    assert got[1].answers["6. Вид ЦОР (количество тем)"] == "2.5"
    assert got[0].answers["column 5"] == "extra"  # a cell under an empty header is kept, as in an export
    assert got[0].source == f"sheet {sid}"
    zone = ZoneInfo("Asia/Almaty")
    mapped = [map_response(r, load_aliases({}), 1, zone) for r in got]
    assert [m.submitted_at for m in mapped] == [
        datetime(2027, 2, 1, 9, 5, 3, tzinfo=zone),
        datetime(2027, 2, 2, 10, 0, tzinfo=zone),
    ]
    assert [m.title for m in mapped] == ["Базы данных", "Сети"]


def test_linked_sheet_and_export_are_read_by_the_same_rules(fake, config, drive_id, tmp_path):
    import csv

    import pytest

    from pipelines.ports import BackendError

    header = ["Отметка времени", "Адрес электронной почты", "3. Название ЦОР", "3. Название ЦОР"]
    rows = [header, ["01.02.2027 09:05:03", "t1@atu.edu.kz", "A", "B"]]
    sid = _linked_sheet(fake, drive_id, rows)
    ws = fake_workspace(config.model_copy(update={"form": FormSourceConfig(kind="sheet", spreadsheet_id=sid)}), fake)
    path = tmp_path / "r.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    [from_sheet], [from_file] = ws.forms.read_responses(), read_export(path)
    assert from_sheet.answers == from_file.answers  # "3. Название ЦОР (2)": duplicate titles kept apart
    assert from_sheet.row_key == from_file.row_key
    # a wrong tab: no header row, or a header that is not the form's
    for wrong in ([["01.02.2027 09:05:03", "x"]], [["foo", "bar"], ["1", "2"]]):
        other = _linked_sheet(fake, drive_id, wrong)
        bad = fake_workspace(
            config.model_copy(update={"form": FormSourceConfig(kind="sheet", spreadsheet_id=other)}), fake
        )
        with pytest.raises(
            BackendError, match=f"sheet {other}.*(нет строки заголовков|не найден ни один вопрос формы)"
        ):
            bad.forms.read_responses()


def test_the_file_kind_reads_the_export_as_the_local_workspace_does(fake, config, tmp_path):
    import pytest

    from pipelines.backends.local import ExportFormSource
    from pipelines.ports import BackendError

    path = tmp_path / "responses.csv"
    path.write_text("Timestamp,Email Address,DER title\n1/25/2027 9:05:03,a@atu.kz,Курс\n", encoding="utf-8")
    ws = fake_workspace(config.model_copy(update={"form": FormSourceConfig(kind="file", path=str(path))}), fake)
    assert [r.answers for r in ws.forms.read_responses()] == [
        r.answers for r in ExportFormSource(path).read_responses()
    ]
    path.write_text("foo,bar\n1,2\n", encoding="utf-8")
    for source in (ws.forms, ExportFormSource(path)):
        with pytest.raises(BackendError, match="responses.csv.*не найден ни один вопрос формы"):
            source.read_responses()
    path.unlink()
    for source in (ws.forms, ExportFormSource(path)):
        with pytest.raises(BackendError, match="form.path: выгрузки ответов .* нет"):
            source.read_responses()
