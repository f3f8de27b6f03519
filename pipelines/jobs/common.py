"""What every job shares: the run context, the journal, progress, the edition's keys and texts."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from pipelines.bulk import collector_paused
from pipelines.config import Config
from pipelines.domain.state import EditionState
from pipelines.jobs import edition as store
from pipelines.ports import BackendError, Workspace, deliver_once
from pipelines.tables import Tables

T = TypeVar("T")
Progress = Callable[[str, int], Callable[[], None]]  # (label, total) -> advance()

REGULATION = "АТУ-ЖИЦДО-ІӘЕ-7.5.1-2025-04"


def no_progress(label: str, total: int) -> Callable[[], None]:
    return lambda: None


@dataclass
class Run:
    """One job's context: where, when, and how to report."""

    config: Config
    workspace: Workspace
    now: datetime
    progress: Progress = no_progress
    messages: list[str] = field(default_factory=list)
    # While a tick runs its jobs, their journal entries are held here and written as one row.
    held_journal: list[dict[str, Any]] | None = field(default=None, repr=False)
    loaded: store.Edition | None = field(default=None, repr=False)  # read once, on first use
    # While a tick runs: each open sheet read live once (the reminders and the progress tab share
    # the read; jobs/sheets.py live_assignment); None outside a tick, where every read is fresh.
    live_reads: dict[tuple[Any, ...], Any] | None = field(default=None, repr=False)
    # While a tick runs: the message ledger's "sent"/"listed" rows, written with the next journal
    # write (the next message's "intended" row, or the tick's own row) instead of one append each.
    held_ledger: list[dict[str, Any]] | None = field(default=None, repr=False)
    # The rating sheets this run created (and filled and shared): what they hold is what was written
    # until someone types; the progress tab then needs not read them (jobs/status.py).
    made_sheets: set[str] = field(default_factory=set, repr=False)

    @property
    def tables(self) -> Tables:
        return Tables(self.workspace.control, self.config.language, keep=self.keep_whole)

    def keep_whole(self, text: str) -> str:
        """A text no cell can hold, kept whole as a .txt on the edition's drive (named by its
        content: written once); returns where (issue 13 item 5)."""
        from pipelines.digest import content_digest
        from pipelines.ports import DocKey

        data = text.encode("utf-8", "surrogatepass")
        name = content_digest(data)[:16]
        key = DocKey(self.edition_key, "long_text", 0, "-", name)
        stored = self.workspace.drive.put(key, ["long-texts"], f"{name}.txt", data, "text/plain")
        return stored.path_or_url

    @property
    def edition(self) -> store.Edition:
        """The edition's state, read from the control store once per run (jobs share it)."""
        if self.loaded is None:
            self.loaded = store.load(self.tables)
        return self.loaded

    @property
    def state(self) -> EditionState:
        return self.edition.state

    def commit(self) -> list[str]:
        """Write the state back in one store call (the end of a job); the tables that changed."""
        if self.loaded is None:
            return []
        with collector_paused():  # every table's cells made at once (pipelines/bulk.py)
            return store.save(self.tables, self.loaded, self.lang)

    def settle(self) -> None:
        """The end of a job: rows the store holds aside (the local journal's pending log) go into
        its tables, so a person opening them sees every row. Inside a tick: at the tick's end."""
        if self.held_ledger is None:
            self.tables.store.settle()

    @property
    def lang(self) -> str:
        return self.config.language

    @property
    def edition_key(self) -> str:
        return self.config.edition_key

    def say(self, message: str) -> None:
        self.messages.append(message)

    def each(self, label: str, items: Iterable[T]) -> Iterable[T]:
        items = list(items)
        advance = self.progress(label, len(items))
        for item in items:
            yield item
            advance()

    def journal(self, action: str, outcome: str, detail: dict[str, Any] | str = "") -> None:
        if self.held_journal is not None:
            self.held_journal.append({"action": action, "outcome": outcome, "detail": detail})
            return
        self._write_journal(self._journal_row(action, outcome, detail))
        self.settle()  # a job's own row ends its work: the ledger rows before it go in with it

    def _journal_row(self, action: str, outcome: str, detail: dict[str, Any] | str) -> dict[str, Any]:
        text = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False, sort_keys=True)
        return {
            "at": datetime.now(UTC).astimezone(self.config.zone).isoformat(timespec="seconds"),
            "now": self.now.isoformat(timespec="seconds"),
            "action": action,
            "outcome": outcome,
            "detail": text,
        }

    def _write_journal(self, row: dict[str, Any] | None) -> None:
        """`row` appended to the journal, after the ledger rows held so far (one store call)."""
        self._write_journal_rows([row] if row is not None else [])

    def _write_journal_rows(self, rows: list[dict[str, Any]]) -> None:
        """`rows` appended to the journal after the ledger rows held so far: one store call."""
        if not rows and not self.held_ledger:
            return
        self.tables.append("journal", list(self.held_ledger or []) + rows)
        if self.held_ledger:
            self.held_ledger.clear()
        if self.loaded is not None:
            self.loaded.journal.extend(rows)

    def flush_ledger(self) -> None:
        """Write the held ledger rows now (the end of a tick, whatever happened in it)."""
        self._write_journal(None)


class JournalLedger:
    """ports.MessageLedger in the journal: a row (`action`, "intended", key) before the message,
    (`action`, "sent", key) after; rows of older runs, "sent" only, still count."""

    def __init__(self, run: Run, action: str):
        self.run, self.action = run, action
        # intents this run wrote ahead, in one write for a batch (deliver_all): not yet sent, so
        # deliver_once sends them without asking the mailbox first, and writes no second intent
        self.ahead: set[str] = set()

    def _states(self, key: str) -> list[str]:
        return [
            str(r.get("outcome"))
            for r in self.run.edition.journal
            if str(r.get("action")) == self.action and str(r.get("detail")) == key
        ]

    def message_state(self, key: str) -> str | None:
        states = self._states(key)
        if "sent" in states:
            return "sent"
        return None if key in self.ahead or not states else "intended"

    def record_message(self, key: str, state: str) -> None:
        """ "intended" is written at once, even inside a tick (which otherwise holds its journal to the
        end): it must be stored before the message goes. Inside a tick an outcome ("sent", "listed")
        is held (Run.held_ledger) and written with the next journal write — the next message's
        intent or the tick's own row — so a tick of n messages makes n + 1 appends, not 2n. It
        counts in this run at once; a crash before it is written leaves "intended", which the next
        run resolves as it would after a crash just after the send (never sent twice)."""
        run = self.run
        if state == "intended" and key in self.ahead:
            return  # written with its batch (intend_all)
        row = run._journal_row(self.action, state, key)
        if state != "intended" and run.held_ledger is not None:
            run.held_ledger.append(row)
            run.edition.journal.append(row)
            self.ahead.discard(key)
            return
        run._write_journal(row)
        self.ahead.discard(key)

    def intend_all(self, keys: list[str]) -> None:
        """The intents of a batch in ONE journal write (with the held ledger rows before them)."""
        run = self.run
        run._write_journal_rows([run._journal_row(self.action, "intended", key) for key in keys])
        self.ahead.update(keys)


@dataclass(frozen=True)
class Outgoing:
    """One message to a person: its ledger key, how to send it (False: this backend cannot mail)
    and how to ask the mailbox whether it went (None: the mailbox cannot tell)."""

    key: str
    send: Callable[[], bool]
    delivered: Callable[[], bool | None]


def deliver_all(run: Run, action: str, messages: list[Outgoing], not_sent: str | None = None) -> dict[str, str]:
    """Send a job's messages, each exactly once (ports.deliver_once); the outcome of each key. A
    message the backend cannot mail ("not-sent") is recorded as `not_sent` when given ("listed").

    Where the mailbox can tell whether a message went (Gmail's lookup by Message-ID, the outbox's
    .eml), the intents of all messages never recorded are written ahead in ONE journal write and
    the outcomes ("sent") are held and written with the next journal write: a batch of n messages
    costs one write, not n. A crash after the intents, k of n sent, leaves n "intended" rows; the
    next run asks the mailbox about each and sends exactly the n - k that did not go. Where the
    mailbox cannot tell (Gmail without gmail.readonly, Gmail off), an intent written ahead could
    never be resolved, so each message's intent is written just before it goes, as before: a crash
    loses at most the one message that was being sent and doubles none. To learn which case this
    is, the mailbox is asked about the first message not yet recorded as sent (an answer that also
    resolves it, if a crash left it "intended"); a batch of one message is sent as before."""
    ledger = JournalLedger(run, action)
    outcomes: dict[str, str] = {}
    states = {m.key: ledger.message_state(m.key) for m in messages}
    fresh = [key for key, state in states.items() if state is None]
    unsettled = [key for key, state in states.items() if state != "sent"]  # to send, or to ask about
    answers: dict[str, bool | None] = {}  # the probe's answer, not asked again
    told: bool | None = None
    if len(unsettled) > 1:
        probe = next(m for m in messages if m.key == unsettled[0])
        try:
            told = answers[probe.key] = probe.delivered()  # can the mailbox tell? (did this one go?)
        except BackendError:  # not now: one intent a message, as where it cannot tell
            told = None
    held = run.held_ledger
    if told is not None and held is None:  # outside a tick: the batch's outcomes held to its end
        run.held_ledger = []
    try:
        if told and unsettled[0] in fresh:  # in the mailbox, though never recorded: it went
            ledger.record_message(unsettled[0], "sent")
            outcomes[unsettled[0]] = "recovered"
        ahead = [key for key in fresh if key not in outcomes]
        if told is not None and ahead:
            ledger.intend_all(ahead)
        for m in messages:  # a key twice: sent once, "already" the second time
            if m.key not in outcomes:
                asked = partial(answers.pop, m.key) if m.key in answers else m.delivered
                outcomes[m.key] = deliver_once(ledger, m.key, m.send, asked)
                if outcomes[m.key] == "not-sent" and not_sent:
                    ledger.record_message(m.key, not_sent)
    except Exception:
        if told is not None and held is None:
            try:  # what went, said now if the store still answers; else the rows stay "intended"
                run.flush_ledger()
            except Exception:  # the job's own failure is what is raised
                pass
        raise
    else:
        if told is not None and held is None:  # the held outcomes go in now, in one write
            run.flush_ledger()
    finally:  # a crash (BaseException) writes nothing more: the next run asks the mailbox
        if told is not None and held is None:
            run.held_ledger = None
    return outcomes


def fmt_date(moment: datetime | None, config: Config) -> str:
    return moment.astimezone(config.zone).strftime("%d.%m.%Y") if moment else ""


def fmt_time(moment: datetime | None, config: Config) -> str:
    return moment.astimezone(config.zone).strftime("%d.%m.%Y %H:%M") if moment else ""


STAGE_TITLE_KEYS = {1: "doc_stage_1", 2: "doc_stage_2", 3: "doc_stage_3"}


def stage_title(stage: int, lang: str) -> str:
    """ "I кезең — кафедра" / "I этап — кафедра": the stage as documents and notifications name it."""
    from pipelines import i18n

    return i18n.text(STAGE_TITLE_KEYS[stage], lang)


def common_context(config: Config, doc_date: str) -> dict[str, Any]:
    return {
        "lang": config.language,
        "edition_name": config.edition_name(),
        "year": config.edition.year,
        "doc_date": doc_date,
        "regulation": REGULATION,
    }


def rendered(kind: str, lang: str, context: dict[str, Any]) -> tuple[str, Callable[[], bytes]]:
    """(source digest, render) for Drive.put: a document made from the same template and context
    is recognised without rendering it again."""
    from pipelines import documents

    source = hashlib.sha256(
        json.dumps(
            [kind, lang, documents.template_digest(kind, lang), context],  # raises: template missing
            ensure_ascii=False,
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()
    return source, lambda: documents.render(kind, lang, context)
