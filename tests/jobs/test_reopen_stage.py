"""A stage that waits on missing ratings is reopened when CDB moves its deadline: the sheets are
writable again, the experts told the new deadline, and at that deadline the stage closes as usual."""

from __future__ import annotations

import re
import stat
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

from jobkit import config_of, files, manifest, run_at, table_rows, workspace_dir

from pipelines.formats import rating_sheet
from pipelines.jobs.sheets import sheet_ref
from pipelines.jobs.tick import tick

GROUP = "FIT-IS"


def _assignments(config_path: Path) -> list[dict]:
    return [a for a in table_rows(config_path, "assignments") if a["stage"] == 1]


def _score_everything_but(config_path: Path, now, missing: str, rater: str) -> None:
    """Every expert scores every DER (distinct totals by DER: no tie anywhere), except `missing`,
    which only `rater` scores."""
    run = run_at(config_path, now)
    lay = rating_sheet.layout(run.config)
    columns = sorted(lay.scores.values())
    groups: dict[str, list[str]] = {}
    for a in _assignments(config_path):
        groups.setdefault(a["group"], []).extend(a["application_ids"].split(","))
    rank = {g: {i: n for n, i in enumerate(sorted(set(ids)))} for g, ids in groups.items()}
    for a in run.state.sheets(1):
        ref = sheet_ref(run, a)
        values = {}
        for index, app_id in enumerate(a.application_ids):
            if app_id == missing and a.expert.email != rater:
                continue
            first = max(1, 10 - rank[a.group][app_id])
            for n, col in enumerate(columns):
                values[(lay.data_row(index), col)] = first if n == 0 else 5
        run.workspace.sheets.write_as_expert(ref, values)


def _move_deadline(config_path: Path, new) -> None:
    text = config_path.read_text(encoding="utf-8")
    text, n = re.subn(r"(?m)^(\s*stage1_close:\s*)\S+", lambda m: m.group(1) + new.strftime("%Y-%m-%dT%H:%M"), text)
    assert n == 1
    config_path.write_text(text, encoding="utf-8")


def _writable(path: Path) -> bool:
    return bool(path.stat().st_mode & stat.S_IWUSR)  # (os.access says yes to root whatever the mode)


def test_a_waiting_stage_reopens_when_the_deadline_moves_and_closes_at_the_new_one(edition):
    config = config_of(edition)
    deadline = config.calendar.stage1_close
    mine = [a for a in _assignments(edition) if a["group"] == GROUP]
    shared = set.intersection(*(set(a["application_ids"].split(",")) for a in mine))
    missing = sorted(shared)[0]  # a DER every FIT-IS expert rates
    rater, late = mine[0]["expert_email"], mine[1]["expert_email"]
    _score_everything_but(edition, deadline - timedelta(days=2), missing, rater)

    # the deadline: the DER has 1 complete rating of 2 needed, the stage waits, every sheet frozen
    assert "stage 1 waiting" in tick(run_at(edition, deadline + timedelta(minutes=5)))
    stage1 = next(r for r in table_rows(edition, "stages") if r["stage"] == 1)
    assert stage1["state"] == "waiting" and late in stage1["note"]
    sheets = manifest(edition)["sheets"]
    assert all(e["frozen"] and set(e["sharing"].values()) == {"reader"} for e in sheets.values())
    late_sheet = workspace_dir(edition) / next(a for a in mine if a["expert_email"] == late)["sheet_id"]
    assert not _writable(late_sheet)

    # CDB moves the deadline a week on: the next tick reopens the stage
    new_deadline = deadline + timedelta(days=7)
    _move_deadline(edition, new_deadline)
    outbox_before = set(files(workspace_dir(edition) / "outbox", "*.eml"))
    actions = tick(run_at(edition, deadline + timedelta(hours=1)))
    assert actions == ["stage 1 reopened"]
    stage1 = next(r for r in table_rows(edition, "stages") if r["stage"] == 1)
    assert stage1["state"] == "open" and "12.03.2027 18:00" in stage1["note"] and not stage1["closed_at"]
    sheets = manifest(edition)["sheets"]
    stage1_sheets = [e for e in sheets.values() if e["properties"]["stage"] == "1"]
    assert all(not e["frozen"] and set(e["sharing"].values()) == {"writer"} for e in stage1_sheets)
    assert not files(workspace_dir(edition) / ".frozen")
    assert _writable(late_sheet)
    told = set(files(workspace_dir(edition) / "outbox", "*.eml")) - outbox_before
    assert len(told) == len(stage1_sheets)  # every expert of the stage learns the new deadline
    for p in told:
        message = BytesParser(policy=policy.default).parsebytes(p.read_bytes())
        assert "12.03.2027 18:00" in message.get_body(("plain",)).get_content()
    journal = [r for r in table_rows(edition, "journal") if "reopen-stage 1" in str(r)]
    assert journal
    # nothing more is due before the new deadline; reopening again changes nothing
    assert tick(run_at(edition, deadline + timedelta(hours=2))) == []
    assert manifest(edition)["sheets"] == sheets

    # the late expert completes the sheet; at the new deadline the stage closes, frozen first
    run = run_at(edition, deadline + timedelta(days=3))
    lay = rating_sheet.layout(run.config)
    a = next(a for a in run.state.sheets(1) if a.expert.email == late and a.group == GROUP)
    ref = sheet_ref(run, a)
    index = a.application_ids.index(missing)
    run.workspace.sheets.write_as_expert(ref, {(lay.data_row(index), c): 7 for c in lay.scores.values()})
    actions = tick(run_at(edition, new_deadline + timedelta(minutes=5)))
    assert "stage 1 closed" in actions and "stage 2 opened" in actions
    results = {r["application_id"]: r for r in table_rows(edition, "results") if r["stage"] == 1}
    assert results[missing]["raters"] == 2
    stage1_sheets = [e for e in manifest(edition)["sheets"].values() if e["properties"]["stage"] == "1"]
    assert all(e["frozen"] and set(e["sharing"].values()) == {"reader"} for e in stage1_sheets)
    assert not _writable(late_sheet)


def test_a_stage_closed_by_hand_before_its_deadline_is_not_reopened_by_the_next_tick(edition):
    from pipelines.jobs.stages import close_stage

    config = config_of(edition)
    deadline = config.calendar.stage1_close
    mine = [a for a in _assignments(edition) if a["group"] == GROUP]
    missing = sorted(set.intersection(*(set(a["application_ids"].split(",")) for a in mine)))[0]
    _score_everything_but(edition, deadline - timedelta(days=2), missing, mine[0]["expert_email"])
    report = close_stage(run_at(edition, deadline - timedelta(days=1)), 1, force=True)  # CDB closes early, by hand
    assert not report.closed
    assert "stage 1 reopened" not in tick(run_at(edition, deadline - timedelta(hours=20)))  # deadline unmoved
    stage1 = next(r for r in table_rows(edition, "stages") if r["stage"] == 1)
    assert stage1["state"] == "waiting"
    assert all(e["frozen"] for e in manifest(edition)["sheets"].values() if e["properties"]["stage"] == "1")
