"""What every job shares: the run context, the journal, progress, the edition's keys and texts."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from pipelines.config import Config
from pipelines.domain.state import EditionState
from pipelines.jobs import edition as store
from pipelines.ports import Workspace
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
        return store.save(self.tables, self.loaded, self.lang) if self.loaded is not None else []

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
        rows = list(self.held_ledger or []) + ([row] if row is not None else [])
        if not rows:
            return
        self.tables.append("journal", rows)
        if self.held_ledger:
            self.held_ledger.clear()
        if row is not None and self.loaded is not None:
            self.loaded.journal.append(row)

    def flush_ledger(self) -> None:
        """Write the held ledger rows now (the end of a tick, whatever happened in it)."""
        self._write_journal(None)


class JournalLedger:
    """ports.MessageLedger in the journal: a row (`action`, "intended", key) before the message,
    (`action`, "sent", key) after; rows of older runs, "sent" only, still count."""

    def __init__(self, run: Run, action: str):
        self.run, self.action = run, action

    def message_state(self, key: str) -> str | None:
        states = [
            str(r.get("outcome"))
            for r in self.run.edition.journal
            if str(r.get("action")) == self.action and str(r.get("detail")) == key
        ]
        return "sent" if "sent" in states else ("intended" if states else None)

    def record_message(self, key: str, state: str) -> None:
        """ "intended" is written at once, even inside a tick (which otherwise holds its journal to the
        end): it must be stored before the message goes. Inside a tick an outcome ("sent", "listed")
        is held (Run.held_ledger) and written with the next journal write — the next message's
        intent or the tick's own row — so a tick of n messages makes n + 1 appends, not 2n. It
        counts in this run at once; a crash before it is written leaves "intended", which the next
        run resolves as it would after a crash just after the send (never sent twice)."""
        run = self.run
        row = run._journal_row(self.action, state, key)
        if state != "intended" and run.held_ledger is not None:
            run.held_ledger.append(row)
            run.edition.journal.append(row)
            return
        run._write_journal(row)


def fmt_date(moment: datetime | None, config: Config) -> str:
    return moment.astimezone(config.zone).strftime("%d.%m.%Y") if moment else ""


def fmt_time(moment: datetime | None, config: Config) -> str:
    return moment.astimezone(config.zone).strftime("%d.%m.%Y %H:%M") if moment else ""


def fmt_score(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}".rstrip("0").rstrip(".")


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
    from pipelines.digest import content_digest

    template = documents.template_path(kind, lang)
    if not template.exists():
        raise documents.DocumentError(
            f"template {template} is missing: restore it from the repository "
            f"or set CONTEST_TEMPLATES to a folder that has it"
        )
    source = hashlib.sha256(
        json.dumps(
            [kind, lang, content_digest(template.read_bytes()), context],
            ensure_ascii=False,
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()
    return source, lambda: documents.render(kind, lang, context)
