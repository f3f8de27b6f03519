"""Where a person reads a rating sheet's problems, they read them in the edition's language (issue 8
item 7): the problems and progress tabs of control.xlsx (the reader's English kept in a hidden
column), `status`, and the tick's lines. A sheet an expert tidied by hand, read back from the files."""

from __future__ import annotations

import re
import string
from datetime import timedelta

from jobkit import config_of, docx_text, files, run_at, table_rows, workspace_dir
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from pipelines import i18n
from pipelines.demo import simulate_experts
from pipelines.formats.tables import schema, title
from pipelines.jobs.tick import tick

TIDY = "e.zhumabayev@atu.edu.kz"  # tidies his sheet: a tab added, a header and a title retyped, a row deleted
LOST = "a.sadykova@atu.edu.kz"  # his colleague's sheet comes back as an empty file
ENGLISH = re.compile(r"\b(ignored|expected|not counted|not read|row deleted|row added|column header|the sheet|tab)\b")


def own_words(key: str, lang: str) -> str:
    """The longest run of the message's own words, between its placeholders."""
    parts = [literal for literal, *_ in string.Formatter().parse(i18n.template(key, lang))]
    return max((p.strip(" —:;,()«»'") for p in parts), key=len)


def sheet_path(config, email):
    row = next(a for a in table_rows(config, "assignments") if a["stage"] == 1 and a["expert_email"] == email)
    return workspace_dir(config) / row["sheet_id"]


def tidy_by_hand(path):
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    ws["F8"] = "Толықтық"  # a criterion's header retyped: its scores are not counted
    ws["C10"] = "Python: деректер талдауы"  # a DER's title retyped
    ws.delete_rows(12)  # a DER's row deleted
    wb.create_sheet("Парақ2")["A1"] = "менің жазбаларым"
    wb.save(path)


def visible_texts(ws) -> tuple[list[str], list[list[str]]]:
    header = [str(c.value or "") for c in ws[1]]
    shown = [i for i in range(len(header)) if not ws.column_dimensions[get_column_letter(i + 1)].hidden]
    rows = [[str(r[i] or "") for i in shown] for r in ws.iter_rows(min_row=2, values_only=True)]
    return [header[i] for i in shown], rows


def test_the_problems_people_read_are_in_the_editions_language(edition):
    deadline = config_of(edition).calendar.stage1_close
    simulate_experts(run_at(edition, deadline - timedelta(days=4)), 1, 2027)
    tidy_by_hand(sheet_path(edition, TIDY))
    sheet_path(edition, LOST).write_bytes(b"")
    run = run_at(edition, deadline + timedelta(minutes=5))
    tick(run)

    wb = load_workbook(workspace_dir(edition) / "control.xlsx")
    columns = {c["key"]: c for c in schema()["problems"]["columns"]}
    header, rows = visible_texts(wb[title("problems", "kk")])
    assert columns["detail"]["kk"] not in header and columns["detail_local"]["kk"] in header
    local = header.index(columns["detail_local"]["kk"])
    email = header.index(columns["expert_email"]["kk"])
    tidy = [r[local] for r in rows if r[email] == TIDY]
    expected = ["why_header_lost_scores", "why_id_title", "why_row_deleted", "why_extra_tab"]
    for key in expected:  # each of his edits, said in Kazakh
        assert any(own_words(key, "kk") in text for text in tidy), (key, tidy)
        assert not any(own_words(key, "ru") in text for text in tidy), (key, tidy)
    assert not [t for t in tidy if ENGLISH.search(t)], tidy
    [lost] = [r[local] for r in rows if r[email] == LOST]
    assert lost.startswith(f"{LOST} сарапшысының бағалау парағы") and f"contest recreate-sheet 1 {LOST}" in lost

    header, rows = visible_texts(wb[title("progress", "kk")])
    detail = header.index(schema()["progress"]["columns"][9]["kk"])
    shown = "\n".join(r[detail] for r in rows)
    assert "парақтағы артық бет" in shown and not ENGLISH.search(shown), shown

    # status names the lost sheet among the ratings left out, in words, not the reader's English
    from pipelines.jobs.status import build_status

    status = build_status(run_at(edition, deadline + timedelta(minutes=6)))
    left = [x for s in status["stages"] for g in s["groups"] for x in g.get("left_out", [])]
    [sheet] = [x for x in left if x["expert"] == LOST]
    assert sheet["why_local"] == lost and sheet["why"] == "why_sheet_unreadable"

    # the documents of the close (form 02 of each expert, the protocol extract) read back: no English
    documents = [p for p in files(workspace_dir(edition), "*.docx") if "FIT-IS" in str(p)]
    assert documents
    for path in documents:
        text = docx_text(path)
        assert not ENGLISH.search(text), (path.name, ENGLISH.findall(text))
