"""Tell each applicant what happened to the application: accepted (with its registry id) or not
(each reason with its clause), after each stage whether the DER went on, and the winners their place.

While intake is open, a response that misses what the teacher can still supply (a field, an
attachment, a link, a language) is told what is missing and that a corrected response before the
deadline replaces it: not that it is rejected. A final rejection waits until intake has closed and
CDB has had `notify.review_hours` to look (from the close, or from when the rejection was first
seen, whichever is later), or until CDB runs `contest notify --confirm`. A decision that changes
after a message went out (a reinstatement, a replacement, a recomputed stage) sends a correction
that says the earlier message was wrong and what holds now.

Once per (applicant, event): each message has a key, and a key that was sent (or listed for CDB) is
in the journal, so a second run sends nothing. In the edition's language; never another DER's score.
Local workspace: the outbox's .eml files; Google: Gmail when `backend.gmail`, otherwise a list for
CDB (notifications/to_send.csv in the drive, and the command's output).

Keys: `[correction ]<event> <DER id> <address>[ <tag>][ #<n>]` — the tag says what an event said
(incomplete: its reasons' digest; stage1/stage2: advanced or not-advanced; winner: the place), #n
tells a later message of the same words from an earlier one. Keys of older versions carry no tag:
they are taken to say what holds now (never corrected).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from pipelines import i18n
from pipelines.domain.authors import printed_names
from pipelines.domain.intake import HOLD_RULES
from pipelines.domain.models import Application, Status
from pipelines.domain.state import INTAKE, StageState
from pipelines.formats.registry import local_reason
from pipelines.jobs.common import Outgoing, Run, deliver_all, fmt_date, fmt_time, stage_title
from pipelines.ports import UNSURE, DocKey

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
ACTION = "notify"
HELD = "notify-held"  # the journal's record of when a final rejection was first held for review
# what a teacher can still put right before the deadline: told, not rejected, while intake is open
CORRECTABLE = frozenset({"missing_field", "missing_attachment", "invalid_link", "language"})
FAMILY = {"accepted": "intake", "rejected": "intake", "incomplete": "intake", "disqualified": "intake"}
FAMILY |= {"stage1": "stage1", "stage2": "stage2", "stage3": "stage3", "winner": "stage3"}


@dataclass(frozen=True)
class Notification:
    key: str  # "<event> <DER id> <address>[ <tag>]": what is sent once (module docstring)
    to: str  # "" when the application gives no address
    subject: str
    body: str
    held_until: datetime | None = None  # a final rejection waits for CDB's review until then


@dataclass
class NotifyReport:
    sent: list[Notification] = field(default_factory=list)
    listed: list[Notification] = field(default_factory=list)  # for CDB to send by hand
    would_send: list[Notification] = field(default_factory=list)  # --dry-run
    no_address: list[Notification] = field(default_factory=list)
    held: list[Notification] = field(default_factory=list)  # final rejections in CDB's review time
    unsure: list[Notification] = field(default_factory=list)  # may not have arrived: never counted as sent


@dataclass(frozen=True)
class Told:
    """What a message key says: its event, DER id, address, tag, and whether it corrects."""

    event: str
    app_id: str
    to: str
    tag: str = ""
    correction: bool = False

    @property
    def family(self) -> str:
        return FAMILY.get(self.event, self.event)

    def says(self, other: Told) -> bool:
        """The same news (a key of an older version, without a tag, says whatever holds now)."""
        return self.event == other.event and (self.tag == other.tag or not self.tag or not other.tag)

    @property
    def base(self) -> str:
        words = ["correction"] if self.correction else []
        return " ".join([*words, self.event, self.app_id, self.to or "-", *([self.tag] if self.tag else [])])

    @classmethod
    def parse(cls, key: str) -> Told | None:
        words = key.split()
        correction = bool(words) and words[0] == "correction"
        words = words[1:] if correction else words
        if words and words[-1].startswith("#"):
            words = words[:-1]
        if len(words) < 3 or words[0] not in FAMILY:
            return None
        return cls(words[0], words[1], words[2], " ".join(words[3:]), correction)


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
    return next(iter(printed_names(app.response.authors, app.response.authors_raw)), "")


def intake_open(run: Run) -> bool:
    """Teachers may still send a corrected response (9.8)."""
    closed = run.state.stage(INTAKE).state is StageState.CLOSED
    return not closed and run.now < run.config.calendar.intake_close


def correctable(app: Application) -> bool:
    """Every reason is one the teacher can put right with a new response before the deadline."""
    own = [r for r in app.reasons if r.rule not in HOLD_RULES]  # what CDB settles is never the teacher's to correct
    return bool(own) and all(r.rule in CORRECTABLE for r in own)


@dataclass(frozen=True)
class _News:
    """What the state says now for one application and one family of messages, and its words."""

    told: Told
    words: Callable[[], tuple[str, str]]  # (subject, body), worded when the message goes


def _news(run: Run) -> list[_News]:
    """What the edition's state tells each applicant now, one piece per application and family."""
    lang, config = run.lang, run.config
    apps = run.state.counting()
    edition = config.edition_name()
    out: list[_News] = []
    deadline = fmt_time(config.calendar.intake_close, config)

    addresses: dict[str, str] = {}  # per DER: its address, asked once for all its news

    def add(event: str, app: Application, key: str, tag: str = "", **values: Any) -> None:
        def words(key: str = key, values: dict = values) -> tuple[str, str]:
            # worded only for a message that goes: an idle tick words none (a reason text per rule)
            values = {k: v() if callable(v) else v for k, v in values.items()}
            values.update(edition=edition, name=_name(app), id=app.id, title=app.title)
            return i18n.text(f"{key}_subject", lang, **values), i18n.text(f"{key}_body", lang, **values)

        if app.id not in addresses:
            addresses[app.id] = recipient(app)
        out.append(_News(Told(event, app.id, addresses[app.id], tag), words))

    def listed(app: Application, keep: Callable[[str], bool]) -> Callable[[], str]:
        return lambda: "\n".join(f"— {local_reason(r, lang)}" for r in app.reasons if keep(r.rule))

    still_open = intake_open(run)
    for app in apps.values():  # as soon as the registry decided it; one held for CDB hears nothing yet
        reasons = listed(app, lambda rule: rule not in HOLD_RULES)
        if app.status is Status.ACCEPTED:
            add("accepted", app, "notify_accepted")
        elif app.status is Status.REJECTED and still_open and correctable(app):
            digest = hashlib.sha256("\n".join(sorted(str(r.notice) for r in app.reasons)).encode()).hexdigest()[:8]
            add("incomplete", app, "notify_incomplete", digest, reasons=reasons, deadline=deadline)
        elif app.status is Status.REJECTED:  # only the regulation's grounds (`reasons` leaves out what CDB settles)
            add("rejected", app, "notify_rejected", reasons=reasons)
        elif app.status is Status.DISQUALIFIED:
            said = listed(app, lambda rule: rule == "disqualified")
            add("disqualified", app, "notify_disqualified", reasons=lambda said=said: said() or "— 9.10")
    ceremony = config.ceremony
    where = ", ".join(x for x in (fmt_time(ceremony.at, config), ceremony.place.strip()) if x)
    for stage in (1, 2, 3):
        if run.state.stage(stage).state is not StageState.CLOSED:
            continue
        outcomes = run.state.outcomes_of(stage)
        if not outcomes or not all(o.ready for o in outcomes):
            continue
        places = {i: n for o in outcomes for n, i in enumerate(o.selected, start=1)}
        title = stage_title(stage, lang)
        for o in outcomes:
            for s in o.standings:
                der = apps.get(s.application_id)
                if der is None or der.status is not Status.ACCEPTED:
                    continue
                values = dict(stage=title)
                if stage < 3:
                    went_on = s.application_id in places
                    key = "notify_advanced" if went_on else "notify_not_advanced"
                    add(f"stage{stage}", der, key, "advanced" if went_on else "not-advanced", **values)
                elif s.application_id in places:
                    place = places[s.application_id]
                    add("winner", der, "notify_winner", f"p{place}", place=place, ceremony=where or "—", **values)
                else:
                    add("stage3", der, "notify_finalist", **values)
    return out


@dataclass(frozen=True)
class _Sent:
    told: Told
    key: str
    at: str  # the run's time of the message (ISO)


def history(run: Run) -> dict[tuple[str, str], list[_Sent]]:
    """The messages sent or listed so far, per (family, DER id), oldest first: the journal's notify
    rows and those a tick held in its row."""
    seen: set[str] = set()
    out: dict[tuple[str, str], list[_Sent]] = {}

    def note(key: str, at: str) -> None:
        told = Told.parse(key)
        if key in seen or told is None:
            return
        seen.add(key)
        out.setdefault((told.family, told.app_id), []).append(_Sent(told, key, at))

    for outcome, detail, now in run.edition.journal.rows(ACTION):
        if outcome in DONE:
            note(detail, now)
    return out


def _corrects(last: Told, now: Told) -> bool:
    """The earlier message was wrong, not overtaken: a new response during intake, or a 9.10
    disqualification after an acceptance, is news of its own."""
    if last.family != "intake":
        return True
    if last.event == "incomplete" or now.event == "incomplete":
        return False
    return not (last.event == "accepted" and now.event == "disqualified")


def _said(told: Told, lang: str) -> str:
    """What an earlier message said, in a few words (the correction names it)."""
    values: dict = {}
    if told.event in ("stage1", "stage2"):
        values["stage"] = stage_title(int(told.event[-1]), lang)
        return i18n.text(f"notify_said_{told.tag.replace('-', '_')}", lang, **values)
    if told.event == "winner":
        return i18n.text("notify_said_winner", lang, place=told.tag.lstrip("p"))
    return i18n.text(f"notify_said_{'finalist' if told.event == 'stage3' else told.event}", lang)


def due(run: Run, *, confirm: bool = False) -> list[Notification]:
    """Every message the edition's state calls for that was not sent yet. A final rejection carries
    the time CDB's review ends (`held_until`; None once confirmed or when the time has come)."""
    lang, config = run.lang, run.config
    past = history(run)
    done = recorded(run)
    review = timedelta(hours=config.notify.review_hours)
    close = config.calendar.intake_close
    out: list[Notification] = []
    for news in _news(run):
        told = news.told
        mine = past.get((told.family, told.app_id), [])
        if mine and mine[-1].told.says(told):
            continue  # already told
        if mine and _corrects(mine[-1].told, told):
            told = replace(told, correction=True)
        key = told.base if told.base not in done else f"{told.base} #{len(mine) + 1}"
        subject, body = news.words()
        if told.correction:
            last = mine[-1]
            when = fmt_date(datetime.fromisoformat(last.at), config) if last.at else "—"
            name = body.split("\n\n", 1)
            values = dict(
                edition=config.edition.name,
                id=told.app_id,
                date=when,
                previous=_said(last.told, lang),
                now=name[1] if len(name) == 2 else body,
                greeting=name[0] if len(name) == 2 else "",
            )
            subject = i18n.text("notify_correction_subject", lang, **values)
            body = i18n.text("notify_correction_body", lang, **values)
        until = None
        if told.event == "rejected" and not confirm:
            first = run.edition.journal.first(HELD, key)
            seen = datetime.fromisoformat(first.now) if first is not None else run.now
            until = max(close, seen) + review
            until = until if until > run.now else None
        out.append(Notification(key, told.to if told.to != "-" else "", subject, body, until))
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


def pending(run: Run) -> list[dict]:
    """What is about to be sent and when (status): each message due, its address, subject and the
    moment it goes (None: with the next tick or `contest notify`)."""
    out = []
    for n in due(run):
        out.append(
            {
                "key": n.key,
                "to": n.to,
                "subject": n.subject,
                "held": n.held_until is not None,
                "send_at": n.held_until.isoformat(timespec="minutes") if n.held_until else None,
            }
        )
    return out


def notify(run: Run, *, send: bool = True, confirm: bool = False) -> NotifyReport:
    """Send what is due and not yet sent; `send=False` (--dry-run) only says what would go;
    `confirm` (--confirm): the final rejections go now, CDB's review done."""
    report = NotifyReport()
    to_send: list[Notification] = []
    for n in due(run, confirm=confirm):
        if n.held_until is not None:
            report.held.append(n)
        elif not n.to:
            report.no_address.append(n)
        elif not send:
            report.would_send.append(n)
        else:
            to_send.append(n)
    if send:  # when each held rejection was first seen: its review time runs from then
        journal = run.journal  # held to the next journal write (the batch's intents, the tick's row)
        for n in report.held:
            if run.edition.journal.first(HELD, n.key) is None:
                journal.hold(journal.entry(HELD, "held", n.key))
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
        der = next((w for w in n.key.split() if w.startswith("DER-")), n.key)  # the key names the DER id
        run.say(i18n.text("notify_no_address", run.lang, which=f"{der} «{n.subject}»"))
    if report.held:
        until = min(n.held_until for n in report.held if n.held_until is not None)
        held = dict(count=len(report.held), until=fmt_time(until, run.config), command="contest notify --confirm")
        run.say(i18n.text("notify_held", run.lang, **held))
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
