"""The local workspace as CDB staff meet it: control.xlsx, rating sheets, documents, the manifest.

Every file is read back with the library a person's tools would use (openpyxl), never through the
code under test alone.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipelines.backends.local import (
    LocalControlStore,
    LocalDrive,
    LocalRatingSheets,
    Manifest,
    open_local,
)
from pipelines.backends.local.files import atomic_write
from pipelines.config import load_config
from pipelines.domain.models import Application, Author, Expert, Response, Status
from pipelines.formats import rating_sheet
from pipelines.formats.tables import Tables, title
from pipelines.i18n import error_text
from pipelines.ports import BackendError, DocKey, NotFound, PermissionDenied, SheetKey, SheetRef, SheetSpec

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "atu-2027" / "contest.yaml"


@pytest.fixture(scope="module")
def config():
    return load_config(EXAMPLE)


def _stamp(path: Path) -> tuple[int, bytes]:
    return path.stat().st_mtime_ns, path.read_bytes()


def _temp_leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".*") if p.is_file() and not p.name.startswith(".frozen")]


# --- control tables ------------------------------------------------------------------------------
def test_control_tables_round_trip(tmp_path):
    store = LocalControlStore(tmp_path)
    assert store.read_table("registry") == []
    rows = [
        ["DER-1", "Веб-бағдарламалау негіздері", 66, 61.5, "Серікбаева А.\nКим В.", ""],
        ["DER-2", "Python & <Data> Science", 0, 0.25, "", "comment, with; punctuation"],
    ]
    assert store.write_tables({"T": (["id", "title", "n", "x", "authors", "note"], rows)}) == ["T"]
    back = LocalControlStore(tmp_path).read_table("T")  # a fresh store: nothing cached
    assert back == [
        {
            "id": "DER-1",
            "title": "Веб-бағдарламалау негіздері",
            "n": 66,
            "x": 61.5,
            "authors": "Серікбаева А.\nКим В.",
            "note": "",
        },
        {
            "id": "DER-2",
            "title": "Python & <Data> Science",
            "n": 0,
            "x": 0.25,
            "authors": "",
            "note": "comment, with; punctuation",
        },
    ]


def test_tables_by_key_round_trip_in_the_document_language(tmp_path):
    tables = Tables(LocalControlStore(tmp_path), "kk")
    tables.write(
        {
            "stages": [
                {"stage": 1, "state": "open", "opened_at": "2027-02-19T18:05:00+05:00", "note": "FIT-IS: тең ұпай"}
            ]
        }
    )
    wb = load_workbook(tmp_path / "control.xlsx")
    assert title("stages", "kk") in wb.sheetnames
    # a workbook written in Kazakh is still read after switching the config to Russian
    back = Tables(LocalControlStore(tmp_path), "ru").read("stages")
    assert back[0]["state"] == "open" and back[0]["note"] == "FIT-IS: тең ұпай" and back[0]["stage"] == 1


def test_write_tables_rewrites_only_the_tables_that_changed(tmp_path):
    store = LocalControlStore(tmp_path)
    payload = {"A": (["k", "v"], [["a", 1], ["b", "=text"]]), "B": (["k"], [["x"]])}
    assert sorted(store.write_tables(payload)) == ["A", "B"]
    path = tmp_path / "control.xlsx"
    before = _stamp(path)
    # the same content again, through the same store and through a new one: nothing written
    assert store.write_tables(payload) == []
    assert LocalControlStore(tmp_path).write_tables(payload) == []
    assert _stamp(path) == before
    # one table changes: only it is reported, and the other keeps its content
    changed = dict(payload, B=(["k"], [["x"], ["y"]]))
    assert store.write_tables(changed) == ["B"]
    assert _stamp(path) != before
    fresh = LocalControlStore(tmp_path)
    assert fresh.read_table("A") == [{"k": "a", "v": 1}, {"k": "b", "v": "=text"}]
    assert fresh.read_table("B") == [{"k": "x"}, {"k": "y"}]


def test_text_starting_with_equals_stays_text(tmp_path):
    store = LocalControlStore(tmp_path)
    tricky = ["=SUM(A1:A9)", '=HYPERLINK("http://evil")', "+7 701 000 00 00", "-", "@x"]
    store.write_tables({"A": (["value"], [[t] for t in tricky])})
    store.append_rows("J", ["what"], [["=1+1"]])
    # rewrite another table: the workbook is saved again from the loaded copy
    store.write_tables({"B": (["k"], [["=2+2"]])})
    store.append_rows("J", ["what"], [["=3+3"]])
    store.settle()  # the end of a job: the appended rows go into the workbook
    wb = load_workbook(tmp_path / "control.xlsx")
    cells = [c for name in ("A", "B", "J") for row in wb[name].iter_rows(min_row=2) for c in row]
    assert [c.value for c in cells] == tricky + ["=2+2", "=1+1", "=3+3"]
    assert {c.data_type for c in cells} == {"s"}
    # and what Excel would compute: no cached formula values, since nothing is a formula
    assert [c.value for c in load_workbook(tmp_path / "control.xlsx", data_only=True)["A"]["A"][1:]] == tricky


def test_control_characters_pasted_into_answers_do_not_break_the_workbook(tmp_path):
    store = LocalControlStore(tmp_path)
    pasted = ["Line one\x0bline two", "Bell\x07 and\x01 start", "tab\tand\nnewline stay"]
    assert store.write_tables({"A": (["v"], [[t] for t in pasted])}) == ["A"]
    store.append_rows("J", ["v"], [["\x0cform feed"]])
    store.settle()
    wb = load_workbook(tmp_path / "control.xlsx")
    assert [c.value for c in wb["A"]["A"][1:]] == ["Line one\nline two", "Bell and start", "tab\tand\nnewline stay"]
    assert wb["J"]["A2"].value == "form feed"
    # the same answers again are recognised as unchanged
    stamp = _stamp(tmp_path / "control.xlsx")
    assert LocalControlStore(tmp_path).write_tables({"A": (["v"], [[t] for t in pasted])}) == []
    assert _stamp(tmp_path / "control.xlsx") == stamp


def test_atomic_write_leaves_no_temp_files(tmp_path):
    store = LocalControlStore(tmp_path)
    for n in range(3):
        store.write_tables({"A": (["n"], [[n]])})
        store.append_rows("J", ["n"], [[n]])
        store.settle()
    assert _temp_leftovers(tmp_path) == []
    target = tmp_path / "x.bin"
    atomic_write(target, b"first")
    with pytest.raises(TypeError):
        atomic_write(target, "not bytes")  # the write fails half way
    assert target.read_bytes() == b"first"
    # settled (a job's end): the database alone, sqlite's -wal and -shm folded in and gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backups", "contest.sqlite3", "control.xlsx", "x.bin"]


def test_a_damaged_control_workbook_is_a_backend_error(tmp_path):
    (tmp_path / "control.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
    with pytest.raises(BackendError, match="control.xlsx"):
        LocalControlStore(tmp_path).read_table("registry")


# --- rating sheets -------------------------------------------------------------------------------
def _app(n: int, title: str, link: str) -> Application:
    response = Response(
        row_key=f"row-{n}",
        row_number=n,
        submitted_at=None,
        respondent_email=f"a{n}@atu.edu.kz",
        faculty="ФИТА",
        department="Ақпараттық жүйелер",
        title=title,
        authors=[Author(f"Автор {n}", "доцент")],
        authors_raw=f"Автор {n}, доцент",
        languages=["Қазақ тілі"],
        der_type="курс",
        justification="",
        link=link,
        act_files=[],
        certificate_files=[],
        raw={},
    )
    return Application(f"DER-T{n}", response, Status.ACCEPTED, [], "FIT", "FIT-IS")


@pytest.fixture
def apps():
    return [
        _app(1, "=cmd|' /C calc'!A0", "https://skills.atu.kz/course/view.php?id=1"),
        _app(2, "Базы данных: SQL на практике", "https://skills.atu.kz/course/view.php?id=2"),
    ]


def _spec(config, apps, email="e.zhumabayev@atu.edu.kz") -> SheetSpec:
    expert = Expert("Жұмабаев Ерлан Серікұлы", email, "FIT-IS")
    grid = rating_sheet.build_grid(
        config=config,
        stage=1,
        group_name="Ақпараттық жүйелер кафедрасы",
        expert=expert,
        applications=apps,
        deadline_text="05.03.2027 18:00",
        lang="kk",
    )
    return SheetSpec(
        key=SheetKey("2027-test", 1, "FIT-IS", email),
        name=f"form02_s1_FIT-IS_{email.split('@')[0]}",
        folder=["stage-1", "FIT-IS", "sheets"],
        grid=grid,
        expert_name=expert.name,
        deadline_text="05.03.2027 18:00",
        share_message="Мерзімі: 05.03.2027 18:00",
    )


def test_rating_sheet_is_protected_validated_and_laid_out(tmp_path, config, apps):
    sheets = LocalRatingSheets(tmp_path, Manifest(tmp_path))
    ref = sheets.ensure(_spec(config, apps))
    assert ref.created
    lay = rating_sheet.layout(config)
    wb = load_workbook(ref.url)
    ws = wb.worksheets[0]
    assert ws.protection.sheet is True
    assert wb.security is not None and wb.security.lockStructure  # tabs cannot be added or moved
    score_cells = {(lay.data_row(i) + 1, c + 1) for i in range(len(apps)) for c in lay.scores.values()}
    comment_cells = {(lay.data_row(i) + 1, lay.fixed[k] + 1) for i in range(len(apps)) for k in ("comment", "recuse")}
    unlocked = {(c.row, c.column) for row in ws.iter_rows() for c in row if not c.protection.locked}
    assert unlocked == score_cells | comment_cells
    # whole numbers 1..10 on exactly the score cells
    whole = [dv for dv in ws.data_validations.dataValidation if dv.type == "whole"]
    assert len(whole) == len(lay.scores)  # one per criterion: each has its own input help
    assert {(dv.operator, dv.formula1, dv.formula2) for dv in whole} == {("between", "1", "10")}
    covered = {
        (cell_row, cell_col)
        for dv in whole
        for rng in dv.sqref.ranges
        for cell_row in range(rng.min_row, rng.max_row + 1)
        for cell_col in range(rng.min_col, rng.max_col + 1)
    }
    assert covered == score_cells
    # the DER id column is hidden, and holds the ids
    id_letter = rating_sheet.col_letter(lay.fixed["der_id"])
    assert ws.column_dimensions[id_letter].hidden
    assert [ws.cell(lay.data_row(i) + 1, lay.fixed["der_id"] + 1).value for i in range(2)] == ["DER-T1", "DER-T2"]
    # the sum column holds the formula over the criteria of its own row
    first, last = min(lay.scores.values()), max(lay.scores.values())
    for i in range(len(apps)):
        r = lay.data_row(i) + 1
        cell = ws.cell(r, lay.fixed["sum"] + 1)
        assert cell.data_type == "f"
        span = f"{rating_sheet.col_letter(first)}{r}:{rating_sheet.col_letter(last)}{r}"
        # shown only when every criterion holds a whole number in range (issue 20: no total for a row
        # that will not count)
        assert cell.value.startswith(f"=IF(COUNT({span})<{len(lay.scores)},") and cell.value.endswith(f"SUM({span})))")
    # a title that looks like a formula is text, not a formula
    title_cell = ws.cell(lay.data_row(0) + 1, lay.fixed["title"] + 1)
    assert title_cell.value == apps[0].title and title_cell.data_type == "s"


def test_ensure_twice_gives_one_file(tmp_path, config, apps):
    manifest = Manifest(tmp_path)
    sheets = LocalRatingSheets(tmp_path, manifest)
    first = sheets.ensure(_spec(config, apps))
    sheets.write_as_expert(first, {(rating_sheet.layout(config).data_row(0), 5): 7})
    before = _stamp(Path(first.url))
    # again, in a later run (a new manifest object read from disk)
    again = LocalRatingSheets(tmp_path, Manifest(tmp_path)).ensure(_spec(config, apps))
    assert not again.created and again.id == first.id
    assert _stamp(Path(first.url)) == before  # the expert's score is not overwritten
    files = list((tmp_path / "drive").rglob("*.xlsx"))
    assert files == [Path(first.url)]
    assert len(Manifest(tmp_path).data["sheets"]) == 1
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1  # shared once


def _forget_sheets(root: Path) -> None:
    """The workspace's records of its rating sheets lost (as a lost contest.sqlite3 would)."""
    manifest = Manifest(root)
    for token in list(manifest.data["sheets"]):
        del manifest.data["sheets"][token]
    manifest.save()


def test_a_sheet_holding_an_experts_typing_is_never_overwritten_even_when_unrecorded(tmp_path, config, apps):
    """Issue 23 item 2: records lost, the sheet on the disk holds a score; making it again refuses."""
    sheets = LocalRatingSheets(tmp_path, Manifest(tmp_path))
    first = sheets.ensure(_spec(config, apps))
    sheets.write_as_expert(first, {(rating_sheet.layout(config).data_row(0), 5): 7})
    before = _stamp(Path(first.url))
    _forget_sheets(tmp_path)
    with pytest.raises(BackendError, match="contest restore"):
        LocalRatingSheets(tmp_path, Manifest(tmp_path)).ensure(_spec(config, apps))
    assert _stamp(Path(first.url)) == before


def test_an_unrecorded_sheet_as_it_was_made_is_made_again(tmp_path, config, apps):
    """A crash between writing a sheet and recording it: the blank file is made again, as it was."""
    first = LocalRatingSheets(tmp_path, Manifest(tmp_path)).ensure(_spec(config, apps))
    _forget_sheets(tmp_path)
    again = LocalRatingSheets(tmp_path, Manifest(tmp_path)).ensure(_spec(config, apps))
    assert again.created and again.id == first.id


def test_freeze_ignores_later_edits_and_records_the_hash(tmp_path, config, apps):
    sheets = LocalRatingSheets(tmp_path, Manifest(tmp_path))
    ref = sheets.ensure(_spec(config, apps))
    lay = rating_sheet.layout(config)
    row, col = lay.data_row(0), min(lay.scores.values())
    sheets.write_as_expert(ref, {(row, col): 7, (row, lay.fixed["comment"]): "жақсы"})
    at_freeze = Path(ref.url).read_bytes()
    sheets.freeze(ref)
    sheets.freeze(ref)  # twice is harmless
    entry = Manifest(tmp_path).data["sheets"][ref.key.token()]
    assert entry["frozen"]["sha256"] == hashlib.sha256(at_freeze).hexdigest()
    assert entry["sharing"] == {ref.key.expert: "reader"}
    assert (tmp_path / entry["frozen"]["snapshot"]).read_bytes() == at_freeze
    # the expert edits the file after the deadline anyway
    path = Path(ref.url)
    path.chmod(0o644)
    wb = load_workbook(path)
    wb.worksheets[0].cell(row + 1, col + 1).value = 10
    wb.worksheets[0].cell(row + 1, lay.fixed["comment"] + 1).value = "өзгертілді"
    wb.save(path)
    for reader in (sheets, LocalRatingSheets(tmp_path, Manifest(tmp_path))):
        cells = reader.read(ref)
        assert cells[row][col].value == 7
        assert cells[row][lay.fixed["comment"]].value == "жақсы"


# --- errors the ports name -----------------------------------------------------------------------
def test_a_sheet_nobody_recorded_or_whose_file_was_deleted_is_not_found(tmp_path, config, apps):
    sheets = LocalRatingSheets(tmp_path, Manifest(tmp_path))
    stranger = SheetRef(SheetKey("2027-test", 1, "FIT-IS", "nobody@atu.edu.kz"), "x.xlsx", "x.xlsx")
    for call in (sheets.read, sheets.freeze, sheets.unfreeze):
        with pytest.raises(NotFound, match="мұндай бағалау парағы жұмыс қалтасында тіркелмеген"):
            call(stranger)
    ref = sheets.ensure(_spec(config, apps))
    Path(ref.url).unlink()  # someone tidied the folder by hand
    with pytest.raises(NotFound, match="файла оценочного листа нет"):
        sheets.read(ref)
    with pytest.raises(NotFound, match=Path(ref.url).name):  # named, and nothing frozen
        sheets.freeze(ref)


def test_a_folder_the_user_may_not_write_is_permission_denied(tmp_path, monkeypatch):
    import tempfile

    def refused(*args, dir=None, **kwargs):
        raise PermissionError(13, "Permission denied", str(dir))

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    with pytest.raises(PermissionDenied, match="файлға қол жеткізу жоқ.*contest-ті іске қосатын пайдаланушы") as error:
        LocalControlStore(tmp_path).write_tables({"T": (["id"], [["DER-1"]])})
    assert isinstance(error.value, BackendError)  # every `except BackendError` still catches it
    with pytest.raises(PermissionDenied, match=str(tmp_path / "drive")):
        LocalDrive(tmp_path, Manifest(tmp_path)).put(
            DocKey("2027-test", "form01", 0, "G", "DER-1"), [], "a.docx", b"PK"
        )


def test_a_full_disk_is_a_backend_error_naming_the_file(tmp_path, monkeypatch):
    import errno
    import tempfile

    def full(*args, dir=None, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(dir))

    monkeypatch.setattr(tempfile, "mkstemp", full)
    with pytest.raises(BackendError, match="No space left on device") as error:
        LocalControlStore(tmp_path).write_tables({"T": (["id"], [["DER-1"]])})
    assert type(error.value) is BackendError
    said = error_text(error.value, "ru")  # in the edition's language, naming the file, saying what to do
    assert said.startswith(f"{tmp_path}: на диске нет места") and "освободите место" in said
    assert error_text(error.value, "kk").startswith(f"{tmp_path}: дискіде орын жоқ")


def test_a_file_another_program_holds_is_said_to_be_locked_naming_it(tmp_path, monkeypatch):
    import errno
    import tempfile

    def busy(*args, dir=None, **kwargs):
        raise OSError(errno.EBUSY, "Device or resource busy", str(dir))

    monkeypatch.setattr(tempfile, "mkstemp", busy)
    with pytest.raises(BackendError) as error:
        LocalControlStore(tmp_path).write_tables({"T": (["id"], [["DER-1"]])})
    assert error_text(error.value, "kk").startswith(f"{tmp_path}: файлды басқа бағдарлама бұғаттап тұр")
    assert "закройте её" in error_text(error.value, "ru")


def test_a_damaged_control_workbook_is_named_in_the_editions_language(tmp_path):
    (tmp_path / "control.xlsx").write_bytes(b"PK\x03\x04 not a workbook at all")
    with pytest.raises(BackendError) as error:
        LocalControlStore(tmp_path).read_tables(["T"])
    assert error_text(error.value, "ru").startswith(f"{tmp_path / 'control.xlsx'}: управляющая таблица повреждена")
    assert "contest restore" in error_text(error.value, "kk")


def test_a_missing_responses_export_is_not_found(tmp_path, config):
    from pipelines.backends.local import ExportFormSource

    with pytest.raises(NotFound, match="form.path: .*responses.csv"):
        ExportFormSource(tmp_path / "responses.csv").read_responses()


def test_reading_a_sheet_keeps_formulas_typed_by_the_expert(tmp_path, config, apps):
    sheets = LocalRatingSheets(tmp_path, Manifest(tmp_path))
    ref = sheets.ensure(_spec(config, apps))
    lay = rating_sheet.layout(config)
    row, col = lay.data_row(1), min(lay.scores.values())
    sheets.write_as_expert(ref, {(row, col): "=5+5", (row, col + 1): "8"})
    cells = sheets.read(ref)
    assert cells[row][col].formula == "=5+5"
    assert cells[row][col + 1].value == "8" and cells[row][col + 1].formula is None
    title_cell = cells[lay.data_row(0)][lay.fixed["title"]]
    assert title_cell.formula is None and title_cell.value == apps[0].title


# --- documents -----------------------------------------------------------------------------------
def _docx_like(text: str, when=(2027, 1, 1, 0, 0, 0)) -> bytes:
    """A zip container like a .docx, with entry times that change on every save."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in (("[Content_Types].xml", "<Types/>"), ("word/document.xml", f"<w:t>{text}</w:t>")):
            info = zipfile.ZipInfo(name, date_time=when)
            archive.writestr(info, data)
    return buf.getvalue()


def test_documents_put_twice_unchanged_and_replaced_when_content_changes(tmp_path):
    drive = LocalDrive(tmp_path, Manifest(tmp_path))
    key = DocKey("2027-test", "form01", 0, "FIT-IS", "DER-T1")
    first = drive.put(key, ["intake", "FIT", "FIT-IS"], "form01_DER-T1.docx", _docx_like("Веб"))
    assert first.changed
    path = Path(first.path_or_url)
    before = _stamp(path)
    # the same content saved again later (new zip entry times): not written
    again = LocalDrive(tmp_path, Manifest(tmp_path)).put(
        key, ["intake", "FIT", "FIT-IS"], "form01_DER-T1.docx", _docx_like("Веб", when=(2027, 3, 1, 12, 0, 0))
    )
    assert not again.changed and again.path_or_url == first.path_or_url
    assert _stamp(path) == before
    # changed content: the same file is replaced, and the manifest records the new digest
    drive = LocalDrive(tmp_path, Manifest(tmp_path))
    changed = drive.put(key, ["intake", "FIT", "FIT-IS"], "form01_DER-T1.docx", _docx_like("Веб 2"))
    assert changed.changed and changed.path_or_url == first.path_or_url
    with zipfile.ZipFile(path) as archive:
        assert archive.read("word/document.xml") == "<w:t>Веб 2</w:t>".encode()
    entries = Manifest(tmp_path).data["documents"]
    assert len(entries) == 1 and len(list((tmp_path / "drive").rglob("*.docx"))) == 1
    assert [d.path_or_url for d in drive.documents()] == [first.path_or_url]
    assert _temp_leftovers(tmp_path) == []


def test_documents_are_rendered_lazily_only_when_needed(tmp_path):
    drive = LocalDrive(tmp_path, Manifest(tmp_path))
    key = DocKey("2027-test", "form02", 1, "FIT-IS", "e@atu.edu.kz")
    calls = []

    def render() -> bytes:
        calls.append(1)
        return _docx_like("x")

    assert drive.put(key, ["f"], "a.docx", render, source="s1").changed
    assert not drive.put(key, ["f"], "a.docx", render, source="s1").changed
    assert len(calls) == 1


# --- the manifest --------------------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["{not json", "", "[]", '{"documents": {}}', '{"documents": [], "sheets": {}}'])
def test_a_damaged_manifest_is_a_backend_error_with_a_clear_message(tmp_path, damage):
    cfg = load_config(EXAMPLE, environ={"CONTEST_BACKEND__WORKSPACE": str(tmp_path / "ws")})
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "manifest.json").write_text(damage, encoding="utf-8")
    with pytest.raises(BackendError) as info:
        open_local(cfg)
    message = str(info.value)  # both languages: the config's is not known to the backend
    assert "manifest.json" in message and "бүлінген" in message and "повреждён" in message
    assert not (tmp_path / "ws" / "contest.sqlite3").exists()  # nothing migrated, nothing lost


def test_manifest_survives_a_later_run(tmp_path):
    m = Manifest(tmp_path)
    m.data["documents"]["k"] = {"path": "drive/a.docx", "sha256": "0", "properties": {}}
    m.save()
    assert Manifest(tmp_path).data["documents"]["k"]["path"] == "drive/a.docx"
    assert set(os.listdir(tmp_path)) <= {"contest.sqlite3", "contest.sqlite3-wal", "contest.sqlite3-shm"}


# --- appended rows: a pending log, folded into control.xlsx at the end of a job ----------------------
def test_appended_rows_are_read_back_before_they_are_folded_and_cost_no_workbook_write(tmp_path):
    store = LocalControlStore(tmp_path)
    store.write_tables({"A": (["n"], [[1]])})
    stamp = _stamp(tmp_path / "control.xlsx")
    store.append_rows("J", ["what", "n"], [["=1+1", 1], ["Bell\x07", 2]])
    store.append_rows("J", ["what", "n"], [["third", 3]])
    assert _stamp(tmp_path / "control.xlsx") == stamp  # the workbook is not rewritten per row
    expected = [{"what": "=1+1", "n": 1}, {"what": "Bell", "n": 2}, {"what": "third", "n": 3}]
    assert LocalControlStore(tmp_path).read_table("J") == expected  # another process sees them too
    store.settle()
    assert not store.db.pending()
    assert [r for r in load_workbook(tmp_path / "control.xlsx")["J"].iter_rows(min_row=2, values_only=True)] == [
        ("=1+1", 1),
        ("Bell", 2),
        ("third", 3),
    ]
    assert LocalControlStore(tmp_path).read_table("J") == expected


def test_a_table_write_folds_the_pending_rows_in_with_it(tmp_path):
    store = LocalControlStore(tmp_path)
    store.append_rows("J", ["n"], [[1]])
    store.write_tables({"A": (["n"], [[1]])})
    assert not store.db.pending()
    assert [r[0].value for r in load_workbook(tmp_path / "control.xlsx")["J"].iter_rows(min_row=2)] == [1]


def test_a_crash_between_the_replace_and_the_rows_removal_never_folds_a_row_twice(tmp_path, monkeypatch):
    from pipelines.backends.local.store import Database

    store = LocalControlStore(tmp_path)
    store.append_rows("J", ["n"], [[1], [2]])

    def die(self, through):
        raise KeyboardInterrupt("the process dies after control.xlsx was replaced")

    monkeypatch.setattr(Database, "end_fold", die)
    with pytest.raises(KeyboardInterrupt):
        store.settle()
    monkeypatch.undo()
    assert [r["n"] for r in _file_rows(tmp_path)] == [1, 2]  # the workbook holds them
    fresh = LocalControlStore(tmp_path)
    assert [r["n"] for r in fresh.read_table("J")] == [1, 2]  # once, not again from the database
    fresh.append_rows("J", ["n"], [[3]])
    fresh.settle()
    assert [r["n"] for r in LocalControlStore(tmp_path).read_table("J")] == [1, 2, 3]


def test_a_crash_before_the_replace_keeps_the_rows_pending(tmp_path, monkeypatch):
    store = LocalControlStore(tmp_path)
    store.write_tables({"A": (["n"], [[1]])})
    store.append_rows("J", ["n"], [[1], [2]])
    real = os.replace

    def die(src, dst, *a, **k):
        if str(dst).endswith("control.xlsx"):
            raise KeyboardInterrupt("the process dies before control.xlsx is replaced")
        return real(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", die)
    with pytest.raises(KeyboardInterrupt):
        store.settle()
    monkeypatch.undo()
    fresh = LocalControlStore(tmp_path)
    assert [r["n"] for r in fresh.read_table("J")] == [1, 2]
    fresh.settle()
    assert [r["n"] for r in _file_rows(tmp_path)] == [1, 2] and not fresh.db.pending()


def _file_rows(root: Path) -> list[dict]:
    """The journal tab of control.xlsx as the file holds it, without the database."""
    ws = load_workbook(root / "control.xlsx")["J"]
    return [{"n": r[0]} for r in ws.iter_rows(min_row=2, values_only=True)]
