"""An expert may stand aside (issue 9 item 2, clause 13): a mark in the sheet's recusal column means
the DER is not counted for that expert; the ratings table keeps the mark; the quorum is checked
without them."""

from __future__ import annotations

from datetime import timedelta

from jobkit import config_of, run_at, table_rows

from pipelines.demo import simulate_experts
from pipelines.formats import rating_sheet
from pipelines.jobs.sheets import sheet_ref
from pipelines.jobs.tick import tick

SEED = 2027


def test_a_recusal_mark_in_the_sheet_is_kept_and_not_counted(edition):
    config = config_of(edition)
    deadline = config.calendar.stage1_close
    run = run_at(edition, deadline - timedelta(days=4))
    simulate_experts(run, 1, SEED)
    run = run_at(edition, deadline - timedelta(days=3))
    a = next(x for x in run.state.sheets(1) if x.expert.email == "n.tleubayev@atu.edu.kz")
    lay = rating_sheet.layout(config)
    run.workspace.sheets.write_as_expert(sheet_ref(run, a), {(lay.data_row(0), lay.fixed["recuse"]): "x"})
    der = a.application_ids[0]
    tick(run_at(edition, deadline + timedelta(minutes=5)))
    rows = [r for r in table_rows(edition, "ratings") if r["stage"] == 1 and r["application_id"] == der]
    mine = next(r for r in rows if r["expert_email"] == a.expert.email)
    assert mine["recused"] == "yes"
    others = [r for r in rows if r["expert_email"] != a.expert.email and r["complete"] == "yes"]
    result = next(r for r in table_rows(edition, "results") if r["stage"] == 1 and r["application_id"] == der)
    assert result["raters"] == len(others)  # the expert who stood aside is not among the raters
