"""The protocol's reasoned decision is worded from facts: the job builds an Account (who was counted
for each DER and who was not and why, the decisions with their votes) and the words come from
sheets_schema/messages.yaml. A group with a recusal, a tie decided by the commission and a
disqualification (9.10) reads back from the .docx with the right facts, in Kazakh and in Russian."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from docx import Document
from jobkit import config_of, run_at

from pipelines.config import DecisionConfig
from pipelines.domain.models import Group
from pipelines.jobs import paperwork

SADYKOVA = ("a.sadykova@atu.edu.kz", "Садықова Айгүл Маратқызы")


def _paragraphs(data: bytes) -> list[str]:
    doc = Document(io.BytesIO(data))
    lines = [p.text for p in doc.paragraphs]
    lines += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return lines


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_recusal_a_decided_tie_and_a_disqualification_read_back_from_the_extract(stage1_closed, lang):
    edition, order, titles = stage1_closed.config_path, stage1_closed.order, stage1_closed.titles
    run = run_at(edition, config_of(edition).calendar.stage1_close + timedelta(days=1))
    run.config.language = lang
    ratings = run.state.ratings[(1, "FIT-IS")]
    marked = next(r for r in ratings if r.expert_email == SADYKOVA[0] and r.complete and r.application_id not in order)
    marked.recused = True  # she ticked "I do not rate this" for one DER (13)
    outcome = run.state.outcomes[(1, "FIT-IS")]
    gone = next(s.application_id for s in outcome.standings if s.application_id not in (*order, marked.application_id))
    at = run.config.calendar.stage1_close + timedelta(hours=2)
    run.config.decisions.append(
        DecisionConfig(kind="disqualify", applications=[gone], by="Конкурс комиссиясы", at=at, reason="акт жалған.")
    )
    title = {a.id: a.title for a in run.state.applications}

    # the facts, before any word
    ordered = paperwork._order(run, 1, "FIT-IS")
    facts = paperwork.account(run, 1, "FIT-IS", ordered)
    der = next(d for d in facts.ders if d.id == marked.application_id)
    assert [(r.email, r.why) for r in der.raters if not r.counted] == [(SADYKOVA[0], "recused")]
    tie = next(d for d in facts.decisions if d.kind == "tie_break")
    assert list(tie.order) == order and tie.votes.yes == 2 and tie.votes.against == 1
    cut = next(d for d in facts.decisions if d.kind == "disqualify")
    assert cut.ders == (gone,) and cut.by == "Конкурс комиссиясы" and cut.reason == "акт жалған"

    # the document, read back
    group = next(g for g in run.config.organisation().faculties[0].departments if g.id == "FIT-IS")
    _source, render = paperwork.extract_document(run, 1, Group(1, "FIT-IS", group.name(lang), ()))
    lines = _paragraphs(render())
    first, second = (f"{i} «{titles[i]}»" for i in order)
    date = at.astimezone(run.config.zone).strftime("%d.%m.%Y")
    if lang == "kk":
        recusal = f"{SADYKOVA[1]} — мүдделер қақтығысына байланысты бағалаудан бас тартты (13)"
        decided, vote = f"реті белгіленді: {first} › {second}.", "«иә» — 2, «қарсы» — 1"
        cut_line = (
            f"Конкурс комиссиясы {date} шешімімен (акт жалған) {gone} «{title[gone]}» қатысу құқығынан айырылды (9.10)"
        )
    else:
        recusal = f"{SADYKOVA[1]} — самоотвод по конфликту интересов (13)"
        decided, vote = f"установлен порядок: {first} › {second}.", "«за» — 2, «против» — 1"
        cut_line = (
            f"Решением Конкурс комиссиясы от {date} (акт жалған) {gone} «{title[gone]}» лишён права участия (9.10)"
        )
    [recused_line] = [line for line in lines if recusal in line]
    assert recused_line.startswith(f"{marked.application_id} «{title[marked.application_id]}»")
    [tie_line] = [line for line in lines if decided in line]
    assert vote in tie_line
    assert any(line.startswith(cut_line) for line in lines), cut_line
    # the account travels with the context, for a template that wants the facts themselves
    context = paperwork.account(run, 1, "FIT-IS", ordered).as_context()
    assert {d["kind"] for d in context["decisions"]} == {"tie_break", "disqualify"}
    assert context["titles"][gone] == title[gone]
