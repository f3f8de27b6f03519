"""The edition's state value: candidates, counting applications, one stage replaced at a time."""

from __future__ import annotations

import json

from _scoring_fixtures import make_app

from pipelines.domain.models import Assignment, Expert, StageOutcome, Standing, Status
from pipelines.domain.state import EditionState, Journal, JournalEntry, ProgressRow, StageState


def outcome(stage: int, group: str, selected: list[str]) -> StageOutcome:
    return StageOutcome(stage, group, [Standing(i, 50.0, 2, {}) for i in selected], selected, [], [], [])


def test_stage_1_takes_the_accepted_and_later_stages_the_selected():
    apps = [make_app("A"), make_app("B"), make_app("C", status=Status.REJECTED), make_app("D")]
    state = EditionState(applications=apps, outcomes={(1, "IS"): outcome(1, "IS", ["D", "A"])})
    assert [a.id for a in state.candidates(1)] == ["A", "B", "D"]
    assert [a.id for a in state.candidates(2)] == ["D", "A"]
    assert state.candidates(3) == []


def test_a_disqualified_der_is_no_candidate_even_when_it_was_selected():
    apps = [make_app("A", status=Status.DISQUALIFIED), make_app("B")]
    state = EditionState(applications=apps, outcomes={(1, "IS"): outcome(1, "IS", ["A", "B"])})
    assert [a.id for a in state.candidates(2)] == ["B"]


def test_a_pending_stage_is_not_stored_until_it_changes():
    state = EditionState()
    assert state.stage(2).state is StageState.PENDING
    assert state.stages == {}


def test_replacing_one_stage_keeps_the_others():
    expert = Expert("E", "e@atu.kz")
    state = EditionState(
        assignments=[Assignment(1, "IS", expert, ["A"]), Assignment(2, "FIT", expert, ["A"])],
        outcomes={(1, "IS"): outcome(1, "IS", ["A"]), (2, "FIT"): outcome(2, "FIT", ["A"])},
    )
    state.replace_stage(2, assignments=[Assignment(2, "FIT", expert, ["B"])], outcomes={})
    assert [(a.stage, a.application_ids) for a in state.assignments] == [(1, ["A"]), (2, ["B"])]
    assert list(state.outcomes) == [(1, "IS")]


def test_the_journal_finds_a_messages_outcomes_and_what_a_tick_folded_into_its_row():
    def entry(action: str, outcome: str, detail: str) -> JournalEntry:
        return JournalEntry("2027-02-20T10:00:00+05:00", "2027-02-20T10:00:00+05:00", action, outcome, detail)

    journal = Journal([entry("remind", "intended", "r1"), entry("notify", "sent", "r1")])
    folded = {"jobs": [{"action": "remind", "outcome": "sent", "detail": "r0"}, {"action": "intake", "outcome": "ok"}]}
    journal.append(entry("tick", "nothing due", json.dumps(folded)))
    journal.append(entry("remind", "sent", "r1"))
    journal.append(entry("tick", "failed", "not JSON"))
    assert journal.outcomes("remind", "r1") == ["intended", "sent"]  # in order, this action's only
    assert journal.outcomes("remind", "r2") == []
    assert journal.details("remind", ("sent",)) == {"r0", "r1"}  # the tick's folded job counts
    assert journal.details("notify", ("intended",)) == set()
    assert len(journal) == 5 and journal[-1].outcome == "failed" and [e.action for e in journal][0] == "remind"


def test_counting_is_made_once_per_list_of_applications_and_again_when_it_changes():
    first = [make_app("A"), make_app("B")]
    state = EditionState(applications=first)
    counted = state.counting()
    assert list(counted) == ["A", "B"]
    assert state.counting() is counted  # asked per sheet and per document: not made again
    state.applications.append(make_app("C"))  # a longer list
    assert list(state.counting()) == ["A", "B", "C"]
    superseded = make_app("A", status=Status.SUPERSEDED)
    state.applications = [superseded, make_app("B")]  # a new list (what set_registry does)
    assert list(state.counting()) == ["B"]


def test_a_progress_row_typed_over_is_not_trusted_and_its_percent_follows_its_counts():
    row = ProgressRow(1, "IS", "e@atu.edu.kz", "E", assigned=4, scored=3)
    assert row.key == (1, "IS", "e@atu.edu.kz") and row.percent == 75 and row.counts_trusted
    assert ProgressRow(1, "IS", "e", "E", assigned=0, scored=0).percent == 100  # nothing to score
    for typed_over in (
        ProgressRow(1, "IS", "e", "E", assigned=4, scored=None),  # "all" typed over the count
        ProgressRow(1, "IS", "e", "E", assigned=4, scored=5),  # more scored than assigned
        ProgressRow(1, "IS", "e", "E", assigned=4, scored=3, problems=None),
    ):
        assert not typed_over.counts_trusted


def test_a_journals_rows_hold_a_jobs_own_rows_and_those_folded_into_a_tick():
    tick = JournalEntry("t", "n1", "tick", "ok", '{"jobs": [{"action": "notify", "outcome": "sent", "detail": "k1"}]}')
    journal = Journal([tick])
    journal.append(JournalEntry("t", "n2", "notify", "sent", "k2"))
    assert journal.rows("notify") == [("sent", "k1", "n1"), ("sent", "k2", "n2")]
    assert journal.details("notify", ("sent",)) == {"k1", "k2"} and journal.rows("remind") == []
