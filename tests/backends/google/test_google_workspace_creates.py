"""Google Sheets and converted Google Docs are created WITHOUT a pre-generated id (Drive refuses one
for a Workspace file: 400 generatedIdNotSupported), exactly once another way: the file carries its
key in appProperties and is looked for by it (after a lost answer patiently: Drive's search lags),
and a new rating sheet is claimed in the control spreadsheet's ledger (hidden tab "created files")
before anything is shared from it; a later process takes the claimed file by id. A second file of
a key (a create Google applied but whose answer was lost for longer than search lagged, or a crash
between the create and the claim) is never shared, and is trashed once a listing shows it, where
the pipeline next writes to that key (making the sheet, freezing it at the close).
Nobody sees two sheets or gets two share notifications."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from editions import GoogleCopy

from google_fake.demo import fake_workspace
from google_fake.server import SimulatedCrash
from pipelines.jobs.tick import LEASE_SECONDS, tick

EXPERT = "e.zhumabayev@atu.edu.kz"  # the expert of the `spec` fixture (conftest.py)

SHEET = "application/vnd.google-apps.spreadsheet"
LONG_LAG = 2 * 3600.0  # longer than a crashed tick's lease, far longer than the search patience


def _of_key(fake, kind: str = "rating_sheet"):
    return [f for f in fake.files.values() if (f.app_properties or {}).get("kind") == kind]


def _shared_with_people(fake, f) -> bool:
    return any(p.get("type") != "drive" and p.get("role") != "owner" for p in f.permissions)


def _ready(ws, fake, spec):
    ws.control.write_tables({"registry": (["id"], [["DER-1"]])})  # the control store (its ledger) exists
    ws.sheets.folders.path(spec.folder)  # so that the files.create below is the sheet's
    fake.sleep(LONG_LAG + 60)  # made long ago: Drive's search shows them whatever the lag set below


def test_no_sheet_create_carries_an_id(ws, fake, spec):
    _ready(ws, fake, spec)
    ws.sheets.ensure(spec)
    creates = [r for r in fake.requests if r.method == "files.create"]
    assert [("id" in r.body) for r in creates if r.body.get("mimeType") == SHEET] == [False, False]  # control, sheet
    assert all("id" in r.body for r in creates if r.body.get("mimeType") != SHEET)  # folders keep their ids


def test_a_create_answer_lost_longer_than_search_lags_leaves_one_file_anyone_sees(ws, fake, config, spec):
    """The create is applied, its answer lost, and Drive's search does not show it for 10 minutes:
    after SEARCH_PATIENCE the create is sent again (a second file). Only the second, claimed, is
    filled and shared; the first is trashed once a listing shows it."""
    _ready(ws, fake, spec)
    fake.search_lag = 600.0
    fake.timeout_next(1, method="files.create", after_apply=True)
    ref = ws.sheets.ensure(spec)
    made = _of_key(fake)
    assert len(made) == 2  # the lost one, invisible to search yet, and the one shared
    (stray,) = [f for f in made if f.id != ref.id]
    assert not _shared_with_people(fake, stray) and not fake.spreadsheet_model(stray.id).sheets[0].protected_ranges
    assert [(n["to"], n["file_id"]) for n in fake.sent_notifications] == [(EXPERT, ref.id)]
    fake.sleep(600)
    again = fake_workspace(config, fake).sheets.ensure(spec)  # a later process lists: the stray shows now
    assert again.id == ref.id
    assert [f.id for f in _of_key(fake) if not f.trashed] == [ref.id] and fake.files[stray.id].trashed
    assert len(fake.sent_notifications) == 1
    assert fake.invalid_requests() == []


def _crashed_just_after(ws, fake, spec, method: str):
    """ensure(spec) killed just after Google applied its first `method`, search lagging 2 h; the
    crashed process's lease lapses. The one file of the key it made."""
    _ready(ws, fake, spec)
    fake.search_lag = LONG_LAG
    fake.crash_at(1, after_apply=True, method=method)
    with pytest.raises(SimulatedCrash):
        ws.sheets.ensure(spec)
    (first,) = _of_key(fake)
    fake.sleep(LEASE_SECONDS)
    return first


def test_a_crash_between_create_and_record_resumes_to_one_file(ws, fake, config, spec):
    """Killed just after Drive applied the sheet's create, before the id was claimed: the next
    process cannot find the file by its key (search lags 2 h) nor in the ledger, makes
    and shares another. The first was never filled nor shared, and is trashed once search shows it."""
    first = _crashed_just_after(ws, fake, spec, "files.create")
    ref = fake_workspace(config, fake).sheets.ensure(spec)  # a new process
    assert ref.id != first.id and not _shared_with_people(fake, first)
    assert [n["file_id"] for n in fake.sent_notifications] == [ref.id]
    fake.sleep(LONG_LAG)
    again = fake_workspace(config, fake).sheets.ensure(spec)  # lists the sheets: both show now
    assert again.id == ref.id and fake.files[first.id].trashed
    assert [f.id for f in _of_key(fake) if not f.trashed] == [ref.id]
    assert len(fake.sent_notifications) == 1


def test_a_crash_after_the_share_is_resumed_by_the_claimed_id_without_a_second_share(ws, fake, config, spec):
    """Killed just after the expert was told (the share applied), before the job recorded the sheet:
    search lags 2 h, but the ledger holds the claimed id, so the next process takes that sheet by
    id (files.get), sees it shared, and neither makes nor shares another."""
    first = _crashed_just_after(ws, fake, spec, "permissions.create")
    fake.reset_counts()
    ref = fake_workspace(config, fake).sheets.ensure(spec)
    assert ref.id == first.id and [f.id for f in _of_key(fake)] == [first.id]
    assert len(fake.sent_notifications) == 1
    assert fake.counts()["drive"].get("files.create", 0) == 0


# --- a whole opening tick on the demo edition, crashed at a sheet's create or share, search lagging 2 h


def _visible_twice(fake) -> list:
    """Files of one key that people can see twice: not trashed and shared with someone."""
    keys = Counter(
        tuple(sorted((f.app_properties or {}).items()))
        for f in fake.files.values()
        if not f.is_root and not f.trashed and _shared_with_people(fake, f)
    )
    return [k for k, n in keys.items() if n > 1]


def _opening(google_intake_week, root, crash):
    edition = GoogleCopy(google_intake_week, root / "edition")
    fake, run_at, cal = edition.fake, edition.run_at, edition.config.calendar
    fake.sleep(LONG_LAG + 60)  # what the intake week made shows in search by now
    fake.search_lag = LONG_LAG
    opening = cal.intake_close + timedelta(minutes=5)
    if crash is not None:
        fake.crash_at(crash[1], after_apply=True, method=crash[0])
        with pytest.raises(SimulatedCrash):
            tick(run_at(opening))
        last = [r for r in fake.requests if r.method == crash[0]][-1]
        assert crash[0] != "files.create" or last.body.get("mimeType") == SHEET  # it hit a sheet's create
        fake.sleep(LEASE_SECONDS + 60)
    start = len(fake.requests)
    tick(run_at(opening + timedelta(seconds=LEASE_SECONDS + 60)))  # a new process resumes
    creates = [r for r in fake.requests[start:] if r.method == "files.create"]
    resumed = {
        "visible twice": _visible_twice(fake),
        "told": Counter((n["to"], n["file_id"]) for n in fake.sent_notifications),
    }
    fake.sleep(LONG_LAG)
    later = cal.stage1_close + timedelta(minutes=5)
    tick(run_at(later))  # search has caught up: the close freezes each sheet, a second file of its key trashed
    state = run_at(later).state
    return {
        **resumed,
        # (a clean opening) the numbers of the files.create requests that made a sheet
        "sheet creates": [n for n, r in enumerate(creates, start=1) if r.body.get("mimeType") == SHEET],
        "sheets": sorted((a.group, a.expert.email) for a in state.sheets(1)),
        "ids": {a.sheet_id for a in state.sheets(1)},
        "files": Counter((f.mime_type, f.name) for f in fake.files.values() if not f.is_root and not f.trashed),
        "fake": fake,
    }


@pytest.fixture(scope="module")
def clean_opening(google_intake_week, tmp_path_factory):
    return _opening(google_intake_week, tmp_path_factory.mktemp("clean"), None)


@pytest.mark.parametrize("crash", [("files.create", 2), ("permissions.create", 3)], ids=["create", "share"])
def test_an_opening_crashed_after_a_sheet_create_or_share_ends_with_one_sheet_each(
    google_intake_week, tmp_path, clean_opening, crash
):
    """Crashed just after Google applied the 2nd sheet's create, or the 3rd share."""
    if crash[0] == "files.create":
        crash = (crash[0], clean_opening["sheet creates"][crash[1] - 1])
    got = _opening(google_intake_week, tmp_path, crash)
    assert got["visible twice"] == [] and max(got["told"].values()) == 1
    assert len(got["told"]) == len(clean_opening["told"])  # each expert told of one sheet, once
    assert got["sheets"] == clean_opening["sheets"]
    assert got["files"] == clean_opening["files"]  # any second file trashed at the close
    assert all(f"{i}" in got["fake"].files and not got["fake"].files[i].trashed for i in got["ids"])
    assert got["fake"].invalid_requests() == []


def test_of_two_control_spreadsheets_the_one_in_use_is_taken_and_nothing_is_written(fake, config, drive_id):
    """A control spreadsheet whose create was applied but answered too late leaves a blank second
    one: the store takes the one holding the tables, and reading it writes nothing."""
    marker = {"kind": "control", "edition": config.edition_key}
    blank = (
        fake.build("drive")
        .files()
        .create(
            body={"name": "control", "mimeType": SHEET, "parents": [drive_id], "appProperties": marker},
            supportsAllDrives=True,
        )
    )
    blank_id = blank.execute()["id"]
    fake.sleep(60)
    first = fake_workspace(config, fake)
    first.control.id = None
    first.control.created = False
    in_use = first.drive.c.run(
        "drive",
        first.drive.c.files.create(
            body={"name": "control", "mimeType": SHEET, "parents": [drive_id], "appProperties": marker},
            fields="id",
            supportsAllDrives=True,
        ),
    )["id"]
    first.control.id = in_use
    first.control.write_tables({"registry": (["id"], [["DER-1"]]), "stages": (["stage"], [[1]])})
    fake.reset_counts()
    again = fake_workspace(config, fake)
    assert again.control.read_table("registry") == [{"id": "DER-1"}]
    assert again.control.id == in_use != blank_id and not fake.files[blank_id].trashed
    writes = {m for m in fake.counts().get("drive", {}) if m not in ("files.list", "files.get")}
    assert writes == set() and "spreadsheets.batchUpdate" not in fake.counts().get("sheets", {})
