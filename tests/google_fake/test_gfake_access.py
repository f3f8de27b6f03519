"""The fake refuses what Google refuses (google_fake/access.py, sheets_batch.py, dates.py): a file not
shared with the caller, a call outside the token's scopes, drive.file beyond the app's own files, a
writer re-sharing where the owner forbade it, protected-range editors shown to others, typed dates
kept as text, every tab hidden. Each through the real client libraries, as a product would meet it."""

from __future__ import annotations

import datetime as dt
import json

import google_auth_httplib2
import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

OWNER = "cdb-bot@atu-contest.iam.gserviceaccount.com"  # the fake's identity
WRITER = "e.zhumabayev@atu.edu.kz"
STRANGER = "someone.else@atu.edu.kz"
AUTH = "https://www.googleapis.com/auth/"


def _service(fake, api, token):
    http = google_auth_httplib2.AuthorizedHttp(Credentials(token=token), http=fake.http())
    version = {"sheets": "v4", "drive": "v3", "forms": "v1", "gmail": "v1"}[api]
    return build(api, version, http=http, static_discovery=True, cache_discovery=False)


def _as(fake, api, email):
    return _service(fake, api, fake.token_for(email))


def _app(fake, api, *scopes):
    return _service(fake, api, fake.token_for(OWNER, scopes=[AUTH + s for s in scopes]))


def _error(exc: HttpError) -> dict:
    return json.loads(exc.content)["error"]


def _sheet(sheets, title="Scores", tabs=("Sheet1",)):
    body = {"properties": {"title": title}, "sheets": [{"properties": {"title": t}} for t in tabs]}
    return sheets.spreadsheets().create(body=body).execute()["spreadsheetId"]


def _share(drive, file_id, email, role="writer"):
    body = {"type": "user", "role": role, "emailAddress": email}
    return drive.permissions().create(fileId=file_id, body=body, sendNotificationEmail=False).execute()


# --- a file not shared with the caller ------------------------------------------------------------
def test_a_file_not_shared_with_the_caller_is_not_found_on_drive_and_forbidden_on_sheets(fake, sheets, drive):
    sid = _sheet(sheets)
    with pytest.raises(HttpError) as drive_says:
        _as(fake, "drive", STRANGER).files().get(fileId=sid).execute()
    assert drive_says.value.resp.status == 404
    assert _error(drive_says.value)["errors"][0]["reason"] == "notFound"
    assert _error(drive_says.value)["message"] == f"File not found: {sid}."
    with pytest.raises(HttpError) as sheets_says:
        _as(fake, "sheets", STRANGER).spreadsheets().get(spreadsheetId=sid).execute()
    # as recorded (gspread tests/cassettes/ClientTest.test_access_private_spreadsheet.json)
    assert sheets_says.value.resp.status == 403
    assert _error(sheets_says.value) == {
        "code": 403,
        "message": "The caller does not have permission",
        "status": "PERMISSION_DENIED",
    }
    assert sid not in [f["id"] for f in _as(fake, "drive", STRANGER).files().list().execute()["files"]]
    _share(drive, sid, STRANGER, "reader")
    assert _as(fake, "sheets", STRANGER).spreadsheets().get(spreadsheetId=sid).execute()["spreadsheetId"] == sid
    with pytest.raises(HttpError) as reader_writes:  # a reader sees it, and changes nothing
        _as(fake, "sheets", STRANGER).spreadsheets().values().update(
            spreadsheetId=sid, range="A1", valueInputOption="RAW", body={"values": [["x"]]}
        ).execute()
    assert reader_writes.value.resp.status == 403


def test_a_folder_shared_with_a_person_shares_what_is_in_it(fake, drive):
    folder = fake.create_folder("stage-1")
    inside = fake.add_file("notes.txt", b"hi", "text/plain", parent=folder)
    with pytest.raises(HttpError):
        _as(fake, "drive", STRANGER).files().get(fileId=inside).execute()
    _share(drive, folder, STRANGER, "reader")
    assert _as(fake, "drive", STRANGER).files().get(fileId=inside).execute()["id"] == inside


def test_a_shared_drive_is_seen_by_its_members_only(fake):
    drive_id = fake.create_shared_drive("ATU", members=[(WRITER, "writer")])
    listing = dict(corpora="drive", driveId=drive_id, includeItemsFromAllDrives=True, supportsAllDrives=True)
    assert _as(fake, "drive", WRITER).files().list(**listing).execute()["files"] == []
    with pytest.raises(HttpError) as refused:
        _as(fake, "drive", STRANGER).files().list(**listing).execute()
    assert refused.value.resp.status == 404


# --- writersCanShare ---------------------------------------------------------------------------------
def test_a_writer_cannot_share_a_file_whose_owner_set_writers_can_share_false(fake, drive):
    guarded = drive.files().create(body={"name": "form02", "writersCanShare": False}).execute()["id"]
    open_ = drive.files().create(body={"name": "other"}).execute()["id"]
    for fid in (guarded, open_):
        _share(drive, fid, WRITER)
    with pytest.raises(HttpError) as refused:
        _share(_as(fake, "drive", WRITER), guarded, STRANGER)
    assert refused.value.resp.status == 403
    assert _error(refused.value)["errors"][0]["reason"] == "insufficientFilePermissions"
    assert [p["emailAddress"] for p in fake.file_meta(guarded)["permissions"]] == [OWNER, WRITER]
    _share(_as(fake, "drive", WRITER), open_, STRANGER, "reader")  # the default: writers may share
    assert STRANGER in [p.get("emailAddress") for p in fake.file_meta(open_)["permissions"]]
    with pytest.raises(HttpError) as reader:  # a reader never may
        _share(_as(fake, "drive", STRANGER), open_, "third@atu.edu.kz")
    assert _error(reader.value)["errors"][0]["reason"] == "insufficientFilePermissions"
    with pytest.raises(HttpError) as delete:  # nor may a writer delete the owner's file
        _as(fake, "drive", WRITER).files().delete(fileId=open_).execute()
    assert delete.value.resp.status == 403


# --- protected ranges ---------------------------------------------------------------------------------
def test_protected_range_editors_are_shown_only_to_those_who_can_edit_the_range(fake, sheets, drive):
    sid = _sheet(sheets)
    protect = {"addProtectedRange": {"protectedRange": {"range": {"sheetId": 0, "endRowIndex": 1}}}}
    sheets.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": [protect]}).execute()
    _share(drive, sid, WRITER)

    def seen(client):
        return client.spreadsheets().get(spreadsheetId=sid).execute()["sheets"][0]["protectedRanges"][0]

    mine = seen(sheets)
    assert mine["editors"]["users"] == [OWNER] and mine["requestingUserCanEdit"] is True
    theirs = seen(_as(fake, "sheets", WRITER))
    assert "editors" not in theirs and theirs["requestingUserCanEdit"] is False


def _protect(sheets, sid, pr):
    body = {"requests": [{"addProtectedRange": {"protectedRange": pr}}]}
    return sheets.spreadsheets().batchUpdate(spreadsheetId=sid, body=body).execute()["replies"][0]


def test_a_warning_only_range_ignores_its_editors_and_lets_a_writer_edit(fake, sheets, drive):
    # "When writing: if this field is true, then editors are ignored" (ProtectedRange.warningOnly);
    # Google answers "editors": {} (gspread's cassette WorksheetTest.test_add_protected_range_warning)
    sid = _sheet(sheets)
    pr = _protect(sheets, sid, {"range": {"sheetId": 0}, "warningOnly": True, "editors": {"users": [OWNER]}})
    assert pr["addProtectedRange"]["protectedRange"]["editors"] == {}
    _share(drive, sid, WRITER)
    body = {"values": [["typed by hand"]]}
    _as(fake, "sheets", WRITER).spreadsheets().values().update(
        spreadsheetId=sid, range="A1", valueInputOption="RAW", body=body
    ).execute()
    with pytest.raises(HttpError) as refused:  # a protection with editors: the writer is blocked
        _protect(sheets, sid, {"range": {"sheetId": 0, "startRowIndex": 5, "endRowIndex": 6}})
        _as(fake, "sheets", WRITER).spreadsheets().values().update(
            spreadsheetId=sid, range="A6", valueInputOption="RAW", body=body
        ).execute()
    assert refused.value.resp.status == 400


@pytest.mark.parametrize(
    "pr",
    [
        {"range": {"sheetId": 0}, "namedRangeId": "x"},  # "only one of range or named_range_id or table_id"
        {"namedRangeId": "no such range"},
        {"range": {"sheetId": 0, "endRowIndex": 2}, "unprotectedRanges": [{"sheetId": 0}]},  # a range, not a sheet
        {"range": {"sheetId": 0, "startRowIndex": 3, "endRowIndex": 1}},
        {"range": {"sheetId": 404}},
    ],
)
def test_a_protected_range_google_refuses_is_refused(sheets, pr):
    sid = _sheet(sheets)
    with pytest.raises(HttpError) as refused:
        _protect(sheets, sid, pr)
    assert refused.value.resp.status == 400
    assert not sheets.spreadsheets().get(spreadsheetId=sid).execute()["sheets"][0].get("protectedRanges")


# --- typed dates --------------------------------------------------------------------------------------
def _serial(*args) -> float:
    return (dt.datetime(*args) - dt.datetime(1899, 12, 30)).total_seconds() / 86400


@pytest.mark.parametrize(
    ("locale", "typed", "serial", "shown"),
    [
        ("en_US", "2027-03-05", _serial(2027, 3, 5), "2027-03-05"),
        ("ru_RU", "05.03.2027", _serial(2027, 3, 5), "05.03.2027"),
        ("kk_KZ", "05.03.2027 18:00", _serial(2027, 3, 5, 18), "05.03.2027 18:00"),
        ("en_US", "3/5/2027", _serial(2027, 3, 5), "3/5/2027"),
        ("en_US", "3/5/2027 14:30:15", _serial(2027, 3, 5, 14, 30, 15), "3/5/2027 14:30:15"),
    ],
)
def test_a_date_typed_under_user_entered_is_a_serial_number(fake, sheets, locale, typed, serial, shown):
    sid = _sheet(sheets)
    fake.spreadsheet_model(sid).properties["locale"] = locale
    sheets.spreadsheets().values().update(
        spreadsheetId=sid, range="A1", valueInputOption="USER_ENTERED", body={"values": [[typed]]}
    ).execute()
    values = sheets.spreadsheets().values()
    unformatted = values.get(spreadsheetId=sid, range="A1", valueRenderOption="UNFORMATTED_VALUE").execute()
    assert unformatted["values"] == [[pytest.approx(serial)]]
    assert values.get(spreadsheetId=sid, range="A1").execute()["values"] == [[shown]]  # FORMATTED_VALUE
    as_text = values.get(
        spreadsheetId=sid, range="A1", valueRenderOption="UNFORMATTED_VALUE", dateTimeRenderOption="FORMATTED_STRING"
    ).execute()
    assert as_text["values"] == [[shown]]
    cell = sheets.spreadsheets().get(spreadsheetId=sid, ranges=["A1"], includeGridData=True).execute()
    data = cell["sheets"][0]["data"][0]["rowData"][0]["values"][0]
    assert data["formattedValue"] == shown and data["userEnteredFormat"]["numberFormat"]["type"].startswith("DATE")


@pytest.mark.parametrize(
    ("locale", "typed", "option"),
    [("ru_RU", "31.02.2027", "USER_ENTERED"), ("en_US", "05.03.2027", "USER_ENTERED"), ("ru_RU", "05.03.2027", "RAW")],
)
def test_what_is_not_a_date_there_stays_text(fake, sheets, locale, typed, option):
    sid = _sheet(sheets)
    fake.spreadsheet_model(sid).properties["locale"] = locale
    sheets.spreadsheets().values().update(
        spreadsheetId=sid, range="A1", valueInputOption=option, body={"values": [[typed]]}
    ).execute()
    assert fake.sheet_values(sid, "A1") == [[typed]]


# --- tabs ------------------------------------------------------------------------------------------------
def test_the_last_visible_tab_cannot_be_hidden_or_deleted(fake, sheets):
    sid = _sheet(sheets, tabs=("A", "B"))
    ids = [s.id for s in fake.spreadsheet_model(sid).sheets]

    def hide(sheet_id):
        props = {"sheetId": sheet_id, "hidden": True}
        return {"updateSheetProperties": {"properties": props, "fields": "hidden"}}

    sheets.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": [hide(ids[0])]}).execute()
    with pytest.raises(HttpError) as refused:
        sheets.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": [hide(ids[1])]}).execute()
    assert refused.value.resp.status == 400 and "hide all the sheets" in str(refused.value)
    with pytest.raises(HttpError) as deleted:
        body = {"requests": [{"deleteSheet": {"sheetId": ids[1]}}]}
        sheets.spreadsheets().batchUpdate(spreadsheetId=sid, body=body).execute()
    assert deleted.value.resp.status == 400
    assert [s.properties.get("hidden", False) for s in fake.spreadsheet_model(sid).sheets] == [True, False]


# --- scopes -------------------------------------------------------------------------------------------
def test_a_call_outside_the_tokens_scopes_is_refused(fake):
    with pytest.raises(HttpError) as drive_says:
        _app(fake, "drive", "drive.file").drives().list().execute()  # drives.* need the whole Drive
    assert drive_says.value.resp.status == 403
    error = _error(drive_says.value)
    assert error["errors"][0]["reason"] == "insufficientPermissions"
    assert error["message"] == "Request had insufficient authentication scopes."
    assert error["details"][0]["reason"] == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    sid = _sheet(fake.build("sheets"))
    fake.open_with_app(sid)
    reader = _app(fake, "sheets", "spreadsheets.readonly")
    assert reader.spreadsheets().values().get(spreadsheetId=sid, range="A1").execute()["range"]
    with pytest.raises(HttpError) as sheets_says:
        reader.spreadsheets().values().clear(spreadsheetId=sid, range="A1").execute()
    assert sheets_says.value.resp.status == 403 and "errors" not in _error(sheets_says.value)
    assert _error(sheets_says.value)["status"] == "PERMISSION_DENIED"
    with pytest.raises(HttpError) as gmail_says:
        _app(fake, "gmail", "gmail.send").users().messages().list(userId="me", q="rfc822msgid:x").execute()
    assert _error(gmail_says.value)["errors"][0]["reason"] == "insufficientPermissions"


def test_with_drive_file_only_the_apps_own_files_are_seen(fake):
    drive_id = fake.create_shared_drive("ATU")
    theirs = fake.add_file("someone's.txt", b"x", "text/plain", parent=drive_id)
    their_folder = fake.create_folder("made by hand", parent=drive_id)
    app = _app(fake, "drive", "drive.file")
    mine = app.files().create(body={"name": "edition", "parents": [drive_id]}, supportsAllDrives=True).execute()["id"]
    listing = dict(corpora="drive", driveId=drive_id, includeItemsFromAllDrives=True, supportsAllDrives=True)
    assert [f["id"] for f in app.files().list(**listing).execute()["files"]] == [mine]
    for fid in (theirs, their_folder):
        with pytest.raises(HttpError) as hidden:
            app.files().get(fileId=fid, supportsAllDrives=True).execute()
        assert hidden.value.resp.status == 404
    with pytest.raises(HttpError) as parent:  # nor can it put a file into a folder it cannot see
        app.files().create(body={"name": "x", "parents": [their_folder]}, supportsAllDrives=True).execute()
    assert parent.value.resp.status == 404
    full = _app(fake, "drive", "drive")  # the whole Drive sees them all
    assert len(full.files().list(**listing).execute()["files"]) == 3
    fake.open_with_app(theirs)  # handed to the app (Google Picker)
    assert app.files().get(fileId=theirs, supportsAllDrives=True).execute()["id"] == theirs
    sid = _sheet(fake.build("sheets"))  # a spreadsheet someone else made (the form's responses)
    with pytest.raises(HttpError) as sheets_says:
        _app(fake, "sheets", "drive.file").spreadsheets().get(spreadsheetId=sid).execute()
    assert sheets_says.value.resp.status == 403
    assert _app(fake, "sheets", "drive.file", "spreadsheets.readonly").spreadsheets().get(spreadsheetId=sid).execute()


def test_a_form_is_read_with_the_forms_scopes_not_with_drive_file(fake):
    form_id = fake.add_form("Байқау", [("q1", "Title", "text")])
    with pytest.raises(HttpError) as refused:
        _app(fake, "forms", "drive.file").forms().responses().list(formId=form_id).execute()
    assert refused.value.resp.status == 403
    forms = _app(fake, "forms", "forms.body.readonly", "forms.responses.readonly").forms()
    assert forms.get(formId=form_id).execute()["formId"] == form_id
    assert forms.responses().list(formId=form_id).execute() == {}


def test_gmail_search_is_refused_under_the_metadata_scope_and_allowed_under_readonly(fake):
    """Gmail API reference, users.messages.list `q`: "This parameter cannot be used when accessing the
    api using the gmail.metadata scope" — which is why `backend.mail_lookup` asks for gmail.readonly."""
    with pytest.raises(HttpError) as gmail_says:
        _app(fake, "gmail", "gmail.metadata").users().messages().list(userId="me", q="rfc822msgid:x").execute()
    assert gmail_says.value.resp.status == 403 and "'q' parameter" in _error(gmail_says.value)["message"]
    listed = _app(fake, "gmail", "gmail.metadata").users().messages().list(userId="me").execute()
    assert listed["resultSizeEstimate"] == 0  # without `q` the metadata scope may list
    found = _app(fake, "gmail", "gmail.readonly").users().messages().list(userId="me", q="rfc822msgid:x").execute()
    assert found["resultSizeEstimate"] == 0
