"""Returned sheets file themselves: CDB saves the sheets experts mail back in the workspace's inbox/
(any name, any subfolder); each tick and each stage close files every one by the identity it
carries (rating_sheet.SheetIdentity: edition, stage, group, expert and what the sheet was made for)
into its sheet's place, and says in one line what it filed where. A file it cannot file stays whole
under inbox/not-filed/ and is said with why: not a rating sheet, a sheet of another edition or of
nobody in this one, a sheet of a stage already closed, a sheet made for another list of DERs, an
older copy than the one in place."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines import i18n
from pipelines.domain.models import Assignment, Notice
from pipelines.domain.state import StageState
from pipelines.formats.rating_sheet import SheetIdentity, find_identities
from pipelines.jobs.common import Run, fmt_time, stage_title
from pipelines.jobs.sheets import identity, sheet_ref
from pipelines.ports import BackendError, Inbox, Returned


@dataclass
class InboxReport:
    filed: list[str] = field(default_factory=list)  # the files put in their sheets' places
    not_filed: list[str] = field(default_factory=list)  # the files set aside, each said with why


def file_returned(run: Run) -> InboxReport:
    """File every sheet waiting in the inbox (nothing to do, nothing said, when it is empty)."""
    report = InboxReport()
    inbox = run.workspace.inbox
    if inbox is None:
        return report
    for item in inbox.waiting():
        try:
            _file_one(run, inbox, item, report)
        except BackendError as exc:  # one file that cannot be moved never stops the others
            run.say(i18n.text("inbox_failed", run.lang, name=item.name, error=i18n.error_text(exc, run.lang)))
    return report


def _file_one(run: Run, inbox: Inbox, item: Returned, report: InboxReport) -> None:
    why, a = _match(run, item)
    if why is None and a is not None:
        ref = sheet_ref(run, a)
        placed_at, placed_digest = inbox.saved(ref)
        if placed_digest == item.digest:
            where = inbox.file(item, ref)  # the same file again: the original joins the filed ones
            run.say(i18n.text("inbox_same", run.lang, name=item.name, path=where))
            report.filed.append(item.name)
            return
        if item.saved is not None and placed_at is not None and item.saved < placed_at:
            why = Notice(
                "inbox_why_older", saved=fmt_time(item.saved, run.config), placed=fmt_time(placed_at, run.config)
            )
        else:
            where = inbox.file(item, ref)
            run.journal("inbox", "filed", {"file": item.name, "to": where})
            run.say(
                i18n.text(
                    "inbox_filed",
                    run.lang,
                    name=item.name,
                    path=where,
                    expert=a.expert.name or a.expert.email,
                    stage=stage_title(a.stage, run.lang),
                    group=a.group,
                )
            )
            report.filed.append(item.name)
            return
    assert why is not None
    aside = inbox.set_aside(item)
    run.journal("inbox", "not filed", {"file": item.name, "why": why.key, "kept": aside})
    run.say(i18n.text("inbox_not_filed", run.lang, name=item.name, why=i18n.word(why, run.lang), kept=aside))
    report.not_filed.append(item.name)


def _match(run: Run, item: Returned) -> tuple[Notice | None, Assignment | None]:
    """The assignment whose sheet this file is, or why it is none (13 item 1: a sheet is known by
    its identity, never by its name or where it was saved)."""
    if not item.readable:
        return Notice("inbox_why_unreadable"), None
    found: list[SheetIdentity] = [ident for tab in item.tabs for ident, _cell in find_identities(tab.cells)]
    if not found:
        return Notice("inbox_why_not_sheet"), None
    ident = found[0]
    if ident.edition != run.edition_key:
        return Notice("inbox_why_other_edition", edition=ident.edition), None
    a = next(
        (x for x in run.state.sheets(ident.stage) if x.group == ident.group and x.expert.email == ident.expert),
        None,
    )
    if a is None:
        return Notice("inbox_why_unknown", expert=ident.expert, stage=ident.stage, group=ident.group), None
    if run.state.stage(a.stage).state is not StageState.OPEN:
        return Notice("inbox_why_closed", stage=stage_title(a.stage, run.lang)), None
    apps = run.state.counting()
    expected = identity(run, a.stage, a.group, a.expert.email, [apps[i] for i in a.application_ids if i in apps])
    if ident.checksum != expected.checksum:
        return Notice("inbox_why_other_list"), None
    return None, a
