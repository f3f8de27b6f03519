"""Reading Google response exports (.csv / .xlsx) written here as real files, and mapping them."""

import csv
import shutil
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from pipelines.config import Config
from pipelines.domain.intake import decide
from pipelines.domain.models import Author, RawResponse, Status
from pipelines.formats.forms import (
    FIELDS,
    FormError,
    header_key,
    load_aliases,
    map_response,
    parse_authors,
    parse_time,
    read_export,
    split_choices,
    split_files,
    table_row_key,
)

ALMATY = ZoneInfo("Asia/Almaty")
DRIVE = "https://drive.google.com/open?id="

HEADERS = {
    "en": [
        "Timestamp",
        "Email Address",
        "Faculty",
        "Department",
        "DER title (with the discipline)",
        "Author(s)",
        "Language of instruction",
        "DER type (number of topics)",
        "Justification of novelty and relevance",
        "Link to the DER",
        "Act of implementation",
        "Certificate of placement",
    ],
    "ru": [
        "Отметка времени",
        "Адрес электронной почты",
        "1. Факультет:",
        "2) Кафедра *",
        "3. Название ЦОР (с указанием дисциплины)",
        "4. Автор(ы): ФИО, должность, контакты *",
        "5. Язык обучения",
        "6. Вид ЦОР (количество тем)",
        "7. Обоснование новизны и актуальности, задел авторов",
        "8. Ссылка на ЦОР",
        "Акт внедрения в учебный процесс",
        "Справка о размещении ЦОР на образовательной платформе",
    ],
    "kk": [
        "Уақыт белгісі",
        "Электрондық пошта мекенжайы",
        "1. Факультет",
        "2. Кафедра",
        "3. ЦББР атауы (пәнді көрсете отырып)",
        "4. Автор(лар): аты-жөні, лауазымы, байланыс деректері",
        "5. Оқыту тілі",
        "6. ЦББР түрі (тақырыптар саны)",
        "7. Жаңалығы мен өзектілігінің негіздемесі",
        "8. ЦББР сілтемесі",
        "Оқу процесіне енгізу актісі",
        "Орналастыру туралы анықтама",
    ],
}


def answers(
    stamp,
    email="ivanov@atu.kz",
    title="Базы данных",
    link="https://skills.atu.kz/course/101",
    languages="Қазақ тілі, Русский",
):
    return [
        stamp,
        email,
        "Факультет информационных технологий",
        "Кафедра информационных систем",
        title,
        "Иванов Иван Иванович, доцент, ivanov@atu.kz\nПетрова Анна Сергеевна — ст. преподаватель — +7 701 111 22 33",
        languages,
        "12 тем",
        "Курс внедрён в учебный процесс",
        link,
        f"{DRIVE}ACT1, {DRIVE}ACT2",
        f"{DRIVE}CERT1",
    ]


def write_csv(path, header, rows, bom=True, delimiter=","):
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path, header, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Ответы на форму (1)"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.create_sheet("Other")["A1"] = "not read"
    book.save(path)
    return path


def mapped(raws, extra=None, timestamp_column=1):
    return [map_response(r, load_aliases(extra or {}), timestamp_column, ALMATY) for r in raws]


# --- every locale, both file types ---------------------------------------------------------------
EXPECTED_TIME = datetime(2027, 1, 25, 9, 5, 3, tzinfo=ALMATY)


@pytest.mark.parametrize(
    "locale, kind, stamp",
    [
        ("en", "csv", "2027/01/25 9:05:03 AM GMT+5"),  # Forms: Download responses (.csv)
        ("en", "csv", "1/25/2027 9:05:03"),  # CSV of an en_US linked sheet
        ("ru", "csv", "25.01.2027 9:05:03"),  # CSV of a ru linked sheet
        ("kk", "csv", "25.01.2027 09:05:03"),
        ("en", "xlsx", datetime(2027, 1, 25, 9, 5, 3)),  # the linked sheet downloaded as .xlsx
        ("ru", "xlsx", datetime(2027, 1, 25, 9, 5, 3)),
        ("kk", "xlsx", datetime(2027, 1, 25, 9, 5, 3)),
        ("kk", "xlsx", "25.01.2027 09:05:03"),
    ],
)
def test_every_locale_maps_every_field(tmp_path, locale, kind, stamp):
    header, rows = HEADERS[locale], [answers(stamp)]
    path = (
        write_csv(tmp_path / "r.csv", header, rows) if kind == "csv" else write_xlsx(tmp_path / "r.xlsx", header, rows)
    )
    [raw] = read_export(path)
    assert raw.row_number == 1 and raw.source == path.name
    [r] = mapped([raw])
    assert r.problems == [] and r.submitted_at == EXPECTED_TIME
    assert (r.respondent_email, r.faculty, r.department, r.title) == (
        "ivanov@atu.kz",
        "Факультет информационных технологий",
        "Кафедра информационных систем",
        "Базы данных",
    )
    assert r.authors == [
        Author("Иванов Иван Иванович", "доцент", "ivanov@atu.kz"),
        Author("Петрова Анна Сергеевна", "ст. преподаватель", "+7 701 111 22 33"),
    ]
    assert r.languages == ["Қазақ тілі", "Русский"] and r.der_type == "12 тем"
    assert r.justification == "Курс внедрён в учебный процесс" and r.link == "https://skills.atu.kz/course/101"
    assert r.act_files == [f"{DRIVE}ACT1", f"{DRIVE}ACT2"] and r.certificate_files == [f"{DRIVE}CERT1"]
    assert list(r.raw) == header


def test_xlsx_datetimes_are_kept_as_the_text_google_shows(tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", HEADERS["ru"], [answers(datetime(2027, 1, 25, 9, 5, 3))])
    [raw] = read_export(path)
    assert raw.answers["Отметка времени"] == "25.01.2027 09:05:03"


def test_xlsx_serial_number_timestamp(tmp_path):
    serial = (datetime(2027, 1, 25, 9, 5, 3) - datetime(1899, 12, 30)) / timedelta(days=1)
    path = write_xlsx(tmp_path / "r.xlsx", HEADERS["en"], [answers(serial)])
    [r] = mapped(read_export(path))
    assert r.submitted_at == EXPECTED_TIME


def test_csv_without_bom_and_semicolons_and_multiline_cells(tmp_path):
    plain = write_csv(tmp_path / "plain.csv", HEADERS["ru"], [answers("25.01.2027 09:05:03")], bom=False)
    semi = write_csv(tmp_path / "semi.csv", HEADERS["ru"], [answers("25.01.2027 09:05:03")], delimiter=";")
    for path in (plain, semi):
        [r] = mapped(read_export(path))
        assert r.faculty == "Факультет информационных технологий" and len(r.authors) == 2
        assert "\n" in r.raw["4. Автор(ы): ФИО, должность, контакты *"]  # raw kept untouched


def test_multi_select_as_joined_by_the_csv(tmp_path):
    path = write_csv(
        tmp_path / "r.csv",
        HEADERS["en"],
        [answers("2027/01/25 9:05:03 AM GMT+5", languages="Қазақ тілі;Русский;English")],
    )
    [r] = mapped(read_export(path))
    assert r.languages == ["Қазақ тілі", "Русский", "English"]


def test_empty_rows_are_skipped_and_numbers_follow_the_sheet(tmp_path):
    rows = [answers("25.01.2027 09:05:03"), [""] * 12, answers("26.01.2027 10:00:00", title="Второй")]
    raws = read_export(write_xlsx(tmp_path / "r.xlsx", HEADERS["ru"], rows))
    assert [r.row_number for r in raws] == [1, 3]


def test_timestamp_found_by_position_when_its_label_is_unknown(tmp_path):
    header = ["Жіберілген уақыты", *HEADERS["kk"][1:]]
    raws = read_export(write_csv(tmp_path / "r.csv", header, [answers("25.01.2027 09:05:03")]))
    assert mapped(raws)[0].submitted_at == EXPECTED_TIME
    moved = ["Email Address", "Жіберілген уақыты", *HEADERS["en"][2:]]
    row = answers("25.01.2027 09:05:03")
    raws = read_export(write_csv(tmp_path / "m.csv", moved, [[row[1], row[0], *row[2:]]]))
    assert mapped(raws, timestamp_column=2)[0].submitted_at == EXPECTED_TIME


def test_config_aliases_add_headers(tmp_path):
    header = [*HEADERS["en"][:2], "Your school", *HEADERS["en"][3:]]
    raws = read_export(write_csv(tmp_path / "r.csv", header, [answers("1/25/2027 9:05:03")]))
    assert mapped(raws)[0].faculty == ""
    assert mapped(raws, extra={"faculty": ["Your school:"]})[0].faculty == "Факультет информационных технологий"
    with pytest.raises(FormError, match="form.aliases.school"):
        load_aliases({"school": ["Your school"]})


def test_aliases_cover_every_field_in_three_languages():
    aliases = load_aliases({})
    assert set(aliases) == set(FIELDS)
    for field_name, names in aliases.items():
        assert any(any("а" <= c <= "я" for c in n.lower()) for n in names), field_name  # ru / kk
        assert any(n.isascii() for n in names), field_name  # en
    keys = [header_key(n) for names in aliases.values() for n in names]
    assert len(keys) == len(set(keys)), "an alias belongs to two fields"


@pytest.mark.parametrize(
    "header",
    [
        "1. Факультет:",
        "1) Факультет",
        " FACULTY ",
        "Факультет *",
        "№1 Факультет",
        "1.Факультет",
        "Faculty:",
        "Факультет (выберите из списка)",
    ],
)
def test_header_matching_is_tolerant(header):
    raw = RawResponse("k", 1, {"Timestamp": "1/25/2027 9:05:03", header: "ФИТ"})
    assert mapped([raw])[0].faculty == "ФИТ"


def test_first_non_empty_column_wins_when_two_headers_match():
    raw = RawResponse("k", 1, {"Timestamp": "1/25/2027 9:05:03", "Факультет": "", "Faculty": "ФИТ"})
    assert mapped([raw])[0].faculty == "ФИТ"


# --- errors --------------------------------------------------------------------------------------
def test_unreadable_files_name_the_file(tmp_path):
    with pytest.raises(FormError, match="missing.csv"):
        read_export(tmp_path / "missing.csv")
    (tmp_path / "r.ods").write_bytes(b"x")
    with pytest.raises(FormError, match="r.ods: файл типа «.ods» не читается"):
        read_export(tmp_path / "r.ods")
    (tmp_path / "empty.csv").write_text("\n\n", encoding="utf-8")
    with pytest.raises(FormError, match="empty.csv: таблица пуста"):
        read_export(tmp_path / "empty.csv")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(FormError, match="broken.xlsx"):
        read_export(tmp_path / "broken.xlsx")
    (tmp_path / "cp1251.csv").write_bytes("Факультет\nФИТ\n".encode("cp1251"))
    with pytest.raises(FormError, match="cp1251.csv.*UTF-8"):
        read_export(tmp_path / "cp1251.csv")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_missing_header_row(tmp_path, kind):
    rows = [answers(datetime(2027, 1, 25, 9, 5, 3) if kind == "xlsx" else "25.01.2027 09:05:03")]
    writer = write_csv if kind == "csv" else write_xlsx
    path = writer(tmp_path / f"r.{kind}", rows[0], [answers("26.01.2027 09:05:03")])
    with pytest.raises(FormError, match=f"r.{kind}: тақырып жолы жоқ.*нет строки заголовков"):
        read_export(path)


# --- timestamps ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("1/25/2027 9:05:03", EXPECTED_TIME),
        ("01/25/2027 09:05:03", EXPECTED_TIME),
        ("1/25/2027 9:05:03 PM", EXPECTED_TIME + timedelta(hours=12)),
        ("25.01.2027 09:05:03", EXPECTED_TIME),
        ("25.01.2027 9:05:03", EXPECTED_TIME),
        ("2027/01/25 9:05:03 AM GMT+5", EXPECTED_TIME),
        ("2027/01/25 9:05:03 PM GMT+5", EXPECTED_TIME + timedelta(hours=12)),
        ("2027/01/25 12:05:03 AM GMT+5", EXPECTED_TIME - timedelta(hours=9)),
        ("2027/01/25 9:05:03 AM GMT+05:00", EXPECTED_TIME),
        ("2027/01/25 4:05:03 AM GMT", EXPECTED_TIME),
        ("2027/01/25 10:05:03 AM GMT+6", EXPECTED_TIME),
        ("2027-01-25T04:05:03.123Z", EXPECTED_TIME + timedelta(microseconds=123000)),
        ("2027-01-25T04:05:03.123456789Z", EXPECTED_TIME + timedelta(microseconds=123456)),
        ("2027-01-25T09:05:03+05:00", EXPECTED_TIME),
        ("2027-01-25 09:05:03", EXPECTED_TIME),
        ("46412.37850694444", EXPECTED_TIME),
        (" 25.01.2027\u00a009:05:03 ", EXPECTED_TIME),
    ],
)
def test_parse_time(text, expected):
    got = parse_time(text, ALMATY)
    assert got == expected and got.utcoffset() == timedelta(hours=5)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "вчера",
        "32.01.2027 09:00:00",
        "13/13/2027 9:00:00",
        "25.01.2027",
        "2027/01/25 13:05:03 PM GMT+5",
        "12345",
        "99999",
    ],
)
def test_unreadable_times(text):
    assert parse_time(text, ALMATY) is None


def test_naive_time_is_in_the_config_zone():
    assert parse_time("25.01.2027 09:05:03", UTC) == datetime(2027, 1, 25, 9, 5, 3, tzinfo=UTC)


def test_unreadable_timestamp_is_kept_for_the_rules_not_an_error():
    raw = RawResponse("k", 7, {"Timestamp": "вчера вечером", "Faculty": "ФИТ"})
    [r] = mapped([raw])
    assert r.submitted_at is None and r.faculty == "ФИТ"
    assert r.submitted_text == "вчера вечером" and r.problems == []  # judged by intake.unreadable_time


# --- answers -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, names",
    [
        ("Иванов Иван Иванович", ["Иванов Иван Иванович"]),
        ("Иванов Иван Иванович, Петрова Анна Сергеевна", ["Иванов Иван Иванович", "Петрова Анна Сергеевна"]),
        ("Иванов И.И., Петрова А.С.", ["Иванов И.И.", "Петрова А.С."]),
        ("Иванов Иван; Петрова Анна; Smith John", ["Иванов Иван", "Петрова Анна", "Smith John"]),
        ("1. Иванов Иван, доцент\n2) Петрова Анна, профессор", ["Иванов Иван", "Петрова Анна"]),
        ("Иванов Иван, старший преподаватель", ["Иванов Иван"]),  # a position, not a second author
        ("Иванов Иван Иванович, доцент, ivanov@atu.kz", ["Иванов Иван Иванович"]),
        ("\n\n", []),
    ],
)
def test_several_authors(text, names):
    assert [a.name for a in parse_authors(text)] == names


def test_author_parts():
    [a] = parse_authors("Сериков Арман Болатович — қауымдастырылған профессор, PhD — serikov@atu.kz, +7 727 293 52 95")
    assert a == Author("Сериков Арман Болатович", "қауымдастырылған профессор, PhD", "serikov@atu.kz, +7 727 293 52 95")
    [b] = parse_authors("Иванов Иван, доцент, к.т.н., +7 701 000 00 00")
    assert b == Author("Иванов Иван", "доцент, к.т.н.", "+7 701 000 00 00")


def test_choices_and_files():
    assert split_choices("Қазақ тілі, Русский") == ["Қазақ тілі", "Русский"]
    assert split_choices("Қазақ тілі;English") == ["Қазақ тілі", "English"]
    assert split_choices(" ") == []
    assert split_files(f"{DRIVE}A1, {DRIVE}A2\n{DRIVE}A3 {DRIVE}A4") == [f"{DRIVE}A{i}" for i in range(1, 5)]
    assert split_files("") == []


# --- row keys and ids ----------------------------------------------------------------------------
def test_row_keys_are_stable(tmp_path):
    rows = [
        answers(
            "25.01.2027 09:05:03", email=f"u{i}@atu.kz", title=f"Курс {i}", link=f"https://skills.atu.kz/course/{i}"
        )
        for i in range(3)
    ]
    first = read_export(write_csv(tmp_path / "Form (Responses).csv", HEADERS["ru"], rows))
    keys = [r.row_key for r in first]
    assert len(set(keys)) == 3 and [r.row_key for r in read_export(tmp_path / "Form (Responses).csv")] == keys
    shutil.copy(tmp_path / "Form (Responses).csv", tmp_path / "Form (Responses) (1).csv")
    assert [r.row_key for r in read_export(tmp_path / "Form (Responses) (1).csv")] == keys  # a new download
    edited = [
        answers("27.01.2027 11:00:00", email="u1@atu.kz", title="Курс 1, исправлено") if i == 1 else row
        for i, row in enumerate(rows)
    ]
    appended = edited + [answers("28.01.2027 12:00:00", email="new@atu.kz", title="Новый")]
    again = read_export(write_xlsx(tmp_path / "sheet.xlsx", HEADERS["ru"], appended))
    assert [r.row_key for r in again][:3] == keys  # in-place edit, appended row, .xlsx of the same sheet
    assert table_row_key("responses", 2, {"Email Address": "U1@atu.kz "}) == keys[1]


def small_config():
    return Config.model_validate(
        {
            "edition": {"name": "ATU DER contest", "year": 2027},
            "calendar": {
                "announcement": "2027-01-04T10:00:00",
                "intake_open": "2027-01-20T09:00:00",
                "intake_close": "2027-02-10T18:00:00",
                "stage1_close": "2027-02-20T18:00:00",
                "stage2_close": "2027-03-01T18:00:00",
                "stage3_close": "2027-03-15T18:00:00",
            },
            "faculties": [
                {
                    "id": "FIT",
                    "name_kk": "Ақпараттық технологиялар факультеті",
                    "name_ru": "Факультет информационных технологий",
                    "departments": [
                        {
                            "id": "FIT-IS",
                            "name_kk": "Ақпараттық жүйелер кафедрасы",
                            "name_ru": "Кафедра информационных систем",
                        }
                    ],
                }
            ],
            "commissions": {"contest": [{"name": "Chair", "email": "chair@atu.kz"}]},
        }
    )


def test_ids_stay_when_rows_are_appended_and_edits_resubmitted(tmp_path):
    config = small_config()
    rows = [
        answers(
            f"2{i}.01.2027 09:00:00", email=f"u{i}@atu.kz", title=f"Курс {i}", link=f"https://skills.atu.kz/course/{i}"
        )
        for i in range(1, 4)
    ]
    path = write_csv(tmp_path / "r.csv", HEADERS["ru"], rows)
    first = decide(mapped(read_export(path)), config.intake_rules())
    assert [a.status for a in first] == [Status.ACCEPTED] * 3 and len({a.id for a in first}) == 3
    assert [a.id for a in decide(mapped(read_export(path)), config.intake_rules())] == [a.id for a in first]  # re-read
    resubmitted = answers(
        "29.01.2027 15:00:00",
        email="u2@atu.kz",
        title="Курс 2 (новая редакция)",
        link="https://skills.atu.kz/course/2/",
    )
    new = answers("30.01.2027 10:00:00", email="u9@atu.kz", title="Курс 9", link="https://skills.atu.kz/course/9")
    path = write_xlsx(tmp_path / "r.xlsx", HEADERS["ru"], rows + [resubmitted, new])
    later = decide(mapped(read_export(path)), config.intake_rules())
    assert [a.id for a in later[:3]] == [a.id for a in first]
    assert later[3].id == first[1].id and later[4].id not in {a.id for a in first}
    assert later[1].status is Status.SUPERSEDED and later[1].superseded_by == later[3].response.row_key
    assert later[3].status is Status.ACCEPTED


# --- the header must be the form's -------------------------------------------------------------
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_with_none_of_the_forms_questions_is_refused(tmp_path, kind):
    writer = write_csv if kind == "csv" else write_xlsx
    path = writer(tmp_path / f"foo.{kind}", ["foo", "bar"], [["1", "2"], ["3", "4"]])
    with pytest.raises(
        FormError, match=f"foo.{kind}: тақырып жолында \\(«foo», «bar»\\).*не найден ни один вопрос формы"
    ):
        read_export(path)


def test_a_header_known_only_from_config_aliases_is_accepted(tmp_path):
    from pipelines.formats.forms import ExportFile, responses_from_rows

    rows = [["Submitted", "Course name"], ["25.01.2027 09:05:03", "Базы данных"]]
    with pytest.raises(FormError, match="where.csv: в строке заголовков .*не найден ни один вопрос формы"):
        responses_from_rows(rows, "responses", where="where.csv")
    extra = {"timestamp": ["Submitted"], "title": ["Course name"]}
    [raw] = responses_from_rows(rows, "responses", where="where.csv", aliases=load_aliases(extra))
    assert raw.answers == {"Submitted": "25.01.2027 09:05:03", "Course name": "Базы данных"}
    assert raw.source == "where.csv" and raw.row_key == table_row_key("responses", 1, raw.answers)
    path = write_csv(tmp_path / "custom.csv", *rows[:1], rows[1:])
    assert [r.answers for r in ExportFile(path, extra).read_responses()] == [raw.answers]
    with pytest.raises(FormError, match="custom.csv: в строке заголовков .*не найден ни один вопрос формы"):
        ExportFile(path).read_responses()
    with pytest.raises(FormError, match="form.path: выгрузки ответов .*missing.csv нет"):
        ExportFile(tmp_path / "missing.csv").read_responses()


def test_rows_of_typed_values_read_as_text():
    from pipelines.formats.forms import responses_from_rows

    rows = [
        ["Timestamp", "Email Address", "DER type (number of topics)", "Link to the DER"],
        [46412.37850694444, "a@atu.kz", 12.0, None],
        [],
        [46413.5, "b@atu.kz", 2.5, True],
    ]
    first, second = responses_from_rows(rows, "responses")
    assert first.answers == {
        "Timestamp": "46412.37850694444",
        "Email Address": "a@atu.kz",
        "DER type (number of topics)": "12",
        "Link to the DER": "",
    }
    assert (second.row_number, second.answers["DER type (number of topics)"]) == (3, "2.5")
    assert parse_time(first.answers["Timestamp"], ALMATY) == datetime(2027, 1, 25, 9, 5, 3, tzinfo=ALMATY)
