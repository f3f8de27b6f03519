"""`contest verify` (issue 22): the chain of score digests the closes wrote in the journal holds on the
demo; one score edited in a frozen copy of a rating sheet breaks it, and the break names the sheet and
the cell."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from editions import CLEAN_ENV
from openpyxl import load_workbook

from pipelines import i18n, rating_sheet
from pipelines.backends.local.manifest import Manifest
from pipelines.cli import cli
from pipelines.config import load_config
from pipelines.ports import a1


def verify(config_path: Path):
    return CliRunner().invoke(cli, ["--config", str(config_path), "verify"], env=CLEAN_ENV)


def _frozen_score_cell(root: Path, config) -> tuple[Path, str, int, int, object]:
    """A frozen copy of a stage-1 sheet, its sheet path and the first score cell with a number."""
    sheets = Manifest(root / "workspace").data["sheets"]  # the workspace database's entries
    lay = rating_sheet.layout(config)
    for entry in sheets.values():
        frozen = entry.get("frozen")
        if not frozen or entry["properties"]["stage"] != "1":
            continue
        snapshot = root / "workspace" / frozen["snapshot"]
        ws = load_workbook(snapshot).worksheets[0]
        for r in range(lay.first_data_row, lay.first_data_row + 5):
            for col in sorted(lay.scores.values()):
                value = ws.cell(r + 1, col + 1).value
                if isinstance(value, int):
                    return snapshot, entry["path"], r, col, value
    raise AssertionError("no frozen score found")


def test_verify_passes_on_the_demo_and_names_the_cell_after_one_frozen_score_is_edited(finished_demo, tmp_path):
    config_path = finished_demo.copy(tmp_path / "demo")
    config = load_config(config_path, environ={})
    result = verify(config_path)
    assert result.exit_code == 0, result.output
    ok = i18n.text("verify_ok", config.language, links=4, sheets=0).split("{")[0][:20]
    assert ok in result.output and "4" in result.output

    snapshot, sheet_path, r, col, value = _frozen_score_cell(config_path.parent, config)
    snapshot.chmod(0o644)
    wb = load_workbook(snapshot)
    wb.worksheets[0].cell(r + 1, col + 1).value = 1 if value != 1 else 2
    wb.save(snapshot)

    result = verify(config_path)
    assert result.exit_code == 1
    cell = a1(r, col)
    assert f"{cell} " in result.output, result.output  # the cell, named
    assert sheet_path in result.output  # the sheet, named
    assert f"{value}," in result.output or f" {value}" in result.output  # what the close used


def test_verify_on_google_names_the_cell_typed_into_a_frozen_sheet(finished_google_demo, tmp_path):
    """On Google only the live sheet exists: a score typed into it after the freeze breaks the proof."""
    from datetime import timedelta

    from test_freeze_edits import Edition

    from pipelines.jobs.verify import verify as verify_job

    google = finished_google_demo.restore(tmp_path / "edition")
    edition = Edition(google.config_path.parent, "google", google.factory)
    end = edition.config.calendar.stage3_close + timedelta(days=1)
    run = edition.run(end)
    report = verify_job(run)
    assert report.broken is None and report.links >= 3 and report.sheets > 0, run.messages

    a = run.state.sheets(1)[0]
    lay = rating_sheet.layout(run.config)
    used = next(r for r in run.state.ratings[(1, a.group)] if r.expert_email == a.expert.email)
    row = lay.data_row(a.application_ids.index(used.application_id))
    col = max(lay.scores.values())
    before = used.scores[next(k for k, c in lay.scores.items() if c == col)]
    edition.edit(a, row, col, 1 if before != 1 else 2)

    checking = edition.run(end + timedelta(hours=1))
    report = verify_job(checking)
    assert report.broken is not None
    assert a1(row, col) in report.broken and a.sheet_id in report.broken
