"""Gmail exactly once (issue 10 item 1): every mail sent under an idempotency key carries a
Message-ID derived from it, and a run that finds a mail recorded as intended but not as sent asks
Gmail (users.messages.list, q="rfc822msgid:<id>") whether it went. A crash just after Gmail applied
the send, or just before it, is resumed by the next run to exactly one message per expert."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from editions import copy_edition, demo_factory_over, load_fake

from google_fake.demo import DEMO_SENDER
from google_fake.server import SimulatedCrash
from pipelines.config import load_config
from pipelines.jobs.common import Run
from pipelines.jobs.remind import remind
from pipelines.mail import message_id


def _opened(google_opened, root):
    """A private copy of the demo edition on the fake just after stage 1 opened (conftest.py)."""
    config = load_config(copy_edition(google_opened / "edition", root), environ={})
    fake = load_fake(google_opened / "fake.pickle")
    return config, demo_factory_over(fake), fake


@pytest.mark.parametrize("after_apply", [True, False], ids=["crash-after-send-applied", "crash-before-send"])
def test_a_reminder_interrupted_by_a_crash_goes_out_exactly_once(tmp_path, google_opened, after_apply):
    config, factory, fake = _opened(google_opened, tmp_path / "edition")
    day = config.calendar.stage_close(1) - timedelta(days=1)
    mailed = len(fake.sent_mail)
    fake.crash_at(2, after_apply=after_apply, method="gmail.users.messages.send")  # the second reminder
    with pytest.raises(SimulatedCrash):
        remind(Run(config=config, workspace=factory(config), now=day))
    assert len(fake.sent_mail) - mailed == (2 if after_apply else 1)
    fake.sleep(300)
    fake.reset_counts()
    again = Run(config=config, workspace=factory(config), now=day + timedelta(minutes=10))  # a new process
    report = remind(again)

    reminders = fake.sent_mail[mailed:]
    told = Counter(m["to"][0] for m in reminders)
    experts = {p.email for p in report.pending}
    assert experts and set(told) == experts and set(told.values()) == {1}  # every expert once, none twice
    # the mail the crash interrupted was looked up in Gmail by its Message-ID
    lookups = [r for r in fake.requests if r.method == "users.messages.list"]
    assert len(lookups) == 1 and all(r.valid for r in lookups)
    (query,) = lookups[0].query["q"]
    assert query.startswith("rfc822msgid:<contest-")
    second = reminders[1]
    assert query == f"rfc822msgid:{second['message_id']}" or not after_apply
    ids = [m["message_id"] for m in reminders]
    assert len(set(ids)) == len(ids)  # one Message-ID per idempotency key
    outcomes = [str(r["outcome"]) for r in again.edition.journal if r["action"] == "remind"]
    assert outcomes.count("sent") == len(experts)


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
