"""Issue 13 on the Google fake: a sheet proves whose it is (its identity, extra and copied tabs),
rows and columns need two witnesses, a sheet deleted from Drive is a problem with the command that
makes it again, and messages to people go out once (items 1-4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from editions import copy_edition, demo_factory_over, load_fake

from pipelines import i18n
from pipelines.config import load_config
from pipelines.formats.rating_sheet import IDENTITY_COL, IDENTITY_ROW, layout
from pipelines.jobs.common import Run
from pipelines.jobs.recreate import recreate_sheet
from pipelines.jobs.sheets import identity, read_assignment, sheet_ref
from pipelines.jobs.tick import tick
from pipelines.ports import deliver_once

SEED = 2027


@pytest.fixture
def google(scored_build, tmp_path):
    """A private copy of that edition and its fake; one workspace over it for the whole test."""
    config = load_config(copy_edition(scored_build / "edition", tmp_path / "edition"))
    workspace = demo_factory_over(load_fake(scored_build / "fake.pickle"))(config)

    def run(now):
        return Run(config=config, workspace=workspace, now=now)

    return config, workspace, run


def _two(run_now):
    sheets = run_now.state.sheets(1)
    a = sheets[0]
    b = next(x for x in sheets if x.expert.email != a.expert.email and x.group == a.group)
    return a, b


def test_a_colleagues_sheet_is_not_scored_and_says_whose_it_is(google):
    config, ws, run = google
    now = run(config.calendar.stage1_close - timedelta(days=1))
    a, b = _two(now)
    apps = now.state.counting()
    theirs = identity(now, 1, b.group, b.expert.email, [apps[i] for i in b.application_ids])
    ws.sheets.write_as_expert(sheet_ref(now, a), {(IDENTITY_ROW, IDENTITY_COL): theirs.text()})
    ratings, problems = read_assignment(now, a)
    assert ratings == []
    (p,) = problems
    said = i18n.word(p.notice, "ru")
    assert p.notice.key == "why_someone_elses" and b.expert.email in said and a.expert.email in said
    assert "не учитывается" in said
    assert p.cell.endswith(f"!B{IDENTITY_ROW + 1}")


def test_a_draft_copy_in_front_is_ignored_and_an_extra_tab_reported(google):
    config, ws, run = google
    now = run(config.calendar.stage1_close - timedelta(days=1))
    a, _b = _two(now)
    ref = sheet_ref(now, a)
    before, _ = read_assignment(now, a)
    sheets = ws.sheets
    sheets.c.run(
        "sheets",
        sheets.c.spreadsheets.batchUpdate(
            spreadsheetId=ref.id,
            body={
                "requests": [
                    {"duplicateSheet": {"sourceSheetId": 0, "insertSheetIndex": 0, "newSheetName": "Көшірме"}},
                    {"addSheet": {"properties": {"title": "Жоба"}}},
                ]
            },
        ),
    )
    lay = layout(config)
    copy_id = next(
        s["properties"]["sheetId"]
        for s in sheets.c.run("sheets", sheets.c.spreadsheets.get(spreadsheetId=ref.id))["sheets"]
        if s["properties"]["title"] == "Көшірме"
    )
    assert copy_id is not None
    # the copy is rescored: 1 everywhere (a draft); the original must be what is read
    sheets.c.run(
        "sheets",
        sheets.c.values.batchUpdate(
            spreadsheetId=ref.id,
            body={
                "valueInputOption": "USER_ENTERED",
                "data": [
                    {"range": f"'Көшірме'!{chr(65 + c)}{lay.data_row(0) + 1}", "values": [[1]]}
                    for c in lay.scores.values()
                ],
            },
        ),
    )
    tabs = sheets.read_tabs(ref)
    assert [t.title for t in tabs][0] == "Көшірме" and len(tabs) == 3
    after, problems = read_assignment(now, a)
    assert [(r.application_id, r.scores) for r in after] == [(r.application_id, r.scores) for r in before]
    keys = {p.notice.key for p in problems}
    assert {"why_copy_tab", "why_extra_tab"} <= keys


def test_swapped_hidden_ids_are_not_counted(google):
    config, ws, run = google
    now = run(config.calendar.stage1_close - timedelta(days=1))
    a, _b = _two(now)
    lay = layout(config)
    first, second = a.application_ids[0], a.application_ids[1]
    col = lay.fixed["der_id"]
    ws.sheets.write_as_expert(sheet_ref(now, a), {(lay.data_row(0), col): second, (lay.data_row(1), col): first})
    ratings, problems = read_assignment(now, a)
    by = {r.application_id: r for r in ratings}
    assert not by[first].complete and not by[second].complete
    assert {p.cell for p in problems if p.notice.key == "why_id_title"} == {
        f"C{lay.data_row(0) + 1}",
        f"C{lay.data_row(1) + 1}",
    }


def test_a_sheet_deleted_from_drive_waits_and_recreate_sheet_makes_it_again(google):
    config, ws, run = google
    now = run(config.calendar.stage1_close - timedelta(days=1))
    a, _b = _two(now)
    model = ws.stats["fake"]
    model.delete_file_tree(model.files[a.sheet_id])  # someone deleted it from Drive
    close = run(config.calendar.stage1_close + timedelta(minutes=5))
    tick(close)  # no exception: the others are read
    state = run(config.calendar.stage1_close + timedelta(minutes=10)).state
    problems = [p for k, ps in state.problems.items() for p in ps if p.expert == a.expert.email]
    assert any(f"contest recreate-sheet 1 {a.expert.email}" in i18n.word(p.notice, "kk") for p in problems)
    later = run(config.calendar.stage1_close + timedelta(hours=1))
    recreate_sheet(later, 1, a.expert.email, a.group)
    moved = next(
        x
        for x in run(config.calendar.stage1_close + timedelta(hours=2)).state.sheets(1)
        if x.expert.email == a.expert.email and x.group == a.group
    )
    assert moved.sheet_id != a.sheet_id and moved.sheet_id in model.files
    ratings, problems = read_assignment(run(config.calendar.stage1_close + timedelta(hours=2)), moved)
    assert not any(p.notice.key == "why_sheet_unreadable" for p in problems) and len(ratings) == len(a.application_ids)


class _Ledger:
    def __init__(self):
        self.states: dict[str, str] = {}

    def message_state(self, key):
        return self.states.get(key)

    def record_message(self, key, state):
        self.states[key] = state


def _crash_after_a_send(ws):
    """A mail sent under key "k1" whose process dies after the send, before "sent" is recorded;
    then the next run's deliver_once of the same mail. -> (its outcome, sends made, the ledger)."""
    ledger, sent = _Ledger(), []

    def send():
        sent.append(1)
        ok = ws.mailer.notify("expert@atu.edu.kz", "s", "b", key="k1")
        raise SystemExit("crash after the send, before it is recorded") if ok else AssertionError

    with pytest.raises(SystemExit):
        deliver_once(ledger, "k1", send, lambda: ws.mailer.delivered("k1"))
    assert ledger.states == {"k1": "intended"}
    return deliver_once(ledger, "k1", send, lambda: ws.mailer.delivered("k1")), len(sent), ledger


def test_google_mail_after_a_crash_between_send_and_record_is_never_sent_twice(google, scored_build):
    config = google[0]  # with the opt-in look-up of sent mail (backend.mail_lookup: gmail.readonly)
    ws = demo_factory_over(load_fake(scored_build / "fake.pickle"), mail_lookup=True)(config)
    again, sends, ledger = _crash_after_a_send(ws)
    assert again == "recovered" and sends == 1  # Gmail found it by its Message-ID: not resent
    assert ledger.states == {"k1": "sent"}


def test_google_mail_after_a_crash_by_default_is_unsure_and_never_sent_again(google):
    """Without the look-up (the default: gmail.send alone), a mail a crash left "intended" cannot be
    told apart from one that went: it is not sent again ("unsure", listed to CDB), and Gmail is never asked."""
    ws = google[1]
    assert _crash_after_a_send(ws)[:2] == ("unsure", 1)
    assert "gmail.users.messages.send" in ws.stats["requests"]
    assert "gmail.users.messages.list" not in ws.stats["requests"]
