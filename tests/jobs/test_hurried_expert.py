"""A hurried expert edits the real generated rating sheet in Excel (here: openpyxl on the very file
the job wrote): her general impression in words, "8,5" in a score cell, words typed into criterion 7's
score cell, extra spaces, a whole row deleted. She keeps every score she gave, the reminder names each
cell and what she typed, with the sheet attached, the deadline and whom to ask; once she fixes the
cells the stage closes on her scores and form 02 prints her impression (issue 20 item 1, 2)."""

from __future__ import annotations

from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

from jobkit import config_of, docx_text, files, run_at, workspace_dir
from openpyxl import load_workbook

from pipelines import i18n
from pipelines.demo import simulate_experts
from pipelines.formats import rating_sheet
from pipelines.jobs.remind import remind
from pipelines.jobs.sheets import read_assignment
from pipelines.jobs.tick import tick
from pipelines.ports import a1

SEED = 2027
CARELESS = {"i.sidorenko@atu.edu.kz", "t.sokolova@atu.edu.kz"}  # pipelines/demo.py: their own habits
WORDS = "Жақсы ресурс.\nБейнесі аз,  бірақ тесттері мықты"


def _mails(config_path: Path, to: str):
    subject = i18n.text("mail_remind_subject", "kk")
    found = []
    for path in files(workspace_dir(config_path) / "outbox", "*.eml"):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        if message["To"] == to and message["Subject"] == subject:
            found.append(message)
    return found


def _path(edition: Path, a) -> Path:
    return workspace_dir(edition) / a.sheet_id  # the sheet of this copy of the edition


def _hurried(edition: Path):
    """Stage 1 filled by the simulated experts; one expert's sheet then edited in a hurry."""
    config = config_of(edition)
    deadline = config.calendar.stage1_close
    run = run_at(edition, deadline - timedelta(days=4))
    simulate_experts(run, 1, SEED)
    a = max((x for x in run.state.sheets(1) if x.expert.email not in CARELESS), key=lambda x: len(x.application_ids))
    assert len(a.application_ids) >= 4
    lay = rating_sheet.layout(config)
    cell = {
        "words": (lay.data_row(0), lay.fixed["comment"]),
        "comma": (lay.data_row(1), lay.scores["design"]),
        "said_in_score": (lay.data_row(2), lay.scores["impression"]),
        "spaces": (lay.data_row(3), lay.scores["tests"]),
    }
    wb = load_workbook(_path(edition, a))
    ws = wb.worksheets[0]
    ws.cell(cell["words"][0] + 1, cell["words"][1] + 1).value = WORDS
    ws.cell(cell["comma"][0] + 1, cell["comma"][1] + 1).value = "8,5"
    ws.cell(cell["said_in_score"][0] + 1, cell["said_in_score"][1] + 1).value = "Өте жақсы, бірақ ұзақ"
    ws.cell(cell["said_in_score"][0] + 1, lay.fixed["comment"] + 1).value = None  # her words: in the score cell only
    ws.cell(cell["spaces"][0] + 1, cell["spaces"][1] + 1).value = "  9 "
    wb.save(_path(edition, a))
    return config, deadline, a, lay, cell


def test_words_and_a_comma_never_cost_her_other_scores_and_the_reminder_names_each_cell(edition):
    config, deadline, a, lay, cell = _hurried(edition)
    run = run_at(edition, deadline - timedelta(days=1))
    ratings, problems = read_assignment(run, a)
    by_id = {r.application_id: r for r in ratings}
    first, second, third, fourth = (by_id[i] for i in a.application_ids[:4])
    # her impression in words: every score kept, the words kept whole
    assert first.complete and first.comment == WORDS.strip()
    # "8,5": only that cell is missing; the six other scores stay, the row counts once fixed
    assert second.scores["design"] is None and sum(v is not None for v in second.scores.values()) == 6
    # words typed in criterion 7's score cell: kept as her impression, the score missing
    assert third.scores["impression"] is None and third.comment == "Өте жақсы, бірақ ұзақ"
    assert sum(v is not None for v in third.scores.values()) == 6
    assert fourth.complete and fourth.scores["tests"] == 9  # extra spaces: read as the number
    named = {p.cell: p.notice.key for p in problems}
    assert named == {a1(*cell["comma"]): "why_not_whole", a1(*cell["said_in_score"]): "why_not_number"}

    report = remind(run)
    assert [p.notified for p in report.pending if p.email == a.expert.email] == [True]
    [mail] = _mails(edition, a.expert.email)
    body = mail.get_body(("plain",)).get_content()
    assert f"{a1(*cell['comma'])}: бүтін сан емес: «8,5»" in body
    assert f"{a1(*cell['said_in_score'])}: сан емес: «Өте жақсы, бірақ ұзақ»" in body
    assert i18n.text("remind_invalid_head", "kk", n=2) in body
    assert i18n.text("remind_blank_head", "kk", n=1).split("(")[0] not in body  # nothing is left unfilled
    assert "05.03.2027 18:00" in body and config.remind.contact in body
    assert str(workspace_dir(edition)) not in body and "\\n" not in body  # no path on CDB's disk, no escapes
    [attached] = list(mail.iter_attachments())
    assert attached.get_filename() == _path(edition, a).name
    assert attached.get_content() == _path(edition, a).read_bytes()

    # 23 hours later: not again; she then fixes the two cells and the stage closes on her scores
    assert not [p for p in remind(run_at(edition, deadline - timedelta(hours=1))).pending if p.notified]
    wb = load_workbook(_path(edition, a))
    ws = wb.worksheets[0]
    ws.cell(cell["comma"][0] + 1, cell["comma"][1] + 1).value = 8
    ws.cell(cell["said_in_score"][0] + 1, cell["said_in_score"][1] + 1).value = 9
    ws.cell(cell["said_in_score"][0] + 1, lay.fixed["comment"] + 1).value = "Өте жақсы, бірақ ұзақ"
    wb.save(_path(edition, a))
    tick(run_at(edition, deadline + timedelta(minutes=1)))
    closed = run_at(edition, deadline + timedelta(minutes=2))
    used = [r for r in closed.state.ratings[(1, a.group)] if r.expert_email == a.expert.email]
    assert len(used) == len(a.application_ids) and all(r.complete for r in used)
    [form02] = files(
        workspace_dir(edition) / "drive" / "stage-1" / a.group / "form02", f"*{a.expert.email.split('@')[0]}*"
    )
    text = docx_text(form02)
    impression = config.criteria[-1].kk
    assert f"1. 7-критерий, {impression}: Жақсы ресурс." in text  # each line she wrote, readable
    assert "Бейнесі аз, бірақ тесттері мықты" in text and "\\n" not in text
    assert f"3. 7-критерий, {impression}: Өте жақсы, бірақ ұзақ" in text


def test_a_deleted_row_is_named_in_the_reminder_and_the_other_rows_count(edition):
    _config, deadline, a, lay, _cell = _hurried(edition)
    wb = load_workbook(_path(edition, a))
    ws = wb.worksheets[0]
    last = lay.data_row(len(a.application_ids) - 1) + 1
    ws.delete_rows(last)  # the last DER's whole row
    wb.save(_path(edition, a))
    run = run_at(edition, deadline - timedelta(days=1))
    ratings, _problems = read_assignment(run, a)
    assert {r.application_id for r in ratings} == set(a.application_ids[:-1])
    remind(run)
    [mail] = _mails(edition, a.expert.email)
    body = mail.get_body(("plain",)).get_content()
    assert a.application_ids[-1] in body and i18n.text("remind_other_head", "kk", n=1) in body
