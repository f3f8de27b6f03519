"""Retries, quotas, timeouts and configuration errors, on the fake's simulated clock (no real waiting)."""
from __future__ import annotations

import pytest

from pipelines.backends.google import open_google
from google_fake.demo import fake_workspace, google_config
from google_fake import FakeGoogle
from pipelines.ports import BackendError


def _with(config, **backend):
    return config.model_copy(update={"backend": config.backend.model_copy(update=backend)})


def test_storage_quota_is_explained_and_not_retried(base_config, requests_made):
    fake = FakeGoogle(service_account_without_storage=True)  # and no shared drive configured
    ws = fake_workspace(google_config(base_config, shared_drive_id=None), fake)
    fake.reset_counts()
    with pytest.raises(BackendError) as error:
        ws.control.write_tables({"registry": (["id"], [["DER-1"]])})
    message = str(error.value)
    assert "service accounts have no Drive storage" in message and "backend.shared_drive_id" in message
    assert "storageQuotaExceeded" in message and "auth: oauth" in message
    assert isinstance(error.value.__cause__, Exception)  # raised from the HttpError
    failed = [r for r in fake.requests if r.status == 403]
    assert len(failed) == 1 and fake.clock == 0  # one request, no backoff
    fake.assert_all_valid()


def test_429_twice_then_success_is_retried_with_backoff(ws, fake):
    ws.control.read_table("anything")  # find/create the control spreadsheet first
    fake.reset_counts()
    start = fake.clock
    fake.fail_next(2, status=429, method="spreadsheets.batchUpdate")
    assert ws.control.write_tables({"A": (["x"], [[1]]), "B": (["y"], [[2]])}) == ["A", "B"]
    assert fake.counts()["sheets"]["spreadsheets.batchUpdate"] == 3
    waited = fake.clock - start
    assert 1 + 2 <= waited <= 1 + 2 + 2  # 2^0 + jitter, then 2^1 + jitter
    assert ws.stats["transport"].retries == 2


def test_retries_are_bounded(fake, config):
    ws = fake_workspace(_with(config, max_retries=5), fake)
    ws.control.read_table("anything")
    fake.reset_counts()
    fake.fail_next(6, status=503, method="spreadsheets.batchUpdate")
    with pytest.raises(BackendError, match="gave up after 6 attempts"):
        ws.control.write_tables({"A": (["x"], [[1]])})
    assert fake.counts()["sheets"]["spreadsheets.batchUpdate"] == 6
    assert fake.clock <= 1 + 2 + 4 + 8 + 16 + 5  # waits are capped (32 s) and never more than 5


def test_rate_limit_403_is_retried_other_errors_are_not(ws, fake):
    ws.control.read_table("anything")
    fake.fail_next(1, status=403, reason="userRateLimitExceeded", method="spreadsheets.batchUpdate")
    assert ws.control.write_tables({"A": (["x"], [[1]])}) == ["A"]
    fake.reset_counts()
    fake.fail_next(1, status=400, message="Invalid requests[0]: nonsense", method="spreadsheets.batchUpdate")
    with pytest.raises(BackendError, match="nonsense"):
        ws.control.write_tables({"A": (["x"], [[2]])})
    assert fake.counts()["sheets"]["spreadsheets.batchUpdate"] == 1


def test_a_timeout_is_retried(ws, fake):
    ws.control.read_table("anything")
    fake.timeout_next(1, method="spreadsheets.batchUpdate")
    assert ws.control.write_tables({"A": (["x"], [[1]])}) == ["A"]
    assert fake.sheet_values(ws.control.id, "A") == [["x"], [1]]


def test_a_create_whose_answer_was_lost_is_not_made_twice(ws, fake):
    from pipelines.ports import DocKey

    fake.timeout_next(1, method="files.create", after_apply=True)  # the folder is made, the answer lost
    fake.timeout_next(1, method="files.create", after_apply=True)
    ws.drive.put(DocKey("2027-test", "form01", 0, "G", "DER-1"), [], "a.docx", b"PK-not-really")
    names = sorted(f.name for f in fake.files.values() if not f.is_root)
    assert names == sorted(["a.docx", ws_edition_name(ws)])


def ws_edition_name(ws) -> str:
    return ws.control.c.edition_name


def test_the_limiter_keeps_under_googles_quota(fake, config):
    fake.enforce_quotas(sheets_reads_per_minute=60, sheets_writes_per_minute=60)
    ws = fake_workspace(_with(config, sheets_per_minute=55), fake)
    ws.control.write_tables({"A": (["x"], [[1]])})
    for n in range(70):  # 70 writes: over a minute's quota
        ws.control.write_tables({"A": (["x"], [[n + 2]])})
    assert not [r for r in fake.requests if r.status == 429]
    assert fake.clock >= 60  # it waited (on the simulated clock) instead of being refused


def test_a_missing_key_file_names_the_setting_and_the_variable(base_config, tmp_path, monkeypatch):
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    config = google_config(base_config, shared_drive_id="0Adrive")
    with pytest.raises(BackendError) as error:
        open_google(config)
    assert "backend.credentials" in str(error.value) and "GOOGLE_APPLICATION_CREDENTIALS" in str(error.value)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    with pytest.raises(BackendError, match="missing.json"):
        open_google(config)
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(BackendError, match="not a service-account key"):
        open_google(_with(config, credentials=str(tmp_path / "bad.json")))


def test_a_lost_answer_to_an_applied_batch_update_is_not_applied_twice(ws, fake):
    ws.control.read_table("anything")
    fake.timeout_next(1, method="spreadsheets.batchUpdate", after_apply=True)  # tabs added, answer lost
    assert ws.control.write_tables({"A": (["x"], [[1]]), "B": (["y"], [[2]])}) == ["A", "B"]
    assert [s.title for s in fake.spreadsheet_model(ws.control.id).sheets] == ["A", "B"]
    assert fake.counts()["sheets"]["spreadsheets.batchUpdate"] == 1  # not sent again: it had happened
    assert ws.control.read_table("B") == [{"y": 2}]


def test_oauth_uses_the_cached_user_token(base_config, tmp_path):
    import json
    from datetime import datetime, timedelta

    from pipelines.backends.google import SCOPES

    token = tmp_path / "token.json"
    token.write_text(json.dumps({
        "token": "test-access-token", "refresh_token": "test-refresh-token", "client_id": "c.apps.googleusercontent.com",
        "client_secret": "s", "scopes": SCOPES, "token_uri": "https://oauth2.googleapis.com/token",
        "expiry": (datetime.utcnow() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}))
    config = google_config(base_config, shared_drive_id="0Adrive", auth="oauth", token_path=str(token))
    ws = open_google(config)  # no browser, no network: nothing is requested until a job runs
    assert "shared drive 0Adrive" in ws.description
    assert oct(token.stat().st_mode & 0o777) == "0o600"
