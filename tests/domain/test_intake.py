import random
import re
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pipelines.domain import intake
from pipelines.domain.intake import (
    application_id,
    decide,
    der_identity,
    disqualify,
    group_duplicates,
    invalid_languages,
    invalid_link,
    language_codes,
    late_submission,
    match_unit,
    missing_attachments,
    missing_fields,
    previous_winner,
    reinstate,
    stable_ids,
)
from pipelines.domain.models import Author, Notice, Reason, Status


def at(day, hour=10, minute=0, month=1):
    return datetime(2027, month, day, hour, minute, tzinfo=ZoneInfo("Asia/Almaty"))


def rules(reasons):
    return [r.rule for r in reasons]


def test_every_rule_cites_its_clause_in_its_docstring():
    for fn in (
        late_submission,
        missing_fields,
        missing_attachments,
        invalid_link,
        match_unit,
        invalid_languages,
        previous_winner,
        der_identity,
        stable_ids,
    ):
        assert re.search(r"\d\.\d|form 01", fn.__doc__.splitlines()[0], re.IGNORECASE), fn.__name__


def test_every_rule_name_has_kk_and_ru_messages():
    import yaml

    from pipelines.formats.forms import SCHEMA

    messages = yaml.safe_load((SCHEMA.parent / "messages.yaml").read_text(encoding="utf-8"))
    names = re.findall(r"\b[a-z_]+\b", intake.__doc__.split("messages.yaml:")[1])
    assert names and set(names) <= set(messages)
    for name, texts in messages.items():
        if name != "cli":  # the command line's texts (tests/test_i18n.py)
            assert texts["kk"].strip() and texts["ru"].strip()


# --- 9.8 time ----------------------------------------------------------------------------------
def test_late_submission(config):
    cal = config.calendar
    window = dict(intake_open=cal.intake_open, intake_close=cal.intake_close)
    assert late_submission(submitted_at=at(25), **window) == []
    assert late_submission(submitted_at=cal.intake_close, **window) == []  # the deadline itself is in time
    assert late_submission(submitted_at=None, **window) == []  # the timestamp problem says it
    late = late_submission(submitted_at=at(10, 18, 1, month=2), **window)
    assert rules(late) == ["late"] and late[0].clause == "9.8" and late[0].notice.values["at"] == "10.02.2027 18:01:00"
    early = late_submission(submitted_at=at(19), **window)
    assert rules(early) == ["early"] and early[0].notice.key == "reason_early"


# --- form 01 fields ----------------------------------------------------------------------------
def test_missing_fields_complete(make_response):
    assert missing_fields(response=make_response()) == []


@pytest.mark.parametrize(
    "field, value, number",
    [
        ("faculty", "", 1),
        ("department", " ", 2),
        ("title", "", 3),
        ("authors_raw", "", 4),
        ("languages", [], 5),
        ("der_type", "", 6),
        ("justification", "\n", 7),
        ("link", "", 8),
    ],
)
def test_missing_fields_names_each_field(make_response, field, value, number):
    reasons = missing_fields(response=make_response(**{field: value}))
    assert rules(reasons) == ["missing_field"]
    assert reasons[0].notice == Notice("reason_missing_field", number=number) and reasons[0].clause == "9.8"


def test_missing_attachments(make_response):
    assert missing_attachments(response=make_response()) == []
    act = missing_attachments(response=make_response(act_files=[]))
    assert len(act) == 1 and act[0].notice.key == "reason_no_act"
    cert = missing_attachments(response=make_response(certificate_files=[]))
    assert len(cert) == 1 and cert[0].notice.key == "reason_no_certificate"
    assert len(missing_attachments(response=make_response(act_files=[], certificate_files=[]))) == 2


@pytest.mark.parametrize(
    "link, ok",
    [
        ("https://skills.atu.kz/course/101", True),
        ("http://skills.atu.kz/course/101", True),
        ("", True),
        ("skills.atu.kz/course/101", False),
        ("ftp://skills.atu.kz/x", False),
        ("https://", False),
        ("https://skills atu kz", False),
        ("курс на платформе", False),
    ],
)
def test_invalid_link(link, ok):
    reasons = invalid_link(link=link)
    assert (reasons == []) is ok
    if not ok:
        assert rules(reasons) == ["invalid_link"] and reasons[0].clause == "form 01.8"


# --- faculty and department --------------------------------------------------------------------
def unit(config, faculty, department):
    return match_unit(faculty_text=faculty, department_text=department, faculties=config.units())


@pytest.mark.parametrize(
    "faculty, department",
    [
        ("Факультет информационных технологий", "Кафедра информационных систем"),
        ("Ақпараттық технологиялар факультеті", "Ақпараттық жүйелер кафедрасы"),
        ("FIT", "FIT-IS"),
        ("ФИТ", "ИС"),
        ("  факультет ИНФОРМАЦИОННЫХ технологий ", "кафедра  информационных систем."),
        ("Фaкультет инфopмaциoнных технологий", "Кафeдpа информационных систем"),  # Latin look-alikes
        ("Акпараттык технологиялар факультети", "Акпараттык жуйелер кафедрасы"),  # no Kazakh keyboard
    ],
)
def test_match_unit_exact(config, faculty, department):
    m = unit(config, faculty, department)
    assert (m.faculty_id, m.department_id, m.reasons, m.matched) == ("FIT", "FIT-IS", [], {})


def test_match_unit_near_miss_is_recorded(config):
    m = unit(config, "Факультет IT", "Кафедра информацонных систем")
    assert (m.faculty_id, m.department_id, m.reasons) == ("FIT", "FIT-IS", [])
    assert m.matched["faculty"] == "'Факультет IT' ~ 'Факультет ИТ' (FIT)"
    assert m.matched["department"] == "'Кафедра информацонных систем' ~ 'Кафедра информационных систем' (FIT-IS)"


def test_department_of_another_faculty_is_rejected_saying_where(config):
    m = unit(config, "Факультет информационных технологий", "Кафедра пищевой безопасности")
    assert m.department_id is None and rules(m.reasons) == ["department"]
    assert m.reasons[0].notice.key == "reason_department_elsewhere"
    assert m.reasons[0].notice.values["found_faculty"].startswith("FFT") and m.reasons[0].notice.values[
        "faculty"
    ].startswith("FIT")


@pytest.mark.parametrize("faculty", ["", "Какой-то факультет"])
def test_faculty_inferred_from_the_department(config, faculty):
    m = unit(config, faculty, "Кафедра пищевой безопасности")
    assert (m.faculty_id, m.department_id, m.reasons) == ("FFT", "FFT-FS", [])
    assert m.matched["faculty"].startswith("inferred from the department: FFT")


def test_same_department_name_in_two_faculties(config):
    assert unit(config, "Тағам технологиялары факультеті", "Кафедра физики").department_id == "FFT-PH"
    assert unit(config, "ФИТ", "Кафедра физики").department_id == "FIT-PH"
    m = unit(config, "", "Кафедра физики")  # cannot be inferred
    assert m.department_id is None and m.reasons[0].notice.key == "reason_department_ambiguous"


def test_unknown_faculty_and_department(config):
    m = unit(config, "Факультет магии", "Кафедра зельеварения")
    assert (m.faculty_id, m.department_id) == (None, None)
    assert rules(m.reasons) == ["faculty", "department"]
    assert unit(config, "", "").reasons == []  # empty answers are missing fields, not unknown units
    assert rules(unit(config, "Факультет магии", "").reasons) == ["faculty"]


def test_unknown_department_of_a_known_faculty(config):
    m = unit(config, "ФИТ", "Кафедра зельеварения")
    assert m.faculty_id == "FIT" and m.reasons[0].notice.key == "reason_department_not_of"
    assert m.reasons[0].notice.values["faculty"].startswith("FIT ")


# --- 8.2 languages -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "typed, code",
    [
        ("Қазақ тілі", "kk"),
        ("Казахский", "kk"),
        ("Kazakh", "kk"),
        ("kk", "kk"),
        ("Қазақша", "kk"),
        ("Казахский язык", "kk"),
        ("Қазақ тілі (Kazakh)", "kk"),
        ("Казак тили", "kk"),
        ("Орыс тілі", "ru"),
        ("Русский", "ru"),
        ("Russian", "ru"),
        ("RU", "ru"),
        ("русский язык", "ru"),
        ("English", "en"),
        ("Ағылшын тілі", "en"),
        ("Английский", "en"),
        ("en", "en"),
        ("Агылшын тили", "en"),
    ],
)
def test_language_names(typed, code):
    assert language_codes([typed]) == ([code], [])
    assert invalid_languages(languages=[typed]) == []


def test_several_languages_and_unknown_ones():
    assert language_codes(["Қазақ тілі", "Русский", "English", "Kazakh"]) == (["kk", "ru", "en"], [])
    assert language_codes(["Kazakh/Russian"]) == (["kk", "ru"], [])
    codes, unknown = language_codes(["Русский", "Немецкий"])
    assert codes == ["ru"] and unknown == ["Немецкий"]
    reasons = invalid_languages(languages=["Русский", "Немецкий"])
    assert (
        rules(reasons) == ["language"]
        and reasons[0].notice.values["given"] == "'Немецкий'"
        and reasons[0].clause == "8.2"
    )
    assert rules(invalid_languages(languages=[])) == ["language"]


# --- 9.9 previous winners ----------------------------------------------------------------------
def test_previous_winner(config, make_response):
    winners = config.intake_rules().previous_winners
    assert previous_winner(response=make_response(), winners=winners) == []
    by_link = previous_winner(response=make_response(link="http://www.skills.atu.kz/course/7/"), winners=winners)
    assert (
        rules(by_link) == ["previous_winner"]
        and by_link[0].clause == "9.9"
        and by_link[0].notice.values["year"] == 2025
    )
    same = make_response(
        title="Основы программирования на Python.",
        link="https://skills.atu.kz/course/70",
        authors=[Author("Serikov Arman"), Author("Петров Пётр")],
    )
    assert rules(previous_winner(response=same, winners=winners)) == ["previous_winner"]
    other_authors = make_response(
        title="Основы программирования на Python", link="https://x.kz/course/1", authors=[Author("Петров Пётр")]
    )
    assert previous_winner(response=other_authors, winners=winners) == []


def test_a_previous_winner_is_found_with_its_author_written_shorter(config, make_response):
    """The title is compared only when a name shares a word with a winner's author (every same
    person does): an author written with initials or without the patronymic is still found."""
    from pipelines.domain.text import normalise_person, same_person

    winners = config.intake_rules().previous_winners
    winner = next(w for w in winners if w.authors)
    surname, *given = winner.authors[0].split()
    short = f"{surname} {given[0][0]}." if given else surname
    response = make_response(title=winner.title + ".", link="https://x.kz/course/99", authors=[Author(short)])
    assert rules(previous_winner(response=response, winners=winners)) == ["previous_winner"]
    pairs = [
        ("Иванов И.И.", "Иванов Иван Иванович"),
        ("Ахметова Г.Б.", "Ахметова Гульнара"),
        ("Ivanov Ivan", "Иванов Иван"),
        ("Серіков Арман", "Serikov Arman"),
    ]
    for a, b in pairs:
        assert same_person(a, b) and not normalise_person(a).isdisjoint(normalise_person(b))


# --- duplicates and ids ------------------------------------------------------------------------
def test_der_identity(make_response):
    ids = der_identity(make_response())
    assert ids == {
        "link:https://skills.atu.kz/course/101",
        "title:базы данных интерактивный курс|кафедра информационных систем|email:ivanov@atu.kz",
    }
    assert der_identity(make_response(link="https://skills.atu.kz/", title="")) == {"row:row-1"}
    # no e-mail collected: the first author's name, word order and alphabet folded
    assert der_identity(make_response(respondent_email="", link="")) == {
        "title:базы данных интерактивный курс|кафедра информационных систем|author:"
        + " ".join(sorted(intake.normalise_person("Иванов Иван Иванович")))
    }
    assert der_identity(
        make_response(respondent_email="", link="", authors=[Author("Ivanov Ivan Ivanovich")])
    ) == der_identity(make_response(respondent_email=" ", link=""))
    assert der_identity(make_response(respondent_email=" IVANOV@atu.kz ")) == ids


def test_same_title_from_two_teachers_is_two_ders(config, make_response):
    """Two teachers' different DERs with one title (other links, other authors) are not duplicates."""
    mine = make_response(row_key="a", submitted_at=at(21))
    theirs = make_response(
        row_key="b",
        row_number=2,
        submitted_at=at(22),
        respondent_email="petrov@atu.kz",
        link="https://skills.atu.kz/course/202",
        authors=[Author("Петров Пётр")],
        authors_raw="Петров Пётр",
    )
    assert [[r.row_key for r in g] for g in group_duplicates([mine, theirs])] == [["a"], ["b"]]
    apps = decide([mine, theirs], config.intake_rules())
    assert [a.status for a in apps] == [Status.ACCEPTED, Status.ACCEPTED] and apps[0].id != apps[1].id
    # without e-mails, the first authors tell them apart
    no_mail = [replace(mine, respondent_email=""), replace(theirs, respondent_email="")]
    assert len(group_duplicates(no_mail)) == 2


def test_a_resubmission_with_a_changed_link_or_by_a_co_author_is_one_der(make_response):
    first = make_response(row_key="a", submitted_at=at(21))
    new_link = make_response(row_key="b", row_number=2, submitted_at=at(25), link="https://skills.atu.kz/course/909")
    co_author = make_response(
        row_key="c",
        row_number=3,
        submitted_at=at(27),
        respondent_email="petrov@atu.kz",
        title="Базы данных (2-е издание)",
        authors=[Author("Петров Пётр")],
        link="https://skills.atu.kz/course/909/",
    )
    assert [[r.row_key for r in g] for g in group_duplicates([first, new_link, co_author])] == [["a", "b", "c"]]
    no_mail = [
        make_response(row_key=k, respondent_email="", link=f"https://skills.atu.kz/course/{n}")
        for k, n in (("x", 1), ("y", 2))
    ]
    assert len(group_duplicates(no_mail)) == 1  # same first author, same title, same department


def test_group_duplicates(make_response):
    a = make_response(row_key="a")
    b = make_response(row_key="b", title="Другое название", link="https://WWW.skills.atu.kz/course/101/")  # link
    c = make_response(row_key="c", title="Другое  название!", link="https://skills.atu.kz/course/555")  # title of b
    d = make_response(
        row_key="d", title="Другое название", link="https://skills.atu.kz/course/9", department="Кафедра физики"
    )  # same title, other department
    e = make_response(row_key="e", title="Третий курс", link="https://skills.atu.kz/")  # home page: no identity
    f = make_response(row_key="f", title="Четвёртый курс", link="https://skills.atu.kz")
    groups = group_duplicates([a, b, c, d, e, f])
    assert [[r.row_key for r in g] for g in groups] == [["a", "b", "c"], ["d"], ["e"], ["f"]]


def test_application_id_format_and_stability(make_response):
    first = make_response(row_key="a", row_number=1, submitted_at=at(21))
    edit = make_response(row_key="b", row_number=5, submitted_at=at(28), title="Базы данных — новая редакция")
    gid = application_id([first])
    assert re.fullmatch(r"DER-[A-Z2-7]{6}", gid)
    assert application_id([first, edit]) == gid == application_id([edit, first])  # an edit as a new row
    assert application_id([make_response(row_key="z", link="https://skills.atu.kz/course/102")]) != gid
    no_link = make_response(link="нет")
    assert application_id([no_link]) == application_id([make_response(link="", row_key="other")])  # title


def test_ids_do_not_change_when_rows_are_appended(config, make_response):
    rows = [
        make_response(
            row_key=f"r{i}",
            row_number=i,
            submitted_at=at(21 + i),
            title=f"Курс {i}",
            link=f"https://skills.atu.kz/course/{i}",
        )
        for i in range(1, 6)
    ]
    before = {a.response.row_key: a.id for a in decide(rows, config.intake_rules())}
    more = rows + [
        make_response(
            row_key="r9",
            row_number=9,
            submitted_at=at(30),
            title="Курс 3 (исправленный)",
            link="https://skills.atu.kz/course/3",
        ),
        make_response(
            row_key="r10",
            row_number=10,
            submitted_at=at(31),
            title="Новый курс",
            link="https://skills.atu.kz/course/10",
        ),
    ]
    shuffled = more[:]
    random.Random(4).shuffle(shuffled)
    after = {a.response.row_key: a.id for a in decide(shuffled, config.intake_rules())}
    assert all(after[k] == v for k, v in before.items())
    assert after["r9"] == after["r3"] and len(set(after.values())) == 6


def test_equal_titles_in_two_departments_get_two_ids(config, make_response):
    a = make_response(row_key="a", link="", submitted_at=at(21))
    b = make_response(row_key="b", link="", submitted_at=at(22), department="Кафедра пищевой безопасности")
    ids = [x.id for x in decide([a, b], config.intake_rules())]
    assert ids[0] != ids[1] and ids[0] == application_id([a])


def test_an_in_place_edit_keeps_the_id_the_registry_gave(config, make_response):
    """Form 01: the id stays the same when the respondent edits the response in place (same row key),
    even when the edit changes the link and title the computed id hashes."""
    first = make_response(row_key="a", submitted_at=at(21))
    [before] = decide([first], config.intake_rules())
    edited = make_response(
        row_key="a", submitted_at=at(26), title="Базы данных: SQL", link="https://skills.atu.kz/course/555"
    )
    assert decide([edited], config.intake_rules())[0].id != before.id  # what the hash alone would do
    [after] = decide([edited], config.intake_rules(), known_ids={"a": before.id})
    assert after.id == before.id and after.status is Status.ACCEPTED
    other = make_response(
        row_key="z",
        row_number=2,
        submitted_at=at(22),
        respondent_email="petrov@atu.kz",
        title="Другой курс",
        link="https://skills.atu.kz/course/202",
    )
    ids = {a.response.row_key: a.id for a in decide([other, edited], config.intake_rules(), known_ids={"a": before.id})}
    assert ids == {"a": before.id, "z": application_id([other])}


def test_a_group_takes_the_known_id_of_its_earliest_member_that_has_one(config, make_response):
    a = make_response(row_key="a", row_number=1, submitted_at=at(21))
    b = make_response(row_key="b", row_number=2, submitted_at=at(23))
    c = make_response(row_key="c", row_number=3, submitted_at=at(25))
    apps = decide([c, b, a], config.intake_rules(), known_ids={"b": "DER-BBBBBB", "c": "DER-CCCCCC", "x": "DER-XXXXXX"})
    assert {x.id for x in apps} == {"DER-BBBBBB"}
    assert [x.status for x in apps] == [Status.ACCEPTED, Status.SUPERSEDED, Status.SUPERSEDED]
    assert {x.id for x in decide([a, b, c], config.intake_rules(), known_ids={"a": "", "c": "DER-CCCCCC"})} == {
        "DER-CCCCCC"
    }


def test_two_groups_never_share_an_id(config, make_response):
    a = make_response(row_key="a", row_number=1, submitted_at=at(21))
    b = make_response(
        row_key="b",
        row_number=2,
        submitted_at=at(22),
        respondent_email="petrov@atu.kz",
        title="Другой курс",
        link="https://skills.atu.kz/course/202",
    )
    # both rows claim one id (two DERs once merged): the earlier group keeps it, the later is computed
    apps = decide([a, b], config.intake_rules(), known_ids={"a": "DER-SAMEID", "b": "DER-SAMEID"})
    assert [x.id for x in apps] == ["DER-SAMEID", application_id([b])]
    # a later group's known id is its own even when an earlier group would compute the same id
    apps = decide([a, b], config.intake_rules(), known_ids={"b": application_id([a])})
    assert apps[1].id == application_id([a]) and apps[0].id != apps[1].id
    assert decide([a, b], config.intake_rules(), known_ids={"b": application_id([a])}) == apps  # a rerun: the same ids
    # two teachers, one title, one department, no link: hashes and department salt are equal too
    c = make_response(row_key="c", link="", submitted_at=at(21))
    d = make_response(row_key="d", row_number=2, link="", submitted_at=at(22), respondent_email="petrov@atu.kz")
    e = make_response(row_key="e", row_number=3, link="", submitted_at=at(23), respondent_email="sidorov@atu.kz")
    ids = [x.id for x in decide([c, d, e], config.intake_rules())]
    assert len(set(ids)) == 3 and ids[0] == application_id([c])
    assert all(re.fullmatch(r"DER-[A-Z2-7]{6}", i) for i in ids)


def test_ids_are_stable_when_the_registry_feeds_them_back(config, make_response):
    rows = [
        make_response(
            row_key=f"r{i}",
            row_number=i,
            submitted_at=at(21 + i),
            title=f"Курс {i}",
            link=f"https://skills.atu.kz/course/{i}",
            respondent_email=f"t{i % 3}@atu.kz",
        )
        for i in range(1, 7)
    ]
    first = {a.response.row_key: a.id for a in decide(rows, config.intake_rules())}
    edited = [replace(r, link=r.link + "0", title=r.title + " (ред.)") if i % 2 else r for i, r in enumerate(rows)]
    again = {a.response.row_key: a.id for a in decide(edited, config.intake_rules(), known_ids=first)}
    assert again == first


# --- the decision ------------------------------------------------------------------------------
def test_decide_accepts_a_valid_response(config, make_response):
    [app] = decide([make_response()], config.intake_rules())
    assert app.status is Status.ACCEPTED and app.reasons == []
    assert (app.faculty_id, app.department_id, app.superseded_by) == ("FIT", "FIT-IS", None)


def test_latest_on_time_submission_counts(config, make_response):
    first = make_response(row_key="a", row_number=1, submitted_at=at(21))
    second = make_response(row_key="b", row_number=2, submitted_at=at(28, 14, 30), title="Базы данных v2")
    apps = decide([first, second], config.intake_rules())
    assert [a.status for a in apps] == [Status.SUPERSEDED, Status.ACCEPTED]
    assert apps[0].superseded_by == "b" and apps[0].id == apps[1].id
    assert apps[0].reasons[0] == Reason(
        "superseded", "9.8", Notice("reason_superseded", when="28.01.2027 14:30:00", row=2)
    )


def test_the_latest_in_time_submission_counts_even_when_it_fails(config, make_response):
    """9.8: the latest submission before the deadline counts, whatever its own reasons; a broken
    resubmission does not silently bring the older version back. A late one replaces nothing."""
    good = make_response(row_key="a", submitted_at=at(21))
    broken = make_response(row_key="b", row_number=2, submitted_at=at(28), certificate_files=[])
    late = make_response(row_key="c", row_number=3, submitted_at=at(11, month=2))
    apps = decide([good, broken, late], config.intake_rules())
    assert [a.status for a in apps] == [Status.SUPERSEDED, Status.REJECTED, Status.SUPERSEDED]
    assert rules(apps[1].reasons) == ["missing_attachment"]
    assert apps[0].superseded_by == "b" and rules(apps[0].reasons) == ["superseded"]
    assert "late" in rules(apps[2].reasons) and apps[2].superseded_by == "b"


def test_a_late_resubmission_does_not_replace_an_in_time_one(config, make_response):
    good = make_response(row_key="a", submitted_at=at(21))
    late = make_response(row_key="c", row_number=3, submitted_at=at(11, month=2), title="Базы данных v2")
    apps = decide([late, good], config.intake_rules())
    assert [a.status for a in apps] == [Status.SUPERSEDED, Status.ACCEPTED]
    assert apps[0].superseded_by == "a" and rules(apps[0].reasons) == ["superseded", "late"]
    deadline = make_response(row_key="d", row_number=4, submitted_at=config.calendar.intake_close)
    assert [a.status for a in decide([good, deadline], config.intake_rules())] == [Status.SUPERSEDED, Status.ACCEPTED]


def test_when_no_submission_passes_the_latest_on_time_counts(config, make_response):
    a = make_response(row_key="a", submitted_at=at(21), act_files=[])
    b = make_response(row_key="b", row_number=2, submitted_at=at(22), certificate_files=[])
    apps = decide([a, b], config.intake_rules())
    assert [x.status for x in apps] == [Status.SUPERSEDED, Status.REJECTED]


def test_a_group_entirely_late_is_rejected_on_its_latest(config, make_response):
    a = make_response(row_key="a", submitted_at=at(11, month=2))
    b = make_response(row_key="b", row_number=2, submitted_at=at(12, month=2))
    apps = decide([a, b], config.intake_rules())
    assert [x.status for x in apps] == [Status.SUPERSEDED, Status.REJECTED]
    assert rules(apps[1].reasons) == ["late"]


def test_a_row_breaking_every_rule_gets_every_reason(config, make_response):
    bad = make_response(
        submitted_at=at(11, month=2),
        faculty="Факультет магии",
        department="Кафедра зельеварения",
        title="Основы программирования на Python",
        authors=[Author("Сериков Арман Болатович")],
        authors_raw="Сериков Арман Болатович",
        languages=["Немецкий"],
        der_type="",
        justification="",
        link="ftp://skills.atu.kz/der",
        act_files=[],
        certificate_files=[],
    )
    [app] = decide([bad], config.intake_rules())
    assert app.status is Status.REJECTED
    assert rules(app.reasons) == [
        "late",
        "missing_field",
        "missing_field",
        "missing_attachment",
        "missing_attachment",
        "invalid_link",
        "faculty",
        "department",
        "language",
        "previous_winner",
    ]
    empty = make_response(
        submitted_at=None,
        faculty="",
        department="",
        title="",
        authors=[],
        authors_raw="",
        languages=[],
        der_type="",
        justification="",
        link="",
        act_files=[],
        certificate_files=[],
        submitted_text="вчера вечером",
    )
    [app] = decide([empty], config.intake_rules())
    assert rules(app.reasons) == ["timestamp"] + ["missing_field"] * 8 + ["missing_attachment"] * 2
    assert app.reasons[0].notice.values["text"] == "'вчера вечером'"


def test_one_bad_row_never_stops_the_others(config, make_response):
    broken = make_response(
        row_key="x", submitted_at="25.01.2027", authors=[None], title="Основы программирования на Python"
    )
    good = make_response(row_key="g", row_number=2, title="Другой курс", link="https://skills.atu.kz/course/2")
    apps = decide([broken, good], config.intake_rules())
    assert apps[0].status is Status.REJECTED and "error" in rules(apps[0].reasons)
    assert all(r.clause == "-" for r in apps[0].reasons if r.rule == "error")
    assert apps[1].status is Status.ACCEPTED


def test_previous_winner_in_config_rejects(config, make_response):
    [app] = decide([make_response(link="https://skills.atu.kz/course/7")], config.intake_rules())
    assert app.status is Status.REJECTED and rules(app.reasons) == ["previous_winner"]


def test_near_miss_and_inferred_units_are_recorded_on_the_application(config, make_response):
    [app] = decide([make_response(faculty="", department="Кафедра пищевой безопасности")], config.intake_rules())
    assert (app.faculty_id, app.department_id) == ("FFT", "FFT-FS")
    assert "inferred" in app.matched["faculty"] and rules(app.reasons) == ["missing_field"]


# --- 9.10 disqualification ---------------------------------------------------------------------
def test_disqualify(make_config, make_response):
    first = make_response(row_key="a", submitted_at=at(21))
    second = make_response(row_key="b", row_number=2, submitted_at=at(22))
    der = application_id([first])
    decision = {
        "kind": "disqualify",
        "applications": [der],
        "by": "Contest commission, protocol 3",
        "at": "2027-03-10T12:00:00",
        "reason": "The act of implementation is forged",
    }
    config = make_config(decisions=[decision])
    apps = decide([first, second], config.intake_rules())
    assert [a.status for a in apps] == [Status.SUPERSEDED, Status.DISQUALIFIED]
    assert apps[1].reasons[-1] == Reason(
        "disqualified",
        "9.10",
        Notice(
            "reason_disqualified",
            reason="The act of implementation is forged",
            by="Contest commission, protocol 3",
            at="10.03.2027",
        ),
    )
    again = disqualify(apps, config.domain_decisions())  # the job applies them too: idempotent
    assert again == apps
    by_row = disqualify(
        decide([first, second], make_config().intake_rules()),
        make_config(decisions=[{**decision, "applications": ["a"]}]).domain_decisions(),
    )
    assert by_row[0].status is Status.DISQUALIFIED and by_row[1].status is Status.ACCEPTED


def test_decisions_of_other_kinds_are_ignored(make_config, make_response):
    decision = {
        "kind": "close_incomplete",
        "stage": 1,
        "group": "FIT-IS",
        "applications": ["DER-AAAAAA"],
        "by": "CDB",
        "at": datetime(2027, 2, 21),
        "reason": "expert ill",
    }
    [app] = decide([make_response()], make_config(decisions=[decision]).intake_rules())
    assert app.status is Status.ACCEPTED


# --- a recorded reinstatement ------------------------------------------------------------------
def test_reinstate_accepts_an_application_rejected_in_error_and_keeps_why_it_was(make_config, make_response):
    wrong = make_response(row_key="a", submitted_at=at(21), link="skills курсы, 55-сабақ")  # no link a browser opens
    der = application_id([wrong])
    decision = {
        "kind": "reinstate",
        "applications": [der],
        "by": "CDB",
        "at": "2027-01-22T09:30:00",
        "reason": "the course is on ATU's platform: CDB found it by its title",
    }
    plain = decide([wrong], make_config().intake_rules())
    assert plain[0].status is Status.REJECTED and rules(plain[0].reasons) == ["invalid_link"]
    config = make_config(decisions=[decision])
    (app,) = decide([wrong], config.intake_rules())
    assert app.status is Status.ACCEPTED and rules(app.reasons) == ["reinstated"]
    notice = app.reasons[0].notice
    assert notice.values["by"] == "CDB" and notice.values["at"] == "22.01.2027"
    assert notice.values["was"] == [r.notice for r in plain[0].reasons]  # why it was rejected, kept
    assert reinstate([app], config.domain_decisions()) == [app]  # idempotent


def test_reinstate_never_brings_back_a_disqualified_or_superseded_application(make_config, make_response):
    first = make_response(row_key="a", submitted_at=at(21), link="skills курсы 1")
    second = make_response(row_key="b", row_number=2, submitted_at=at(22), link="skills курсы 1")
    der = application_id([first])
    common = {"by": "chair", "at": "2027-03-10T12:00:00", "reason": "x"}
    decisions = [
        {"kind": "reinstate", "applications": [der], **common},
        {"kind": "disqualify", "applications": [der], **common},
    ]
    apps = decide([first, second], make_config(decisions=decisions).intake_rules())
    assert [a.status for a in apps] == [Status.SUPERSEDED, Status.DISQUALIFIED]  # reinstated, then 9.10
    assert "reinstated" in rules(apps[1].reasons) and rules(apps[1].reasons)[-1] == "disqualified"
