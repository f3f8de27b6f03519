"""`contest outbox`: what waits for CDB to send, and what may not have arrived.

Local workspace: every message is an .eml in outbox/ (backends/local/outbox.py) that CDB sends by
hand; `--mark-sent` records in the workspace database which ones CDB sent. Google: a mail whose
send lost its answer while the mailbox may not be asked (no backend.mail_lookup) is recorded
"unsure" in the journal's ledger (ports.deliver_once): listed here and in `status`, never counted
as sent; `--resend ID` records CDB's wish and sends it again (issue 23 item 9)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from pipelines import i18n
from pipelines.jobs.common import Run
from pipelines.ports import RESEND, UNSURE, ledger_state

MAIL_ACTIONS = ("notify", "remind", "message")  # the journal's actions that record mail (JournalLedger)


class OutboxError(Exception):
    """A --mark-sent or --resend that names nothing known: the message says what, in kk/ru."""


def mail_key(action: str, detail: str) -> str:
    """The key a message of the journal's ledger was mailed under (its Message-ID comes from it)."""
    return detail if action == "message" else f"{action}/{detail}"


def short_id(key: str) -> str:
    """The id CDB types: the first 8 hex of the message's Message-ID (formats/mail.message_id)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]


@dataclass(frozen=True)
class Unsure:
    id: str
    action: str
    detail: str  # the ledger's key in the journal

    def as_dict(self, lang: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "action": self.action,
            "key": self.detail,
            "command": f"contest outbox --resend {self.id}",
            "note": i18n.text("outbox_unsure_note", lang),
        }


def unsure_mail(run: Run) -> list[Unsure]:
    """Every message that may not have arrived (recorded "unsure", not sent again since)."""
    out = [
        Unsure(short_id(mail_key(action, detail)), action, detail)
        for action, detail, states in run.edition.journal.ledgers(MAIL_ACTIONS)
        if ledger_state(states) == UNSURE
    ]
    return sorted(out, key=lambda u: (u.action, u.detail))


def resend(run: Run, ids: list[str]) -> list[Unsure]:
    """Record CDB's "send it again" for each unsure message named by id, then send what is due:
    the applicants' notices at once (`notify`); a reminder with the next reminder run."""
    from pipelines.jobs.notify import notify

    unsure = {u.id: u for u in unsure_mail(run)}
    unknown = [i for i in ids if i.lower() not in unsure]
    if unknown:
        raise OutboxError(i18n.text("outbox_unknown_id", run.lang, ids=", ".join(unknown)))
    chosen = [unsure[i.lower()] for i in dict.fromkeys(ids)]
    run.journal.write([run.journal.entry(u.action, RESEND, u.detail) for u in chosen])
    run.settle()
    if any(u.action == "notify" for u in chosen):
        notify(run)
    return chosen


def outbox_lines(run: Run) -> list[str]:
    """What `contest outbox` prints: the .eml files waiting (local) and the mail that may not have
    arrived, each with its id, in the edition's language."""
    lang, lines = run.lang, []
    outbox = getattr(run.workspace.mailer, "outbox", None)
    if outbox is not None:
        items = outbox.listing()
        waiting = [w for w in items if not w.sent_at]
        lines.append(i18n.text("outbox_heading", lang, waiting=len(waiting), sent=len(items) - len(waiting)))
        for w in waiting:
            lines.append(i18n.text("outbox_line", lang, id=w.id, date=w.date or "—", to=w.to, subject=w.subject))
            lines.append(f"    outbox/{w.file}")
    unsure = unsure_mail(run)
    if unsure:
        lines.append(i18n.text("outbox_unsure_heading", lang, count=len(unsure)))
        for u in unsure:
            lines.append(i18n.text("outbox_unsure_line", lang, id=u.id, key=f"{u.action} {u.detail}"))
    elif outbox is None:
        lines.append(i18n.text("outbox_nothing_unsure", lang))
    return lines


def outbox_counts(run: Run) -> dict[str, int] | None:
    """The local outbox's .eml files waiting for CDB and those CDB marked sent; None elsewhere."""
    outbox = getattr(run.workspace.mailer, "outbox", None)
    if outbox is None:
        return None
    items = outbox.listing()
    waiting = sum(1 for w in items if not w.sent_at)
    return {"waiting": waiting, "sent": len(items) - waiting}


def mark_sent(run: Run, names: list[str], every: bool) -> int:
    """Record the outbox's files named (by id or file name), or all waiting with `every`, as sent
    by CDB now; returns how many were newly recorded."""
    outbox = getattr(run.workspace.mailer, "outbox", None)
    if outbox is None:
        raise OutboxError(i18n.text("outbox_not_local", run.lang))
    waiting = [w for w in outbox.listing() if not w.sent_at]
    if every:
        chosen = waiting
    else:
        by = {w.id.lower(): w for w in waiting} | {w.file.lower(): w for w in waiting}
        by |= {f"outbox/{w.file}".lower(): w for w in waiting}
        unknown = [n for n in names if n.lower() not in by]
        if unknown:
            raise OutboxError(i18n.text("outbox_unknown_id", run.lang, ids=", ".join(unknown)))
        chosen = list({by[n.lower()].file: by[n.lower()] for n in names}.values())
    outbox.mark_sent([w.file for w in chosen], run.now)
    if chosen:
        run.journal("outbox", "marked sent", {"files": [w.file for w in chosen]})
    return len(chosen)
