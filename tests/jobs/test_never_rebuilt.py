"""An edition is never rebuilt from nothing (issue 23 item 2): with control.xlsx and the workspace's
records (contest.sqlite3) both gone, every job refuses — naming what the edition left on the disk and
how to restore it — and creates nothing; `contest restore` brings both back, consistent, and the next
tick then changes nothing and tells nobody anything."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from jobkit import config_of, files, workspace_dir

from pipelines.backends.local.lock import LOCK_NAME
from pipelines.cli import cli

CLEAN_ENV = {"CONTEST_LANGUAGE": None}
RECORDS = ("control.xlsx", "contest.sqlite3", "contest.sqlite3-wal", "contest.sqlite3-shm")
JOBS = [
    ["tick"],
    ["intake"],
    ["open-stage", "1"],
    ["open-stage", "2"],
    ["close-stage", "1"],
    ["notify"],
    ["remind"],
]


def _invoke(config_path: Path, now, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config_path), "--now", now.isoformat(), *args], env=CLEAN_ENV)


def _disk(root: Path) -> dict[str, str]:
    """Every file of the workspace by its content. The tick lock is left out: each job notes its holder there, as it should."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in files(root)
        if p.name != LOCK_NAME
    }


def _lose_everything(root: Path) -> None:
    for name in RECORDS:
        (root / name).unlink(missing_ok=True)


def _moments(config_path: Path, which: str):
    cal = config_of(config_path).calendar
    return {
        "stage 1 open": cal.stage1_close - timedelta(days=2),
        "stage 1 closed": cal.stage1_close + timedelta(hours=21),
    }[which]


@pytest.fixture(params=["stage 1 open", "stage 1 closed"])
def started(request) -> tuple[Path, object]:
    if request.param == "stage 1 open":
        config_path = request.getfixturevalue("edition")
    else:
        config_path = request.getfixturevalue("stage1_closed").config_path
    return config_path, _moments(config_path, request.param)


@pytest.mark.parametrize("job", JOBS, ids=" ".join)
def test_with_the_control_store_and_its_records_gone_every_job_refuses_and_creates_nothing(started, job):
    config_path, now = started
    root = workspace_dir(config_path)
    _lose_everything(root)
    before = _disk(root)
    result = _invoke(config_path, now, *job)
    assert result.exit_code != 0, result.output
    assert "contest restore" in result.output, result.output
    assert "байқаудың іздері бар" in result.output and "бағалау парақтары мен құжаттар" in result.output
    assert _disk(root) == before  # nothing created, nothing changed (no new database either)


def test_the_records_gone_the_workbook_left_is_refused_too(edition):
    root = workspace_dir(edition)
    (root / "contest.sqlite3").unlink()
    before = _disk(root)
    result = _invoke(edition, _moments(edition, "stage 1 open"), "tick")
    assert result.exit_code != 0 and "contest.sqlite3" in result.output, result.output
    assert "жазбалары" in result.output and "contest restore" in result.output
    assert _disk(root) == before


def test_after_contest_restore_the_next_tick_changes_nothing_and_tells_nobody(started):
    config_path, now = started
    root = workspace_dir(config_path)
    assert _invoke(config_path, now, "tick").exit_code == 0  # whatever was due is done
    sheets_before = {k: v for k, v in _disk(root).items() if k.startswith(("drive/", ".frozen/", "outbox/"))}
    _lose_everything(root)
    restored = _invoke(config_path, now, "restore")
    assert restored.exit_code == 0, restored.output
    result = _invoke(config_path, now + timedelta(minutes=5), "tick")
    assert result.exit_code == 0, result.output
    after = {k: v for k, v in _disk(root).items() if k.startswith(("drive/", ".frozen/", "outbox/"))}
    assert after == sheets_before  # no sheet made again or blanked, no message written
