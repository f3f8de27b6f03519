"""What CDB must settle is held, not rejected (issue 19 item 2): a unit no spelling matches, a link
off the allowed platforms. Only the regulation's own grounds reject."""

from __future__ import annotations

from datetime import timedelta

from pipelines.domain.intake import (
    arrived_after_stage_opened,
    decide,
    evaluate_again,
    off_platform,
    on_platform,
    status_of,
)
from pipelines.domain.models import Status
from pipelines.domain.text import host_of, with_scheme

HOSTS = ("atu.kz", "atu.edu.kz")


def test_a_link_without_its_scheme_is_read_as_https():
    assert with_scheme("moodle.atu.kz/course/view.php?id=7") == "https://moodle.atu.kz/course/view.php?id=7"
    assert with_scheme("skills.atu.kz курс 55") == "skills.atu.kz курс 55"  # no link: left for invalid_link
    assert with_scheme("ftp://nowhere") == "ftp://nowhere"
    assert host_of("https://www.Coursera.org/learn/x") == "coursera.org"


def test_the_allowed_platforms_are_a_host_and_its_sub_domains():
    assert on_platform("skills.atu.kz", HOSTS) and on_platform("atu.edu.kz", HOSTS)
    assert not on_platform("notatu.kz", HOSTS) and not on_platform("atu.kz.evil.com", HOSTS)
    assert off_platform(link="https://skills.atu.kz/course/view.php?id=1", hosts=HOSTS) == []
    [reason] = off_platform(link="https://stepik.org/course/58852", hosts=HOSTS)
    assert (reason.rule, reason.clause, reason.notice.values["host"]) == ("platform", "form 01.8", "stepik.org")
    assert off_platform(link="https://stepik.org/course/58852", hosts=()) == []  # no list: no check


def test_only_the_regulations_grounds_reject(config, make_response):
    rules = config.intake_rules()
    unknown = make_response(row_key="u", department="Кафедра ИБ", link="https://skills.atu.kz/course/view.php?id=1")
    mooc = make_response(row_key="m", title="Другой ЦОР", link="https://www.coursera.org/learn/python")
    bare = make_response(row_key="b", title="Третий ЦОР", link="skills.atu.kz/course/view.php?id=9")
    both = make_response(
        row_key="x", title="Четвёртый", department="Кафедра ИБ", certificate_files=[], link="https://atu.kz/der/4"
    )
    apps = {a.response.row_key: a for a in decide([unknown, mooc, bare, both], rules)}
    assert apps["u"].status is Status.HELD and [r.rule for r in apps["u"].reasons] == ["department"]
    assert "FIT-IS" in apps["u"].reasons[0].notice.values["closest"]  # what CDB is shown
    assert apps["m"].status is Status.HELD and [r.rule for r in apps["m"].reasons] == ["platform"]
    assert apps["b"].status is Status.ACCEPTED and apps["b"].response.link.startswith("https://skills.atu.kz/")
    assert apps["x"].status is Status.REJECTED  # a missing certificate is the regulation's ground
    assert {r.rule for r in apps["x"].reasons} == {"missing_attachment", "department"}


def test_a_held_application_settled_by_cdb_is_decided_again(make_config, make_response):
    config = make_config()
    [held] = decide([make_response(row_key="u", department="Кафедра ИБ")], config.intake_rules())
    assert held.status is Status.HELD
    faculties = [dict(f) for f in config.model_dump()["faculties"]]
    faculties[0]["departments"][0]["spellings"] = ["ИС", "Кафедра ИБ"]
    settled = evaluate_again(held, make_config(faculties=faculties).intake_rules())
    assert (settled.status, settled.department_id, settled.id, settled.reasons) == (
        Status.ACCEPTED,
        "FIT-IS",
        held.id,
        [],
    )


def test_status_of_and_the_reason_for_one_that_came_in_after_stage_1_opened(config):
    opened = config.calendar.intake_close + timedelta(minutes=5)
    reason = arrived_after_stage_opened(
        submitted_at=config.calendar.intake_close - timedelta(hours=1), opened_at=opened, zone=config.zone
    )
    assert status_of([reason]) is Status.HELD and status_of([]) is Status.ACCEPTED
    assert reason.notice.values == {"at": "10.02.2027 17:00:00", "opened": "10.02.2027 18:05:00"}


def test_a_held_application_with_its_unit_known_is_reinstated_by_decision_one_without_is_not(
    make_config, make_response
):
    """CDB looked at the MOOC link and accepts it by a recorded `reinstate`; an application whose
    department nobody has mapped stays held (it has no commission to go to until the config says)."""
    from pipelines.domain.models import Application

    mooc = make_response(row_key="m", title="Другой ЦОР", link="https://www.coursera.org/learn/python")
    unknown = make_response(row_key="u", department="Кафедра ИБ", link="https://skills.atu.kz/course/view.php?id=1")
    first = {a.response.row_key: a for a in decide([mooc, unknown], make_config().intake_rules())}
    assert first["m"].status is Status.HELD and first["u"].status is Status.HELD
    common = {"kind": "reinstate", "by": "CDB", "at": "2027-01-22T09:30:00", "reason": "the course is ATU's"}
    decisions = [{**common, "applications": [first["m"].id]}, {**common, "applications": [first["u"].id]}]
    apps: dict[str, Application] = {
        a.response.row_key: a for a in decide([mooc, unknown], make_config(decisions=decisions).intake_rules())
    }
    assert apps["m"].status is Status.ACCEPTED and [r.rule for r in apps["m"].reasons] == ["reinstated"]
    assert apps["u"].status is Status.HELD  # no unit: nothing to reinstate it into
