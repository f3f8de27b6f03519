"""The edition's state as one typed value: what the control store holds, loaded once per run.

Jobs change it in memory and the store writes it back once at the end of the job. Pure: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from functools import cached_property
from typing import Any

from pipelines.domain.models import Application, Assignment, Notice, Problem, Rating, StageOutcome, Status

INTAKE = 0  # the intake's record among the stages


class StageState(str, Enum):
    """Where a stage stands (9.4): not yet opened, open for rating, waiting for a decision, closed."""

    PENDING = "pending"
    OPEN = "open"
    WAITING = "waiting"  # closed at its deadline but a tie or missing ratings keep it from deciding
    CLOSED = "closed"

    @classmethod
    def parse(cls, text: object) -> StageState:
        value = str(text or "").strip().lower()
        return cls(value) if value in cls._value2member_map_ else cls.PENDING


@dataclass
class StageRecord:
    """One stage's (or the intake's) record: its state and when it changed."""

    number: int
    state: StageState = StageState.PENDING
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    deadline: datetime | None = None  # the deadline its last close ran against
    note: str = ""


Key = tuple[int, str]  # (stage, group)


@dataclass
class FreezeEdit:
    """A frozen rating sheet found changed after its freeze (issue 10 item 5): when it was first
    seen, whose sheet, its revision and what changed. Shown in status, the journal and the protocol
    annex; the scores used stay the frozen ones."""

    detected_at: datetime | None
    stage: int
    group: str
    expert: str
    sheet: str
    revision: str  # Google: the file's modifiedTime; local: the changed file's SHA-256 (short)
    changes: str  # "DER-0001 / c2: 8 → 2; …", or what the store said when no cell could be compared
    notice: Notice = field(default_factory=lambda: Notice("why_edited_after_freeze"))  # what the store found

    @property
    def seen_as(self) -> tuple[str, str]:
        """Two detections of one sheet are one edit while what changed stays the same."""
        return self.sheet, self.changes or self.revision


def rating_changes(before: list[Rating], after: list[Rating]) -> list[tuple[str, str, object, object]]:
    """(DER id, criterion key or "comment"/"recused", frozen value, value now) for every value that
    differs between the ratings a close used and those read from the sheet since."""
    old = {r.application_id: r for r in before}
    new = {r.application_id: r for r in after}
    out: list[tuple[str, str, object, object]] = []
    for app_id in sorted(set(old) | set(new)):
        a, b = old.get(app_id), new.get(app_id)
        held_a = {k: (v if v is not None else a.raw.get(k)) for k, v in a.scores.items()} if a else {}
        held_b = {k: (v if v is not None else b.raw.get(k)) for k, v in b.scores.items()} if b else {}
        for key in list(dict.fromkeys([*held_a, *held_b])):
            if held_a.get(key) != held_b.get(key):
                out.append((app_id, key, held_a.get(key), held_b.get(key)))
        for key in ("comment", "recused"):
            va, vb = (getattr(a, key) if a else None), (getattr(b, key) if b else None)
            if (va or None) != (vb or None):
                out.append((app_id, key, va, vb))
    return out


@dataclass
class EditionState:
    """Applications, the stages, who rates what, the ratings read at each close and what each
    group decided."""

    applications: list[Application] = field(default_factory=list)  # every registry row, superseded too
    stages: dict[int, StageRecord] = field(default_factory=dict)
    assignments: list[Assignment] = field(default_factory=list)
    ratings: dict[Key, list[Rating]] = field(default_factory=dict)
    problems: dict[Key, list[Problem]] = field(default_factory=dict)
    outcomes: dict[Key, StageOutcome] = field(default_factory=dict)
    freeze_edits: list[FreezeEdit] = field(default_factory=list)  # edits after a freeze, as detected
    # counting()'s answer and the list it was made from (a new or longer list makes it again)
    _counting: tuple[list[Application], int, dict[str, Application]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def note_freeze_edits(self, found: list[FreezeEdit]) -> list[FreezeEdit]:
        """Record the edits not seen before (the same sheet with the same change is one edit, first
        seen when it was first detected); returns the new ones."""
        latest = {e.sheet: e.seen_as for e in self.freeze_edits}
        new = [e for e in found if latest.get(e.sheet) != e.seen_as]
        self.freeze_edits.extend(new)
        return new

    def stage(self, number: int) -> StageRecord:
        """The stage's record; a pending one (not stored) when it has none yet."""
        return self.stages.get(number) or StageRecord(number)

    def counting(self) -> dict[str, Application]:
        """The application that counts for each DER id (its latest submission, 9.8), not superseded.
        Made once per list of applications (it is asked per sheet read and per document: made each
        time, it grew with the square of the edition); shared, so read it, never change it. Applications are frozen and the list is
        only ever replaced whole (jobs/intake.py), so the list's identity and length tell a change."""
        held = self._counting
        if held is None or held[0] is not self.applications or held[1] != len(self.applications):
            out: dict[str, Application] = {}
            for app in self.applications:
                if app.status is not Status.SUPERSEDED and app.id:  # a row a person left without an id counts for none
                    out.setdefault(app.id, app)
            held = self._counting = (self.applications, len(self.applications), out)
        return held[2]

    def outcomes_of(self, stage: int) -> list[StageOutcome]:
        return [o for (s, _g), o in sorted(self.outcomes.items()) if s == stage]

    def selected_at(self, stage: int) -> list[str]:
        return [i for o in self.outcomes_of(stage) for i in o.selected]

    def candidates(self, stage: int) -> list[Application]:
        """Stage 1 takes every accepted DER; later stages only those selected at the stage before (9.4)."""
        apps = self.counting()
        if stage == 1:
            return [a for a in apps.values() if a.status is Status.ACCEPTED]
        return [apps[i] for i in self.selected_at(stage - 1) if i in apps and apps[i].status is Status.ACCEPTED]

    def sheets(self, stage: int) -> list[Assignment]:
        return [a for a in self.assignments if a.stage == stage]

    def replace_stage(
        self,
        stage: int,
        *,
        assignments: list[Assignment] | None = None,
        ratings: dict[Key, list[Rating]] | None = None,
        problems: dict[Key, list[Problem]] | None = None,
        outcomes: dict[Key, StageOutcome] | None = None,
    ) -> None:
        """Put one stage's rows in place of the ones it had, keeping the other stages' as they are."""
        if assignments is not None:
            self.assignments = [a for a in self.assignments if a.stage != stage] + assignments
        for name, new in (("ratings", ratings), ("problems", problems), ("outcomes", outcomes)):
            if new is None:
                continue
            kept = {k: v for k, v in getattr(self, name).items() if k[0] != stage}
            setattr(self, name, kept | new)


# --- the progress tab ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProgressRow:
    """One expert's sheet at a stage as the progress tab saw it: DERs assigned and fully scored,
    when a change was last seen, its problems (`problem_detail`, in the edition's language), the
    stage's deadline and ties waiting, and what was read (`seen`, a digest of the content;
    `sheet_version`, the sheet's stamp) so an untouched sheet is not read again. A count is None
    where a person typed over it: such a row is not trusted (`counts_trusted`)."""

    stage: int
    group: str
    expert_email: str
    expert_name: str
    assigned: int | None
    scored: int | None
    last_change: str = ""  # ISO moment, "" while nothing was typed
    problems: int | None = 0
    problem_detail: str = ""
    deadline: str = ""  # ISO moment, "" once the stage is closed
    ties_waiting: str = ""
    seen: str = ""
    sheet_version: str = ""

    @property
    def key(self) -> tuple[int, str, str]:
        return self.stage, self.group, self.expert_email

    @property
    def percent(self) -> int | None:
        if self.assigned is None or self.scored is None:
            return None
        return round(100 * self.scored / self.assigned) if self.assigned else 100

    @property
    def counts_trusted(self) -> bool:
        """The counts are the pipeline's own: whole numbers, scored within assigned."""
        return (
            self.assigned is not None
            and self.scored is not None
            and self.problems is not None
            and 0 <= self.scored <= self.assigned
        )


# --- the journal ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class JournalEntry:
    """One row of the journal: when (`at` the clock's, `now` the run's), what, with what outcome.
    A message's ledger rows are entries too: `detail` is the message's key."""

    at: str
    now: str
    action: str
    outcome: str
    detail: str = ""  # text, or a JSON object

    @cached_property
    def folded(self) -> list[dict[str, Any]]:
        """The entries of the jobs a tick ran, folded into its own row's detail ({"jobs": […]})."""
        if self.action != "tick" or not self.detail.startswith("{"):
            return []
        try:
            jobs = json.loads(self.detail).get("jobs", [])
        except (ValueError, AttributeError):
            return []
        return [j for j in jobs if isinstance(j, dict)] if isinstance(jobs, list) else []


class Journal:
    """The journal's entries in order, indexed by (action, detail): a message's outcomes are found
    without reading the whole journal, so the cost per message stays flat as the edition grows."""

    def __init__(self, entries: Iterable[JournalEntry] = ()):
        self._entries: list[JournalEntry] = []
        self._outcomes: dict[tuple[str, str], list[str]] = {}
        self._first: dict[tuple[str, str], JournalEntry] = {}
        # action -> (outcome, detail, the run's `now`) of its own rows and of the jobs folded into a
        # tick's row, in order: a job's history without reading every tick's row at every tick
        self._rows: dict[str, list[tuple[str, str, str]]] = {}
        self.extend(entries)

    def append(self, entry: JournalEntry) -> None:
        self._entries.append(entry)
        self._outcomes.setdefault((entry.action, entry.detail), []).append(entry.outcome)
        self._first.setdefault((entry.action, entry.detail), entry)
        self._rows.setdefault(entry.action, []).append((entry.outcome, entry.detail, entry.now))
        for job in entry.folded:
            row = (str(job.get("outcome")), str(job.get("detail")), entry.now)
            self._rows.setdefault(str(job.get("action")), []).append(row)

    def rows(self, action: str) -> list[tuple[str, str, str]]:
        """(outcome, detail, the run's `now`) of every entry of `action`, its own rows and those a
        tick folded into its row, oldest first."""
        return list(self._rows.get(action, ()))

    def first(self, action: str, detail: str) -> JournalEntry | None:
        """The oldest entry recorded for (action, detail), found by the index."""
        return self._first.get((action, detail))

    def extend(self, entries: Iterable[JournalEntry]) -> None:
        for entry in entries:
            self.append(entry)

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index: int) -> JournalEntry:
        return self._entries[index]

    def outcomes(self, action: str, detail: str) -> list[str]:
        """The outcomes recorded for (action, detail), oldest first: a message's ledger states."""
        return list(self._outcomes.get((action, detail), ()))

    def ledgers(self, actions: Iterable[str]) -> Iterator[tuple[str, str, list[str]]]:
        """(action, detail, outcomes oldest first) of every message recorded under `actions`."""
        wanted = set(actions)
        for (action, detail), seen in self._outcomes.items():
            if action in wanted:
                yield action, detail, list(seen)

    def details(self, action: str, outcomes: Iterable[str]) -> set[str]:
        """The details of `action`'s entries with one of `outcomes`, its own rows and those a tick
        folded into its row: the messages already sent."""
        wanted = set(outcomes)
        return {detail for outcome, detail, _now in self._rows.get(action, ()) if outcome in wanted}
