"""Exactly once (issue 13 item 4) for the reminders: a crash at any write of the remind job, and the
job run again, still sends each expert's reminder once. (In its own module so that pytest-xdist can
run it beside the share-message crashes of tests/jobs/test_exactly_once.py, which share its helpers.)"""

from __future__ import annotations

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


def test_a_reminder_goes_out_once_whatever_write_it_crashes_at(edition, tmp_path, monkeypatch):
    base = edition  # just after the opening tick at _open_moment (tests/jobs/conftest.py)
    deadline = config_of(base).calendar.stage1_close
    simulate_experts(run_at(base, deadline - timedelta(days=4)), 1, SEED)
    before = _recipients(base)
    moment = deadline - timedelta(days=1, hours=2)
    probe = _fresh(base, tmp_path / "probe")
    calls = _crash_at(monkeypatch, -1)
    remind(run_at(probe, moment))
    monkeypatch.undo()
    writes, expected = calls[0], _recipients(probe)
    assert sum(expected.values()) == sum(before.values()) + 2
    for n in range(writes):  # every write of the job
        config_path = _fresh(base, tmp_path / f"crash-{n}")
        _crash_at(monkeypatch, n)
        with pytest.raises(Crash):
            remind(run_at(config_path, moment))
        monkeypatch.undo()
        remind(run_at(config_path, moment + timedelta(minutes=10)))
        remind(run_at(config_path, moment + timedelta(minutes=20)))
        assert _recipients(config_path) == expected, f"crash at write {n} of {writes}"


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
    moment = config_of(base).calendar.stage1_close - timedelta(days=1, hours=2)
    before = _recipients(base)
    probe = _fresh(base, tmp_path / "probe")
    calls = _crash_at(monkeypatch, -1)
    remind(run_at(probe, moment))
    monkeypatch.undo()
    writes, expected = calls[0], _recipients(probe)
    assert expected[TWO_SHEETS] == before[TWO_SHEETS] + 1
    for n in range(writes):
        config_path = _fresh(base, tmp_path / f"crash-{n}")
        _crash_at(monkeypatch, n)
        with pytest.raises(Crash):
            remind(run_at(config_path, moment))
        monkeypatch.undo()
        remind(run_at(config_path, moment + timedelta(minutes=10)))
        assert _recipients(config_path) == expected, f"crash at write {n} of {writes}"
        [reminder] = [m for m in _mails(config_path, TWO_SHEETS) if m["Subject"] == SUBJECT]
        assert len(list(reminder.iter_attachments())) == 2, f"crash at write {n}: her two sheets"
