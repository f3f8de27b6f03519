"""The documents as the secretary prints them (issue 20 item 5), read back from the .docx the jobs
wrote: names printed once, an extract whose decision is not pushed to a page of its own, a decisions
column wide enough to read, a one-page form 02 for an expert who returned nothing."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from docx import Document
from jobkit import config_of, docx_text, run_at, workspace_dir

from pipelines.domain import assignment as assigning
from pipelines.jobs import paperwork

EDITION_KK = "«АТУ үздік цифрлық білім беру ресурсы – 2027» байқауы"  # the example's name_kk, the official form


def _extract(stage1_closed) -> Path:
    return workspace_dir(stage1_closed.config_path) / "drive" / "stage-1" / "FIT-IS" / "protocol_extract_s1_FIT-IS.docx"


def test_the_names_are_printed_once(stage1_closed):
    words = docx_text(_extract(stage1_closed))
    assert EDITION_KK in words  # the config writes it as the official name: printed as such, once
    assert "байқауы» байқауы" not in words and "««" not in words and "»»" not in words
    # the department's name already says "кафедрасы": its meeting, not "кафедрасы кафедра отырысы"
    assert "Ақпараттық жүйелер кафедрасының отырысы сарапшылардың" in words
    assert "кафедрасы кафедра" not in words and "кафедрасы кафедрасы" not in words
    form02 = next((_extract(stage1_closed).parent / "form02").glob("*.docx"))
    assert EDITION_KK in docx_text(form02) and "байқауы» байқауы" not in docx_text(form02)


def test_the_reasoning_is_kept_with_its_heading_and_the_signatures_not_as_one_block(stage1_closed):
    doc = Document(str(_extract(stage1_closed)))
    paragraphs = doc.paragraphs
    start = next(i for i, p in enumerate(paragraphs) if p.text.startswith("Шешімнің негіздемесі"))
    sentences = []
    for p in paragraphs[start + 1 :]:
        if not p.text.strip():
            break
        sentences.append(p)
    assert len(sentences) >= 3
    assert paragraphs[start].paragraph_format.keep_with_next  # the heading stays with its first sentence
    # the sentences between may break across pages: a block of them all kept together moved the
    # whole decision to the next page, leaving a page with one table row
    assert not any(p.paragraph_format.keep_with_next for p in sentences[:-1])
    assert sentences[-1].paragraph_format.keep_with_next  # the last one stays with the signatures
    headings = [p for p in paragraphs if p.style.name == "Section Heading"]
    assert headings and all(p.paragraph_format.keep_with_next for p in headings)  # on the paragraph: LibreOffice
    assert not any(p.paragraph_format.page_break_before for p in paragraphs)


def test_the_decision_column_is_the_widest(stage1_closed):
    doc = Document(str(_extract(stage1_closed)))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "Шешім")
    widths = [c.width for c in table.rows[1].cells]
    assert widths[0] == max(widths) and widths[0].cm >= 6
    decision = table.rows[1].cells[0].text
    assert "›" in decision  # the tie's order, each DER with its title: about 3 lines at this width
    assert len(decision) / (widths[0].cm * 5) < 5  # ~5 characters a centimetre at 11 pt


def _nothing_returned(stage1_closed) -> tuple[bytes, str]:
    edition = stage1_closed.config_path
    run = run_at(edition, config_of(edition).calendar.stage1_close + timedelta(days=1))
    sheets = [a for a in run.state.assignments if a.stage == 1 and a.group == "FIT-IS"]
    group = next(
        g for g, _m in assigning.stage_groups(run.config.organisation(), 1, run.state.candidates(1)) if g.id == "FIT-IS"
    )
    _source, render = paperwork.form02_document(run, 1, group, sheets[0], [])  # none of her ratings came back
    return render(), sheets[0].expert.name


def test_a_form_02_of_an_expert_who_returned_nothing_says_so(stage1_closed):
    data, name = _nothing_returned(stage1_closed)
    doc = Document(io.BytesIO(data))
    assert doc.tables == []  # no table of empty rows, no signature line for a sheet nobody filled
    words = "\n".join(p.text for p in doc.paragraphs)
    assert f"Сарапшы {name} бағалау парағын 05.03.2027 18:00 мерзіміне дейін қайтармады" in words
    assert "критерий бос қалды" not in words and "__________________" not in words
    assert EDITION_KK in words


def test_a_wholly_blank_row_is_one_note_not_one_per_criterion(stage1_closed):
    from pipelines.domain.models import Rating

    config = config_of(stage1_closed.config_path)
    blank = Rating("x@atu.edu.kz", "DER-1", {c.key: None for c in config.criteria}, raw={})
    cells, notes = paperwork.form02_cells(blank, [], list(config.criteria), "kk")
    assert cells == [""] * len(config.criteria) and len(notes) == 1 and "бағаланбаған" in notes[0]


@pytest.mark.needs_libreoffice
def test_that_form_02_prints_on_one_page(stage1_closed):
    data, _name = _nothing_returned(stage1_closed)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "form02.docx")
        src.write_bytes(data)
        exe = shutil.which("soffice") or shutil.which("libreoffice")
        subprocess.run(
            [exe, f"-env:UserInstallation={Path(tmp, 'p').as_uri()}", "--headless", "--convert-to", "pdf"]
            + ["--outdir", tmp, str(src)],
            check=True,
            capture_output=True,
            timeout=180,
        )
        pdf = Path(tmp, "form02.pdf").read_bytes()
    import re

    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
