"""The opening tick's progress tab on the fake: the sheets the run has just made hold what it wrote
until someone types, so they are not read back (Drive's lastModifyingUser says who changed a file
last); a sheet an expert typed into, even seconds after its share, is read."""

from __future__ import annotations

from datetime import timedelta

import google_auth_httplib2
import pytest
from editions import GoogleCopy
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build

from pipelines.formats import rating_sheet
from pipelines.jobs.common import Run
from pipelines.jobs.status import progress_rows
from pipelines.jobs.tick import tick
from pipelines.ports import a1

COMPARED = ("assigned", "scored", "percent", "problems", "problem_detail", "deadline", "ties_waiting", "sheet_version")


@pytest.fixture()
def opened(tmp_path, google_intake_week):
    edition = GoogleCopy(google_intake_week, tmp_path / "edition")
    config, fake, run_at = edition.config, edition.fake, edition.run_at

    fake.sleep(300)
    start = len(fake.requests)
    tick(run_at(config.calendar.intake_close + timedelta(minutes=5)))  # intake closed, stage 1 opened
    return {"fake": fake, "run_at": run_at, "cal": config.calendar, "opening": (start, len(fake.requests))}


def _sheet_reads(fake, start: int, end: int, control: str) -> int:
    return sum(
        1
        for r in fake.requests[start:end]
        if r.method in ("spreadsheets.get", "spreadsheets.values.batchGet") and control not in r.url
    )


def _by_sheet(rows) -> dict:
    return {(r.group, r.expert_email): r for r in rows if r.stage == 1}


def _read_everything(run: Run) -> dict:
    """The progress rows as a run that made nothing and remembers no row computes them: every sheet read."""
    run.edition.progress = []
    return _by_sheet(progress_rows(run))


def test_the_opening_tick_reads_none_of_the_sheets_it_made_and_its_rows_are_what_a_read_gives(opened):
    fake, run_at, cal = opened["fake"], opened["run_at"], opened["cal"]
    run = run_at(cal.intake_close + timedelta(minutes=6))
    control = run.workspace.control._spreadsheet()
    assert _sheet_reads(fake, *opened["opening"], control) == 0  # it made 30 and read none back
    written = _by_sheet(run.edition.progress)
    assert len(written) == len(run.state.sheets(1)) == 30
    start = len(fake.requests)
    read = _read_everything(run_at(cal.intake_close + timedelta(minutes=7)))
    assert _sheet_reads(fake, start, len(fake.requests), control) == 30  # this one did read them all
    for key, row in read.items():
        assert {k: getattr(written[key], k) for k in COMPARED} == {k: getattr(row, k) for k in COMPARED}, key
        assert written[key].last_change == row.last_change == ""
        assert row.sheet_version  # carried by the next tick while nobody types


def test_a_sheet_an_expert_typed_into_after_its_share_is_read(opened):
    fake, run_at, cal = opened["fake"], opened["run_at"], opened["cal"]
    run = run_at(cal.intake_close + timedelta(minutes=6))
    first, *others = run.state.sheets(1)
    lay = rating_sheet.layout(run.config)
    fake.sleep(60)
    http = google_auth_httplib2.AuthorizedHttp(Credentials(token=fake.token_for(first.expert.email)), http=fake.http())
    sheets = build("sheets", "v4", http=http, static_discovery=True, cache_discovery=False)
    sheets.spreadsheets().values().update(  # the expert, with their own account
        spreadsheetId=first.sheet_id,
        range=a1(lay.data_row(0), min(lay.scores.values())),
        valueInputOption="USER_ENTERED",
        body={"values": [["8"]]},
    ).execute()
    fake.sleep(60)
    # as if this very run had made every sheet: only the typed one is not the pipeline's own any more
    later = run_at(cal.intake_close + timedelta(minutes=8))
    later.made_sheets = {a.sheet_id for a in later.state.sheets(1)}
    later.edition.progress = []
    control = later.workspace.control._spreadsheet()
    start = len(fake.requests)
    rows = _by_sheet(progress_rows(later))
    assert _sheet_reads(fake, start, len(fake.requests), control) == 1
    typed = rows[(first.group, first.expert.email)]
    assert typed.last_change  # what the expert typed is seen
    assert all(not rows[(a.group, a.expert.email)].last_change for a in others)


def test_drive_says_who_changed_a_sheet_last(opened):
    """The fake's lastModifyingUser, as Drive gives it: the pipeline's account after its own
    writes (me), the expert after theirs (not me)."""
    fake, run_at, cal = opened["fake"], opened["run_at"], opened["cal"]
    run = run_at(cal.intake_close + timedelta(minutes=6))
    a = run.state.sheets(1)[0]
    lay = rating_sheet.layout(run.config)
    drive = fake.build("drive")
    mine = drive.files().get(fileId=a.sheet_id, fields="lastModifyingUser", supportsAllDrives=True).execute()
    assert mine["lastModifyingUser"]["me"] is True
    http = google_auth_httplib2.AuthorizedHttp(Credentials(token=fake.token_for(a.expert.email)), http=fake.http())
    build("sheets", "v4", http=http, static_discovery=True, cache_discovery=False).spreadsheets().values().update(
        spreadsheetId=a.sheet_id,
        range=a1(lay.data_row(0), min(lay.scores.values())),
        valueInputOption="USER_ENTERED",
        body={"values": [["7"]]},
    ).execute()
    theirs = drive.files().get(fileId=a.sheet_id, fields="lastModifyingUser", supportsAllDrives=True).execute()
    assert theirs["lastModifyingUser"]["me"] is False
    assert theirs["lastModifyingUser"]["emailAddress"] == a.expert.email
