"""Least privilege (regulation 14): the narrowest OAuth scopes, listed once (scopes.py) and in the
README; what the product makes in My Drive carries writersCanShare=false, so an expert with edit
access cannot pass their rating sheet on (Drive refuses; the fake enforces it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import google_auth_httplib2
import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from google_fake import FakeGoogle
from google_fake.demo import fake_workspace, google_config
from pipelines.backends.google import scopes
from pipelines.backends.google.scopes import scopes_for
from pipelines.config import FormSourceConfig
from pipelines.ports import DocKey

README = Path(__file__).resolve().parents[3] / "README.md"
EXPERT = "e.zhumabayev@atu.edu.kz"  # the expert of the `spec` fixture (conftest.py)
AUTH = "https://www.googleapis.com/auth/"


def _drive_as(fake, email):
    http = google_auth_httplib2.AuthorizedHttp(Credentials(token=fake.token_for(email)), http=fake.http())
    return build("drive", "v3", http=http, static_discovery=True, cache_discovery=False)


@pytest.fixture
def my_drive(base_config):
    """A CDB user's own Drive (backend.auth: oauth, no shared drive): where writersCanShare applies."""
    fake = FakeGoogle(seed=11)
    config = google_config(base_config, shared_drive_id=None, auth="oauth", cdb_editors=["cdb@atu.edu.kz"])
    yield fake, config, fake_workspace(config, fake)
    fake.assert_all_valid()


def test_an_expert_cannot_share_their_rating_sheet_on(my_drive, spec):
    fake, _config, ws = my_drive
    ref = ws.sheets.ensure(spec)
    assert fake.file_meta(ref.id)["writersCanShare"] is False
    expert = _drive_as(fake, EXPERT)
    assert expert.files().get(fileId=ref.id).execute()["id"] == ref.id  # shared with them, as writer
    with pytest.raises(HttpError) as refused:
        expert.permissions().create(
            fileId=ref.id, body={"type": "user", "role": "writer", "emailAddress": "friend@gmail.com"}
        ).execute()
    assert refused.value.resp.status == 403
    assert json.loads(refused.value.content)["error"]["errors"][0]["reason"] == "insufficientFilePermissions"
    assert {p["emailAddress"] for p in fake.file_meta(ref.id)["permissions"]} == {fake.identity, EXPERT}


def test_documents_and_the_control_spreadsheet_are_not_passed_on_either(my_drive):
    fake, _config, ws = my_drive
    ws.drive.put(DocKey("2027-test", "form01", 0, "FIT-IS", "DER-1"), ["intake"], "form01.docx", b"PK\x03\x04 docx")
    ws.drive.put(DocKey("2027-test", "long_text", 0, "-", "abc"), ["long-texts"], "abc.txt", b"long", "text/plain")
    ws.control.write_tables({"registry": (["id"], [["DER-1"]])})
    made = [f for f in fake.files.values() if not f.is_folder and not f.is_root]
    assert {f.app_properties.get("contest") or f.app_properties.get("kind") for f in made} == {"control", "document"}
    assert len(made) == 3
    for f in made:
        assert fake.file_meta(f.id)["writersCanShare"] is False, f.name
    for doc in [f for f in made if f.app_properties.get("contest") == "document"]:
        assert fake.file_meta(doc.id)["copyRequiresWriterPermission"] is True


def test_the_workspace_runs_under_the_products_scopes_and_no_broader(ws, fake, config, spec):
    ws.sheets.ensure(spec)
    ws.control.write_tables({"registry": (["id"], [["DER-1"]])})
    (grant,) = {g for g in fake.tokens.values()}
    assert grant.scopes == set(scopes_for(config)) == {scopes.DRIVE_FILE}  # the example reads an export file
    assert not [r for r in fake.requests if r.status == 403]


def _config(base_config, form_kind, **backend):
    form = {
        "file": FormSourceConfig(kind="file", path="responses.csv"),
        "sheet": FormSourceConfig(kind="sheet", spreadsheet_id="1responses"),
        "forms_api": FormSourceConfig(kind="forms_api", form_id="1form"),
    }[form_kind]
    return google_config(base_config, shared_drive_id="0Adrive", **backend).model_copy(update={"form": form})


@pytest.mark.parametrize(
    ("form_kind", "backend", "wanted"),
    [
        ("file", {}, ["drive.file"]),
        ("sheet", {}, ["drive.file", "spreadsheets.readonly"]),
        ("forms_api", {}, ["drive.file", "forms.body.readonly", "forms.responses.readonly"]),
        ("file", {"gmail": True}, ["drive.file", "gmail.send"]),
        ("file", {"gmail": True, "mail_lookup": True}, ["drive.file", "gmail.send", "gmail.readonly"]),
        ("file", {"mail_lookup": True}, ["drive.file"]),  # no Gmail, no mailbox
        ("file", {"root_folder_id": "1folder"}, ["drive"]),  # a folder made by hand: drive.file cannot see it
        ("file", {"control_spreadsheet_id": "1control"}, ["drive"]),
    ],
)
def test_each_configuration_asks_for_the_narrowest_scopes(base_config, form_kind, backend, wanted):
    assert scopes_for(_config(base_config, form_kind, **backend)) == [AUTH + s for s in wanted]


def test_the_readme_lists_every_scope_the_product_may_ask_for():
    text = README.read_text(encoding="utf-8")
    section = text.split("## Google scopes", 1)[1].split("\n## ", 1)[0]
    asked = {v for k, v in vars(scopes).items() if k.isupper() and isinstance(v, str) and v.startswith(AUTH)}
    listed = set(re.findall(r"https://www\.googleapis\.com/auth/[a-z.]+", section))
    assert asked - {scopes.AUTH} == listed
    assert "mail_lookup" in section and "whole mailbox" in section


def test_a_service_account_asks_for_the_configs_scopes_and_its_mailbox_for_gmail_alone(base_config, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from pipelines.backends.google import _mailbox, _service_account

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key = tmp_path / "key.json"
    key.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "p",
                "private_key_id": "k",
                "private_key": pem.decode(),
                "client_email": "bot@p.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    config = _config(base_config, "forms_api", credentials=str(key), gmail=True, sender="cdb@atu.edu.kz")
    assert scopes_for(config) == [
        AUTH + s for s in ("drive.file", "forms.body.readonly", "forms.responses.readonly", "gmail.send")
    ]
    creds = _service_account(config)  # no request is made until a job runs
    assert creds.scopes == scopes_for(config)[:-1]  # the account's own token: no Gmail scope
    mailbox = _mailbox(creds, config.backend)  # domain-wide delegation: only what the Admin console grants
    assert mailbox.scopes == [scopes.GMAIL_SEND] and mailbox._subject == "cdb@atu.edu.kz"
    with_lookup = config.backend.model_copy(update={"mail_lookup": True})
    assert _mailbox(creds, with_lookup).scopes == [scopes.GMAIL_SEND, scopes.GMAIL_READONLY]
