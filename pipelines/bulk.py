"""Bulk work without the cyclic garbage collector walking it again and again.

A 10,000-row intake makes a few million small objects that all live until the job ends and hold
no reference cycles; each of the collector's passes walks every one of them again, a fifth of the
intake's time. Reference counting still frees everything as usual; the collector runs again as
soon as the work is done (a cycle made meanwhile is collected then)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block; nested blocks leave it paused until the outermost
    ends; it is back on (if it was on) however the block ends."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
