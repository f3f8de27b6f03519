"""Exactly once (issue 13 item 4) for the reminders: a crash at any write of the remind job, and the
job run again, still sends each expert's reminder once. (In its own module so that pytest-xdist can
run it beside the share-message crashes of tests/jobs/test_exactly_once.py, which share its helpers.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from jobkit import SEED, TWO_SHEETS, config_of, files, run_at, two_sheets_edition, workspace_dir
from test_exactly_once import Crash, _crash_at, _fresh, _recipients

from pipelines import i18n
from pipelines.demo import simulate_experts
from pipelines.jobs.remind import remind


def _crashed_and_run_again(base: Path, moment, tmp_path: Path, monkeypatch) -> Iterator[tuple[Path, str]]:
    """The remind job at `moment` on a copy of `base` crashed at each of its writes in turn, then run
    again 10 and 20 minutes later: each copy, with what its mail must match (the run that did not
    crash, first: `probe` in the folder), and a label for the assertion."""
    probe = _fresh(base, tmp_path / "probe")
    calls = _crash_at(monkeypatch, -1)
    remind(run_at(probe, moment))
    monkeypatch.undo()
    yield probe, "no crash"
    for n in range(calls[0]):  # every write of the job
        config_path = _fresh(base, tmp_path / f"crash-{n}")
        _crash_at(monkeypatch, n)
        with pytest.raises(Crash):
            remind(run_at(config_path, moment))
        monkeypatch.undo()
        remind(run_at(config_path, moment + timedelta(minutes=10)))
        remind(run_at(config_path, moment + timedelta(minutes=20)))
        yield config_path, f"crash at write {n} of {calls[0]}"


def test_a_reminder_goes_out_once_whatever_write_it_crashes_at(edition, tmp_path, monkeypatch):
    base = edition  # just after the opening tick at _open_moment (tests/jobs/conftest.py)
    deadline = config_of(base).calendar.stage1_close
    simulate_experts(run_at(base, deadline - timedelta(days=4)), 1, SEED)
    before = _recipients(base)
    runs = _crashed_and_run_again(base, deadline - timedelta(days=1, hours=2), tmp_path, monkeypatch)
    probe, _ = next(runs)
    expected = _recipients(probe)
    assert sum(expected.values()) == sum(before.values()) + 2
    for config_path, label in runs:
        assert _recipients(config_path) == expected, label


SUBJECT = i18n.text("mail_remind_subject", "kk")


def _mails(config_path: Path, to: str) -> list:
    read = BytesParser(policy=policy.default).parsebytes
    return [
        m
        for m in (read(p.read_bytes()) for p in files(workspace_dir(config_path) / "outbox", "*.eml"))
        if m["To"] == to
    ]


def test_an_expert_with_two_sheets_gets_her_one_reminder_once_whatever_write_it_crashes_at(tmp_path, monkeypatch):
    """One reminder names both sheets of an expert on two commissions: the ledger's key is hers, so a
    crash at any write, and the job run again, never sends it twice nor one per sheet."""
    base = two_sheets_edition(tmp_path / "base" / "edition")
    before = _recipients(base)
    moment = config_of(base).calendar.stage1_close - timedelta(days=1, hours=2)
    runs = _crashed_and_run_again(base, moment, tmp_path, monkeypatch)
    probe, _ = next(runs)
    expected = _recipients(probe)
    assert expected[TWO_SHEETS] == before[TWO_SHEETS] + 1
    for config_path, label in [(probe, "no crash"), *runs]:
        assert _recipients(config_path) == expected, label
        [reminder] = [m for m in _mails(config_path, TWO_SHEETS) if m["Subject"] == SUBJECT]
        assert len(list(reminder.iter_attachments())) == 2, f"{label}: her two sheets"
