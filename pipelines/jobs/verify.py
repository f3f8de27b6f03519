"""Protocols that prove their data (issue 22; 13: change control).

At each close `record_close` appends a link to the journal: for every group decided, the SHA-256 of
the scores used and of each rating sheet's scores (domain/proof.py), with the previous link's
digest, so that no link can be changed or left out unseen. `verify` (the `contest verify` command)
walks the chain, then reads every frozen sheet again and recomputes each digest; the first break
is said in kk/ru naming the sheet and the cell.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pipelines import i18n
from pipelines.domain import proof
from pipelines.domain.models import Assignment, Rating
from pipelines.domain.state import rating_changes
from pipelines.formats import rating_sheet
from pipelines.jobs.annex import proof_digests, scope
from pipelines.jobs.common import Run
from pipelines.jobs.sheets import _from_tabs, identity, sheet_ref
from pipelines.ports import ChangedAfterFreeze, NotFound, SheetTab, Unreadable, a1

ACTION = "data-digest"


# --- at the close ----------------------------------------------------------------------------------
def _links(run: Run) -> list[dict[str, Any]]:
    """The chain's links as the journal holds them, oldest first: a row of its own (a close run as a
    command) or one job of a tick's row (a tick writes its jobs as one row). A link whose detail is
    not JSON is kept as text, so that the walk reports it."""
    out: list[dict[str, Any]] = []

    def take(at: str, detail: Any) -> None:
        if isinstance(detail, str):
            try:
                detail = json.loads(detail)
            except json.JSONDecodeError:
                pass
        out.append({"at": at, **(detail if isinstance(detail, dict) else {"unreadable": str(detail)})})

    for entry in run.edition.journal:
        if entry.action == ACTION:
            take(entry.at, entry.detail)
        for job in entry.folded:  # a tick's row: the jobs it ran
            if job.get("action") == ACTION:
                take(entry.at, job.get("detail"))
    for job in run.journal.folding:  # inside a tick, this tick's links are written at its end
        if job.get("action") == ACTION:
            take("", job.get("detail"))
    return out


def record_close(run: Run, stage: int) -> str:
    """Append this close's link (every group of the stage with an outcome); returns its digest."""
    groups = {}
    for outcome in run.state.outcomes_of(stage):
        s = scope(run, stage, outcome.group)
        if s is None:
            continue
        digest, sheets = proof_digests(run, s)
        groups[outcome.group] = {"scores": digest, "sheets": sheets}
    links = _links(run)
    previous = str(links[-1].get("chain") or proof.GENESIS) if links else proof.GENESIS
    body = {"stage": stage, "groups": groups}
    chain = proof.link_digest(previous, body)
    run.journal(ACTION, f"stage {stage}", {"previous": previous, "chain": chain, **body})
    return chain


# --- verify ----------------------------------------------------------------------------------------
@dataclass
class Report:
    links: int = 0
    sheets: int = 0
    broken: str | None = None  # the first break, said in the edition's language


def _chain_break(run: Run, links: list[dict[str, Any]]) -> str | None:
    previous = proof.GENESIS
    for n, link in enumerate(links, start=1):
        body = {"stage": link.get("stage"), "groups": link.get("groups")}
        if (
            "unreadable" in link
            or link.get("previous") != previous
            or proof.link_digest(previous, body) != link.get("chain")
        ):
            return i18n.text("verify_chain_break", run.lang, n=n, at=link.get("at", ""), stage=link.get("stage", "?"))
        previous = str(link["chain"])
    return None


def _frozen_tabs(run: Run, a: Assignment) -> tuple[list[SheetTab] | None, str]:
    """The frozen sheet's tabs, and "" or why it is not the frozen content: a frozen copy changed since
    the freeze is read from what the backend reports as changed (its content as it now stands)."""
    try:
        return run.workspace.sheets.read_tabs(sheet_ref(run, a)), ""
    except ChangedAfterFreeze as exc:
        for entry in run.workspace.sheets.changed_after_freeze():
            if entry.get("sheet") == a.sheet_id and entry.get("tabs"):
                return list(entry["tabs"]), str(exc)
        return None, str(exc)
    except (NotFound, Unreadable) as exc:
        return None, str(exc)


def _cell(run: Run, a: Assignment, tabs: list[SheetTab], app_id: str, key: str) -> str:
    """Where the DER's score for `key` sits in the sheet (its row found by the DER id)."""
    apps = run.state.counting()
    expected = [apps[i] for i in a.application_ids if i in apps]
    cells, _problems = rating_sheet.pick_tab(tabs, identity(run, a.stage, a.group, a.expert.email, expected), run.lang)
    lay = rating_sheet.layout(run.config)
    col = lay.scores.get(key, lay.fixed.get(key, lay.fixed["comment"]))
    for r, row in enumerate(cells or []):
        if any(c is not None and str(c.value).strip() == app_id for c in row):
            cell = row[col] if col < len(row) else None
            return cell.a1 if cell is not None and cell.a1 else a1(r, col)
    return "—"


def _sheet_ratings(run: Run, a: Assignment, tabs: list[SheetTab]) -> list[Rating]:
    apps = run.state.counting()
    expected = [apps[i] for i in a.application_ids if i in apps]
    ratings, _problems = _from_tabs(run, a, tabs, expected)
    return ratings


def verify(run: Run) -> Report:
    """The chain walked, then every sheet of each stage's latest link read again; the first break."""
    report = Report()
    links = _links(run)
    report.links = len(links)
    if not links:
        run.say(i18n.text("verify_nothing", run.lang))
        return report
    report.broken = _chain_break(run, links)
    if report.broken:
        run.say(report.broken)
        return report
    latest = {int(link["stage"]): link for link in links}
    keys = run.config.scoring_rules().keys
    by_sheet = {a.sheet_id: a for a in run.state.assignments}
    labels = {c.key: c.label(run.lang) for c in run.config.criteria}
    for stage, link in sorted(latest.items()):
        for group, recorded in sorted(link["groups"].items()):
            for sheet_id, digest in sorted(recorded["sheets"].items()):
                a = by_sheet.get(sheet_id)
                if a is None:
                    report.broken = i18n.text("verify_sheet_gone", run.lang, stage=stage, group=group, sheet=sheet_id)
                    run.say(report.broken)
                    return report
                tabs, why = _frozen_tabs(run, a)
                report.sheets += 1
                now = _sheet_ratings(run, a, tabs) if tabs is not None else []
                used = [
                    r
                    for r in run.state.ratings.get((stage, group), [])
                    if r.expert_email.strip().lower() == a.expert.email.strip().lower()
                    and r.application_id in a.application_ids
                ]
                if tabs is not None and proof.scores_digest(now, keys) == digest:
                    if proof.scores_digest(used, keys) == digest:
                        continue
                    report.broken = i18n.text(
                        "verify_store_break", run.lang, stage=stage, group=group, sheet=sheet_id, expert=a.expert.name
                    )
                    run.say(report.broken)
                    return report
                changes = rating_changes(used, now) if tabs is not None else []
                if changes:
                    app_id, key, old, new = changes[0]
                    report.broken = i18n.text(
                        "verify_cell_break",
                        run.lang,
                        stage=stage,
                        group=group,
                        sheet=sheet_id,
                        expert=a.expert.name,
                        cell=_cell(run, a, tabs or [], app_id, key),
                        der=app_id,
                        criterion=labels.get(key, key),
                        old="—" if old in (None, "") else old,
                        new="—" if new in (None, "") else new,
                    )
                else:
                    report.broken = i18n.text(
                        "verify_sheet_break",
                        run.lang,
                        stage=stage,
                        group=group,
                        sheet=sheet_id,
                        expert=a.expert.name,
                        detail=why or i18n.text("verify_store_changed", run.lang),
                    )
                run.say(report.broken)
                return report
    run.say(i18n.text("verify_ok", run.lang, links=report.links, sheets=report.sheets))
    return report
