"""The scheduled job: from the calendar and `now`, run whatever is due and nothing twice
(what is due is decided by domain/lifecycle.py `due`).

Intake runs on every tick from the opening until it closes, after only when the form's source holds
something the registry has not recorded (jobs/intake.py intake_due); at intake close stage 1 opens; at each
stage's deadline the stage closes and the next opens; after stage 3 the final documents are written
by the close. Within `remind.days_before` days of an open stage's deadline the tick also sends
what `contest remind` would (once a day per expert), so the one cron line does everything. A stage that waits for a decision (a tie, missing ratings) is tried again each tick;
when CDB moves the deadline of a waiting stage past `now`, the tick reopens it (sheets writable
again) and it closes at the new deadline.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines import holders, i18n
from pipelines.domain import lifecycle
from pipelines.domain.lifecycle import Step
from pipelines.i18n import text
from pipelines.jobs.common import Run
from pipelines.jobs.decisions import apply_decisions
from pipelines.jobs.inbox import file_returned
from pipelines.jobs.intake import intake_due, run_intake
from pipelines.jobs.remind import remind, reminders_due
from pipelines.jobs.sheets import changed_after_freeze
from pipelines.jobs.stages import close_intake, close_stage, open_stage, reopen_stage
from pipelines.jobs.status import refresh_progress
from pipelines.ports import BackendError


class TickBusy(Exception):
    """Another job holds the control store's lease: `holder` (holders.py) until `until` (ISO-8601)."""

    def __init__(self, message: str, holder: str = "", until: str = ""):
        super().__init__(message)
        self.holder, self.until = holder, until


LAST_TICK = ".contest-last-tick.json"  # beside the config (cli)


def note_last_tick(path: Path, now: datetime, actions: list[str]) -> None:
    """When the last tick ran and what it did, in a small status file beside the tick's lock: an idle
    tick's one write, which costs nothing as the edition grows (the control store is left alone)."""
    record = {"now": now.isoformat(timespec="seconds"), "at": datetime.now(UTC).isoformat(timespec="seconds")}
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        tmp.write_text(json.dumps({**record, "actions": actions}, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:  # a note only: the tick's own work is done and recorded where it matters
        tmp.unlink(missing_ok=True)


def last_tick(path: Path) -> dict[str, Any] | None:
    """The status file note_last_tick wrote, or None (no tick yet, or unreadable)."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


# Short: a tick on another machine waits this long after a crash. The store renews it while the tick
# runs (a tick longer than this keeps it); on the crashed tick's own host the next one takes it at once.
LEASE_SECONDS = 300


@contextmanager
def edition_lease(run: Run) -> Iterator[None]:
    """One writing job at a time across machines: the workspace's lock covers one machine, the
    control store's lease (Google: a tab of the control spreadsheet) covers cron on two machines, two
    configs of one edition, and a job typed by hand on one machine while cron ticks on another
    (every writing command takes it: cli make_run). Taken once per run: the tick inside a command
    that holds it already goes on under it. Busy: TickBusy."""
    if run.lease is not None:
        yield
        return
    holder = str(holders.this_process())
    held = run.workspace.control.hold_lease(holder, run.now, LEASE_SECONDS)
    if held is not None:
        who, _, until = held.partition(" until ")
        raise TickBusy(f"another job holds the control store's lease ({held}); this one did nothing", who, until)
    run.lease = holder
    try:
        yield
    finally:
        run.lease = None
        try:
            run.workspace.control.release_lease(holder)
        except BackendError:  # it lapses by itself; the job's own outcome is what matters
            pass


def tick(run: Run) -> list[str]:
    """Do what is due at run.now; returns the actions taken (empty when nothing was due).

    A tick that did something leaves one journal row, the jobs' own entries in its detail; a tick
    with nothing due writes nothing (cron starts one every few minutes: issue 23 item 7). When the
    last tick ran is kept beside the config (`note_last_tick`), not in the control store."""
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
            _file_returned(run, actions)
            _run_due(run, actions)
            _results_pdf(run, actions)
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
    edited = changed_after_freeze(run)  # a frozen sheet edited since: recorded in its tab, named here
    if edited:
        detail["changed_after_freeze"] = [
            {"sheet": e.sheet, "expert": e.expert, "stage": e.stage, "group": e.group, "revision": e.revision}
            | {"changes": e.changes or e.notice.key}
            for e in edited
        ]
    if _happened(run, actions, jobs) or _unnamed(run, edited):
        run.journal("tick", ", ".join(actions) or "nothing due", detail)
    return actions


def _unnamed(run: Run, edited: list) -> bool:
    """Whether a frozen sheet's edit is not yet named by a tick's journal row (an audit may have
    recorded it first): named once, not on every tick."""
    if not edited:
        return False
    named = {
        (e.get("sheet"), e.get("revision"))
        for row in run.edition.journal
        if row.action == "tick" and "changed_after_freeze" in row.detail
        for e in json.loads(row.detail).get("changed_after_freeze", [])
    }
    return any((e.sheet, e.revision) not in named for e in edited)


def _happened(run: Run, actions: list[str], jobs: list[dict]) -> bool:
    """Whether the tick did anything worth a journal row (the journal records what happened, not
    that cron ran: issue 23 item 7): a step taken, a table changed (the progress tab aside: experts'
    typing), a job that did not end "ok". A stage still waiting for the same decision, an intake
    that found nothing new, are no news."""
    if any(not a.endswith(" waiting") for a in actions):
        return True
    if run.changed - {"progress"}:
        return True
    return any(j.get("outcome") not in ("ok", "waiting") for j in jobs)


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


def _file_returned(run: Run, actions: list[str]) -> None:
    """The sheets CDB saved in the inbox, each filed in its place before anything reads the sheets
    (jobs/inbox.py); nothing at all when the inbox is empty."""
    report = file_returned(run)
    if report.filed:
        actions.append(f"returned sheets filed: {len(report.filed)}")
    if report.not_filed:
        actions.append(f"returned files not filed: {len(report.not_filed)}")


def _results_pdf(run: Run, actions: list[str]) -> None:
    """The results PDF (13.2) the stage-3 close could not make (LibreOffice installed only later):
    made by the first tick that can; a tick that cannot stays quiet (the close said why)."""
    from pipelines.jobs.paperwork import make_missing_results_pdf

    if make_missing_results_pdf(run):
        run.commit()
        actions.append("results pdf")


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
    covered = True  # the responses read cover intake's deadline (jobs/intake.py deadline_covered)
    while True:
        plan = [a for a in lifecycle.due(run.state.stages, dates, run.now, intake_covered=covered) if a not in done]
        if not plan:
            break
        action = plan[0]
        done.add(action)
        if action.step is Step.INTAKE:
            if intake_due(run):  # after the close, only when the source holds something new
                intake = run_intake(run)  # says, in one line, what a close still waits for
                covered = intake.waiting is None
                if not covered:
                    actions.append("intake waiting")
                if intake.registry_changed or any(d.changed for d in intake.letters):
                    actions.append("intake")
            actions.extend(apply_decisions(run))  # disqualifications, replacements, DERs joining open stages
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
