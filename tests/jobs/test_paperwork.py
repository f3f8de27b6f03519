"""The documents people sign, read back from the .docx the jobs wrote: form 02 as approved, the
extract as minutes (a tie decided by vote, a co-author standing aside, an incomplete rater), the
final protocol's quorum and 9.4.3 check, the results' ceremony and every document's properties."""

from __future__ import annotations

import io
from datetime import timedelta

from docx import Document
from jobkit import CHAIR, SECRETARY, config_of, docx_tables, docx_text, run_at, workspace_dir

from pipelines.jobs import paperwork

KIM = "Ким Виктор Андреевич"  # co-author of a FIT-IS DER: stands aside from it (13)


def test_the_extract_is_the_minutes_of_what_happened(stage1_closed):
    edition, order, titles = stage1_closed.config_path, stage1_closed.order, stage1_closed.titles
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


def test_an_incomplete_rater_is_named_in_the_extract_and_on_her_form_02(stage1_closed):
    edition = stage1_closed.config_path
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


def test_form_02_prints_the_approved_wording(stage1_closed):
    edition = stage1_closed.config_path
    path = next((workspace_dir(edition) / "drive" / "stage-1" / "FIT-IS" / "form02").glob("*.docx"))
    header = docx_tables(path)[0][0]
    assert "Мәтіндік материалды жобалаудың қолжетімділігі мен сапасы" in header
    assert "Бейне/анимация дизайнының қолжетімділігі мен сапасы" in header
    assert "Жалпы әсер (бірнеше жол жаза аласыз)" in header
    assert header[-1] == "Барлық көрсеткіштер бойынша ұпайлар сомасы"


def test_a_recusal_in_the_sheet_is_named_and_not_counted(stage1_closed):
    edition = stage1_closed.config_path
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
    from pipelines.formats.documents import docx_text as text

    return text(data)


def test_every_document_says_its_title_author_and_language(stage1_closed):
    edition = stage1_closed.config_path
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
