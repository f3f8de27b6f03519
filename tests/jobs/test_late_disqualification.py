"""A disqualification (9.10) recorded after the final: the winners move up, the final protocol and the
results are written again as a new version that prints the decision, and the old ones are kept."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from jobkit import config_of, docx_text, run_at, workspace_dir

from pipelines.jobs.status import build_status
from pipelines.jobs.tick import tick

REASON = "Ұсынылған мәліметтердің жалғандығы дәлелденді (9.10)"


@pytest.fixture
def edition(finished_demo, tmp_path) -> Path:
    """A private copy of the finished demo edition (built once per test run, tests/conftest.py)."""
    return finished_demo.copy(tmp_path / "demo")


def disqualify(config_path: Path, der: str, at: str) -> None:
    text = config_path.read_text(encoding="utf-8")
    item = (
        f"decisions:\n  - kind: disqualify\n    applications: [{der}]\n"
        f'    by: "Конкурс комиссиясы, хаттама №4"\n    at: {at}\n    reason: "{REASON}"\n'
    )
    assert "decisions:\n" in text
    config_path.write_text(text.replace("decisions:\n", item, 1), encoding="utf-8")


def test_the_winners_move_up_and_the_final_documents_get_a_new_version(edition):
    cal = config_of(edition).calendar
    after = cal.stage3_close + timedelta(days=3)
    before = build_status(run_at(edition, after))["winners"]
    first, second = before[0]["id"], before[1]["id"]
    old_protocol = workspace_dir(edition) / "drive" / "stage-3" / "contest" / "final_protocol.docx"
    old_text = docx_text(old_protocol)

    disqualify(edition, first, (after - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    run = run_at(edition, after)
    actions = tick(run)
    assert "disqualification" in actions
    assert any(first in m and "9.10" in m for m in run.messages)

    now = build_status(run_at(edition, after))
    assert first not in [w["id"] for w in now["winners"]]
    assert now["winners"][0]["id"] == second
    registry = {a["id"]: a for a in now["applications"]}
    assert registry[first]["registry_status"] == "disqualified"

    new_protocol = old_protocol.with_name("final_protocol_v2.docx")
    assert old_protocol.exists() and docx_text(old_protocol) == old_text  # the old version is kept as it was
    new_text = docx_text(new_protocol)
    assert REASON in new_text and first in new_text
    assert (workspace_dir(edition) / "drive" / "results" / "results_v2.docx").exists()
    kinds = {(d["kind"], d["version"]) for d in now["documents"]}
    assert ("final_protocol", 2) in kinds and ("final_protocol", 1) in kinds

    assert "disqualification" not in tick(run_at(edition, after + timedelta(minutes=5)))  # once only


def test_a_finalist_disqualified_after_the_final_leaves_the_winners_as_they_are(edition):
    cal = config_of(edition).calendar
    after = cal.stage3_close + timedelta(days=3)
    status = build_status(run_at(edition, after))
    stage2 = next(s for s in status["stages"] if s["number"] == 2)
    finalists = {i for g in stage2["groups"] for i in g["selected"]}
    winners = {w["id"] for w in status["winners"]}
    finalist = sorted(finalists - winners)[0]  # reached stage 3, did not win: only stage 2 is affected
    disqualify(edition, finalist, (after - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    run = run_at(edition, after)
    tick(run)
    assert build_status(run_at(edition, after))["winners"] == status["winners"]
