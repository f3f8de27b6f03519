"""The cyclic collector is paused for bulk work and always back as it was afterwards."""

from __future__ import annotations

import gc

import pytest

from pipelines.bulk import collector_paused


@pytest.fixture(autouse=True)
def collector_on():
    gc.enable()
    yield
    gc.enable()


def test_paused_inside_and_back_after():
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_back_after_an_error():
    with pytest.raises(ValueError):
        with collector_paused():
            raise ValueError("a bad row")
    assert gc.isenabled()


def test_nested_blocks_keep_it_paused_until_the_outermost_ends():
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_left_off_when_it_was_off():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_the_intake_reads_with_it_paused_and_leaves_it_on(tmp_path):
    from datetime import timedelta

    from pipelines.backends import open_workspace
    from pipelines.config import load_config
    from pipelines.demo import write_edition
    from pipelines.jobs.common import Run
    from pipelines.jobs.intake import read_applications

    config = load_config(write_edition(tmp_path, seed=2027))
    run = Run(config=config, workspace=open_workspace(config), now=config.calendar.intake_close + timedelta(minutes=5))
    apps, _ = read_applications(run)
    assert apps and gc.isenabled()
    run.state.applications = []
    run.commit()
    assert gc.isenabled()
