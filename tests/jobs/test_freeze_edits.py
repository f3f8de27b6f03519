"""Edits after the freeze, shown where people look (issue 10 item 5): a score changed in a frozen
rating sheet (a clerk saving the .xlsx locally; someone who can still edit it typing through the
Sheets API on Google) is recorded in the control tables with when, whose sheet, its revision and
which value changed; `status` (text and --json), the tick's journal row and the protocol extract's
annex show it; the results stay the frozen ones. After the edition closed, a tick and the audit
still notice a changed cell."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import google_auth_httplib2
import pytest
from docx import Document
from editions import copy_edition, demo_factory_over, load_fake
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from openpyxl import load_workbook
from rich.console import Console

from pipelines.backends import open_workspace
from pipelines.cli.status_view import render_status
from pipelines.config import load_config
from pipelines.demo import simulate_experts
from pipelines.domain.state import StageState
from pipelines.formats import rating_sheet
from pipelines.jobs.audit import audit
from pipelines.jobs.common import Run
from pipelines.jobs.status import build_status, status_json
from pipelines.jobs.tick import tick
from pipelines.ports import a1

CLERK = "clerk.office@atu.edu.kz"


class Edition:
    """The demo edition on one backend, with the moves of a person who edits a frozen sheet."""

    def __init__(self, root, backend: str, factory=None):
        self.path = root / "contest.yaml"
        self.config = load_config(self.path, environ={})
        self.backend = backend
        self.factory = factory or open_workspace  # on Google: a factory over the edition's fake

    def run(self, now) -> Run:
        workspace = self.factory(self.config)
        if self.backend == "google":
            workspace.stats["fake"].sleep(120)  # cron's runs are minutes apart: the quotas refill
        return Run(config=self.config, workspace=workspace, now=now)

    @property
    def fake(self):
        return self.factory(self.config).stats["fake"]

    def edit(self, a, row: int, col: int, value) -> None:
        """Change one cell of the expert's live sheet after the freeze."""
        if self.backend == "local":
            path = self.path.parent / "workspace" / a.sheet_id
            path.chmod(0o644)
            wb = load_workbook(path)
            wb.worksheets[0].cell(row + 1, col + 1).value = value
            wb.save(path)
            return
        fake = self.fake
        fake.advance(60)
        drive = fake.build("drive")  # the clerk is given edit access by the owner, as CDB would do it
        drive.permissions().create(
            fileId=a.sheet_id,
            body={"type": "user", "role": "writer", "emailAddress": CLERK},
            sendNotificationEmail=False,
            supportsAllDrives=True,
        ).execute()
        http = google_auth_httplib2.AuthorizedHttp(Credentials(token=fake.token_for(CLERK)), http=fake.http())
        sheets = build("sheets", "v4", http=http, static_discovery=True, cache_discovery=False)
        sheets.spreadsheets().values().update(
            spreadsheetId=a.sheet_id, range=a1(row, col), valueInputOption="USER_ENTERED", body={"values": [[value]]}
        ).execute()

    def extract_text(self, stage: int, group: str) -> str:
        name = f"protocol_extract_s{stage}_{group}.docx"
        if self.backend == "local":
            (path,) = (self.path.parent / "workspace").rglob(name)
            data = path.read_bytes()
        else:
            (f,) = [f for f in self.fake.files.values() if f.name == name and not f.trashed]
            data = f.content
        doc = Document(io.BytesIO(data))
        cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
        return "\n".join([p.text for p in doc.paragraphs] + cells)


def _opened(request, root, backend: str) -> Edition:
    """A private copy of the demo edition just after intake closed and stage 1 opened, built once per
    test run on each backend (tests/conftest.py: opened_build, google_opened)."""
    if backend == "local":
        return Edition(copy_edition(request.getfixturevalue("opened_build") / "edition", root).parent, backend)
    opened = request.getfixturevalue("google_opened")
    config_path = copy_edition(opened / "edition", root)
    return Edition(config_path.parent, backend, demo_factory_over(load_fake(opened / "fake.pickle")))


def _through_stage_1(edition: Edition):
    """The opened edition: the experts score, stage 1 closes."""
    cal = edition.config.calendar
    simulate_experts(edition.run(cal.intake_close + timedelta(hours=1)), 1, 2027)
    closed_at = cal.stage_close(1) + timedelta(minutes=5)
    tick(edition.run(closed_at))
    return closed_at


def _ready_sheet(run: Run):
    """An expert's sheet in a group whose extract was written, with a counted first score."""
    lay = rating_sheet.layout(run.config)
    col = min(lay.scores.values())
    crit = next(k for k, c in lay.scores.items() if c == col)
    for a in run.state.sheets(1):
        outcome = run.state.outcomes.get((1, a.group))
        used = {
            r.application_id: r for r in run.state.ratings.get((1, a.group), []) if r.expert_email == a.expert.email
        }
        first = used.get(a.application_ids[0]) if a.application_ids else None
        if outcome is not None and outcome.ready and first is not None and first.scores.get(crit) is not None:
            return a, lay.data_row(0), col, crit, first.scores[crit]
    raise AssertionError("no ready group with a counted score")


@pytest.mark.parametrize("backend", ["local", "google"])
def test_a_score_changed_after_the_freeze_is_shown_everywhere_and_never_used(request, tmp_path, backend):
    edition = _opened(request, tmp_path / "edition", backend)
    closed_at = _through_stage_1(edition)
    before = edition.run(closed_at + timedelta(minutes=1))
    assert before.state.stage(1).state in (StageState.CLOSED, StageState.WAITING)
    a, row, col, crit, frozen = _ready_sheet(before)
    results = {k: (o.selected, [s.score for s in o.standings]) for k, o in before.state.outcomes.items()}
    assert "ҚОСЫМША" not in edition.extract_text(1, a.group)  # no annex while nothing changed
    new = 1 if frozen != 1 else 2

    edition.edit(a, row, col, new)

    # status (it writes nothing) already sees it, not yet recorded
    seen = edition.run(closed_at + timedelta(minutes=30))
    (live,) = build_status(seen)["post_freeze_edits"]
    assert live["expert"] == a.expert.email and live["recorded"] is False
    # the tick records it: the journal row, the control table, the annex of the group's extract
    moment = closed_at + timedelta(hours=1)
    run = edition.run(moment)
    tick(run)
    row_ = run.edition.journal[-1]
    detail = json.loads(row_.detail)
    (journalled,) = detail["changed_after_freeze"]
    label = next(c.label("kk") for c in edition.config.criteria if c.key == crit)
    change = f"{a.application_ids[0]} / {label}: {frozen} → {new}"
    assert journalled["sheet"] == a.sheet_id and journalled["expert"] == a.expert.email
    assert journalled["stage"] == 1 and journalled["group"] == a.group and journalled["revision"]
    assert change in journalled["changes"]

    later = edition.run(moment + timedelta(minutes=10))  # read back from the control store
    (recorded,) = later.state.freeze_edits
    assert (recorded.stage, recorded.group, recorded.expert, recorded.sheet) == (1, a.group, a.expert.email, a.sheet_id)
    assert recorded.detected_at == moment and change in recorded.changes and recorded.revision
    (shown,) = json.loads(status_json(later))["post_freeze_edits"]
    assert shown["recorded"] is True and change in shown["changes"] and shown["detected_at"] == moment.isoformat()
    console = Console(record=True, width=200)
    render_status(build_status(later), console)
    text = console.export_text()
    assert "Мұздатудан кейін өзгертілген бағалау парақтары" in text and f"{frozen} → {new}" in text
    assert "мұздатылған бағалар пайдаланылады" in text
    annex = edition.extract_text(1, a.group)
    assert "ҚОСЫМША. Мұздатудан кейін өзгертілген бағалау парақтары" in annex
    assert change in annex and "мұздатылған бағалар пайдаланылды" in annex

    # the results did not change, and a second tick records nothing new
    assert {k: (o.selected, [s.score for s in o.standings]) for k, o in later.state.outcomes.items()} == results
    used = {r.application_id: r for r in later.state.ratings[(1, a.group)] if r.expert_email == a.expert.email}
    assert used[a.application_ids[0]].scores[crit] == frozen
    tick(edition.run(moment + timedelta(hours=1)))
    assert len(edition.run(moment + timedelta(hours=2)).state.freeze_edits) == 1


@pytest.mark.parametrize("backend", ["local", "google"])
def test_an_edit_after_the_edition_closed_is_noticed_by_tick_and_audit(
    tmp_path, backend, finished_demo, finished_google_demo
):
    # the whole edition, its ties decided, built once per test run on each backend (tests/conftest.py)
    factory = None
    if backend == "google":
        google = finished_google_demo.restore(tmp_path / "edition")
        root, factory = google.config_path.parent, google.factory
    else:
        root = finished_demo.copy(tmp_path / "edition").parent
    edition = Edition(root, backend, factory)
    end = edition.config.calendar.stage3_close + timedelta(days=1)
    run = edition.run(end + timedelta(days=1))
    assert run.state.stage(3).state is StageState.CLOSED and build_status(run)["winners"]
    assert run.state.freeze_edits == [] and audit(edition.run(end)) == 0
    a = run.state.sheets(1)[0]
    lay = rating_sheet.layout(run.config)
    edition.edit(a, lay.data_row(0), max(lay.scores.values()), 3)

    auditing = edition.run(end + timedelta(days=2))
    assert audit(auditing) >= 1
    assert any(a.sheet_id in line for line in auditing.messages)
    ticking = edition.run(end + timedelta(days=2, minutes=5))
    tick(ticking)
    (entry,) = json.loads(ticking.edition.journal[-1].detail)["changed_after_freeze"]
    assert entry["sheet"] == a.sheet_id and entry["stage"] == 1
    (recorded,) = edition.run(end + timedelta(days=3)).state.freeze_edits
    assert recorded.sheet == a.sheet_id
