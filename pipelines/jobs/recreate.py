"""`contest recreate-sheet STAGE EXPERT [--group G]`: an expert's rating sheet made again when it is
missing or cannot be read (issue 13 item 3), with the scores of its last frozen copy typed back in.

The previous scores are those the last close read from the frozen copy (the ratings table keeps
them, raw values included); a value that was rejected then is typed back as it was, so the expert
sees it again. The expert is told once (ports.deliver_once), and the close reads the new sheet."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pipelines import i18n
from pipelines.domain.models import Application, Assignment, Rating
from pipelines.formats import rating_sheet
from pipelines.jobs.common import JournalLedger, Run, fmt_time
from pipelines.jobs.sheets import sheet_spec
from pipelines.ports import deliver_once


class RecreateError(Exception):
    """The sheet cannot be re-created as asked; the message says why."""


def _assignment(run: Run, stage: int, email: str, group: str | None) -> Assignment:
    mine = [
        a
        for a in run.state.sheets(stage)
        if a.expert.email.strip().lower() == email.strip().lower() and (group is None or a.group == group)
    ]
    if len(mine) != 1:
        found = ", ".join(sorted(a.group for a in mine)) or "—"
        raise RecreateError(i18n.text("recreate_which", run.lang, stage=stage, email=email, groups=found))
    return mine[0]


def recreate_sheet(run: Run, stage: int, email: str, group: str | None = None) -> int:
    """Make the sheet again and type the previous scores back; returns how many cells were typed."""
    a = _assignment(run, stage, email, group)
    apps = run.state.counting()
    members = [apps[i] for i in a.application_ids if i in apps]
    groups = {g.id: g for g, _m in rating_sheet_groups(run, stage)}
    group_obj = groups.get(a.group)
    if group_obj is None:
        raise RecreateError(i18n.text("recreate_which", run.lang, stage=stage, email=email, groups=a.group))
    spec = sheet_spec(run, stage, group_obj, a.expert, members)
    ref = run.workspace.sheets.recreate(spec)
    previous = [
        r
        for r in run.state.ratings.get((stage, a.group), [])
        if r.expert_email.strip().lower() == a.expert.email.strip().lower()
    ]
    values = typed_back(run, members, previous)
    if values:
        run.workspace.sheets.write_as_expert(ref, values)
    run.state.assignments = [
        replace(x, sheet_id=ref.id, sheet_url=ref.url) if x is a else x for x in run.state.assignments
    ]
    run.commit()
    deadline = fmt_time(run.config.calendar.stage_close(stage), run.config)
    mailer = run.workspace.mailer
    key = f"recreate/{ref.key.token()}/{run.now.isoformat(timespec='seconds')}"
    body = i18n.text("recreate_mail", run.lang, name=a.expert.name, stage=stage, deadline=deadline, url=ref.url)
    subject = i18n.text("recreate_subject", run.lang, stage=stage)
    deliver_once(
        JournalLedger(run, "message"),
        key,
        lambda: mailer.notify(a.expert.email, subject, body, key=key),
        lambda: mailer.delivered(key),
    )
    run.journal(
        "recreate-sheet", "ok", {"stage": stage, "group": a.group, "expert": a.expert.email, "cells": len(values)}
    )
    run.say(
        i18n.text(
            "recreate_done", run.lang, stage=stage, group=a.group, email=a.expert.email, cells=len(values), url=ref.url
        )
    )
    return len(values)


def typed_back(run: Run, members: list[Application], previous: list[Rating]) -> dict[tuple[int, int], Any]:
    """The cells (row, column) of a sheet made for `members` that give back what the expert left in
    `previous` (scores, a rejected value as it was typed, the comment, the recusal mark)."""
    lay = rating_sheet.layout(run.config)
    by_id = {r.application_id: r for r in previous}
    values: dict[tuple[int, int], Any] = {}
    for index, app in enumerate(members):
        old = by_id.get(app.id)
        if old is None:
            continue
        row = lay.data_row(index)
        for key, col in lay.scores.items():
            value = old.scores.get(key)
            value = value if value is not None else old.raw.get(key)
            if value not in (None, ""):
                values[(row, col)] = value
        if old.comment:
            values[(row, lay.fixed["comment"])] = old.comment
        if old.recused:
            values[(row, lay.fixed["recuse"])] = "x"
    return values


def rating_sheet_groups(run: Run, stage: int):
    from pipelines.domain import assignment as assigning

    return assigning.stage_groups(run.config.organisation(), stage, run.state.candidates(stage))
