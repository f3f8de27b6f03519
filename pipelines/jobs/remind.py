"""Remind experts whose sheets are incomplete, N days before the stage's deadline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from pipelines import i18n
from pipelines.domain.state import Journal, StageState
from pipelines.jobs.common import Outgoing, Run, deliver_all, fmt_time, stage_title
from pipelines.jobs.sheets import Pending, incomplete_sheets
from pipelines.ports import UNSURE, MailUnsure


@dataclass
class RemindReport:
    pending: list[Pending] = field(default_factory=list)


SENT = ("sent", "left out")  # journal outcomes of a message that went ("intended" alone did not yet)


SENT_KEY = "remind_pending_sent"


def sent_tokens(journal: Journal) -> set[str]:
    """The reminders already sent: `remind` rows, and those a tick ran (held in its row's detail)."""
    return journal.details("remind", SENT)


def reminders_due(run: Run) -> bool:
    """An open stage is within `remind.days_before` days of its deadline (what the tick asks first,
    so that it reads no sheet on the other days)."""
    return any(_window(run, stage) for stage in (1, 2, 3) if run.state.stage(stage).state is StageState.OPEN)


def _window(run: Run, stage: int) -> bool:
    deadline = run.config.calendar.stage_close(stage)
    return deadline - timedelta(days=run.config.remind.days_before) <= run.now < deadline


def remind(run: Run, *, send: bool = True, scheduled: bool = False) -> RemindReport:
    """Within `remind.days_before` days of an open stage's deadline, notify each expert once a day.
    `scheduled` (the tick): say only the reminders sent, not the list of who is pending."""
    report = RemindReport()
    already = sent_tokens(run.edition.journal)  # earlier ticks held theirs in the tick row's detail
    mailer = run.workspace.mailer
    open_stages = [stage for stage in (1, 2, 3) if run.state.stage(stage).state is StageState.OPEN]
    if scheduled:
        open_stages = [stage for stage in open_stages if _window(run, stage)]
    elif not open_stages:
        run.say(i18n.text("remind_no_open_stage", run.lang))
    to_send: list[tuple[Pending, Outgoing]] = []
    queued: set[str] = set()
    for stage in open_stages:
        deadline = run.config.calendar.stage_close(stage)
        due = _window(run, stage)
        for pending in incomplete_sheets(run, stage):
            report.pending.append(pending)
            token = f"stage {stage} {pending.email} {run.now.astimezone(run.config.zone).date()}"
            if not (send and due) or token in already or token in queued:
                continue  # sent before, or queued for this expert's other sheet of the stage
            body = i18n.text(
                "mail_remind_body",
                run.lang,
                name=pending.name,
                edition=run.config.edition_name(),
                stage=stage_title(stage, run.lang),
                missing=pending.missing,
                deadline=fmt_time(deadline, run.config),
                url=pending.url,
            )
            subject = i18n.text("mail_remind_subject", run.lang)
            send_it = partial(mailer.notify, pending.email, subject, body, key=f"remind/{token}")
            queued.add(token)
            to_send.append((pending, Outgoing(token, send_it, partial(mailer.delivered, f"remind/{token}"))))
    # each reminder once (common.deliver_all: the batch's intents in one journal write)
    outcomes = deliver_all(run, "remind", [m for _, m in to_send]) if to_send else {}
    for pending, m in to_send:
        pending.notified = outcomes[m.key] == "sent"
    run.settle()  # the ledger's rows into the journal table (a tick settles at its own end)
    if scheduled:  # the tick says only what it sent
        report.pending = [p for p in report.pending if p.notified]
    delivers = getattr(run.workspace.mailer, "delivers", True)  # else written to the outbox for CDB
    for p in report.pending:
        run.say(
            i18n.text(
                (SENT_KEY if delivers else "remind_pending_written") if p.notified else "remind_pending",
                run.lang,
                stage=p.stage,
                group=p.group,
                name=p.name,
                email=p.email,
                missing=p.missing,
            )
        )
    if scheduled:
        return report
    if open_stages and not report.pending:
        run.say(i18n.text("remind_all_complete", run.lang))
    return report


def tell_left_out(run: Run, stage: int) -> int:
    """At a close, each expert whose cells were not counted gets one mail naming them (DER, cell,
    why, in the edition's language); the sheet is read-only by then, so it says how it reopens.
    Once per stage and set of cells (the journal remembers); returns the mails sent."""
    from pipelines.jobs.status import left_out

    already = sent_tokens(run.edition.journal)
    titles = {a.id: a.title for a in run.state.applications}
    urls = {(a.group, a.expert.email): a.sheet_url for a in run.state.sheets(stage)}
    by_expert: dict[str, list[dict]] = {}
    for item in left_out(run, stage):
        by_expert.setdefault(item["expert"], []).append(item)
    sent = 0
    for email, items in sorted(by_expert.items()):
        cells = sorted(f"{i['group']}:{i['id']}:{i['cell']}" for i in items)
        token = f"left out stage {stage} {email} {'|'.join(cells)}"
        if token in already:
            continue
        lines = [
            i18n.text(
                "mail_left_out_cell",
                run.lang,
                id=i["id"] or "—",
                title=titles.get(i["id"], ""),
                cell=i["cell"],
                why=i["why_local"],
            )
            for i in items
        ]
        body = i18n.text(
            "mail_left_out_body",
            run.lang,
            name=items[0]["expert_name"] or email,
            edition=run.config.edition_name(),
            stage=stage_title(stage, run.lang),
            cells="\n".join(lines),
            url=urls.get((items[0]["group"], email), ""),
        )
        subject = i18n.text("mail_left_out_subject", run.lang)
        try:  # keyed: its Message-ID lets a lost answer be looked up (backends/google/drive.send_mail)
            went = run.workspace.mailer.notify(email, subject, body, key=f"remind/{token}")
        except MailUnsure:  # may not have arrived: listed to CDB (status, contest outbox), not counted
            run.journal("remind", UNSURE, token)
            already.add(token)
            continue
        if went:
            run.journal("remind", "left out", token)
            already.add(token)
            sent += 1
    return sent
