"""The progress tab and `status`: per stage, group and expert, refreshed by every tick."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

from click.testing import CliRunner
from jobkit import config_of, run_at, table_rows

from pipelines.cli import cli
from pipelines.formats import rating_sheet
from pipelines.jobs.sheets import sheet_ref
from pipelines.jobs.status import progress_rows
from pipelines.jobs.tick import tick


def _rows(edition):
    """The progress tab as the pipeline reads it back (moments as ISO text; openpyxl sees dates)."""
    run = run_at(edition, config_of(edition).calendar.intake_close)
    return {(r["group"], r["expert_email"]): r for r in run.tables.read("progress")}


def test_the_tick_that_opens_stage_1_lists_every_sheet_at_zero(edition):
    config = config_of(edition)
    run = run_at(edition, config.calendar.intake_close + timedelta(hours=1))
    rows = _rows(edition)
    assert len(rows) == len(run.state.sheets(1)) > 0
    for a in run.state.sheets(1):
        row = rows[(a.group, a.expert.email)]
        assert row["stage"] == 1 and row["expert_name"] == a.expert.name
        assert (row["assigned"], row["scored"], row["percent"], row["problems"]) == (len(a.application_ids), 0, 0, 0)
        assert row["last_change"] == "" and row["ties_waiting"] == ""
        assert row["deadline"] == config.calendar.stage1_close.isoformat(timespec="seconds")
    # in control.xlsx the deadline is a date a person can sort by
    assert all(isinstance(r["deadline"], datetime) for r in table_rows(edition, "progress"))


def test_scores_typed_are_counted_and_the_moment_of_the_change_is_kept(edition):
    config = config_of(edition)
    first = config.calendar.intake_close + timedelta(days=2)
    run = run_at(edition, first)
    a = run.state.sheets(1)[0]
    lay = rating_sheet.layout(config)
    typed = {(lay.data_row(0), c): 7 for c in lay.scores.values()}  # the first DER, every criterion
    typed[(lay.data_row(1), min(lay.scores.values()))] = "8,5"  # a hurried expert's decimal comma
    run.workspace.sheets.write_as_expert(sheet_ref(run, a), typed)
    tick(run)
    row = _rows(edition)[(a.group, a.expert.email)]
    assigned = len(a.application_ids)
    assert (row["scored"], row["percent"]) == (1, round(100 / assigned))
    assert row["last_change"] == first.isoformat(timespec="seconds")
    assert row["problems"] == 1 and "бүтін сан емес" in row["problem_detail"]  # in the edition's language
    assert rating_sheet.a1(lay.data_row(1), min(lay.scores.values())) in row["problem_detail"]
    later = first + timedelta(hours=3)
    tick(run_at(edition, later))  # nothing typed since: the moment stays
    assert _rows(edition)[(a.group, a.expert.email)]["last_change"] == first.isoformat(timespec="seconds")


def test_status_json_and_text_show_progress(edition):
    config = config_of(edition)
    now = (config.calendar.intake_close + timedelta(days=1)).isoformat()
    result = CliRunner().invoke(cli, ["--config", str(edition), "--now", now, "status", "--json"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    stage = status["stages"][0]
    assert stage["deadline"] == config.calendar.stage1_close.isoformat(timespec="seconds")
    group = stage["groups"][0]
    assert len(group["progress"]) == len(group["experts"])
    entry = group["progress"][0]
    assert set(entry) == {
        "expert_email",
        "expert_name",
        "assigned",
        "scored",
        "percent",
        "last_change",
        "problems",
        "deadline",
        "ties_waiting",
    }
    assert entry["scored"] == 0 and entry["assigned"] > 0
    text = CliRunner().invoke(cli, ["--config", str(edition), "--now", now, "status"])
    assert text.exit_code == 0 and "1-кезеңнің бағалау барысы" in text.output
    assert entry["expert_email"].split("@")[0] in text.output


def test_a_tie_waiting_for_a_decision_shows_on_its_groups_rows(edition):
    from pipelines.demo import simulate_experts

    deadline = config_of(edition).calendar.stage1_close
    simulate_experts(run_at(edition, deadline - timedelta(days=3)), 1, 2027)
    assert "stage 1 waiting" in tick(run_at(edition, deadline))
    rows = table_rows(edition, "progress")
    tied = {r["group"] for r in rows if r["ties_waiting"]}
    assert tied == {"FIT-IS"}  # the demo's tie at the cut-off (tests/jobs/test_stages_job.py)
    (tie,) = run_at(edition, deadline).state.outcomes[(1, "FIT-IS")].ties
    assert all(r["ties_waiting"] == " = ".join(tie) for r in rows if r["group"] == "FIT-IS")
    careless = next(r for r in rows if r["expert_email"] == "t.sokolova@atu.edu.kz")  # typed «8 баллов»
    assert careless["scored"] == careless["assigned"] - 1 and careless["problems"] >= 1
    # status: only the group that waits says so; "not filled" and "an invalid value" are apart
    now = deadline.isoformat()
    result = CliRunner().invoke(cli, ["--config", str(edition), "--now", now, "status", "--json"])
    stage = json.loads(result.output)["stages"][0]
    assert stage["state"] == "waiting"
    states = {g["name"]: g["state"] for g in stage["groups"]}
    assert states.pop("FIT-IS") == "waiting" and set(states.values()) == {"decided"}
    groups = {g["name"]: g for g in stage["groups"]}
    careless_group = groups[careless["group"]]
    assert careless_group["sheets_invalid"] == ["t.sokolova@atu.edu.kz"]
    assert "t.sokolova@atu.edu.kz" not in careless_group["sheets_unfilled"]
    blank = next(g for g in groups.values() if "i.sidorenko@atu.edu.kz" in g["sheets_incomplete"])
    assert blank["sheets_unfilled"] == ["i.sidorenko@atu.edu.kz"] and blank["sheets_invalid"] == []
    text = CliRunner().invoke(cli, ["--config", str(edition), "--now", now, "status"]).output
    table = text[text.index("Кезеңдер") :].split("└")[0]  # the stages table alone
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in table.splitlines() if line.startswith("│ 1 ")]
    shown = {c[2]: c[1] for c in cells}  # group -> the first line of its state (a cell wraps between words)
    assert shown.pop("FIT-IS").startswith("шешім") and {v.split()[0] for v in shown.values()} == {"шешілді,"}
    assert "t.sokolova@atu.edu.kz:" in table  # on the invalid-value column, with how many cells


def test_a_closed_stages_rows_are_carried_as_they_were_read_after_its_close(edition):
    """A closed stage's sheets are frozen: its rows are carried from tick to tick (no sheet read,
    no digest), marked with the close they were read after, the same as read again."""
    config = config_of(edition)
    deadline = config.calendar.stage1_close
    run = run_at(edition, deadline - timedelta(days=1))
    lay = rating_sheet.layout(config)
    columns = sorted(lay.scores.values())
    groups: dict[str, set[str]] = {}
    for a in run.state.sheets(1):
        groups.setdefault(a.group, set()).update(a.application_ids)
    rank = {g: {i: n for n, i in enumerate(sorted(ids))} for g, ids in groups.items()}
    for a in run.state.sheets(1):  # every DER scored, a distinct total each: no tie, the stage closes
        values = {}
        for index, app_id in enumerate(a.application_ids):
            first = max(1, 10 - rank[a.group][app_id])
            for n, col in enumerate(columns):
                values[(lay.data_row(index), col)] = first if n == 0 else 5
        run.workspace.sheets.write_as_expert(sheet_ref(run, a), values)
    tick(run_at(edition, deadline))
    after = run_at(edition, deadline + timedelta(minutes=5))
    assert after.state.stage(1).closed_at is not None
    mark = f"closed {after.state.stage(1).closed_at.isoformat()}"
    tick(after)
    rows = [r for r in run_at(edition, deadline + timedelta(minutes=5)).edition.progress if r.stage == 1]
    assert rows and all(r.sheet_version == mark and r.scored == r.assigned and not r.deadline for r in rows)

    # carried, they are what reading the recorded ratings gives (read with nothing to carry, the
    # moment of the last change aside: that is the tab's own history)
    fresh = run_at(edition, deadline + timedelta(minutes=10))
    carried = [r for r in progress_rows(fresh) if r.stage == 1]
    assert carried == rows
    fresh.edition.progress = [r for r in fresh.edition.progress if r.stage != 1]
    read = [replace(r, last_change=c.last_change) for r, c in zip(progress_rows(fresh), carried) if r.stage == 1]
    assert read == carried
