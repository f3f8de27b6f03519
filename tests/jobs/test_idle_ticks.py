"""An idle tick after intake's close does nothing a person can see (issue 23 item 7), and its
shortcuts never swallow what is due: a new export row, a spelling CDB added for a held application,
a recorded decision each still land with the next tick; a change of the state is always written
(save skips only a state the tables hold: jobs/edition.py)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

from jobkit import config_of, read_csv, run_at, table_rows, workspace_dir, write_csv
from openpyxl import load_workbook

from pipelines.backends import open_workspace
from pipelines.jobs.common import Run
from pipelines.jobs.tick import tick


def _control(config: Path) -> tuple[str, int, int]:
    """control.xlsx as it is on disk (its content and its mtime) and the journal's rows."""
    path = workspace_dir(config) / "control.xlsx"
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns, len(table_rows(config, "journal"))


def _idle(config: Path, now) -> None:
    before = _control(config)
    assert tick(run_at(config, now)) == []
    assert _control(config) == before  # not written, no journal row


def test_after_the_close_an_idle_tick_writes_nothing_and_a_new_row_is_still_recorded(edition):
    now = config_of(edition).calendar.intake_close + timedelta(days=2)
    tick(run_at(edition, now))  # whatever is due (the demo's own submission after the close, recorded)
    _idle(edition, now + timedelta(minutes=5))
    export = edition.parent / "responses.csv"
    rows = read_csv(export)
    header, data = rows[0], rows[1:]
    title = next(i for i, h in enumerate(header) if h.startswith("3."))
    new = ["2027/02/21 10:00:00 AM GMT+5", *data[0][1:title], "Кешіккен ЦБР", *data[0][title + 1 :]]
    write_csv(export, header, [*data, new])

    actions = tick(run_at(edition, now + timedelta(minutes=10)))
    assert "intake" in actions
    [late] = [r for r in table_rows(edition, "registry") if r["title"] == "Кешіккен ЦБР"]
    assert late["status"] in ("rejected", "superseded")  # recorded, never accepted (9.8)
    _idle(edition, now + timedelta(minutes=15))  # recorded once: the next tick is idle again


def test_a_spelling_and_a_reinstatement_added_after_the_close_land_with_the_next_tick(edition):
    now = config_of(edition).calendar.intake_close + timedelta(days=2)
    tick(run_at(edition, now))
    _idle(edition, now + timedelta(minutes=5))
    [held] = [r for r in table_rows(edition, "registry") if r["status"] == "held"]
    assert str(held["reasons"]).startswith("department")  # no spelling matches its department

    # CDB adds the spelling: decided again, it is held as one on time that came in after stage 1 opened
    text = edition.read_text(encoding="utf-8")
    spellings = '"Automation and Control", "АиУ"'
    assert spellings in text
    edition.write_text(text.replace(spellings, f'{spellings}, "{held["department"]}"'), encoding="utf-8")
    assert "intake" in tick(run_at(edition, now + timedelta(minutes=10)))
    [row] = [r for r in table_rows(edition, "registry") if r["id"] == held["id"] and r["row_key"] == held["row_key"]]
    assert (row["status"], row["department_id"]) == ("held", "FIT-AU")
    assert str(row["reasons"]).startswith("after_stage_opened")
    _idle(edition, now + timedelta(minutes=15))

    # and a reinstatement: accepted (then it joins stage 1: jobs/decisions.py)
    decision = (
        f"\n  - {{kind: reinstate, applications: [{held['id']}], by: CDB, at: 2027-02-21T09:30, reason: checked}}"
    )
    text = edition.read_text(encoding="utf-8")
    assert "\ndecisions: []\n" in text
    edition.write_text(text.replace("\ndecisions: []\n", f"\ndecisions:{decision}\n", 1), encoding="utf-8")
    tick(run_at(edition, now + timedelta(minutes=20)))
    [row] = [r for r in table_rows(edition, "registry") if r["id"] == held["id"] and r["row_key"] == held["row_key"]]
    assert row["status"] == "accepted"


def test_a_change_made_in_place_is_written_by_its_commit_and_an_unchanged_state_is_not(edition):
    """One workspace object for several runs (a process that runs jobs one after another): a change
    made in place is written by its commit, one never committed is not seen by the next run, and a
    state the tables hold already is not written again."""
    config = config_of(edition)
    workspace = open_workspace(config)
    now = config.calendar.intake_close + timedelta(days=2)

    def run() -> Run:
        return Run(config=config, workspace=workspace, now=now)

    first = run()
    stage = first.state.stages[1]
    stage.note = "typed in place"  # a mutable record changed where it lies
    assert run().state.stages[1].note != "typed in place"  # another run's copy does not see it
    assert first.commit() == ["stages"]
    assert run().state.stages[1].note == "typed in place"  # written, and read back by the next run
    assert [r["note"] for r in table_rows(edition, "stages") if str(r["stage"]) == "1"] == ["typed in place"]
    assert run().commit() == []  # the same state again: nothing to write


def test_a_percent_typed_over_in_the_progress_tab_is_written_anew_by_the_next_tick(edition):
    """The progress tab is anyone's to type in (never a stop); a cell the state does not read back
    (the percent) is put right by the next tick, as before the idle tick wrote nothing."""
    now = config_of(edition).calendar.intake_close + timedelta(days=2)
    tick(run_at(edition, now))
    _idle(edition, now + timedelta(minutes=5))
    path = workspace_dir(edition) / "control.xlsx"
    wb = load_workbook(path)
    was = wb["Барысы"]["G2"].value
    wb["Барысы"]["G2"] = 77
    wb.save(path)
    assert was != 77
    tick(run_at(edition, now + timedelta(minutes=10)))
    assert load_workbook(path)["Барысы"]["G2"].value == was
    _idle(edition, now + timedelta(minutes=15))
