"""The workspace database (contest.sqlite3): the manifest's entries, the share messages' ledger and the
pending journal rows; each save one transaction that a crash cannot cut in half; a workspace of the
previous version (manifest.json, manifest.log, control.pending.jsonl) migrated once when opened."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipelines.backends.local import (
    Database,
    LocalControlStore,
    LocalDrive,
    Manifest,
    ManifestLedger,
    store,
    xlsx_writer,
)
from pipelines.ports import BackendError, DocKey


def _entry(n: int) -> dict:
    return {"path": f"drive/intake/form01_DER-{n:04d}.docx", "sha256": f"{n:064x}", "properties": {"n": str(n)}}


def test_an_entry_changed_in_place_or_removed_is_saved(tmp_path):
    m = Manifest(tmp_path)
    m.data["sheets"]["s1"] = {"path": "drive/s1.xlsx", "sharing": {"e@atu.edu.kz": "writer"}, "frozen": None}
    m.data["documents"]["d1"] = _entry(1)
    m.save()
    entry = Manifest(tmp_path).data["sheets"]["s1"]
    entry["frozen"] = {"snapshot": ".frozen/x.xlsx", "sha256": "ab"}  # as freeze() does it, on a later run
    assert Manifest(tmp_path).data["sheets"]["s1"]["frozen"] is None  # not saved yet
    m2 = Manifest(tmp_path)
    m2.data["sheets"]["s1"]["frozen"] = {"snapshot": ".frozen/x.xlsx", "sha256": "ab"}
    del m2.data["documents"]["d1"]
    m2.save()
    final = Manifest(tmp_path).data
    assert final["sheets"]["s1"]["frozen"] == {"snapshot": ".frozen/x.xlsx", "sha256": "ab"}
    assert "d1" not in final["documents"]


def test_documents_put_by_a_job_are_known_to_the_next_run(tmp_path):
    drive = LocalDrive(tmp_path, Manifest(tmp_path))
    keys = [DocKey("atu-2027", "form01", 0, "FIT-IS", f"DER-{n:03d}") for n in range(30)]
    for key in keys:
        drive.put(key, ["intake"], f"form01_{key.subject}.docx", f"letter {key.subject}".encode())
    later = LocalDrive(tmp_path, Manifest(tmp_path))
    assert sorted(d.key.subject for d in later.documents()) == [k.subject for k in keys]
    assert not later.put(keys[3], ["intake"], "form01_DER-003.docx", b"letter DER-003").changed


def test_the_ledger_of_notices_is_durable_as_soon_as_it_is_recorded(tmp_path):
    ledger = ManifestLedger(Manifest(tmp_path))
    ledger.record_message("share/s1/a@atu.kz", "intended")
    assert ManifestLedger(Manifest(tmp_path)).message_state("share/s1/a@atu.kz") == "intended"  # a new process
    ledger.record_message("share/s1/a@atu.kz", "sent")
    assert ManifestLedger(Manifest(tmp_path)).message_state("share/s1/a@atu.kz") == "sent"


def test_an_exception_between_statements_leaves_none_of_the_save_and_the_next_save_writes_it(tmp_path, monkeypatch):
    m = Manifest(tmp_path)
    m.data["documents"]["a"] = _entry(1)
    m.save()
    for n in range(2, 6):
        m.data["documents"][f"d{n}"] = _entry(n)
    real, calls = store._dump, [0]

    def dump(value):
        calls[0] += 1
        if calls[0] == 3:  # the third entry of the transaction: two are already written in it
            raise KeyboardInterrupt("the process dies here")
        return real(value)

    monkeypatch.setattr(store, "_dump", dump)
    with pytest.raises(KeyboardInterrupt):
        m.save()
    monkeypatch.undo()
    assert list(Manifest(tmp_path).data["documents"]) == ["a"]  # all of it or none
    m.save()  # what changed is still marked: the next save writes it
    assert sorted(Manifest(tmp_path).data["documents"]) == ["a", "d2", "d3", "d4", "d5"]


WRITER = """
import sys
from pathlib import Path
from pipelines.backends.local import LocalControlStore, Manifest
root = Path(sys.argv[1])
m, control = Manifest(root), LocalControlStore(root)
print("ready", flush=True)
for batch in range(1_000_000):
    for n in range(20):
        m.data["documents"][f"b{batch}-{n}"] = {"path": f"drive/{batch}/{n}.docx", "sha256": "0", "properties": {}}
    m.save(durable=batch % 2 == 0)
    control.append_rows("J", ["batch", "n"], [[batch, n] for n in range(20)])
"""


@pytest.mark.parametrize("delay", [0.05, 0.2, 0.45])
def test_a_process_killed_mid_transaction_leaves_whole_transactions(tmp_path, delay):
    """SIGKILL at an arbitrary moment of a stream of transactions (20 entries, then 20 rows each):
    the database opens, and each transaction is there whole or not at all."""
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert store.healthy(tmp_path / store.DB_NAME)
    batches: dict[int, int] = {}
    for token in Manifest(tmp_path).data["documents"]:
        batch = int(token[1:].split("-")[0])
        batches[batch] = batches.get(batch, 0) + 1
    assert batches and set(batches.values()) == {20}, "a transaction of entries cut in half"
    rows: dict[int, int] = {}
    for row in LocalControlStore(tmp_path).read_table("J"):
        rows[int(row["batch"])] = rows.get(int(row["batch"]), 0) + 1
    assert set(rows.values()) <= {20} and set(rows) <= set(batches), "a transaction of rows cut in half"
    assert len(batches) - len(rows) in (0, 1)  # at most the batch whose rows were being appended
    print(f"killed after {delay}s: {len(batches)} whole batches of entries, {len(rows)} of rows")


# --- a workspace of the previous version ---------------------------------------------------------
def _previous_version(root: Path) -> None:
    """manifest.json, a manifest.log with a last line cut short, control.pending.jsonl whose first two
    rows control.xlsx already holds (its custom property), as the previous version left them."""
    root.mkdir(parents=True, exist_ok=True)
    manifest = {"documents": {"d1": _entry(1)}, "sheets": {}, "messages": {"share/s1": "sent"}}
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    log = [
        {"part": "sheets", "token": "s1", "entry": {"path": "drive/s1.xlsx", "sharing": {"e@atu.kz": "writer"}}},
        {"part": "documents", "token": "d1", "entry": None},
        {"part": "documents", "token": "d2", "entry": _entry(2)},
    ]
    text = "".join(json.dumps(r) + "\n" for r in log) + '{"part": "documents", "token": "d3", "ent'
    (root / "manifest.log").write_text(text, encoding="utf-8")
    book = xlsx_writer.Book()
    sheet = book.add_sheet("J")
    for row in (["n"], [1], [2]):
        sheet.add_row(row)
    book.properties["contest_appended_through"] = 2
    (root / "control.xlsx").write_bytes(book.to_bytes())
    pending = [{"seq": n, "table": "J", "columns": ["n"], "row": [n], "layout": None} for n in (1, 2, 3, 4)]
    (root / "control.pending.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pending), encoding="utf-8")


def test_a_workspace_of_the_previous_version_is_migrated_once(tmp_path):
    _previous_version(tmp_path)
    data = Manifest(tmp_path).data
    assert data["documents"] == {"d2": _entry(2)}  # the log replayed over the snapshot; the cut line ignored
    assert data["sheets"]["s1"]["sharing"] == {"e@atu.kz": "writer"}
    assert data["messages"] == {"share/s1": {"state": "sent"}}
    assert not any((tmp_path / name).exists() for name in ("manifest.json", "manifest.log", "control.pending.jsonl"))
    aside = tmp_path / "backups" / "before-sqlite"
    assert sorted(p.name for p in aside.iterdir()) == ["control.pending.jsonl", "manifest.json", "manifest.log"]
    store_ = LocalControlStore(tmp_path)
    assert [r["n"] for r in store_.read_table("J")] == [1, 2, 3, 4]  # rows 1, 2 once: the file holds them
    store_.settle()
    assert [r[0] for r in load_workbook(tmp_path / "control.xlsx")["J"].iter_rows(min_row=2, values_only=True)] == [
        1,
        2,
        3,
        4,
    ]
    (aside / "manifest.json").rename(tmp_path / "manifest.json")  # an old file seen again: not read twice
    Manifest(tmp_path)
    assert Manifest(tmp_path).data["documents"] == {"d2": _entry(2)}


def test_a_migration_cut_short_is_done_again_from_the_same_files(tmp_path, monkeypatch):
    _previous_version(tmp_path)

    def die(root):
        raise KeyboardInterrupt("the process dies after the migration's commit")

    monkeypatch.setattr(store.legacy, "set_aside", die)
    with pytest.raises(KeyboardInterrupt):
        Manifest(tmp_path)
    monkeypatch.undo()
    assert (tmp_path / "manifest.json").exists()
    assert Manifest(tmp_path).data["documents"] == {"d2": _entry(2)}
    assert not (tmp_path / "manifest.json").exists()
    assert [r["n"] for r in LocalControlStore(tmp_path).read_table("J")] == [1, 2, 3, 4]


def test_a_damaged_line_inside_the_old_log_names_the_file_and_line_in_kazakh_and_russian(tmp_path):
    _previous_version(tmp_path)
    with open(tmp_path / "manifest.log", "ab") as log:
        log.write(
            b"\nnot json\n" + json.dumps({"part": "documents", "token": "c", "entry": _entry(3)}).encode() + b"\n"
        )
    with pytest.raises(BackendError) as info:
        Manifest(tmp_path)
    message = str(info.value)
    assert "manifest.log" in message and "line 4" in message and "бүлінген" in message and "повреждён" in message
    assert not (tmp_path / store.DB_NAME).exists() and (tmp_path / "manifest.log").exists()


def test_a_damaged_database_is_named_in_kazakh_and_russian(tmp_path):
    (tmp_path / store.DB_NAME).write_bytes(b"this is not a database, a careless copy" * 100)
    with pytest.raises(BackendError) as info:
        Database(tmp_path).entries()
    message = str(info.value)
    assert store.DB_NAME in message and "contest restore" in message and "не читается" in message


def test_an_old_log_line_cut_short_with_the_next_append_glued_on_is_repaired(tmp_path):
    """The previous version's defect (issue 23, 3): a crash cut an append of manifest.log, and the next
    append went on the same line. The cut record is dropped (its append never returned), the glued one
    and every line after it kept: the workspace migrates instead of stopping for a backup."""
    _previous_version(tmp_path)
    glued = json.dumps({"part": "documents", "token": "d4", "entry": _entry(4)})
    after = json.dumps({"part": "sheets", "token": "s2", "entry": {"path": "drive/s2.xlsx", "sharing": {}}})
    with open(tmp_path / "manifest.log", "ab") as log:  # the cut "d3" line of _previous_version
        log.write(glued.encode() + b"\n" + after.encode() + b"\n")
    data = Manifest(tmp_path).data
    assert data["documents"] == {"d2": _entry(2), "d4": _entry(4)}  # d3 cut: made again by its job
    assert set(data["sheets"]) == {"s1", "s2"}
