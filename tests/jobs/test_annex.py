"""The annex "how this ranking was made" beside each protocol extract (issue 22): written at the close,
read back from the workspace; an expert who gives only the maximum is named, the chart is embedded,
the digests printed are those of the scores used."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, timedelta

import pytest
from docx import Document

from pipelines.backends import open_workspace
from pipelines.config import load_config
from pipelines.demo import CARELESS, simulate_experts
from pipelines.domain import fairness
from pipelines.formats import rating_sheet
from pipelines.jobs import annex
from pipelines.jobs.common import Run
from pipelines.jobs.sheets import sheet_ref
from pipelines.jobs.tick import tick


def _text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    footers = [p.text for s in doc.sections for p in s.footer.paragraphs]
    return "\n".join([p.text for p in doc.paragraphs] + cells + footers)


def test_the_extract_annex_shows_scores_agreement_flags_chart_and_digests(edition):
    config = load_config(edition, environ={})
    cal = config.calendar

    def run(now) -> Run:
        return Run(config=config, workspace=open_workspace(config), now=now)

    scoring_at = cal.intake_close + timedelta(hours=1)
    first = run(scoring_at)
    simulate_experts(first, 1, 2027)
    # one expert of the largest group gives every criterion of every DER the maximum
    sheets = first.state.sheets(1)
    careless = {e for habits in CARELESS.values() for e in habits}  # their groups wait for a decision
    calm = {a.group for a in sheets} - {a.group for a in sheets if a.expert.email in careless} - {"FIT-IS"}
    group = max(sorted(calm), key=lambda g: sum(len(a.application_ids) for a in sheets if a.group == g))
    generous = next(a for a in sheets if a.group == group)
    lay = rating_sheet.layout(config)
    values = {(lay.data_row(i), col): 10 for i in range(len(generous.application_ids)) for col in lay.scores.values()}
    first.workspace.sheets.write_as_expert(sheet_ref(first, generous), values)

    closing = run(cal.stage_close(1) + timedelta(minutes=5))
    tick(closing)

    (path,) = (edition.parent / "workspace").rglob(f"protocol_extract_s1_{group}_annex.docx")
    data = path.read_bytes()
    text = _text(data)
    lang_text = "Рейтинг қалай жасалды" if config.language == "kk" else "Как составлен рейтинг"
    assert lang_text in text
    assert generous.expert.name in text
    assert "10 · 10 · 10 · 10 · 10 · 10 · 10" in text  # the generous expert's row of scores
    assert "α = " in text
    # the flag a chair must see, in the edition's language
    assert f"{generous.expert.name} барлық" in text or f"{generous.expert.name} поставил" in text
    # the chart is an embedded picture
    assert len(Document(io.BytesIO(data)).inline_shapes) == 1

    # what the annex prints is computed from the state the close left, by the domain's own rules
    state_run = run(closing.now)
    s = annex.scope(state_run, 1, group)
    assert s is not None
    digest, sheets_digests = annex.proof_digests(state_run, s)
    assert digest in text and f"SHA-256 {digest[:16]}" in text
    assert all(d in text for d in sheets_digests.values())
    ev = annex.evidence(state_run, s)
    assert annex.fmt(ev.alpha, 3) in text
    for f in ev.flags:
        if f.kind == "decisive":
            assert s.names.get(f.expert, f.expert) in text
    assert [f.kind for f in ev.flags if f.expert == generous.expert.email.lower()][0] == "all_max"
    assert fairness.alpha_reading(ev.alpha) == ev.alpha_key


@pytest.mark.skipif(
    shutil.which("soffice") is None and shutil.which("libreoffice") is None, reason="LibreOffice is not installed"
)
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_an_annex_page_renders_to_png_through_libreoffice(lang, tmp_path):
    """The annex as a person sees it: LibreOffice makes the PDF, pdftoppm the first page's PNG."""
    from document_contexts import context_for

    from pipelines.formats import documents
    from pipelines.formats.chart import ChartRow, ChartText, scores_chart

    png = scores_chart(
        [ChartRow("DER-0001", 61.5, {"Ли Ольга": 60.0, "Ким В.": 63.0}, True)],
        ChartText("t", "x", "b", "s", "l"),
        7,
        70,
    )
    docx = annex.with_chart(documents.render("annex", lang, context_for("annex", lang)), png)
    assert annex.CHART_MARKER not in documents.docx_text(docx)
    pdf = tmp_path / "annex.pdf"
    pdf.write_bytes(documents.to_pdf(docx))
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages and pages[0].stat().st_size > 5_000
    assert pages[0].read_bytes()[:4] == b"\x89PNG"


def test_the_demo_puts_an_annex_beside_every_extract_and_the_final_protocol(finished_demo):
    drive = finished_demo.built_in / "workspace" / "drive"
    extracts = sorted(p for p in drive.rglob("protocol_extract_s*.docx") if "_annex" not in p.name)
    assert extracts
    for extract in extracts:
        if extract.parent.name == "dossier":
            continue  # the copies that travel with the selected DERs (9.7)
        beside = extract.with_name(extract.stem + "_annex.docx")
        assert beside.exists(), beside
    final = drive / "stage-3" / "contest" / "final_protocol_annex.docx"
    data = final.read_bytes()
    assert len(Document(io.BytesIO(data)).inline_shapes) == 1  # the finalists' chart
    assert "α = " in _text(data)


def _footer(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    return "\n".join(p.text for s in doc.sections for p in s.footer.paragraphs)


def test_each_protocol_prints_in_its_footer_the_digest_its_close_chained(finished_demo, tmp_path):
    """The extracts and the final protocol carry the short scores digest the journal's data-digest
    link holds for their group, with "see the annex"; the annex prints the same digest."""
    from datetime import datetime

    from pipelines.jobs.verify import _links

    config_path = finished_demo.copy(tmp_path / "demo")
    config = load_config(config_path, environ={})
    run = Run(config=config, workspace=open_workspace(config), now=datetime.now(UTC))
    chained = {(link["stage"], g): d["scores"] for link in _links(run) for g, d in link["groups"].items()}
    assert {s for s, _g in chained} == {1, 2, 3}
    see = "қосымшаны қараңыз" if config.language == "kk" else "см. приложение"
    drive = config_path.parent / "workspace" / "drive"
    checked = set()
    for (stage, group), digest in sorted(chained.items()):
        name = "final_protocol" if stage == 3 else f"protocol_extract_s{stage}_{group}"
        protocol = drive / f"stage-{stage}" / group / f"{name}.docx"
        if not protocol.exists():
            continue  # a group that waited: its extract is written when it is ready
        footer = _footer(protocol.read_bytes())
        assert f"SHA-256 {digest[:16]}…" in footer and see in footer, (protocol.name, footer)
        beside = (drive / f"stage-{stage}" / group / f"{name}_annex.docx").read_bytes()
        assert digest in _text(beside) and f"SHA-256 {digest[:16]}…" in _footer(beside)
        checked.add(stage)
    assert checked == {1, 2, 3}  # the extracts of both stages and the final protocol


def test_the_results_carry_the_finalists_chart_as_a_png(finished_demo):
    """The published results (11.4, 13.2) hold the final protocol's annex's chart: one PNG picture where
    the template's marker was, under its caption."""
    drive = finished_demo.built_in / "workspace" / "drive"
    data = (drive / "results" / "results.docx").read_bytes()
    doc = Document(io.BytesIO(data))
    assert len(doc.inline_shapes) == 1
    images = [p for p in doc.part.package.parts if p.content_type == "image/png"]
    assert len(images) == 1 and images[0].blob[:8] == b"\x89PNG\r\n\x1a\n"
    annex_doc = Document(io.BytesIO((drive / "stage-3" / "contest" / "final_protocol_annex.docx").read_bytes()))
    (annex_png,) = [p.blob for p in annex_doc.part.package.parts if p.content_type == "image/png"]
    # the annex's chart, its rows named by rank and title (the results print no ids), so not the same bytes
    assert images[0].blob != annex_png and len(images[0].blob) > 10_000
    text = _text(data)
    assert annex.CHART_MARKER not in text
    assert ("сарапшының жалпы балын" in text) or ("сумму баллов каждого эксперта" in text)  # the caption


def test_a_results_chart_row_is_named_by_its_rank_and_its_title_shortened():
    from pipelines.jobs.paperwork import _chart_label

    assert _chart_label(1, "Алгоритмы и структуры данных") == "1. Алгоритмы и структуры данных"
    long = _chart_label(12, "Ферментация: от лаборатории к производству и обратно")
    assert long.startswith("12. Ферментация: от лаборатории") and long.endswith("…") and len(long) <= 36
    assert _chart_label(None, "X") == "—. X"


def test_no_document_prints_markdown_backticks(finished_demo):
    """What a person reads on paper names a command as it is typed, never in markdown's `quotes`:
    the annex's line about `contest verify`, and every other document of the demo."""
    from pipelines.formats.documents import docx_text

    drive = finished_demo.built_in / "workspace" / "drive"
    documents = sorted(drive.rglob("*.docx"))
    assert len(documents) > 100
    quoted = [(p.name, line) for p in documents for line in docx_text(p.read_bytes()).splitlines() if "`" in line]
    assert quoted == []
    annex_text = docx_text((drive / "stage-3" / "contest" / "final_protocol_annex.docx").read_bytes())
    assert "contest verify командасы" in annex_text or "команда contest verify" in annex_text
