"""The annex "how this ranking was made" beside each protocol extract (issue 22): written at the close,
read back from the workspace; an expert who gives only the maximum is named, the chart is embedded,
the digests printed are those of the scores used."""

from __future__ import annotations

import io
from datetime import timedelta

from docx import Document

from pipelines import rating_sheet
from pipelines.backends import open_workspace
from pipelines.config import load_config
from pipelines.demo import CARELESS, simulate_experts
from pipelines.domain import fairness
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
    lang_text = "ХАТТАМАҒА ҚОСЫМША" if config.language == "kk" else "ПРИЛОЖЕНИЕ К ПРОТОКОЛУ"
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
