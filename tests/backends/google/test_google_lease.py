"""Two ticks from two machines against one Google workspace: the lease in the control spreadsheet
lets one through; the other does nothing and says who holds it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from google_fake import FakeGoogle
from google_fake.demo import fake_workspace, google_config
from pipelines import holders, i18n
from pipelines.config import load_config
from pipelines.demo import write_edition
from pipelines.jobs.common import Run
from pipelines.jobs.status import build_status
from pipelines.jobs.tick import LEASE_SECONDS, TickBusy, edition_lease, tick
from pipelines.ports import BackendError


@pytest.fixture
def machines(tmp_path):
    """Two machines (two workspaces, two processes' worth of caches) on one fake Google."""
    config = load_config(write_edition(tmp_path / "edition", seed=2027))
    fake = FakeGoogle(seed=3, service_account_without_storage=True)
    drive = fake.create_shared_drive("ATU contest")
    cfg = google_config(config, shared_drive_id=drive)
    return cfg, fake, fake_workspace(cfg, fake), fake_workspace(cfg, fake)


def test_a_second_tick_from_another_machine_does_nothing_and_says_who_holds_the_lease(machines):
    config, fake, a, b = machines
    now = config.calendar.intake_open + timedelta(days=7)
    with edition_lease(Run(config=config, workspace=a, now=now)):  # machine A's tick is running
        fake.reset_counts()
        with pytest.raises(TickBusy) as busy:
            tick(Run(config=config, workspace=b, now=now + timedelta(minutes=1)))
        assert "lease" in str(busy.value) and busy.value.holder and busy.value.until
        writes = {m: n for m, n in fake.counts().get("sheets", {}).items() if "batchUpdate" in m or "append" in m}
        assert writes == {}  # B wrote nothing
    assert tick(Run(config=config, workspace=b, now=now + timedelta(minutes=2))) == ["intake"]


def test_of_two_machines_racing_for_the_lease_exactly_one_gets_it(machines):
    config, fake, a, b = machines
    now = config.calendar.intake_open
    a.control.read_tables(["registry"])
    got = {}
    # B has looked (no lease yet) and is about to take it when A takes it first
    fake.before_next("spreadsheets.batchUpdate", lambda: got.setdefault("a", a.control.hold_lease("a", now, 600)))
    held = b.control.hold_lease("b", now, 600)
    assert got == {"a": None}  # A got it
    assert held is not None and held.startswith("a until")  # B's add of the tab was refused: B did not
    assert [t for t in fake.spreadsheet_model(a.control.id).sheets if t.title == "tick lease"]
    a.control.release_lease("a")
    assert b.control.hold_lease("b", now, 600) is None


def test_a_crashed_ticks_lease_lapses(machines):
    config, fake, a, b = machines
    now = config.calendar.intake_open
    assert a.control.hold_lease("a", now, 3600) is None  # A crashes: never released
    assert b.control.hold_lease("b", now + timedelta(minutes=59), 3600) is not None
    assert b.control.hold_lease("b", now + timedelta(minutes=61), 3600) is None


def test_a_lost_answer_to_the_lease_request_still_gives_the_lease(machines):
    config, fake, a, b = machines
    a.control.read_tables(["registry"])
    fake.timeout_next(1, method="spreadsheets.batchUpdate", after_apply=True)
    assert a.control.hold_lease("a", config.calendar.intake_open, 600) is None
    assert b.control.hold_lease("b", config.calendar.intake_open, 600) is not None


def test_a_release_is_one_request_and_never_deletes_another_machines_lease(machines):
    config, fake, a, b = machines
    now = config.calendar.intake_open
    assert a.control.hold_lease("a", now, 600) is None
    fake.reset_counts()
    a.control.read_tables(["registry"])  # the tabs are known after the hold: not asked again
    a.control.release_lease("a")  # deleted without reading it first
    assert fake.counts().get("sheets", {}) == {"spreadsheets.batchUpdate": 1}
    assert not [t for t in fake.spreadsheet_model(a.control.id).sheets if t.title == "tick lease"]
    # A stalls past its lease; B takes the lapsed lease; A's late release leaves B's lease alone
    assert a.control.hold_lease("a", now + timedelta(minutes=20), 600) is None
    assert b.control.hold_lease("b", now + timedelta(minutes=31), 600) is None
    a.control.release_lease("a")
    assert [t for t in fake.spreadsheet_model(a.control.id).sheets if t.title == "tick lease"]
    third = fake_workspace(config, fake)
    refused = third.control.hold_lease("c", now + timedelta(minutes=32), 600)
    assert refused is not None and refused.startswith("b until")
    b.control.release_lease("b")
    assert third.control.hold_lease("c", now + timedelta(minutes=33), 600) is None


# --- leases that heal: the holder's host and process, renewed while held, cleared on purpose -------
def _ended_process() -> str:
    """The holder string of a process on this host that has ended (a tick killed mid-run)."""
    proc = subprocess.run(
        [sys.executable, "-c", "from pipelines import holders; print(holders.this_process())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


def test_a_crashed_ticks_lease_on_this_host_is_taken_over_at_once(machines):
    config, fake, a, b = machines
    now = config.calendar.intake_open
    crashed = _ended_process()
    assert holders.parse(crashed).host == socket.gethostname() and holders.gone(crashed)
    assert a.control.hold_lease(crashed, now, 300) is None  # the crashed tick took it, never released
    assert b.control.lease_held().holder == crashed
    ours = str(holders.this_process())
    assert b.control.hold_lease(ours, now + timedelta(seconds=1), 300) is None  # not after 5 minutes: now
    assert b.control.lease_held().holder == ours


def test_a_lease_held_by_another_host_keeps_out_until_it_lapses(machines):
    config, fake, a, b = machines
    now = config.calendar.intake_open
    elsewhere = "cron-2.atu.kz:4242:98765:0a1b2c3d"  # the same pid may run here: another host's is not ours
    assert a.control.hold_lease(elsewhere, now, 300) is None
    refused = b.control.hold_lease(str(holders.this_process()), now + timedelta(seconds=299), 300)
    assert refused is not None and refused.startswith(elsewhere)
    assert b.control.hold_lease(str(holders.this_process()), now + timedelta(seconds=301), 300) is None


def test_a_long_tick_renews_its_short_lease(machines):
    """The lease is short (a crash elsewhere costs at most LEASE_SECONDS), so a tick that runs longer
    renews it with its requests: another machine is kept out long after the first expiry."""
    config, fake, a, b = machines
    now = config.calendar.intake_open
    ours = str(holders.this_process())
    assert a.control.hold_lease(ours, now, LEASE_SECONDS) is None
    first = a.control.lease_held()
    assert first.since == now.isoformat(timespec="seconds")
    for _ in range(15):  # a quarter of an hour of work, a request a minute
        fake.sleep(60)
        a.control.health()  # any request of the tick
    held = a.control.lease_held()
    assert held.holder == ours and held.since == first.since and held.until > first.until
    later = now + timedelta(minutes=15, seconds=10)
    assert datetime.fromisoformat(held.until) > later
    refused = b.control.hold_lease("cron-2.atu.kz:77:1:ffff0000", later, LEASE_SECONDS)
    assert refused is not None and refused.startswith(ours)
    a.control.release_lease(ours)
    assert a.control.lease_held() is None


def test_a_tick_whose_lease_was_taken_stops_with_a_clear_message(machines):
    config, fake, a, b = machines
    now = config.calendar.intake_open
    ours = str(holders.this_process())
    assert a.control.hold_lease(ours, now, LEASE_SECONDS) is None
    assert b.control.clear_lease().holder == ours  # `contest unlock` on another machine
    fake.sleep(LEASE_SECONDS)
    with pytest.raises(BackendError) as lost:
        a.control.health()  # any request of the tick
    assert "блокировки tick истёк" in str(lost.value) and "tick құлпының" in str(lost.value)
    assert b.control.lease_held() is None and b.control.clear_lease() is None


def test_status_shows_who_holds_the_lease_since_when(machines):
    config, fake, a, b = machines
    now = config.calendar.intake_open + timedelta(days=7)
    with edition_lease(Run(config=config, workspace=a, now=now)):
        lease = build_status(Run(config=config, workspace=b, now=now))["lease"]
        assert lease["host"] == socket.gethostname() and lease["pid"] == os.getpid()
        assert lease["since"] == now.isoformat(timespec="seconds")
        assert lease["until"] == (now + timedelta(seconds=LEASE_SECONDS)).isoformat(timespec="seconds")
    assert build_status(Run(config=config, workspace=b, now=now))["lease"] is None


# --- every writing job takes the lease, not only the tick -------------------------------------------
ELSEWHERE = "cron-2.atu.kz:4242:98765:0a1b2c3d"  # cron's tick on another machine


def _config_file(config) -> str:
    import yaml

    path = config.base_dir / "contest-google.yaml"  # beside the edition's export
    path.write_text(yaml.safe_dump(config.model_dump(mode="json", exclude_none=True), allow_unicode=True), "utf-8")
    return str(path)


@pytest.fixture
def command(machines, monkeypatch):
    """`contest ARGS` typed on this machine (its own workspace on the same fake Google) at `now`."""
    from click.testing import CliRunner

    from pipelines import backends
    from pipelines.cli import cli

    config, fake, _, _ = machines
    path = _config_file(config)
    monkeypatch.setattr(backends, "open_workspace", lambda config, **options: fake_workspace(config, fake, **options))

    def invoke(now: datetime, *args: str):
        return CliRunner().invoke(cli, ["--config", path, "--now", now.isoformat(), *args])

    return invoke


WRITING_JOBS = [
    ["intake"],
    ["open-stage", "1"],
    ["close-stage", "1", "--force"],
    ["notify"],
    ["remind"],
    ["accept-edits", "--reason", "CDB, order 12"],
    ["render", "results"],
    ["outbox", "--resend", "m-1"],
    ["recreate-sheet", "1", "expert@atu.edu.kz"],
]


@pytest.mark.parametrize("args", WRITING_JOBS, ids=lambda a: a[0])
def test_a_job_typed_by_hand_while_another_machines_tick_holds_the_lease_does_nothing(machines, command, args):
    """The local lock keeps one machine's jobs apart; a job typed on this machine while cron's tick
    runs on another is kept out by the control store's lease, as a second tick is."""
    config, fake, a, _ = machines
    now = config.calendar.intake_open + timedelta(days=7)
    assert a.control.hold_lease(ELSEWHERE, now, LEASE_SECONDS) is None  # the other machine's tick runs
    fake.reset_counts()
    result = command(now + timedelta(minutes=1), *args)
    assert result.exit_code == 1, result.output
    lang = config.language
    words = i18n.text("lease_held_by", lang, host="cron-2.atu.kz", pid="4242", until=a.control.lease_held().until)
    assert i18n.text("tick_busy", lang, lock=words) in result.output, result.output
    assert "Traceback" not in result.output
    writes = {m: n for api in fake.counts().values() for m, n in api.items() if not m.endswith(("get", "list"))}
    assert writes == {}, "the job wrote while another machine held the lease"
    assert a.control.lease_held().holder == ELSEWHERE  # left as it was


def test_the_tick_too_says_another_machine_holds_the_lease_and_exits_0(machines, command):
    config, fake, a, _ = machines
    now = config.calendar.intake_open + timedelta(days=7)
    assert a.control.hold_lease(ELSEWHERE, now, LEASE_SECONDS) is None
    result = command(now + timedelta(minutes=1), "tick")
    assert result.exit_code == 0 and "cron-2.atu.kz" in result.output, result.output
    assert a.control.lease_held().holder == ELSEWHERE


def test_a_job_typed_by_hand_holds_the_lease_while_it_runs_and_gives_it_back(machines, command):
    """While `contest intake` writes, another machine's tick is kept out; once done, the lease is free."""
    config, fake, a, b = machines
    now = config.calendar.intake_open + timedelta(days=7)
    seen = {}

    def other_machine() -> None:  # cron's tick on machine B, in the middle of the hand-run intake
        seen["lease"] = b.control.lease_held()
        seen["tick"] = b.control.hold_lease(ELSEWHERE, now + timedelta(minutes=1), LEASE_SECONDS)

    a.control.read_tables(["registry"])  # the control spreadsheet exists: what intake creates is its own
    fake.before_next("files.create", other_machine)  # a folder or a form 01 letter, mid-job
    result = command(now, "intake")
    assert result.exit_code == 0, result.output
    assert seen["lease"] is not None and seen["lease"].as_dict()["pid"] == os.getpid()
    assert seen["tick"] is not None and seen["tick"].startswith(seen["lease"].holder)  # kept out
    assert b.control.lease_held() is None  # given back at the command's end
    assert b.control.hold_lease(ELSEWHERE, now + timedelta(minutes=2), LEASE_SECONDS) is None


def test_a_request_retried_for_longer_than_the_lease_keeps_it(machines):
    """A long stretch without a new request: one request that Google answers only after a minute,
    with a 503, five times over (the backoff between), then answers — over five minutes in all,
    longer than the lease. The lease is renewed between the attempts: another machine's tick, trying
    in the last minute of it, is kept out."""
    config, fake, a, b = machines
    now = config.calendar.intake_open
    ours = str(holders.this_process())
    assert a.control.hold_lease(ours, now, LEASE_SECONDS) is None
    started, attempts, tried = fake.monotonic(), [], {}

    def slow(body, query) -> bool:  # each attempt waits a minute for its answer
        fake.sleep(60)
        attempts.append(fake.monotonic() - started)
        if len(attempts) == config.backend.max_retries:  # another machine's tick, meanwhile
            tried["at"] = now + timedelta(seconds=attempts[-1])
            tried["refused"] = b.control.hold_lease(ELSEWHERE, tried["at"], LEASE_SECONDS)
        return True

    fake.refuse_when(slow, 503, "backendError", method="files.get", n=config.backend.max_retries)
    a.control.health()  # the tick's request (files.get of the control spreadsheet), retried
    assert attempts[-1] > LEASE_SECONDS, attempts
    assert tried["refused"] is not None and tried["refused"].startswith(ours), tried
    held = a.control.lease_held()
    assert held.holder == ours and datetime.fromisoformat(held.until) > tried["at"]
