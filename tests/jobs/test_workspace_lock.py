"""One lock per workspace, wherever the config lives: two config files naming one local workspace (a
copied folder, a second cron line) never run a tick at once; a tick killed on this host holds nothing
(the next one, from either config, proceeds at once); `status` shows who holds the lock since when,
and `contest unlock --reason` records why it was cleared. Real processes: the lock is the operating
system's, held by a process."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from jobkit import config_of, opened_edition, table_rows, workspace_dir

from pipelines.backends.local.lock import LOCK_NAME
from pipelines.cli import cli
from pipelines.demo import write_edition

SEED = 2027


@pytest.fixture(scope="module")
def before_open(tmp_path_factory) -> Path:
    return write_edition(tmp_path_factory.mktemp("before-open"), SEED)


def _two_configs(before_open: Path, target: Path) -> tuple[Path, Path]:
    """The edition copied to `target/first`, and a second config in `target/second` naming the same
    workspace and export (as a copied folder's config or a second cron line does)."""
    shutil.copytree(before_open.parent, target / "first")
    first = target / "first" / "contest.yaml"
    text = first.read_text(encoding="utf-8")
    assert "  path: responses.csv" in text and "  workspace: workspace" in text
    text = text.replace("  path: responses.csv", f"  path: {target / 'first' / 'responses.csv'}")
    text = text.replace("  workspace: workspace", f"  workspace: {workspace_dir(first)}")
    (target / "second").mkdir()
    second = target / "second" / "contest.yaml"
    second.write_text(text, encoding="utf-8")
    return first, second


def _contest(config_path: Path, now: str, *args: str) -> subprocess.Popen:
    code = "import sys; from pipelines.cli import main; sys.argv[0] = 'contest'; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "--config", str(config_path), "--now", now, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finished(proc: subprocess.Popen) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err


def _holding(lock: Path, proc: subprocess.Popen) -> None:
    """Wait until `proc` holds the lock (its record names it), then stop it there (SIGSTOP): a tick
    caught mid-run, however fast the machine."""
    while proc.poll() is None:
        try:
            record = json.loads(lock.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            record = {}
        if f":{proc.pid}:" in record.get("holder", ""):
            proc.send_signal(signal.SIGSTOP)
            if _database_free(lock.parent / "contest.sqlite3"):
                return
            proc.send_signal(signal.SIGCONT)  # stopped inside sqlite's own brief lock: a moment on
        time.sleep(0.001)
    raise AssertionError(f"the tick ended before it was seen holding the lock: {proc.stderr.read()}")


def _database_free(path: Path) -> bool:
    """Whether a reader can open the workspace database now. A job closing its connection holds
    sqlite's exclusive lock for the moment its WAL is folded in; a running job lets go at once (a
    reader waits up to 60 s), a stopped one never would, and that is not what the tests are about."""
    if not path.exists():
        return True
    try:
        with closing(sqlite3.connect(path, timeout=0.05)) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
    except sqlite3.OperationalError:
        return False
    return True


@pytest.fixture(scope="module")
def one_tick(before_open, tmp_path_factory) -> tuple[Counter[str], list[str], list[tuple[str, str]]]:
    """The edition one uninterrupted tick at stage 1's opening makes."""
    clean = tmp_path_factory.mktemp("clean") / "edition"
    shutil.copytree(before_open.parent, clean)
    now = (config_of(before_open).calendar.intake_close + timedelta(minutes=5)).isoformat()
    result = CliRunner().invoke(cli, ["--config", str(clean / "contest.yaml"), "--now", now, "-q", "tick"])
    assert result.exit_code == 0, result.output
    return opened_edition(clean / "contest.yaml")


def _ticks(config_path: Path) -> list[str]:
    return [r["outcome"] for r in table_rows(config_path, "journal") if r["action"] == "tick"]


def test_two_configs_naming_one_workspace_never_tick_at_once(before_open, one_tick, tmp_path):
    first, second = _two_configs(before_open, tmp_path)
    now = (config_of(first).calendar.intake_close + timedelta(minutes=5)).isoformat()
    lock = workspace_dir(first) / LOCK_NAME
    a = _contest(first, now, "tick")
    _holding(lock, a)  # the first config's tick is mid-run
    try:
        # the second config's tick, a second cron line: busy, does nothing, exit 0 (cron stays quiet)
        code, out, err = _finished(_contest(second, now, "tick"))
        assert code == 0 and "басқа tick орындалып жатыр" in err and str(a.pid) in err, err
        assert "Traceback" not in err
        # status from the second config says who holds the lock since when
        code, out, err = _finished(_contest(second, now, "status", "--json"))
        assert code == 0, err
        lease = json.loads(out)["lease"]
        assert lease["pid"] == a.pid and lease["host"] == os.uname().nodename and lease["since"], lease
        code, out, err = _finished(_contest(second, now, "status"))
        assert code == 0 and f"tick құлпы: {os.uname().nodename} компьютеріндегі {a.pid} процесі" in out, out
        # unlock cannot clear a lock whose job runs on this host: it says who holds it
        code, out, err = _finished(_contest(second, now, "unlock", "--reason", "cron line doubled"))
        assert code == 1 and str(a.pid) in err and "басқа tick орындалып жатыр" in err, err
    finally:
        a.send_signal(signal.SIGCONT)
    code, out, err = _finished(a)
    assert code == 0, err
    ticks = _ticks(first)
    assert len(ticks) == 1 and "stage 1 opened" in ticks[0], ticks  # one tick ran, the other did nothing
    assert opened_edition(first) == one_tick  # each message once, as one tick alone makes them
    code, out, err = _finished(_contest(second, now, "status", "--json"))
    assert json.loads(out)["lease"] is None  # the lock let go when its job ended


def test_a_killed_ticks_successor_proceeds_at_once(before_open, one_tick, tmp_path):
    first, second = _two_configs(before_open, tmp_path)
    opening = config_of(first).calendar.intake_close + timedelta(minutes=5)
    lock = workspace_dir(first) / LOCK_NAME
    a = _contest(first, opening.isoformat(), "tick")
    _holding(lock, a)
    a.send_signal(signal.SIGKILL)  # the tick dies mid-run, holding the lock: no cleanup at all
    a.communicate()
    assert json.loads(lock.read_text(encoding="utf-8"))["holder"]  # its record is still there
    code, out, err = _finished(_contest(second, opening.isoformat(), "status", "--json"))
    assert json.loads(out)["lease"] is None  # a gone holder holds nothing
    # the next tick, a minute later (not an hour): it proceeds and finishes the crashed one's work
    later = (opening + timedelta(minutes=1)).isoformat()
    code, out, err = _finished(_contest(second, later, "tick"))
    assert code == 0 and "tick" not in err, err
    assert opened_edition(first) == one_tick
    # unlock with nothing held: said, and the reason is in the journal
    code, out, err = _finished(_contest(first, later, "unlock", "--reason", "after the power cut"))
    assert code == 0 and "tick құлпын ешкім ұстап тұрған жоқ" in out, (out, err)
    unlocks = [r for r in table_rows(first, "journal") if r["action"] == "unlock"]
    assert [r["outcome"] for r in unlocks] == ["after the power cut"]
