"""The scheduled job: from the calendar and `now`, run whatever is due and nothing twice
(what is due is decided by domain/lifecycle.py `due`).

Intake runs on every tick from the opening (see below); at intake close stage 1 opens; at each
stage's deadline the stage closes and the next opens; after stage 3 the final documents are written
by the close. Within `remind.days_before` days of an open stage's deadline the tick also sends
what `contest remind` would (once a day per expert), so the one cron line does everything. A stage that waits for a decision (a tie, missing ratings) is tried again each tick;
when CDB moves the deadline of a waiting stage past `now`, the tick reopens it (sheets writable
again) and it closes at the new deadline.
"""

from __future__ import annotations

import fcntl
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines import i18n
from pipelines.domain import lifecycle
from pipelines.domain.lifecycle import Step
from pipelines.i18n import text
from pipelines.jobs.common import Run
from pipelines.jobs.intake import run_intake
from pipelines.jobs.remind import remind, reminders_due
from pipelines.jobs.sheets import changed_after_freeze
from pipelines.jobs.stages import apply_late_disqualifications, close_intake, close_stage, open_stage, reopen_stage
from pipelines.jobs.status import refresh_progress
from pipelines.ports import BackendError


class TickBusy(Exception):
    """Another tick holds the lock (or, `where` given, the control store's lease)."""

    def __init__(self, message: str, where: str | None = None):
        super().__init__(message)
        self.where = where


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


LEASE_SECONDS = 3600  # longer than any tick; a crashed tick's lease lapses after it


@contextmanager
def edition_lease(run: Run) -> Iterator[None]:
    """One tick at a time across machines: the file lock covers one machine, the control store's
    lease (Google: a tab of the control spreadsheet) covers cron on two machines. Busy: TickBusy."""
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    held = run.workspace.control.hold_lease(holder, run.now, LEASE_SECONDS)
    if held is not None:
        where = f"the control store's lease, held by {held}"
        raise TickBusy(f"another tick is running ({where}); this one did nothing", where)
    try:
        yield
    finally:
        try:
            run.workspace.control.release_lease(holder)
        except BackendError:  # it lapses by itself; the tick's own outcome is what matters
            pass


def tick(run: Run) -> list[str]:
    """Do what is due at run.now; returns the actions taken (empty when nothing was due).

    A tick leaves one journal row, whatever it ran (cron starts one every few minutes): the jobs'
    own entries go into its detail."""
    with edition_lease(run):
        return _tick(run)


def _tick(run: Run) -> list[str]:
    # each open sheet read once by this tick (reminders, progress); the ledger's outcomes written
    # with the next journal write, at the latest the tick's own row (common.JournalWriter.batch)
    with run.reads.shared(), run.journal.batch():
        actions = _tick_jobs(run)
    run.settle()
    return actions


def _tick_jobs(run: Run) -> list[str]:
    actions: list[str] = []
    failed: Exception | None = None
    with run.journal.folded() as jobs:  # the jobs' own entries go into the tick's one row
        try:
            _run_due(run, actions)
            _send_reminders(run, actions)
        except Exception as exc:
            failed = exc
        else:
            _notify(run, actions)
    if failed is not None:
        try:
            run.journal("tick", "failed", {"actions": actions, "jobs": jobs, "error": str(failed)})
        except Exception:  # the store itself may be what failed; the original error is what matters
            pass
        raise failed
    if run.state.assignments:  # the progress tab, refreshed by every tick (jobs/status.py)
        refresh_progress(run)
        run.commit()
    detail: dict = {"jobs": jobs}
    edited = changed_after_freeze(run)  # a frozen sheet edited since: said on every tick until dealt with
    if edited:
        detail["changed_after_freeze"] = [
            {"sheet": e.sheet, "expert": e.expert, "stage": e.stage, "group": e.group, "revision": e.revision}
            | {"changes": e.changes or e.notice.key}
            for e in edited
        ]
    run.journal("tick", ", ".join(actions) or "nothing due", detail)
    return actions


def _notify(run: Run, actions: list[str]) -> None:
    """The applicants hear what was decided, each message once (jobs/notify.py); every tick, so that
    one a crash or a failed send left behind goes out with the next tick. A tick that sent (or wrote
    to the outbox) any says so: never "nothing due"."""
    if not run.state.applications:
        return
    from pipelines.jobs.notify import notify

    try:
        report = notify(run)
    except BackendError as exc:  # the edition moved on; the next tick or `contest notify` sends them
        run.say(i18n.text("note_not_notified", run.lang, error=i18n.error_text(exc, run.lang)))
        run.journal("notify", "failed", str(exc))
        return
    if report.sent:
        verb = "sent" if getattr(run.workspace.mailer, "delivers", True) else "written"
        actions.append(f"notifications {verb}: {len(report.sent)}")


def _send_reminders(run: Run, actions: list[str]) -> None:
    """What `contest remind` would send, from the schedule: within `remind.days_before` days of an
    open stage's deadline, each expert with an incomplete sheet once a day (the journal remembers)."""
    if not reminders_due(run):
        return
    sent = [p for p in remind(run, scheduled=True).pending if p.notified]
    if sent:
        verb = "sent" if getattr(run.workspace.mailer, "delivers", True) else "written"  # outbox: CDB sends
        actions.append(f"reminders {verb}: {len(sent)}")


def _run_due(run: Run, actions: list[str]) -> None:
    """Act on lifecycle.due until nothing new is due: each move changes the state the next is read from."""
    dates, done = run.config.dates(), set()
    while True:
        plan = [a for a in lifecycle.due(run.state.stages, dates, run.now) if a not in done]
        if not plan:
            break
        action = plan[0]
        done.add(action)
        if action.step is Step.INTAKE:
            intake = run_intake(run)
            if intake.registry_changed or any(d.changed for d in intake.letters):
                actions.append("intake")
            if apply_late_disqualifications(run):
                actions.append("disqualification")
        elif action.step is Step.CLOSE_INTAKE:
            close_intake(run)
            run.commit()
            actions.append("intake closed")
        elif action.step is Step.OPEN:
            open_stage(run, action.stage)
            actions.append(f"stage {action.stage} opened")
        elif action.step is Step.REOPEN:
            reopen_stage(run, action.stage)
            actions.append(f"stage {action.stage} reopened")
        elif action.step is Step.CLOSE:
            closed = close_stage(run, action.stage).closed
            actions.append(f"stage {action.stage} {'closed' if closed else 'waiting'}")
        elif action.step is Step.LATE:
            run.say(
                text(
                    "stage_opened_late",
                    run.lang,
                    stage=action.stage,
                    deadline=f"{dates.stage_close(action.stage):%d.%m.%Y %H:%M}",
                )
            )
