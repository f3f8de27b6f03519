"""The demo edition's sample data: form responses as Google's CSV download writes them, and the
scores simulated experts type. Seeded and reproducible.

The rows cover what CDB meets in a real year: DERs in kk/ru/en, a late row, an incomplete one, a
resubmitted (edited) DER, a previous winner (9.9), a bad link, an unknown department, spellings with
Latin look-alikes, a commission member who co-authored a DER (a conflict), and two DERs that tie at
a department's cut-off.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

# Google Form question titles of CDB's form (Russian locale): the header row of the export.
HEADERS = [
    "Отметка времени",
    "Адрес электронной почты",
    "1. Факультет",
    "2. Кафедра",
    "3. Название ЦОР с указанием дисциплины",
    "4. Автор(ы) ФИО, должность, контакты",
    "5. Язык обучения",
    "6. Вид ЦОР (количество тем)",
    "7. Обоснование новизны и актуальности, задел авторов",
    "8. Ссылка на ЦОР",
    "Акт внедрения в учебный процесс",
    "Справка о размещении ЦОР на образовательной платформе",
]

# (department as typed, faculty as typed, title, language(s), [(author, position)], target total 7..70)
# Targets are unique, so simulated experts never tie by accident; the planned tie shares one.
DERS = [
    (
        "Ақпараттық жүйелер",
        "ФИТА",
        "Веб-бағдарламалау негіздері (Web Programming)",
        "Қазақ тілі",
        [("Серікбаева Айгерім Нұрланқызы", "аға оқытушы")],
        66,
    ),
    (
        "Информационные системы",
        "ФИТА",
        "Python & <Data> Science: анализ данных",
        "Русский, English",
        [("Тұрсынов Асхат Ержанұлы", "доцент"), ("Ким Виктор Андреевич", "профессор")],
        61,
    ),
    (
        "Информационные системы",
        "ФИТА",
        "Базы данных: SQL на практике",
        "Русский",
        [("Абенова Салтанат Кайратовна", "ст. преподаватель")],
        52,
    ),
    (
        "Информационные системы",
        "ФИТА",
        "Машиналық оқыту: кіріспе курс",
        "Қазақ тілі, Русский",
        [("Жанбыршиева Дина Болатқызы", "PhD, доцент")],
        52,
    ),
    (
        "Information Systems",
        "Faculty of Information Technology and Automation",
        "Cloud Computing Essentials",
        "English",
        [("Ospanova Zarina", "senior lecturer")],
        38,
    ),
    (
        "Автоматизация и управление",
        "ФИТА",
        "Теория автоматического управления: виртуальный практикум",
        "Русский",
        [("Гусев Андрей Петрович", "доцент")],
        63,
    ),
    (
        "Кафедра Aвтоматизации и упpавления",
        "ФИТА",
        "SCADA жүйелері",
        "Қазақ тілі",
        [("Бекмұратов Нұрлан Асқарұлы", "аға оқытушы")],
        49,
    ),
    (
        "Автоматтандыру және басқару",
        "ФИТА",
        "Микроконтроллеры в системах управления",
        "Русский",
        [("Лукпанова Гульнара Ериковна", "ст. преподаватель")],
        41,
    ),
    (
        "Вычислительная техника",
        "ФИТА",
        "Компьютерлік желілер",
        "Қазақ тілі",
        [("Әміров Болат Жұмабекұлы", "доцент")],
        58,
    ),
    (
        "Вычислительная техника",
        "ФИТА",
        "Алгоритмы и структуры данных",
        "Русский, Қазақ тілі",
        [("Нестеренко Игорь Валентинович", "профессор")],
        68,
    ),
    (
        "Computer Engineering",
        "ФИТА",
        "Operating Systems Lab",
        "English",
        [("Dzhaksybekova Aliya", "associate professor")],
        35,
    ),
    (
        "Технология хлебопродуктов",
        "ФПТ",
        "Нан пісіру технологиясы: виртуалды зертхана",
        "Қазақ тілі",
        [("Қожахметова Гүлжан Серікқызы", "доцент")],
        57,
    ),
    (
        "Технология хлебопродуктов",
        "ФПТ",
        "Технология макаронных изделий",
        "Русский",
        [("Рябова Оксана Николаевна", "ст. преподаватель")],
        44,
    ),
    ("ТХПП", "ФПТ", "Астық сақтау және өңдеу", "Қазақ тілі, Русский", [("Тәжібаев Ерлан Маратұлы", "профессор")], 50),
    (
        "Пищевая безопасность",
        "ФПТ",
        "Системы ХАССП на пищевом предприятии",
        "Русский",
        [("Мусина Асель Тимуровна", "доцент")],
        60,
    ),
    (
        "Тағам қауіпсіздігі",
        "ФПТ",
        "Тағам сапасын бақылау әдістері",
        "Қазақ тілі",
        [("Ермекова Жадыра Қанатқызы", "аға оқытушы")],
        47,
    ),
    (
        "Food Safety and Quality",
        "Faculty of Food Technology",
        "Food Microbiology Online",
        "English",
        [("Ibraimova Madina", "senior lecturer")],
        39,
    ),
    ("Биотехнология", "ФПТ", "Өнеркәсіптік биотехнология", "Қазақ тілі", [("Сапарова Ләйлә Жомартқызы", "доцент")], 55),
    (
        "Биотехнология",
        "ФПТ",
        "Ферментация: от лаборатории к производству",
        "Русский",
        [("Власов Константин Игоревич", "профессор")],
        64,
    ),
    (
        "Biotechnology",
        "ФПТ",
        "Bioinformatics for Food Scientists",
        "English, Русский",
        [("Nurmagambetova Aizhan", "PhD")],
        42,
    ),
    ("Дизайн", "ФТЛПиД", "Композиция және түстану", "Қазақ тілі", [("Әбілова Мөлдір Ерланқызы", "аға оқытушы")], 53),
    (
        "Дизайн",
        "ФТЛПиД",
        "Компьютерная графика в дизайне костюма",
        "Русский",
        [("Зайцева Дарья Сергеевна", "ст. преподаватель")],
        62,
    ),
    ("Design", "ФТЛПиД", "3D Modelling for Fashion", "English", [("Kurmanova Saule", "associate professor")], 45),
    ("ТКИЛП", "ФТЛПиД", "Тігін бұйымдарын құрастыру", "Қазақ тілі", [("Төлеуова Гүлнар Сапарқызы", "доцент")], 56),
    (
        "Технология и конструирование изделий",
        "ФТЛПиД",
        "Материаловедение лёгкой промышленности",
        "Русский",
        [("Белоусова Ирина Михайловна", "доцент")],
        48,
    ),
    (
        "Экономика",
        "ФЭиБ",
        "Микроэкономика: интерактивті курс",
        "Қазақ тілі, Русский",
        [("Жақыпова Айнұр Бекқызы", "доцент")],
        59,
    ),
    ("Экономика", "ФЭиБ", "Цифровая экономика", "Русский", [("Гончаренко Виталий Петрович", "профессор")], 43),
    (
        "Economics",
        "Faculty of Economics and Business",
        "Business Analytics with Excel",
        "English",
        [("Seitkali Daniyar", "senior lecturer")],
        37,
    ),
    ("Туризм и сервис", "ФЭиБ", "Туризм географиясы", "Қазақ тілі", [("Оразбекова Әсем Жанқызы", "аға оқытушы")], 51),
    (
        "Туризм и сервис",
        "ФЭиБ",
        "Гостиничный сервис: кейсы",
        "Русский",
        [("Лебедева Юлия Андреевна", "ст. преподаватель")],
        46,
    ),
    ("Tourism and Service", "ФЭиБ", "Event Management Online", "English", [("Amanzholova Dina", "lecturer")], 36),
    ("Туризм және сервис", "ФЭиБ", "Қонақ үй бизнесі", "Қазақ тілі", [("Сағынтаев Ербол Маратұлы", "доцент")], 40),
    (
        "Автоматизация и управление",
        "ФИТА",
        "Промышленные роботы",
        "Русский",
        [("Шевченко Олег Иванович", "профессор")],
        54,
    ),
    (
        "Дизайн",
        "ФТЛПиД",
        "Графикалық дизайн негіздері",
        "Қазақ тілі",
        [("Мұхамеджанова Жанар Әлібекқызы", "аға оқытушы")],
        34,
    ),
    ("Экономика", "ФЭиБ", "Қаржылық сауаттылық", "Қазақ тілі", [("Бектұрова Салтанат Ерланқызы", "аға оқытушы")], 33),
    (
        "Пищевая безопасность",
        "ФПТ",
        "Санитария и гигиена производства",
        "Русский",
        [("Ахмедова Зарина Рустамовна", "ст. преподаватель")],
        32,
    ),
    (
        "Вычислительная техника",
        "ФИТА",
        "Киберқауіпсіздік негіздері",
        "Қазақ тілі",
        [("Қалдыбаев Мирас Ерболұлы", "аға оқытушы")],
        65,
    ),
]


@dataclass
class Row:
    answers: dict[str, str]
    target: int | None  # the total experts give it; None: not a real DER


def _email(name: str) -> str:
    translit = str.maketrans("абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі", "abvgdeezziyklmnoprstufhccss_y_euaagqnouuhi")
    first, last = (name.split() + [""])[:2]
    return f"{last[:1].lower().translate(translit)}.{first.lower().translate(translit)}@atu.edu.kz".replace("_", "")


def _file(seed: str) -> str:
    return "https://drive.google.com/open?id=1" + hashlib.sha1(seed.encode()).hexdigest()[:27]


def _stamp(moment: datetime) -> str:
    """The Forms CSV download's time text: `YYYY/MM/DD h:mm:ss AM GMT+5`."""
    hour = moment.hour % 12 or 12
    return f"{moment:%Y/%m/%d} {hour}:{moment:%M:%S} {'AM' if moment.hour < 12 else 'PM'} GMT+5"


def _row(
    moment: datetime,
    email: str,
    faculty: str,
    department: str,
    title: str,
    authors: list[tuple[str, str]],
    language: str,
    link: str,
    *,
    act: bool = True,
    certificate: bool = True,
    topics: int = 12,
) -> dict[str, str]:
    people = "\n".join(f"{n}, {p}, {_email(n)}" for n, p in authors)
    return dict(
        zip(
            HEADERS,
            [
                _stamp(moment),
                email,
                faculty,
                department,
                title,
                people,
                language,
                f"Онлайн-курс ({topics} тем)",
                "Курс внедрён в учебный процесс кафедры; авторы ведут дисциплину 5 лет, "
                "есть видеолекции и тесты на платформе skills.atu.kz.",
                link,
                _file("act" + title) if act else "",
                _file("cert" + title) if certificate else "",
            ],
        )
    )


def responses(intake_open: datetime, intake_close: datetime, seed: int) -> list[Row]:
    """40+ responses in submission order, as CDB's form would collect them."""
    rng = random.Random(seed)
    span = (intake_close - intake_open).total_seconds()
    moments = sorted(intake_open + timedelta(seconds=rng.uniform(3600, span - 7200)) for _ in DERS)
    rows = []
    for n, ((department, faculty, title, language, authors, target), moment) in enumerate(zip(DERS, moments)):
        link = f"https://skills.atu.kz/course/view.php?id={200 + n}"
        rows.append(
            Row(
                _row(
                    moment, _email(authors[0][0]), faculty, department, title, authors, language, link, topics=8 + n % 9
                ),
                target,
            )
        )
    late = intake_close + timedelta(hours=3)
    mid = intake_open + timedelta(days=5)
    specials = [
        # submitted after the deadline (9.8)
        Row(
            _row(
                late,
                "n.utepov@atu.edu.kz",
                "ФИТА",
                "Автоматизация и управление",
                "Электроприводы: онлайн-лаборатория",
                [("Өтепов Нұрсұлтан Бекұлы", "доцент")],
                "Русский",
                "https://skills.atu.kz/course/view.php?id=301",
            ),
            None,
        ),
        # no link and no certificate of placement (form 01, note)
        Row(
            _row(
                mid,
                "a.kaliyeva@atu.edu.kz",
                "ФПТ",
                "Пищевая безопасность",
                "Пищевая химия",
                [("Калиева Алия Сериковна", "ст. преподаватель")],
                "Русский",
                "",
                certificate=False,
            ),
            None,
        ),
        # a previous winner's DER (9.9)
        Row(
            _row(
                mid + timedelta(hours=2),
                "v.kim@atu.edu.kz",
                "ФИТА",
                "Информационные системы",
                "Деректер қорын жобалау: интерактивті курс",
                [("Ким Виктор Андреевич", "профессор")],
                "Қазақ тілі",
                "https://skills.atu.kz/course/view.php?id=101",
            ),
            None,
        ),
        # not a link at all
        Row(
            _row(
                mid + timedelta(days=1),
                "m.sarsenova@atu.edu.kz",
                "ФТЛПиД",
                "Дизайн",
                "Сәндік-қолданбалы өнер",
                [("Сәрсенова Меруерт Асанқызы", "оқытушы")],
                "Қазақ тілі",
                "skills.atu.kz курс 55",
            ),
            None,
        ),
        # a department the university does not have
        Row(
            _row(
                mid + timedelta(days=2),
                "r.ten@atu.edu.kz",
                "ФИТА",
                "Кафедра робототехники",
                "Робототехника для всех",
                [("Тен Роман Эдуардович", "ст. преподаватель")],
                "Русский",
                "https://skills.atu.kz/course/view.php?id=302",
            ),
            None,
        ),
        # a language outside kk/ru/en (8.2)
        Row(
            _row(
                mid + timedelta(days=3),
                "k.weber@atu.edu.kz",
                "ФЭиБ",
                "Экономика",
                "Wirtschaftsdeutsch",
                [("Вебер Кристина Александровна", "ст. преподаватель")],
                "Немецкий",
                "https://skills.atu.kz/course/view.php?id=303",
            ),
            None,
        ),
        # breaks every rule at once: late, empty fields, no attachments, bad link, unknown unit, bad language
        Row(
            dict(
                zip(
                    HEADERS,
                    [
                        _stamp(late + timedelta(days=1)),
                        "",
                        "Неизвестный",
                        "???",
                        "",
                        "",
                        "Latin",
                        "",
                        "",
                        "ftp://nowhere",
                        "",
                        "",
                    ],
                )
            ),
            None,
        ),
    ]
    rows.extend(specials)
    # An edited resubmission: the same DER (same link), its title corrected a week later.
    first = next(r for r in rows if r.answers[HEADERS[4]] == "Цифровая экономика")
    edited = dict(first.answers)
    edited[HEADERS[0]] = _stamp(intake_close - timedelta(days=1))
    edited[HEADERS[4]] = "Цифровая экономика и электронная коммерция"
    rows.append(Row(edited, first.target))
    first.target = None  # the earlier submission is superseded
    rows.sort(key=lambda r: _sortable(r.answers[HEADERS[0]]))
    return rows


def _sortable(stamp: str) -> str:
    date, clock, ampm = stamp.split()[:3]
    h, m, s = (int(x) for x in clock.split(":"))
    h = h % 12 + (12 if ampm == "PM" else 0)
    return f"{date} {h:02d}:{m:02d}:{s:02d}"


def to_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADERS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row.answers)
    return out.getvalue()


def targets_by_link(rows: list[Row]) -> dict[str, int]:
    return {r.answers[HEADERS[9]]: r.target for r in rows if r.target is not None}


def simulated_scores(target: int, criteria: int, rng: random.Random) -> list[int]:
    """An expert's scores summing to `target`, spread unevenly across criteria (each 1..10)."""
    scores = [target // criteria] * criteria
    for i in range(target - sum(scores)):
        scores[i % criteria] += 1
    for _ in range(criteria * 2):  # move points around without changing the total
        a, b = rng.randrange(criteria), rng.randrange(criteria)
        if a != b and scores[a] < 10 and scores[b] > 1:
            scores[a] += 1
            scores[b] -= 1
    return scores


# --- a larger edition for benchmarks ------------------------------------------------------------
# `copies` campuses of the demo's university: every faculty, department and commission member is
# repeated with a campus number, and each campus receives the demo's responses with its own links
# and spellings. The demo itself (copies == 1) is not generated here: `responses` stays as it is.


def _campus(text: str, k: int) -> str:
    return f"{text} {k}"


def _campus_email(email: str, k: int) -> str:
    local, _, host = email.partition("@")
    return f"{local}{k}@{host}"


def scaled_config(config: dict, copies: int) -> dict:
    """The parsed contest.yaml `config` with its university repeated `copies` times (campus 1..N):
    ids get a `-K` suffix, names and spellings a ` K`, members' e-mails a `K` before the @."""
    out = dict(config)
    faculties, departments, fac_commissions = [], {}, {}
    for k in range(1, copies + 1):
        for f in config["faculties"]:
            faculties.append(
                {
                    "id": f"{f['id']}-{k}",
                    "name_kk": _campus(f["name_kk"], k),
                    "name_ru": _campus(f["name_ru"], k),
                    "spellings": [_campus(s, k) for s in f.get("spellings", [])],
                    "departments": [
                        {
                            "id": f"{d['id']}-{k}",
                            "name_kk": _campus(d["name_kk"], k),
                            "name_ru": _campus(d["name_ru"], k),
                            "spellings": [_campus(s, k) for s in d.get("spellings", [])],
                        }
                        for d in f["departments"]
                    ],
                }
            )

        def member(m: dict, k: int = k) -> dict:
            moved = dict(m, email=_campus_email(m["email"], k))
            if "department" in m:
                moved["department"] = f"{m['department']}-{k}"
            return moved

        for dep, members in config["commissions"]["departments"].items():
            departments[f"{dep}-{k}"] = [member(m) for m in members]
        for fac, members in config["commissions"]["faculties"].items():
            fac_commissions[f"{fac}-{k}"] = [member(m) for m in members]
    out["faculties"] = faculties
    out["commissions"] = dict(config["commissions"], departments=departments, faculties=fac_commissions)
    return out


def scaled_responses(intake_open: datetime, intake_close: datetime, seed: int, copies: int) -> list[Row]:
    """The demo's responses once per campus (see `scaled_config`), in submission order: each campus's
    faculty and department as its teachers type them with the campus number, its own links and files."""
    rows: list[Row] = []
    for k in range(1, copies + 1):
        for row in responses(intake_open, intake_close, seed + k):
            answers = dict(row.answers)
            for header in (HEADERS[2], HEADERS[3]):
                if answers[header].strip() and answers[header] not in ("Неизвестный", "???"):
                    answers[header] = _campus(answers[header], k)
            for header in (HEADERS[9], HEADERS[10], HEADERS[11]):
                text = answers[header]
                if text.startswith("https://skills.atu.kz/course/view.php?id=") and "id=101" not in text:
                    answers[header] = text.replace("?id=", f"?id={k}0")
                elif text.startswith("https://drive.google.com/open?id="):
                    answers[header] = _file(f"{k}/{text}")
            if answers[HEADERS[1]]:
                answers[HEADERS[1]] = _campus_email(answers[HEADERS[1]], k)
            rows.append(Row(answers, row.target))
    rows.sort(key=lambda r: _sortable(r.answers[HEADERS[0]]))
    return rows


def intake_rows(intake_open: datetime, intake_close: datetime, seed: int, count: int, copies: int) -> list[Row]:
    """`count` responses for the `copies`-campus university (see `scaled_config`): the scaled edition's
    rows repeated with fresh links and titles until there are `count`, as a big year's form would hold."""
    base = scaled_responses(intake_open, intake_close, seed, copies)
    rows: list[Row] = []
    n = 0
    while len(rows) < count:
        for row in base:
            if len(rows) >= count:
                break
            answers = dict(row.answers)
            if n:
                answers[HEADERS[4]] = f"{answers[HEADERS[4]]} ({n + 1})" if answers[HEADERS[4]] else ""
                link = answers[HEADERS[9]]
                if link.startswith("https://"):
                    answers[HEADERS[9]] = f"{link}&copy={n}"
            rows.append(Row(answers, row.target))
        n += 1
    rows.sort(key=lambda r: _sortable(r.answers[HEADERS[0]]))
    return rows
