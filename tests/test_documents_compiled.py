"""A template is compiled once per file version: many documents from one template, and a template
CDB staff edit between two runs is the one used next."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from docx import Document

from pipelines.formats import documents as D

try:
    import document_contexts as C
except ImportError:  # run from the repository root without tests/ on the path
    from tests import document_contexts as C

TEMPLATES = Path(__file__).resolve().parent.parent / "docx_templates"


def test_many_letters_from_one_template_each_with_its_own_text():
    made = []
    for n in range(12):
        context = C.form01("kk")
        context["title"] = f"Курс №{n}: «Деректер & <қоры>»"
        context["application_id"] = f"DER-2027-{n:03d}"
        made.append(D.docx_text(D.render("form01", "kk", context)))
    for n, text in enumerate(made):
        assert f"Курс №{n}: «Деректер & <қоры>»" in text and f"DER-2027-{n:03d}" in text
        assert all(f"DER-2027-{m:03d}" not in text for m in range(12) if m != n)


def test_a_rendered_document_is_a_whole_package_with_the_templates_styles():
    data = D.render("form02", "ru", C.form02("ru"))
    with zipfile.ZipFile(io.BytesIO(data)) as out, zipfile.ZipFile(TEMPLATES / "form02.ru.docx") as tpl:
        assert out.testzip() is None
        assert set(tpl.namelist()) <= set(out.namelist())
        for part in ("word/theme/theme1.xml", "word/numbering.xml", "word/fontTable.xml"):
            assert out.read(part) == tpl.read(part), part  # copied, not re-serialised
        assert out.read("word/document.xml") != tpl.read("word/document.xml")
        assert b'w:val="ru-RU"' in out.read("word/styles.xml")  # the styles carry the proofing language
    doc = Document(io.BytesIO(data))  # python-docx opens it again
    assert doc.styles["Normal"] is not None and doc.tables


def test_a_template_edited_between_runs_is_the_one_used(tmp_path, monkeypatch):
    monkeypatch.setenv("CONTEST_TEMPLATES", str(tmp_path))
    target = tmp_path / "results.ru.docx"
    shutil.copy(TEMPLATES / "results.ru.docx", target)
    assert "РЕЗУЛЬТАТЫ КОНКУРСА" in D.docx_text(D.render("results", "ru", C.results("ru")))
    # CDB staff retitle the template in Word
    doc = Document(str(target))
    for p in doc.paragraphs:
        if "РЕЗУЛЬТАТЫ КОНКУРСА" in p.text:
            for run in p.runs:
                run.text = run.text.replace("РЕЗУЛЬТАТЫ КОНКУРСА", "ИТОГИ КОНКУРСА")
            p.add_run(" {{ edition_name }}")
            break
    doc.save(str(target))
    text = D.docx_text(D.render("results", "ru", C.results("ru")))
    assert "ИТОГИ КОНКУРСА" in text and "РЕЗУЛЬТАТЫ КОНКУРСА" not in text
    assert C.results("ru")["edition_name"] in text


def test_a_tag_error_in_an_edited_template_is_named_every_time(tmp_path, monkeypatch):
    monkeypatch.setenv("CONTEST_TEMPLATES", str(tmp_path))
    target = tmp_path / "results.kk.docx"
    shutil.copy(TEMPLATES / "results.kk.docx", target)
    doc = Document(str(target))
    doc.add_paragraph("{{ winners | broken(")
    doc.save(str(target))
    for _ in range(2):
        with pytest.raises(D.DocumentError, match="tag error"):
            D.render("results", "kk", C.results("kk"))


def test_the_template_digest_is_the_files_and_follows_an_edit(tmp_path, monkeypatch):
    from pipelines.formats.digest import content_digest

    monkeypatch.setenv("CONTEST_TEMPLATES", str(tmp_path))
    target = tmp_path / "form01.ru.docx"
    shutil.copy(TEMPLATES / "form01.ru.docx", target)
    first = D.template_digest("form01", "ru")
    assert first == content_digest(target.read_bytes()) == D.template_digest("form01", "ru")
    doc = Document(str(target))  # CDB staff add a line to the letter
    doc.add_paragraph("Қосымша жол")
    doc.save(str(target))
    assert D.template_digest("form01", "ru") == content_digest(target.read_bytes()) != first
    target.unlink()
    with pytest.raises(D.DocumentError, match="form01.ru.docx is missing"):
        D.template_digest("form01", "ru")
