"""The reminders read a rating sheet only when it changed since the progress tab read it: a quiet
tick in the reminder window reads no sheet, a sheet typed in since is read (never a stale count),
a progress row a person garbled is not trusted, and a DER the expert recused is not asked for."""

from __future__ import annotations

from datetime import timedelta

import pytest
from jobkit import config_of, run_at
from openpyxl import load_workbook

from pipelines.demo import simulate_experts
from pipelines.formats import rating_sheet
from pipelines.formats.tables import schema, title
from pipelines.jobs.remind import remind
from pipelines.jobs.sheets import sheet_ref
from pipelines.jobs.tick import tick

SEED = 2027
CARELESS = {"i.sidorenko@atu.edu.kz": "FFT-BT", "t.sokolova@atu.edu.kz": "FEB-TS"}  # see pipelines/demo.py


class CountingSheets:
    """The workspace's RatingSheets, counting the sheets read through it (every call goes through)."""

    def __init__(self, sheets):
        self.sheets, self.read = sheets, []

    def read_tabs(self, ref):
        self.read.append(ref.key.expert)
        return self.sheets.read_tabs(ref)

    def __getattr__(self, name):
        return getattr(self.sheets, name)


def counted(run):
    run.workspace.sheets = CountingSheets(run.workspace.sheets)
    return run.workspace.sheets


def careless_gap(run):
    """The first careless expert's assignment, the layout, and the score cells they left empty."""
    email, group = next(iter(CARELESS.items()))
    a = next(x for x in run.state.sheets(1) if x.expert.email == email and x.group == group)
    lay = rating_sheet.layout(run.config)
    cells = run.workspace.sheets.read(sheet_ref(run, a))
    empty = [
        (lay.data_row(i), col)
        for i in range(len(a.application_ids))
        for col in lay.scores.values()
        if cells[lay.data_row(i)][col].value in (None, "")
    ]
    return a, lay, empty


@pytest.fixture
def filled(edition):
    """Stage 1 with every expert's typing done (two careless ones leave a DER unscored), and a
    tick in the reminder window that read every sheet for the progress tab."""
    deadline = config_of(edition).calendar.stage1_close
    simulate_experts(run_at(edition, deadline - timedelta(days=4)), 1, SEED)
    tick(run_at(edition, deadline - timedelta(days=2)))
    return edition, deadline


def test_a_quiet_tick_in_the_reminder_window_reads_no_sheet(filled):
    edition, deadline = filled
    run = run_at(edition, deadline - timedelta(days=2, minutes=-10))
    sheets = counted(run)
    tick(run)
    assert sheets.read == []
    report = remind(run_at(edition, deadline - timedelta(days=2, minutes=-20)), send=False)
    assert {(p.email, p.group, p.missing) for p in report.pending} == {(e, g, 1) for e, g in CARELESS.items()}


def test_a_sheet_typed_in_since_is_read_again_and_its_count_is_the_new_one(filled):
    edition, deadline = filled
    run = run_at(edition, deadline - timedelta(days=1, hours=23))
    a, lay, empty = careless_gap(run)
    email = a.expert.email
    assert empty  # the careless expert's gap
    run.workspace.sheets.write_as_expert(sheet_ref(run, a), dict.fromkeys(empty, 7))
    run = run_at(edition, deadline - timedelta(days=1, hours=22))
    sheets = counted(run)
    report = remind(run, send=False)
    assert sheets.read == [email]  # that one sheet alone
    assert {p.email for p in report.pending} == set(CARELESS) - {email}


def test_a_progress_row_a_person_garbled_is_not_trusted(filled):
    edition, deadline = filled
    path = edition.parent / "workspace" / "control.xlsx"
    wb = load_workbook(path)
    ws = wb[title("progress", "kk")]
    keys = [c["key"] for c in schema()["progress"]["columns"]]
    email_col, scored_col = keys.index("expert_email") + 1, keys.index("scored") + 1
    careless = next(iter(CARELESS))
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, email_col).value == careless:
            ws.cell(r, scored_col).value = "бәрі"  # "all", typed over the count
    wb.save(path)
    run = run_at(edition, deadline - timedelta(days=1, hours=23))
    sheets = counted(run)
    report = remind(run, send=False)
    assert careless in sheets.read
    assert {(p.email, p.missing) for p in report.pending} >= {(careless, 1)}
    later = run_at(edition, deadline - timedelta(days=1, hours=22))
    sheets = counted(later)
    tick(later)  # the tick reads that sheet again too, and writes the count back
    assert careless in sheets.read
    ws = load_workbook(path)[title("progress", "kk")]
    typed_over = [
        ws.cell(r, scored_col).value for r in range(2, ws.max_row + 1) if ws.cell(r, email_col).value == careless
    ]
    assert typed_over and all(isinstance(v, int) for v in typed_over)


def test_a_der_the_expert_recused_is_not_asked_for(filled):
    edition, deadline = filled
    run = run_at(edition, deadline - timedelta(days=1, hours=23))
    a, lay, empty = careless_gap(run)
    email = a.expert.email
    row = empty[0][0]
    run.workspace.sheets.write_as_expert(sheet_ref(run, a), {(row, lay.fixed["recuse"]): "x"})
    for moment in (deadline - timedelta(days=1, hours=22), deadline - timedelta(days=1, hours=21)):
        report = remind(run_at(edition, moment), send=False)  # read, then from the progress row
        assert email not in {p.email for p in report.pending}
        tick(run_at(edition, moment + timedelta(minutes=1)))
