"""The whole demo edition on fake Google, against the same edition on the local workspace:
same registry, selections and winners; every request valid; never over quota; budgets kept;
nothing created twice when every job runs again; sharing ends with each expert as reader only."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from pipelines.backends import open_workspace
from pipelines.config import load_config
from pipelines.jobs.common import Run
from pipelines.jobs.intake import run_intake
from pipelines.jobs.remind import remind
from pipelines.jobs.status import build_status
from pipelines.jobs.tick import tick


@pytest.fixture(scope="module")
def editions(tmp_path_factory, finished_demo, finished_google_demo):
    """The demo on fake Google, and the same demo on the local workspace (each built once per test
    run, tests/conftest.py, and copied here)."""
    root = tmp_path_factory.mktemp("parity")
    local_config = load_config(finished_demo.copy(root / "local"))
    local = open_workspace(local_config)
    google = finished_google_demo.restore(root / "google")
    google_config = load_config(google.config_path)
    return {
        "local": (local_config, local),
        "google": (google_config, google.factory(google_config)),
        "lines": finished_google_demo.lines,
        "operations": finished_google_demo.operations,
    }


def _status(config, workspace):
    return build_status(Run(config=config, workspace=workspace, now=config.calendar.stage3_close + timedelta(days=2)))


def _summary(status):
    # A response with neither a title nor a link has no DER identity: its id comes from the source's
    # own row key (a sheet row vs a Forms responseId), so it is compared by what was decided only.
    def decided(a):
        return (a["registry_status"], a["status"], sorted(r["rule"] for r in a["reasons"]))

    return {
        "applications": {a["id"]: decided(a) for a in status["applications"] if a["title"]},
        "without_identity": sorted(decided(a) for a in status["applications"] if not a["title"]),
        "stages": [
            (
                s["number"],
                s["state"],
                sorted((g["name"], tuple(sorted(g["selected"])), tuple(sorted(g["experts"]))) for g in s["groups"]),
            )
            for s in status["stages"]
        ],
        "winners": status["winners"],
        # The results PDF depends on the host (local conversion needs LibreOffice): checked on its own below.
        "documents": Counter(d["kind"] for d in status["documents"] if d["kind"] != "results_pdf"),
        "results_pdf": [d["path_or_url"] for d in status["documents"] if d["kind"] == "results_pdf"],
    }


def test_google_gives_the_same_registry_selections_and_winners_as_local(editions):
    local = _summary(_status(*editions["local"]))
    google = _summary(_status(*editions["google"]))
    assert len(local["applications"]) >= 40
    assert google["applications"] == local["applications"]
    assert google["without_identity"] == local["without_identity"]
    assert google["stages"] == local["stages"]
    assert [s[1] for s in google["stages"]] == ["closed", "closed", "closed"]
    assert google["winners"] == local["winners"] and len(google["winners"]) == 3
    assert google["documents"] == local["documents"]
    assert len(google["results_pdf"]) == 1  # Drive exports the PDF itself: made on any host


@pytest.mark.needs_libreoffice
def test_the_local_workspace_makes_the_results_pdf_too(editions):
    (path,) = _summary(_status(*editions["local"]))["results_pdf"]
    assert Path(path).read_bytes().startswith(b"%PDF")


def test_every_request_was_valid_and_under_quota_and_counts_are_printed(editions):
    fake = editions["google"][1].stats["fake"]
    fake.assert_all_valid()
    assert not [r for r in fake.requests if r.status == 429]  # quotas enforced: the limiter kept under
    assert any(line.startswith("Google API requests:") for line in editions["lines"])
    assert any(line.startswith(("  1-орын:", "  1 место:")) for line in editions["lines"])  # kk or ru


def test_request_budgets_per_operation(editions):
    ops = editions["operations"]  # the demo's own workspace counted them
    # a rating sheet with all its content, validation and protection: at most 2 Sheets requests
    assert ops["create sheet"]["max_per_call"]["sheets"] <= 2
    # one Drive call to put it in its folder with its keys, one per permission
    assert ops["create sheet"]["max_per_call"]["drive"] <= 2
    # reading a sheet back at close: 1 request
    assert ops["read sheet at close"]["max_per_call"] == {"sheets": 1}
    # the registry (and every other table of a job) is written in at most 2 requests
    assert ops["write tables"]["max_per_call"]["sheets"] <= 2
    writes = sum(n for k, n in ops["write tables"]["requests"].items() if "batchUpdate" in k)
    assert writes <= ops["write tables"]["calls"]
    # a document: one Drive call to create or replace it
    assert ops["put document"]["max_per_call"] == {"drive": 1}


def test_running_every_job_again_creates_nothing(editions):
    config, workspace = editions["google"]
    fake = workspace.stats["fake"]
    files_before = {fid: (f.name, f.version) for fid, f in fake.files.items()}
    # a new process with an empty rate limiter: it starts a minute after the demo's last writes, as
    # cron's next tick would (Google counts the writes of the minute before, whoever made them)
    fake.sleep(60)
    cal = config.calendar
    moments = [
        cal.intake_open + timedelta(days=7),
        cal.intake_close + timedelta(minutes=5),
        cal.stage1_close + timedelta(hours=20),
        cal.stage2_close + timedelta(minutes=5),
        cal.stage3_close + timedelta(minutes=5),
        cal.stage3_close + timedelta(days=30),
    ]
    for now in moments:
        run = Run(config=load_config(config.base_dir / "contest.yaml"), workspace=workspace, now=now)
        tick(run)
        run_intake(run)
        remind(run)
    files_after = {fid: (f.name, f.version) for fid, f in fake.files.items()}
    assert set(files_after) == set(files_before)  # no new file, none deleted
    changed = [fake.files[f].app_properties.get("kind") for f in files_after if files_after[f] != files_before[f]]
    assert changed in ([], ["control"])  # only the journal grew: one row per run


def test_sharing_ends_with_each_expert_reader_of_their_own_sheet_only(editions):
    config, workspace = editions["google"]
    fake = workspace.stats["fake"]
    sheets = [f for f in fake.files.values() if f.app_properties.get("kind") == "rating_sheet"]
    assert len(sheets) == 47  # 30 department + 12 faculty + 5 contest commission sheets, none twice
    for f in sheets:
        people = [(p["emailAddress"], p["role"]) for p in f.permissions if p.get("type") != "owner"]
        assert people == [(f.app_properties["expert"], "reader")], f.name
    assert not [p for f in fake.files.values() for p in f.permissions if p.get("type") in ("anyone", "domain")]
    assert {n["to"] for n in fake.sent_notifications} == {f.app_properties["expert"] for f in sheets}


def test_audit_sharing_flags_anyone_else_on_a_google_sheet(editions):
    from pipelines.jobs.audit import audit

    config, workspace = editions["google"]
    fake = workspace.stats["fake"]
    now = config.calendar.stage3_close + timedelta(days=2)
    assert audit(Run(config=config, workspace=workspace, now=now)) == 0
    sheet = next(f for f in fake.files.values() if f.app_properties.get("kind") == "rating_sheet")
    drive = fake.build("drive")
    added = (
        drive.permissions()
        .create(
            fileId=sheet.id,
            supportsAllDrives=True,
            sendNotificationEmail=False,
            body={"type": "user", "role": "writer", "emailAddress": "outsider@example.com"},
        )
        .execute()
    )
    try:
        run = Run(config=config, workspace=workspace, now=now)
        assert audit(run) == 1
        assert any("outsider@example.com" in m for m in run.messages)
    finally:
        drive.permissions().delete(fileId=sheet.id, permissionId=added["id"], supportsAllDrives=True).execute()


def test_the_applicants_are_told_through_gmail_once_per_event(editions):
    """The demo's Google has Gmail: the ticks sent the applicants' messages through it, each key
    recorded once, and a later run sends nothing again."""
    from pipelines.jobs.notify import notify, recorded

    config, workspace = editions["google"]
    assert workspace.mailer.notify.__self__.c.messages is not None  # Gmail is on
    run = Run(config=config, workspace=workspace, now=config.calendar.stage3_close + timedelta(days=2))
    keys = recorded(run)
    assert any(k.startswith("accepted ") for k in keys) and any(k.startswith("rejected ") for k in keys)
    assert sum(k.startswith("winner ") for k in keys) == config.quotas.prize_places
    assert any(k.startswith("stage1 ") for k in keys) and any(k.startswith("stage2 ") for k in keys)
    assert not [d for d in workspace.drive.documents() if d.key.kind == "notifications"]  # nothing left for CDB
    again = notify(run)
    assert not again.listed and not again.sent


def test_audit_sharing_watches_every_file_and_folder_of_the_edition_and_the_shared_drive(editions):
    """The access changes a hurried CDB clerk or an expert makes by hand, beyond the rating sheets."""
    from pipelines.jobs.audit import audit

    config, workspace = editions["google"]
    fake = workspace.stats["fake"]
    now = config.calendar.stage3_close + timedelta(days=2)
    drive = fake.build("drive")
    files = [f for f in fake.files.values() if not f.is_root and not f.trashed]
    control = next(f for f in files if f.app_properties.get("kind") == "control")
    extract = next(f for f in files if f.app_properties.get("kind") == "protocol_extract")
    form02 = next(f for f in files if f.app_properties.get("kind") == "form02")
    stage_folder = next(f for f in files if f.mime_type == "application/vnd.google-apps.folder" and f.name == "stage-1")
    expert = next(f for f in files if f.app_properties.get("kind") == "rating_sheet").app_properties["expert"]
    other = next(
        f.app_properties["expert"]
        for f in files
        if f.app_properties.get("kind") == "rating_sheet" and f.app_properties["expert"] != expert
    )
    changes = [
        (control.id, {"type": "anyone", "role": "reader"}),
        (extract.id, {"type": "anyone", "role": "reader"}),
        (control.id, {"type": "user", "role": "reader", "emailAddress": expert}),
        (form02.id, {"type": "user", "role": "reader", "emailAddress": other}),
        (stage_folder.id, {"type": "user", "role": "reader", "emailAddress": expert}),
        (next(iter(fake.drives)), {"type": "user", "role": "reader", "emailAddress": other}),
    ]
    made = []
    try:
        for file_id, body in changes:
            params = dict(fileId=file_id, supportsAllDrives=True, body=body)
            if body["type"] == "user":
                params["sendNotificationEmail"] = False
            made.append((file_id, drive.permissions().create(**params).execute()["id"]))
        run = Run(config=config, workspace=workspace, now=now)
        assert audit(run) == len(changes)  # each counted once, where it was granted
        flagged = [m for m in run.messages if "«" in m]
        for file_id, _body in changes:
            assert any(file_id in m for m in flagged), file_id
    finally:
        for file_id, permission_id in made:
            drive.permissions().delete(fileId=file_id, permissionId=permission_id, supportsAllDrives=True).execute()
    assert audit(Run(config=config, workspace=workspace, now=now)) == 0


def test_documents_are_made_so_that_readers_cannot_copy_them(editions):
    config, workspace = editions["google"]
    fake = workspace.stats["fake"]
    docs = [f for f in fake.files.values() if f.app_properties.get("contest") == "document"]
    assert docs and all(f.extra.get("copyRequiresWriterPermission") for f in docs)
