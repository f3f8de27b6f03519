"""The registry as it stood at the deadline (issue 8 item 3): an in-place edit, a resubmission and a
row removed from the export, each after intake closed, change no application's status, fields,
sheets or documents; the edit and the resubmission are recorded, shown in status as after the deadline."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from jobkit import config_of, document_digests, read_csv, run_at, table_rows, write_csv

from pipelines.cli import cli
from pipelines.jobs.tick import tick


def snapshot(config: Path, keys: set | None = None) -> dict:
    registry = (
        {r["row_key"]: r for r in table_rows(config, "registry") if r["row_key"] in keys}
        if keys
        else {r["row_key"]: r for r in table_rows(config, "registry")}
    )
    return {
        "registry": {k: (r["id"], r["status"], r["title"], r["authors"], r["reasons"]) for k, r in registry.items()},
        "assignments": sorted(map(str, table_rows(config, "assignments"))),
        "documents": document_digests(config),
    }


def status(config: Path, now) -> dict:
    result = CliRunner().invoke(
        cli, ["--config", str(config), "--now", now.isoformat(), "status", "--json"], env={"CONTEST_LANGUAGE": None}
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_edits_resubmissions_and_removed_rows_after_the_close_change_nothing(edition):
    cal = config_of(edition).calendar
    export = edition.parent / "responses.csv"
    before = snapshot(edition)
    accepted = [r for r in table_rows(edition, "registry") if r["status"] == "accepted"]
    assert accepted
    rows = read_csv(export)
    header, data = rows[0], rows[1:]
    title_col = next(i for i, h in enumerate(header) if h.startswith("3."))
    target = next(i for i, row in enumerate(data) if row[title_col] == accepted[0]["title"])
    later = "2027/02/24 10:00:00 AM GMT+5"  # stage 1 is running
    # 1. an in-place edit of an accepted response: new timestamp, changed title
    data[target] = [
        later,
        *data[target][1:title_col],
        data[target][title_col] + " (2-басылым)",
        *data[target][title_col + 1 :],
    ]
    # 2. a resubmission of another accepted DER as a new row
    other = next(row for row in data if row[title_col] == accepted[1]["title"])
    data.append(["2027/02/25 09:00:00 AM GMT+5", *other[1:]])
    # 3. a row removed from the export (the last accepted one)
    gone = next(i for i, row in enumerate(data) if row[title_col] == accepted[-1]["title"])
    del data[gone]
    write_csv(export, header, data)

    now = cal.intake_close + timedelta(days=6)
    tick(run_at(edition, now))
    tick(run_at(edition, now + timedelta(minutes=5)))  # and again: nothing recorded twice

    after = snapshot(edition, set(before["registry"]))
    diff = {k: (before["registry"].get(k), v) for k, v in after["registry"].items() if before["registry"].get(k) != v}
    assert not diff and set(after["registry"]) == set(before["registry"])
    assert after == before  # status, fields, sheets and documents as they were at the deadline
    records = [r for r in table_rows(edition, "registry") if r["row_key"] not in before["registry"]]
    # (the demo's own 21:00 submission, after the close, appears too now that --now has passed it)
    assert {r["status"] for r in records} <= {"rejected", "superseded"}  # never accepted
    [edit] = [r for r in records if r["title"].endswith("(2-басылым)")]  # the edit is kept, with its time
    assert str(edit["reasons"]).startswith('after_deadline (9.8): {"key": "reason_after_deadline_edit"')
    assert _iso(edit["submitted_at"]).startswith("2027-02-24T10:00")
    [resubmitted] = [r for r in records if _iso(r["submitted_at"]).startswith("2027-02-25T09:00")]
    assert "late (9.8)" in str(resubmitted["reasons"])
    # only a superseded row shares the id of the DER it repeats (as before the deadline)
    assert all(r["id"] not in {a["id"] for a in accepted} for r in records if r["status"] != "superseded")

    shown = status(edition, now + timedelta(minutes=6))
    late = [a for a in shown["applications"] if a["row_key"] in {r["row_key"] for r in records}]
    assert len(late) == len(records) and all(a["after_deadline"] and a["registry_status"] != "accepted" for a in late)
    assert {a["id"] for a in shown["applications"] if a["registry_status"] == "accepted"} == {a["id"] for a in accepted}
    text = CliRunner().invoke(
        cli,
        ["--config", str(edition), "--now", (now + timedelta(minutes=6)).isoformat(), "status"],
        env={"CONTEST_LANGUAGE": None},
    )
    assert "Мерзімнен кейін келген не өзгертілген жауаптар" in text.stdout  # in the edition's language


def _iso(value) -> str:
    """A time cell as ISO text: control.xlsx stores times as real dates (shown in the edition's zone)."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
