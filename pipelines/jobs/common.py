"""What every job shares: the run context, the journal, progress, the edition's keys and texts."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from pipelines.bulk import collector_paused
from pipelines.config import Config
from pipelines.domain.state import EditionState, JournalEntry
from pipelines.formats.tables import Tables
from pipelines.jobs import edition as store
from pipelines.ports import BackendError, Workspace, deliver_once, ledger_state

T = TypeVar("T")
Progress = Callable[[str, int], Callable[[], None]]  # (label, total) -> advance()

REGULATION = "АТУ-ЖИЦДО-ІӘЕ-7.5.1-2025-04"


def no_progress(label: str, total: int) -> Callable[[], None]:
    return lambda: None


class ReadCache:
    """Reads shared within one unit of work: while a tick runs, each open sheet is read once (the
    reminders and the progress tab ask for the same sheets; jobs/sheets.py live_assignment).
    Outside `shared()` every read is fresh."""

    def __init__(self) -> None:
        self._reads: dict[tuple[Any, ...], Any] | None = None

    @contextmanager
    def shared(self) -> Iterator[None]:
        outer = self._reads is not None
        if not outer:
            self._reads = {}
        try:
            yield
        finally:
            if not outer:
                self._reads = None

    def get(self, key: tuple[Any, ...], read: Callable[[], T]) -> T:
        if self._reads is None:
            return read()
        if key not in self._reads:
            self._reads[key] = read()
        return self._reads[key]


@dataclass
class Run:
    """One job's context: its config, workspace, time and output; the edition read once
    (`edition`), the journal's unit of work (`journal`) and the reads a tick shares (`reads`)."""

    config: Config
    workspace: Workspace
    now: datetime
    progress: Progress = no_progress
    messages: list[str] = field(default_factory=list)
    # what CDB must see even under -q (cron's log): said on stderr (`warn`)
    warnings: list[str] = field(default_factory=list)
    loaded: store.Edition | None = field(default=None, repr=False)  # read once, on first use
    # The rating sheets this run created (and filled and shared): what they hold is what was written
    # until someone types; the progress tab then needs not read them (jobs/status.py).
    made_sheets: set[str] = field(default_factory=set, repr=False)
    reads: ReadCache = field(default_factory=ReadCache, repr=False)
    journal: JournalWriter = field(init=False, repr=False)
    changed: set[str] = field(default_factory=set, repr=False)  # the tables this run's commits changed
    # the holder of the edition's lease while this run holds it (jobs/tick.py edition_lease): taken
    # once, by the command (every writing job) or the tick, whichever comes first
    lease: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.journal = JournalWriter(self)
        self.workspace.act_at(self.now)

    @property
    def tables(self) -> Tables:
        return Tables(self.workspace.control, self.config.language, keep=self.keep_whole)

    def keep_whole(self, text: str) -> str:
        """A text no cell can hold, kept whole as a .txt on the edition's drive (named by its
        content: written once); returns where (issue 13 item 5)."""
        from pipelines.formats.digest import content_digest
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
            changed = store.save(self.tables, self.loaded, self.lang)
        self.changed.update(changed)
        return changed

    def settle(self) -> None:
        """The end of a job: rows the store holds aside (the local journal's pending log) go into
        its tables, so a person opening them sees every row. Inside a journal batch (a tick): at
        the batch's end."""
        if not self.journal.batching:
            self.tables.store.settle()

    @property
    def lang(self) -> str:
        return self.config.language

    @property
    def edition_key(self) -> str:
        return self.config.edition_key

    def say(self, message: str) -> None:
        self.messages.append(message)

    def warn(self, message: str) -> None:
        """A line CDB must act on, shown even under -q (on stderr): e.g. what intake's close waits for."""
        self.warnings.append(message)

    def each(self, label: str, items: Iterable[T]) -> Iterable[T]:
        items = list(items)
        advance = self.progress(label, len(items))
        for item in items:
            yield item
            advance()


class JournalWriter:
    """The journal's unit of work. `run.journal(action, outcome, detail)` records a job's entry
    (one append, then the store settles). `with run.journal.batch():` holds the message ledger's
    outcomes ("sent", "listed") and writes them with the next journal write, at the latest once on
    leaving the batch: a batch of n messages costs one write, not n. `with run.journal.folded() as
    jobs:` collects the jobs' entries instead, for one row that holds them (the tick's)."""

    def __init__(self, run: Run):
        self._run = run
        self._held: list[JournalEntry] | None = None  # inside a batch: outcomes not yet written
        self._folded: list[dict[str, Any]] | None = None  # inside folded(): the jobs' entries

    @property
    def batching(self) -> bool:
        return self._held is not None

    @property
    def folding(self) -> list[dict[str, Any]]:
        """The entries folded so far (inside `folded()`: this tick's jobs, not yet written)."""
        return list(self._folded or [])

    def __call__(self, action: str, outcome: str, detail: dict[str, Any] | str = "") -> None:
        if self._folded is not None:
            self._folded.append({"action": action, "outcome": outcome, "detail": detail})
            return
        self.write([self.entry(action, outcome, detail)])
        self._run.settle()  # a job's own row ends its work: the ledger rows before it go in with it

    def entry(self, action: str, outcome: str, detail: dict[str, Any] | str = "") -> JournalEntry:
        text = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False, sort_keys=True)
        return JournalEntry(
            at=datetime.now(UTC).astimezone(self._run.config.zone).isoformat(timespec="seconds"),
            now=self._run.now.isoformat(timespec="seconds"),
            action=action,
            outcome=outcome,
            detail=text,
        )

    def write(self, entries: list[JournalEntry]) -> None:
        """`entries` appended to the journal after the outcomes held so far: one store call."""
        held = self._held or []
        if not entries and not held:
            return
        store.append_journal(self._run.tables, [*held, *entries])
        held.clear()
        if self._run.loaded is not None:
            self._run.loaded.journal.extend(entries)

    def hold(self, entry: JournalEntry) -> None:
        """A message's outcome: inside a batch written with the next journal write (it counts in
        this run at once); outside, written now."""
        if self._held is None:
            self.write([entry])
            return
        self._held.append(entry)
        self._run.edition.journal.append(entry)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Hold the outcomes until the batch ends (a batch inside a batch: the outer one writes).
        On an error the outcomes held are written if the store still answers (the error is what is
        raised); a crash (BaseException) writes nothing more: those messages stay "intended" and
        the next run asks the mailbox (ports.deliver_once)."""
        if self._held is not None:
            yield
            return
        self._held = []
        try:
            yield
        except Exception:
            try:
                self.write([])
            except Exception:  # the job's own failure is what is raised
                pass
            raise
        else:
            self.write([])
        finally:
            self._held = None

    @contextmanager
    def folded(self) -> Iterator[list[dict[str, Any]]]:
        """The entries recorded inside, collected (not written) into the list given."""
        outer, self._folded = self._folded, []
        try:
            yield self._folded
        finally:
            self._folded = outer


class JournalLedger:
    """ports.MessageLedger in the journal: a row (`action`, "intended", key) before the message,
    (`action`, "sent", key) after; rows of older runs, "sent" only, still count."""

    def __init__(self, run: Run, action: str):
        self.run, self.action = run, action
        # intents this run wrote ahead, in one write for a batch (deliver_all): not yet sent, so
        # deliver_once sends them without asking the mailbox first, and writes no second intent
        self.ahead: set[str] = set()

    def message_state(self, key: str) -> str | None:
        states = self.run.edition.journal.outcomes(self.action, key)  # indexed: flat per message
        state = ledger_state(states)
        return None if key in self.ahead and state == "intended" else state

    def record_message(self, key: str, state: str) -> None:
        """ "intended" is written at once, even inside a batch: it must be stored before the message
        goes. Inside a batch (deliver_all, a tick) an outcome ("sent", "listed") is held and written
        with the next journal write — the next message's intent or the batch's end — so n messages
        make n + 1 appends at most, not 2n. It counts in this run at once; a crash before it is
        written leaves "intended", which the next run resolves as it would after a crash just after
        the send (never sent twice)."""
        journal = self.run.journal
        if state == "intended" and key in self.ahead:
            return  # written with its batch (intend_all)
        entry = journal.entry(self.action, state, key)
        if state == "intended":
            journal.write([entry])
        else:
            journal.hold(entry)
        self.ahead.discard(key)

    def intend_all(self, keys: list[str]) -> None:
        """The intents of a batch in ONE journal write (with the held outcomes before them)."""
        journal = self.run.journal
        journal.write([journal.entry(self.action, "intended", key) for key in keys])
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
    # where the mailbox can tell, the outcomes are held to the batch's end (common.JournalWriter.batch)
    with run.journal.batch() if told is not None else nullcontext():
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
    from pipelines.formats import documents

    source = hashlib.sha256(
        json.dumps(
            [kind, lang, documents.template_digest(kind, lang), context],  # raises: template missing
            ensure_ascii=False,
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()
    return source, lambda: documents.render(kind, lang, context)
