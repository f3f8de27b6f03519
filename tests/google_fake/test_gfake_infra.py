import socket

import google_auth_httplib2
import gspread
import pytest
import requests
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from google_fake import FakeGoogle


def _new_sheet(sheets):
    return sheets.spreadsheets().create(body={"properties": {"title": "q"}}).execute()["spreadsheetId"]


def test_quota_429_on_simulated_clock(fake, sheets, gc):
    sid = _new_sheet(sheets)
    fake.enforce_quotas(sheets_reads_per_minute=3, sheets_writes_per_minute=2)
    for _ in range(3):
        sheets.spreadsheets().values().get(spreadsheetId=sid, range="A1").execute()
    with pytest.raises(HttpError) as exc:
        sheets.spreadsheets().values().get(spreadsheetId=sid, range="A1").execute()
    assert exc.value.status_code == 429
    assert "Read requests per minute per user" in exc.value.reason
    # writes have their own bucket
    for _ in range(2):
        sheets.spreadsheets().values().update(
            spreadsheetId=sid, range="A1", valueInputOption="RAW", body={"values": [[1]]}
        ).execute()
    with pytest.raises(gspread.exceptions.APIError) as gexc:
        gc.open_by_key(sid).sheet1.update([[2]], "A1")  # gspread: spreadsheets.get is a read
    assert gexc.value.code == 429
    fake.sleep(59.9)
    with pytest.raises(HttpError):
        sheets.spreadsheets().values().get(spreadsheetId=sid, range="A1").execute()
    fake.advance(0.2)  # the rolling window has moved on
    assert sheets.spreadsheets().values().get(spreadsheetId=sid, range="A1").execute()["values"] == [["1"]]
    rejected = [r for r in fake.requests if r.status == 429]
    assert len(rejected) == 3 and all(r.valid for r in rejected)
    fake.disable_quotas()


def test_googleapiclient_retries_on_fake_clock(fake, sheets):
    sid = _new_sheet(sheets)
    fake.fail_next(2, status=503, method="values.get")
    req = sheets.spreadsheets().values().get(spreadsheetId=sid, range="A1")
    req._sleep = fake.sleep  # googleapiclient's back-off sleeps on the fake clock
    t0 = fake.clock
    assert req.execute(num_retries=3)["range"] == "Sheet1!A1"
    assert fake.clock > t0
    assert [r.status for r in fake.requests[-3:]] == [503, 503, 200]


def test_fail_next_filters_by_method_and_leaves_state_alone(fake, sheets, drive):
    sid = _new_sheet(sheets)
    fake.fail_next(1, status=500, method="spreadsheets.values.update")
    drive.files().get(fileId=sid).execute()  # not matched: passes
    with pytest.raises(HttpError) as exc:
        sheets.spreadsheets().values().update(
            spreadsheetId=sid, range="A1", valueInputOption="RAW", body={"values": [["x"]]}
        ).execute()
    assert exc.value.status_code == 500
    assert fake.sheet_values(sid, "A1:B2") == []
    fake.fail_next(1, status=429, reason="rateLimitExceeded")
    with pytest.raises(HttpError) as exc:
        drive.files().list().execute()
    assert exc.value.status_code == 429 and exc.value.error_details[0]["reason"] == "rateLimitExceeded"
    fake.fail_next(1, status=403, reason="userRateLimitExceeded", method="drive.files.list")
    with pytest.raises(HttpError) as exc:
        drive.files().list().execute()
    assert exc.value.error_details[0]["domain"] == "global"


def test_timeouts_for_both_transports(fake, sheets, gc):
    sid = _new_sheet(sheets)
    fake.timeout_next(1)
    with pytest.raises(socket.timeout):
        sheets.spreadsheets().get(spreadsheetId=sid).execute()
    fake.timeout_next(1)
    with pytest.raises(requests.exceptions.Timeout):
        gc.open_by_key(sid)
    # response lost after the write was applied
    fake.timeout_next(1, method="values.update", after_apply=True)
    with pytest.raises(TimeoutError):
        sheets.spreadsheets().values().update(
            spreadsheetId=sid, range="A1", valueInputOption="RAW", body={"values": [["applied"]]}
        ).execute()
    assert fake.sheet_values(sid, "A1") == [["applied"]]
    # googleapiclient retries socket timeouts itself when num_retries > 0
    fake.timeout_next(1)
    req = sheets.spreadsheets().get(spreadsheetId=sid)
    req._sleep = fake.sleep
    assert req.execute(num_retries=2)["spreadsheetId"] == sid


def test_counts_and_reset(fake, sheets, drive, gc):
    sid = _new_sheet(sheets)
    sheets.spreadsheets().values().batchGet(spreadsheetId=sid, ranges=["A1", "B2"]).execute()
    gc.open_by_key(sid).sheet1.get("A1:B2")  # gspread: 2 x spreadsheets.get + values.get
    drive.files().list(q="trashed = false").execute()
    assert fake.counts() == {
        "sheets": {
            "spreadsheets.create": 1,
            "spreadsheets.values.batchGet": 1,
            "spreadsheets.get": 2,
            "spreadsheets.values.get": 1,
        },
        "drive": {"files.list": 1},
    }
    assert fake.total_requests() == 6
    transports = {r.transport for r in fake.requests}
    assert transports == {"http", "requests"}
    fake.reset_counts()
    assert fake.counts() == {} and len(fake.requests) == 6
    drive.files().get(fileId=sid).execute()
    assert fake.counts() == {"drive": {"files.get": 1}}
    rec = fake.requests[-1]
    assert rec.method_id == "drive.files.get" and rec.query == {"alt": ["json"]} and rec.ok


def test_authorized_http_wrapper_and_batch(fake):
    http = google_auth_httplib2.AuthorizedHttp(Credentials(token="t"), http=fake.http())
    assert http.timeout is None and http.redirect_codes
    drive = build("drive", "v3", http=http, static_discovery=True)
    fid = drive.files().create(body={"name": "batched"}, fields="id").execute()["id"]
    results = {}

    def callback(request_id, response, exception):
        results[request_id] = exception or response

    batch = drive.new_batch_http_request(callback=callback)
    for who in ("a@example.com", "b@example.com"):
        batch.add(
            drive.permissions().create(
                fileId=fid, sendNotificationEmail=False, body={"type": "user", "role": "reader", "emailAddress": who}
            ),
            request_id=who,
        )
    batch.add(drive.files().get(fileId="missing"), request_id="bad")
    batch.execute()
    assert results["a@example.com"]["role"] == "reader"
    assert isinstance(results["bad"], HttpError) and results["bad"].status_code == 404
    counts = fake.counts()["drive"]
    assert counts["batch"] == 1 and counts["permissions.create"] == 2 and counts["files.get"] == 1


def test_seeding_helpers_and_clock(fake, drive):
    t0 = fake.time()
    fake.sleep(30)
    assert fake.time() == t0 + 30 and fake.monotonic() == 30
    drive_id = fake.create_shared_drive("Contest 2026", members=[("judge@example.com", "writer")])
    folder = fake.create_folder("Inbox", parent=drive_id)
    fid = fake.add_file("a.pdf", b"%PDF", "application/pdf", parent=folder, app_properties={"team": "t1"})
    meta = fake.file_meta(fid)
    assert meta["driveId"] == drive_id and meta["parents"] == [folder]
    assert meta["createdTime"] == "2026-01-15T09:00:30.000Z"
    res = (
        drive.files()
        .list(
            q="appProperties has { key='team' and value='t1' }",
            corpora="allDrives",
            includeItemsFromAllDrives=True,
            supportsAllDrives=True,
            fields="files(id)",
        )
        .execute()
    )
    assert res["files"] == [{"id": fid}]
    other = FakeGoogle(identity="someone@example.com", latency=0.5, seed=3)
    other.build("drive").files().list().execute()
    assert other.clock == 0.5
