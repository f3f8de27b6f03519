"""A config that can't be misread (issue 8 item 4): a date without a time, an e-mail listed twice,
a commission that cannot give a DER enough raters once its authors stand aside, the edition's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines import i18n
from pipelines.checks import check_config, quorum_shortfalls
from pipelines.config import ConfigError, load_config
from pipelines.domain.models import Application, Response, Status

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "atu-2027" / "contest.yaml"


def variant(tmp_path: Path, *pairs: tuple[str, str]) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "contest.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("written", ["2027-02-19", '"2027-02-19"'])
def test_a_calendar_date_without_a_time_is_refused_with_the_fix(tmp_path, written):
    path = variant(tmp_path, ("intake_close: 2027-02-19T18:00", f"intake_close: {written}"))
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    message = str(caught.value)
    assert "calendar.intake_close" in message and "00:00" in message
    assert 'intake_close: "2027-02-19 23:59"' in message  # the exact line to write
    ru = variant(
        tmp_path, ("intake_close: 2027-02-19T18:00", f"intake_close: {written}"), ("language: kk", "language: ru")
    )
    with pytest.raises(ConfigError, match="нет времени"):
        load_config(ru, environ={})


def test_a_date_with_its_time_is_read_as_written(tmp_path):
    config = load_config(
        variant(tmp_path, ("intake_close: 2027-02-19T18:00", 'intake_close: "2027-02-19 23:59"')), environ={}
    )
    assert (config.calendar.intake_close.hour, config.calendar.intake_close.minute) == (23, 59)


@pytest.mark.parametrize("second", ["e.zhumabayev@atu.edu.kz", "E.Zhumabayev@ATU.edu.kz"])
def test_an_expert_email_listed_twice_in_a_commission_is_refused(tmp_path, second):
    path = variant(tmp_path, ("email: a.sadykova@atu.edu.kz", f"email: {second}"))
    with pytest.raises(
        ConfigError, match=r"commissions\.departments\.FIT-IS: e\.zhumabayev@atu\.edu\.kz екі рет жазылған"
    ):
        load_config(path, environ={})


def test_the_same_expert_in_two_commissions_is_fine():
    config = load_config(EXAMPLE, environ={})
    emails = [m.email for members in config.commissions.faculties.values() for m in members]
    emails += [m.email for m in config.commissions.contest]
    assert config  # loaded: e-mails only have to be unique within one commission


def application(app_id: str, department: str, faculty: str, authors: str) -> Application:
    from pipelines.domain.authors import parse_authors

    response = Response(
        row_key=app_id, row_number=1, submitted_at=None, respondent_email="t@atu.edu.kz", faculty="", department="",
        title=f"Ресурс {app_id}", authors=parse_authors(authors), authors_raw=authors, languages=["kk"],
        der_type="", justification="", link="", act_files=[], certificate_files=[], raw={},
    )  # fmt: skip
    return Application(app_id, response, Status.ACCEPTED, [], faculty_id=faculty, department_id=department)


def test_a_commission_that_cannot_reach_min_experts_once_authors_stand_aside_is_reported(tmp_path):
    config = load_config(variant(tmp_path, ("min_experts: 2 ", "min_experts: 3 ")), environ={})
    dep = next(d for f in config.faculties for d in f.departments if d.id == "FIT-IS")
    fac = next(f for f in config.faculties if any(d.id == "FIT-IS" for d in f.departments))
    # two of the three FIT-IS members wrote the DER: one rater is left at stage 1
    app = application("DER-1", "FIT-IS", fac.id, "Жұмабаев Ерлан Серікұлы; Садықова А.М., доцент")
    problems = quorum_shortfalls(config, [app])
    stage1 = [p for p in problems if p.notice.values["where"] == "commissions.departments.FIT-IS"]
    said = i18n.word(stage1[0].notice, "kk") if stage1 else ""
    assert stage1 and "DER-1" in said and dep.name("kk") in said
    assert "Садықова" in said and "(автор)" in said  # the config's language
    fine = application("DER-2", "FIT-IS", fac.id, "Басқа Автор Бекұлы")
    assert not [
        p for p in quorum_shortfalls(config, [fine]) if p.notice.values["where"] == "commissions.departments.FIT-IS"
    ]


def test_a_commission_smaller_than_min_experts_is_a_problem(tmp_path):
    config = load_config(variant(tmp_path, ("min_experts: 2 ", "min_experts: 4 ")), environ={})
    notices = [p.notice for p in check_config(config)]
    assert any(n.values.get("where") == "commissions.departments.FIT-IS" and n.values["count"] == 3 for n in notices)


KK_NAME = '  name_kk: "«АТУ үздік цифрлық білім беру ресурсы – 2027» байқауы"\n'
RU_NAME = '  name_ru: "Конкурс «Лучший цифровой образовательный ресурс АТУ – 2027»"\n'


def test_the_edition_name_in_each_language(tmp_path):
    config = load_config(
        variant(tmp_path, (KK_NAME, ""), (RU_NAME, '  name_ru: "Лучший ЦОР АТУ – 2027"\n')), environ={}
    )
    assert config.edition_name("ru") == "Лучший ЦОР АТУ – 2027"
    assert config.edition_name("kk") == config.edition.name  # no name_kk: the name


@pytest.mark.parametrize(
    ("kk", "ru"),
    [
        ("«АТУ үздік СББР – 2027» байқауы", "Конкурс «Лучший ЦОР АТУ – 2027»"),  # as the official name is written
        ("АТУ үздік СББР – 2027 байқауы", "конкурс «Лучший ЦОР АТУ – 2027»"),
        ("«АТУ үздік СББР – 2027»", "«Лучший ЦОР АТУ – 2027»"),
        ("АТУ үздік СББР – 2027", "Лучший ЦОР АТУ – 2027"),  # bare
    ],
)
def test_an_edition_name_written_as_the_official_name_is_taken_bare(tmp_path, kk, ru):
    config = load_config(
        variant(tmp_path, (KK_NAME, f'  name_kk: "{kk}"\n'), (RU_NAME, f"  name_ru: '{ru}'\n")), environ={}
    )
    assert config.edition_name("kk") == "АТУ үздік СББР – 2027"
    assert config.edition_name("ru") == "Лучший ЦОР АТУ – 2027"
