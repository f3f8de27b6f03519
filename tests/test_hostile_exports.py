"""Hostile exports end in rows or a kk/ru message naming the file, never a traceback (issue 23 item 4).
tools/hostile_exports.py prints the figure for 2,000 exports; the suite reads a sample of them."""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from pipelines.formats.forms import FormError, read_export

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import hostile_exports  # noqa: E402


def test_a_field_over_the_csv_limit_in_the_first_line_is_read_whole(tmp_path):
    huge = "Ж" * 131_073  # over the csv module's default field limit, in the header line
    path = tmp_path / "responses.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([[*hostile_exports.HEADER, huge], ["28.01.2027 10:15:00", *["жауап"] * 12]])
    [row] = read_export(path)
    assert row.answers[huge] == "жауап"


def test_a_foreign_first_line_is_named_short(tmp_path):
    path = tmp_path / "responses.csv"
    path.write_text(f"{'Ж' * 131_073},басқа\nа,б\n", encoding="utf-8")
    with pytest.raises(FormError) as caught:
        read_export(path)
    assert len(caught.value.say("kk")) < 1000 and "responses.csv" in caught.value.say("kk")


@pytest.mark.parametrize("part", ["", "not xml", "<?xml version='1.0'?><Types", "\x00\x01"])
def test_a_zip_that_is_no_workbook_is_named_in_kk_and_ru(tmp_path, part):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", part)
    path = tmp_path / "жауаптар.xlsx"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(FormError) as caught:
        read_export(path)
    assert path.name in caught.value.say("kk") and path.name in caught.value.say("ru")


def test_a_workbook_cut_short_is_named(tmp_path):
    path = tmp_path / "responses.xlsx"
    book = Workbook()
    book.active.append(["Уақыт белгісі", "1. Факультет"])
    book.active.append(["28.01.2027 10:15:00", "ФИТ"])
    book.save(path)
    path.write_bytes(path.read_bytes()[:700])
    with pytest.raises(FormError) as caught:
        read_export(path)
    assert "responses.xlsx" in caught.value.say("kk")


def test_a_sample_of_the_generated_exports_gives_no_traceback(tmp_path):
    assert hostile_exports.tracebacks(120, seed=7, folder=tmp_path, huge=0.005) == []
