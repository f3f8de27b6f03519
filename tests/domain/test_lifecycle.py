"""The calendar's state machine: what is due, and the moves refused by hand (9.1, 9.4, 9.8)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pipelines.domain.lifecycle import Action, Step, due, refuse_close, refuse_open, refuse_reopen
from pipelines.domain.rules import Dates
from pipelines.domain.state import INTAKE, StageRecord, StageState

Z = ZoneInfo("Asia/Almaty")
DATES = Dates(
    datetime(2027, 2, 1, 9, tzinfo=Z),
    datetime(2027, 2, 20, 18, tzinfo=Z),
    (datetime(2027, 3, 5, 18, tzinfo=Z), datetime(2027, 3, 26, 18, tzinfo=Z), datetime(2027, 4, 16, 18, tzinfo=Z)),
)
OPEN, WAITING, CLOSED = StageState.OPEN, StageState.WAITING, StageState.CLOSED


def stages(*states: StageState, opened: datetime | None = None, deadline: datetime | None = None):
    """Records for intake, stage 1, 2 … in that order."""
    out = {}
    for number, state in enumerate(states):
        out[number] = StageRecord(
            number, state, opened_at=opened or DATES.intake_close, deadline=deadline if state is WAITING else None
        )
    return out


def test_nothing_is_due_before_intake_opens():
    assert due({}, DATES, DATES.intake_open - timedelta(minutes=1)) == []


def test_intake_runs_on_every_tick_while_open():
    assert due({}, DATES, DATES.intake_open + timedelta(days=3)) == [Action(Step.INTAKE)]


def test_at_intake_close_intake_closes_and_stage_1_opens():
    now = DATES.intake_close + timedelta(minutes=5)
    assert due({}, DATES, now) == [Action(Step.INTAKE), Action(Step.CLOSE_INTAKE), Action(Step.OPEN, 1)]


def test_at_a_deadline_the_stage_closes_and_the_list_ends_there():
    now = DATES.stage_close(1) + timedelta(minutes=5)
    assert due(stages(CLOSED, OPEN), DATES, now) == [Action(Step.INTAKE), Action(Step.CLOSE, 1)]


def test_after_a_close_the_next_stage_opens():
    now = DATES.stage_close(1) + timedelta(minutes=5)
    assert due(stages(CLOSED, CLOSED), DATES, now)[-1] == Action(Step.OPEN, 2)


def test_a_waiting_stage_is_tried_again_at_every_tick():
    now = DATES.stage_close(1) + timedelta(days=1)
    waiting = stages(CLOSED, WAITING, deadline=DATES.stage_close(1))
    assert due(waiting, DATES, now)[-1] == Action(Step.CLOSE, 1)


def test_a_waiting_stage_reopens_only_when_its_deadline_moved_past_now():
    before = DATES.stage_close(1) - timedelta(days=1)
    moved = stages(CLOSED, WAITING, deadline=DATES.stage_close(1) - timedelta(days=3))
    assert due(moved, DATES, before)[-1] == Action(Step.REOPEN, 1)
    unmoved = stages(CLOSED, WAITING, deadline=DATES.stage_close(1))  # closed by hand, early
    assert Action(Step.REOPEN, 1) not in due(unmoved, DATES, before)


def test_a_stage_opened_after_its_deadline_is_never_frozen_empty():
    late = DATES.stage_close(1) + timedelta(hours=2)
    after_downtime = stages(CLOSED, OPEN, opened=late)
    assert due(after_downtime, DATES, late + timedelta(minutes=5))[-1] == Action(Step.LATE, 1)
    # a tick after a long downtime: intake closes, stage 1 opens late, and waits
    assert due({}, DATES, late)[-2:] == [Action(Step.OPEN, 1), Action(Step.LATE, 1)]


def test_stage_1_does_not_open_by_hand_while_intake_is_open():
    during = DATES.intake_close - timedelta(days=2)
    why = refuse_open({}, 1, DATES, during)
    assert why is not None and why.key == "stage_open_during_intake"
    assert refuse_open({}, 1, DATES, DATES.intake_close) is None  # at the close it may


def test_a_later_stage_opens_only_after_the_one_before_closed():
    why = refuse_open(stages(CLOSED, WAITING), 2, DATES, DATES.stage_close(1) + timedelta(days=1))
    assert why is not None and why.key == "stage_needs_previous" and why.values["state"] == "waiting"
    assert refuse_open(stages(CLOSED, CLOSED), 2, DATES, DATES.stage_close(1)) is None
    assert refuse_open(stages(CLOSED, CLOSED), 1, DATES, DATES.stage_close(1)).key == "stage_already"


def test_closing_before_the_deadline_needs_force():
    early = DATES.stage_close(1) - timedelta(days=3)
    why = refuse_close(stages(CLOSED, OPEN), 1, DATES, early)
    assert why is not None and why.key == "stage_close_early" and "05.03.2027 18:00" in str(why)
    assert refuse_close(stages(CLOSED, OPEN), 1, DATES, early, force=True) is None
    assert refuse_close(stages(CLOSED, OPEN), 1, DATES, DATES.stage_close(1)) is None
    assert refuse_close(stages(CLOSED), 1, DATES, DATES.stage_close(1)).key == "stage_not_open"


def test_reopen_is_refused_unless_the_stage_waits_and_its_deadline_moved():
    before = DATES.stage_close(1) - timedelta(days=1)
    assert refuse_reopen(stages(CLOSED, OPEN), 1, DATES, before).key == "stage_not_waiting"
    unmoved = stages(CLOSED, WAITING, deadline=DATES.stage_close(1))
    assert refuse_reopen(unmoved, 1, DATES, before).key == "stage_reopen_unmoved"
    moved = stages(CLOSED, WAITING, deadline=DATES.stage_close(1) - timedelta(days=3))
    assert refuse_reopen(moved, 1, DATES, DATES.stage_close(1)).key == "stage_reopen_late"
    assert refuse_reopen(moved, 1, DATES, before) is None


def test_intake_record_is_the_zeroth_stage():
    assert INTAKE == 0
