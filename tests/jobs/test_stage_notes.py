"""The stages tab's notes are in the edition's language (issue 8 item 7)."""

from __future__ import annotations

from jobkit import table_rows

from pipelines import i18n


def test_the_intake_closed_note_is_in_the_editions_language(opened):
    [intake] = [s for s in table_rows(opened, "stages") if str(s["stage"]) == "0"]
    assert intake["note"] == i18n.text("stage_note_intake_closed", "kk")
