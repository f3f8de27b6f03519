"""Tell each applicant what happened to the application: accepted (with its registry id) or not
(each reason with its clause), after each stage whether the DER went on, and the winners their place.

Once per (applicant, event): each message has a key, and a key that was sent (or listed for CDB) is
in the journal, so a second run sends nothing. In the edition's language; never another DER's score.
Local workspace: the outbox's .eml files; Google: Gmail when `backend.gmail`, otherwise a list for
CDB (notifications/to_send.csv in the drive, and the command's output)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from functools import partial

from pipelines import i18n
from pipelines.domain.models import Application, Status
from pipelines.domain.state import StageState
from pipelines.formats.registry import local_reason
from pipelines.jobs.common import Outgoing, Run, deliver_all, fmt_time, stage_title
from pipelines.ports import UNSURE, DocKey

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
ACTION = "notify"


@dataclass(frozen=True)
class Notification:
    key: str  # "<event> <DER id> <address>": what is sent once
    to: str  # "" when the application gives no address
    subject: str
    body: str


@dataclass
class NotifyReport:
    sent: list[Notification] = field(default_factory=list)
    listed: list[Notification] = field(default_factory=list)  # for CDB to send by hand
    would_send: list[Notification] = field(default_factory=list)  # --dry-run
    no_address: list[Notification] = field(default_factory=list)
    unsure: list[Notification] = field(default_factory=list)  # may not have arrived: never counted as sent


def recipient(app: Application) -> str:
    """The respondent's e-mail (the form collects it), else the first author's contact address."""
    own = app.response.respondent_email.strip()
    if EMAIL.fullmatch(own):
        return own.lower()
    for author in app.response.authors[:1]:
        found = EMAIL.search(author.contact or "")
        if found:
            return found.group(0).lower()
    return ""


def _name(app: Application) -> str:
    return app.response.authors[0].name if app.response.authors else app.response.authors_raw.strip()


def due(run: Run) -> list[Notification]:
    """Every message the edition's state calls for so far, sent or not."""
    lang, config = run.lang, run.config
    apps = run.state.counting()
    edition = config.edition.name
    out: list[Notification] = []

    def add(event: str, app: Application, key: str, **values) -> None:
        to = recipient(app)
        values = dict(values, edition=edition, name=_name(app), id=app.id, title=app.title)
        out.append(
            Notification(
                f"{event} {app.id} {to or '-'}",
                to,
                i18n.text(f"{key}_subject", lang, **values),
                i18n.text(f"{key}_body", lang, **values),
            )
        )

    for app in apps.values():  # as soon as the registry decided it
        if app.status is Status.ACCEPTED:
            add("accepted", app, "notify_accepted")
        elif app.status is Status.REJECTED:
            reasons = "\n".join(f"— {local_reason(r, lang)}" for r in app.reasons)
            add("rejected", app, "notify_rejected", reasons=reasons)
        elif app.status is Status.DISQUALIFIED:
            reasons = "\n".join(f"— {local_reason(r, lang)}" for r in app.reasons if r.rule == "disqualified")
            add("disqualified", app, "notify_disqualified", reasons=reasons or "— 9.10")
    ceremony = config.ceremony
    where = ", ".join(x for x in (fmt_time(ceremony.at, config), ceremony.place.strip()) if x)
    for stage in (1, 2, 3):
        if run.state.stage(stage).state is not StageState.CLOSED:
            continue
        outcomes = run.state.outcomes_of(stage)
        if not outcomes or not all(o.ready for o in outcomes):
            continue
        places = {i: n for o in outcomes for n, i in enumerate(o.selected, start=1)}
        for o in outcomes:
            for s in o.standings:
                der = apps.get(s.application_id)
                if der is None or der.status is not Status.ACCEPTED:
                    continue
                values = dict(stage=stage_title(stage, lang))
                if stage < 3:
                    key = "notify_advanced" if s.application_id in places else "notify_not_advanced"
                    add(f"stage{stage}", der, key, **values)
                elif s.application_id in places:
                    add("winner", der, "notify_winner", place=places[s.application_id], ceremony=where or "—", **values)
                else:
                    add("stage3", der, "notify_finalist", **values)
    return out


DONE = ("sent", "listed")  # a message that went, or was handed to CDB; "intended" alone is resolved by deliver


def recorded(run: Run) -> set[str]:
    """The keys already sent or listed: the journal's notify rows, and those a tick held in its row."""
    return run.edition.journal.details(ACTION, DONE)


def outgoing(run: Run, n: Notification) -> Outgoing:
    """The message `n` for common.deliver_all: sent by the workspace's mailer under its key."""
    mailer, key = run.workspace.mailer, f"{ACTION}/{n.key}"
    return Outgoing(n.key, partial(mailer.notify, n.to, n.subject, n.body, key=key), partial(mailer.delivered, key))


def deliver(
    run: Run, messages: list[Notification]
) -> tuple[list[Notification], list[Notification], list[Notification]]:
    """Send each message exactly once (common.deliver_all: intents before, outcomes after, one
    journal write for the batch where the mailbox can tell what went); (sent, listed, unsure): a
    message this backend cannot mail is listed for CDB instead (recorded "listed"); one whose send
    lost its answer with no mailbox to ask is "unsure" (jobs/outbox.py lists it to CDB)."""
    outcomes = deliver_all(run, ACTION, [outgoing(run, n) for n in messages], not_sent="listed")
    listed = [n for n in messages if outcomes[n.key] == "not-sent"]
    unsure = [n for n in messages if outcomes[n.key] == UNSURE]
    return [n for n in messages if outcomes[n.key] not in ("not-sent", UNSURE)], listed, unsure


def notify(run: Run, *, send: bool = True) -> NotifyReport:
    """Send what is due and not yet sent; `send=False` (--dry-run) only says what would go."""
    report = NotifyReport()
    done = recorded(run)
    to_send: list[Notification] = []
    for n in due(run):
        if n.key in done:
            continue
        if not n.to:
            report.no_address.append(n)
        elif not send:
            report.would_send.append(n)
        else:
            to_send.append(n)
    if to_send:
        report.sent, report.listed, report.unsure = deliver(run, to_send)
    if report.listed:
        _write_list(run, report.listed)
    for n in report.would_send:
        run.say(i18n.text("notify_would_send", run.lang, to=n.to, subject=n.subject))
        run.say("    " + n.body.replace("\n", "\n    "))
    for n in report.listed:
        run.say(i18n.text("notify_listed", run.lang, to=n.to, subject=n.subject))
    for n in report.no_address:
        run.say(i18n.text("notify_no_address", run.lang, which=n.key))
    if report.unsure:
        run.say(i18n.text("notify_unsure", run.lang, count=len(report.unsure)))
    run.say(
        i18n.text(
            "notify_done" if getattr(run.workspace.mailer, "delivers", True) else "notify_done_outbox",
            run.lang,
            sent=len(report.sent),
            listed=len(report.listed),
            would=len(report.would_send),
            missing=len(report.no_address),
        )
    )
    run.settle()  # the ledger's rows into the journal table (a tick settles at its own end)
    return report


def _write_list(run: Run, listed: list[Notification]) -> None:
    """The messages this backend could not send, for CDB: one CSV a run (to, subject, body, key)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["to", "subject", "body", "key"])
    for n in listed:
        writer.writerow([n.to, n.subject, n.body, n.key])
    stamp = run.now.astimezone(run.config.zone).strftime("%Y%m%d-%H%M")
    run.workspace.drive.put(
        DocKey(run.edition_key, "notifications", 0, "-", stamp),
        ["notifications"],
        f"to_send_{stamp}.csv",
        ("\ufeff" + buf.getvalue()).encode("utf-8"),
        mime="text/csv",
    )
