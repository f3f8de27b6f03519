"""Intake end to end, as CDB runs it: a response export in, the registry and form 01 letters out."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from form_titles import GOOGLE_TITLES
from jobkit import at, copy_example, docx_text, run_at, table_rows, workspace_dir, write_csv

from pipelines.cli import cli
from pipelines.jobs.intake import run_intake

KK, EN = GOOGLE_TITLES["kk"], GOOGLE_TITLES["en"]

# (when, e-mail, faculty, department, title, authors, language, link); times are Almaty
ROWS = [
    (
        "2027-01-28 10:15:00",
        "a.serikbayeva@atu.edu.kz",
        "ФИТА",
        "Ақпараттық жүйелер",
        "Веб-бағдарламалау негіздері (Web Programming)",
        "Серікбаева Айгерім Нұрланқызы, аға оқытушы, a.serikbayeva@atu.edu.kz",
        "Қазақ тілі",
        "https://skills.atu.kz/course/view.php?id=200",
    ),
    (
        "2027-01-30 16:40:00",
        "m.sarsenova@atu.edu.kz",
        "ФТЛПиД",
        "Дизайн",
        "Сәндік-қолданбалы өнер",
        "Сәрсенова Меруерт Асанқызы, оқытушы",
        "Қазақ тілі",
        "skills.atu.kz курс 55",
    ),
    (
        "2027-02-03 14:00:00",
        "k.vlasov@atu.edu.kz",
        "ФПТ",
        "Биотехнология",
        "Ферментация: от лаборатории к производству",
        "Власов Константин Игоревич, профессор, k.vlasov@atu.edu.kz\n"
        "Сапарова Ләйлә Жомартқызы, доцент, l.saparova@atu.edu.kz",
        "Русский, Қазақ тілі",
        "https://skills.atu.kz/course/view.php?id=218",
    ),
    (
        "2027-02-10 11:05:00",
        "a.zhakypova@atu.edu.kz",
        "ФЭиБ",
        "Экономика",
        "Микроэкономика: интерактивті курс",
        "Жақыпова Айнұр Бекқызы, доцент, a.zhakypova@atu.edu.kz",
        "Қазақ тілі, Русский",
        "https://skills.atu.kz/course/view.php?id=225",
    ),
    (
        "2027-02-20 09:00:00",
        "n.utepov@atu.edu.kz",
        "ФИТА",
        "Автоматизация и управление",
        "Электроприводы: онлайн-лаборатория",
        "Өтепов Нұрсұлтан Бекұлы, доцент",
        "Русский",
        "https://skills.atu.kz/course/view.php?id=301",
    ),
]
ACCEPTED = {0, 2, 3}
AFTER_CLOSE = at("2027-02-25 10:00")


def _stamp(when: str, style: str) -> str:
    moment = at(when)
    if style == "kk":  # a response sheet in a Kazakh/Russian locale, downloaded as .csv
        return moment.strftime("%d.%m.%Y %H:%M:%S")
    hour = moment.hour % 12 or 12  # the Forms "Download responses (.csv)" format
    return f"{moment:%Y/%m/%d} {hour}:{moment:%M:%S} {'AM' if moment.hour < 12 else 'PM'} GMT+5"


def _rows(style: str, which: range | None = None) -> list[list[str]]:
    which = range(len(ROWS)) if which is None else which
    out = []
    for i in which:
        when, email, faculty, department, title, authors, language, link = ROWS[i]
        out.append(
            [
                _stamp(when, style),
                email,
                faculty,
                department,
                title,
                authors,
                language,
                "Онлайн-курс (12 тем)",
                "Оқу процесіне енгізілген; бейнедәрістер мен тесттер бар.",
                link,
                f"https://drive.google.com/open?id=1act{i}",
                f"https://drive.google.com/open?id=1cert{i}",
            ]
        )
    return out


@pytest.fixture(params=["kk", "en"])
def edition(request, tmp_path):
    style = request.param
    name = f"responses_{style}.csv"
    write_csv(tmp_path / name, KK if style == "kk" else EN, _rows(style))
    return style, copy_example(tmp_path, responses=name)


def test_every_row_ends_in_the_registry(edition):
    style, config_path = edition
    report = run_intake(run_at(config_path, AFTER_CLOSE))
    assert report.responses == len(ROWS) and report.registry_changed
    registry = table_rows(config_path, "registry")  # read back with openpyxl, Kazakh headers
    assert len(registry) == len(ROWS)
    by_title = {r["title"]: r for r in registry}
    assert set(by_title) == {r[4] for r in ROWS}
    for i, row in enumerate(ROWS):
        entry = by_title[row[4]]
        assert entry["status"] == ("accepted" if i in ACCEPTED else "rejected"), entry
        assert entry["id"].startswith("DER-")
    assert len({r["id"] for r in registry}) == len(ROWS)
    assert "invalid_link" in by_title["Сәндік-қолданбалы өнер"]["reasons"]
    assert "late" in by_title["Электроприводы: онлайн-лаборатория"]["reasons"]
    fft = by_title["Ферментация: от лаборатории к производству"]
    assert (fft["faculty_id"], fft["department_id"]) == ("FFT", "FFT-BE")


def test_a_form01_letter_for_each_accepted_der(edition):
    style, config_path = edition
    report = run_intake(run_at(config_path, AFTER_CLOSE))
    assert len(report.letters) == len(ACCEPTED) and all(d.changed for d in report.letters)
    letters = sorted(Path(d.path_or_url) for d in report.letters)
    assert letters == sorted((workspace_dir(config_path) / "drive" / "intake").rglob("*.docx"))
    texts = [docx_text(p) for p in letters]
    for i in ACCEPTED:
        when, email, faculty, department, title, authors, language, link = ROWS[i]
        text = next(t for t in texts if title in t)
        assert link in text
        for line in authors.split("\n"):
            assert line.split(",")[0] in text  # every author by name
    ferment = next(t for t in texts if "Ферментация" in t)
    assert "Биотехнология кафедрасы" in ferment  # the department's name from the config, not as typed


def test_a_second_run_writes_nothing(edition):
    style, config_path = edition
    run_intake(run_at(config_path, AFTER_CLOSE))
    registry = table_rows(config_path, "registry")
    letters = sorted((workspace_dir(config_path) / "drive").rglob("*.docx"))
    stamps = [(p.stat().st_mtime_ns, p.read_bytes()) for p in letters]
    again = run_intake(run_at(config_path, AFTER_CLOSE))
    assert not again.registry_changed
    assert [d.changed for d in again.letters] == [False] * len(ACCEPTED)
    assert table_rows(config_path, "registry") == registry
    assert [(p.stat().st_mtime_ns, p.read_bytes()) for p in letters] == stamps
    assert sorted((workspace_dir(config_path) / "drive").rglob("*.docx")) == letters


def test_appended_rows_keep_the_existing_ids(tmp_path):
    csv_path = tmp_path / "responses.csv"
    write_csv(csv_path, EN, _rows("en", [0, 1, 2]))
    config_path = copy_example(tmp_path)
    run_intake(run_at(config_path, AFTER_CLOSE))
    first = {r["row_key"]: r["id"] for r in table_rows(config_path, "registry")}
    write_csv(csv_path, EN, _rows("en"))  # two more responses arrive below
    report = run_intake(run_at(config_path, AFTER_CLOSE))
    assert report.registry_changed
    later = {r["row_key"]: r["id"] for r in table_rows(config_path, "registry")}
    assert len(later) == len(ROWS)
    assert {k: later[k] for k in first} == first


def test_now_before_a_response_hides_it(tmp_path):
    write_csv(tmp_path / "responses.csv", EN, _rows("en"))
    config_path = copy_example(tmp_path)
    result = CliRunner().invoke(
        cli, ["--config", str(config_path), "--now", "2027-02-01T00:00", "intake"], env={"CONTEST_LANGUAGE": None}
    )
    assert result.exit_code == 0, result.output
    assert "2 жауап:" in result.stdout
    titles = {r["title"] for r in table_rows(config_path, "registry")}
    assert titles == {ROWS[0][4], ROWS[1][4]}
    report = run_intake(run_at(config_path, at("2027-02-01 00:00")))
    assert report.ignored_future == len(ROWS) - 2 and not report.registry_changed
    # later the same responses appear, with the ids they would have had anyway
    early_ids = {r["row_key"]: r["id"] for r in table_rows(config_path, "registry")}
    run_intake(run_at(config_path, AFTER_CLOSE))
    later = {r["row_key"]: r["id"] for r in table_rows(config_path, "registry")}
    assert {k: later[k] for k in early_ids} == early_ids and len(later) == len(ROWS)


def test_control_characters_pasted_into_an_answer_are_no_obstacle(tmp_path):
    rows = _rows("en", [0])
    rows[0][4] = "Веб-бағдарламалау\x01 негіздері"
    rows[0][8] = "Бірінші жол\x0bекінші жол\x07"
    write_csv(tmp_path / "responses.csv", EN, rows)
    config_path = copy_example(tmp_path)
    report = run_intake(run_at(config_path, AFTER_CLOSE))
    assert report.counts == {"accepted": 1} and report.registry_changed
    entry = table_rows(config_path, "registry")[0]
    assert entry["title"] == "Веб-бағдарламалау негіздері"
    assert entry["justification"] == "Бірінші жол\nекінші жол"
    assert "\\u0001" in entry["raw"]  # the answer exactly as given, kept in the raw JSON
    assert "Веб-бағдарламалау негіздері" in docx_text(report.letters[0].path_or_url)
    again = run_intake(run_at(config_path, AFTER_CLOSE))
    assert not again.registry_changed and not again.letters[0].changed
