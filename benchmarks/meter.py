"""Per-operation accounting for benchmarks: wall and CPU time, and the requests the fake of Google
recorded, charged to the innermost operation running (a close's documents count as `documents`)."""

from __future__ import annotations

import functools
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

FIELDS = ("wall", "cpu", "sheets_read", "sheets_write", "drive", "other_api", "simulated", "http_429", "calls")


def _read_kind(r) -> bool:
    from google_fake.server import SHEETS_READ_POSTS

    return r.http_method == "GET" or r.method.endswith(SHEETS_READ_POSTS)


@dataclass
class _Frame:
    op: str
    wall: float
    cpu: float
    requests: int
    clock: float
    inner: dict[str, float] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0.0))


class Meter:
    """`with meter.op("close"): …` or `meter.wrap(module, "name", "op")`; `meter.ops` holds the sums."""

    def __init__(self, fake=None):
        self.fake = fake
        self.ops: dict[str, dict[str, float]] = {}
        self.order: list[str] = []
        self._stack: list[_Frame] = []

    def _requests(self) -> int:
        return len(self.fake.requests) if self.fake is not None else 0

    def _clock(self) -> float:
        return self.fake.clock if self.fake is not None else 0.0

    def _start(self, op: str) -> None:
        self._stack.append(_Frame(op, time.perf_counter(), time.process_time(), self._requests(), self._clock()))

    def _stop(self) -> None:
        frame = self._stack.pop()
        total = self._total(frame)
        own = {k: total[k] - frame.inner[k] for k in FIELDS}
        own["calls"] = 1
        sums = self.ops.setdefault(frame.op, dict.fromkeys(FIELDS, 0.0))
        if frame.op not in self.order:
            self.order.append(frame.op)
        for k in FIELDS:
            sums[k] += own[k]
        if self._stack:
            parent = self._stack[-1].inner
            for k in FIELDS:
                parent[k] += total[k]

    def so_far(self) -> dict[str, dict[str, float]]:
        """`ops` as they would be if every running operation stopped now (for a mark taken inside one)."""
        out = {name: dict(op) for name, op in self.ops.items()}
        for frame in self._stack:
            total = self._total(frame)
            sums = out.setdefault(frame.op, dict.fromkeys(FIELDS, 0.0))
            for k in FIELDS:
                sums[k] += total[k] - frame.inner[k]
        return out

    def _total(self, frame: _Frame) -> dict[str, float]:
        total = dict.fromkeys(FIELDS, 0.0)
        total["wall"] = time.perf_counter() - frame.wall
        total["cpu"] = time.process_time() - frame.cpu
        total["simulated"] = self._clock() - frame.clock
        if self.fake is not None:
            for r in self.fake.requests[frame.requests :]:
                if r.api == "sheets":
                    total["sheets_read" if _read_kind(r) else "sheets_write"] += 1
                elif r.api == "drive":
                    total["drive"] += 1
                else:
                    total["other_api"] += 1
                total["http_429"] += r.status == 429
        return total

    def op(self, name: str):
        meter = self

        class _Op:
            def __enter__(self):
                meter._start(name)

            def __exit__(self, *exc):
                meter._stop()

        return _Op()

    def wrap(self, owner: Any, attr: str, op: str) -> None:
        """Replace owner.attr (a module's function or an object's method) by a metered call of it."""
        inner: Callable = getattr(owner, attr)

        @functools.wraps(inner)
        def metered(*args, **kwargs):
            with self.op(op):
                return inner(*args, **kwargs)

        setattr(owner, attr, metered)


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
