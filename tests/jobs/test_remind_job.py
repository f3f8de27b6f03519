"""`contest remind`: who has not finished, and a reminder once a day close to the deadline."""

from __future__ import annotations

import json
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from jobkit import TWO_SHEETS, config_of, files, run_at, table_rows, two_sheets_edition, workspace_dir

from pipelines import i18n
from pipelines.cli import cli
from pipelines.demo import simulate_experts
from pipelines.formats import rating_sheet
from pipelines.jobs.remind import remind, sent_tokens
from pipelines.jobs.tick import tick
from pipelines.ports import a1

SEED = 2027
CARELESS = {"i.sidorenko@atu.edu.kz": "FFT-BT", "t.sokolova@atu.edu.kz": "FEB-TS"}  # see pipelines/demo.py


def _outbox(config_path: Path) -> list[Path]:
    return files(workspace_dir(config_path) / "outbox", "*.eml")


def _read(path: Path):
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())


def _filled(edition: Path):
    deadline = config_of(edition).calendar.stage1_close
    simulate_experts(run_at(edition, deadline - timedelta(days=4)), 1, SEED)
    return deadline


def test_incomplete_sheets_are_listed_and_nobody_is_mailed_early(edition):
    deadline = _filled(edition)
    shared = _outbox(edition)
    run = run_at(edition, deadline - timedelta(days=3))  # remind.days_before is 2
    report = remind(run)
    assert {(p.email, p.group) for p in report.pending} == set(CARELESS.items())
    assert all(p.missing == 1 and not p.notified for p in report.pending)
    assert any("i.sidorenko@atu.edu.kz" in m and "бағаланбаған СББР: 1" in m for m in run.messages)
    assert _outbox(edition) == shared


def test_nobody_scored_yet_everyone_is_listed(edition):
    config = config_of(edition)
    run = run_at(edition, config.calendar.stage1_close - timedelta(days=5))
    report = remind(run, send=False)
    experts = {m.email for ms in config.commissions.departments.values() for m in ms}
    assert {p.email for p in report.pending} == experts


def test_within_days_before_a_reminder_names_the_deadline_once_a_day(edition):
    deadline = _filled(edition)
    shared = set(_outbox(edition))
    report = remind(run_at(edition, deadline - timedelta(days=1, hours=2)))
    assert {p.email for p in report.pending if p.notified} == set(CARELESS)
    new = sorted(set(_outbox(edition)) - shared)
    assert len(new) == len(CARELESS)
    for path in new:
        message = _read(path)
        assert message["To"] in CARELESS
        body = message.get_body(("plain",)).get_content()
        assert "05.03.2027 18:00" in body  # the deadline, as the expert reads it
        assert "1" in body
    sent = [r for r in table_rows(edition, "journal") if r["action"] == "remind"]
    # the batch's intents first, in one journal write, then each reminder's outcome (13 item 4)
    assert [r["outcome"] for r in sent] == ["intended"] * len(CARELESS) + ["sent"] * len(CARELESS)
    assert [r["detail"] for r in sent[: len(CARELESS)]] == [r["detail"] for r in sent[len(CARELESS) :]]
    stamps = {p: p.stat().st_mtime_ns for p in _outbox(edition)}

    # later the same day: nothing new is sent
    again = remind(run_at(edition, deadline - timedelta(days=1)))
    assert {p.email for p in again.pending} == set(CARELESS)
    assert not any(p.notified for p in again.pending)
    assert {p: p.stat().st_mtime_ns for p in _outbox(edition)} == stamps
    assert len([r for r in table_rows(edition, "journal") if r["action"] == "remind"]) == 2 * len(CARELESS)

    # the CLI's dry run lists them and sends nothing, on the deadline day
    result = CliRunner().invoke(
        cli,
        ["--config", str(edition), "--now", (deadline - timedelta(hours=3)).isoformat(), "remind", "--dry-run"],
        env={"CONTEST_LANGUAGE": None},
    )
    assert result.exit_code == 0, result.output
    assert "i.sidorenko@atu.edu.kz" in result.stdout and "t.sokolova@atu.edu.kz" in result.stdout
    assert "еске салу жіберілді" not in result.stdout
    assert {p: p.stat().st_mtime_ns for p in _outbox(edition)} == stamps


def test_after_the_deadline_nobody_is_reminded(edition):
    deadline = _filled(edition)
    shared = _outbox(edition)
    report = remind(run_at(edition, deadline + timedelta(minutes=1)))
    assert not any(p.notified for p in report.pending)
    assert _outbox(edition) == shared


def test_status_names_who_has_not_scored_while_the_stage_is_open(edition):
    deadline = _filled(edition)
    now = (deadline - timedelta(days=2)).isoformat()
    result = CliRunner().invoke(
        cli, ["--config", str(edition), "--now", now, "status", "--json"], env={"CONTEST_LANGUAGE": None}
    )
    assert result.exit_code == 0, result.output
    stage1 = json.loads(result.stdout)["stages"][0]
    assert stage1["state"] == "open"
    groups = {g["name"]: g for g in stage1["groups"]}
    for name, g in groups.items():
        careless = [e for e, group in CARELESS.items() if group == name]
        assert g["sheets_incomplete"] == careless, name
        assert g["sheets_complete"] == len(g["experts"]) - len(careless), name


# --- the tick sends what remind would (issue 8 item 5) ---------------------------------------------
def _reminders(config_path: Path) -> list:
    subject = i18n.text("mail_remind_subject", "kk")
    return [m for m in map(_read, _outbox(config_path)) if m["Subject"] == subject]


def test_tick_sends_the_reminders_once_a_day_per_expert(edition):
    deadline = _filled(edition)
    early = tick(run_at(edition, deadline - timedelta(days=3)))  # before remind.days_before: nothing
    assert not any(a.startswith("reminders written") for a in early)
    assert _reminders(edition) == []

    first = tick(run_at(edition, deadline - timedelta(days=1, hours=2)))
    assert "reminders written: 2" in first
    assert sorted(m["To"] for m in _reminders(edition)) == sorted(CARELESS)

    # cron's next ticks that day, and `remind` run by hand: nothing sent twice
    for minutes in (5, 10, 60):
        later = tick(run_at(edition, deadline - timedelta(days=1, hours=2) + timedelta(minutes=minutes)))
        assert not any(a.startswith("reminders written") for a in later)
    by_hand = remind(run_at(edition, deadline - timedelta(days=1, hours=1)))
    assert not any(p.notified for p in by_hand.pending)
    assert len(_reminders(edition)) == len(CARELESS)

    # "once a day" is 24 hours apart, not a new calendar day (issue 23): 23 hours later, the next
    # day, nothing; 24 hours after the first, once more each
    assert not any(a.startswith("reminders") for a in tick(run_at(edition, deadline - timedelta(hours=3))))
    assert "reminders written: 2" in tick(run_at(edition, deadline - timedelta(hours=2)))
    sent = sent_tokens(run_at(edition, deadline - timedelta(hours=1)).edition.journal)
    assert len(sent) == 2 * len(CARELESS) and all(any(e in t for t in sent) for e in CARELESS)


def test_a_tick_says_the_reminders_in_words(edition):
    deadline = _filled(edition)
    now = (deadline - timedelta(days=1)).isoformat()
    result = CliRunner().invoke(cli, ["--config", str(edition), "--now", now, "tick"], env={"CONTEST_LANGUAGE": None})
    assert result.exit_code == 0, result.output
    assert "еске салу шығыс хаттар қалтасына жазылды: 2" in result.stdout and "жіберілді" not in result.stdout


# --- an expert on two commissions holds two sheets: one reminder names both ----------------------
def test_an_expert_with_two_sheets_gets_one_reminder_naming_both(tmp_path):
    edition = two_sheets_edition(tmp_path / "edition")
    deadline = config_of(edition).calendar.stage1_close
    run = run_at(edition, deadline - timedelta(days=1, hours=2))
    sheets = sorted((a for a in run.state.sheets(1) if a.expert.email == TWO_SHEETS), key=lambda a: a.group)
    assert [a.group for a in sheets] == ["FIT-AU", "FIT-IS"]
    lay = rating_sheet.layout(run.config)
    shared = set(_outbox(edition))

    report = remind(run)
    assert sorted((p.group, p.notified) for p in report.pending if p.email == TWO_SHEETS) == [
        ("FIT-AU", True),
        ("FIT-IS", True),
    ]
    [mail] = [m for m in map(_read, sorted(set(_outbox(edition)) - shared)) if m["To"] == TWO_SHEETS]
    body = mail.get_body(("plain",)).get_content()
    departments = run.config.departments()
    for n, a in enumerate(sheets):  # each sheet by its department, its empty cell, its file attached
        assert departments[a.group][1].name("kk") in body
        assert f"{a.application_ids[n]} «" in body and a1(lay.data_row(n), lay.scores["design"]) in body
    assert sorted(p.get_filename() for p in mail.iter_attachments()) == sorted(Path(a.sheet_id).name for a in sheets)
    # her reminder is one message in the ledger, as anyone's: intended, then sent
    rows = [r for r in table_rows(edition, "journal") if r["action"] == "remind" and TWO_SHEETS in r["detail"]]
    assert [r["outcome"] for r in rows] == ["intended", "sent"]

    again = remind(run_at(edition, deadline - timedelta(days=1)))  # the same day: nothing more
    assert not any(p.notified for p in again.pending)
    assert len([m for m in _reminders(edition) if m["To"] == TWO_SHEETS]) == 1


# --- `remind --dry-run`: who would be reminded, for which sheets and cells; nothing sent or recorded --
@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_dry_run_lists_who_would_be_reminded_and_the_cells_and_sends_nothing(edition, lang):
    deadline = _filled(edition)
    before = {p: p.read_bytes() for p in files(workspace_dir(edition)) if p.suffix in (".eml", ".xlsx", ".sqlite3")}
    now = (deadline - timedelta(days=1, hours=2)).isoformat()
    result = CliRunner().invoke(
        cli, ["--config", str(edition), "--now", now, "remind", "--dry-run"], env={"CONTEST_LANGUAGE": lang}
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    run = run_at(edition, deadline - timedelta(days=1, hours=2))
    sheets = {(a.expert.email, a.group): a for a in run.state.sheets(1)}
    lay = rating_sheet.layout(run.config)
    for email, group in CARELESS.items():
        a = sheets[(email, group)]
        would = i18n.text(
            "remind_pending_would", lang, stage=1, group=group, name=a.expert.name, email=email, missing=1
        )
        at = lines.index(would)
        cell = a1(lay.data_row(0), min(lay.scores.values()))  # the demo's careless cell (pipelines/demo.py)
        assert any(cell in line and a.application_ids[0] in line for line in lines[at + 1 : at + 4]), lines[at:]
    assert lines[-1] == i18n.text("remind_dry_run", lang, n=len(CARELESS))
    after = {p: p.read_bytes() for p in files(workspace_dir(edition)) if p.suffix in (".eml", ".xlsx", ".sqlite3")}
    assert after == before  # no message, no journal row, no sheet touched

    # the real run then sends to exactly those, and a dry run within 24 hours says when the next may go
    assert {p.email for p in remind(run).pending if p.notified} == set(CARELESS)
    later = CliRunner().invoke(
        cli,
        ["--config", str(edition), "--now", (deadline - timedelta(hours=20)).isoformat(), "remind", "--dry-run"],
        env={"CONTEST_LANGUAGE": lang},
    )
    assert later.stdout.splitlines()[-1] == i18n.text("remind_dry_run", lang, n=0)
    last = i18n.text("remind_last", lang, at="04.03.2027 16:00", again="05.03.2027 16:00")
    assert later.stdout.count(last) == len(CARELESS), later.stdout


def test_a_dry_run_before_the_window_says_when_reminders_start(edition):
    deadline = config_of(edition).calendar.stage1_close
    run = run_at(edition, deadline - timedelta(days=5))
    report = remind(run, send=False)
    assert report.pending and not any(p.due or p.fixes for p in report.pending)  # nobody is read for cells
    assert i18n.text("remind_not_yet", "kk", stage=1, start="03.03.2027 18:00") in run.messages
    assert run.messages[-1] == i18n.text("remind_dry_run", "kk", n=0)
