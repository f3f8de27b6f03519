"""Fixtures shared by the job tests: the demo edition just after stage 1 opened, and just after
stage 1 closed on a tie the department decided."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from editions import built_once, copy_edition
from jobkit import close_stage1_with_a_decided_tie


@pytest.fixture(scope="session")
def opened(opened_build, tmp_path_factory) -> Path:
    """The demo edition just after intake closed: stage 1 open, no sheet touched yet.

    Built once per test run for both xdist workers (opened_build, tests/conftest.py); each worker
    reads its own copy, so that a test of one worker never reads a file a test of the other is writing."""
    assert "1-кезең ашылды" in (opened_build / "tick.txt").read_text(encoding="utf-8")  # stage 1 opened
    return copy_edition(opened_build / "edition", tmp_path_factory.mktemp("opened") / "edition")


@pytest.fixture
def edition(opened, tmp_path) -> Path:
    """A private copy of the opened edition for a test that changes it."""
    target = tmp_path / "edition"
    shutil.copytree(opened.parent, target)
    return target / "contest.yaml"


@dataclass(frozen=True)
class Stage1Closed:
    config_path: Path  # a private copy of the edition
    order: list[str]  # the tied DERs in the order the department decided
    titles: dict[str, str]  # DER id -> title


@pytest.fixture(scope="session")
def stage1_closed_build(opened, tmp_path_factory) -> Path:
    """The opened edition moved on once per test run: experts scored, FIT-IS tied, the department's
    decision recorded, stage 1 closed (jobkit.close_stage1_with_a_decided_tie)."""

    def build(folder: Path) -> None:
        config_path = copy_edition(opened.parent, folder / "edition")
        order, titles = close_stage1_with_a_decided_tie(config_path)
        (folder / "tie.json").write_text(json.dumps({"order": order, "titles": titles}), encoding="utf-8")

    return built_once(tmp_path_factory, "stage1-closed", build)


@pytest.fixture
def stage1_closed(stage1_closed_build, tmp_path) -> Stage1Closed:
    """A private copy of the edition just after stage 1 closed on a decided tie."""
    tie = json.loads((stage1_closed_build / "tie.json").read_text(encoding="utf-8"))
    config_path = copy_edition(stage1_closed_build / "edition", tmp_path / "edition")
    return Stage1Closed(config_path, tie["order"], tie["titles"])
