"""Shared by every test: what the host machine may lack.

Local PDF conversion runs LibreOffice (`soffice`); a fresh machine may not have it. Tests that need it
carry `@pytest.mark.needs_libreoffice` (and `needs_libreoffice_calc` when they open a workbook with it)
and are skipped there with the reason below, so that `make test` passes with or without LibreOffice
(`.ci/run` installs it where it can).

Also the whole editions several modules start from, built once per run (see tests/editions.py)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from editions import CLEAN_ENV, built_once, copy_edition, demo_factory_over, load_fake, run_demo_cli, save_fake

from pipelines.cli import cli
from pipelines.config import load_config

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
LIBREOFFICE_INSTALLED = bool(SOFFICE)
NO_LIBREOFFICE = (
    "LibreOffice is not installed (apt-get install libreoffice-writer-nogui): "
    "this test converts or re-saves a document with it"
)
# Calc is a package of its own (Debian: libreoffice-calc-nogui); without it soffice cannot open .xlsx
CALC_INSTALLED = bool(SOFFICE) and any(Path(SOFFICE).resolve().parent.glob("libsclo.*"))
NO_CALC = (
    "LibreOffice Calc is not installed (apt-get install libreoffice-calc-nogui): "
    "this test opens or saves a workbook with it"
)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "needs_libreoffice: converts a document to PDF or saves a workbook again with LibreOffice "
        "(skipped when soffice/libreoffice is not on PATH)",
    )
    config.addinivalue_line(
        "markers", "needs_libreoffice_calc: opens or saves a workbook with LibreOffice Calc (skipped without it)"
    )
    # the modules go to the workers longest first (pytest_collection_modifyitems below), not by xdist's
    # number of tests: a module of three tests that builds a whole edition must not start last
    if config.getoption("dist", "no") == "loadscope":
        config.option.loadscopereorder = False
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist) reads the figures once
        cache = getattr(config, "cache", None)
        measured = cache.get(MODULE_SECONDS, {}) if cache is not None else {}
        config.stash[_SECONDS] = {**_committed_seconds(), **measured}


def pytest_collection_modifyitems(config, items):
    _longest_modules_first(config, items)
    for item in items:
        if not LIBREOFFICE_INSTALLED and item.get_closest_marker("needs_libreoffice"):
            item.add_marker(pytest.mark.skip(reason=NO_LIBREOFFICE))
        elif not CALC_INSTALLED and item.get_closest_marker("needs_libreoffice_calc"):
            item.add_marker(pytest.mark.skip(reason=NO_CALC))


# --- the order of modules, so that the two workers of `make test` end together ---------------------
# Each module's seconds in the last run are kept in pytest's cache (.pytest_cache); the next run hands
# the modules to the xdist workers longest first (loadscope keeps a module on one worker), so a long
# module never starts when the other worker is nearly done. A module not measured yet goes first.
MODULE_SECONDS = "contest/module-seconds"
_SECONDS = pytest.StashKey[dict]()
# A fresh clone (CI) has no cache yet: it starts from the figures of a run on this kind of machine,
# kept beside this file (`make test-seconds` writes them again from the last run's cache).
COMMITTED_SECONDS = Path(__file__).resolve().parent / "module_seconds.json"


def _committed_seconds() -> dict[str, float]:
    try:
        data = json.loads(COMMITTED_SECONDS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def _longest_modules_first(config, items) -> None:
    worker = getattr(config, "workerinput", None)
    seconds = worker.get(MODULE_SECONDS, {}) if worker is not None else config.stash.get(_SECONDS, {})
    if not seconds:
        return  # nothing measured yet: the order of collection
    unknown = max(seconds.values()) + 1.0
    items.sort(key=lambda item: -seconds.get(_module(item.nodeid), unknown))  # stable: a module's own order kept


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """pytest-xdist: every worker sorts its collection by the figures the controller read, so that all
    workers collect the same order even if the cache changes meanwhile."""
    node.workerinput[MODULE_SECONDS] = node.config.stash.get(_SECONDS, {})


_measured: Counter = Counter()


def pytest_runtest_logreport(report) -> None:
    _measured[_module(report.nodeid)] += report.duration


def pytest_sessionfinish(session) -> None:
    cache = getattr(session.config, "cache", None)
    if cache is None or not _measured or hasattr(session.config, "workerinput"):
        return  # an xdist worker: the controller got every report and keeps the figures
    seconds = {**cache.get(MODULE_SECONDS, {}), **{m: round(s, 2) for m, s in _measured.items()}}
    cache.set(MODULE_SECONDS, seconds)


# --- whole editions built once per run (tests/editions.py) -----------------------------------------
@dataclass(frozen=True)
class FinishedDemo:
    """`contest demo` run to the end through the CLI, once per test run."""

    built_in: Path  # the folder the demo ran in (its output names it); shared by every test: never changed
    output: str  # what the demo printed
    renders: Counter  # how many times it rendered each kind of document

    def copy(self, target: Path) -> Path:
        """A private copy of the finished edition at `target`; returns its contest.yaml."""
        return copy_edition(self.built_in, target)


@pytest.fixture(scope="session")
def finished_demo(tmp_path_factory) -> FinishedDemo:
    def build(folder: Path) -> None:
        output, renders = run_demo_cli(folder / "demo")
        (folder / "output.txt").write_text(output, encoding="utf-8")
        (folder / "renders.json").write_text(json.dumps(renders), encoding="utf-8")

    folder = built_once(tmp_path_factory, "finished-demo", build)
    return FinishedDemo(
        built_in=folder / "demo",
        output=(folder / "output.txt").read_text(encoding="utf-8"),
        renders=Counter(json.loads((folder / "renders.json").read_text(encoding="utf-8"))),
    )


@dataclass(frozen=True)
class GoogleEdition:
    """A private copy of the finished demo on fake Google: its folder's contest.yaml, its fake, and a
    workspace factory over that fake (each call a new workspace, as each cron run opens one)."""

    config_path: Path
    fake: object  # google_fake.FakeGoogle
    factory: Callable


@dataclass(frozen=True)
class FinishedGoogleDemo:
    """The demo run to the end on fake Google (`run_demo` with google_fake.demo's workspace factory,
    as `contest demo --backend google-fake` does), once per test run. The fake is saved whole after the
    last tick; each test restores its own copy, so tests that change it never see each other."""

    built_in: Path  # the folder the demo ran in; shared: never changed
    lines: list[str]  # what the demo printed
    operations: dict  # the demo workspace's requests per operation (stats["operations"])
    fake_file: Path

    def restore(self, target: Path) -> GoogleEdition:
        fake = load_fake(self.fake_file)
        return GoogleEdition(copy_edition(self.built_in, target), fake, demo_factory_over(fake))


@pytest.fixture(scope="session")
def finished_google_demo(tmp_path_factory) -> FinishedGoogleDemo:
    def build(folder: Path) -> None:
        from google_fake.demo import demo_workspace_factory
        from pipelines.demo import run_demo, write_edition

        made = {}
        inner = demo_workspace_factory(write_edition(folder / "demo", seed=2027))

        def factory(config):
            made["ws"] = inner(config)
            return made["ws"]

        lines = list(run_demo(folder / "demo", backend="google-fake", workspace_factory=factory))
        (folder / "lines.json").write_text(json.dumps(lines), encoding="utf-8")
        (folder / "operations.json").write_text(json.dumps(made["ws"].stats["operations"]), encoding="utf-8")
        save_fake(made["ws"].stats["fake"], folder / "fake.pickle")

    folder = built_once(tmp_path_factory, "finished-google-demo", build)
    return FinishedGoogleDemo(
        built_in=folder / "demo",
        lines=json.loads((folder / "lines.json").read_text(encoding="utf-8")),
        operations=json.loads((folder / "operations.json").read_text(encoding="utf-8")),
        fake_file=folder / "fake.pickle",
    )


# --- the demo edition on the fake early in its calendar, built once per test run (tests/editions.py):
# each folder holds edition/ and fake.pickle (the fake saved whole); restore a copy with load_fake.
@pytest.fixture(scope="session")
def google_intake_week(tmp_path_factory) -> Path:
    """After the tick of intake's first week (google_fake.demo's workspace factory, quotas enforced)."""

    def build(folder: Path) -> None:
        from google_fake.demo import demo_workspace_factory
        from pipelines.demo import write_edition
        from pipelines.jobs.common import Run
        from pipelines.jobs.tick import tick

        path = write_edition(folder / "edition", seed=2027)
        config = load_config(path, environ={})
        factory = demo_workspace_factory(path)
        tick(Run(config=config, workspace=factory(config), now=config.calendar.intake_open + timedelta(days=7)))
        save_fake(factory(config).stats["fake"], folder / "fake.pickle")

    return built_once(tmp_path_factory, "google-intake-week", build)


@pytest.fixture(scope="session")
def google_opened(google_intake_week, tmp_path_factory) -> Path:
    """google_intake_week moved on: cron's next tick minutes later opens stage 1 at intake close + 5
    minutes (applicants told, sheets shared), and five more minutes pass."""

    def build(folder: Path) -> None:
        from pipelines.jobs.common import Run
        from pipelines.jobs.tick import tick

        config = load_config(copy_edition(google_intake_week / "edition", folder / "edition"), environ={})
        fake = load_fake(google_intake_week / "fake.pickle")
        factory = demo_factory_over(fake)
        fake.sleep(300)  # cron's next tick: a new process, the quotas refilled
        tick(Run(config=config, workspace=factory(config), now=config.calendar.intake_close + timedelta(minutes=5)))
        fake.sleep(300)
        save_fake(fake, folder / "fake.pickle")

    return built_once(tmp_path_factory, "google-opened", build)


@pytest.fixture(scope="session")
def opened_build(tmp_path_factory) -> Path:
    """The demo edition (seed 2027) after `contest tick` at intake close + 5 minutes: intake closed,
    stage 1 opened, no sheet touched yet. The folder holds edition/ and tick.txt (what the tick
    printed); shared by every test of the run: copy edition/ (copy_edition) before using it."""

    def build(folder: Path) -> None:
        from pipelines.demo import write_edition

        config_path = write_edition(folder / "edition", 2027)
        now = load_config(config_path, environ={}).calendar.intake_close + timedelta(minutes=5)
        result = CliRunner().invoke(
            cli, ["--config", str(config_path), "--now", now.isoformat(), "tick"], env=CLEAN_ENV
        )
        assert result.exit_code == 0, result.output
        (folder / "tick.txt").write_text(result.stdout, encoding="utf-8")

    return built_once(tmp_path_factory, "opened", build)
