"""The contest's vocabulary: plain data, no I/O.

Rules live in the sibling modules (intake, assignment, scoring, calendar), one function per rule.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any


class Status(str, Enum):
    """Where an application stands in the registry."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # an earlier submission of the same DER (kept, never deleted)
    DISQUALIFIED = "disqualified"  # 9.10, by a recorded decision
    # needs CDB: what only CDB's config can settle (a unit no spelling matches, a link off the
    # allowed platforms, an on-time DER that came in after stage 1 opened); nobody is told until then
    HELD = "held"


@dataclass(frozen=True, init=False)
class Notice:
    """Something to tell people, as facts: a message key and its values (numbers, ids, names,
    dates as printed). It is worded in Kazakh or Russian only when shown (`i18n.word`, from the
    `cli:` texts of sheets_schema/messages.yaml) and stored as key and values, never as a sentence.
    A value may itself be a Notice, or a list of them (worded first, a list joined by "; ")."""

    key: str
    values: Mapping[str, Any]

    def __init__(self, key: str, values: Mapping[str, Any] | None = None, /, **more: Any):
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "values", {**(values or {}), **more})

    def __hash__(self) -> int:
        return hash((self.key, tuple(sorted((k, repr(v)) for k, v in self.values.items()))))

    def __str__(self) -> str:  # for logs and test failures: the key and its values, no wording
        return f"{self.key} {json.dumps(self.as_dict()['values'], ensure_ascii=False, sort_keys=True, default=str)}"

    def as_dict(self) -> dict[str, Any]:
        """{"key", "values"}: JSON-ready (a Notice value nested as its own dict)."""
        return {"key": self.key, "values": {k: _plain(v) for k, v in self.values.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Notice:
        values = data.get("values") or {}
        return cls(str(data.get("key") or ""), {k: _notices(v) for k, v in values.items()})

    def to_json(self) -> str:
        """The notice as a table cell keeps it: {"key": …, "values": {…}}."""
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: Any) -> Notice:
        """A notice back from its cell; a cell an older version wrote as a sentence is kept as written."""
        raw = str(text or "").strip()
        if raw.startswith("{"):
            try:
                data = json.loads(raw)
            except ValueError:
                data = None
            if isinstance(data, dict) and isinstance(data.get("key"), str) and data["key"]:
                return cls.from_dict(data)
        return cls.as_written(raw)

    @classmethod
    def as_written(cls, text: str) -> Notice:
        """A text stored before notices were (an older edition's row): shown as it was written."""
        return cls(AS_WRITTEN, text=text)


def _plain(value: Any) -> Any:
    if isinstance(value, Notice):
        return value.as_dict()
    return [_plain(v) for v in value] if isinstance(value, (list, tuple)) else value


def _notices(value: Any) -> Any:
    if isinstance(value, dict) and "key" in value:
        return Notice.from_dict(value)
    return [_notices(v) for v in value] if isinstance(value, list) else value


AS_WRITTEN = "as_written"  # the one key whose wording is its value, for rows an older version stored


@dataclass(frozen=True)
class Reason:
    """Why a rule fired: the rule's name, the clause it applies and what it found."""

    rule: str
    clause: str
    notice: Notice

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "clause": self.clause, **self.notice.as_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reason:
        return cls(str(data.get("rule") or ""), str(data.get("clause") or ""), Notice.from_dict(data))


@dataclass(frozen=True)
class Author:
    name: str
    position: str = ""
    contact: str = ""


@dataclass
class RawResponse:
    """One form response exactly as the source gave it (header -> raw text)."""

    row_key: str  # stable key of this response: Forms responseId, or sheet/CSV row identity
    row_number: int  # 1-based data row in the export (for messages); 0 when not from a table
    answers: dict[str, str]
    source: str = ""  # file name, sheet id or form id, for messages
    # the zone of its times written without an offset: a linked response sheet's own
    # (properties.timeZone); "" = the config's
    time_zone: str = ""


@dataclass
class Response:
    """A response mapped to form 01 fields. Unparseable values stay as raw text in `raw`."""

    row_key: str
    row_number: int
    submitted_at: datetime | None
    respondent_email: str
    faculty: str
    department: str
    title: str
    authors: list[Author]
    authors_raw: str
    languages: list[str]  # as typed; checked by the language rule
    der_type: str
    justification: str
    link: str
    act_files: list[str]
    certificate_files: list[str]
    raw: dict[str, str]
    problems: list[Reason] = field(default_factory=list)  # a row that could not be mapped at all
    submitted_text: str = ""  # the submission time as the source wrote it (kept when unreadable)


@dataclass(frozen=True)
class Application:
    """One response after the intake rules: the registry's row (registry.py maps one to the other).
    Frozen: a decision that changes it makes a new one (dataclasses.replace)."""

    id: str  # stable DER id, e.g. DER-7K2QF9
    response: Response
    status: Status
    reasons: list[Reason]
    faculty_id: str | None = None
    department_id: str | None = None
    matched: dict[str, str] = field(default_factory=dict)  # what spellings matched, for the record
    superseded_by: str | None = None  # row_key of the response that counts instead
    # the registry's note on characters no cell can hold, made when the row was first written (the
    # cells read back no longer hold them)
    cell_notes: str = ""

    @property
    def title(self) -> str:
        return self.response.title

    @property
    def accepted(self) -> bool:
        return self.status is Status.ACCEPTED


@dataclass(frozen=True)
class Expert:
    name: str
    email: str
    department: str | None = None  # department id
    conflicts: tuple[str, ...] = ()  # DER ids, titles or author names/emails declared by the expert


@dataclass(frozen=True)
class Group:
    """The unit a stage ranks in: a department (stage 1), a faculty (2), the university (3)."""

    stage: int
    id: str
    name: str
    experts: tuple[Expert, ...]


@dataclass
class Assignment:
    """Who rates which DERs in one group of one stage, and the sheet they rate them in."""

    stage: int
    group: str
    expert: Expert
    application_ids: list[str]
    sheet_id: str = ""  # local: path in the workspace; google: spreadsheet id
    sheet_url: str = ""


@dataclass
class ScoreCell:
    """A raw cell as read back from a rating sheet: what the expert left there."""

    value: Any
    formula: str | None = None
    a1: str = ""


@dataclass
class Problem:
    """A validation problem in a rating sheet, naming expert, DER and cell."""

    expert: str
    application_id: str | None
    cell: str
    notice: Notice
    raw: Any = None

    def __str__(self) -> str:
        der = self.application_id or "-"
        return f"{self.expert} / {der} / {self.cell}: {self.notice}"


@dataclass
class Rating:
    """One expert's valid scores for one DER (complete when every criterion is scored)."""

    expert_email: str
    application_id: str
    scores: dict[str, int | None]
    comment: str = ""
    raw: dict[str, Any] = field(default_factory=dict)
    recused: bool = False  # the expert marked "I do not rate this" (conflict of interest, 13): never counted

    @property
    def complete(self) -> bool:
        return all(v is not None for v in self.scores.values())

    @property
    def total(self) -> int | None:
        return sum(self.scores.values()) if self.complete else None  # type: ignore[arg-type]


@dataclass
class Standing:
    """A DER's aggregate within its group at one stage."""

    application_id: str
    score: float | None
    raters: int
    criterion_means: dict[str, float]
    rank: int | None = None
    selected: bool = False
    tied_at_cutoff: bool = False


@dataclass
class Decision:
    """A recorded commission decision from the config (who, when, why)."""

    kind: str  # tie_break | close_incomplete | disqualify | reinstate | replace
    stage: int | None
    group: str | None
    applications: list[str]
    by: str
    at: datetime
    reason: str
    order: list[str] = field(default_factory=list)
    replacement: str = ""  # replace: the DER that takes the disqualified one's place ("" = the ranking's next)


@dataclass
class StageOutcome:
    """What closing one group of one stage decided."""

    stage: int
    group: str
    standings: list[Standing]
    selected: list[str]
    ties: list[list[str]]
    problems: list[Problem]
    waiting: list[Notice]  # why the group cannot close yet (ties, missing ratings)
    decisions: list[Decision] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.waiting
