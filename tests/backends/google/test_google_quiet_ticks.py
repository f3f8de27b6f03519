"""Ticks inside the reminder window on the fake: a sheet nobody touched since the progress tab read it
is not read again, yet its expert is still reminded once a day from what the tab saw; a sheet an
expert completes is read (alone) and its expert is no longer reminded."""

from __future__ import annotations

import base64
from datetime import timedelta
from email import message_from_bytes

import pytest
from editions import GoogleCopy

from pipelines.formats import rating_sheet
from pipelines.jobs.sheets import sheet_ref
from pipelines.jobs.tick import tick


@pytest.fixture(scope="module")
def window(tmp_path_factory, google_intake_week):
    # the demo edition on the fake, ticked in intake's first week (conftest.py): a private copy
    edition = GoogleCopy(google_intake_week, tmp_path_factory.mktemp("quiet") / "edition")
    fake, run_at, cal = edition.fake, edition.run_at, edition.config.calendar

    fake.sleep(300)
    tick(run_at(cal.intake_close + timedelta(minutes=5)))  # stage 1 opened; nobody has typed yet
    spans: dict[str, tuple[int, int]] = {}

    def timed_tick(name: str, moment) -> None:
        fake.sleep(600)  # cron's minutes between ticks
        start = len(fake.requests)
        tick(run_at(moment))
        spans[name] = (start, len(fake.requests))

    day1 = cal.stage1_close - timedelta(days=2)
    timed_tick("first", day1)  # the window's first tick: every expert reminded
    timed_tick("quiet", day1 + timedelta(minutes=10))  # nothing typed, already reminded today
    # one expert fills their whole sheet, as they would type it
    typing = run_at(day1 + timedelta(hours=1))
    done = typing.state.sheets(1)[0]
    lay = rating_sheet.layout(typing.config)
    cells = {
        (lay.data_row(i), col): "9" if i % 2 else 8
        for i in range(len(done.application_ids))
        for col in lay.scores.values()
    }
    fake.sleep(60)
    typing.workspace.sheets.write_as_expert(sheet_ref(typing, done), cells)
    timed_tick("typed", day1 + timedelta(hours=2))  # the same day: reminded already, the sheet read
    timed_tick("next day", day1 + timedelta(days=1))  # nothing typed since: nothing read, reminders again
    later = run_at(day1 + timedelta(days=1, minutes=5))
    return {"fake": fake, "spans": spans, "run": later, "done": done, "day1": day1}


def _in(w, name: str, method: str, *, control: str | None = None) -> list:
    start, end = w["spans"][name]
    return [
        r for r in w["fake"].requests[start:end] if r.method == method and (control is None or control not in r.url)
    ]


def _reminded(w, day) -> set[str]:
    """The experts the journal says were reminded on that day."""
    date = str(day.astimezone(w["run"].config.zone).date())
    rows = [r for r in w["run"].edition.journal if r.action == "remind" and r.outcome == "sent"]
    tokens = [str(r.detail) for r in rows if date in str(r.detail)]
    return {t.split()[2] for t in tokens}


def _sheet_reads(w, name: str) -> int:
    control = w["run"].workspace.control._spreadsheet()
    return len(_in(w, name, "spreadsheets.get", control=control)) + len(
        _in(w, name, "spreadsheets.values.batchGet", control=control)
    )


def test_the_first_tick_of_the_window_reminds_everyone_from_the_tab_the_opening_wrote(window):
    experts = {a.expert.email for a in window["run"].state.sheets(1)}
    # the progress tab counts from what the opening tick read (none moved since); each expert reminded
    # has one sheet read, so that the reminder names her cells (issue 20: reminders that say what to fix)
    assert _sheet_reads(window, "first") == len(experts)
    assert _reminded(window, window["day1"]) == experts


def test_a_quiet_tick_reads_no_rating_sheet_and_sends_nothing(window):
    assert _sheet_reads(window, "quiet") == 0
    assert _in(window, "quiet", "users.messages.send") == []


def test_the_sheet_typed_in_is_read_alone(window):
    assert _sheet_reads(window, "typed") == 1
    assert _in(window, "typed", "users.messages.send") == []  # everyone was reminded today already
    progress = window["run"].edition.progress
    done = window["done"]
    (row,) = [r for r in progress if r.expert_email == done.expert.email and r.group == done.group]
    assert row.scored == row.assigned == len(done.application_ids)


def test_the_next_day_reminds_from_what_the_tab_saw_reading_only_the_sheets_it_names(window):
    experts = {a.expert.email for a in window["run"].state.sheets(1)}
    assert _sheet_reads(window, "next day") == len(experts) - 1  # one per reminder, to name its cells
    # all but the expert who finished (each once, however many sheets they have)
    assert _reminded(window, window["day1"] + timedelta(days=1)) == experts - {window["done"].expert.email}
    sends = _in(window, "next day", "users.messages.send")
    to = [message_from_bytes(base64.urlsafe_b64decode(r.body["raw"]))["To"] for r in sends]
    assert sorted(t for t in to if t in experts) == sorted(experts - {window["done"].expert.email})  # once each
