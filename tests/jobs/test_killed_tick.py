"""A tick killed by the operating system (SIGKILL: no exception handler, no `finally`) at arbitrary
moments of opening stage 1 — mid-transaction in the workspace database, mid-write of a sheet or a
message — is resumed by the next tick to the same edition as a tick never interrupted: the same
sheets recorded, each share message once, the same stage state."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from jobkit import config_of, opened_edition, outbox_recipients, run_at, workspace_dir

from pipelines.demo import write_edition
from pipelines.jobs.tick import tick

SEED = 2027


def _tick_process(config_path: Path, now: str) -> subprocess.Popen:
    code = "import sys; from pipelines.cli import main; sys.argv[0] = 'contest'; main()"
    args = ["--config", str(config_path), "--now", now, "-q", "tick"]
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture(scope="module")
def before_open(tmp_path_factory) -> Path:
    return write_edition(tmp_path_factory.mktemp("before-open"), SEED)


def _copy(before_open: Path, target: Path) -> Path:
    shutil.copytree(before_open.parent, target)
    return target / "contest.yaml"


def test_a_tick_killed_anywhere_resumes_to_the_same_edition(before_open, tmp_path):
    opening = config_of(before_open).calendar.intake_close + timedelta(minutes=5)
    now = opening.isoformat()
    clean = _copy(before_open, tmp_path / "clean")
    started = time.monotonic()
    proc = _tick_process(clean, now)
    assert proc.wait() == 0, proc.stderr.read() if proc.stderr else ""
    took = time.monotonic() - started
    expected = opened_edition(clean)
    assert sum(expected[0].values()) > 10 and expected[1]
    total = sum(expected[0].values())
    cut = []  # share messages out when each kill landed
    # killed at a moment of the run (before the messages, in the database's writes) and then as the
    # outbox reaches 1, half and all but one of the messages: the outbox is watched, so the kills land
    # among the messages however loaded the machine is
    for fraction, messages in ((0.35, None), (None, 1), (None, total // 2), (None, total - 1)):
        config_path = _copy(before_open, tmp_path / f"killed-{fraction}-{messages}")
        outbox = workspace_dir(config_path) / "outbox"
        proc = _tick_process(config_path, now)
        if messages is None:
            time.sleep(took * fraction)
        else:
            while proc.poll() is None and len(list(outbox.glob("**/*.eml"))) < messages:
                time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        cut.append(sum(outbox_recipients(config_path).values()))
        tick(run_at(config_path, opening + timedelta(minutes=5)))
        assert opened_edition(config_path) == expected, f"killed at {fraction or messages} ({took:.1f} s run)"
    assert any(0 < n < total for n in cut), f"no kill landed among the share messages: {cut} of {total}"
    print(f"a tick of {took:.1f} s killed with {cut} of {total} messages out: each resumed to the same edition")
