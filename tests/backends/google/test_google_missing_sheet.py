"""A rating sheet deleted from Drive before the close: the stage waits with one problem that names
the sheet and says what to do; no tick fails, the next ones neither."""

from __future__ import annotations

from datetime import timedelta

from editions import copy_edition, demo_factory_over, load_fake

from pipelines import i18n
from pipelines.config import load_config
from pipelines.domain.state import StageState
from pipelines.jobs.common import Run
from pipelines.jobs.tick import tick


def test_a_deleted_rating_sheet_is_one_problem_not_a_failing_tick(tmp_path, google_opened):
    # the demo edition on the fake, ticked in intake's first week and at intake close (conftest.py)
    config = load_config(copy_edition(google_opened / "edition", tmp_path / "edition"))
    fake = load_fake(google_opened / "fake.pickle")
    ws = demo_factory_over(fake)(config)
    cal = config.calendar
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
    assert p.expert == gone.expert.email and p.notice.key == "why_sheet_missing"
    assert "восстановите его" in i18n.word(p.notice, "ru")
