"""The authors' answer as teachers type it (issue 8 item 2): every author survives every read-back
(the registry reads the typed answer again), and an author never rates their own DER."""

from __future__ import annotations

import re

import pytest
from _scoring_fixtures import make_app, make_config

from pipelines.domain.assignment import assign, is_author, stage_groups
from pipelines.domain.authors import parse_authors, printed_names, read_authors
from pipelines.domain.models import Author, RawResponse
from pipelines.domain.text import same_person
from pipelines.formats import forms
from pipelines.formats.registry import from_row, to_row


@pytest.mark.parametrize(
    "text, names",
    [
        # the case that lost a co-author: ";" between authors, the second without an e-mail
        (
            "Серікбаева Айгерім Нұрланқызы, аға оқытушы, a.serikbaeva@atu.edu.kz; Жумабаев Ерлан",
            ["Серікбаева Айгерім Нұрланқызы", "Жумабаев Ерлан"],
        ),
        ("Иванов Иван, доцент, ivanov@atu.kz, Петрова Анна, ст. преподаватель", ["Иванов Иван", "Петрова Анна"]),
        ("Иванов Иван Иванович и Петрова Анна Сергеевна", ["Иванов Иван Иванович", "Петрова Анна Сергеевна"]),
        ("Ахметова Г.Б. және Сейтқали Н.", ["Ахметова Г.Б.", "Сейтқали Н."]),
        ("John Smith and Anna Lee", ["John Smith", "Anna Lee"]),
        ("доцент, ivanov@atu.kz, Иванов Иван", ["Иванов Иван"]),  # position and contact first
        ("1) Иванов Иван — доцент\n2) Петрова Анна — +7 701 111 22 33", ["Иванов Иван", "Петрова Анна"]),
    ],
)
def test_authors_as_typed(text, names):
    assert [a.name for a in parse_authors(text)] == names


def test_parts_in_any_order():
    [a] = parse_authors("ivanov@atu.kz, доцент, Иванов Иван")
    assert a == Author("Иванов Иван", "доцент", "ivanov@atu.kz")


def mapped(authors_text: str):
    raw = RawResponse(
        "k", 1, {"Timestamp": "25.01.2027 10:00:00", "Авторы": authors_text, "Факультет": "ФИТ", "Кафедра": "ИС"}
    )
    return forms.map_response(raw, forms.load_aliases(), 1, make_config().zone)


def test_every_author_survives_the_registry_round_trip():
    text = "Серікбаева Айгерім, аға оқытушы, a.s@atu.edu.kz; Жумабаев Ерлан"
    app = make_app("DER-1", authors=[], authors_raw=text)
    app.response.authors = mapped(text).authors
    back = from_row(to_row(app, "kk"))
    assert [a.name for a in back.response.authors] == ["Серікбаева Айгерім", "Жумабаев Ерлан"]
    assert back.response.authors == app.response.authors
    assert back.response.authors_raw == text


def test_a_co_author_without_an_email_never_rates_the_der_at_any_stage():
    """Жумабаев Ерлан sits on the department commission; his name is the second author, after ";",
    typed without an e-mail, and written with a Kazakh letter (Жұмабаев) the config does not have."""
    text = "Тестова Айгерім, аға оқытушы, test@atu.edu.kz; Жұмабаев Е."
    app = make_app("DER-1", authors=[], authors_raw=text)
    app.response.authors = mapped(text).authors
    app = from_row(to_row(app, "kk"))  # as every later job reads it
    config = make_config(
        commissions={
            **make_config().commissions.model_dump(),
            "faculties": {
                "FIT": [{"name": "Ерлан Жумабаев", "email": "e.zh@atu.kz"}, {"name": "Ли Виктор", "email": "li@atu.kz"}]
            },
            "contest": [
                {"name": "Zhumabayev Erlan", "email": "erlan@atu.kz"},
                {"name": "Эксперт Второй", "email": "s@atu.kz"},
            ],
        }
    )
    org = config.organisation()
    for stage in (1, 2, 3):
        [(group, members)] = stage_groups(org, stage, [app])
        assignments, _ = assign(group, members, config.scoring_rules(), stage)
        raters = {a.expert.email for a in assignments if app.id in a.application_ids}
        assert not raters & {"zhumabaev@atu.kz", "e.zh@atu.kz", "erlan@atu.kz"}, stage
        assert raters, stage  # the others still rate it


def test_sharing_only_a_surname_is_not_authorship():
    app = make_app("DER-1", authors=[("Абенов Марат Серікұлы", "")], authors_raw="Абенов Марат Серікұлы")
    expert = make_config().organisation().department_commissions["IS"][0]
    assert expert.name == "Абенов Данияр Болатович"
    assert not is_author(expert, app)


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("Серікбаева Айгерім Нұрланқызы", "Aigerim Serikbayeva", True),
        ("Ахметова Г.Б.", "Gulnara Akhmetova", True),
        ("Ахметова Г.Б.", "Akhmetova Bakyt", False),
        ("Иванов И.И.", "Иванов Пётр", False),
        ("Абенов Данияр", "Абенов Марат", False),
    ],
)
def test_name_matching_is_symmetric(a, b, same):
    assert same_person(a, b) is same and same_person(b, a) is same


def test_a_parsed_answer_is_a_list_of_its_own_each_time():
    """parse_authors remembers the answers it parsed (an intake reads each twice): the caller's list
    is its own to change."""
    text = "Иванов Иван, доцент, ivanov@atu.edu.kz; Петрова Анна"
    first = parse_authors(text)
    first.append(Author("Кто-то Ещё"))
    assert [a.name for a in parse_authors(text)] == ["Иванов Иван", "Петрова Анна"]
    assert parse_authors(text) is not parse_authors(text)
    assert parse_authors("") == [] and parse_authors(None) == []  # type: ignore[arg-type]


# --- issue 19 item 5: authors as teachers really write them ---------------------------------------
# Each answer below is written the way the answers of a real edition came in: the scripts mixed, the
# separators missing or doubled, contact data in parentheses, a messenger line under the author.
AS_TEACHERS_WRITE = [
    # a Cyrillic first author, then a Latin co-author with an English position and no e-mail
    (
        "Сейтқали Айгерім Нұрланқызы — аға оқытушы — a.seitkali@atu.edu.kz, Zhaksylykova Dana — senior lecturer",
        ["Сейтқали Айгерім Нұрланқызы", "Zhaksylykova Dana"],
    ),
    (
        "Сейтқали Айгерім Нұрланқызы, аға оқытушы, a.seitkali@atu.edu.kz\nDana Zhaksylykova, Senior Lecturer",
        ["Сейтқали Айгерім Нұрланқызы", "Dana Zhaksylykova"],
    ),
    (
        "Сейтқали Айгерім Нұрланқызы аға оқытушы a.seitkali@atu.edu.kz Dana Zhaksylykova senior lecturer",
        ["Сейтқали Айгерім Нұрланқызы", "Dana Zhaksylykova"],
    ),
    (
        "Сейтқали А.Н. (аға оқытушы, a.seitkali@atu.edu.kz), Zhaksylykova D. (senior lecturer)",
        ["Сейтқали А.Н.", "Zhaksylykova D."],
    ),
    # the same author again with a messenger number: contact data, not a second author
    (
        "Иванова Анна Сергеевна, доцент, ivanova@atu.edu.kz\nИванова А.С. (WhatsApp +7 701 123 45 67)",
        ["Иванова Анна Сергеевна"],
    ),
    # a private e-mail address in parentheses after the name
    ("Петров Петр Петрович (petrov1975@mail.ru), старший преподаватель", ["Петров Петр Петрович"]),
    ("Ахметова Г.Б., т.ғ.к., қауымд. профессор, тел.: 8 (727) 293-52-95, @akhmetova_g", ["Ахметова Г.Б."]),
    ("доцент Иванов И.И., кафедра Информационных Систем", ["Иванов И.И."]),
    ("Dr. Dana Zhaksylykova, Department of Computer Science", ["Dana Zhaksylykova"]),
    ("Авторы: Иванов Иван и Петрова Анна", ["Иванов Иван", "Петрова Анна"]),
    ("Жұмабаев Ерлан Серікұлы - аға оқытушы, Ақпараттық жүйелер кафедрасы", ["Жұмабаев Ерлан Серікұлы"]),
    ("Нұрланова Әсел, магистр, оқытушы; Bekov A.", ["Нұрланова Әсел", "Bekov A."]),
    ("И.И.Иванов, ст. преп., тел. 87011234567", ["И.И. Иванов"]),
    ("иванов иван иванович", ["Иванов Иван Иванович"]),  # typed all in lower case
    ("Smith J., PhD, Associate Professor, Almaty Technological University", ["Smith J."]),
]


@pytest.mark.parametrize("text, names", AS_TEACHERS_WRITE)
def test_every_person_named_is_kept_and_only_persons(text, names):
    reading = read_authors(text)
    assert [a.name for a in reading.authors] == names
    assert reading.unclear == ()


@pytest.mark.parametrize("text", [t for t, _ in AS_TEACHERS_WRITE])
def test_no_phone_number_or_address_is_ever_part_of_a_name(text):
    for author in read_authors(text).authors:
        assert not re.search(r"@|\d|https?:|www\.", author.name), author


def test_contact_data_is_kept_with_its_person():
    [a] = parse_authors("Иванова Анна Сергеевна, доцент, ivanova@atu.edu.kz\nИванова А.С. (WhatsApp +7 701 123 45 67)")
    assert a == Author("Иванова Анна Сергеевна", "доцент", "ivanova@atu.edu.kz, WhatsApp +7 701 123 45 67")
    [b] = parse_authors("Петров Петр Петрович (petrov1975@mail.ru), старший преподаватель")
    assert b == Author("Петров Петр Петрович", "старший преподаватель", "petrov1975@mail.ru")


def test_a_fragment_nobody_can_read_is_shown_to_cdb_not_guessed():
    reading = read_authors("Иванов Иван, доцент, см. приложение 2")
    assert [a.name for a in reading.authors] == ["Иванов Иван"] and reading.authors[0].position == "доцент"
    assert reading.unclear == ("см. приложение 2",)  # never printed as a position, never a name
    lone = read_authors("Иванов")  # one word: not guessed into a name
    assert lone.authors == () and lone.unclear == ("Иванов",)


def test_printed_names_never_carry_contact_data():
    assert printed_names([], "Иванов (ivanov@mail.ru), тел. +7 701 111 22 33") == ["Иванов"]
    assert printed_names(parse_authors("Петров Петр (petrov@mail.ru)"), "") == ["Петров Петр"]


def test_a_latin_co_author_on_two_commissions_is_never_given_her_own_der():
    """Issue 19 Why 4: the co-author written in Latin letters sits on the faculty and the contest
    commissions under her Cyrillic name; every author counts at every stage (13)."""
    text = "Сейтқали Айгерім Нұрланқызы — аға оқытушы — a.seitkali@atu.edu.kz, Zhaksylykova Dana — senior lecturer"
    app = make_app("DER-1", authors=[], authors_raw=text)
    app.response.authors = mapped(text).authors
    app = from_row(to_row(app, "kk"))  # as every later job reads it back from the registry
    assert [a.name for a in app.response.authors] == ["Сейтқали Айгерім Нұрланқызы", "Zhaksylykova Dana"]
    config = make_config(
        commissions={
            **make_config().commissions.model_dump(),
            "faculties": {
                "FIT": [
                    {"name": "Жақсылықова Дана Болатқызы", "email": "d.zh@atu.kz"},
                    {"name": "Ли Виктор", "email": "li@atu.kz"},
                ]
            },
            "contest": [
                {"name": "Жақсылықова Дана Болатқызы", "email": "d.zh@atu.kz"},
                {"name": "Эксперт Второй", "email": "s@atu.kz"},
            ],
        }
    )
    org = config.organisation()
    for stage in (2, 3):
        [(group, members)] = stage_groups(org, stage, [app])
        assignments, _ = assign(group, members, config.scoring_rules(), stage)
        raters = {a.expert.email for a in assignments if app.id in a.application_ids}
        assert "d.zh@atu.kz" not in raters, stage
        assert raters, stage
