"""A tick that comes after a long downtime never freezes a stage its experts never saw."""

from __future__ import annotations

from datetime import timedelta

from jobkit import config_of, run_at

from pipelines.demo import write_edition
from pipelines.domain.state import StageState
from pipelines.jobs.tick import tick


def test_a_stage_opened_after_its_deadline_waits_for_a_new_deadline(tmp_path):
    config_path = write_edition(tmp_path / "ed", seed=2027)
    cal = config_of(config_path).calendar
    late = cal.stage1_close + timedelta(days=1)  # the server was down from before intake closed

    run = run_at(config_path, late)
    actions = tick(run)
    assert "stage 1 opened" in actions and "stage 1 closed" not in actions and "stage 1 waiting" not in actions
    assert any("calendar.stage1_close" in m and "мерзімі" in m for m in run.messages)
    assert tick(run_at(config_path, late + timedelta(minutes=5))) == []  # still waits, nothing frozen
    assert run_at(config_path, late).state.stage(1).state is StageState.OPEN

    # CDB moves the deadline; once it passes, the stage closes as usual
    text = config_path.read_text(encoding="utf-8")
    new_close = (late + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    config_path.write_text(text.replace(cal.stage1_close.strftime("%Y-%m-%dT%H:%M"), new_close), encoding="utf-8")
    actions = tick(run_at(config_path, late + timedelta(days=7, minutes=5)))
    assert any(a.startswith("stage 1 ") and a != "stage 1 opened" for a in actions)
