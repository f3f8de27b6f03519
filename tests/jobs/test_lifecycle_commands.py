"""Moves CDB may type by hand that the calendar does not allow: refused in Kazakh or Russian, with
nothing done; `close-stage --force` before the deadline is allowed and recorded (9.4, 9.8)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from jobkit import config_of, files, manifest, run_at, table_rows, workspace_dir

from pipelines.backends.local.lock import LOCK_NAME
from pipelines.cli import cli
from pipelines.demo import write_edition
from pipelines.jobs.tick import tick


def contest(config_path: Path, now, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config_path), "--now", now.isoformat(), *args])


def test_open_stage_1_during_intake_is_refused_and_opens_nothing(tmp_path):
    config_path = write_edition(tmp_path / "ed", seed=2027)
    cal = config_of(config_path).calendar
    during = cal.intake_open + timedelta(days=3)
    tick(run_at(config_path, during))
    before = sorted(str(p) for p in files(workspace_dir(config_path)))
    result = contest(config_path, during, "open-stage", "1")
    assert result.exit_code == 1
    assert "Error: " in result.output and "өтінімдер әлі қабылдануда" in result.output
    assert "Traceback" not in result.output
    kept = ("control.xlsx", LOCK_NAME)  # the lock names who last held it: no edition data
    assert sorted(str(p) for p in files(workspace_dir(config_path)) if p.name not in kept) == [
        p for p in before if not p.endswith("control.xlsx")
    ]
    assert not manifest(config_path)["sheets"]
    assert not any(r["stage"] == 1 for r in table_rows(config_path, "stages"))


def test_open_stage_1_is_refused_in_russian_too(tmp_path):
    config_path = write_edition(tmp_path / "ed", seed=2027)
    text = config_path.read_text(encoding="utf-8").replace("language: kk", "language: ru")
    config_path.write_text(text, encoding="utf-8")
    cal = config_of(config_path).calendar
    result = contest(config_path, cal.intake_open + timedelta(days=3), "open-stage", "1")
    assert result.exit_code == 1 and "заявки ещё принимаются" in result.output


def test_open_stage_2_before_stage_1_closed_is_refused(edition):
    cal = config_of(edition).calendar
    result = contest(edition, cal.stage1_close - timedelta(days=1), "open-stage", "2")
    assert result.exit_code == 1 and "1-кезең жабылғаннан кейін" in result.output


def test_close_stage_before_the_deadline_asks_for_force_and_freezes_nothing(edition):
    cal = config_of(edition).calendar
    early = cal.stage1_close - timedelta(days=4)
    result = contest(edition, early, "close-stage", "1")
    assert result.exit_code == 1 and "--force" in result.output and "05.03.2027 18:00" in result.output
    assert not any(e["frozen"] for e in manifest(edition)["sheets"].values())
    assert next(r for r in table_rows(edition, "stages") if r["stage"] == 1)["state"] == "open"


def test_close_stage_with_force_closes_early_and_the_journal_says_so(edition):
    cal = config_of(edition).calendar
    result = contest(edition, cal.stage1_close - timedelta(days=4), "close-stage", "1", "--force")
    assert result.exit_code == 0, result.output
    assert all(e["frozen"] for e in manifest(edition)["sheets"].values() if e["properties"]["stage"] == "1")
    entries = [r for r in table_rows(edition, "journal") if str(r["action"]) == "close-stage 1"]
    assert entries and json.loads(entries[-1]["detail"])["forced_before_deadline"] is True


def test_a_tick_after_a_forced_close_does_not_close_or_reopen_again(edition):
    cal = config_of(edition).calendar
    contest(edition, cal.stage1_close - timedelta(days=4), "close-stage", "1", "--force")
    actions = tick(run_at(edition, cal.stage1_close - timedelta(days=3)))
    assert not any(a.startswith("stage 1") for a in actions)
