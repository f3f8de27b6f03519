"""When the responses were taken from the form (`FormSource.taken_at`, the evidence intake's close
needs, 9.8): an export file's download time; None for a source read live."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from pipelines.backends.google.drive import GoogleFormSource
from pipelines.backends.local.forms import ExportFormSource
from pipelines.backends.memory import MemoryFormSource
from pipelines.config import FormSourceConfig


def test_an_export_was_taken_when_it_was_downloaded(tmp_path):
    path = tmp_path / "responses.csv"
    path.write_text("Timestamp,Faculty\n", encoding="utf-8")
    downloaded = datetime(2027, 2, 19, 13, 20, tzinfo=UTC)
    os.utime(path, (downloaded.timestamp(), downloaded.timestamp()))
    assert ExportFormSource(path).taken_at() == downloaded
    assert ExportFormSource(tmp_path / "absent.csv").taken_at() is None
    on_google = GoogleFormSource(None, FormSourceConfig(kind="file", path=str(path)), path)  # type: ignore[arg-type]
    assert on_google.taken_at() == downloaded


def test_a_live_source_is_read_as_of_now():
    for kind in ("sheet", "forms_api"):
        assert GoogleFormSource(None, FormSourceConfig(kind=kind)).taken_at() is None  # type: ignore[arg-type]
    assert MemoryFormSource([]).taken_at() is None
