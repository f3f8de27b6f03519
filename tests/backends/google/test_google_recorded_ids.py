"""Created ids recorded in the control store before use (issue 10 item 2): each batch of ids
reserved with files.generateIds is written to the control spreadsheet (hidden tab "reserved ids")
before its first create, one write per batch. A tick killed just after Drive applied a create, with
Drive's search lagging far behind, is resumed by the next process: it finds the file by its
recorded id (files.get), not by files.list, and makes no second one."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from google_fake.demo import demo_workspace_factory
from google_fake.server import SimulatedCrash
from pipelines.config import load_config
from pipelines.demo import write_edition
from pipelines.jobs.common import Run
from pipelines.jobs.tick import LEASE_SECONDS, tick

LAG = 2 * 3600.0  # simulated seconds before files.list shows a new file: longer than a crashed tick's lease


@pytest.mark.parametrize("create", [3, 12])  # a rating sheet's create; a later one of the same tick
def test_a_create_applied_before_a_crash_is_found_by_its_recorded_id_despite_search_lag(tmp_path, create):
    path = write_edition(tmp_path / "edition", seed=2027)
    config = load_config(path, environ={})
    factory = demo_workspace_factory(path, search_lag=LAG)
    cal = config.calendar
    tick(Run(config=config, workspace=factory(config), now=cal.intake_open + timedelta(days=7)))
    fake = factory(config).stats["fake"]
    fake.sleep(LAG + 60)  # the control spreadsheet made by the intake tick shows in search by now
    fake.crash_at(create, after_apply=True, method="drive.files.create")
    opening = cal.intake_close + timedelta(minutes=5)
    fake.reset_counts()
    ws = factory(config)
    with pytest.raises(SimulatedCrash):
        tick(Run(config=config, workspace=ws, now=opening))
    ops = ws.stats["operations"]
    reserves = fake.counts()["drive"]["files.generateIds"]
    assert ops["record reserved ids"]["calls"] == reserves >= 1  # one write per batch of reserved ids
    assert ops["record reserved ids"]["requests"] == {"sheets.spreadsheets.batchUpdate": reserves}
    (control,) = [f for f in fake.files.values() if (f.app_properties or {}).get("kind") == "control"]
    (tab,) = [t for t in fake.spreadsheet_model(control.id).sheets if t.title == "reserved ids"]
    made = [r for r in fake.requests if r.method == "files.create"]
    assert made[-1].body["id"] in str(
        fake.build("sheets").spreadsheets().values().get(spreadsheetId=control.id, range="'reserved ids'").execute()
    )  # the id of the create the crash interrupted was recorded before it was sent
    fake.sleep(LEASE_SECONDS + 60)  # the crashed tick's lease lapses; search still lags
    fake.reset_counts()
    later = opening + timedelta(seconds=LEASE_SECONDS + 60)
    tick(Run(config=config, workspace=factory(config), now=later))  # a new process
    by_id = [r for r in fake.requests if r.method == "files.get"]
    assert by_id, "the recorded ids were looked up by files.get"
    state = Run(config=config, workspace=factory(config), now=later).state
    files = Counter(
        (f.mime_type, f.name, tuple(f.parents)) for f in fake.files.values() if not f.is_root and not f.trashed
    )
    assert [k for k, n in files.items() if n > 1] == []  # no file made twice
    sheets = [a.sheet_id for a in state.sheets(1)]
    assert sheets and len(set(sheets)) == len(sheets) and all(s in fake.files for s in sheets)
    assert fake.invalid_requests() == []
