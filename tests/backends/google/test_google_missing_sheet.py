"""A rating sheet deleted from Drive before the close: the stage waits with one problem that names
the sheet and says what to do; no tick fails, the next ones neither."""

from __future__ import annotations

from datetime import timedelta

from google_fake.demo import demo_workspace_factory
from pipelines.config import load_config
from pipelines.demo import write_edition
from pipelines.domain.state import StageState
from pipelines.jobs.common import Run
from pipelines.jobs.tick import tick


def test_a_deleted_rating_sheet_is_one_problem_not_a_failing_tick(tmp_path):
    path = write_edition(tmp_path / "edition", seed=2027)
    config = load_config(path)
    ws = demo_workspace_factory(path)(config)
    fake = ws.stats["fake"]
    cal = config.calendar
    tick(Run(config=config, workspace=ws, now=cal.intake_open + timedelta(days=7)))
    tick(Run(config=config, workspace=ws, now=cal.intake_close + timedelta(minutes=5)))
    state = Run(config=config, workspace=ws, now=cal.intake_close + timedelta(minutes=6)).state
    gone = state.sheets(1)[0]
    fake.build("drive").files().delete(fileId=gone.sheet_id, supportsAllDrives=True).execute()  # for good

    for later in (timedelta(minutes=5), timedelta(hours=1), timedelta(days=1)):
        run = Run(config=config, workspace=ws, now=cal.stage_close(1) + later)
        tick(run)  # never raises
        assert run.state.stage(1).state is StageState.WAITING
    problems = [p for p in run.state.problems.get((1, gone.group), []) if p.cell == gone.sheet_url]
    assert len(problems) == 1
    (p,) = problems
    assert p.expert == gone.expert.email and "missing" in p.detail and "restore it" in p.detail
