"""Gmail exactly once (issue 10 item 1): every mail sent under an idempotency key carries a
Message-ID derived from it, and a run that finds a mail recorded as intended but not as sent asks
Gmail (users.messages.list, q="rfc822msgid:<id>") whether it went. A crash just after Gmail applied
the send, or just before it, is resumed by the next run to exactly one message per expert."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from editions import appended_rows, copy_edition, demo_factory_over, load_fake

from google_fake.demo import DEMO_SENDER
from google_fake.server import SimulatedCrash
from pipelines.config import load_config
from pipelines.formats.mail import message_id
from pipelines.jobs.common import Run
from pipelines.jobs.remind import remind


def _opened(google_opened, root, *, mail_lookup: bool = True):
    """A private copy of the demo edition on the fake just after stage 1 opened (conftest.py), with
    the opt-in look-up of sent mail (backend.mail_lookup) unless told otherwise."""
    config = load_config(copy_edition(google_opened / "edition", root), environ={})
    fake = load_fake(google_opened / "fake.pickle")
    return config, demo_factory_over(fake, mail_lookup=mail_lookup), fake


def _remind_rows(run: Run) -> list[dict]:
    return [r for r in run.edition.journal if r.action == "remind"]


# (the crash: at the n-th messages.send, before Gmail applies it or just after) -> k reminders went
CRASHES = {"first-send": (1, False, 0), "second-send-applied": (2, True, 2), "eighth-send": (8, False, 7)}


@pytest.mark.parametrize("crash", list(CRASHES), ids=list(CRASHES))
def test_a_batch_of_reminders_interrupted_by_a_crash_goes_out_exactly_once(tmp_path, google_opened, crash):
    """The reminders' intents are written in one append before the first goes; a crash after k of
    n were sent (the k-th applied but unanswered, or the (k+1)-th not yet applied) is resumed by
    the next process to exactly the n - k missing ones, each looked up in Gmail once."""
    at, after_apply, went = CRASHES[crash]
    config, factory, fake = _opened(google_opened, tmp_path / "edition")
    day = config.calendar.stage_close(1) - timedelta(days=1)
    mailed, start = len(fake.sent_mail), len(fake.requests)
    fake.crash_at(at, after_apply=after_apply, method="gmail.users.messages.send")
    with pytest.raises(SimulatedCrash):
        remind(Run(config=config, workspace=factory(config), now=day))
    assert len(fake.sent_mail) - mailed == went
    crashed = fake.requests[start:]
    appends = [i for i, r in enumerate(crashed) if appended_rows(r) is not None]
    sends = [i for i, r in enumerate(crashed) if r.method == "users.messages.send"]
    assert len(appends) == 1 and appends[0] < sends[0]  # every intent in one write, before the first send
    fake.sleep(300)
    look = Run(config=config, workspace=factory(config), now=day + timedelta(minutes=5))
    intended = [r.detail for r in _remind_rows(look) if r.outcome == "intended"]
    assert len(intended) > 8 and not [r for r in _remind_rows(look) if r.outcome == "sent"]
    fake.sleep(300)  # cron's next tick: the quotas refilled
    start = len(fake.requests)
    again = Run(config=config, workspace=factory(config), now=day + timedelta(minutes=10))  # a new process
    report = remind(again)
    reminders = fake.sent_mail[mailed:]
    told = Counter(m["to"][0] for m in reminders)
    experts = {p.email for p in report.pending}
    assert len(experts) == len(intended)
    assert set(told) == experts and set(told.values()) == {1}  # every expert once, none twice
    assert len(fake.sent_mail) - mailed - went == len(intended) - went  # the rest, and only the rest
    # each intended mail was looked up in Gmail by its Message-ID, once
    resumed = fake.requests[start:]
    queries = [r.query["q"][0] for r in resumed if r.method == "users.messages.list"]
    assert len(queries) == len(set(queries)) == len(intended) and all(r.valid for r in resumed)
    assert all(q.startswith("rfc822msgid:<contest-") for q in queries)
    assert {m["message_id"] for m in reminders[:went]} <= {q.removeprefix("rfc822msgid:") for q in queries}
    ids = [m["message_id"] for m in reminders]
    assert len(set(ids)) == len(ids)  # one Message-ID per idempotency key
    # the outcomes of the resumed batch in one write, not one a message
    assert sum(1 for r in resumed if appended_rows(r) is not None) == 1
    fake.sleep(300)
    after = Run(config=config, workspace=factory(config), now=day + timedelta(minutes=20))
    outcomes = Counter(str(r.outcome) for r in _remind_rows(after))
    assert outcomes == {"intended": len(intended), "sent": len(intended)}
    assert remind(after).pending and len(fake.sent_mail) - mailed == len(intended)  # a third run sends nothing


def test_by_default_each_reminder_is_intended_just_before_it_goes(tmp_path, google_opened):
    """The default (no backend.mail_lookup: gmail.send alone, the mailbox never read): Gmail cannot
    say what was sent, so an intent written ahead could never be resolved: each reminder's intent is
    written alone, just before it goes, so a crash loses at most the one being sent and doubles none.
    Gmail is never asked (a messages.list would be outside the granted scopes: the fake refuses it)."""
    config, factory, fake = _opened(google_opened, tmp_path / "edition", mail_lookup=False)
    day = config.calendar.stage_close(1) - timedelta(days=1)
    mailed, start = len(fake.sent_mail), len(fake.requests)
    fake.crash_at(3, method="gmail.users.messages.send")  # two went, the third never does
    with pytest.raises(SimulatedCrash):
        remind(Run(config=config, workspace=factory(config), now=day))
    assert len(fake.sent_mail) - mailed == 2
    crashed = fake.requests[start:]
    sends = [i for i, r in enumerate(crashed) if r.method == "users.messages.send"]
    intents = [
        (i, [row for row in appended_rows(r) or [] if row[3] == "intended"])
        for i, r in enumerate(crashed)
        if appended_rows(r) is not None
    ]
    intents = [(i, rows) for i, rows in intents if rows]
    assert len(intents) == len(sends) == 3 and all(len(rows) == 1 for _, rows in intents)  # one a write
    at = [i for i, _ in intents]
    assert all(a < s for a, s in zip(at, sends)) and all(s < a for s, a in zip(sends, at[1:]))  # each just before
    fake.sleep(300)
    again = Run(config=config, workspace=factory(config), now=day + timedelta(minutes=10))
    report = remind(again)
    told = Counter(m["to"][0] for m in fake.sent_mail[mailed:])
    experts = {p.email for p in report.pending}
    assert set(told.values()) == {1}  # none twice
    # the third expert's reminder cannot be told apart from one that went: never sent again (at
    # most once); the two before it went, their "sent" outcomes lost with the crash: not sent again
    assert len(told) == len(experts) - 1
    assert not [r for r in fake.requests[start:] if r.method == "users.messages.list"]  # never asked


def test_a_lookup_without_its_scope_is_refused_and_taken_as_cannot_tell(tmp_path, google_opened):
    """backend.mail_lookup set, but the token lacks gmail.readonly (a delegation that grants only
    gmail.send): Google refuses messages.list 403 insufficientPermissions, and the mailer answers
    "cannot tell" instead of failing the job."""
    config, factory, fake = _opened(google_opened, tmp_path / "edition", mail_lookup=False)
    lookup = factory(config).mailer  # its token granted gmail.send alone
    lookup.c.backend = lookup.c.backend.model_copy(update={"mail_lookup": True})  # the config asks anyway
    assert lookup.delivered("notify/DER-1") is None
    (refused,) = [r for r in fake.requests if r.method == "users.messages.list"]
    assert refused.status == 403 and "insufficient authentication scopes" in str(refused.error)


def test_the_message_id_is_derived_from_the_key_and_found_by_the_fakes_search(tmp_path, google_opened):
    assert message_id("remind/x", "cdb@atu.edu.kz") == message_id("remind/x", "cdb@atu.edu.kz")
    assert message_id("remind/x", "cdb@atu.edu.kz") != message_id("remind/y", "cdb@atu.edu.kz")
    assert message_id("remind/x", "cdb@atu.edu.kz").endswith("@atu.edu.kz>")
    config, factory, fake = _opened(google_opened, tmp_path / "edition")
    mailer = factory(config).mailer
    assert mailer.delivered("notify/DER-1") is False
    assert mailer.notify("a.author@atu.edu.kz", "Нәтиже", "Құрметті автор", key="notify/DER-1")
    assert mailer.delivered("notify/DER-1") is True and mailer.delivered("notify/DER-2") is False
    gmail = fake.build("gmail")
    mid = message_id("notify/DER-1", DEMO_SENDER)
    found = gmail.users().messages().list(userId="me", q=f"in:sent rfc822msgid:{mid.strip('<>')}").execute()
    assert len(found["messages"]) == 1
    assert fake.invalid_requests() == []


# --- a send whose answer was lost (issue 23 item 9) ---------------------------------------------
def _reminders(fake, mailed):
    return Counter(m["to"][0] for m in fake.sent_mail[mailed:])


@pytest.mark.parametrize("applied", [True, False], ids=["applied", "not-applied"])
def test_a_lost_answer_is_looked_up_by_message_id_and_sent_only_if_absent(tmp_path, google_opened, applied):
    """With the look-up: Gmail's answer to a send is lost (a timeout after Google sent it, or
    before): the mailbox is asked by Message-ID, and the mail is sent again only if it is not
    there. Every reminder arrives exactly once, every one recorded as sent."""
    config, factory, fake = _opened(google_opened, tmp_path / "edition")
    day = config.calendar.stage_close(1) - timedelta(days=1)
    mailed = len(fake.sent_mail)
    fake.timeout_next(1, method="gmail.users.messages.send", after_apply=applied)
    run = Run(config=config, workspace=factory(config), now=day)
    report = remind(run)
    told = _reminders(fake, mailed)
    assert report.pending and set(told.values()) == {1} and set(told) == {p.email for p in report.pending}
    assert all(p.notified for p in report.pending)
    lookups = [r for r in fake.requests if r.method == "users.messages.list"]
    assert lookups and all(r.valid for r in lookups)
    assert Counter(r.outcome for r in _remind_rows(run))["sent"] == len(report.pending)


def test_without_the_look_up_a_lost_answer_is_listed_to_cdb_and_sent_again_on_request(tmp_path, google_opened):
    """The default (gmail.send alone): a send whose answer was lost cannot be checked: it is
    recorded "unsure" — not counted as sent, never sent again by itself — and `status` lists it with
    the command that sends it again; `contest outbox --resend ID` does."""
    from rich.console import Console

    from pipelines.cli.status_view import render_status
    from pipelines.jobs.outbox import outbox_lines, resend, unsure_mail
    from pipelines.jobs.status import build_status

    config, factory, fake = _opened(google_opened, tmp_path / "edition", mail_lookup=False)
    day = config.calendar.stage_close(1) - timedelta(days=1)
    mailed = len(fake.sent_mail)
    fake.timeout_next(1, method="gmail.users.messages.send", after_apply=False)  # it never went
    report = remind(Run(config=config, workspace=factory(config), now=day))
    told = _reminders(fake, mailed)
    (lost,) = [p for p in report.pending if not p.notified]
    assert lost.email not in told and set(told.values()) == {1} and len(told) == len(report.pending) - 1
    assert not [r for r in fake.requests if r.method == "users.messages.list"]  # never asked
    look = Run(config=config, workspace=factory(config), now=day + timedelta(minutes=5))
    (unsure,) = build_status(look)["unsure_mail"]
    assert unsure["action"] == "remind" and lost.email in unsure["key"]
    assert unsure["command"] == f"contest outbox --resend {unsure['id']}"
    assert unsure["id"] == message_id(f"remind/{unsure['key']}", DEMO_SENDER).removeprefix("<contest-")[:8]
    console = Console(record=True, width=240)
    render_status(build_status(look), console)
    shown = console.export_text()
    assert unsure["command"] in shown and "Жетпеуі мүмкін хаттар" in shown  # the human status, in kk
    assert any(line.startswith(unsure["id"]) for line in outbox_lines(look))  # and `contest outbox`
    again = remind(look)  # a later run does not send it by itself
    assert not [p for p in again.pending if p.notified] and _reminders(fake, mailed) == told
    later = Run(config=config, workspace=factory(config), now=day + timedelta(minutes=10))
    resend(later, [unsure["id"]])
    assert remind(later).pending and _reminders(fake, mailed)[lost.email] == 1  # sent, once
    final = Run(config=config, workspace=factory(config), now=day + timedelta(minutes=15))
    assert unsure_mail(final) == [] and build_status(final)["unsure_mail"] == []
    assert fake.invalid_requests() == []
