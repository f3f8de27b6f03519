"""The edition's lifecycle: what the calendar makes due, and the moves a stage may make (9.1, 9.4).

Pure: `due(stages, dates, now)` lists what to do next; `refuse_open`, `refuse_close` and
`refuse_reopen` say why a move asked by hand is not allowed (None when it is). The tick and the
commands both go through them, so the calendar's rules live here only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum

from pipelines.domain.models import Notice
from pipelines.domain.rules import Dates
from pipelines.domain.state import INTAKE, StageRecord, StageState


class Step(str, Enum):
    INTAKE = "intake"  # read the form: every tick from the opening (idempotent; late arrivals recorded)
    CLOSE_INTAKE = "close intake"
    OPEN = "open"
    CLOSE = "close"
    REOPEN = "reopen"  # a waiting stage whose deadline CDB moved
    LATE = "late"  # a stage opened after its deadline: wait for CDB to move it, never freeze it empty


@dataclass(frozen=True)
class Action:
    step: Step
    stage: int = 0


def _record(stages: Mapping[int, StageRecord], number: int) -> StageRecord:
    return stages.get(number) or StageRecord(number)


def experts_had_time(record: StageRecord, deadline: datetime) -> bool:
    """A stage opened at or after its deadline (the server was down) is not closed before anyone
    could score: its sheets would be frozen empty (9.4)."""
    return record.opened_at is None or record.opened_at < deadline


def deadline_moved(record: StageRecord, deadline: datetime) -> bool:
    """The stage waits since a close against an earlier deadline than the calendar's now (CDB moved
    it). A stage closed by hand before an unchanged deadline has not moved."""
    return record.deadline is None or record.deadline < deadline


def due(stages: Mapping[int, StageRecord], dates: Dates, now: datetime, *, intake_covered: bool = True) -> list[Action]:
    """What the calendar makes due at `now`, in order (9.1, 9.4, 9.8).

    The list assumes each move succeeds and ends at the first close, whose outcome (closed or
    waiting) decides what may follow: call again after acting on it. `intake_covered`: the
    responses read cover intake's deadline (9.8); until they do, intake does not close and no
    stage opens, whatever the clock says."""
    if now < dates.intake_open:
        return []
    actions = [Action(Step.INTAKE)]
    previous = _record(stages, INTAKE)
    if now >= dates.intake_close and previous.state is not StageState.CLOSED:
        if not intake_covered:
            return actions
        actions.append(Action(Step.CLOSE_INTAKE))
        previous = replace(previous, state=StageState.CLOSED)
    for number in (1, 2, 3):
        if previous.state is not StageState.CLOSED:
            break
        record, deadline = _record(stages, number), dates.stage_close(number)
        if record.state is StageState.PENDING:
            actions.append(Action(Step.OPEN, number))
            record = replace(record, state=StageState.OPEN, opened_at=now)
        if record.state is StageState.WAITING and now < deadline and deadline_moved(record, deadline):
            actions.append(Action(Step.REOPEN, number))
            record = replace(record, state=StageState.OPEN)
        if record.state in (StageState.OPEN, StageState.WAITING) and now >= deadline:
            actions.append(Action(Step.CLOSE if experts_had_time(record, deadline) else Step.LATE, number))
            break
        previous = record
    return actions


def refuse_open(stages: Mapping[int, StageRecord], stage: int, dates: Dates, now: datetime) -> Notice | None:
    """A stage opens only after the one before it closed; stage 1 only once intake has closed (9.4, 9.8)."""
    record = _record(stages, stage)
    if record.state in (StageState.WAITING, StageState.CLOSED):
        return Notice("stage_already", stage=stage, state=record.state.value)
    if stage == 1:
        intake = _record(stages, INTAKE)
        if intake.state is StageState.WAITING:  # 9.8: the responses read do not cover the deadline yet
            return Notice("stage_open_intake_waiting", stage=stage, waiting=intake.note)
        if intake.state is not StageState.CLOSED and now < dates.intake_close:
            return Notice(
                "stage_open_during_intake",
                stage=stage,
                deadline=f"{dates.intake_close:%d.%m.%Y %H:%M}",
            )
        return None
    before = _record(stages, stage - 1)
    if before.state is not StageState.CLOSED:
        return Notice(
            "stage_needs_previous",
            stage=stage,
            previous=stage - 1,
            state=before.state.value,
        )
    return None


def refuse_close(
    stages: Mapping[int, StageRecord], stage: int, dates: Dates, now: datetime, force: bool = False
) -> Notice | None:
    """Only an open or waiting stage closes, and not before its deadline unless CDB forces it (9.4)."""
    record = _record(stages, stage)
    if record.state not in (StageState.OPEN, StageState.WAITING):
        return Notice(
            "stage_not_open",
            stage=stage,
            state=record.state.value,
        )
    deadline = dates.stage_close(stage)
    if now < deadline and not force:
        return Notice(
            "stage_close_early",
            stage=stage,
            deadline=f"{deadline:%d.%m.%Y %H:%M}",
        )
    return None


def refuse_reopen(stages: Mapping[int, StageRecord], stage: int, dates: Dates, now: datetime) -> Notice | None:
    """A waiting stage reopens only when CDB moved its deadline past `now` (9.4)."""
    record, deadline = _record(stages, stage), dates.stage_close(stage)
    if record.state is not StageState.WAITING:
        return Notice(
            "stage_not_waiting",
            stage=stage,
            state=record.state.value,
        )
    if now >= deadline:
        return Notice("stage_reopen_late", stage=stage)
    if not deadline_moved(record, deadline):
        return Notice(
            "stage_reopen_unmoved",
            stage=stage,
            deadline=f"{deadline:%d.%m.%Y %H:%M}",
        )
    return None
