"""An outbox CDB can work from (issue 20 item 4): readable, unique, portable .eml names; From:, Date:
and a Message-ID stable per idempotency key; `contest outbox` lists what waits and records what CDB
sent; the CLI says "written to the outbox", never "sent", and a tick that wrote messages says so."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

from click.testing import CliRunner
from jobkit import config_of, files, run_at, workspace_dir

from pipelines.backends.local import Manifest, Outbox, open_local
from pipelines.cli import cli
from pipelines.formats.mail import message_id

WINDOWS_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
AT = datetime.fromisoformat("2027-02-19T18:05:00+05:00")


def _read(path: Path):
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())


def _outbox(root: Path, sender: str | None = "cdb@atu.edu.kz") -> Outbox:
    box = Outbox(root, Manifest(root), sender=sender)
    box.now = AT
    return box


def test_names_are_readable_unique_and_safe_and_headers_stable(tmp_path):
    box = _outbox(tmp_path)
    first = box.write("A.Nurlanovna@atu.edu.kz", "Нәтиже", "Құрметті автор", key="notify/accepted DER-1 a@atu.edu.kz")
    second = box.write("a.nurlanovna@atu.edu.kz", "Нәтиже", "Екінші", key="notify/accepted DER-2 a@atu.edu.kz")
    odd = box.write('x<y>:"z"|?*@atu.edu.kz', "Тақырып", "мәтін", key="remind/stage 1 FIT x@y 2027-02-19")
    assert first.name == "2027-02-19_accepted_a.nurlanovna@atu.edu.kz.eml"
    assert second.name == "2027-02-19_accepted_a.nurlanovna@atu.edu.kz_2.eml"  # same day, kind, person
    assert odd.name.startswith("2027-02-19_remind_") and not WINDOWS_FORBIDDEN.search(odd.name)
    msg = _read(first)
    assert msg["From"] == "cdb@atu.edu.kz" and msg["To"] == "A.Nurlanovna@atu.edu.kz"
    assert msg["Message-ID"] == message_id("notify/accepted DER-1 a@atu.edu.kz", "cdb@atu.edu.kz")
    assert msg["Date"].datetime == AT
    # written again (a crash lost its record, or a later run): the same file, the same headers
    box.now = AT + timedelta(days=3)
    before = first.read_bytes()
    assert box.write("A.Nurlanovna@atu.edu.kz", "Нәтиже", "Құрметті автор", key="notify/accepted DER-1 a@atu.edu.kz")
    assert first.read_bytes() == before
    first.unlink()  # the name was recorded, the file lost (a crash before it was written)
    again = _outbox(tmp_path).write(
        "A.Nurlanovna@atu.edu.kz", "Нәтиже", "Құрметті автор", key="notify/accepted DER-1 a@atu.edu.kz"
    )
    assert again == first and _read(again)["Date"].datetime == AT and _read(again)["Message-ID"] == msg["Message-ID"]
    assert len(files(tmp_path / "outbox", "*.eml")) == 3


def test_a_message_of_an_older_outbox_named_by_hash_is_never_written_twice(tmp_path):
    key = "share/2027|1|FIT-IS|e.zhumabayev@atu.edu.kz"
    old = tmp_path / "outbox" / f"{hashlib.sha256(key.encode()).hexdigest()[:12]}.eml"
    old.parent.mkdir()
    old.write_bytes(b"To: e.zhumabayev@atu.edu.kz\nSubject: old\n\nbody\n")
    box = _outbox(tmp_path)
    assert box.holds(key)
    assert box.write("e.zhumabayev@atu.edu.kz", "old", "body", key=key) == old
    assert files(tmp_path / "outbox", "*.eml") == [old]
    (listed,) = box.listing()
    assert listed.file == old.name and listed.id == old.stem and not listed.sent_at


def test_contest_outbox_lists_what_waits_and_records_what_cdb_sent(edition):
    runner = CliRunner()
    base = ["--config", str(edition), "--now", "2027-02-20T10:00"]
    out = runner.invoke(cli, [*base, "outbox"])
    assert out.exit_code == 0, out.output
    emls = files(workspace_dir(edition) / "outbox", "*.eml")
    assert re.search(rf"жіберуді күтіп тұр {len(emls)}, ЦДБ жіберді деп белгіленген 0", out.output)
    names = [p.name for p in emls]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d_[a-z0-9_]+_[a-z0-9@._+-]+(_\d+)?\.eml", n) for n in names), names
    assert len({n.lower() for n in names}) == len(names)
    assert {n.split("_")[1] for n in names} >= {"accepted", "share"}
    ids = re.findall(r"^([0-9a-f]{8})  ", out.output, flags=re.M)
    assert len(ids) == len(emls) == len(set(ids))
    marked = runner.invoke(cli, [*base, "outbox", "--mark-sent", ids[0], "--mark-sent", names[-1]])
    assert marked.exit_code == 0 and "жіберілді деп белгіленді: 2" in marked.output
    after = runner.invoke(cli, [*base, "outbox"]).output
    assert f"жіберуді күтіп тұр {len(emls) - 2}, ЦДБ жіберді деп белгіленген 2" in after
    assert ids[0] not in after and names[-1] not in after
    wrong = runner.invoke(cli, [*base, "outbox", "--mark-sent", "no-such-file.eml"])
    assert wrong.exit_code == 1 and "no-such-file.eml" in wrong.output
    every = runner.invoke(cli, [*base, "-q", "outbox", "--all"])
    assert every.exit_code == 0
    ru = runner.invoke(cli, [*base, "outbox"], env={"CONTEST_LANGUAGE": "ru"}).output
    assert f"ждут отправки 0, отмечены ДЦР как отправленные {len(emls)}" in ru
    status = json.loads(runner.invoke(cli, [*base, "status", "--json"]).stdout)
    assert status["outbox"] == {"waiting": 0, "sent": len(emls)} and status["unsure_mail"] == []
    # recorded in the workspace's store: a new process sees it
    assert len(open_local(config_of(edition)).mailer.outbox.manifest.data["outbox_sent"]) == len(emls)


def test_the_local_workspace_says_written_to_the_outbox_never_sent(opened_build):
    tick = (opened_build / "tick.txt").read_text(encoding="utf-8")
    # the tick that closed intake wrote the applicants' notices: it says so, not "nothing due"
    summary = next(line for line in tick.splitlines() if line.startswith("Жоспарлы іске қосу: "))
    assert re.search(r"хабарлама шығыс хаттар қалтасына жазылды: \d+", summary)
    assert "орындайтын ештеңе жоқ" not in summary
    notices = next(line for line in tick.splitlines() if line.startswith("хабарламалар: "))
    assert "шығыс хаттар қалтасына жазылды" in notices and "жіберілді" not in notices


def test_an_edition_under_way_with_an_older_outbox_gets_no_message_twice(edition):
    """The outbox as the previous version left it (files named by the hash of their key, no record
    of names): a message the crash left "intended" is found there, and nothing is written again."""
    from test_notify import _journal_outcome

    from pipelines.backends.local.outbox import legacy_path
    from pipelines.jobs.common import JournalLedger
    from pipelines.jobs.tick import tick

    config = config_of(edition)
    box = open_local(config).mailer.outbox
    for key, entry in list(box.manifest.data["outbox"].items()):
        (box.folder / entry["file"]).rename(legacy_path(box.root, key))
        del box.manifest.data["outbox"][key]
    box.manifest.save()
    before = sorted(p.name for p in files(box.folder, "*.eml"))
    assert all(re.fullmatch(r"[0-9a-f]{12}\.eml", n) for n in before)
    later = config.calendar.intake_close + timedelta(hours=1)
    victim = next(k for a, k, _s in run_at(edition, later).edition.journal.ledgers(["notify"]) if a == "notify")
    _journal_outcome(edition, victim, "intended")
    tick(run_at(edition, later))
    assert sorted(p.name for p in files(box.folder, "*.eml")) == before  # nothing written twice
    assert JournalLedger(run_at(edition, later), "notify").message_state(victim) == "sent"
