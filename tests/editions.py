"""Whole editions that several test modules start from, each built once per test run.

`make test` runs two pytest-xdist workers; a session fixture alone is built once per worker. What
`built_once` builds goes into the run's temporary root that both workers share, under an exclusive
file lock: the first worker to ask builds it, the other waits and reuses it (the pattern of the
pytest-xdist docs, "Making session-scoped fixtures execute only once", with fcntl instead of the
filelock package). A build that failed leaves no "built" mark, so the next one to ask tries again.

The shared folder is read by many tests: a test that changes an edition works on a copy
(`copy_edition`), never on the shared folder.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli import cli
from pipelines.formats import documents

# The tester's CONTEST_* variables never leak into a demo run by a test.
CLEAN_ENV = {k: None for k in os.environ if k.startswith("CONTEST_")}
BUILT = ".built-once"


def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary root of this run, the same for every xdist worker (each has its own subfolder)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """`build(folder)` run once per test run, whichever worker asks first; returns the folder."""
    root = shared_root(tmp_path_factory)
    folder = root / name
    with open(root / f"{name}.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed, even if build raises
        if not (folder / BUILT).exists():
            if folder.exists():
                shutil.rmtree(folder)  # what a failed build left
            folder.mkdir(parents=True)
            build(folder)
            (folder / BUILT).write_text("built\n", encoding="utf-8")
    return folder


class _FakePickler(pickle.Pickler):
    """Pickles a FakeGoogle whole, but for what is not state: the parsed discovery documents (the same
    for every fake of the process) and its lock."""

    def persistent_id(self, obj):
        if obj is self.fake.discovery:
            return "discovery"
        if obj is self.fake._lock:
            return "lock"
        return None


class _FakeUnpickler(pickle.Unpickler):
    def persistent_load(self, pid):
        from google_fake.discovery import get_discovery

        return {"discovery": get_discovery, "lock": threading.RLock}[pid]()


def save_fake(fake, path: Path) -> None:
    """The fake of Google with everything it holds (files, sheets, forms, mail, requests, clock, quotas)
    written to `path`, for another worker of the run to go on from (load_fake)."""
    with open(path, "wb") as out:
        pickler = _FakePickler(out, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.fake = fake
        pickler.dump(fake)


def load_fake(path: Path):
    """A private FakeGoogle restored from save_fake: what one test does to it, no other test sees."""
    with open(path, "rb") as data:
        return _FakeUnpickler(data).load()


def demo_factory_over(fake, *, mail_lookup: bool = False) -> Callable:
    """What google_fake.demo's workspace factory gives once its fake is set up (the demo's shared drive,
    its form, Gmail on), over `fake` (one restored by load_fake): each call a new workspace.
    `mail_lookup`: the opt-in look-up of sent mail (backend.mail_lookup, the gmail.readonly scope)."""
    from google_fake.demo import DEMO_SENDER, fake_workspace, google_config

    (drive,), (form,) = fake.drives, fake.forms

    def factory(config):
        workspace = fake_workspace(
            google_config(
                config,
                shared_drive_id=drive,
                form_id=form,
                gmail=True,
                sender=DEMO_SENDER,
                mail_lookup=mail_lookup,
            ),
            fake,
        )
        workspace.stats["fake"] = fake
        return workspace

    return factory


def copy_edition(source: Path, target: Path) -> Path:
    """A private copy of an edition folder (its contest.yaml, responses and workspace) for a test
    that changes it; returns the copy's contest.yaml."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(BUILT))
    return target / "contest.yaml"


def run_demo_cli(directory: Path) -> tuple[str, Counter]:
    """`contest demo DIRECTORY` through the real CLI: what it printed, and how many times it rendered
    each kind of document (rendering is the demo's costly step; the PDF is converted, not rendered)."""
    renders: Counter = Counter()
    render = documents.render

    def counting_render(kind: str, lang: str, context: dict) -> bytes:
        renders[kind] += 1
        return render(kind, lang, context)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(documents, "render", counting_render)
        result = CliRunner().invoke(cli, ["demo", str(directory)], env=CLEAN_ENV)
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Traceback" not in result.output
    return result.stdout, renders


class GoogleCopy:
    """A private copy of an edition built once on the fake (its folder and its pickled fake): the
    edition's contest.yaml, the restored fake, and `run_at(moment)`, a Run in a new workspace over
    that fake each time, as cron's next process would have it."""

    def __init__(self, build: Path, root: Path, *, mail_lookup: bool = False):
        from pipelines.config import load_config

        self.path = copy_edition(build / "edition", root)
        self.config = load_config(self.path, environ={})
        self.fake = load_fake(build / "fake.pickle")
        self.factory = demo_factory_over(self.fake, mail_lookup=mail_lookup)

    def run_at(self, moment):
        from pipelines.config import load_config
        from pipelines.jobs.common import Run

        return Run(config=load_config(self.path, environ={}), workspace=self.factory(self.config), now=moment)


def appended_rows(request) -> list[list] | None:
    """The rows a recorded request appended to a control table (the journal): ONE batchUpdate of two
    appendCells, the table's and its written copy's (backends/google/control.py); None for any other."""
    if request.method != "spreadsheets.batchUpdate" or not isinstance(request.body, dict):
        return None
    requests = request.body.get("requests") or []
    if len(requests) != 2 or not all("appendCells" in r for r in requests):
        return None

    def value(cell: dict):
        ev = cell.get("userEnteredValue") or {}
        return next((ev[k] for k in ("stringValue", "numberValue", "boolValue") if k in ev), "")

    return [[value(c) for c in row.get("values", [])] for row in requests[0]["appendCells"]["rows"]]
