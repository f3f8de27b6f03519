"""Fixtures shared by the job tests: the demo edition just after stage 1 opened."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from jobkit import config_of, run_at

from pipelines.demo import write_edition
from pipelines.jobs.tick import tick

SEED = 2027


@pytest.fixture(scope="session")
def opened(tmp_path_factory) -> Path:
    """The demo edition just after intake closed: stage 1 open, no sheet touched yet."""
    config_path = write_edition(tmp_path_factory.mktemp("opened"), SEED)
    cal = config_of(config_path).calendar
    actions = tick(run_at(config_path, cal.intake_close + timedelta(minutes=5)))
    assert "stage 1 opened" in actions
    return config_path


@pytest.fixture
def edition(opened, tmp_path) -> Path:
    """A private copy of the opened edition for a test that changes it."""
    target = tmp_path / "edition"
    shutil.copytree(opened.parent, target)
    return target / "contest.yaml"
