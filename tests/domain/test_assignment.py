"""Who rates what: groups of 9.4, conflicts of interest (13), quorum."""

from __future__ import annotations

from functools import partial

from _scoring_fixtures import expert, make_app, make_config

from pipelines import i18n
from pipelines.domain.assignment import (
    assign,
    declared_conflict,
    is_author,
    same_department,
    stage_groups,
    stands_aside,
)
from pipelines.domain.models import Group, Notice, Status

ru = partial(i18n.word, lang="ru")  # a notice as CDB reads it


# --- groups -----------------------------------------------------------------------------------
def test_stage1_groups_accepted_ders_by_department_with_the_department_commission():
    config = make_config()
    apps = [
        make_app("DER-1", dep="IS"),
        make_app("DER-2", dep="FT", fac="FFT"),
        make_app("DER-3", dep="IS"),
        make_app("DER-4", dep="IS", status=Status.REJECTED),
    ]
    problems: list[Notice] = []
    groups = stage_groups(config.organisation(), 1, apps, problems)
    assert [(g.id, g.name, [a.id for a in members]) for g, members in groups] == [
        ("IS", "Ақпараттық жүйелер", ["DER-1", "DER-3"]),
        ("FT", "Тағам технологиясы", ["DER-2"]),
    ]
    assert [e.email for e in groups[0][0].experts] == ["abenov@atu.kz", "serikova@atu.kz", "zhumabaev@atu.kz"]
    assert all(g.stage == 1 for g, _ in groups)
    assert problems == []


def test_stage2_groups_by_faculty_and_names_follow_the_config_language():
    config = make_config(language="ru")
    groups = stage_groups(config.organisation(), 2, [make_app("DER-1", dep="IS"), make_app("DER-2", dep="CS")])
    assert len(groups) == 1
    group, members = groups[0]
    assert (group.id, group.name, group.stage) == ("FIT", "Факультет информационных технологий", 2)
    assert [a.id for a in members] == ["DER-1", "DER-2"]
    assert [e.email for e in group.experts] == ["nurlanova@atu.kz", "li@atu.kz", "satpayev@atu.kz"]


def test_stage3_is_one_group_with_the_contest_commission():
    for lang, name in (("kk", "Конкурс комиссиясы"), ("ru", "Конкурсная комиссия")):
        groups = stage_groups(
            make_config(language=lang).organisation(), 3, [make_app("DER-1"), make_app("DER-2", dep="FT", fac="FFT")]
        )
        assert len(groups) == 1
        group, members = groups[0]
        assert (group.id, group.name, group.stage) == ("contest", name, 3)
        assert len(group.experts) == 3 and len(members) == 2


def test_a_group_without_commission_is_a_problem_not_an_exception():
    config = make_config()
    problems: list[Notice] = []
    groups = stage_groups(config.organisation(), 1, [make_app("DER-5", dep="CS")], problems)
    group, members = groups[0]
    assert group.id == "CS" and group.experts == () and [a.id for a in members] == ["DER-5"]
    assert len(problems) == 1 and "commissions.departments.CS" in ru(problems[0])
    assert "Компьютерлік ғылымдар" in ru(problems[0])
    # assign says so too, and the DER lacks its quorum
    assignments, quorum = assign(group, members, config.scoring_rules(), 1)
    assert assignments == []
    assert any(p.key == "group_no_experts" for p in quorum)
    assert any("DER-5" in ru(p) and "экспертов: 0" in ru(p) for p in quorum)


def test_a_der_without_department_is_reported():
    problems: list[Notice] = []
    assert stage_groups(make_config().organisation(), 1, [make_app("DER-9", dep=None)], problems) == []
    assert "DER-9" in ru(problems[0])


# --- conflicts --------------------------------------------------------------------------------
def test_author_by_respondent_email_case_insensitive():
    app = make_app("DER-1", email="Abenov@ATU.kz", authors=[("Другой Человек", "")])
    assert is_author(expert("abenov@atu.kz", "Абенов Данияр"), app)


def test_author_by_an_email_inside_the_author_contact():
    app = make_app("DER-1", authors=[("Серикова Алия", "+7 701 000 00 00, SERIKOVA@atu.kz")])
    assert is_author(expert("serikova@atu.kz", "Кто-то Иной"), app)


def test_author_by_name_with_latin_look_alike_letters_and_swapped_order():
    # "Aбенов" starts with a Latin A, "Данияр" with a Cyrillic Д: the same person
    app = make_app("DER-1", authors=[("Aбенов Данияр", "")], email="other@atu.kz")
    assert "A" == app.response.authors[0].name[0] and ord(app.response.authors[0].name[0]) < 128
    assert is_author(expert("abenov@atu.kz", "Абенов Данияр"), app)
    assert is_author(expert("abenov@atu.kz", "Данияр Абенов"), app)
    assert not is_author(expert("x@atu.kz", "Абенова Дана"), app)


def test_author_by_initials():
    app = make_app("DER-1", authors=[("Абенов Д.Б.", "")], email="other@atu.kz")
    assert is_author(expert("abenov@atu.kz", "Абенов Данияр Болатович"), app)


def test_author_found_in_the_typed_text_when_authors_were_not_parsed():
    app = make_app("DER-1", authors=[], authors_raw="Абенов Данияр, Серикова Алия", email="other@atu.kz")
    assert is_author(expert("s@atu.kz", "Серикова Алия"), app)
    assert not is_author(expert("k@atu.kz", "Ким Ольга"), app)


def test_declared_conflicts_by_id_title_author_name_and_email():
    app = make_app("DER-7K2QF9", "Python негіздері", authors=[("Ким Ольга", "kim@atu.kz")], email="kim@atu.kz")
    assert declared_conflict(expert("a@atu.kz", conflicts=("der-7k2qf9",)), app)
    assert declared_conflict(expert("a@atu.kz", conflicts=("  PYTHON негіздері. ",)), app)
    assert declared_conflict(expert("a@atu.kz", conflicts=("Ольга Ким",)), app)
    assert declared_conflict(expert("a@atu.kz", conflicts=("KIM@atu.kz",)), app)
    assert not declared_conflict(expert("a@atu.kz", conflicts=("DER-OTHER", "Другой ресурс", "")), app)
    assert not declared_conflict(expert("a@atu.kz"), app)


def test_same_department_only_at_stages_2_and_3_and_only_when_configured():
    on, off = True, False  # scoring.exclude_same_department
    app = make_app("DER-1", dep="IS")
    colleague = expert("n@atu.kz", "Нурланова Гульмира", department="IS")
    other = expert("l@atu.kz", "Ли Виктор", department="CS")
    assert not same_department(colleague, app, 1, on)
    assert same_department(colleague, app, 2, on) and same_department(colleague, app, 3, on)
    assert not same_department(other, app, 2, on)
    assert not same_department(colleague, app, 2, off)
    assert not same_department(expert("x@atu.kz"), app, 2, on)  # department unknown


# --- assign and quorum ------------------------------------------------------------------------
def test_every_expert_rates_every_der_except_their_own():
    config = make_config()
    group, members = stage_groups(
        config.organisation(),
        1,
        [
            make_app("DER-1", "Желілер", authors=[("Абенов Данияр Болатович", "abenov@atu.kz")], email="abenov@atu.kz"),
            make_app("DER-2", "Деректер қоры"),
        ],
    )[0]
    assignments, problems = assign(group, members, config.scoring_rules(), 1)
    assert {a.expert.email: a.application_ids for a in assignments} == {
        "abenov@atu.kz": ["DER-2"],
        "serikova@atu.kz": ["DER-1", "DER-2"],
        "zhumabaev@atu.kz": ["DER-1", "DER-2"],
    }
    assert all(a.stage == 1 and a.group == "IS" for a in assignments)
    assert problems == []


def test_quorum_shortfall_names_the_der_its_title_and_the_count():
    config = make_config(scoring={"min_experts": 3})
    group, members = stage_groups(
        config.organisation(),
        1,
        [
            make_app("DER-1", "Желілер", authors=[("Aбенов Данияр", "")], email="x@atu.kz"),  # Latin A
            make_app("DER-2", "Деректер қоры"),
        ],
    )[0]
    assignments, problems = assign(group, members, config.scoring_rules(), 1)
    assert len(problems) == 1
    assert "DER-1" in ru(problems[0]) and "«Желілер»" in ru(problems[0])
    assert "экспертов: 2, нужно 3" in ru(problems[0])
    assert "Абенов Данияр Болатович (автор)" in ru(problems[0])


def test_an_expert_with_nothing_to_rate_gets_no_assignment():
    config = make_config(scoring={"min_experts": 1})
    group = Group(
        1,
        "IS",
        "Ақпараттық жүйелер",
        (expert("abenov@atu.kz", "Абенов Данияр"), expert("s@atu.kz", "Серикова Алия", conflicts=("DER-1",))),
    )
    app = make_app("DER-1", authors=[("Абенов Данияр", "")], email="other@atu.kz")
    assignments, problems = assign(group, [app], config.scoring_rules(), 1)
    assert assignments == []
    assert len(problems) == 1 and "DER-1" in ru(problems[0]) and problems[0].values["count"] == 0
    assert "Серикова Алия (заявленный конфликт интересов)" in ru(problems[0])


def test_same_department_exclusion_in_assignment_at_stage_2():
    config = make_config(scoring={"exclude_same_department": True, "min_experts": 2})
    group, members = stage_groups(config.organisation(), 2, [make_app("DER-1", dep="IS"), make_app("DER-2", dep="CS")])[
        0
    ]
    assignments, problems = assign(group, members, config.scoring_rules(), 2)
    by_email = {a.expert.email: a.application_ids for a in assignments}
    assert by_email == {"nurlanova@atu.kz": ["DER-2"], "li@atu.kz": ["DER-1"], "satpayev@atu.kz": ["DER-1"]}
    assert len(problems) == 1 and "DER-2" in ru(problems[0]) and problems[0].values["count"] == 1
    assert stands_aside(group.experts[1], members[1], 2, True) == "same department"
