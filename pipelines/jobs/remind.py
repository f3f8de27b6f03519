"""Remind experts whose sheets are incomplete, N days before the stage's deadline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from pathlib import Path

from pipelines import i18n
from pipelines.domain.models import Assignment, Problem
from pipelines.domain.state import Journal, StageState
from pipelines.formats import rating_sheet
from pipelines.jobs.common import Outgoing, Run, deliver_all, fmt_time, stage_title
from pipelines.jobs.sheets import UNREADABLE_SHEET, Fixes, Pending, fixes_of, incomplete_sheets, said_why, sheet_fixes
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


REMIND_GAP = timedelta(hours=24)  # "once a day": at least 24 hours apart, not once per calendar day


def _token_time(token: str, run: Run) -> datetime | None:
    """When a reminder was sent, from its token: "stage N email 2027-03-04T16:00" (this version) or
    "stage N email 2027-03-04" (before: taken as that day's end, so no reminder comes sooner than 24
    hours after it, whatever hour it went)."""
    stamp = token.rsplit(" ", 1)[-1]
    try:
        if "T" in stamp:
            return datetime.fromisoformat(stamp).replace(tzinfo=run.config.zone)
        return datetime.combine(date.fromisoformat(stamp), time(23, 59), tzinfo=run.config.zone)
    except ValueError:
        return None


def _last_reminder(run: Run, stage: int, email: str, journal_tokens: set[str]) -> tuple[datetime, str] | None:
    """When this expert was last reminded at this stage, with that reminder's token."""
    prefix = f"stage {stage} {email} "
    seen = [(when, t) for t in journal_tokens if t.startswith(prefix) and (when := _token_time(t, run)) is not None]
    return max(seen) if seen else None


def _reminder_token(run: Run, stage: int, email: str, journal_tokens: set[str], settled: set[str]) -> str | None:
    """The token of this expert's reminder now, or None while the last one is under 24 hours old.
    A reminder whose intent is recorded but not its sending (a crash in between) keeps its token for
    24 hours, so the mailbox is asked about it and it is never sent twice."""
    last = _last_reminder(run, stage, email, journal_tokens)
    if last is not None and run.now - last[0] < REMIND_GAP:
        return None if last[1] in settled else last[1]
    return f"stage {stage} {email} " + run.now.astimezone(run.config.zone).strftime("%Y-%m-%dT%H:%M")


def remind(run: Run, *, send: bool = True, scheduled: bool = False) -> RemindReport:
    """Within `remind.days_before` days of an open stage's deadline, notify each expert at most once
    in 24 hours: every sheet of hers not yet complete, each cell to fill or put right by address and
    what was typed, the deadline, the sheets (attached on the local workspace, linked on Google) and
    whom to ask. `send=False` (--dry-run): who would be reminded now and for which sheets and cells,
    nothing sent or recorded. `scheduled` (the tick): say only the reminders sent."""
    report = RemindReport()
    journal = run.edition.journal
    settled = sent_tokens(journal)  # earlier ticks held theirs in the tick row's detail
    tokens = settled | journal.details("remind", ("intended",))
    mailer = run.workspace.mailer
    open_stages = [stage for stage in (1, 2, 3) if run.state.stage(stage).state is StageState.OPEN]
    if scheduled:
        open_stages = [stage for stage in open_stages if _window(run, stage)]
    elif not open_stages:
        run.say(i18n.text("remind_no_open_stage", run.lang))
    to_send: list[tuple[list[Pending], Outgoing]] = []
    for stage in open_stages:
        deadline = run.config.calendar.stage_close(stage)
        due = _window(run, stage)
        if not due and not scheduled and run.now < deadline:
            start = deadline - timedelta(days=run.config.remind.days_before)
            run.say(i18n.text("remind_not_yet", run.lang, stage=stage, start=fmt_time(start, run.config)))
        sheets = {(a.group, a.expert.email): a for a in run.state.sheets(stage)}
        by_expert: dict[str, list[Pending]] = {}
        for pending in incomplete_sheets(run, stage):
            report.pending.append(pending)
            by_expert.setdefault(pending.email, []).append(pending)
        for email, pendings in by_expert.items():
            token = _reminder_token(run, stage, email, tokens, settled) if due else None
            if token is None:
                last = _last_reminder(run, stage, email, settled) if due else None
                for p in pendings:
                    p.last_reminded = last[0] if last else None
                continue
            # one reminder a day per expert and stage, naming every sheet of hers not yet complete
            # (an expert on two commissions holds two): the ledger's key is the expert's, not a sheet's
            held = [(p, sheets[(p.group, p.email)]) for p in pendings]
            for p, a in held:
                p.fixes, p.due = sheet_fixes(run, a), True
            if not send:
                continue
            body = reminder_body(run, stage, held, fmt_time(deadline, run.config))
            subject = i18n.text("mail_remind_subject", run.lang)
            attach = tuple(path for _, a in held if (path := _attachment(run, a)))
            send_it = partial(mailer.notify, email, subject, body, key=f"remind/{token}", attachments=attach)
            to_send.append((pendings, Outgoing(token, send_it, partial(mailer.delivered, f"remind/{token}"))))
    # each reminder once (common.deliver_all: the batch's intents in one journal write)
    outcomes = deliver_all(run, "remind", [m for _, m in to_send]) if to_send else {}
    for pendings, m in to_send:
        for pending in pendings:
            pending.notified = outcomes[m.key] == "sent"
    if send:
        run.settle()  # the ledger's rows into the journal table (a tick settles at its own end)
    if scheduled:  # the tick says only what it sent
        report.pending = [p for p in report.pending if p.notified]
    for p in report.pending:
        run.say(i18n.text(_pending_key(run, p), run.lang, **_pending_values(p)))
        if p.last_reminded is not None and not scheduled:
            again = fmt_time(p.last_reminded + REMIND_GAP, run.config)
            run.say(i18n.text("remind_last", run.lang, at=fmt_time(p.last_reminded, run.config), again=again))
        if p.fixes is not None and not scheduled:  # what the reminder asks (or would ask) her to fix
            for line in fix_lines(run, p.fixes, indent="    "):
                run.say("  " + line)
    if scheduled:
        return report
    if open_stages and not report.pending:
        run.say(i18n.text("remind_all_complete", run.lang))
    if not send:
        run.say(i18n.text("remind_dry_run", run.lang, n=len({p.email for p in report.pending if p.due})))
    return report


def _pending_key(run: Run, p: Pending) -> str:
    """How a sheet's line ends: reminded (sent, or written to the outbox), would be (dry run), or neither."""
    if p.notified:
        return SENT_KEY if getattr(run.workspace.mailer, "delivers", True) else "remind_pending_written"
    return "remind_pending_would" if p.due else "remind_pending"


def _pending_values(p: Pending) -> dict[str, object]:
    return {"stage": p.stage, "group": p.group, "name": p.name, "email": p.email, "missing": p.missing}


def _attachment(run: Run, a: Assignment) -> str | None:
    """The sheet's file on the local workspace (attached to the reminder); None on Google (linked).
    Found under the workspace by its id (the path the manifest keeps), wherever the folder moved."""
    if run.config.backend.kind != "local" or not a.sheet_id:
        return None
    path = run.config.path(getattr(run.config.backend, "workspace", "workspace")) / a.sheet_id
    return str(path) if path.is_file() else None


def fix_lines(run: Run, fixes: Fixes, indent: str = "  ") -> list[str]:
    """What an expert must do in a sheet, as lines a person reads: "not filled" and "filled with a
    value that does not count" apart, each cell by its address, each value as it was typed."""
    lang, titles = run.lang, {a.id: a.title for a in run.state.applications}
    lines: list[str] = []
    if fixes.blank:
        lines.append(i18n.text("remind_blank_head", lang, n=fixes.blank_cells))
        lines += [
            indent + i18n.text("remind_blank_line", lang, id=der, title=titles.get(der, ""), cells=", ".join(cells))
            for der, cells in sorted(fixes.blank.items())
        ]
    if fixes.invalid:
        lines.append(i18n.text("remind_invalid_head", lang, n=len(fixes.invalid)))
        lines += [
            indent
            + i18n.text(
                "remind_invalid_line",
                lang,
                cell=p.cell,
                why=said_why(p, lang),
                id=p.application_id or "—",
                title=titles.get(p.application_id or "", ""),
            )
            for p in fixes.invalid
        ]
    if fixes.other:
        lines.append(i18n.text("remind_other_head", lang, n=len(fixes.other)))
        lines += [
            indent + i18n.text("remind_other_line", lang, cell=p.cell or "—", why=i18n.word(p.notice, lang))
            for p in fixes.other
        ]
    return lines


def reminder_body(run: Run, stage: int, held: list[tuple[Pending, Assignment]], deadline: str) -> str:
    """The reminder's text: for each sheet of hers not yet complete, what to fix and the sheet
    (attached or linked); the deadline; whom to ask."""
    lang = run.lang
    contact = rating_sheet.instructions_values(run.config, deadline, lang)["contact"]
    values = {
        "name": held[0][0].name,
        "edition": run.config.edition_name(),
        "stage": stage_title(stage, lang),
        "deadline": deadline,
        "contact": contact,
    }
    if len(held) == 1:
        pending, a = held[0]
        return i18n.text(
            "mail_remind_body",
            lang,
            missing=pending.missing,
            fixes=_fixes_text(run, pending),
            sheet=_where(run, pending, a),
            **values,
        )
    sections = [
        i18n.text(
            "remind_sheet_section",
            lang,
            n=n,
            group=unit_title(run, stage, pending.group),
            missing=pending.missing,
            fixes=_fixes_text(run, pending),
            sheet=_where(run, pending, a),
        )
        for n, (pending, a) in enumerate(held, start=1)
    ]
    return i18n.text("mail_remind_body_sheets", lang, count=len(held), sheets="\n\n".join(sections), **values)


def _where(run: Run, pending: Pending, a: Assignment) -> str:
    """The sheet as the reminder gives it: attached (local), else its link."""
    if _attachment(run, a):
        return i18n.text("remind_sheet_attached", run.lang, file=Path(a.sheet_id).name)
    return i18n.text("remind_sheet_link", run.lang, url=pending.url)


def _fixes_text(run: Run, pending: Pending) -> str:
    fixes = fix_lines(run, pending.fixes) if pending.fixes is not None else []
    return "\n".join(fixes) or i18n.text("remind_fixes_unknown", run.lang, missing=pending.missing)


def unit_title(run: Run, stage: int, group: str) -> str:
    """A group as people read it: its department's (stage 1) or faculty's (stage 2) name in the
    edition's language, the contest commission at stage 3; an id the config no longer lists, as it is."""
    config, lang = run.config, run.lang
    if stage == 1 and group in config.departments():
        return config.departments()[group][1].name(lang)
    if stage == 2 and any(f.id == group for f in config.faculties):
        return config.faculty(group).name(lang)
    return i18n.group_name(group, lang)


def tell_left_out(run: Run, stage: int) -> int:
    """At a close, each expert whose cells were not counted gets one mail naming them (DER, cell,
    why, in the edition's language); the sheet is read-only by then, so it says how it reopens.
    Once per stage and set of cells (the journal remembers); returns the mails sent."""
    from pipelines.jobs.status import left_out

    already = sent_tokens(run.edition.journal)
    # the sheet as the expert knows it: its link on Google; on the local workspace its file's name (the
    # share mail attached it), never a path on CDB's disk
    local = run.config.backend.kind == "local"
    urls = {(a.group, a.expert.email): Path(a.sheet_id).name if local else a.sheet_url for a in run.state.sheets(stage)}
    by_expert: dict[str, list[dict]] = {}
    for item in left_out(run, stage):
        by_expert.setdefault(item["expert"], []).append(item)
    problems: dict[tuple[str, str], list[Problem]] = {}
    for (s, group), found in sorted(run.state.problems.items()):
        for p in found if s == stage else []:
            if p.application_id is not None or p.notice.key in UNREADABLE_SHEET:  # as left_out takes them
                problems.setdefault((p.expert, group), []).append(p)
    sent = 0
    for email, items in sorted(by_expert.items()):
        cells = sorted(f"{i['group']}:{i['id']}:{i['cell']}" for i in items)
        token = f"left out stage {stage} {email} {'|'.join(cells)}"
        if token in already:
            continue
        body = i18n.text(
            "mail_left_out_body",
            run.lang,
            name=items[0]["expert_name"] or email,
            edition=run.config.edition_name(),
            stage=stage_title(stage, run.lang),
            **_left_out_cells(run, stage, email, sorted({i["group"] for i in items}), problems, urls),
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


def _left_out_cells(
    run: Run,
    stage: int,
    email: str,
    groups: list[str],
    problems: dict[tuple[str, str], list[Problem]],
    urls: dict[tuple[str, str], str],
) -> dict[str, str]:
    """The cells not counted and the sheet's link; an expert on two commissions: each sheet by its
    unit, with its own cells and link (a cell's address alone would not say which sheet)."""

    def cells(group: str) -> str:
        return "\n".join(fix_lines(run, fixes_of(problems.get((email, group), []))))

    if len(groups) == 1:
        return {"cells": cells(groups[0]), "url": urls.get((groups[0], email), "")}
    sections = [
        "\n".join(line for line in (unit_title(run, stage, g) + ":", cells(g), urls.get((g, email), "")) if line)
        for g in groups
    ]
    return {"cells": "\n\n".join(sections), "url": ""}
