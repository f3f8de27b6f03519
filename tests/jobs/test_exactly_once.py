"""Exactly once (issue 13 item 4): every message to a person is recorded as intended before it is
sent and as sent after; a crash between the two is resolved on the next run. Crashes are injected
at the operating system's file replace (every write of the local workspace is one), at every write
of one job, and the job is then run again."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from jobkit import config_of, files, run_at, workspace_dir

from pipelines.demo import write_edition
from pipelines.jobs.tick import tick

SEED = 2027


class Crash(BaseException):
    """The process dies here (not an Exception: nothing may catch it on the way)."""


def _recipients(config_path: Path) -> Counter[str]:
    out: Counter[str] = Counter()
    for path in files(workspace_dir(config_path) / "outbox", "*.eml"):
        out[BytesParser(policy=policy.default).parsebytes(path.read_bytes())["To"]] += 1
    return out


def _crash_at(monkeypatch, n: int, seen: list[str] | None = None) -> list[int]:
    """os.replace raises Crash on its n-th call (0-based); returns the call counter. `seen` gets
    every destination."""
    real, calls = os.replace, [0]

    def replace(src, dst, *a, **k):
        calls[0] += 1
        if seen is not None:
            seen.append(str(dst))
        if calls[0] - 1 == n:
            raise Crash(f"crash at write {n}: {dst}")
        return real(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", replace)
    return calls


@pytest.fixture(scope="module")
def before_open(tmp_path_factory) -> Path:
    return write_edition(tmp_path_factory.mktemp("before-open"), SEED)


def _fresh(before_open: Path, tmp_path: Path) -> Path:
    target = tmp_path / "edition"
    shutil.copytree(before_open.parent, target)
    return target / "contest.yaml"


def _open_moment(config_path: Path):
    return config_of(config_path).calendar.intake_close + timedelta(minutes=5)


def test_share_messages_once_whatever_write_the_opening_crashes_at(before_open, tmp_path, monkeypatch):
    clean = _fresh(before_open, tmp_path / "clean")
    seen: list[str] = []
    calls = _crash_at(monkeypatch, -1, seen)
    tick(run_at(clean, _open_moment(clean)))
    monkeypatch.undo()
    writes, expected = calls[0], _recipients(clean)
    assert sum(expected.values()) > 10
    # every write around the first sheet's share message (sheet, manifest, intent, .eml, sent), the
    # first, a middle and the last write: each run costs seconds
    mails = [i for i, dst in enumerate(seen) if dst.endswith(".eml")]
    points = sorted({i + d for i in mails[:1] for d in (-3, -2, -1, 0, 1)})
    if os.environ.get("CONTEST_LONG_PROFILE"):  # the long profile adds the first, a middle and the last write
        points = sorted(set(points) | {0, writes // 2, writes - 1})
    for n in points:
        config_path = _fresh(before_open, tmp_path / f"crash-{n}")
        _crash_at(monkeypatch, n)
        with pytest.raises(Crash):
            tick(run_at(config_path, _open_moment(config_path)))
        monkeypatch.undo()
        tick(run_at(config_path, _open_moment(config_path) + timedelta(minutes=5)))
        assert _recipients(config_path) == expected, f"crash at write {n} of {writes}"
    print(f"share messages: {len(points)} crash points of {writes} writes, each resumed to one message per sheet")
