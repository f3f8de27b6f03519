"""Criterion 7 and the reminders on the Google sheet (gspread against the fake): the impression in
words beside its score, the sum Sheets shows only for a row that will count, an expert who types
"8,5" told the cell in a Gmail reminder that links her sheet (issue 20 items 1, 2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from editions import copy_edition, demo_factory_over, load_fake

from pipelines import i18n
from pipelines.config import load_config
from pipelines.formats.rating_sheet import layout
from pipelines.jobs.common import Run
from pipelines.jobs.remind import remind
from pipelines.jobs.sheets import read_assignment, sheet_ref
from pipelines.ports import a1


@pytest.fixture
def google(scored_build, tmp_path):
    """The scored Google edition (test_google_sheet_reading's build), with its fake at hand."""
    config = load_config(copy_edition(scored_build / "edition", tmp_path / "edition"))
    fake = load_fake(scored_build / "fake.pickle")
    workspace = demo_factory_over(fake)(config)
    return config, workspace, fake, lambda now: Run(config=config, workspace=workspace, now=now)


def test_words_beside_the_score_and_a_comma_on_the_google_sheet(google):
    config, ws, fake, run = google
    now = run(config.calendar.stage1_close - timedelta(days=1))
    a = max(now.state.sheets(1), key=lambda x: len(x.application_ids))
    lay = layout(config)
    header = ws.sheets.read_tabs(sheet_ref(now, a))[0].cells[lay.header_row]
    impression = config.criteria[-1].kk
    assert header[lay.scores["impression"]].value == f"{impression}: баға (1–10)"
    assert header[lay.fixed["comment"]].value == f"{impression}: сөзбен"
    words, comma = (lay.data_row(0), lay.fixed["comment"]), (lay.data_row(1), lay.scores["design"])
    ws.sheets.write_as_expert(sheet_ref(now, a), {words: "Жақсы ресурс.\nБейнесі аз", comma: "8,5"})

    cells = ws.sheets.read_tabs(sheet_ref(now, a))[0].cells
    total = cells[lay.data_row(0)][lay.fixed["sum"]]
    assert total.formula.startswith("=IF(COUNT(") and isinstance(total.value, (int, float)) and total.value >= 7
    assert cells[lay.data_row(1)][lay.fixed["sum"]].value in (None, "")  # a row that will not count: no sum

    ratings, problems = read_assignment(now, a)
    by_id = {r.application_id: r for r in ratings}
    first, second = by_id[a.application_ids[0]], by_id[a.application_ids[1]]
    assert first.complete and first.comment == "Жақсы ресурс.\nБейнесі аз"
    assert second.scores["design"] is None and sum(v is not None for v in second.scores.values()) == 6
    assert [p.cell for p in problems] == [a1(*comma)]

    before = len(fake.sent_mail)
    report = remind(now)
    assert [p.notified for p in report.pending if p.email == a.expert.email] == [True]
    [mail] = [m for m in fake.sent_mail[before:] if a.expert.email in m["to"]]
    assert mail["subject"] == i18n.text("mail_remind_subject", "kk")
    assert f"{a1(*comma)}: " in mail["text"] and "«8,5»" in mail["text"] and a.sheet_url in mail["text"]
    assert mail["attachments"] == []  # on Google the sheet is linked, not attached
