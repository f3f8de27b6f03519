"""The local workspace's frozen copy of a rating sheet: read-only, hashed in the manifest; a changed
copy is reported and never used."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipelines.backends.local import open_local
from pipelines.config import load_config
from pipelines.ports import BackendError, Cell, SheetGrid, SheetKey, SheetSpec

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "atu-2027" / "contest.yaml"
EXPERT = "e.zhumabayev@atu.edu.kz"


def test_a_changed_frozen_copy_is_reported_and_never_used(tmp_path):
    config = load_config(EXAMPLE)
    ws = open_local(
        config.model_copy(update={"backend": config.backend.model_copy(update={"workspace": str(tmp_path)})})
    )
    grid = SheetGrid("Бағалау", [[Cell("DER-1"), Cell(editable=True, validation=(1, 10))]])
    spec = SheetSpec(SheetKey("2027-test", 1, "FIT-IS", EXPERT), "form02_s1", ["stage-1"], grid, "Ерлан", "05.03", "m")
    ref = ws.sheets.ensure(spec)
    ws.sheets.write_as_expert(ref, {(0, 1): 8})
    ws.sheets.freeze(ref)
    (snapshot,) = (tmp_path / ".frozen").glob("*.xlsx")
    assert not snapshot.stat().st_mode & 0o222  # read-only
    snapshot.chmod(0o644)  # someone forces it open and changes the score
    wb = load_workbook(snapshot)
    wb.worksheets[0]["B1"] = 2
    wb.save(snapshot)
    with pytest.raises(BackendError, match="тоңазытудан кейін өзгерген"):
        ws.sheets.read(ref)
    (changed,) = ws.sheets.changed_after_freeze()
    assert changed["expert"] == EXPERT and changed["notice"] == "why_frozen_copy_changed"
