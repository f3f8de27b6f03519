"""The control store's read path keeps what it parsed (the workbook, each tab's rows, the pending
rows) only while their source holds the same content: a change is seen however it is made, even
one of the same size within the same second (a person saving in LibreOffice, another process)."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from datetime import datetime

import pytest
from openpyxl import load_workbook
from openpyxl.styles import Font

from pipelines.backends.local import LocalControlStore
from pipelines.backends.local.store import DB_NAME
from pipelines.formats.witness import ControlEdited


def _same_size_same_moment(path, change) -> None:
    """Rewrite `path` in place through `change(bytes) -> bytes` (same length), then put its
    timestamps back: only the content tells the change."""
    before = path.stat()
    data = change(path.read_bytes())
    assert len(data) == before.st_size
    with open(path, "r+b") as handle:  # the same inode
        handle.write(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)


def _stored(data: bytes, change=lambda b: b) -> bytes:
    """The same workbook with its parts stored uncompressed (as some tools save), each through
    `change`: an edit of the same length makes a file of the same size."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            part = zipfile.ZipInfo(info.filename, info.date_time)
            dst.writestr(part, change(src.read(info.filename)))  # ZipInfo's default: stored
    return out.getvalue()


def test_a_control_workbook_changed_in_place_same_size_same_second_is_read_again(tmp_path):
    store = LocalControlStore(tmp_path)
    store.write_tables({"A": (["who"], [["Serikova"], ["Ахметов"]])})
    path = tmp_path / "control.xlsx"
    path.write_bytes(_stored(path.read_bytes()))  # saved again by another tool
    assert [r["who"] for r in store.read_table("A")] == ["Serikova", "Ахметов"]
    # a person's edit: the same number of bytes, the same inode and timestamps
    swap = b"Serikova", b"Serikavo"  # ASCII: openpyxl writes other letters as &#NNNN;
    _same_size_same_moment(path, lambda data: _stored(data, lambda part: part.replace(*swap)))
    with pytest.raises(ControlEdited) as edited:  # seen, not the cached workbook: named (issue 23 item 1)
        store.read_table("A")
    assert [(e.cell, e.before, e.after) for e in edited.value.edits] == [("A2", "Serikova", "Serikavo")]
    store.accept_hand_edits()
    assert [r["who"] for r in store.read_table("A")] == ["Serikavo", "Ахметов"]
    assert [r["who"] for r in LocalControlStore(tmp_path).read_table("A")] == ["Serikavo", "Ахметов"]
    store.write_tables({"B": (["n"], [[1]])})  # a write starts from the edited workbook, never the old one
    assert [r["who"] for r in LocalControlStore(tmp_path).read_table("A")] == ["Serikavo", "Ахметов"]


def test_rows_another_process_appends_are_read_at_the_next_read(tmp_path):
    store = LocalControlStore(tmp_path)
    store.append_rows("J", ["n", "what"], [[1, "first"], [2, "second"]])
    assert [r["what"] for r in store.read_table("J")] == ["first", "second"]
    LocalControlStore(tmp_path).append_rows("J", ["n", "what"], [[3, "third"]])  # another connection
    assert [r["what"] for r in store.read_table("J")] == ["first", "second", "third"]


def test_a_pending_log_removed_and_begun_again_is_read_afresh(tmp_path):
    store = LocalControlStore(tmp_path)
    store.append_rows("J", ["n"], [[1], [2]])
    assert [r["n"] for r in store.read_table("J")] == [1, 2]
    store.settle()
    store.append_rows("J", ["n"], [[3]])  # a new log, maybe on the old one's inode
    assert [r["n"] for r in store.read_table("J")] == [1, 2, 3]


def test_pasted_line_separators_stay_inside_their_row(tmp_path):
    """Text pasted from a web page or Word may hold U+2028, U+2029 or U+0085: JSON keeps them raw,
    and they must not split the pending row they are in (str.splitlines would)."""
    store = LocalControlStore(tmp_path)
    detail = "бірінші\u2028екінші\u2029үшінші\x85төртінші"
    store.append_rows("J", ["n", "detail"], [[1, detail], [2, "next"]])
    for reader in (store, LocalControlStore(tmp_path)):
        assert [(r["n"], r["detail"]) for r in reader.read_table("J")] == [(1, detail), (2, "next")]


# --- the parsed workbook remembered in the workspace database (benchmarks/idle_ticks.py) -----------
@pytest.fixture
def parses(monkeypatch):
    """How many times control.xlsx was parsed by openpyxl."""
    from pipelines.backends.local import control

    count = [0]
    real = control.load_workbook

    def counted(*args, **kwargs):
        count[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(control, "load_workbook", counted)
    return count


def test_the_next_process_reads_the_workbook_from_its_memo_and_an_edit_is_parsed_and_named(tmp_path, parses):
    LocalControlStore(tmp_path).write_tables({"A": (["who", "n"], [["Serikova", 7], ["Ахметов", 2.5]])})
    first = LocalControlStore(tmp_path).read_table("A")  # the first process after the write parses it
    assert parses[0] == 1 and first == [{"who": "Serikova", "n": 7}, {"who": "Ахметов", "n": 2.5}]
    for _ in range(3):  # a cron tick each: no parse
        assert LocalControlStore(tmp_path).read_table("A") == first
    assert parses[0] == 1
    path = tmp_path / "control.xlsx"
    wb = load_workbook(path)  # a person's edit: another file, so the memo is not its reading
    wb["A"]["B2"] = 8
    wb.save(path)
    with pytest.raises(ControlEdited) as edited:
        LocalControlStore(tmp_path).read_table("A")
    assert [(e.cell, e.before, e.after) for e in edited.value.edits] == [("B2", "7", "8")]


def test_a_write_from_a_remembered_workbook_keeps_a_persons_tab_as_it_was(tmp_path, parses):
    LocalControlStore(tmp_path).write_tables({"A": (["who"], [["Serikova"]])})
    path = tmp_path / "control.xlsx"
    wb = load_workbook(path)
    mine = wb.create_sheet("Менің жазбаларым")  # a tab of a person's own: no table's edit
    mine["A1"], mine["A2"], mine["B2"] = "Сан", 3, "=A2*2"
    mine["A1"].font = Font(bold=True)
    mine.column_dimensions["A"].width = 33
    wb.save(path)
    assert LocalControlStore(tmp_path).read_table("A") == [{"who": "Serikova"}]  # parsed, remembered
    parsed = parses[0]
    later = LocalControlStore(tmp_path)
    assert later.read_table("A") == [{"who": "Serikova"}] and parses[0] == parsed  # from the memo
    assert later.write_tables({"B": (["n"], [[1]])}) == ["B"]  # the file's own tabs are copied from it
    wb = load_workbook(path)
    mine = wb["Менің жазбаларым"]
    assert (mine["A2"].value, mine["B2"].value, mine["B2"].data_type) == (3, "=A2*2", "f")
    assert mine["A1"].font.b and mine.column_dimensions["A"].width == 33
    assert wb.sheetnames == ["A", "Менің жазбаларым", "B"]
    assert LocalControlStore(tmp_path).read_table("A") == [{"who": "Serikova"}]


def test_a_memo_of_another_reading_is_not_used(tmp_path, parses):
    LocalControlStore(tmp_path).write_tables({"A": (["who"], [["Serikova"]])})
    LocalControlStore(tmp_path).read_table("A")
    db = sqlite3.connect(tmp_path / DB_NAME)
    with db:  # as an older version of the product (or another openpyxl) read the same file
        (tabs,) = db.execute("SELECT tabs FROM parsed").fetchone()
        memo = json.loads(tabs)
        memo["format"], memo["tabs"] = "0 openpyxl 1.0", [["A", [["who"], ["Serikavo"]]]]
        db.execute("UPDATE parsed SET tabs = ?", (json.dumps(memo),))
    db.close()
    parsed = parses[0]
    assert LocalControlStore(tmp_path).read_table("A") == [{"who": "Serikova"}]
    assert parses[0] == parsed + 1


def test_a_workbook_holding_a_date_a_person_typed_is_parsed_each_time(tmp_path, parses):
    LocalControlStore(tmp_path).write_tables({"A": (["who"], [["Serikova"]])})
    path = tmp_path / "control.xlsx"
    wb = load_workbook(path)
    wb.create_sheet("Күнтізбе")["A1"] = datetime(2027, 3, 1, 9, 30)  # no JSON value: never remembered
    wb.save(path)
    for _ in range(2):
        assert LocalControlStore(tmp_path).read_table("Күнтізбе") == []  # a header, no row
        assert LocalControlStore(tmp_path).read_table("A") == [{"who": "Serikova"}]
    assert parses[0] == 4 + 1  # each read; and once the copy last written, compared with the first read
    assert sqlite3.connect(tmp_path / DB_NAME).execute("SELECT COUNT(*) FROM parsed").fetchone() == (0,)


def test_the_memo_is_not_kept_rather_than_wait_for_a_busy_database(tmp_path, parses):
    """A read-only `status` beside a tick that is writing: the read goes on at once."""
    LocalControlStore(tmp_path).write_tables({"A": (["who"], [["Serikova"]])})
    other = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    try:
        started = time.monotonic()
        assert LocalControlStore(tmp_path).read_table("A") == [{"who": "Serikova"}]
        assert time.monotonic() - started < 30  # the database's own wait is 60 s
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert sqlite3.connect(tmp_path / DB_NAME).execute("SELECT COUNT(*) FROM parsed").fetchone() == (0,)
    LocalControlStore(tmp_path).read_table("A")
    parsed = parses[0]
    LocalControlStore(tmp_path).read_table("A")
    assert parses[0] == parsed  # kept by the next read that could


def test_a_backup_of_the_database_leaves_the_memo_out(tmp_path):
    LocalControlStore(tmp_path).write_tables({"A": (["who"], [["Serikova"] for _ in range(300)])})
    LocalControlStore(tmp_path).read_table("A")  # remembered
    LocalControlStore(tmp_path).write_tables({"B": (["n"], [[1]])})  # the version replaced is kept
    copies = sorted((tmp_path / "backups").glob("*.sqlite3"))
    assert copies
    for copy in copies:
        assert sqlite3.connect(copy).execute("SELECT COUNT(*) FROM parsed").fetchone() == (0,)
    assert sqlite3.connect(tmp_path / DB_NAME).execute("SELECT COUNT(*) FROM parsed").fetchone() == (1,)


def test_rows_appended_by_a_process_that_read_the_memo_go_after_the_rows_the_file_holds(tmp_path, parses):
    first = LocalControlStore(tmp_path)
    first.append_rows("J", ["n"], [[1], [2]])
    first.settle()  # folded into control.xlsx
    assert [r["n"] for r in LocalControlStore(tmp_path).read_table("J")] == [1, 2]  # parsed, remembered
    parsed = parses[0]
    later = LocalControlStore(tmp_path)
    later.append_rows("J", ["n"], [[3]])
    assert [r["n"] for r in later.read_table("J")] == [1, 2, 3] and parses[0] == parsed
    later.settle()
    assert [r[0] for r in load_workbook(tmp_path / "control.xlsx")["J"].iter_rows(values_only=True)] == ["n", 1, 2, 3]
