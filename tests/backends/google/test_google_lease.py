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
from pipelines import holders
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
        assert "lease" in str(busy.value) and busy.value.where
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
