"""After intake closed, intake has something to do only when the source or the config holds what the
registry has not recorded (issue 23 item 7: an idle tick does not decide every application again).
Each case below is one a tick must still act on; the last is one it may skip."""

from __future__ import annotations

from datetime import datetime

from pipelines.domain.intake import apply_decisions, decide, evaluate_again, intake_can_change, late_key
from pipelines.domain.models import Decision, Status

AT = datetime(2027, 2, 20, 9, 30)


def _registry(config, make_response):
    answers = {"row-1": {"3": "Базы данных"}, "row-2": {"3": "Сети"}, "row-3": {"3": "ИБ"}}
    responses = [
        make_response(row_key="row-1", raw=answers["row-1"]),
        make_response(row_key="row-2", title="Сети", raw=answers["row-2"], link="https://atu.kz/der/2"),
        make_response(row_key="row-3", title="ИБ", raw=answers["row-3"], certificate_files=[], link="https://atu.kz/3"),
    ]
    return decide(responses, config.intake_rules()), answers


def _can(registry, answers, decisions=(), again=None, closed=True) -> bool:
    return intake_can_change(
        closed=closed,
        registry=registry,
        answers=list(answers.items()),
        decisions=list(decisions),
        again=again or (lambda app: app),
    )


def test_after_the_close_a_registry_with_nothing_new_gives_intake_nothing_to_do(config, make_response):
    registry, answers = _registry(config, make_response)
    assert {a.status for a in registry} == {Status.ACCEPTED, Status.REJECTED}
    assert not _can(registry, answers)
    assert not _can(registry, {k: v for k, v in answers.items() if k != "row-2"})  # a row gone: kept as it is
    assert _can(registry, answers, closed=False)  # before the close it always runs


def test_a_new_row_or_an_edited_one_after_the_close_is_intakes_to_record(config, make_response):
    registry, answers = _registry(config, make_response)
    assert _can(registry, {**answers, "row-4": {"3": "Новый"}})
    edited = {**answers, "row-1": {"3": "Базы данных (2)"}}
    assert _can(registry, edited)
    # recorded beside the application it edits (jobs/intake.py _after_deadline): nothing more to do
    record = decide(
        [make_response(row_key=late_key("row-1", edited["row-1"]), raw=edited["row-1"])], config.intake_rules()
    )
    assert not _can(registry + record, edited)


def test_a_decision_not_yet_applied_is_intakes_to_apply(config, make_response):
    registry, answers = _registry(config, make_response)
    rejected = next(a for a in registry if a.status is Status.REJECTED)
    reinstate = Decision("reinstate", None, None, [rejected.id], "CDB", AT, "a stale export")
    assert _can(registry, answers, [reinstate])
    accepted = next(a for a in registry if a.status is Status.ACCEPTED)
    disqualify = Decision("disqualify", None, None, [accepted.id], "commission", AT, "9.10")
    assert _can(registry, answers, [disqualify])
    applied = [
        Decision("disqualify", None, None, [accepted.id], "commission", AT, "9.10"),
    ]
    assert not _can(apply_decisions(registry, applied), answers, applied)  # applied already: nothing to do


def test_a_held_application_is_decided_again_only_when_the_config_settles_it(make_config, make_response):
    config = make_config()
    [held] = decide([make_response(row_key="u", department="Кафедра ИБ", raw={"3": "x"})], config.intake_rules())
    assert held.status is Status.HELD
    answers = {"u": {"3": "x"}}
    assert not _can([held], answers, again=lambda app: evaluate_again(app, config.intake_rules()))
    faculties = [dict(f) for f in config.model_dump()["faculties"]]
    faculties[0]["departments"][0]["spellings"] = ["ИС", "Кафедра ИБ"]
    settled = make_config(faculties=faculties).intake_rules()
    assert _can([held], answers, again=lambda app: evaluate_again(app, settled))
