import io

import gspread
import openpyxl
import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaInMemoryUpload, MediaIoBaseDownload, MediaIoBaseUpload

from google_fake import FakeGoogle, pdf_text

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
GDOC = "application/vnd.google-apps.document"
FOLDER = "application/vnd.google-apps.folder"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _folder(drive, name, parent=None, **kw):
    body = {"name": name, "mimeType": FOLDER}
    if parent:
        body["parents"] = [parent]
    return drive.files().create(body=body, fields="id", **kw).execute()["id"]


def test_upload_list_by_app_properties_and_export(fake, drive, make_docx):
    folder = _folder(drive, "Submissions")
    data = make_docx("Team Rocket", "Solution: 42 ☃")
    media = MediaInMemoryUpload(data, mimetype=DOCX, resumable=False)
    doc = (
        drive.files()
        .create(
            body={
                "name": "rocket",
                "mimeType": GDOC,
                "parents": [folder],
                "appProperties": {"team": "rocket", "kind": "report"},
                "description": "converted",
            },
            media_body=media,
            fields="id,name,mimeType,parents,appProperties,webViewLink,version,modifiedTime",
            supportsAllDrives=True,
        )
        .execute()
    )
    assert doc["mimeType"] == GDOC and doc["parents"] == [folder]
    assert doc["webViewLink"] == f"https://docs.google.com/document/d/{doc['id']}/edit?usp=drivesdk"
    raw = (
        drive.files()
        .create(
            body={"name": "rocket.docx", "parents": [folder], "appProperties": {"team": "rocket", "kind": "raw"}},
            media_body=MediaInMemoryUpload(data, mimetype=DOCX),
            fields="id,mimeType,size",
        )
        .execute()
    )
    assert raw["mimeType"] == DOCX and int(raw["size"]) == len(data)
    pdf = (
        drive.files()
        .create(
            body={"name": "other.pdf", "parents": [folder], "appProperties": {"team": "other"}},
            media_body=MediaIoBaseUpload(io.BytesIO(b"%PDF-1.7 x"), mimetype="application/pdf"),
            fields="id",
        )
        .execute()
    )

    q = f"'{folder}' in parents and appProperties has {{ key='team' and value='rocket' }} and trashed = false"
    found = drive.files().list(q=q, fields="files(id,name,appProperties)", orderBy="name").execute()["files"]
    assert [f["name"] for f in found] == ["rocket", "rocket.docx"]
    found = drive.files().list(q=f"mimeType = '{GDOC}' or name contains 'oth'").execute()
    assert {f["id"] for f in found["files"]} == {doc["id"], pdf["id"]}
    assert set(found["files"][0]) == {"kind", "id", "name", "mimeType"}  # Drive v3 default fields

    exported = drive.files().export(fileId=doc["id"], mimeType="application/pdf").execute()
    assert exported.startswith(b"%PDF-1.4")
    assert pdf_text(exported) == "Team Rocket\nSolution: 42 ☃"
    assert b"Team Rocket" in exported
    text = drive.files().export(fileId=doc["id"], mimeType="text/plain").execute()
    assert "Solution: 42" in text.decode("utf-8-sig")
    with pytest.raises(HttpError) as exc:
        drive.files().export(fileId=raw["id"], mimeType="application/pdf").execute()
    assert exc.value.status_code == 403
    assert exc.value.error_details[0]["reason"] == "fileNotExportable"
    with pytest.raises(HttpError) as exc:
        drive.files().get_media(fileId=doc["id"]).execute()
    assert exc.value.error_details[0]["reason"] == "fileNotDownloadable"
    assert drive.files().get_media(fileId=raw["id"]).execute() == data
    buf = io.BytesIO()
    downloader = MediaIoBaseDownload(buf, drive.files().get_media(fileId=raw["id"]), chunksize=1000)
    done = False
    while not done:
        _, done = downloader.next_chunk()
    assert buf.getvalue() == data
    fake.assert_all_valid()


def test_drive_update_copy_delete_and_paging(fake, drive):
    a = _folder(drive, "A")
    b = _folder(drive, "B")
    f = (
        drive.files()
        .create(
            body={"name": "notes.txt", "parents": [a], "appProperties": {"x": "1", "y": "2"}},
            media_body=MediaInMemoryUpload(b"hello", mimetype="text/plain"),
            fields="id,version,modifiedTime",
        )
        .execute()
    )
    fake.advance(5)
    upd = (
        drive.files()
        .update(
            fileId=f["id"],
            addParents=b,
            removeParents=a,
            body={"name": "notes2.txt", "appProperties": {"x": None, "z": "3"}},
            media_body=MediaInMemoryUpload(b"bye", mimetype="text/plain"),
            fields="id,name,parents,appProperties,version,modifiedTime",
        )
        .execute()
    )
    assert upd["parents"] == [b] and upd["appProperties"] == {"y": "2", "z": "3"}
    assert int(upd["version"]) > int(f["version"]) and upd["modifiedTime"] > f["modifiedTime"]
    assert fake.file_content(f["id"]) == b"bye"
    with pytest.raises(HttpError) as exc:
        drive.files().update(fileId=f["id"], body={"parents": [a]}).execute()
    assert exc.value.status_code == 403 and exc.value.error_details[0]["reason"] == "fieldNotWritable"
    cp = drive.files().copy(fileId=f["id"], body={"name": "copy.txt"}, fields="id,parents,name").execute()
    assert cp["parents"] == [b] and fake.file_content(cp["id"]) == b"bye"

    for i in range(5):
        drive.files().create(body={"name": f"item {i}", "parents": [a]}).execute()
    seen, token, pages = [], None, 0
    while True:
        res = (
            drive.files()
            .list(q=f"'{a}' in parents", pageSize=2, pageToken=token, fields="nextPageToken,files(name)")
            .execute()
        )
        seen += [x["name"] for x in res["files"]]
        pages += 1
        token = res.get("nextPageToken")
        if not token:
            break
    assert seen == [f"item {i}" for i in range(5)] and pages == 3
    drive.files().delete(fileId=a).execute()
    with pytest.raises(HttpError) as exc:
        drive.files().get(fileId=a).execute()
    assert exc.value.status_code == 404
    assert drive.files().list(q="name contains 'item'").execute()["files"] == []


@pytest.mark.parametrize(
    "q",
    [
        "name = ",
        "name = 'x' and",
        "bogus = 'x'",
        "name contains 'x' or or",
        "appProperties has { key='k' }",
        "'x' in name",
    ],
)
def test_bad_query_is_400(drive, q):
    with pytest.raises(HttpError) as exc:
        drive.files().list(q=q).execute()
    assert exc.value.status_code == 400 and exc.value.error_details[0]["location"] == "q"


def test_query_syntax(fake, drive):
    fake.add_file("It's here.txt", b"x", "text/plain", app_properties={"k": "a b"})
    fake.add_file("HelloWorld", b"x", "text/plain")
    names = lambda q: sorted(f["name"] for f in drive.files().list(q=q).execute()["files"])  # noqa: E731
    assert names("name = 'It\\'s here.txt'") == ["It's here.txt"]
    assert names('name = "HelloWorld"') == ["HelloWorld"]
    assert names("name contains 'Hello'") == ["HelloWorld"]
    assert names("name contains 'World'") == []  # Drive matches name prefixes only
    assert names("name contains 'here'") == ["It's here.txt"]
    assert names("appProperties has { key='k' and value='a b' }") == ["It's here.txt"]
    assert names("not (mimeType != 'text/plain') and ('root' in parents)") == ["HelloWorld", "It's here.txt"]
    assert names(f"modifiedTime > '2020-01-01T00:00:00' and '{fake.identity}' in owners") == [
        "HelloWorld",
        "It's here.txt",
    ]


def test_unknown_query_parameter_and_unknown_body_field(fake, drive, gc):
    req = drive.files().list()  # googleapiclient itself refuses unknown kwargs: forge the URL
    req.uri += "&bogusParam=1"
    with pytest.raises(HttpError) as exc:
        req.execute()
    assert exc.value.status_code == 400 and "bogusParam" in exc.value.reason
    with pytest.raises(HttpError) as exc:
        drive.files().create(body={"name": "x", "colour": "red"}).execute()
    assert exc.value.status_code == 400
    assert "Unknown name \"colour\" at 'file'" in exc.value.reason
    with pytest.raises(gspread.exceptions.APIError) as gexc:
        gc.http_client.request(
            "get",
            "https://sheets.googleapis.com/v4/spreadsheets/abc",
            params={"includeGridData": "false", "ranges": "A1", "colour": "red"},
        )
    assert gexc.value.code == 400 and "colour" in str(gexc.value)
    with pytest.raises(gspread.exceptions.APIError) as gexc:
        gc.http_client.request(
            "get", "https://sheets.googleapis.com/v4/spreadsheets/abc", params={"includeGridData": "maybe"}
        )
    assert gexc.value.code == 400 and "include_grid_data" in str(gexc.value)
    with pytest.raises(gspread.exceptions.APIError) as gexc:
        gc.http_client.request("get", "https://sheets.googleapis.com/v4/nothing/here")
    assert gexc.value.code == 404
    bad = fake.invalid_requests()
    assert [r.method for r in bad] == ["files.list", "files.create", "spreadsheets.get", "spreadsheets.get", "UNKNOWN"]
    with pytest.raises(AssertionError):
        fake.assert_all_valid()


def test_gspread_share_sends_withlink_and_is_rejected(fake, gc):
    sh = gc.create("Shared")
    with pytest.raises(gspread.exceptions.APIError) as exc:
        sh.share("judge@example.com", perm_type="user", role="writer")
    assert exc.value.code == 400
    assert "Unknown name \"withLink\" at 'permission': Cannot find field." in str(exc.value)
    assert fake.sent_notifications == []


def test_permissions_and_notifications(fake, drive):
    fid = drive.files().create(body={"name": "report"}, fields="id").execute()["id"]
    p = (
        drive.permissions()
        .create(
            fileId=fid,
            body={"type": "user", "role": "writer", "emailAddress": "ann@example.com"},
            emailMessage="Please review",
            fields="id,role,emailAddress",
        )
        .execute()
    )
    assert p["role"] == "writer" and p["emailAddress"] == "ann@example.com"
    drive.permissions().create(
        fileId=fid,
        body={"type": "user", "role": "reader", "emailAddress": "bob@example.com"},
        sendNotificationEmail=False,
    ).execute()
    drive.permissions().create(fileId=fid, body={"type": "anyone", "role": "reader"}).execute()
    assert fake.sent_notifications == [
        {
            "file_id": fid,
            "to": "ann@example.com",
            "role": "writer",
            "message": "Please review",
            "time": fake.now_rfc3339(),
        }
    ]
    upd = drive.permissions().update(fileId=fid, permissionId=p["id"], body={"role": "commenter"}).execute()
    assert upd["role"] == "commenter"
    perms = drive.permissions().list(fileId=fid, fields="permissions(id,role,emailAddress,type)").execute()
    assert sorted((x["type"], x["role"], x.get("emailAddress")) for x in perms["permissions"]) == [
        ("anyone", "reader", None),
        ("user", "commenter", "ann@example.com"),
        ("user", "owner", fake.identity),
        ("user", "reader", "bob@example.com"),
    ]
    assert drive.permissions().get(fileId=fid, permissionId="anyoneWithLink").execute()["type"] == "anyone"
    drive.permissions().delete(fileId=fid, permissionId="anyoneWithLink").execute()
    with pytest.raises(HttpError) as exc:
        drive.permissions().create(
            fileId=fid, body={"type": "user", "role": "owner", "emailAddress": "ann@example.com"}
        ).execute()
    assert exc.value.status_code == 403
    with pytest.raises(HttpError) as exc:
        drive.permissions().create(
            fileId=fid, body={"type": "user", "role": "fileOrganizer", "emailAddress": "ann@example.com"}
        ).execute()
    assert exc.value.status_code == 400
    fake.non_google_accounts.add("nogoogle@example.org")
    with pytest.raises(HttpError) as exc:
        drive.permissions().create(
            fileId=fid,
            sendNotificationEmail=False,
            body={"type": "user", "role": "reader", "emailAddress": "nogoogle@example.org"},
        ).execute()
    assert exc.value.error_details[0]["reason"] == "invalidSharingRequest"
    own = (
        drive.permissions()
        .create(
            fileId=fid,
            transferOwnership=True,
            body={"type": "user", "role": "owner", "emailAddress": "ann@example.com"},
        )
        .execute()
    )
    assert own["role"] == "owner"
    owners = drive.files().get(fileId=fid, fields="owners").execute()["owners"]
    assert [o["emailAddress"] for o in owners] == ["ann@example.com"]


def test_shared_drive_requires_supports_all_drives(fake, drive):
    d = drive.drives().create(requestId="req-1", body={"name": "Contest"}).execute()
    assert drive.drives().get(driveId=d["id"]).execute()["name"] == "Contest"
    assert [x["name"] for x in drive.drives().list().execute()["drives"]] == ["Contest"]
    with pytest.raises(HttpError) as exc:
        drive.drives().create(requestId="req-1", body={"name": "Contest"}).execute()
    assert exc.value.status_code == 409
    with pytest.raises(HttpError) as exc:
        _folder(drive, "in-drive", parent=d["id"])
    assert exc.value.status_code == 404
    folder = _folder(drive, "in-drive", parent=d["id"], supportsAllDrives=True)
    meta = drive.files().get(fileId=folder, supportsAllDrives=True, fields="id,driveId,parents").execute()
    assert meta == {"id": folder, "driveId": d["id"], "parents": [d["id"]]}
    with pytest.raises(HttpError) as exc:
        drive.files().get(fileId=folder).execute()
    assert exc.value.status_code == 404 and exc.value.error_details[0]["reason"] == "notFound"
    with pytest.raises(HttpError):
        drive.permissions().list(fileId=folder).execute()
    assert drive.files().list(q="name = 'in-drive'").execute()["files"] == []
    listed = (
        drive.files()
        .list(
            q="name = 'in-drive'",
            corpora="drive",
            driveId=d["id"],
            includeItemsFromAllDrives=True,
            supportsAllDrives=True,
        )
        .execute()
    )
    assert [f["id"] for f in listed["files"]] == [folder]
    with pytest.raises(HttpError) as exc:
        drive.files().list(corpora="drive").execute()
    assert exc.value.status_code == 400
    perms = drive.permissions().list(fileId=folder, supportsAllDrives=True).execute()["permissions"]
    assert perms[0]["role"] == "organizer" and perms[0]["permissionDetails"][0]["inherited"]
    drive.permissions().create(
        fileId=d["id"],
        supportsAllDrives=True,
        body={"type": "user", "role": "fileOrganizer", "emailAddress": "judge@example.com"},
    ).execute()
    assert fake.sent_notifications[-1]["file_id"] == d["id"]


def test_service_account_storage_trap(drive):
    fake = FakeGoogle(service_account_without_storage=True)
    drive = fake.build("drive")
    sheets = fake.build("sheets")
    with pytest.raises(HttpError) as exc:
        drive.files().create(body={"name": "x.txt"}, media_body=MediaInMemoryUpload(b"x", "text/plain")).execute()
    assert exc.value.status_code == 403
    assert exc.value.error_details[0]["reason"] == "storageQuotaExceeded"
    assert exc.value.reason.startswith("Service Accounts do not have storage quota")
    with pytest.raises(HttpError):
        sheets.spreadsheets().create(body={"properties": {"title": "t"}}).execute()
    drive_id = fake.create_shared_drive("Team")
    sheet = (
        drive.files()
        .create(
            body={"name": "ok", "parents": [drive_id], "mimeType": "application/vnd.google-apps.spreadsheet"},
            supportsAllDrives=True,
        )
        .execute()
    )
    assert sheets.spreadsheets().get(spreadsheetId=sheet["id"]).execute()["properties"]["title"] == "ok"


def test_resumable_and_simple_media_uploads(fake, drive):
    data = bytes(range(256)) * 50
    media = MediaIoBaseUpload(io.BytesIO(data), mimetype="application/pdf", chunksize=4096, resumable=True)
    req = drive.files().create(body={"name": "big.pdf"}, media_body=media, fields="id,size")
    resp = None
    while resp is None:
        _, resp = req.next_chunk()
    assert int(resp["size"]) == len(data) and fake.file_content(resp["id"]) == data
    simple = (
        drive.files()
        .create(media_body=MediaInMemoryUpload(b"abc", mimetype="text/plain"), fields="id,name,mimeType")
        .execute()
    )
    assert simple["name"] == "Untitled" and simple["mimeType"] == "text/plain"
    csv_sheet = (
        drive.files()
        .create(
            body={"name": "imported", "mimeType": "application/vnd.google-apps.spreadsheet"},
            media_body=MediaInMemoryUpload(b"a,b\n1,2\n", mimetype="text/csv"),
        )
        .execute()
    )
    assert fake.sheet_values(csv_sheet["id"], "A1:B2") == [["a", "b"], [1, 2]]
    assert drive.files().export(fileId=csv_sheet["id"], mimeType="text/csv").execute() == b"a,b\n1,2\n"
    xlsx = drive.files().export(fileId=csv_sheet["id"], mimeType=XLSX_MIME).execute()
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).worksheets[0]
    assert list(sheet.iter_rows(values_only=True)) == [("a", "b"), (1, 2)]


SHEET = "application/vnd.google-apps.spreadsheet"


def _refused_for_its_id(call) -> None:
    with pytest.raises(HttpError) as err:
        call.execute()
    assert err.value.resp.status == 400
    assert err.value.error_details[0]["reason"] == "generatedIdNotSupported"


def test_a_pre_generated_id_is_refused_for_workspace_files_and_converted_uploads(fake, drive, make_docx):
    """Drive's guides ("Create and manage files", "Upload file data"): pre-generated ids are not
    supported for Google Workspace files other than folders and shortcuts, nor for an upload
    converted to a Workspace format; Google answers 400 generatedIdNotSupported."""
    ids = iter(drive.files().generateIds(count=10).execute()["ids"])
    data = make_docx("Бағалау", "8")
    _refused_for_its_id(drive.files().create(body={"id": next(ids), "name": "sheet", "mimeType": SHEET}))
    _refused_for_its_id(drive.files().create(body={"id": next(ids), "name": "doc", "mimeType": GDOC}))
    converted = MediaInMemoryUpload(data, mimetype=DOCX, resumable=False)
    _refused_for_its_id(
        drive.files().create(body={"id": next(ids), "name": "doc", "mimeType": GDOC}, media_body=converted)
    )
    made = drive.files().create(body={"name": "sheet", "mimeType": SHEET}, fields="id").execute()
    _refused_for_its_id(drive.files().copy(fileId=made["id"], body={"id": next(ids), "name": "copy"}))
    assert [f.name for f in fake.files.values() if not f.is_root] == ["sheet"]  # nothing made by a refusal
    # where Google supports them, ids are kept: a folder, an upload in its own format (.docx, .pdf)
    folder_id, docx_id, pdf_id = next(ids), next(ids), next(ids)
    folder = drive.files().create(body={"id": folder_id, "name": "f", "mimeType": FOLDER}, fields="id").execute()
    upload = MediaInMemoryUpload(data, mimetype=DOCX, resumable=False)
    docx_file = drive.files().create(body={"id": docx_id, "name": "a.docx"}, media_body=upload, fields="id,mimeType")
    pdf = MediaInMemoryUpload(b"%PDF-1.7 x", mimetype="application/pdf", resumable=False)
    pdf_file = drive.files().create(body={"id": pdf_id, "name": "a.pdf"}, media_body=pdf, fields="id")
    assert folder["id"] == folder_id
    assert docx_file.execute() == {"id": docx_id, "mimeType": DOCX}
    assert pdf_file.execute()["id"] == pdf_id
    assert fake.invalid_requests() == []
