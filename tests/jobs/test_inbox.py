"""Returned sheets file themselves (issue 20 item 3): CDB saves what experts mail back anywhere in
workspace/inbox/, under any name; the next tick (or the close) files each by the identity it
carries, says what it filed where, and sets aside, naming why, what it cannot file."""

from __future__ import annotations

import shutil
import time
from datetime import timedelta
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from jobkit import config_of, run_at, table_rows, workspace_dir
from openpyxl import load_workbook

from pipelines.cli import cli
from pipelines.formats import rating_sheet
from pipelines.jobs.common import stage_title
from pipelines.jobs.inbox import file_returned
from pipelines.jobs.sheets import read_assignment


def _sheet(edition: Path, run, index: int = 0):
    a = sorted(run.state.sheets(1), key=lambda x: (x.group, x.expert.email))[index]
    return a, workspace_dir(edition) / a.sheet_id


def _returned(edition: Path, source: Path, name: str, scores: int | None = 7, **cells) -> Path:
    """The expert's copy, typed in as she does in Excel, saved by CDB at inbox/<name>."""
    target = workspace_dir(edition) / "inbox" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    wb = load_workbook(source)
    ws = wb.worksheets[0]
    config = config_of(edition)
    lay = rating_sheet.layout(config)
    if scores is not None:
        r = lay.first_data_row
        while ws.cell(r + 1, lay.fixed["der_id"] + 1).value:
            for col in lay.scores.values():
                ws.cell(r + 1, col + 1).value = scores
            r += 1
    for address, value in cells.items():
        ws[address] = value
    wb.save(target)
    return target


def _tick(edition: Path, now) -> str:
    result = CliRunner().invoke(
        cli, ["--config", str(edition), "--now", now.isoformat(), "tick"], env={"CONTEST_LANGUAGE": None}
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_a_sheet_saved_anywhere_in_the_inbox_is_filed_and_scored(edition):
    deadline = config_of(edition).calendar.stage1_close
    run = run_at(edition, deadline - timedelta(days=3))
    a, place = _sheet(edition, run)
    before = place.read_bytes()
    saved = _returned(edition, place, "Downloads/Re Бағалау парағы (1).xlsx", scores=8)
    assert read_assignment(run, a)[0] == [] or not all(r.complete for r in read_assignment(run, a)[0])

    out = _tick(edition, deadline - timedelta(days=3))
    assert f"inbox/Downloads/Re Бағалау парағы (1).xlsx → {a.sheet_id}" in out  # one line, kk
    assert "қайтарылған парақ орнына қойылды: 1" in out
    assert place.read_bytes() != before and not saved.exists()
    assert [p.name for p in (workspace_dir(edition) / "inbox" / "filed").iterdir()] == [
        "Downloads__Re Бағалау парағы (1).xlsx"
    ]
    ratings, _ = read_assignment(run_at(edition, deadline - timedelta(days=3)), a)
    assert ratings and all(r.complete and r.total == 8 * 7 for r in ratings)
    [row] = [r for r in table_rows(edition, "journal") if r["action"] == "tick" and "inbox" in str(r["detail"])]
    assert "filed" in row["detail"]

    # the next tick: nothing in the inbox, nothing said about it
    assert "inbox" not in _tick(edition, deadline - timedelta(days=3) + timedelta(minutes=5))


def test_foreign_files_are_reported_and_set_aside_never_filed(edition):
    deadline = config_of(edition).calendar.stage1_close
    run = run_at(edition, deadline - timedelta(days=3))
    a, place = _sheet(edition, run)
    before = place.read_bytes()
    inbox = workspace_dir(edition) / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "notes.txt").write_text("8, 9, 10", encoding="utf-8")
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Менің бағаларым"
    wb.save(inbox / "my scores.xlsx")
    ident = rating_sheet.SheetIdentity.parse(load_workbook(place).worksheets[0]["B7"].value)
    assert ident is not None
    other = rating_sheet.SheetIdentity("another-edition-2026", ident.stage, ident.group, ident.expert, ident.checksum)
    _returned(edition, place, "old/last year.xlsx", B7=other.text())
    stranger = rating_sheet.SheetIdentity(ident.edition, 1, ident.group, "nobody@atu.edu.kz", ident.checksum)
    _returned(edition, place, "stranger.xlsx", B7=stranger.text())

    report = file_returned(run)
    run.commit()
    assert report.filed == [] and sorted(report.not_filed) == sorted(
        ["notes.txt", "my scores.xlsx", "old/last year.xlsx", "stranger.xlsx"]
    )
    said = "\n".join(run.messages)
    assert "inbox/notes.txt орнына қойылмады: бұл .xlsx кітабы ретінде оқылмайды" in said
    assert "inbox/my scores.xlsx орнына қойылмады: бұл бағалау парағы емес" in said
    assert "inbox/old/last year.xlsx орнына қойылмады: бұл басқа байқаудың парағы (another-edition-2026)" in said
    assert "inbox/stranger.xlsx орнына қойылмады: бұл байқауда мұндай парақ жоқ (сарапшы nobody@atu.edu.kz" in said
    assert place.read_bytes() == before  # nothing filed over the expert's sheet
    kept = sorted(p.name for p in (inbox / "not-filed").iterdir())
    assert kept == ["my scores.xlsx", "notes.txt", "old__last year.xlsx", "stranger.xlsx"]
    assert [p for p in inbox.iterdir() if p.is_file()] == []


def test_an_older_copy_than_the_one_filed_is_not_filed(edition):
    deadline = config_of(edition).calendar.stage1_close
    a, place = _sheet(edition, run_at(edition, deadline - timedelta(days=3)))
    older = _returned(edition, place, "first.xlsx", scores=5)
    keep = workspace_dir(edition) / "first.bak"  # outside the inbox: anything in it is taken
    shutil.move(older, keep)
    time.sleep(1.1)  # a workbook's own save time counts whole seconds
    _returned(edition, place, "second.xlsx", scores=9)
    assert "second.xlsx →" in _tick(edition, deadline - timedelta(days=3))
    shutil.move(keep, older)  # the first copy, saved by CDB after the second was filed
    out = _tick(edition, deadline - timedelta(days=2, hours=23))
    assert "inbox/first.xlsx орнына қойылмады: бұл орнындағы парақтан ескі көшірме" in out
    ratings, _ = read_assignment(run_at(edition, deadline - timedelta(days=2)), a)
    assert all(r.total == 9 * 7 for r in ratings)


def test_the_close_files_a_sheet_first_and_a_sheet_for_a_closed_stage_is_refused(edition):
    deadline = config_of(edition).calendar.stage1_close
    run = run_at(edition, deadline - timedelta(days=3))
    a, place = _sheet(edition, run)
    original = place.read_bytes()
    copy = workspace_dir(edition) / "spare.xlsx"
    copy.write_bytes(original)
    from pipelines.demo import simulate_experts

    simulate_experts(run, 1, 2027)
    _returned(edition, copy, f"{a.expert.email}.xlsx", scores=10)
    out = _tick(edition, deadline + timedelta(minutes=1))  # filed, then the close reads it
    assert f"{a.expert.email}.xlsx → {a.sheet_id}" in out
    closed = run_at(edition, deadline + timedelta(minutes=2))
    used = [r for r in closed.state.ratings[(1, a.group)] if r.expert_email == a.expert.email]
    assert used and all(r.total == 70 for r in used)

    _returned(edition, copy, "late.xlsx", scores=1)
    out = _tick(edition, deadline + timedelta(minutes=10))
    title = stage_title(1, "kk")
    assert f"inbox/late.xlsx орнына қойылмады: {title} жабылған" in out  # a stage waiting for a tie too
