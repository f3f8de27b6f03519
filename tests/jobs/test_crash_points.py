"""Writes cut in the middle, not only between them: every tick of a small edition, from intake to the
final documents (intake; intake's close and stage 1's opening; stage 1 waiting on a tie; stage 1's
close once the tie is decided and stage 2's opening; stage 2's close and stage 3's opening; stage 3's
close with the protocols, form 02, the results .docx and PDF and the outbox's last messages), runs in
a child process that dies in the middle of one of its writes (os._exit: no handler, no `finally`,
the half-written bytes left on disk), and the next tick resumes to the same edition as ticks never
interrupted.

The cuts are made at the I/O layer, on two kinds of write. Every file the local workspace writes
(control.xlsx and its backups, documents, rating sheets and their frozen copies, the outbox's
messages) goes out through os.write (files.atomic_write), which the child wraps: the write lands only
its first N bytes. The workspace database (contest.sqlite3) is written by sqlite itself, each change
one transaction: the child traces every connection's statements (sqlite's trace callback, on
sqlite3.connect) and dies as a COMMIT starts, inside its transaction. A crash between two writes is
a crash just before the next one. A power loss in the write-ahead log, cut at any byte of a tick's
last transaction, is tested below (SIGKILL inside a transaction: tests/backends/test_local_store.py).

Crash points are sampled (per tick: the first write, the last, a file's write and a commit drawn at
random; a file's write cut at a random byte); CUT_EVERY_WRITE=1 cuts every write of the edition
(slow: half an hour)."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import shutil
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jobkit import config_of, manifest, run_at, table_rows, workspace_dir

from pipelines.cli import cli
from pipelines.demo import _record_tie_decision, simulate_experts, write_edition
from pipelines.jobs.status import build_status

SEED = 2027
RESPONSES = 8  # a small edition: enough for two departments' sheets and a close
CUT = 71  # the child's exit status when it dies at a cut


class Cut:
    """The edition's writes, counted: each os.write (a file's bytes) and each sqlite COMMIT (a
    transaction of the workspace database). At write number `at` the process dies where it stands:
    an os.write lands only the first `keep` of its bytes; a COMMIT never runs (its transaction, its
    frames perhaps half in the write-ahead log, is rolled back when the database is next opened)."""

    def __init__(self, at: int | None = None, keep: float = 0.0):
        self.at, self.keep, self.writes, self.real = at, keep, 0, os.write
        self.kinds: list[str] = []  # "f" a file's write, "c" a database commit, in order

    def __call__(self, fd: int, data: Any) -> int:
        if fd in (0, 1, 2):
            return self.real(fd, data)
        self._count("f")
        if self.writes == self.at:
            view = memoryview(data)
            self.real(fd, view[: int(len(view) * self.keep)])
            os._exit(CUT)  # a crash: nothing after this line runs, the temp file stays half written
        return self.real(fd, data)

    def statement(self, sql: str) -> None:
        """sqlite's trace callback: called as each statement starts."""
        if sql.strip().upper() == "COMMIT":
            self._count("c")
            if self.writes == self.at:
                os._exit(CUT)  # a crash inside the transaction, before its commit

    def _count(self, kind: str) -> None:
        self.writes += 1
        self.kinds.append(kind)


def _tick(config_path: Path, now: datetime) -> None:
    result = CliRunner().invoke(cli, ["--config", str(config_path), "--now", now.isoformat(), "-q", "tick"])
    assert result.exit_code == 0, result.output


def _in_child(work: Callable[[], None], cut: Cut) -> tuple[int, str]:
    """Run `work` in a forked child with os.write and every sqlite connection's statements watched by
    `cut`: (its exit status, the kinds of the writes it made, Cut.kinds)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 0
        try:
            os.close(read)
            os.write = cut  # type: ignore[assignment]
            connect = sqlite3.connect

            def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
                conn = connect(*args, **kwargs)
                conn.set_trace_callback(cut.statement)
                return conn

            sqlite3.connect = traced  # type: ignore[assignment]
            work()
        except BaseException:
            status = 1
        finally:
            os.write = cut.real  # type: ignore[assignment]
            cut.real(write, "".join(cut.kinds).encode())
            os._exit(status)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        seen = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), seen


def _small_edition(folder: Path) -> Path:
    config_path = write_edition(folder, SEED)
    export = config_path.parent / "responses.csv"
    rows = list(csv.reader(io.StringIO(export.read_text(encoding="utf-8"))))
    out = io.StringIO()
    csv.writer(out).writerows(rows[: RESPONSES + 1])
    export.write_text(out.getvalue(), encoding="utf-8")
    # downloaded after the deadline (its file time): the evidence the closing tick needs (9.8)
    downloaded = (config_of(config_path).calendar.intake_close + timedelta(hours=1)).timestamp()
    os.utime(export, (downloaded, downloaded))
    return config_path


def _edition(config_path: Path) -> dict[str, Any]:
    """What resuming must give back: the control tables but the journal (a crashed tick may have
    journaled part of its work), the manifest's entries (documents, sheets, messages and their
    states), and every file of the edition by path (backups aside: a crash may add a copy)."""
    root = workspace_dir(config_path)
    data = manifest(config_path)
    tables = {
        name: table_rows(config_path, name) for name in ("registry", "stages", "assignments", "results", "ratings")
    }
    # a sheet's or document's path names the folder the edition was copied to
    tables = json.loads(
        re.sub(r'"/[^"]*?/workspace/', '"workspace/', json.dumps(tables, ensure_ascii=False, default=str))
    )
    made = sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file()
        and not p.relative_to(root).as_posix().startswith(("backups/", "contest.sqlite3"))
        and p.name != ".contest-tick.lock"
    )
    return {
        "tables": tables,
        "documents": sorted(data["documents"]),
        "sheets": {k: v.get("frozen") is not None for k, v in data["sheets"].items()},
        "messages": {k: v.get("state") for k, v in data["messages"].items()},
        "files": made,
    }


@pytest.fixture(scope="module")
def steps(tmp_path_factory) -> list[tuple[str, Path, Path, datetime, str]]:
    """The small edition tick by tick: (label, workspace before, workspace after, now, the kinds of
    the writes it made: Cut.kinds)."""
    folder = tmp_path_factory.mktemp("crash-points")
    config_path = _small_edition(folder / "edition")
    cal = config_of(config_path).calendar
    out = []

    def snapshot(name: str) -> Path:
        target = folder / name
        shutil.copytree(config_path.parent, target)
        return target

    def experts(stage: int) -> Callable[[], None]:
        close = cal.stage_close(stage)
        return lambda: simulate_experts(run_at(config_path, close - timedelta(days=3)), stage, SEED)

    def tie_decided() -> None:  # CDB records the commission's decision (as the demo does)
        close = cal.stage_close(1)
        status = build_status(run_at(config_path, close + timedelta(hours=20)))
        ties = [t for g in status["stages"][0]["groups"] for t in g["ties"]]
        assert ties, "stage 1 of the small edition waits on a tie"
        for tie in ties:
            _record_tie_decision(config_path, config_of(config_path), tie, close + timedelta(hours=16))

    plan: list[tuple[str, datetime, Callable[[], None] | None]] = [
        ("intake", cal.intake_open + timedelta(days=7), None),
        ("stage 1 opens", cal.intake_close + timedelta(minutes=5), None),
        ("stage 1 waits on a tie", cal.stage_close(1) + timedelta(minutes=5), experts(1)),
        ("stage 1 closes, stage 2 opens", cal.stage_close(1) + timedelta(hours=20), tie_decided),
        ("stage 2 closes, stage 3 opens", cal.stage_close(2) + timedelta(minutes=5), experts(2)),
        ("stage 3 closes: the final documents", cal.stage_close(3) + timedelta(minutes=5), experts(3)),
    ]
    for n, (label, now, before) in enumerate(plan):
        if before is not None:
            before()  # the experts at work: people, not the product
        start = snapshot(f"before-{n}")
        status, kinds = _in_child(lambda now=now: _tick(config_path, now), Cut())
        assert status == 0, label
        out.append((label, start, snapshot(f"after-{n}"), now, kinds))
    return out


def _points(kinds: str, rng: random.Random) -> list[int]:
    """Which writes to cut (1-based): all with CUT_EVERY_WRITE=1, else the first, the last, a file's
    write and a database commit drawn at random."""
    if os.environ.get("CUT_EVERY_WRITE") == "1":
        return list(range(1, len(kinds) + 1))
    drawn = [rng.choice([i for i, k in enumerate(kinds, 1) if k == kind] or [1]) for kind in "fc"]
    return sorted({1, len(kinds), *drawn})


def test_a_write_cut_at_any_byte_resumes_to_the_same_edition(steps, tmp_path):
    rng = random.Random(SEED)
    tried = []
    for n, (label, before, after, now, kinds) in enumerate(steps):
        assert "f" in kinds and "c" in kinds, (label, kinds)
        expected = _edition(after / "contest.yaml")
        for at in _points(kinds, rng):
            keep = rng.random()
            work = tmp_path / f"{n}-{at}"
            shutil.copytree(before, work)
            config_path = work / "contest.yaml"
            status, _ = _in_child(lambda c=config_path, t=now: _tick(c, t), Cut(at, keep))
            assert status == CUT, (label, at)
            partial = list(workspace_dir(config_path).rglob("*.partial"))
            _tick(config_path, now)  # cron's next tick (at the same moment: the same decisions)
            assert not list(workspace_dir(config_path).rglob("*.partial")), "the crashed write's temp file stays"
            got = _edition(config_path)
            kind = "a commit" if kinds[at - 1] == "c" else f"a file's write cut at {keep:.0%}"
            assert got == expected, f"{label}: write {at} of {len(kinds)}, {kind}"
            tried.append((label, at, kinds[at - 1], bool(partial)))
            shutil.rmtree(work)
    assert sum(1 for t in tried if t[3]) >= len(steps), "no cut left a half-written file behind"
    files, commits = (sum(1 for t in tried if t[2] == k) for k in "fc")
    print(f"{len(tried)} of {len(tried)} cuts ({files} file writes, {commits} commits) resumed to the same edition")
    print(f"by tick: {[(label, len(kinds), kinds.count('c')) for label, *_, kinds in steps]}; cuts: {tried}")


def _last_transaction(log: bytes) -> int:
    """Where the last transaction's frames begin in a write-ahead log (sqlite's WAL format: a 32-byte
    header, then frames of a 24-byte header and a page; a frame whose bytes 4-8 are not zero ends a
    transaction)."""
    page = int.from_bytes(log[8:12], "big")
    frame, start, last = 24 + page, 32, 32
    while start + frame <= len(log):
        if int.from_bytes(log[start + 4 : start + 8], "big"):
            if start + frame < len(log):
                last = start + frame
        start += frame
    return last


def test_the_database_cut_at_any_byte_of_its_last_transaction_resumes(steps, tmp_path):
    """contest.sqlite3 as a power loss in its last transaction of a tick leaves it (the files written
    before it all there): its write-ahead log cut at a byte of that transaction. The database opens,
    the cut transaction is gone whole, and the next tick resumes to the same edition."""
    label, before, after, now, _ = steps[1]  # stage 1 opens: sheets, share messages, the journal
    expected = _edition(after / "contest.yaml")
    probe = tmp_path / "probe"
    shutil.copytree(before, probe)
    config_path = probe / "contest.yaml"
    root = workspace_dir(config_path)

    def tick_keeping_the_log() -> None:
        reader = sqlite3.connect(root / "contest.sqlite3", isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM entries").fetchall()  # its snapshot keeps the log whole
        _tick(config_path, now)
        os._exit(0)  # no close: the log stays as the tick left it

    _in_child(tick_keeping_the_log, Cut())
    log = (root / "contest.sqlite3-wal").read_bytes()
    start = _last_transaction(log)
    assert 32 < start < len(log), "no transaction to cut"
    rng = random.Random(SEED)
    for keep in sorted({start, *rng.sample(range(start, len(log)), 3), len(log) - 1}):
        work = tmp_path / f"wal-{keep}"
        shutil.copytree(probe, work)
        (workspace_dir(work / "contest.yaml") / "contest.sqlite3-wal").write_bytes(log[:keep])
        _tick(work / "contest.yaml", now)
        assert _edition(work / "contest.yaml") == expected, f"the log cut at byte {keep} of {len(log)}"
        shutil.rmtree(work)
