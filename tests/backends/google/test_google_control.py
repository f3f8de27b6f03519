"""The control spreadsheet: tables round-trip, idempotent writes, a fixed request budget per job."""

from __future__ import annotations

import pytest

from google_fake.demo import fake_workspace
from pipelines.formats.tables import Tables

TRICKY = ["=1+1", "+7 701 111 22 33", "@mention", "-5", "'quoted", "0123", "3.50", "TRUE", "<b>&amp;</b>"]


def test_control_spreadsheet_is_keyed_by_the_edition(ws, fake, config):
    ws.control.write_tables({"Кезеңдер": (["stage", "state"], [[1, "open"]])})
    control = [f for f in fake.files.values() if f.app_properties.get("kind") == "control"]
    assert [f.app_properties["edition"] for f in control] == [config.edition_key]


def test_tables_round_trip_with_text_kept_as_text(ws, fake, config):
    rows = [[t, i, 2.5, ""] for i, t in enumerate(TRICKY)]
    assert ws.control.write_tables(
        {"Тізім": (["text", "n", "x", "empty"], rows), "Кезеңдер": (["stage", "state"], [[1, "open"]])}
    ) == ["Тізім", "Кезеңдер"]
    got = ws.control.read_table("Тізім")
    assert [r["text"] for r in got] == TRICKY  # never parsed: no formula, no number, no boolean
    assert [r["n"] for r in got] == list(range(len(TRICKY)))
    assert got[0] == {"text": "=1+1", "n": 0, "x": 2.5, "empty": ""}
    # what a person sees in the spreadsheet is the same: read back by the fake, not by our code
    control = ws.control.id
    assert fake.sheet_values(control, "'Тізім'!A2:A3", "FORMULA") == [["=1+1"], ["+7 701 111 22 33"]]
    model = fake.spreadsheet_model(control)
    assert [s.title for s in model.sheets if not s.properties.get("hidden")] == [
        "Тізім",
        "Кезеңдер",
    ]  # the blank "Sheet1" became the first
    tab = next(s for s in model.sheets if s.title == "Тізім")
    assert tab.cells[(0, 0)]["userEnteredFormat"]["textFormat"]["bold"] is True
    assert tab.properties["gridProperties"]["frozenRowCount"] == 1
    # a fresh process (new workspace, same Google) finds the same spreadsheet by its appProperties
    again = fake_workspace(config, fake)
    assert again.control.read_table("Тізім") == got
    assert again.control.id == control
    assert again.control.read_table("no such table") == []


def test_second_write_of_the_same_tables_writes_nothing(ws, fake, config, requests_made):
    tables = {"registry": (["id", "title"], [[f"DER-{i}", f"Title {i}"] for i in range(300)])}
    assert ws.control.write_tables(tables) == ["registry"]
    fake.reset_counts()
    assert ws.control.write_tables(tables) == []
    assert requests_made() == {}  # known from our own write: not even read again
    other = fake_workspace(config, fake)  # a new process must read, and then writes nothing either
    fake.reset_counts()
    assert other.control.write_tables(tables) == []
    assert requests_made() == {
        "drive.files.list": 1,
        "sheets.spreadsheets.get": 1,  # find it, its tabs
        "sheets.spreadsheets.values.batchGet": 1,  # the table with its written copy (issue 23 item 1)
    }


def test_a_job_writes_any_number_of_tables_in_at_most_two_requests(ws, fake, config, requests_made):
    tables = {f"T{n}": (["id", "value"], [[f"R{i}", i * n] for i in range(200)]) for n in range(5)}
    ws.control.write_tables(tables)
    other = fake_workspace(config, fake)
    fake.reset_counts()
    changed = dict(
        tables, T1=(["id", "value"], [[f"R{i}", -i] for i in range(800)]), T3=(["id"], [["only"]]), NEW=(["a"], [["b"]])
    )
    assert other.control.write_tables(changed) == ["T1", "T3", "NEW"]
    made = requests_made("sheets")
    writes = {k: n for k, n in made.items() if k.endswith(("batchUpdate", "append", "update"))}
    assert writes == {"sheets.spreadsheets.batchUpdate": 1}
    assert sum(made.values()) <= 3  # tab list + one values.batchGet + one batchUpdate
    # the shrunk table left nothing behind of its old rectangle
    assert fake.sheet_values(other.control.id, "T3") == [["id"], ["only"]]
    assert len(other.control.read_table("T1")) == 800
    assert fake_workspace(config, fake).control.read_table("T3") == [{"id": "only"}]


def test_append_rows_creates_the_table_then_appends_raw(ws, fake, requests_made):
    fake.reset_counts()
    ws.control.append_rows("journal", ["at", "action"], [["2027-01-01", '=HYPERLINK("x")']])
    ws.control.append_rows("journal", ["at", "action"], [["2027-01-02", "intake"], ["2027-01-03", "5"]])
    made = requests_made("sheets")
    # made, then appended with its written copy: one batchUpdate each (appendCells, not values.append)
    assert made["sheets.spreadsheets.batchUpdate"] == 2 and "sheets.spreadsheets.values.append" not in made
    assert fake.sheet_values(ws.control.id, "journal", "FORMULA") == [
        ["at", "action"],
        ["2027-01-01", '=HYPERLINK("x")'],
        ["2027-01-02", "intake"],
        ["2027-01-03", "5"],
    ]
    assert [r["action"] for r in ws.control.read_table("journal")] == ['=HYPERLINK("x")', "intake", "5"]


def test_tables_through_the_jobs_table_layer(ws):
    tables = Tables(ws.control, "kk")
    tables.write({"stages": [{"stage": 1, "state": "open"}]})
    assert tables.read("stages")[0]["state"] == "open"
    assert tables.write({"stages": [{"stage": 1, "state": "open"}]}) == []


# --- the control spreadsheet lost after the edition started (pipelines/jobs/guard.py) ------------------
def test_a_new_edition_on_google_passes_the_guard_and_creates_nothing(config, fake):
    from pipelines.jobs.guard import ensure_control_intact

    files = len(fake.files)
    ensure_control_intact(fake_workspace(config, fake), "kk")
    assert not [f for f in fake.files.values() if f.app_properties.get("kind") == "control"]
    assert len(fake.files) == files


def test_the_control_spreadsheet_trashed_or_deleted_after_stage_one_opened_stops_the_jobs(config, fake):
    from datetime import timedelta

    import pytest

    from google_fake.demo import google_config
    from pipelines.jobs.common import Run
    from pipelines.jobs.guard import ensure_control_intact
    from pipelines.jobs.tick import tick
    from pipelines.ports import ControlLost

    now = config.calendar.intake_close + timedelta(minutes=5)
    assert "stage 1 opened" in tick(Run(config=config, workspace=fake_workspace(config, fake), now=now))
    ensure_control_intact(fake_workspace(config, fake), "kk")  # intact: passes
    [control] = [f for f in fake.files.values() if f.app_properties.get("kind") == "control"]
    control.trashed = True
    files = len(fake.files)
    for lang, words in (("kk", "Нұсқалар тарихы"), ("ru", "История версий")):
        with pytest.raises(ControlLost, match=words) as caught:
            ensure_control_intact(fake_workspace(config, fake), lang)
    assert "оценочных листов: " in str(caught.value)
    assert len(fake.files) == files  # no new control spreadsheet was made
    named = google_config(
        config,
        shared_drive_id=config.backend.shared_drive_id,
        control_spreadsheet_id=control.id,
        cdb_editors=config.backend.cdb_editors,
    )
    with pytest.raises(ControlLost, match="управляющих таблиц нет"):  # named in the config, in the trash
        ensure_control_intact(fake_workspace(named, fake), "ru")
    fake.delete_file_tree(control)
    for cfg in (config, named):
        with pytest.raises(ControlLost):
            ensure_control_intact(fake_workspace(cfg, fake), "kk")
    assert len(fake.files) == files - 1


def test_a_spreadsheet_from_before_the_written_copies_is_trusted_then_copied_at_its_next_write(ws, fake, config):
    from pipelines.formats.witness import ControlEdited

    ws.control.write_tables({"Тізілім": (["id", "status"], [["DER-1", "accepted"]])})
    ws.control.append_rows("Журнал", ["at", "action"], [["1", "a"]])
    sid, sheets = ws.control.id, fake.build("sheets")
    copies = [s.id for s in fake.spreadsheet_model(sid).sheets if s.title.startswith("written ")]
    assert len(copies) == 3  # the two copies and the mark that every table has one
    gone = [{"deleteSheet": {"sheetId": i}} for i in copies]  # as an edition from before them was
    sheets.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": gone}).execute()

    def typed(cell: str, value: str) -> None:
        body = {"values": [[value]]}
        sheets.spreadsheets().values().update(
            spreadsheetId=sid, range=cell, valueInputOption="RAW", body=body
        ).execute()

    typed("'Тізілім'!B2", "rejected")
    other = fake_workspace(config, fake)
    assert other.control.read_table("Тізілім") == [{"id": "DER-1", "status": "rejected"}]  # trusted as found
    other.control.append_rows("Журнал", ["at", "action"], [["2", "b"]])  # its copy made with this append
    other.control.write_tables({"Тізілім": (["id", "status"], [["DER-1", "accepted"], ["DER-2", "accepted"]])})
    titles = [s.title for s in fake.spreadsheet_model(sid).sheets if s.title.startswith("written ")]
    assert len(titles) == 3 and "written copies" in titles  # marked once both were copied
    typed("'Журнал'!B3", "x")
    with pytest.raises(ControlEdited, match="B3"):
        fake_workspace(config, fake).control.read_table("Журнал")
    assert len(fake_workspace(config, fake).control.read_table("Тізілім")) == 2


# --- a written copy deleted, or a tab titled like one (issue 23 item 1) -------------------------------
CDB = "cdb.secretary@atu.edu.kz"


def _as_cdb(fake, sid: str):
    """The control spreadsheet as a CDB editor opens it (gspread, her own token)."""
    import gspread
    from google.oauth2.credentials import Credentials

    drive = fake.build("drive")
    permission = {"type": "user", "role": "writer", "emailAddress": CDB}
    drive.permissions().create(
        fileId=sid, body=permission, supportsAllDrives=True, sendNotificationEmail=False
    ).execute()
    client = gspread.Client(auth=Credentials(token=fake.token_for(CDB)))
    client.http_client.session.mount("https://", fake.requests_adapter())
    return client.open_by_key(sid)


def _copy_of(fake, sid: str, table: str):
    return next(
        s for s in fake.spreadsheet_model(sid).sheets if s.title.startswith("written ") and s.title.endswith(table)
    )


REGISTRY = {"Тізілім": (["id", "status"], [["DER-1", "accepted"], ["DER-2", "accepted"]])}
STAGES = {"Кезеңдер": (["stage", "state"], [[1, "open"]])}


def test_a_written_copy_deleted_with_an_edit_is_named_then_accepted_with_a_fresh_copy(ws, fake, config):
    from pipelines.formats.witness import ControlEdited
    from pipelines.ports import BackendError

    ws.control.write_tables({**REGISTRY, **STAGES})
    sid = ws.control.id
    sh = _as_cdb(fake, sid)
    # Google's documentation (searched: the Sheets API's DeleteSheetRequest and ProtectedRange, the Apps
    # Script Protection class) does not say an editor is refused deleting a protected sheet: the fake
    # lets her, unhidden first as she would in the spreadsheet
    copy = sh.get_worksheet_by_id(_copy_of(fake, sid, "Тізілім").id)
    copy.show()
    sh.del_worksheet(copy)
    sh.worksheet("Тізілім").update([["rejected"]], "B2")
    for lang, words in (("kk", "көшірмесі жоқ"), ("ru", "копии нет")):
        with pytest.raises(ControlEdited, match=words) as stop:
            fake_workspace(config, fake).control.read_table("Тізілім")
        assert "«Тізілім»" in stop.value.__cause__.say(lang)
    with pytest.raises(ControlEdited):  # a write stops too: nothing is written over her edit
        fake_workspace(config, fake).control.write_tables(REGISTRY)
    assert fake.sheet_values(sid, "'Тізілім'!B2") == [["rejected"]]
    other = fake_workspace(config, fake)
    assert [(e.tab, e.kind) for e in other.control.hand_edits()] == [("Тізілім", "copy_missing")]
    assert fake_workspace(config, fake).control.read_table("Кезеңдер") == [{"stage": 1, "state": "open"}]
    with pytest.raises(BackendError, match="қайтаратын нұсқа жоқ"):  # nothing to restore it from
        from pipelines.cli.restore import undo_edits

        undo_edits(fake_workspace(config, fake).control, "kk")
    assert fake.sheet_values(sid, "'Тізілім'!B2") == [["rejected"]]  # undo touched nothing
    fake_workspace(config, fake).control.accept_hand_edits()
    again = fake_workspace(config, fake)
    assert again.control.hand_edits() == []
    assert again.control.read_table("Тізілім")[0] == {"id": "DER-1", "status": "rejected"}
    assert _copy_of(fake, sid, "Тізілім").protected_ranges  # the fresh copy, protected
    sh.worksheet("Тізілім").update([["x"]], "B3")
    with pytest.raises(ControlEdited, match="B3"):
        fake_workspace(config, fake).control.read_table("Тізілім")


def test_a_written_copy_renamed_is_a_copy_missing(ws, fake, config):
    from pipelines.formats.witness import ControlEdited

    ws.control.write_tables(REGISTRY)
    sid = ws.control.id
    sh = _as_cdb(fake, sid)
    sh.get_worksheet_by_id(_copy_of(fake, sid, "Тізілім").id).update_title("ескі көшірме")
    with pytest.raises(ControlEdited, match="көшірмесі жоқ"):
        fake_workspace(config, fake).control.read_table("Тізілім")


def test_a_tab_titled_like_a_written_copy_is_never_believed(ws, fake, config):
    from pipelines.formats.witness import ControlEdited

    ws.control.write_tables({**REGISTRY, **STAGES})
    sid = ws.control.id
    table = next(s for s in fake.spreadsheet_model(sid).sheets if s.title == "Тізілім")
    sh = _as_cdb(fake, sid)
    # she types the registry as she would like it into a tab of her own, titled as the product's copy
    # (its very title is taken: Sheets refuses a second tab of one title; a leading zero names the same id)
    title = f"written 0{table.id} Тізілім"
    forged = sh.add_worksheet(title, rows=5, cols=3)
    forged.update([["id", "status"], ["DER-1", "rejected"], ["DER-2", "accepted"]], "A1")
    sh.worksheet("Тізілім").update([["rejected"]], "B2")
    with pytest.raises(ControlEdited, match="B2"):  # compared with the product's copy, not hers
        fake_workspace(config, fake).control.read_table("Тізілім")
    assert fake.sheet_values(sid, f"'{title}'!B2") == [["rejected"]]  # hers, untouched
    sh.worksheet("Тізілім").update([["accepted"]], "B2")
    other = fake_workspace(config, fake)
    assert other.control.read_table("Тізілім")[0]["status"] == "accepted"
    rows = [["DER-1", "accepted"], ["DER-2", "accepted"], ["DER-3", "accepted"]]
    assert other.control.write_tables({"Тізілім": (["id", "status"], rows)}) == ["Тізілім"]
    assert fake.sheet_values(sid, f"'{title}'!B2") == [["rejected"]]  # never written to
    assert len(fake_workspace(config, fake).control.read_table("Тізілім")) == 3
    # a tab titled like the copy of a table that has none yet is not taken for it either
    sh.add_worksheet("written 424242 Кезеңдер", rows=2, cols=2)
    assert fake_workspace(config, fake).control.read_table("Кезеңдер") == [{"stage": 1, "state": "open"}]


def test_two_protected_tabs_claiming_one_copy_are_named_neither_believed(ws, fake, config):
    from pipelines.formats.witness import ControlEdited, acceptable

    ws.control.write_tables(REGISTRY)
    sid = ws.control.id
    table = next(s for s in fake.spreadsheet_model(sid).sheets if s.title == "Тізілім")
    sh = _as_cdb(fake, sid)
    title = f"written {table.id + 777} Тізілім"  # exactly as the product titles a copy, of another sheetId
    sh.add_worksheet(title, rows=5, cols=3).update([["id", "status"], ["DER-1", "rejected"]], "A1")
    forged = sh.worksheet(title)
    forged.add_protected_range("A1:C5", editor_users_emails=[CDB])  # a part of it: not the copy's kind
    assert fake_workspace(config, fake).control.hand_edits() == []
    body = {"requests": [{"addProtectedRange": {"protectedRange": {"range": {"sheetId": forged.id}}}}]}
    sh.batch_update(body)  # her whole tab protected, as the product protects its copies
    with pytest.raises(ControlEdited, match="екеу") as stop:
        fake_workspace(config, fake).control.read_table("Тізілім")
    assert title in str(stop.value)
    edits = fake_workspace(config, fake).control.hand_edits()
    assert [e.kind for e in edits] == ["copy_clash"] and not acceptable(edits)
    with pytest.raises(ControlEdited, match="две"):
        fake_workspace(config, fake).control.undo_hand_edits()
    sh.del_worksheet(forged)
    assert fake_workspace(config, fake).control.read_table("Тізілім")[0]["status"] == "accepted"
