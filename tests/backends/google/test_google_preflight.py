"""`contest preflight` on the fake: green when Google answers as it should; with a refusal Google
makes injected, it fails naming the step; after a crash midway the next run finds the leftovers by
their key and deletes them. Nothing it made is left behind either way."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from google_fake.demo import fake_workspace, google_config
from google_fake.server import SimulatedCrash
from pipelines import i18n
from pipelines.backends.google.preflight import PREFLIGHT_EDITION, google_preflight
from pipelines.jobs.common import Run
from pipelines.jobs.preflight import run_preflight

CDB = "cdb.secretary@atu.edu.kz"  # as in conftest.py

SENDER = "cdb@atu.edu.kz"
WORKSPACE = "application/vnd.google-apps."
FOLDER = "application/vnd.google-apps.folder"


@pytest.fixture
def form(fake):
    form_id = fake.add_form("DER contest", [("q1", "3. Название ЦОР с указанием дисциплины", "text")])
    fake.add_response(form_id, {"q1": "Python"}, respondent_email="a@atu.edu.kz")
    return form_id


@pytest.fixture
def gconfig(base_config, drive_id, form):
    return google_config(
        base_config, shared_drive_id=drive_id, form_id=form, cdb_editors=[CDB], gmail=True, sender=SENDER
    )


def _preflight(gconfig, fake, *, mail: bool = True, share_with: str | None = None):
    lines: list[str] = []
    ws = fake_workspace(gconfig, fake)
    run = Run(config=gconfig, workspace=ws, now=gconfig.calendar.intake_open)
    outcome = run_preflight(run, google_preflight(ws), mail=mail, say=lines.append, share_with=share_with)
    return outcome, lines


def _left(fake) -> list[str]:
    """Files still in Drive (not trashed) that the preflight made: found by its key."""
    return [
        f.name
        for f in fake.files.values()
        if (f.app_properties or {}).get("edition") == PREFLIGHT_EDITION and not f.trashed
    ]


def test_preflight_is_green_on_the_fake_and_leaves_nothing_behind(gconfig, fake):
    outcome, lines = _preflight(gconfig, fake)
    assert outcome.failed is None, lines
    assert outcome.steps == 10  # the leftovers, folder, sheet, write, share, docx, pdf, search, form, mail
    kk = gconfig.language == "kk"
    ok = "OK   " if kk else "OK   "
    assert all(line.startswith(ok) for line in lines[1:]), lines
    assert any(i18n.text("step_sheet", gconfig.language) in line for line in lines)
    assert "Google жауабы" in lines[3] if kk else "ответ Google" in lines[3]
    assert _left(fake) == []
    made = {r.method for r in fake.requests}
    # the kinds of request an edition makes, each once at least
    assert {
        "files.create",
        "spreadsheets.batchUpdate",
        "spreadsheets.values.batchUpdate",
        "permissions.create",
        "permissions.update",
        "files.export",
        "files.list",
        "forms.get",
        "forms.responses.list",
        "users.messages.send",
        "files.delete",
    } <= made
    fill = next(r for r in fake.requests if r.method == "spreadsheets.batchUpdate")
    kinds = {k for req in fill.body["requests"] for k in req}
    assert {"addProtectedRange", "updateCells"} <= kinds
    cells = [
        v for req in fill.body["requests"] for row in req.get("updateCells", {}).get("rows", []) for v in row["values"]
    ]
    assert any("dataValidation" in v for v in cells) and any("note" in v for v in cells)
    share = next(r for r in fake.requests if r.method == "permissions.create")
    assert share.query["sendNotificationEmail"] == ["false"] and share.body["emailAddress"] == SENDER
    assert fake.sent_notifications == []  # nobody was mailed by Drive
    assert [m["to"] for m in fake.sent_mail] == [SENDER] or len(fake.sent_mail) == 1


def test_without_mail_no_mail_is_sent_and_the_sheet_goes_to_the_address_asked(gconfig, fake):
    outcome, lines = _preflight(gconfig, fake, mail=False, share_with="registrar@atu.edu.kz")
    assert outcome.failed is None and outcome.steps == 9
    assert fake.sent_mail == [] and _left(fake) == []
    share = next(r for r in fake.requests if r.method == "permissions.create")
    assert share.body["emailAddress"] == "registrar@atu.edu.kz"
    assert any("registrar@atu.edu.kz" in line for line in lines)


def _generated_id_on_a_workspace_file(body, query):
    """Drive refuses a pre-generated id for a Google Workspace file other than a folder (Drive API
    guide "Create and manage files" > "Generate IDs"; answered 400 generatedIdNotSupported)."""
    mime = str((body or {}).get("mimeType", ""))
    return bool((body or {}).get("id")) and mime.startswith(WORKSPACE) and mime != FOLDER


REFUSALS = {
    # a file the caller may not see: Drive answers 404 notFound ("Resolve errors": 404 File not found)
    "not_shared": ("step_form", lambda fake: fake.fail_next(1, 404, "notFound", method="forms.get")),
    # a scope the token lacks: 403 insufficientPermissions ("Resolve errors", 403 insufficientPermissions)
    "scopes": (
        "step_mail",
        lambda fake: fake.fail_next(
            1, 403, "insufficientPermissions", method="users.messages.send", message="Insufficient Permission"
        ),
    ),
    "scopes_on_documents": (
        "step_docx",
        lambda fake: fake.refuse_when(
            lambda body, q: (body or {}).get("appProperties", {}).get("contest") == "document",
            403,
            "insufficientPermissions",
            "Insufficient Permission: Request had insufficient authentication scopes.",
            method="files.create",
        ),
    ),
    # sharing refused by a Workspace policy (sharing outside the domain, or with an outside account):
    # 400 invalidSharingRequest ("Resolve errors", invalidSharingRequest)
    "sharing": (
        "step_share",
        lambda fake: fake.refuse_when(
            lambda body, q: True,
            400,
            "invalidSharingRequest",
            'Bad Request. User message: "Sharing outside of the domain is not allowed."',
            method="permissions.create",
        ),
    ),
}


@pytest.mark.parametrize("refusal", sorted(REFUSALS))
def test_a_refusal_fails_naming_the_step_and_leaves_nothing(gconfig, fake, refusal):
    key, inject = REFUSALS[refusal]
    inject(fake)
    outcome, lines = _preflight(gconfig, fake)
    step = i18n.text(key, gconfig.language)
    assert outcome.failed == step, lines
    failed = [line for line in lines[1:] if not line.startswith("OK")]
    assert len(failed) == 1 and step in failed[0], lines
    assert _left(fake) == []


def test_a_pre_generated_id_refused_for_a_workspace_file_names_the_step_that_sent_it(gconfig, fake):
    """What Google answers a Sheet or converted Doc created with an id from files.generateIds. The
    product is to stop sending those (issue 18 item 2): then the preflight passes; as long as it
    sends one, the preflight stops at the step that did, before anything is shared."""
    hits: list[dict] = []

    def refused(body, query):
        if _generated_id_on_a_workspace_file(body, query):
            hits.append(body)
            return True
        return False

    fake.refuse_when(refused, 400, "generatedIdNotSupported", "Generated IDs are not supported", method="files.create")
    outcome, lines = _preflight(gconfig, fake)
    if not hits:
        assert outcome.failed is None, lines
    else:
        first = hits[0]["mimeType"]
        key = "step_sheet" if first.endswith("spreadsheet") else "step_pdf"
        assert outcome.failed == i18n.text(key, gconfig.language), lines
        assert "generatedIdNotSupported" in next(line for line in lines[1:] if not line.startswith("OK"))
        assert not any(r.method == "permissions.create" for r in fake.requests) or key == "step_pdf"
    assert _left(fake) == []


@pytest.mark.parametrize("crash_at", ["spreadsheets.batchUpdate", "permissions.update", "files.export", "files.list"])
def test_a_crash_midway_leaves_files_the_next_run_finds_and_deletes(gconfig, fake, crash_at):
    fake.crash_at(1 if crash_at != "files.list" else 3, method=crash_at)
    with pytest.raises(SimulatedCrash):
        _preflight(gconfig, fake)
    assert _left(fake), "the crash left what it had made"
    outcome, lines = _preflight(gconfig, fake)
    assert outcome.failed is None, lines
    first = lines[1]
    assert i18n.text("step_leftovers", gconfig.language) in first and "0" not in first.split("—")[-1]
    assert _left(fake) == []


def test_the_command_prints_each_step_and_exits_non_zero_naming_the_failed_step(gconfig, fake, tmp_path, monkeypatch):
    import yaml

    from pipelines import backends
    from pipelines.cli import cli

    path = tmp_path / "contest.yaml"
    data = gconfig.model_dump(mode="json", exclude_none=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(backends, "open_workspace", lambda config, **options: fake_workspace(config, fake, **options))
    fake.fail_next(1, 404, "notFound", method="forms.get")
    result = CliRunner().invoke(cli, ["--config", str(path), "preflight", "--record", str(tmp_path / "rec")])
    lang = gconfig.language
    assert result.exit_code == 1, result.output
    assert i18n.text("preflight_failed", lang, step=i18n.text("step_form", lang)) in result.output
    assert "Traceback" not in result.output
    assert [p.suffix for p in (tmp_path / "rec").iterdir()] == [".json"]
    assert _left(fake) == []
    result = CliRunner().invoke(cli, ["--config", str(path), "preflight"])
    assert result.exit_code == 0, result.output
    assert i18n.text("preflight_passed", lang, count=9) in result.output


def test_the_preflight_document_is_a_docx_that_reads_back():
    from docx import Document

    from pipelines.jobs.preflight import preflight_docx

    text = "\n".join(p.text for p in Document(io.BytesIO(preflight_docx("ru"))).paragraphs)
    assert text == i18n.text("preflight_doc_text", "ru")


def test_on_the_local_workspace_the_command_says_it_is_for_google(tmp_path):
    from pipelines.cli import cli

    example = Path(__file__).resolve().parents[3] / "examples" / "atu-2027" / "contest.yaml"
    (tmp_path / "contest.yaml").write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "contest.yaml"), "preflight"])
    assert result.exit_code == 1 and i18n.text("preflight_google_only", "kk") in result.output
    assert not (tmp_path / "workspace").exists()  # nothing was made
