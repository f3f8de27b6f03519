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
