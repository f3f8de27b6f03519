"""workspace/backups/: a copy of control.xlsx before every changing replace, the last N kept; the
store's health without creating anything; a backup put back with the replaced file set aside."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from pydantic import ValidationError

from pipelines.backends.local import ControlBackups, LocalControlStore, inspect_backup
from pipelines.config import LocalBackend


def _n(path) -> int:
    return load_workbook(path)["A"]["A2"].value


def test_each_changing_write_keeps_the_version_it_replaces_and_rotation_keeps_exactly_n(tmp_path):
    store = LocalControlStore(tmp_path, keep=3)
    store.write_tables({"A": (["n"], [[0]])})  # the first write replaces nothing
    assert store.backups.paths() == []
    for n in range(1, 6):
        store.write_tables({"A": (["n"], [[n]])})
    kept = store.backups.paths()
    assert len(kept) == 3
    assert [_n(p) for p in kept] == [2, 3, 4]  # oldest first; the current file holds 5
    assert _n(tmp_path / "control.xlsx") == 5
    store.append_rows("J", ["x"], [["row"]])
    store.settle()  # an append, folded in at the end of its job, replaces the file too
    assert [_n(p) for p in store.backups.paths()] == [3, 4, 5]


def test_idle_appends_keep_one_copy_and_never_push_real_changes_out(tmp_path):
    """Cron's idle ticks only append a journal row: consecutive copies taken before appends collapse
    into the newest one (it holds everything the older did, plus the rows appended)."""
    store = LocalControlStore(tmp_path, keep=2)
    store.write_tables({"A": (["n"], [[0]])})
    store.write_tables({"A": (["n"], [[1]])})  # copy of 0
    for n in range(5):  # each idle tick appends its row and settles it at its end
        store.append_rows("J", ["row"], [[n]])
        store.settle()
    first, newest = store.backups.paths()
    assert _n(first) == 0 and not first.name.endswith(".append.xlsx")
    assert newest.name.endswith(".append.xlsx")
    assert [r[0] for r in load_workbook(newest)["J"].iter_rows(min_row=2, values_only=True)] == [0, 1, 2, 3]
    store.write_tables({"A": (["n"], [[2]])})  # a real change: its copy is added, the oldest rotated out
    assert [_n(p) for p in store.backups.paths()] == [1, 1]
    assert len(list(load_workbook(store.backups.paths()[-1])["J"].iter_rows(min_row=2))) == 5


def test_an_unchanged_write_takes_no_copy(tmp_path):
    store = LocalControlStore(tmp_path, keep=5)
    store.write_tables({"A": (["n"], [[1]])})
    store.write_tables({"A": (["n"], [[2]])})
    assert store.write_tables({"A": (["n"], [[2]])}) == []
    assert len(store.backups.paths()) == 1


def test_the_number_kept_comes_from_the_config_and_is_at_least_one():
    assert LocalBackend().control_backups == 10
    assert LocalBackend(control_backups=1).control_backups == 1
    with pytest.raises(ValidationError):
        LocalBackend(control_backups=0)


def test_health_tells_missing_empty_unreadable_and_ok_without_creating_anything(tmp_path):
    store = LocalControlStore(tmp_path)
    path = tmp_path / "control.xlsx"
    assert store.health().state == "missing" and not path.exists()
    assert store.health().backend == "local" and store.health().backups == str(tmp_path / "backups")
    path.write_bytes(b"")
    assert store.health().state == "empty"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    health = store.health()
    assert health.state == "unreadable" and health.detail
    path.unlink()
    store.write_tables({"Тізілім": (["id"], [["A1"]]), "Кезеңдер": (["stage"], [[1]])})
    health = store.health()
    assert health.ok and health.tables == ["Тізілім", "Кезеңдер"]


def test_put_back_sets_the_replaced_file_aside_and_lists_tables_with_rows(tmp_path):
    store = LocalControlStore(tmp_path, keep=4)
    store.write_tables({"A": (["n"], [[1], [2]]), "B": (["x"], [])})
    store.write_tables({"A": (["n"], [[9]])})
    (tmp_path / "control.xlsx").write_bytes(b"garbage")
    backups = ControlBackups(tmp_path, 4)
    [only] = backups.backups()
    assert only.readable and only.tables == {"A": 2, "B": 0}
    aside = backups.put_back(only.path).control_aside
    assert aside is not None and aside.read_bytes() == b"garbage" and aside.parent.name == "set-aside"
    assert _n(tmp_path / "control.xlsx") == 1
    assert backups.paths() == [only.path]  # the set-aside file is not one of the rotated copies


def test_a_damaged_backup_is_listed_as_unreadable(tmp_path):
    path = tmp_path / "backups" / "control-20270219T120000.000000Z.xlsx"
    path.parent.mkdir()
    path.write_bytes(b"")
    backup = inspect_backup(path)
    assert not backup.readable and backup.detail
    assert backup.taken.isoformat() == "2027-02-19T12:00:00+00:00"


# --- the database with control.xlsx ----------------------------------------------------------------
def _workspace_files(root, names=("control.xlsx", "contest.sqlite3", "contest.sqlite3-wal", "contest.sqlite3-shm")):
    for name in names:
        (root / name).unlink(missing_ok=True)


def _edition_so_far(root):
    """A manifest entry, a control.xlsx write (no copy yet), rows appended, a second write: its copy
    holds the first control.xlsx and the database as it was then (the rows pending, the entry)."""
    from pipelines.backends.local import Database, Manifest

    db = Database(root)
    manifest = Manifest(root, db)
    manifest.data["sheets"]["s1"] = {"path": "drive/s1.xlsx", "sharing": {"e@atu.kz": "writer"}}
    manifest.save()
    store = LocalControlStore(root, 5, db)
    store.write_tables({"A": (["n"], [[1]])})
    store.append_rows("J", ["n"], [[1], [2]])
    store.write_tables({"A": (["n"], [[2]])})
    manifest.data["sheets"]["s2"] = {"path": "drive/s2.xlsx", "sharing": {"f@atu.kz": "writer"}}
    manifest.save()
    db.close()


def test_every_copy_of_control_xlsx_has_the_database_taken_with_it(tmp_path):
    import sqlite3

    _edition_so_far(tmp_path)
    [copy] = ControlBackups(tmp_path).backups()
    assert copy.database.is_file() and copy.database.name == copy.path.name.replace(".xlsx", ".sqlite3")
    held = sqlite3.connect(copy.database)
    assert [t for (t,) in held.execute("SELECT token FROM entries WHERE part = 'sheets'")] == ["s1"]
    assert [r for (r,) in held.execute("SELECT row FROM pending ORDER BY seq")] == ["[1]", "[2]"]
    held.close()


def test_restore_brings_back_a_lost_database_consistent_with_its_control_xlsx(tmp_path):
    from pipelines.backends.local import Manifest

    _edition_so_far(tmp_path)
    _workspace_files(tmp_path)  # control.xlsx and the database both gone
    backups = ControlBackups(tmp_path)
    done = backups.put_back(backups.backups()[0].path)
    assert done.database == "restored" and done.control_aside is None
    assert sorted(Manifest(tmp_path).data["sheets"]) == ["s1"]  # the database as it was with that copy
    store = LocalControlStore(tmp_path)
    assert store.read_table("A") == [{"n": 1}] and [r["n"] for r in store.read_table("J")] == [1, 2]
    store.settle()  # its pending rows go into the control.xlsx they were pending for, once
    assert [r["n"] for r in LocalControlStore(tmp_path).read_table("J")] == [1, 2]


def test_restore_keeps_a_sound_database_and_sets_a_damaged_one_aside(tmp_path):
    from pipelines.backends.local import Manifest

    _edition_so_far(tmp_path)
    backups = ControlBackups(tmp_path)
    copy = backups.backups()[0].path
    assert backups.put_back(copy).database == "kept"
    assert sorted(Manifest(tmp_path).data["sheets"]) == ["s1", "s2"]  # what exists on disk stays known
    _workspace_files(tmp_path, ("contest.sqlite3-wal", "contest.sqlite3-shm"))
    (tmp_path / "contest.sqlite3").write_bytes(b"damaged" * 1000)
    done = backups.put_back(copy)
    assert done.database == "restored" and done.database_aside is not None
    assert done.database_aside.read_bytes() == b"damaged" * 1000 and done.database_aside.parent.name == "set-aside"
    assert sorted(Manifest(tmp_path).data["sheets"]) == ["s1"]
