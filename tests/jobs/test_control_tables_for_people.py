"""control.xlsx after stage 1 closed, as CDB staff read it: names beside e-mails, titles beside ids."""

from __future__ import annotations

from datetime import timedelta

from jobkit import config_of, run_at, table_rows, workspace_dir
from openpyxl import load_workbook

from pipelines.demo import simulate_experts
from pipelines.formats.tables import title
from pipelines.jobs.tick import tick


def test_names_and_titles_beside_ids_after_the_close(edition):
    config = config_of(edition)
    simulate_experts(run_at(edition, config.calendar.stage1_close - timedelta(days=2)), 1, 2027)
    run = run_at(edition, config.calendar.stage1_close + timedelta(minutes=5))
    tick(run)
    titles = {a.id: a.title for a in run.state.applications}
    names = {m.email: m.name for ms in config.commissions.departments.values() for m in ms}
    results = table_rows(edition, "results")
    assert results and all(r["title"] == titles[r["application_id"]] for r in results)
    ratings = table_rows(edition, "ratings")
    assert ratings and all(r["expert_name"] == names[r["expert_email"]] for r in ratings)
    assert all(r["title"] == titles[r["application_id"]] for r in ratings)
    problems = table_rows(edition, "problems")
    assert problems and all(r["expert_name"] == names[r["expert_email"]] for r in problems if r["expert_email"])
    for a in table_rows(edition, "assignments"):
        ids = [i for i in str(a["application_ids"]).split(",") if i]
        assert str(a["titles"]).split("\n") == [titles[i] for i in ids]
    wb = load_workbook(workspace_dir(edition) / "control.xlsx")
    for table in ("results", "ratings", "assignments", "progress"):
        ws = wb[title(table, "kk")]
        assert ws.freeze_panes != "A1" and ws.page_setup.orientation == "landscape"
        assert all(ws.column_dimensions[c].width for c in "ABCD")
