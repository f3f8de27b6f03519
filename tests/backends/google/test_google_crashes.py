"""The tick that opens stage 1 (every folder, rating sheet and share of the stage) killed at one
request after another, before or just after Google applied it; the next tick (a new process, once
the crashed tick's lease lapsed) finishes the work: every sheet once, every expert told once, no
file twice. The number of crash points tried goes to docs/reliability.md."""

from __future__ import annotations

import os
from collections import Counter
from datetime import timedelta

import pytest
from editions import copy_edition, demo_factory_over, load_fake

from google_fake.server import SimulatedCrash
from pipelines.config import load_config
from pipelines.jobs.common import Run
from pipelines.jobs.tick import LEASE_SECONDS, tick

# CI tries 3 points (6 crashes); CONTEST_LONG_PROFILE=1 tries 12 (24 crashes), a few minutes
POINTS = [1, 2, 5, 10, 20, 40, 60, 90, 120, 160, 200, 250] if os.environ.get("CONTEST_LONG_PROFILE") else [1, 10, 60]


def _edition(google_intake_week, root, crash: tuple[int, bool] | None):
    config = load_config(copy_edition(google_intake_week / "edition", root / "edition"))
    fake = load_fake(google_intake_week / "fake.pickle")
    factory = demo_factory_over(fake)
    cal = config.calendar
    fake.sleep(300)  # cron's next tick, minutes later: a new process starts with an empty rate limiter
    opening = cal.intake_close + timedelta(minutes=5)
    crashed = False
    if crash is not None:
        fake.crash_at(crash[0], after_apply=crash[1])
    try:
        tick(Run(config=config, workspace=factory(config), now=opening))
    except SimulatedCrash:
        crashed = True
    later = opening + timedelta(seconds=LEASE_SECONDS + 60)  # the crashed tick's lease has lapsed
    fake.sleep(300)
    tick(Run(config=config, workspace=factory(config), now=later))  # a new process
    state = Run(config=config, workspace=factory(config), now=later).state
    files = Counter((f.mime_type, f.name) for f in fake.files.values() if not f.is_root and not f.trashed)
    shared = Counter(
        tuple(sorted(f.app_properties.items()))
        for f in fake.files.values()
        if not f.is_root and not f.trashed and any(p.get("role") != "owner" for p in f.permissions)
    )
    return {
        "visible twice": [k for k, n in shared.items() if n > 1],  # files of one key people can see
        "crashed": crashed,
        "stage": state.stage(1).state,
        "sheets": sorted((a.group, a.expert.email) for a in state.sheets(1)),
        "told": Counter((n["to"], n["file_id"]) for n in fake.sent_notifications),
        "files": files,
    }


@pytest.fixture(scope="module")
def clean(google_intake_week, tmp_path_factory):
    return _edition(google_intake_week, tmp_path_factory.mktemp("clean"), None)


@pytest.mark.parametrize("after_apply", [False, True], ids=["before", "after-apply"])
@pytest.mark.parametrize("point", POINTS)
def test_a_crash_at_any_request_of_the_opening_is_finished_by_the_next_tick(
    tmp_path, google_intake_week, clean, point, after_apply
):
    got = _edition(google_intake_week, tmp_path, (point, after_apply))
    assert got["crashed"]
    assert got["stage"] == clean["stage"] and got["sheets"] == clean["sheets"]
    assert max(got["told"].values()) == 1 and len(got["told"]) == len(clean["told"])
    assert got["files"] == clean["files"]  # no folder, sheet or document twice
    assert got["visible twice"] == []
