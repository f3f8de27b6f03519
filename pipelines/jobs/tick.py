"""The scheduled job: from the calendar and `now`, run whatever is due and nothing twice.

Intake runs on every tick from the opening (see below); at intake close stage 1 opens; at each
stage's deadline the stage closes and the next opens; after stage 3 the final documents are written
by the close. A stage that waits for a decision (a tie, missing ratings) is tried again each tick;
when CDB moves the deadline of a waiting stage past `now`, the tick reopens it (sheets writable
again) and it closes at the new deadline.
"""
from __future__ import annotations

import fcntl
from datetime import datetime
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from pipelines.i18n import text
from pipelines.jobs.common import Run
from pipelines.jobs.intake import run_intake
from pipelines.jobs.stages import (CLOSED, OPEN, WAITING, close_stage, open_stage, reopen_stage, set_stage,
                                   stage_rows, stage_state)
from pipelines.ports import BackendError

INTAKE = 0  # the intake's row in the stages table


class TickBusy(Exception):
    """Another tick holds the lock."""


@contextmanager
def tick_lock(path: Path, lang: str = "kk") -> Iterator[None]:
    """One tick at a time: a second one started by cron while the first runs exits at once."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")
    except OSError as exc:
        raise BackendError(text("lock_unwritable", lang, path=path, error=exc.strerror)) from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TickBusy(f"another tick is running (lock {path}); this one did nothing") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


def tick(run: Run) -> list[str]:
    """Do what is due at run.now; returns the actions taken (empty when nothing was due).

    A tick leaves one journal row, whatever it ran (cron starts one every few minutes): the jobs'
    own entries go into its detail."""
    actions: list[str] = []
    run.held_journal, held = [], run.held_journal
    try:
        _due(run, actions)
    except Exception as exc:
        jobs, run.held_journal = run.held_journal, held
        try:
            run.journal("tick", "failed", {"actions": actions, "jobs": jobs, "error": str(exc)})
        except Exception:  # the store itself may be what failed; the original error is what matters
            pass
        raise
    jobs, run.held_journal = run.held_journal, held
    run.journal("tick", ", ".join(actions) or "nothing due", {"jobs": jobs})
    return actions


def _due(run: Run, actions: list[str]) -> None:
    cal, now = run.config.calendar, run.now
    if now >= cal.intake_open:
        # Intake runs on every tick: while open it takes new responses; after the close it still
        # records late arrivals (rejected, 9.8) and recorded disqualifications (9.10). It is
        # idempotent, so a tick with nothing new writes nothing.
        report = run_intake(run)
        if report.registry_changed or any(d.changed for d in report.letters):
            actions.append("intake")
        if now >= cal.intake_close and stage_state(run, INTAKE) != CLOSED:
            set_stage(run, INTAKE, state=CLOSED, opened_at=cal.intake_open.isoformat(),
                      closed_at=now.isoformat(timespec="seconds"), note="final intake")
            actions.append("intake closed")
    for stage in (1, 2, 3):
        if stage_state(run, stage - 1 if stage > 1 else INTAKE) != CLOSED:
            break
        if stage_state(run, stage) == "":
            open_stage(run, stage)
            actions.append(f"stage {stage} opened")
        if stage_state(run, stage) == WAITING and now < cal.stage_close(stage) and _deadline_moved(run, stage):
            # CDB moved the deadline of a stage that waits (missing ratings): its experts get their
            # sheets back until the new deadline, when the stage closes again as usual
            reopen_stage(run, stage)
            actions.append(f"stage {stage} reopened")
        if stage_state(run, stage) in (OPEN, WAITING) and now >= cal.stage_close(stage):
            if not _experts_had_time(run, stage):
                run.say(text("stage_opened_late", run.lang, stage=stage,
                             deadline=f"{cal.stage_close(stage):%d.%m.%Y %H:%M}"))
                break
            report = close_stage(run, stage)
            actions.append(f"stage {stage} {'closed' if report.closed else 'waiting'}")
        if stage_state(run, stage) != CLOSED:
            break


def _experts_had_time(run: Run, stage: int) -> bool:
    """A stage opened late (the server was down past a deadline) is not closed before anyone could
    score: its sheets would be frozen empty. CDB moves the deadline in the config instead."""
    opened = str(stage_rows(run).get(stage, {}).get("opened_at") or "")
    return not opened or datetime.fromisoformat(opened) < run.config.calendar.stage_close(stage)


def _deadline_moved(run: Run, stage: int) -> bool:
    """The stage waits since a close at an earlier deadline than the calendar's now. A stage CDB
    closed by hand before its deadline (and that waits on a tie) is not reopened by the next tick."""
    recorded = str(stage_rows(run).get(stage, {}).get("deadline") or "")
    return not recorded or datetime.fromisoformat(recorded) < run.config.calendar.stage_close(stage)
