"""The guard every job command runs first: once the edition has started (sheets or documents made),
a missing, empty, corrupt or incomplete control.xlsx stops the job instead of a silent rebuild; a
brand-new edition starts normally."""

from __future__ import annotations

import pytest
from jobkit import config_of, workspace_dir
from openpyxl import load_workbook

from pipelines.backends import open_workspace
from pipelines.backends.local import Manifest
from pipelines.demo import write_edition
from pipelines.jobs.guard import ensure_control_intact, required_tables
from pipelines.ports import ControlLost, DocKey, SheetKey, StoredDoc


def _check(config_path, lang="kk"):
    ensure_control_intact(open_workspace(config_of(config_path)), lang)


def _files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def test_an_intact_started_edition_passes(edition):
    _check(edition)


@pytest.mark.parametrize(
    "damage, words",
    [
        ("delete", "басқару кестелері жоқ"),
        ("zero bytes", "файлы бос (0 байт)"),
        ("corrupt", "басқару кестелері оқылмайды"),
    ],
)
def test_a_lost_control_workbook_stops_the_job_and_says_how_to_restore(edition, damage, words):
    root = workspace_dir(edition)
    control = root / "control.xlsx"
    if damage == "delete":
        control.unlink()
    elif damage == "zero bytes":
        control.write_bytes(b"")
    else:
        control.write_bytes(control.read_bytes()[:2000])  # a write cut short
    before = _files(root)
    with pytest.raises(ControlLost) as caught:
        _check(edition)
    message = str(caught.value)
    assert words in message and str(control) in message
    assert "contest restore" in message and str(root / "backups") in message
    manifest = Manifest(root).data
    assert f"бағалау парақтары: {len(manifest['sheets'])}, құжаттар: {len(manifest['documents'])}" in message
    assert _files(root) == before  # nothing created, nothing changed


def test_the_message_in_russian(edition):
    (workspace_dir(edition) / "control.xlsx").unlink()
    with pytest.raises(ControlLost, match="управляющих таблиц нет, а конкурс уже начался.*contest restore"):
        _check(edition, "ru")


def test_a_missing_registry_tab_once_sheets_exist_is_a_lost_store(edition):
    control = workspace_dir(edition) / "control.xlsx"
    wb = load_workbook(control)
    del wb["Тізілім"]
    wb.save(control)
    with pytest.raises(ControlLost, match="мына беттер жоқ: Тізілім"):
        _check(edition)


def test_a_stage_one_opening_cut_short_is_not_taken_for_a_lost_store(edition):
    """Sheets made by a hand-run `open-stage 1` that stopped before writing the stages table: the
    retry must run, so before any stage closed only the registry is required."""
    control = workspace_dir(edition) / "control.xlsx"
    wb = load_workbook(control)
    for name in ("Кезеңдер", "Тағайындаулар"):
        del wb[name]
    wb.save(control)
    _check(edition)


def test_which_tables_are_required():
    form01 = StoredDoc(DocKey("e", "form01", 0, "FIT-IS", "A1"), "p")
    form02 = StoredDoc(DocKey("e", "form02", 1, "FIT-IS", "x@atu.edu.kz"), "p")
    assert required_tables([], []) == []
    assert required_tables([], [form01]) == ["registry"]
    assert required_tables([SheetKey("e", 1, "FIT-IS", "x@atu.edu.kz")], [form01]) == ["registry"]
    assert required_tables([SheetKey("e", 2, "FIT", "x@atu.edu.kz")], [])[:2] == ["registry", "stages"]
    assert "results" in required_tables([], [form02])


def test_a_brand_new_edition_starts_normally(tmp_path):
    config_path = write_edition(tmp_path / "new", 2027)
    root = workspace_dir(config_path)
    assert not (root / "control.xlsx").exists()
    _check(config_path)  # nothing made yet: no store to lose
    (root / "control.xlsx").parent.mkdir(parents=True, exist_ok=True)
    (root / "control.xlsx").write_bytes(b"")  # still nothing made: the job's own error, not the guard's
    _check(config_path)
