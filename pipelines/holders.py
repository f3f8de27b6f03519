"""Who holds the edition's lock or lease: a holder names its host and its process (pid and the
process's start time, so that a pid the system gave to another process since is not taken for the
holder), written as one string `host:pid:started:token`.

On the holder's own host, whether it still runs is known at once (`gone`): a tick that finds the lease
of a crashed tick on its own machine takes it over without waiting for it to lapse. On another host
nothing can be known but the lease's expiry."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    started: str  # the process's start time as the system counts it ("" when unknown)
    token: str

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.started}:{self.token}"


def process_started(pid: int) -> str:
    """The start time of process `pid` (clock ticks since boot, /proc/PID/stat field 22), "" when
    unknown (no such process, or no /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""
    fields = stat[stat.rfind(")") + 2 :].split()  # the command's name may hold spaces and parentheses
    return fields[19] if len(fields) > 19 else ""


def this_process() -> Holder:
    """A holder naming this process (a new token each call: two leases taken by one process differ)."""
    pid = os.getpid()
    return Holder(socket.gethostname(), pid, process_started(pid), uuid.uuid4().hex[:8])


def parse(text: str) -> Holder | None:
    """A holder from its string; None for one this version did not write. `host:pid:token` (the
    previous version's) is read with its start time unknown."""
    parts = str(text).rsplit(":", 3)
    if len(parts) == 3:
        parts = [parts[0], parts[1], "", parts[2]]
    if len(parts) != 4 or not parts[1].isdigit():
        return None
    return Holder(parts[0], int(parts[1]), parts[2], parts[3])


def gone(text: str) -> bool:
    """Whether the holder named by `text` is known to have ended: it ran on this host and its process
    is no longer there (or the pid is now another process's). A holder on another host, or one that
    cannot be read, is never known to be gone."""
    holder = parse(text)
    if holder is None or holder.host != socket.gethostname():
        return False
    if holder.pid == os.getpid():
        return False  # this very process (its own lease, taken again)
    started = process_started(holder.pid)
    if not started:
        if Path("/proc/self/stat").exists():
            return True  # /proc is there and the pid is not
        try:
            os.kill(holder.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False  # another user's process: it runs
        return False
    return bool(holder.started) and started != holder.started
