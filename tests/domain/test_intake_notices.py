"""Every reason intake can put on an application, met through the rules themselves, is a Notice
whose Kazakh and Russian words hold no English (tests/test_i18n_notices.py says how that is told)."""

from __future__ import annotations

from datetime import datetime

from test_i18n_notices import assert_said_without_english

from pipelines.domain import intake
from pipelines.domain.models import Decision

MOMENT = datetime(2027, 1, 25, 12, 0)


def test_each_intake_reason_is_said_in_kazakh_and_russian_without_english(config, make_response):
    rules = config.intake_rules()
    window = dict(intake_open=rules.intake_open, intake_close=rules.intake_close)
    faculties = rules.faculties
    found = [
        *intake.late_submission(submitted_at=datetime(2027, 2, 11, 9, 0, tzinfo=rules.zone), **window),
        *intake.late_submission(submitted_at=datetime(2027, 1, 2, 9, 0, tzinfo=rules.zone), **window),
        *intake.unreadable_time(response=make_response(submitted_at=None, submitted_text="вчера")),
        *intake.missing_fields(response=make_response(title="")),
        *intake.missing_attachments(response=make_response(act_files=[], certificate_files=[])),
        *intake.invalid_link(link="skills.atu.kz курс 55"),
        *intake.invalid_languages(languages=["Немецкий"]),
        *intake.invalid_languages(languages=[" "]),
        *intake.match_unit(faculty_text="Факультет магии", department_text="", faculties=faculties).reasons,
        *intake.match_unit(
            faculty_text="Факультет информационных технологий",
            department_text="Кафедра пищевой безопасности",
            faculties=faculties,
        ).reasons,
        *intake.match_unit(faculty_text="ФИТ", department_text="Кафедра зельеварения", faculties=faculties).reasons,
        *intake.match_unit(faculty_text="", department_text="Кафедра физики", faculties=faculties).reasons,
        *intake.match_unit(faculty_text="", department_text="Кафедра зельеварения", faculties=faculties).reasons,
        *intake.previous_winner(
            response=make_response(link="https://skills.atu.kz/course/7"), winners=rules.previous_winners
        ),
        *intake.previous_winner(
            response=make_response(
                title="Основы программирования на Python.",
                link="https://skills.atu.kz/course/70",
                authors_raw="Сериков Арман Болатович",
            ),
            winners=rules.previous_winners,
        ),
    ]
    first = make_response(row_key="a", row_number=1)
    again = make_response(row_key="b", row_number=2, submitted_at=datetime(2027, 1, 28, 14, 30, tzinfo=rules.zone))
    decided = intake.decide([first, again], rules)
    found += decided[0].reasons
    disqualified = intake.disqualify(
        decided, [Decision("disqualify", None, None, [decided[1].id], "Комиссия", MOMENT, "акт жалған")]
    )
    found += disqualified[1].reasons
    kinds = {r.notice.key for r in found}
    assert kinds >= {
        "reason_late",
        "reason_early",
        "reason_timestamp",
        "reason_missing_field",
        "reason_no_act",
        "reason_no_certificate",
        "reason_invalid_link",
        "reason_language",
        "reason_faculty_unknown",
        "reason_department_elsewhere",
        "reason_department_not_of",
        "reason_department_ambiguous",
        "reason_department_unknown",
        "reason_winner_link",
        "reason_superseded",
        "reason_disqualified",
    }, kinds
    for reason in found:
        assert_said_without_english(reason.notice)
