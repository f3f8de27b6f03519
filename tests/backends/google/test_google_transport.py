"""Retries, quotas, timeouts and configuration errors, on the fake's simulated clock (no real waiting)."""

from __future__ import annotations

import pytest

from google_fake import FakeGoogle
from google_fake.demo import fake_workspace, google_config
from pipelines.backends.google import open_google
from pipelines.ports import BackendError, QuotaExceeded


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
    assert isinstance(error.value, QuotaExceeded)
    assert (error.value.status, error.value.reason) == (403, "storageQuotaExceeded")
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
    with pytest.raises(BackendError, match="не ключ сервисного аккаунта"):
        open_google(_with(config, credentials=str(tmp_path / "bad.json")))


def test_a_lost_answer_to_an_applied_batch_update_is_not_applied_twice(ws, fake):
    ws.control.read_table("anything")
    fake.timeout_next(1, method="spreadsheets.batchUpdate", after_apply=True)  # tabs added, answer lost
    assert ws.control.write_tables({"A": (["x"], [[1]]), "B": (["y"], [[2]])}) == ["A", "B"]
    assert [s.title for s in fake.spreadsheet_model(ws.control.id).sheets if not s.properties.get("hidden")] == [
        "A",
        "B",
    ]
    assert fake.counts()["sheets"]["spreadsheets.batchUpdate"] == 1  # not sent again: it had happened
    assert ws.control.read_table("B") == [{"y": 2}]


def test_oauth_uses_the_cached_user_token(base_config, tmp_path):
    import json
    from datetime import datetime, timedelta

    from pipelines.backends.google import scopes_for

    token = tmp_path / "token.json"
    token.write_text(
        json.dumps(
            {
                "token": "test-access-token",
                "refresh_token": "test-refresh-token",
                "client_id": "c.apps.googleusercontent.com",
                "client_secret": "s",
                "scopes": scopes_for(google_config(base_config, shared_drive_id="0Adrive")),
                "token_uri": "https://oauth2.googleapis.com/token",
                "expiry": (datetime.utcnow() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            }
        )
    )
    config = google_config(base_config, shared_drive_id="0Adrive", auth="oauth", token_path=str(token))
    ws = open_google(config)  # no browser, no network: nothing is requested until a job runs
    assert "shared drive 0Adrive" in ws.description
    assert oct(token.stat().st_mode & 0o777) == "0o600"


# --- the typed errors, and failures that never got an answer ---------------------------------------
# The real Transport, driven with a callable that raises: no network, no fake, no real waiting.
def _transport(max_retries: int = 3):
    import random

    from pipelines.backends.google.transport import Stats, Transport

    waits: list[float] = []
    transport = Transport(
        "drive",
        Stats(),
        per_minute=1000,
        max_retries=max_retries,
        clock=lambda: 0.0,
        sleep=waits.append,
        rng=random.Random(3),
    )
    return transport, waits


def _failing(*failures):
    """A send() that raises the given exceptions in turn, then answers "ok"; counts its calls."""
    calls = []

    def send():
        calls.append(1)
        if len(calls) <= len(failures):
            raise failures[len(calls) - 1]
        return "ok"

    return send, calls


def _http_error(status: int, reason: str | None = None, message: str = "refused", api_status: str | None = None):
    import json

    import httplib2
    from googleapiclient.errors import HttpError

    error = {"code": status, "message": message}
    if reason:
        error["errors"] = [{"reason": reason, "domain": "global", "message": message}]
    if api_status:
        error["status"] = api_status
    resp = httplib2.Response({"status": str(status)})
    resp.reason = "Error"
    return HttpError(resp, json.dumps({"error": error}).encode())


def _connection_failures():
    """Failures that may clear by waiting: retried."""
    import http.client
    import ssl

    import requests

    return [
        ConnectionResetError(104, "Connection reset by peer"),
        BrokenPipeError(32, "Broken pipe"),
        ssl.SSLEOFError(8, "EOF occurred in violation of protocol"),
        ssl.SSLError(1, "[SSL: DECRYPTION_FAILED_OR_BAD_RECORD_MAC] decryption failed or bad record mac"),
        http.client.RemoteDisconnected("Remote end closed connection without response"),
        requests.exceptions.ConnectionError("('Connection aborted.', RemoteDisconnected())"),
        requests.exceptions.Timeout("Read timed out. (read timeout=60)"),
        TimeoutError("timed out"),
    ]


def _no_route_failures():
    """Failures that show there is no route to Google at all: not retried."""
    import errno
    import socket

    import httplib2
    import requests
    from google.auth.exceptions import TransportError

    refused = ConnectionRefusedError(111, "Connection refused")
    wrapped = requests.exceptions.ConnectionError("Max retries exceeded")
    wrapped.__context__ = OSError(errno.ENETUNREACH, "Network is unreachable")
    token = TransportError("token refresh failed")
    token.__cause__ = httplib2.ServerNotFoundError("Unable to find the server at oauth2.googleapis.com")
    return [
        refused,
        socket.gaierror(-3, "Temporary failure in name resolution"),
        httplib2.ServerNotFoundError("Unable to find the server at www.googleapis.com"),
        OSError(errno.EHOSTUNREACH, "No route to host"),
        wrapped,
        token,
    ]


@pytest.mark.parametrize("failure", _connection_failures(), ids=lambda e: type(e).__name__)
def test_a_connection_failure_is_retried_then_ends_as_unavailable(failure):
    from pipelines.i18n import error_text
    from pipelines.ports import Unavailable

    transport, waits = _transport(max_retries=3)
    send, calls = _failing(*[failure] * 4)
    with pytest.raises(Unavailable) as error:
        transport.call("files.list", send)
    assert len(calls) == 4 and len(waits) == 3  # retried within the bound
    assert [int(w) for w in waits] == [1, 2, 4]  # the truncated exponential backoff of 5xx, jitter below 1 s
    said = error_text(error.value, "ru")
    assert said.startswith("Google drive files.list: нет ответа после 4 попыток")
    assert type(failure).__name__ in said and "проверьте сеть" in said and "appsstatus" in said
    assert "Жауап жоқ" not in said and "жауап жоқ" in error_text(error.value, "kk")
    assert "\n" not in str(error.value)
    assert error.value.__cause__ is failure and error.value.status is None
    assert transport.stats.retries == 3


@pytest.mark.parametrize("failure", _no_route_failures(), ids=lambda e: type(e).__name__)
def test_no_route_to_google_ends_at_once_in_the_editions_language(failure):
    from pipelines.i18n import error_text
    from pipelines.ports import Unavailable

    transport, waits = _transport(max_retries=5)
    send, calls = _failing(*[failure] * 6)
    with pytest.raises(Unavailable) as error:
        transport.call("files.list", send)
    assert len(calls) == 1 and waits == []  # nothing to wait for: the network will not come back in minutes
    assert error_text(error.value, "kk").startswith("Google-ға (drive) жол жоқ")
    assert error_text(error.value, "ru").startswith("Нет связи с Google (drive;")
    assert "Error" in error_text(error.value, "ru") or "error" in error_text(error.value, "ru")


@pytest.mark.parametrize("failure", _connection_failures(), ids=lambda e: type(e).__name__)
def test_a_connection_failure_then_an_answer_succeeds(failure):
    transport, waits = _transport()
    send, calls = _failing(failure)
    assert transport.call("files.list", send) == "ok"
    assert len(calls) == 2 and len(waits) == 1


def test_an_unanswered_write_asks_whether_it_happened_before_sending_again():
    import random

    from pipelines.backends.google.transport import Stats, Transport

    class Request:  # what Transport.execute needs of a googleapiclient HttpRequest
        methodId, method = "drive.files.create", "POST"

        def execute(self, num_retries):
            raise ConnectionResetError(104, "Connection reset by peer")

    transport = Transport(
        "drive", Stats(), per_minute=1000, max_retries=3, clock=lambda: 0.0, sleep=lambda s: None, rng=random.Random(3)
    )
    assert transport.execute(Request(), recover=lambda: (True, {"id": "made"})) == {"id": "made"}


@pytest.mark.parametrize("reason", ["sharingRateLimitExceeded", "userRateLimitExceeded", "rateLimitExceeded"])
def test_drive_rate_limit_403s_are_retried_and_succeed_later(reason):
    transport, waits = _transport()
    send, calls = _failing(_http_error(403, reason), _http_error(403, reason))
    assert transport.call("permissions.create", send, write=True) == "ok"
    assert len(calls) == 3 and len(waits) == 2


def test_rate_limits_that_never_clear_end_as_quota_exceeded_with_the_reason():
    from pipelines.ports import QuotaExceeded

    transport, waits = _transport(max_retries=2)
    send, calls = _failing(*[_http_error(403, "sharingRateLimitExceeded", "Rate limit exceeded for sharing")] * 3)
    with pytest.raises(QuotaExceeded) as error:
        transport.call("permissions.create", send, write=True)
    assert len(calls) == 3
    assert (error.value.status, error.value.reason) == (403, "sharingRateLimitExceeded")
    assert "gave up after 3 attempts" in str(error.value) and "backend.drive_per_minute" in str(error.value)


def test_5xx_that_never_clears_ends_as_unavailable_with_the_status():
    from pipelines.ports import Unavailable

    transport, _ = _transport(max_retries=1)
    send, _calls = _failing(*[_http_error(503, "backendError", "The service is currently unavailable.")] * 2)
    with pytest.raises(Unavailable) as error:
        transport.call("files.get", send)
    assert (error.value.status, error.value.reason) == (503, "backendError")


@pytest.mark.parametrize(
    "status,reason,api_status,kind",
    [
        (404, "notFound", None, "NotFound"),
        (412, "conditionNotMet", None, "Conflict"),
        (409, "alreadyExists", None, "Conflict"),
        (400, "failedPrecondition", "FAILED_PRECONDITION", "Conflict"),
        (400, None, "INVALID_ARGUMENT", "InvalidRequest"),
        (403, "forbidden", None, "PermissionDenied"),
        (401, "authError", None, "PermissionDenied"),
        (403, "storageQuotaExceeded", None, "QuotaExceeded"),
    ],
)
def test_http_errors_become_typed_errors_with_status_and_reason_and_are_not_retried(status, reason, api_status, kind):
    from googleapiclient.errors import HttpError

    from pipelines import ports

    transport, waits = _transport()
    failure = _http_error(status, reason, "Google says\nno", api_status)
    send, calls = _failing(failure)
    with pytest.raises(ports.BackendError) as error:
        transport.call("files.get", send)
    assert type(error.value) is getattr(ports, kind)
    assert error.value.status == status and error.value.reason == (reason or api_status)
    assert isinstance(error.value.__cause__, HttpError) and "\n" not in str(error.value)
    assert len(calls) == 1 and waits == []


def test_a_gspread_api_error_is_typed_too():
    import json

    import requests
    from gspread.exceptions import APIError

    from pipelines.ports import NotFound

    response = requests.Response()
    response.status_code = 404
    response._content = json.dumps(
        {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}}
    ).encode()
    transport, _ = _transport()
    send, _calls = _failing(APIError(response))
    with pytest.raises(NotFound) as error:
        transport.call("spreadsheets.values.get", send)
    assert error.value.status == 404 and error.value.reason == "NOT_FOUND"
    assert "Requested entity was not found." in str(error.value)


# --- end to end: a connection reset inside the real googleapiclient, against the fake ---------------
@pytest.fixture
def resets_instead_of_timeouts(fake, monkeypatch):
    """The fake's timeout faults (fake.timeout_next) arrive as a reset connection instead: the
    fault API picks the request and whether the server applied it first ("mid-request")."""

    http_class = type(fake.http())
    plain = http_class.request

    def request(self, *args, **kwargs):
        try:
            return plain(self, *args, **kwargs)
        except TimeoutError:
            raise ConnectionResetError(104, "Connection reset by peer") from None

    monkeypatch.setattr(http_class, "request", request)


def test_a_connection_reset_through_googleapiclient_is_retried(ws, fake, resets_instead_of_timeouts):
    ws.control.read_table("anything")
    fake.reset_counts()
    fake.timeout_next(1, method="spreadsheets.batchUpdate")
    assert ws.control.write_tables({"A": (["x"], [[1]])}) == ["A"]
    assert fake.sheet_values(ws.control.id, "A") == [["x"], [1]]
    assert fake.counts()["sheets"]["spreadsheets.batchUpdate"] == 2  # the reset one, then the retry
    assert ws.stats["transport"].retries == 1


def test_a_reset_after_the_server_applied_a_batch_update_does_not_apply_it_twice(ws, fake, resets_instead_of_timeouts):
    ws.control.read_table("anything")
    fake.reset_counts()
    fake.timeout_next(1, method="spreadsheets.batchUpdate", after_apply=True)  # applied, then the reset
    assert ws.control.write_tables({"A": (["x"], [[1]]), "B": (["y"], [[2]])}) == ["A", "B"]
    assert [s.title for s in fake.spreadsheet_model(ws.control.id).sheets if not s.properties.get("hidden")] == [
        "A",
        "B",
    ]
    assert fake.counts()["sheets"]["spreadsheets.batchUpdate"] == 1


def test_connection_resets_that_never_end_are_unavailable_naming_the_api(fake, config, resets_instead_of_timeouts):
    from pipelines.ports import Unavailable

    ws = fake_workspace(_with(config, max_retries=2), fake)
    ws.control.read_table("anything")
    fake.timeout_next(3, method="spreadsheets.batchUpdate")
    with pytest.raises(
        Unavailable,
        match=r"Google sheets .*batchUpdate: нет ответа после 3 попыток .*ConnectionResetError.*проверьте сеть",
    ):
        ws.control.write_tables({"A": (["x"], [[1]])})


@pytest.mark.parametrize(
    ("failure", "kk", "ru"),
    [
        ((404, "notFound"), "Google сұралған файлды не нысанды таппады (404 notFound)", "проверьте идентификаторы"),
        ((403, "insufficientFilePermissions"), "Google рұқсат бермеді", "добавьте аккаунт в общий диск"),
        ((400, "badRequest"), "Google сұранысты қабылдамады (400 badRequest)", "отправьте разработчику"),
        ((403, "storageQuotaExceeded"), "сервистік тіркелгінің өз Drive орны жоқ", "backend.shared_drive_id"),
    ],
)
def test_googles_refusals_are_said_in_kk_and_ru_with_what_to_do_and_its_english_kept(failure, kk, ru):
    from pipelines.i18n import error_text

    transport, _ = _transport()
    send, _ = _failing(_http_error(*failure, message="Some English words of Google's"))
    with pytest.raises(BackendError) as error:
        transport.call("files.get", send)
    assert kk in error_text(error.value, "kk") and ru in error_text(error.value, "ru")
    assert "English" not in error_text(error.value, "kk")  # Google's words are the log's (contest.log)
    assert (error.value.status, error.value.reason) == failure


def test_5xx_and_rate_limits_that_never_clear_are_said_in_kk_and_ru():
    from pipelines.i18n import error_text

    transport, _ = _transport(max_retries=1)
    send, _ = _failing(*[_http_error(503, message="Backend Error")] * 2)
    with pytest.raises(BackendError) as error:
        transport.call("files.list", send)
    assert "Google 2 әрекеттен кейін де қате қайтарады (503)" in error_text(error.value, "kk")
    send, _ = _failing(*[_http_error(429, "rateLimitExceeded")] * 2)
    with pytest.raises(BackendError) as error:
        transport.call("files.list", send)
    said = error_text(error.value, "ru")
    assert "лимит запросов Google" in said and "уменьшите backend.drive_per_minute" in said
