"""Remind experts whose sheets are incomplete, N days before the stage's deadline."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from pipelines import i18n, rating_sheet
from pipelines.jobs.common import Run, fmt_time, stage_title
from pipelines.jobs.stages import OPEN, applications, sheet_refs, stage_state
from pipelines.ports import BackendError



@dataclass
class Pending:
    stage: int
    group: str
    email: str
    name: str
    missing: int
    url: str
    notified: bool = False


@dataclass
class RemindReport:
    pending: list[Pending] = field(default_factory=list)


def incomplete_sheets(run: Run, stage: int) -> list[Pending]:
    """Experts whose sheet still lacks complete ratings (read live; nothing is frozen here)."""
    apps, out = applications(run), []
    for row, ref in sheet_refs(run, stage):
        ids = [i for i in str(row["application_ids"]).split(",") if i]
        try:
            ratings, _problems = rating_sheet.read_sheet(cells=run.workspace.sheets.read(ref),
                                                         expected=[apps[i] for i in ids if i in apps],
                                                         expert_email=str(row["expert_email"]),
                                                         config=run.config, lang=run.lang)
        except BackendError as exc:
            run.say(i18n.text("remind_unreadable", run.lang, email=row["expert_email"], error=exc))
            ratings = []
        complete = {r.application_id for r in ratings if r.complete}
        missing = len([i for i in ids if i not in complete])
        if missing:
            out.append(Pending(stage, str(row["group"]), str(row["expert_email"]),
                               str(row.get("expert_name") or row["expert_email"]), missing, ref.url))
    return out


def remind(run: Run, *, send: bool = True) -> RemindReport:
    """Within `remind.days_before` days of an open stage's deadline, notify each expert once a day."""
    report = RemindReport()
    already = {str(r.get("detail")) for r in run.tables.read("journal") if str(r.get("action")) == "remind"}
    open_stages = [stage for stage in (1, 2, 3) if stage_state(run, stage) == OPEN]
    if not open_stages:
        run.say(i18n.text("remind_no_open_stage", run.lang))
    for stage in open_stages:
        deadline = run.config.calendar.stage_close(stage)
        due = deadline - timedelta(days=run.config.remind.days_before) <= run.now < deadline
        for pending in incomplete_sheets(run, stage):
            report.pending.append(pending)
            token = f"stage {stage} {pending.email} {run.now.astimezone(run.config.zone).date()}"
            if not (send and due) or token in already:
                continue
            body = i18n.text("mail_remind_body", run.lang, name=pending.name, edition=run.config.edition.name,
                             stage=stage_title(stage, run.lang), missing=pending.missing,
                             deadline=fmt_time(deadline, run.config), url=pending.url)
            pending.notified = run.workspace.mailer.notify(pending.email, i18n.text("mail_remind_subject", run.lang),
                                                           body)
            if pending.notified:
                run.journal("remind", "sent", token)
    for p in report.pending:
        run.say(i18n.text("remind_pending_sent" if p.notified else "remind_pending", run.lang, stage=p.stage,
                          group=p.group, name=p.name, email=p.email, missing=p.missing))
    if open_stages and not report.pending:
        run.say(i18n.text("remind_all_complete", run.lang))
    return report
