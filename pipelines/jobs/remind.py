"""Remind experts whose sheets are incomplete, N days before the stage's deadline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from pipelines import i18n
from pipelines.domain.state import StageState
from pipelines.jobs.common import JournalLedger, Run, fmt_time, stage_title
from pipelines.jobs.sheets import Pending, incomplete_sheets
from pipelines.ports import deliver_once


@dataclass
class RemindReport:
    pending: list[Pending] = field(default_factory=list)


def remind(run: Run, *, send: bool = True) -> RemindReport:
    """Within `remind.days_before` days of an open stage's deadline, notify each expert once a day."""
    report = RemindReport()
    ledger, mailer = JournalLedger(run, "remind"), run.workspace.mailer
    open_stages = [stage for stage in (1, 2, 3) if run.state.stage(stage).state is StageState.OPEN]
    if not open_stages:
        run.say(i18n.text("remind_no_open_stage", run.lang))
    for stage in open_stages:
        deadline = run.config.calendar.stage_close(stage)
        due = deadline - timedelta(days=run.config.remind.days_before) <= run.now < deadline
        for pending in incomplete_sheets(run, stage):
            report.pending.append(pending)
            token = f"stage {stage} {pending.email} {run.now.astimezone(run.config.zone).date()}"
            if not (send and due) or ledger.message_state(token) == "sent":
                continue
            body = i18n.text(
                "mail_remind_body",
                run.lang,
                name=pending.name,
                edition=run.config.edition.name,
                stage=stage_title(stage, run.lang),
                missing=pending.missing,
                deadline=fmt_time(deadline, run.config),
                url=pending.url,
            )
            outcome = deliver_once(
                ledger,
                token,
                partial(
                    mailer.notify,
                    pending.email,
                    i18n.text("mail_remind_subject", run.lang),
                    body,
                    key=f"remind/{token}",
                ),
                partial(mailer.delivered, f"remind/{token}"),
            )
            pending.notified = outcome == "sent"
    for p in report.pending:
        run.say(
            i18n.text(
                "remind_pending_sent" if p.notified else "remind_pending",
                run.lang,
                stage=p.stage,
                group=p.group,
                name=p.name,
                email=p.email,
                missing=p.missing,
            )
        )
    if open_stages and not report.pending:
        run.say(i18n.text("remind_all_complete", run.lang))
    return report
