"""The documents people sign, read back from the .docx the jobs wrote: form 02 as approved, the
extract as minutes (a tie decided by vote, a co-author standing aside, an incomplete rater), the
final protocol's quorum and 9.4.3 check, the results' ceremony and every document's properties."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from docx import Document
from jobkit import config_of, docx_tables, docx_text, run_at, workspace_dir

from pipelines.demo import simulate_experts
from pipelines.jobs import paperwork
from pipelines.jobs.tick import tick

SEED = 2027
KIM = "Ким Виктор Андреевич"  # co-author of a FIT-IS DER: stands aside from it (13)
CHAIR, SECRETARY = "Жұмабаев Ерлан Серікұлы", "Садықова Айгүл Маратқызы"


def _close_stage1_with_a_decided_tie(edition: Path) -> tuple[list[str], dict[str, str]]:
    """Experts score (two of them as hurried experts do: one blank, one '8 баллов'); FIT-IS ties at
    its cut-off; the department's meeting decides the order by vote; stage 1 closes."""
    config = config_of(edition)
    deadline = config.calendar.stage1_close
    run = run_at(edition, deadline - timedelta(days=1))
    simulate_experts(run, 1, SEED)
    run.commit()
    assert "stage 1 waiting" in tick(run_at(edition, deadline + timedelta(minutes=5)))
    waiting = run_at(edition, deadline + timedelta(minutes=10))
    tie = waiting.state.outcomes[(1, "FIT-IS")].ties[0]
    titles = {a.id: a.title for a in waiting.state.applications}
    order = [tie[1], tie[0]]  # the commission puts the second first
    text = edition.read_text(encoding="utf-8").replace(
        "decisions: []\n",
        "decisions:\n"
        f"  - kind: tie_break\n    stage: 1\n    group: FIT-IS\n    applications: [{', '.join(tie)}]\n"
        f"    order: [{', '.join(order)}]\n    votes: {{for: 2, against: 1, abstained: 0}}\n"
        '    by: "кафедра отырысы"\n    at: 2027-03-06T10:00\n    reason: "ашық дауыс беру"\n'
        "meetings:\n"
        f"  - {{stage: 1, group: FIT-IS, number: '7', chair: '{CHAIR}', secretary: '{SECRETARY}',\n"
        "     votes: {for: 3, against: 0, abstained: 0}}\n",
    )
    edition.write_text(text, encoding="utf-8")
    assert "stage 1 closed" in tick(run_at(edition, deadline + timedelta(hours=20)))
    return order, titles


def test_the_extract_is_the_minutes_of_what_happened(edition):
    order, titles = _close_stage1_with_a_decided_tie(edition)
    drive = workspace_dir(edition) / "drive" / "stage-1"
    words = docx_text(drive / "FIT-IS" / "protocol_extract_s1_FIT-IS.docx")
    # the meeting record from the config: number, chair, secretary, the vote on the selection
    assert "№ 7 хаттама" in words
    assert f"Төраға: {CHAIR}" in words and f"Хатшы: {SECRETARY}" in words
    assert "Дауыс беру нәтижесі: «иә» — 3, «қарсы» — 0, «қалыс» — 0." in words
    # the meeting is dated by its decision (06.03), not before it
    assert "Отырыс күні: 06.03.2027" in words
    # the tie, decided and how, with the vote, each DER with its title
    first, second = (f"{i} «{titles[i]}»" for i in order)
    tie_line = next(line for line in words.split("\n") if "бірдей" in line)
    assert f"реті белгіленді: {first} › {second}." in tie_line
    assert "«иә» — 2, «қарсы» — 1" in tie_line and "ашық дауыс беру" in tie_line
    # the ranking prints the tie in the decided order, scores with a decimal comma and two decimals
    ranking = next(t for t in docx_tables(drive / "FIT-IS" / "protocol_extract_s1_FIT-IS.docx") if len(t[0]) == 7)
    ids = [row[1] for row in ranking[1:]]
    assert ids.index(order[0]) < ids.index(order[1])
    assert all(row[4].count(",") == 1 and len(row[4].split(",")[1]) == 2 for row in ranking[1:] if row[4] != "—")
    # the co-author stood aside: named in the attendance and in the reasoning, not counted
    attendance = next(line for line in words.split("\n") if line.startswith(KIM) or f"| {KIM}" in line)
    assert attendance
    assert "мүдделер қақтығысына байланысты бағалаудан бас тартты (13)" in words
    assert f"{KIM} — бағалауға қатыспады: өз СББР-ы немесе мәлімделген мүдделер қақтығысы (13)" in words
    # the chair and the secretary sign first
    signed = [line for line in words.split("\n") if "__________________" in line]
    assert signed[0].startswith("төраға") and CHAIR in signed[0]
    assert signed[1].startswith("хатшы") and SECRETARY in signed[1]


def test_an_incomplete_rater_is_named_in_the_extract_and_on_her_form_02(edition):
    _close_stage1_with_a_decided_tie(edition)
    drive = workspace_dir(edition) / "drive" / "stage-1"
    # Сидоренко left a score blank (FFT-BT), Соколова typed "8 баллов" (FEB-TS)
    bt = docx_text(drive / "FFT-BT" / "protocol_extract_s1_FFT-BT.docx")
    assert "Сидоренко Ирина Павловна — бағалау толық емес (7 критерийдің 1 бағаланбаған)" in bt
    form = docx_text(drive / "FEB-TS" / "form02" / "form02_s1_FEB-TS_t.sokolova.docx")
    assert "«8 баллов»" in form and "1-ден 10-ға дейінгі бүтін сан емес, есепке алынбады" in form
    tables = docx_tables(drive / "FEB-TS" / "form02" / "form02_s1_FEB-TS_t.sokolova.docx")
    scores = tables[0]
    assert scores[1][4:] == [str(n) for n in range(1, 9)]  # columns 1-7 the criteria, 8 the sum
    assert scores[2][4] == "8 баллов*" and scores[2][-1] == ""  # as she typed it; no sum for her row
    blank = docx_text(drive / "FFT-BT" / "form02" / "form02_s1_FFT-BT_i.sidorenko.docx")
    assert "1. 1-критерий бос қалды" in blank
    assert "«___» ________ 20___ ж." in blank  # the date line is left for her pen


def test_form_02_prints_the_approved_wording(edition):
    _close_stage1_with_a_decided_tie(edition)
    path = next((workspace_dir(edition) / "drive" / "stage-1" / "FIT-IS" / "form02").glob("*.docx"))
    header = docx_tables(path)[0][0]
    assert "Мәтіндік материалды жобалаудың қолжетімділігі мен сапасы" in header
    assert "Бейне/анимация дизайнының қолжетімділігі мен сапасы" in header
    assert "Жалпы әсер (бірнеше жол жаза аласыз)" in header
    assert header[-1] == "Барлық көрсеткіштер бойынша ұпайлар сомасы"


def test_a_recusal_in_the_sheet_is_named_and_not_counted(edition):
    _close_stage1_with_a_decided_tie(edition)
    run = run_at(edition, config_of(edition).calendar.stage1_close + timedelta(days=1))
    group = next(g for g in run.config.organisation().faculties[0].departments if g.id == "FIT-IS")
    ratings = run.state.ratings[(1, "FIT-IS")]
    marked = next(r for r in ratings if r.expert_email == "a.sadykova@atu.edu.kz" and r.complete)
    marked.recused = True  # she ticked "I do not rate this" for one DER
    from pipelines.domain.models import Group

    _source, render = paperwork.extract_document(run, 1, Group(1, "FIT-IS", group.name_kk, ()))
    words = docx_text_bytes(render())
    title = next(a.title for a in run.state.applications if a.id == marked.application_id)
    assert "Садықова Айгүл Маратқызы — мүдделер қақтығысына байланысты бағалаудан бас тартты (13)" in words
    assert f"{marked.application_id} «{title}»" in words


def docx_text_bytes(data: bytes) -> str:
    from pipelines.documents import docx_text as text

    return text(data)


def test_every_document_says_its_title_author_and_language(edition):
    _close_stage1_with_a_decided_tie(edition)
    path = workspace_dir(edition) / "drive" / "stage-1" / "FIT-IS" / "protocol_extract_s1_FIT-IS.docx"
    doc = Document(io.BytesIO(path.read_bytes()))
    props = doc.core_properties
    assert props.title.startswith("Хаттамадан үзінді көшірме — «")
    assert props.author == "«Алматы технологиялық университеті» АҚ, ЖИЦДО"
    assert props.language == "kk-KZ"
    langs = {
        el.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val")
        for el in doc.styles.element.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}lang")
    }
    assert langs == {"kk-KZ"}
