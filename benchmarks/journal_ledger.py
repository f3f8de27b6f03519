"""The message ledger's lookups as the journal grows: each message's state found by the journal's
index (domain/state.py `Journal.outcomes`) against the scan of the whole journal it replaced
(issue 21: `JournalLedger._states`, 2.2 -> 20.7 s from 10x to 30x of the demo). Prints a table;
asserts nothing.

    .venv/bin/python benchmarks/journal_ledger.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.domain.state import Journal, JournalEntry  # noqa: E402

PER_COPY = 400  # messages of one demo-sized edition (notices, reminders, share notices), rounded up


def journal_of(messages: int) -> tuple[Journal, list[str]]:
    """An edition's journal: each message intended then sent, a tick row every ten messages."""
    keys = [f"notify/DER-{i:06d}/stage1" for i in range(messages)]
    entries = []
    for i, key in enumerate(keys):
        entries += [JournalEntry("t", "t", "notify", "intended", key), JournalEntry("t", "t", "notify", "sent", key)]
        if i % 10 == 0:
            entries.append(JournalEntry("t", "t", "tick", "nothing due", '{"jobs": []}'))
    return Journal(entries), keys


def scanned(journal: Journal, key: str) -> list[str]:
    """How a message's states were found before: every row of the journal read for each message."""
    return [e.outcome for e in journal if e.action == "notify" and e.detail == key]


def main() -> None:
    print(f"{'scale':>5} {'messages':>9} {'rows':>7} {'scan s':>8} {'index s':>8} {'index µs/msg':>13}")
    for scale in (1, 3, 10, 30):
        journal, keys = journal_of(PER_COPY * scale)
        sample = keys[:: max(1, len(keys) // 2000)]  # the scan is quadratic: timed on a sample, scaled up
        start = time.perf_counter()
        for key in sample:
            scanned(journal, key)
        scan = (time.perf_counter() - start) * len(keys) / len(sample)
        start = time.perf_counter()
        for key in keys:
            journal.outcomes("notify", key)
        index = time.perf_counter() - start
        print(
            f"{scale:>5} {len(keys):>9} {len(journal):>7} {scan:>8.2f} {index:>8.4f} {index / len(keys) * 1e6:>13.2f}"
        )


if __name__ == "__main__":
    main()
