"""Rating sheets: created with all content in few requests, shared with the expert only, frozen, read raw."""

from __future__ import annotations

import pytest

from google_fake.demo import fake_workspace
from pipelines.ports import BackendError, MailUnsure

EXPERT = "e.zhumabayev@atu.edu.kz"
DEADLINE = "05.03.2027 18:00"


def test_ensure_creates_everything_in_one_sheets_request(ws, fake, config, spec, drive_id, requests_made):
    ws.control.write_tables({"registry": (["id"], [["DER-1"]])})  # an edition's control store exists
    ws.sheets.folders.path(spec.folder)  # and the folders (their ids recorded, 100 at a time)
    fake.reset_counts()
    ref = ws.sheets.ensure(spec)
    assert ref.created and ref.url == f"https://docs.google.com/spreadsheets/d/{ref.id}/edit"
    # the sheet's whole content in one request; one more claims it in the control spreadsheet's
    # ledger before it is shared (Drive refuses a reserved id for a Google Sheet)
    assert requests_made("sheets") == {"sheets.spreadsheets.batchUpdate": 2}
    meta = fake.file_meta(ref.id)
    assert meta["driveId"] == drive_id and meta["name"] == spec.name
    assert {k: meta["appProperties"][k] for k in spec.key.properties()} == spec.key.properties()
    model = fake.spreadsheet_model(ref.id)
    sheet = model.sheets[0]
    assert sheet.title == spec.grid.title[:100]
    assert sheet.properties["gridProperties"]["frozenRowCount"] == spec.grid.frozen_rows
    for r, row in enumerate(spec.grid.rows):
        for c, cell in enumerate(row):
            stored = sheet.cells.get((r, c), {}).get("userEnteredValue", {})
            if cell.formula:
                assert stored == {"formulaValue": cell.formula}
            elif isinstance(cell.value, str) and cell.value:
                assert stored == {"stringValue": cell.value}  # a DER titled "=cmd|…" stays text
            if cell.validation:
                rule = sheet.cells[(r, c)]["dataValidation"]
                assert rule["strict"] is True and rule["condition"]["type"] == "CUSTOM_FORMULA"
                assert f"{cell.validation[0]}" in rule["condition"]["values"][0]["userEnteredValue"]
            if cell.editable:
                assert "backgroundColor" in sheet.cells[(r, c)]["userEnteredFormat"]
    (protection,) = sheet.protected_ranges
    assert protection["warningOnly"] is False
    assert set(protection["editors"]["users"]) == {fake.identity, *config.backend.cdb_editors}
    unprotected = {
        (r, c)
        for g in protection["unprotectedRanges"]
        for r in range(g["startRowIndex"], g["endRowIndex"])
        for c in range(g["startColumnIndex"], g["endColumnIndex"])
    }
    assert unprotected == set(spec.grid.editable_cells())
    # widths and hidden columns travel in the same request (the fake accepts them without keeping them)
    (update,) = [r for r in fake.requests if r.method == "spreadsheets.batchUpdate" and ref.id in r.url]
    dims = [q["updateDimensionProperties"] for q in update.body["requests"] if "updateDimensionProperties" in q]
    hidden = {d["range"]["startIndex"] for d in dims if d["properties"].get("hiddenByUser")}
    assert hidden == set(spec.grid.hidden_columns)
    columns = [d for d in dims if d["range"]["dimension"] == "COLUMNS" and "pixelSize" in d["properties"]]
    assert len(columns) == len([w for w in spec.grid.column_widths if w])


def test_shared_with_the_expert_only_then_frozen(ws, fake, spec):
    ref = ws.sheets.ensure(spec)
    (note,) = fake.sent_notifications
    assert note["to"] == EXPERT and note["role"] == "writer" and DEADLINE in note["message"]
    direct = fake.files[ref.id].permissions  # in a shared drive: only what was shared on the file
    assert [(p["emailAddress"], p["role"], p["type"]) for p in direct] == [(EXPERT, "writer", "user")]
    assert ws.sheets.sharing() == [{"sheet": ref.id, "email": EXPERT, "role": "writer"}]
    ws.sheets.freeze(ref)
    ws.sheets.freeze(ref)  # idempotent
    assert [(p["emailAddress"], p["role"]) for p in fake.files[ref.id].permissions] == [(EXPERT, "reader")]
    assert ws.sheets.sharing() == [{"sheet": ref.id, "email": EXPERT, "role": "reader"}]
    assert len(fake.sent_notifications) == 1


def test_ensure_twice_creates_nothing_new(ws, fake, config, spec, requests_made):
    first = ws.sheets.ensure(spec)
    fake.reset_counts()
    again = ws.sheets.ensure(spec)
    assert (again.id, again.created) == (first.id, False)
    assert requests_made() == {}
    other = fake_workspace(config, fake)  # another process: one Drive list finds every sheet,
    fake.reset_counts()  # one cheap read shows it complete (its expert has a permission)
    assert other.sheets.ensure(spec).id == first.id
    assert requests_made() == {"drive.files.list": 1, "drive.permissions.list": 1}
    sheets = [f for f in fake.files.values() if f.app_properties.get("kind") == "rating_sheet"]
    assert len(sheets) == 1 and len(fake.sent_notifications) == 1


def test_a_sheet_left_half_made_is_finished_not_duplicated(ws, fake, config, spec):
    fake.fail_next(1, status=503, method="spreadsheets.batchUpdate")
    fake.fail_next(9, status=503, method="permissions.create")
    with pytest.raises(BackendError):
        fake_workspace(
            config.model_copy(update={"backend": config.backend.model_copy(update={"max_retries": 0})}), fake
        ).sheets.ensure(spec)
    fake.clear_faults()
    ref = ws.sheets.ensure(spec)
    assert ref.created
    sheets = [f for f in fake.files.values() if f.app_properties.get("kind") == "rating_sheet"]
    assert len(sheets) == 1 and "state" not in sheets[0].app_properties  # no marker to write
    assert len(fake.spreadsheet_model(ref.id).sheets[0].protected_ranges) == 1
    assert len(fake.sent_notifications) == 1


def test_read_returns_what_the_expert_typed(ws, fake, spec, requests_made):
    ref = ws.sheets.ensure(spec)
    row = next(r for r, cells in enumerate(spec.grid.rows) if any(c.validation for c in cells))
    cols = [c for c, cell in enumerate(spec.grid.rows[row]) if cell.validation][:4]
    ws.sheets.write_as_expert(
        ref, {(row, cols[0]): 8, (row, cols[1]): 7.5, (row, cols[2]): "=1+1", (row, cols[3]): "text"}
    )
    fake.reset_counts()
    cells = ws.sheets.read(ref)
    assert requests_made() == {"sheets.spreadsheets.get": 1}
    got = [cells[row][c] for c in cols]
    assert [(c.value, c.formula) for c in got] == [(8, None), (7.5, None), (2, "=1+1"), ("text", None)]
    assert isinstance(got[0].value, int)
    assert got[0].a1 == f"{chr(65 + cols[0])}{row + 1}"
    # formulas the pipeline wrote come back with their computed value
    formula_cells = [(r, c) for r, cells_ in enumerate(spec.grid.rows) for c, cell in enumerate(cells_) if cell.formula]
    for r, c in formula_cells:
        assert cells[r][c].formula == spec.grid.rows[r][c].formula
    ws.sheets.freeze(ref)
    assert [(c.value, c.formula) for c in (ws.sheets.read(ref)[row][c] for c in cols)][0] == (8, None)


def test_a_lost_answer_does_not_protect_twice(ws, fake, spec):
    fake.timeout_next(1, method="spreadsheets.batchUpdate", after_apply=True)
    ref = ws.sheets.ensure(spec)
    assert len(fake.spreadsheet_model(ref.id).sheets[0].protected_ranges) == 1
    assert len(fake.sent_notifications) == 1


def test_a_new_sheet_costs_one_drive_call_to_create_and_one_to_share(ws, fake, spec, requests_made):
    ws.sheets.folders.path(spec.folder)  # once per run: the folders, the list of sheets, who we are
    ws.sheets._sheets(spec.key.edition), ws.sheets._editors()
    ws.control.write_tables({"registry": (["id"], [["DER-1"]])})  # and the control store
    fake.reset_counts()
    start = len(fake.requests)
    ws.sheets.ensure(spec)
    assert requests_made("drive") == {"drive.files.create": 1, "drive.permissions.create": 1}
    (create,) = [
        r
        for r in fake.requests[start:]
        if r.method == "files.create" and r.body["mimeType"] == "application/vnd.google-apps.spreadsheet"
    ]
    assert create.body["appProperties"] == spec.key.properties()  # its final keys: nothing to mark later


def test_a_crash_between_create_and_share_is_finished_on_the_next_ensure(ws, fake, config, spec, requests_made):
    no_retries = config.model_copy(update={"backend": config.backend.model_copy(update={"max_retries": 0})})
    fake.fail_next(1, status=400, method="permissions.create")
    with pytest.raises(BackendError):
        fake_workspace(no_retries, fake).sheets.ensure(spec)
    fake.clear_faults()
    [half] = [f for f in fake.files.values() if f.app_properties.get("kind") == "rating_sheet"]
    assert not fake.sent_notifications and len(fake.spreadsheet_model(half.id).sheets[0].protected_ranges) == 1
    fake.reset_counts()
    ref = ws.sheets.ensure(spec)
    assert ref.id == half.id and ref.created
    made = requests_made()
    assert made.get("drive.permissions.create") == 1 and "drive.files.create" not in made
    assert "sheets.spreadsheets.batchUpdate" not in made  # it was filled: not filled twice
    assert len(fake.spreadsheet_model(ref.id).sheets[0].protected_ranges) == 1
    assert [(n["to"], n["role"]) for n in fake.sent_notifications] == [(EXPERT, "writer")]
    fake.reset_counts()
    assert not fake_workspace(config, fake).sheets.ensure(spec).created  # complete now
    assert "drive.permissions.create" not in requests_made()


def test_a_frozen_sheet_found_again_is_not_shared_again(ws, fake, config, spec):
    ref = ws.sheets.ensure(spec)
    ws.sheets.freeze(ref)
    again = fake_workspace(config, fake).sheets.ensure(spec)
    assert (again.id, again.created) == (ref.id, False)
    assert [(p["emailAddress"], p["role"]) for p in fake.files[ref.id].permissions] == [(EXPERT, "reader")]
    assert len(fake.sent_notifications) == 1


def test_unfreeze_makes_the_expert_a_writer_again_once(ws, fake, spec, requests_made):
    ref = ws.sheets.ensure(spec)
    ws.sheets.freeze(ref)
    (before,) = fake.files[ref.id].permissions
    assert (before["emailAddress"], before["role"]) == (EXPERT, "reader")
    fake.reset_counts()
    ws.sheets.unfreeze(ref, "Мерзімі ұзартылды: 12.03.2027 18:00")
    # a role change is permissions.update on the expert's own permission (as Google documents it)
    (after,) = fake.files[ref.id].permissions
    assert (after["id"], after["emailAddress"], after["role"]) == (before["id"], EXPERT, "writer")
    assert requests_made() == {"drive.permissions.list": 1, "drive.permissions.update": 1}
    assert len(fake.sent_notifications) == 1  # update does not notify; without Gmail nothing is mailed
    fake.reset_counts()
    ws.sheets.unfreeze(ref, "Мерзімі ұзартылды: 12.03.2027 18:00")  # idempotent: only a look
    assert requests_made() == {"drive.permissions.list": 1}
    assert ws.sheets.sharing() == [{"sheet": ref.id, "email": EXPERT, "role": "writer"}]
    ws.sheets.freeze(ref)  # the new deadline: frozen again
    assert [(p["emailAddress"], p["role"]) for p in fake.files[ref.id].permissions] == [(EXPERT, "reader")]


def test_unfreeze_tells_the_new_deadline_by_gmail_once_when_gmail_is_on(fake, config, spec):
    ws = fake_workspace(
        config.model_copy(
            update={"backend": config.backend.model_copy(update={"gmail": True, "sender": "cdb@atu.edu.kz"})}
        ),
        fake,
    )
    ref = ws.sheets.ensure(spec)
    ws.sheets.freeze(ref)
    fake.timeout_next(1, method="messages.send", after_apply=True)  # sent, but the answer is lost
    with pytest.raises(MailUnsure):  # no mailbox look-up allowed: said to be unsure, never counted as sent
        ws.sheets.unfreeze(ref, "Мерзімі ұзартылды: 12.03.2027 18:00")
    assert [p["role"] for p in fake.files[ref.id].permissions] == ["writer"]
    (mail,) = fake.sent_mail  # at most once: a lost answer is not sent again
    assert EXPERT in str(mail)


def test_unfreeze_shares_again_when_the_expert_was_removed_by_hand(ws, fake, spec):
    ref = ws.sheets.ensure(spec)
    ws.sheets.freeze(ref)
    fake.files[ref.id].permissions.clear()
    ws.sheets.unfreeze(ref, "Мерзімі ұзартылды: 12.03.2027 18:00")
    assert [(p["emailAddress"], p["role"]) for p in fake.files[ref.id].permissions] == [(EXPERT, "writer")]
    assert "12.03.2027 18:00" in fake.sent_notifications[-1]["message"]


@pytest.mark.parametrize("fault", ["timeout_after_apply", "503", "429", "sharingRateLimitExceeded"])
def test_the_share_notification_is_sent_once_whatever_the_fault(ws, fake, spec, fault):
    if fault == "timeout_after_apply":
        fake.timeout_next(1, method="permissions.create", after_apply=True)
    elif fault == "sharingRateLimitExceeded":
        fake.fail_next(2, status=403, reason=fault, method="permissions.create")
    else:
        fake.fail_next(2, status=int(fault), method="permissions.create")
    ref = ws.sheets.ensure(spec)
    assert [(n["to"], n["role"]) for n in fake.sent_notifications] == [(EXPERT, "writer")]
    assert [p["emailAddress"] for p in fake.files[ref.id].permissions] == [EXPERT]
    ws.sheets.ensure(spec)
    assert len(fake.sent_notifications) == 1


def test_a_lost_create_answer_makes_one_sheet_found_by_its_key_despite_search_lag(ws, fake, spec, requests_made):
    """A Google Sheet is created without a reserved id (Drive refuses one): after the lost answer
    the file is looked for by its key (patiently: search lags 20 s here), found, and claimed in the
    control spreadsheet's ledger before it is shared."""
    ws.control.write_tables({"registry": (["id"], [["DER-1"]])})  # the control store exists
    ws.sheets.folders.path(spec.folder)  # the folders first: the lost answer is the sheet's create
    fake.search_lag = 20.0
    fake.reset_counts()
    fake.timeout_next(1, method="files.create", after_apply=True)
    ref = ws.sheets.ensure(spec)
    sheets = [f for f in fake.files.values() if f.app_properties.get("kind") == "rating_sheet"]
    assert [f.id for f in sheets] == [ref.id]
    assert requests_made().get("drive.files.create") == 1  # found by its key, not sent again
    assert [(n["to"], n["file_id"]) for n in fake.sent_notifications] == [(EXPERT, ref.id)]
    (claim,) = fake.sheet_values(ws.control.id, "'created files'")[1:]
    assert claim[1] == ref.id and "expert=" + EXPERT in claim[0]
