"""Intake over time: the registry never loses a row, and ids survive in-place edits of a response."""

from __future__ import annotations

from jobkit import at, copy_example, run_at, table_rows, write_csv
from test_intake_job import AFTER_CLOSE, EN, ROWS, _rows

from pipelines.jobs.intake import run_intake

LINK, TITLE = 9, 4  # columns of a CSV row (see test_intake_job._rows)


def _edition(tmp_path):
    csv_path = tmp_path / "responses.csv"
    write_csv(csv_path, EN, _rows("en"))
    return csv_path, copy_example(tmp_path)


def run_intake_at(config_path, now):
    return run_intake(run_at(config_path, now))


def _by_key(config_path):
    return {r["row_key"]: r for r in table_rows(config_path, "registry")}


def test_a_truncated_export_loses_no_row(tmp_path):
    csv_path, config_path = _edition(tmp_path)
    run_intake_at(config_path, AFTER_CLOSE)
    before = table_rows(config_path, "registry")
    assert len(before) == len(ROWS)
    write_csv(csv_path, EN, _rows("en", [0, 1, 2]))  # a download cut short: the last two rows are gone
    report = run_intake_at(config_path, AFTER_CLOSE)
    after = table_rows(config_path, "registry")
    assert after == before  # the kept rows exactly as they were (status, reasons, id), after the current ones
    assert report.responses == 3 and report.kept_missing == 2
    assert "осы экспортта жоқ бұрынғы 2 жол сақталды" in report.summary("kk")
    assert "сохранено прежних строк, которых нет в этой выгрузке: 2" in report.summary("ru")
    late = next(r for r in after if r["title"] == ROWS[4][TITLE])
    assert late["status"] == "rejected" and "late" in late["reasons"]
    again = run_intake_at(config_path, AFTER_CLOSE)  # idempotent: the same input writes nothing
    assert not again.registry_changed and again.kept_missing == 2
    assert not any(d.changed for d in again.letters)
    write_csv(csv_path, EN, _rows("en"))  # the full export again: nothing kept, nothing changed
    full = run_intake_at(config_path, AFTER_CLOSE)
    assert full.kept_missing == 0 and not full.registry_changed and "экспортта жоқ" not in full.summary("kk")


def test_kept_rows_come_after_the_current_ones(tmp_path):
    csv_path, config_path = _edition(tmp_path)
    run_intake_at(config_path, AFTER_CLOSE)
    before = _by_key(config_path)
    write_csv(csv_path, EN, _rows("en", [0, 2, 3, 4]))  # row 2 deleted in Forms: the rows below shift up
    report = run_intake_at(config_path, AFTER_CLOSE)
    registry = table_rows(config_path, "registry")
    current, kept = registry[:4], registry[4:]
    assert [r["title"] for r in current] == [ROWS[i][TITLE] for i in (0, 2, 3, 4)]
    assert kept and all(before[r["row_key"]] == r for r in kept)  # untouched
    assert ROWS[1][TITLE] in {r["title"] for r in kept}  # the deleted response is still on record
    assert report.registry_changed and report.kept_missing == len(kept)
    assert not run_intake_at(config_path, AFTER_CLOSE).registry_changed


def test_now_before_an_earlier_run_loses_no_row(tmp_path):
    _csv, config_path = _edition(tmp_path)
    run_intake_at(config_path, AFTER_CLOSE)
    before = table_rows(config_path, "registry")
    report = run_intake_at(config_path, at("2027-02-01 00:00"))  # rows 2..4 "do not exist yet"
    assert table_rows(config_path, "registry") == before and not report.registry_changed
    assert report.responses == 2 and report.ignored_future == 3 and report.kept_missing == 3


def test_an_in_place_edit_of_the_link_keeps_the_id(tmp_path):
    csv_path, config_path = _edition(tmp_path)
    run_intake_at(config_path, AFTER_CLOSE)
    before = _by_key(config_path)
    rows = _rows("en")
    rows[0][LINK] = "https://skills.atu.kz/course/view.php?id=999"  # the respondent edits the response in place
    rows[0][TITLE] = "Веб-бағдарламалау негіздері (2-басылым)"
    write_csv(csv_path, EN, rows)
    report = run_intake_at(config_path, AFTER_CLOSE)
    assert report.registry_changed and report.kept_missing == 0
    after = _by_key(config_path)
    assert set(after) == set(before)
    edited = next(k for k, r in after.items() if r["link"].endswith("999"))
    assert after[edited]["id"] == before[edited]["id"] and after[edited]["title"] == rows[0][TITLE]
    assert {k: r["id"] for k, r in after.items()} == {k: r["id"] for k, r in before.items()}
    assert not run_intake_at(config_path, AFTER_CLOSE).registry_changed
