"""The control store's read path keeps what it parsed (the workbook, each tab's rows, the pending
rows) only while their source holds the same content: a change is seen however it is made, even
one of the same size within the same second (a person saving in LibreOffice, another process)."""

from __future__ import annotations

import os

import pytest

from pipelines.backends.local import LocalControlStore
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
