"""Exactly once for a batch of messages on the local workspace (issue 11): a job's intents are
written in one journal write before the first message goes (common.deliver_all), the outbox being
a mailbox that can tell what went (the .eml named by the message's key). A crash after k of n
messages were written to the outbox is resumed by the next run to exactly the n - k missing ones."""

from __future__ import annotations

import os
from collections import Counter
from datetime import timedelta

import pytest
from jobkit import config_of, run_at
from test_exactly_once import Crash, _fresh, _recipients

from pipelines.demo import write_edition
from pipelines.formats.tables import Tables
from pipelines.jobs.remind import remind
from pipelines.jobs.tick import tick


def _crash_at_mail(monkeypatch, k: int) -> None:
    """The process dies as it is about to put the (k+1)-th .eml in the outbox: k messages went."""
    real, mails = os.replace, [0]

    def replace(src, dst, *a, **kw):
        if str(dst).endswith(".eml"):
            if mails[0] == k:
                raise Crash(f"crash before mail {k + 1}: {dst}")
            mails[0] += 1
        return real(src, dst, *a, **kw)

    monkeypatch.setattr(os, "replace", replace)


def _appends(monkeypatch) -> list[list[str]]:
    """Each journal write's outcomes, in order (a spy on the store's append, which still runs)."""
    real, seen = Tables.append, []

    def append(self, table, rows):
        if table == "journal":
            seen.append([str(r.get("outcome")) for r in rows])
        return real(self, table, rows)

    monkeypatch.setattr(Tables, "append", append)
    return seen


def _rows(config_path, moment, action: str) -> list[dict]:
    return [r for r in run_at(config_path, moment).edition.journal if r.action == action]


@pytest.mark.parametrize("k", [0, 1, 17])
def test_reminders_crashed_after_k_of_n_resume_to_exactly_the_rest(edition, tmp_path, monkeypatch, k):
    base = edition  # stage 1 just opened (tests/jobs/conftest.py); nobody has typed a score
    moment = config_of(base).calendar.stage1_close - timedelta(days=1, hours=2)
    before = _recipients(base)
    clean = _fresh(base, tmp_path / "clean")
    writes = _appends(monkeypatch)
    report = remind(run_at(clean, moment))
    monkeypatch.undo()
    n = sum(p.notified for p in report.pending)
    assert n > 17 and writes == [["intended"] * n, ["sent"] * n]  # two journal writes for n reminders
    expected = _recipients(clean)

    crashed = _fresh(base, tmp_path / f"crash-{k}")
    writes = _appends(monkeypatch)
    _crash_at_mail(monkeypatch, k)
    with pytest.raises(Crash):
        remind(run_at(crashed, moment))
    monkeypatch.undo()
    assert writes == [["intended"] * n]  # the intents went in before the first message
    assert sum(_recipients(crashed).values()) - sum(before.values()) == k
    outcomes = Counter(r.outcome for r in _rows(crashed, moment, "remind"))
    assert outcomes == {"intended": n}

    writes = _appends(monkeypatch)
    again = remind(run_at(crashed, moment + timedelta(minutes=10)))
    monkeypatch.undo()
    assert _recipients(crashed) == expected  # the n - k that had not gone, and none twice
    assert sum(p.notified for p in again.pending) == n - k
    assert writes == [["sent"] * n]  # k found in the outbox, n - k sent: their outcomes in one write
    outcomes = Counter(r.outcome for r in _rows(crashed, moment, "remind"))
    assert outcomes == {"intended": n, "sent": n}
    remind(run_at(crashed, moment + timedelta(minutes=20)))
    assert _recipients(crashed) == expected


@pytest.fixture(scope="module")
def before_intake(tmp_path_factory):
    return write_edition(tmp_path_factory.mktemp("before-intake"), 2027)


def test_a_tick_crashed_in_the_applicants_batch_resumes_to_one_message_each(before_intake, tmp_path, monkeypatch):
    """The first intake's tick tells every applicant what was decided: one write of intents for the
    batch, the outcomes with the tick's own row; crashed after 5 messages, the next tick sends the
    rest, and every applicant has exactly one message."""
    moment = config_of(before_intake).calendar.intake_open + timedelta(days=7)
    clean = _fresh(before_intake, tmp_path / "clean")
    writes = _appends(monkeypatch)
    tick(run_at(clean, moment))
    monkeypatch.undo()
    expected = _recipients(clean)
    notified = [r for r in _rows(clean, moment, "notify") if r.outcome == "sent"]
    n = len(notified)
    assert n > 10 and sum(expected.values()) == n
    # the batch's intents in one write (after when each final rejection was first held for CDB's
    # review, jobs/notify.py); the outcomes with the tick's own row
    held = len(writes[0]) - n
    assert held > 0 and writes == [
        ["held"] * held + ["intended"] * n,
        ["sent"] * n + [f"intake, notifications written: {n}"],
    ]

    crashed = _fresh(before_intake, tmp_path / "crashed")
    _crash_at_mail(monkeypatch, 5)
    with pytest.raises(Crash):
        tick(run_at(crashed, moment))
    monkeypatch.undo()
    assert sum(_recipients(crashed).values()) == 5
    tick(run_at(crashed, moment + timedelta(minutes=10)))
    assert _recipients(crashed) == expected
    outcomes = Counter(r.outcome for r in _rows(crashed, moment, "notify"))
    assert outcomes == {"intended": n, "sent": n}


def test_a_message_already_in_the_outbox_without_a_record_is_not_sent_again(edition, monkeypatch):
    """The journal lost a message's record (a control.xlsx put back from a backup) but the outbox
    has its .eml: the batch's question to the mailbox finds it, records it sent, sends the others."""
    from functools import partial

    from pipelines.jobs.common import Outgoing, deliver_all

    run = run_at(edition, config_of(edition).calendar.stage1_close - timedelta(days=3))
    mailer = run.workspace.mailer
    people = ["a.nurlanova@atu.edu.kz", "b.serikov@atu.edu.kz", "c.ivanova@atu.edu.kz"]
    messages = [
        Outgoing(
            p,
            partial(mailer.notify, p, "Тексеру", "Құрметті әріптес", key=f"check/{p}"),
            partial(mailer.delivered, f"check/{p}"),
        )
        for p in people
    ]
    assert mailer.notify(people[0], "Тексеру", "Құрметті әріптес", key=f"check/{people[0]}")  # went, never recorded
    before = _recipients(edition)
    writes = _appends(monkeypatch)
    outcomes = deliver_all(run, "check", messages)
    assert outcomes == {people[0]: "recovered", people[1]: "sent", people[2]: "sent"}
    assert _recipients(edition) - before == Counter(people[1:])  # the first not again
    # the found one's outcome goes in with the others' intents; theirs at the batch's end
    assert writes == [["sent", "intended", "intended"], ["sent", "sent"]]
    again = deliver_all(run_at(edition, run.now + timedelta(minutes=5)), "check", messages)
    assert set(again.values()) == {"already"} and _recipients(edition) - before == Counter(people[1:])
