"""Rating sheets as the jobs use them: the spec of one expert's sheet, its reference, reading it
back. Shared by opening, closing, reminding and status, so that none of them reads another's data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial

from pipelines import i18n
from pipelines.domain.models import Application, Assignment, Expert, Group, Notice, Problem, Rating
from pipelines.domain.state import FreezeEdit, ProgressRow, rating_changes
from pipelines.formats import rating_sheet
from pipelines.jobs.common import Run, fmt_time, stage_title
from pipelines.ports import (
    BackendError,
    ChangedAfterFreeze,
    NotFound,
    SheetKey,
    SheetRef,
    SheetSpec,
    SheetTab,
    Unreadable,
)


def share_message(run: Run, stage: int, group_name: str, deadline: str, file: str = "") -> str:
    """The notification of a new sheet; on the local workspace it says how the sheet comes back."""
    message = i18n.text(
        "doc_share",
        run.lang,
        edition=run.config.edition_name(),
        stage=stage_title(stage, run.lang),
        group=group_name,
        deadline=deadline,
    )
    if run.config.backend.kind == "local" and file:
        message += "\n\n" + i18n.text("doc_share_return_local", run.lang, file=file)
    return message


def identity(run: Run, stage: int, group_id: str, email: str, apps: list[Application]) -> rating_sheet.SheetIdentity:
    """What the sheet of this expert, stage and group must carry (13 item 1)."""
    return rating_sheet.sheet_identity(
        run.config, edition=run.edition_key, stage=stage, group=group_id, expert=email, applications=apps
    )


def sheet_spec(run: Run, stage: int, group: Group, expert: Expert, apps: list[Application]) -> SheetSpec:
    deadline = fmt_time(run.config.calendar.stage_close(stage), run.config)
    grid = rating_sheet.build_grid(
        identity=identity(run, stage, group.id, expert.email, apps),
        config=run.config,
        stage=stage,
        group_name=group.name,
        expert=expert,
        applications=apps,
        deadline_text=deadline,
        lang=run.lang,
    )
    name = f"form02_s{stage}_{group.id}_{expert.email.split('@')[0]}"
    return SheetSpec(
        key=SheetKey(run.edition_key, stage, group.id, expert.email),
        name=name,
        folder=[f"stage-{stage}", group.id, "sheets"],
        grid=grid,
        expert_name=expert.name,
        deadline_text=deadline,
        share_message=share_message(run, stage, group.name, deadline, f"{name}.xlsx"),
        share_subject=i18n.text(
            "share_subject", run.lang, edition=run.config.edition_name(), group=group.name, deadline=deadline
        ),
    )


def sheet_ref(run: Run, a: Assignment) -> SheetRef:
    return SheetRef(SheetKey(run.edition_key, a.stage, a.group, a.expert.email), a.sheet_id, a.sheet_url)


UNREADABLE_SHEET = ("why_sheet_missing", "why_sheet_unreadable")  # the keys of `unreadable`'s problems


def unreadable(run: Run, a: Assignment, exc: BackendError) -> Problem:
    """A sheet that is missing or cannot be read, as a problem saying what to do (13 item 3)."""
    key = UNREADABLE_SHEET[0] if isinstance(exc, NotFound) else UNREADABLE_SHEET[1]
    said = isinstance(exc.__cause__, i18n.Said) or isinstance(getattr(exc, "said", None), i18n.Said)
    error = i18n.error_text(exc, run.lang) if said else str(exc.message or exc)
    return Problem(
        a.expert.email, None, a.sheet_url, Notice(key, email=a.expert.email, error=error, stage=a.stage, group=a.group)
    )


def read_assignment(run: Run, a: Assignment, *, require_complete: bool = False) -> tuple[list[Rating], list[Problem]]:
    """One expert's ratings and the problems in their sheet. A sheet that is missing or cannot be
    read, or is not this expert's (its identity, 13 item 1), is a problem and nothing is counted;
    any other failure (a full disk, a refused permission, Google down) is raised: `Error:` and the
    next tick resumes."""
    apps = run.state.counting()
    expected = [apps[i] for i in a.application_ids if i in apps]
    try:
        tabs = run.workspace.sheets.read_tabs(sheet_ref(run, a))
    except ChangedAfterFreeze as exc:  # the ratings an earlier close recorded are the frozen ones
        key = (a.stage, a.group)
        kept = [r for r in run.state.ratings.get(key, []) if r.expert_email == a.expert.email]
        if not kept:
            return [], [unreadable(run, a, exc)]
        return kept, [p for p in run.state.problems.get(key, []) if p.expert == a.expert.email]
    except (NotFound, Unreadable) as exc:
        return [], [unreadable(run, a, exc)]
    return _from_tabs(run, a, tabs, expected, require_complete)


def _from_tabs(
    run: Run, a: Assignment, tabs: list[SheetTab], expected: list[Application], require_complete: bool = False
) -> tuple[list[Rating], list[Problem]]:
    cells, problems = rating_sheet.pick_tab(tabs, identity(run, a.stage, a.group, a.expert.email, expected), run.lang)
    if cells is None:
        return [], problems
    ratings, found = rating_sheet.read_sheet(
        cells=cells,
        expected=expected,
        expert_email=a.expert.email,
        config=run.config,
        lang=run.lang,
        require_complete=require_complete,
    )
    return ratings, problems + found


def live_assignment(run: Run, a: Assignment, *, require_complete: bool = False) -> tuple[list[Rating], list[Problem]]:
    """`read_assignment` of an open stage's sheet, read once per tick: the reminders and the progress
    tab ask for the same sheets in one tick (Run.reads). Outside a tick, read every time."""
    # read once with every blank named; a caller that did not ask for blanks does not get them
    key = (a.stage, a.group, a.expert.email, a.sheet_id, tuple(a.application_ids))
    ratings, problems = run.reads.get(key, partial(read_assignment, run, a, require_complete=True))
    return list(ratings), [p for p in problems if require_complete or p.notice.key != "why_blank"]


# the problems of a value typed that does not count (form 02: a whole number min..max)
INVALID_VALUE = ("why_not_number", "why_not_whole", "why_out_of_range", "why_formula")


@dataclass
class Fixes:
    """What an expert must still do in one sheet, cell by cell: the score cells not filled (by DER),
    the cells filled with a value that does not count (the problem keeps the cell and what was
    typed), and anything else found (a row deleted, a header changed, the sheet unreadable)."""

    blank: dict[str, list[str]]
    invalid: list[Problem]
    other: list[Problem]

    @property
    def blank_cells(self) -> int:
        return sum(len(cells) for cells in self.blank.values())


def sheet_fixes(run: Run, a: Assignment) -> Fixes:
    """The cells of an open sheet the expert must fill or put right (the reminders name them)."""
    _ratings, problems = live_assignment(run, a, require_complete=True)
    return fixes_of(problems)


def said_why(p: Problem, lang: str) -> str:
    """A problem in words; for a value typed that does not count, why, with the value as typed, on one line («8,5»): a problem an
    older version stored with the value's repr ('8,5' with a literal \\n) is worded again from its raw."""
    notice = p.notice
    if notice.key not in INVALID_VALUE:
        return i18n.word(notice, lang)
    if isinstance(p.raw, str) and "value" in notice.values:
        notice = Notice(notice.key, **{**notice.values, "value": rating_sheet.typed(p.raw)})
    why = i18n.word(notice, lang)
    shown = rating_sheet.typed(p.raw) if p.raw is not None else ""
    return why if not shown or shown in why or str(p.raw) in why else f"{why}: {shown}"


def fixes_of(problems: list[Problem]) -> Fixes:
    """Problems of one expert's sheet sorted into what was not filled, what was filled with a value
    that does not count, and the rest."""
    fixes = Fixes({}, [], [])
    for p in problems:
        if p.notice.key == "why_blank" and p.application_id:
            fixes.blank.setdefault(p.application_id, []).append(p.cell)
        elif p.notice.key in INVALID_VALUE:
            fixes.invalid.append(p)
        else:
            fixes.other.append(p)
    return fixes


@dataclass
class Pending:
    stage: int
    group: str
    email: str
    name: str
    missing: int
    url: str
    notified: bool = False
    fixes: Fixes | None = None  # read when the expert is reminded (or `remind` lists by hand)
    due: bool = False  # a reminder is due now: sent, or would be (remind --dry-run)
    last_reminded: datetime | None = None  # her last reminder, when under 24 hours ago


def sheet_versions(run: Run, stage: int) -> dict[str, str]:
    """Each open sheet's stamp with the DERs it is for, by sheet id ('' where the backend gives
    none): RatingSheets.versions, asked once per tick and stage (the reminders and the progress tab
    share it; on Google it is one files.list)."""

    def read() -> dict[str, str]:
        sheets = run.state.sheets(stage)
        stamps = run.workspace.sheets.versions([sheet_ref(run, a) for a in sheets])
        return {a.sheet_id: version_of(a, stamps) for a in sheets}

    return dict(run.reads.get(("versions", stage), read))


def version_of(a: Assignment, stamps: dict[str, str]) -> str:
    """The sheet's stamp with the DERs it is for ('' when the backend gives none: read it)."""
    stamp = stamps.get(a.sheet_id, "")
    return f"{stamp}|{','.join(a.application_ids)}" if stamp else ""


def _unscored_as_seen(row: ProgressRow | None, a: Assignment, version: str) -> int | None:
    """How many of the sheet's DERs are neither scored nor recused, from its progress tab row when
    that row was read from this very version of the sheet; None: read the sheet. A row a person
    typed over is not trusted; a row with problems and nothing scored is read again: the sheet may
    be unreadable, which the reminders say."""
    if row is None or not version or row.sheet_version != version or not row.counts_trusted:
        return None
    assigned, scored = row.assigned or 0, row.scored or 0  # whole numbers: counts_trusted
    if (row.problems and not scored) or assigned != len(a.application_ids):
        return None
    return assigned - scored


def incomplete_sheets(run: Run, stage: int) -> list[Pending]:
    """Experts whose sheet still lacks complete ratings (nothing is frozen here). A DER the expert
    recused needs no score. A sheet untouched since the progress tab read it (its version, as
    sheet_versions gives it, is the row's) is not read again: the row says how many are left."""
    out = []
    versions = sheet_versions(run, stage)
    rows = {r.key: r for r in run.edition.progress}
    for a in run.state.sheets(stage):
        row = rows.get((stage, a.group, a.expert.email))
        missing = _unscored_as_seen(row, a, versions.get(a.sheet_id, ""))
        if missing is None:
            ratings, problems = live_assignment(run, a)
            if not ratings and problems and problems[0].application_id is None:
                error = i18n.word(problems[0].notice, run.lang)
                run.say(i18n.text("remind_unreadable", run.lang, email=a.expert.email, error=error))
            done = {r.application_id for r in ratings if r.complete or r.recused}
            missing = len([i for i in a.application_ids if i not in done])
        if missing:
            out.append(Pending(stage, a.group, a.expert.email, a.expert.name, missing, a.sheet_url))
    return out


def changed_after_freeze(run: Run, *, record: bool = True) -> list[FreezeEdit]:
    """Frozen sheets edited since their freeze, each said once per run (tick, status, audit):
    which sheet, whose, its revision and which values differ from the ones the close used. With
    `record` (tick, audit) an edit not seen before is kept in the edition's `freeze_edits` table
    and the protocol extract of its group gets it in its annex; the scores used stay the frozen ones."""
    by_sheet = {a.sheet_id: a for a in run.state.assignments}
    found = []
    for entry in run.workspace.sheets.changed_after_freeze():
        a = by_sheet.get(entry["sheet"])
        changes = _changes(run, a, entry.get("tabs") or []) if a is not None else ""
        found.append(
            FreezeEdit(
                run.now,
                a.stage if a else 0,
                a.group if a else "",
                entry.get("expert") or (a.expert.email if a else ""),
                entry["sheet"],
                str(entry.get("revision") or ""),
                changes,
                Notice(str(entry["notice"])),
            )
        )
    for e in found:
        detail = i18n.word(e.notice, run.lang)
        run.say(
            i18n.text(
                "audit_changed_after_freeze",
                run.lang,
                sheet=e.sheet,
                expert=e.expert,
                detail=f"{e.changes or detail} ({e.revision})" if e.revision else e.changes or detail,
            )
        )
    if record and run.state.note_freeze_edits(found):
        from pipelines.jobs.paperwork import annex_freeze_edits

        run.commit()
        annex_freeze_edits(run, {(e.stage, e.group) for e in found})
    return found


def _changes(run: Run, a: Assignment, tabs: list[SheetTab]) -> str:
    """The values that differ between the close's ratings and the changed sheet, by DER and
    criterion: "DER-0001 / Criterion: 8 → 2"."""
    if not tabs:
        return ""
    apps = run.state.counting()
    expected = [apps[i] for i in a.application_ids if i in apps]
    now, problems = _from_tabs(run, a, tabs, expected)
    if not now and problems:
        return "; ".join(i18n.word(p.notice, run.lang) for p in problems[:3])
    used = [r for r in run.state.ratings.get((a.stage, a.group), []) if r.expert_email == a.expert.email]
    labels = {c.key: c.label(run.lang) for c in run.config.criteria}
    return "; ".join(
        f"{app_id} / {labels.get(key, key)}: {_shown(old)} → {_shown(new)}"
        for app_id, key, old, new in rating_changes(used, now)
    )


def _shown(value: object) -> str:
    return "—" if value in (None, "") else str(value)
