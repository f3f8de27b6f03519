"""The edition's state in and out of the control tables: read once per run, written once per job.

This is the one place that knows how the typed state (domain/state.py) sits in the tables: one
mapper per table (row dict <-> record): the registry (registry.py), stages, assignments, ratings,
problems, results, freeze edits, the journal and the progress tab. Jobs never read or write a tab
themselves.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipelines import i18n
from pipelines.bulk import collector_paused
from pipelines.domain.models import (
    AS_WRITTEN,
    Application,
    Assignment,
    Expert,
    Notice,
    Problem,
    Rating,
    StageOutcome,
    Standing,
)
from pipelines.domain.state import (
    EditionState,
    FreezeEdit,
    Journal,
    JournalEntry,
    Key,
    ProgressRow,
    StageRecord,
    StageState,
)
from pipelines.formats.registry import from_row, to_row
from pipelines.formats.tables import Tables
from pipelines.ports import BackendError

STATE_TABLES = ("registry", "stages", "assignments", "ratings", "problems", "results")


@dataclass
class Edition:
    """What the control store holds for the edition: the typed state, the journal (read once, then
    appended to) and the "progress" tab's rows (jobs/status.py)."""

    state: EditionState
    journal: Journal = field(default_factory=Journal)
    progress: list[ProgressRow] = field(default_factory=list)
    # what the tables hold, as `_fingerprint` of the state they were read from or last written from
    # (None: unknown, the next save writes): a save of the same state writes nothing
    written: tuple[bytes, ...] | None = field(default=None, repr=False, compare=False)


def _fingerprint(edition: Edition, lang: str) -> tuple[bytes, ...] | None:
    """Every value `save` writes, as bytes: equal bytes, equal tables. A copy, so a change made in
    place later still shows; pickling is a C loop over the state, a fraction of formatting it into
    rows (benchmarks/idle_ticks.py). Each table's part on its own: pickle writes an object shared
    twice once, so a part shares nothing with another to differ by (a part whose objects are shared
    otherwise than when read differs: written, the safe side). None when the state cannot be
    pickled: then it is written."""
    s = edition.state
    parts = (s.applications, s.stages, s.assignments, s.ratings, s.problems, s.outcomes, s.freeze_edits)
    try:
        return (lang.encode(), *(pickle.dumps(p, protocol=pickle.HIGHEST_PROTOCOL) for p in (*parts, edition.progress)))
    except Exception:  # noqa: BLE001 - whatever it was, writing it is the safe side
        return None


def load(tables: Tables) -> Edition:
    """Every table the jobs need, in one read of the control store."""
    edition, progress_rows = _load(tables)
    # tables under the other language's titles are written anew by the next save; so are tables
    # that hold nothing (perhaps not made yet: the first save makes them, as it always did)
    s = edition.state
    empty = not (s.applications or s.stages or s.assignments or s.ratings or s.outcomes or edition.progress)
    # the progress tab is anyone's to type over (never a stop): a cell typed over that is not read
    # back (a percent) is written anew, as every tick did
    typed = not _progress_as_written(progress_rows, edition.progress)
    edition.written = None if tables.foreign or empty or typed else _fingerprint(edition, tables.lang)
    return edition


def _load(tables: Tables) -> tuple[Edition, list[dict[str, Any]]]:
    """The edition parsed from its tables, and the progress tab's rows as read."""
    t = tables.read_all([*STATE_TABLES, "freeze_edits", "journal", "progress"])
    state = EditionState(
        applications=_applications(t["registry"]),
        stages=_stages(t["stages"]),
        assignments=_assignments(t["assignments"]),
        ratings=_ratings(t["ratings"]),
        problems=_problems(t["problems"]),
        outcomes=_outcomes(t["results"]),
        freeze_edits=_freeze_edits(t["freeze_edits"]),
    )
    journal = Journal(_journal_entry(r) for r in t["journal"])
    return Edition(state, journal=journal, progress=_progress(t["progress"])), t["progress"]


def save(tables: Tables, edition: Edition, lang: str) -> list[str]:
    """The state back into its tables in one write; returns the tables that changed. A state as
    the tables hold it already (read, or written, so) is not formatted again: nothing to write."""
    seen = _fingerprint(edition, lang)
    if seen is not None and seen == edition.written:
        return []
    changed = _write(tables, edition, lang)
    edition.written = seen
    return changed


def _write(tables: Tables, edition: Edition, lang: str) -> list[str]:
    s = edition.state
    titles = {i: a.title for i, a in s.counting().items()}
    experts = {a.expert.email: a.expert.name for a in s.assignments}
    progress = {"progress": [_progress_row(p) for p in edition.progress]} if edition.progress else {}  # first sheet
    if s.freeze_edits:  # the tab appears with the first edit after a freeze
        progress["freeze_edits"] = [_named(_freeze_edit_row(e), experts, titles) for e in s.freeze_edits]
    return tables.write(
        {
            "registry": [to_row(a, lang) for a in s.applications],
            "stages": [_stage_row(s.stages[n]) for n in sorted(s.stages)],
            "assignments": [
                {**_assignment_row(a), "titles": "\n".join(titles.get(i, "") for i in a.application_ids)}
                for a in sorted(s.assignments, key=lambda a: a.stage)
            ],
            "ratings": [_named(_rating_row(k, r), experts, titles) for k in sorted(s.ratings) for r in s.ratings[k]],
            "problems": [
                _named(_problem_row(k, p, lang), experts, titles) for k in sorted(s.problems) for p in s.problems[k]
            ],
            "results": [
                _named(row, experts, titles) for k in sorted(s.outcomes) for row in _result_rows(s.outcomes[k], lang)
            ],
            **progress,
        }
    )


def read_registry(tables: Tables) -> list[Application]:
    """The registry alone (a check that it can be read), through its mapper."""
    return _applications(tables.read("registry"))


def append_journal(tables: Tables, entries: list[JournalEntry]) -> None:
    """Entries appended to the journal table (it is only ever appended to)."""
    tables.append("journal", [_journal_row(e) for e in entries])


# --- registry and journal -----------------------------------------------------------------------------
def _applications(rows: list[dict[str, Any]]) -> list[Application]:
    with collector_paused():  # an Application per row, all kept (pipelines/bulk.py)
        return [from_row(r) for r in rows]


def _text(value: Any) -> str:
    if isinstance(value, datetime):  # a store that keeps moments as dates gives them back so
        return value.isoformat(timespec="seconds")
    return "" if value is None else str(value)


def _journal_entry(r: dict[str, Any]) -> JournalEntry:
    return JournalEntry(*(_text(r.get(k)) for k in ("at", "now", "action", "outcome", "detail")))


def _journal_row(e: JournalEntry) -> dict[str, Any]:
    return {"at": e.at, "now": e.now, "action": e.action, "outcome": e.outcome, "detail": e.detail}


def _named(row: dict[str, Any], experts: dict[str, str], titles: dict[str, str]) -> dict[str, Any]:
    """A row with the expert's name and the DER's title beside their ids, for the person reading
    the tab (never read back: the ids are what the state is rebuilt from)."""
    return {
        **row,
        "expert_name": experts.get(str(row.get("expert_email") or ""), ""),
        "title": titles.get(str(row.get("application_id") or ""), ""),
    }


# --- the progress tab ------------------------------------------------------------------------------
def _count(value: Any) -> int | None:
    """A count as the pipeline wrote it; None where a person typed something else over it."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():  # a store that keeps every number as a float
        return int(value)
    if isinstance(value, int):
        return value
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def _progress(rows: list[dict[str, Any]]) -> list[ProgressRow]:
    out = []
    for r in rows:
        try:
            stage = int(str(r.get("stage") or "").strip())
        except ValueError:
            continue  # no sheet to match: the tick writes the tab anew
        out.append(
            ProgressRow(
                stage,
                _text(r.get("group")),
                _text(r.get("expert_email")),
                _text(r.get("expert_name")),
                _count(r.get("assigned")),
                _count(r.get("scored")),
                _text(r.get("last_change")),
                _count(r.get("problems") or 0),
                _text(r.get("problem_detail")),
                _text(r.get("deadline")),
                _text(r.get("ties_waiting")),
                _text(r.get("seen")),
                _text(r.get("sheet_version")),
            )
        )
    return out


def _progress_as_written(rows: list[dict[str, Any]], progress: list[ProgressRow]) -> bool:
    """Whether the progress tab holds exactly what `save` writes for `progress`."""

    def text(value: Any) -> str:
        if isinstance(value, float) and value.is_integer():  # a store that keeps every number as a float
            value = int(value)
        return "yes" if value is True else "" if value is False else _text(value)

    wanted = [_progress_row(p) for p in progress]
    return len(rows) == len(wanted) and all(
        all(text(r.get(k)) == text(v) for k, v in w.items()) for r, w in zip(rows, wanted, strict=True)
    )


def _progress_row(p: ProgressRow) -> dict[str, Any]:
    def count(n: int | None) -> int | str:
        return "" if n is None else n

    return {
        "stage": p.stage,
        "group": p.group,
        "expert_name": p.expert_name,
        "expert_email": p.expert_email,
        "assigned": count(p.assigned),
        "scored": count(p.scored),
        "percent": count(p.percent),
        "last_change": p.last_change,
        "problems": count(p.problems),
        "problem_detail": p.problem_detail,
        "deadline": p.deadline,
        "ties_waiting": p.ties_waiting,
        "seen": p.seen,
        "sheet_version": p.sheet_version,
    }


# --- stages ----------------------------------------------------------------------------------------
def _time(value: Any) -> datetime | None:
    text = str(value or "").strip()
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def _iso(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


def _stages(rows: list[dict[str, Any]]) -> dict[int, StageRecord]:
    out = {}
    for r in rows:
        try:
            number = int(str(r.get("stage", "")).strip())
        except ValueError:
            continue
        state = str(r.get("state") or "").strip().lower()
        if state and state not in {s.value for s in StageState}:
            # never read as "pending" without a word (an accepted hand edit may hold anything)
            said = i18n.Said("stage_state_unknown", stage=number, value=r.get("state"))
            raise BackendError(str(said)) from said
        out[number] = StageRecord(
            number,
            StageState.parse(state),
            _time(r.get("opened_at")),
            _time(r.get("closed_at")),
            _time(r.get("deadline")),
            str(r.get("note") or ""),
        )
    return out


def _stage_row(s: StageRecord) -> dict[str, Any]:
    return {
        "stage": s.number,
        "state": "" if s.state is StageState.PENDING else s.state.value,
        "opened_at": _iso(s.opened_at),
        "closed_at": _iso(s.closed_at),
        "deadline": _iso(s.deadline),
        "note": s.note,
    }


# --- assignments -----------------------------------------------------------------------------------
def _ids(text: Any) -> list[str]:
    return [i.strip() for i in str(text or "").split(",") if i.strip()]


def _assignments(rows: list[dict[str, Any]]) -> list[Assignment]:
    out = []
    for r in rows:
        email = str(r.get("expert_email") or "")
        out.append(
            Assignment(
                int(r["stage"]),
                str(r["group"]),
                Expert(str(r.get("expert_name") or email), email),
                _ids(r.get("application_ids")),
                str(r.get("sheet_id") or ""),
                str(r.get("sheet_url") or ""),
            )
        )
    return out


def _assignment_row(a: Assignment) -> dict[str, Any]:
    return {
        "stage": a.stage,
        "group": a.group,
        "expert_email": a.expert.email,
        "expert_name": a.expert.name,
        "application_ids": ",".join(a.application_ids),
        "sheet_id": a.sheet_id,
        "sheet_url": a.sheet_url,
    }


# --- ratings and problems --------------------------------------------------------------------------
def _key(r: dict[str, Any]) -> Key:
    return int(r["stage"]), str(r["group"])


def _ratings(rows: list[dict[str, Any]]) -> dict[Key, list[Rating]]:
    out: dict[Key, list[Rating]] = {}
    for r in rows:
        try:
            stored = json.loads(r.get("scores") or "{}")
        except json.JSONDecodeError:
            stored = {}
        scores = {k: v if isinstance(v, int) and not isinstance(v, bool) else None for k, v in stored.items()}
        raw = {k: v for k, v in stored.items() if scores[k] is None and v is not None}
        out.setdefault(_key(r), []).append(
            Rating(
                str(r["expert_email"]),
                str(r["application_id"]),
                scores,
                str(r.get("comment") or ""),
                raw,
                recused=str(r.get("recused") or "").strip().lower() in ("yes", "true", "1"),
            )
        )
    return out


def _rating_row(key: Key, r: Rating) -> dict[str, Any]:
    scores = {k: (v if v is not None else r.raw.get(k)) for k, v in r.scores.items()}  # raw kept
    return {
        "stage": key[0],
        "group": key[1],
        "expert_email": r.expert_email,
        "application_id": r.application_id,
        "scores": json.dumps(scores, ensure_ascii=False, default=str),
        "total": r.total if r.total is not None else "",
        "complete": r.complete,
        "comment": r.comment,
        "recused": r.recused,
    }


def _problems(rows: list[dict[str, Any]]) -> dict[Key, list[Problem]]:
    out: dict[Key, list[Problem]] = {}
    for r in rows:
        out.setdefault(_key(r), []).append(
            Problem(
                str(r.get("expert_email") or ""),
                str(r.get("application_id") or "") or None,
                str(r.get("cell") or ""),
                _problem_notice(r),
                r.get("raw") if r.get("raw") != "" else None,
            )
        )
    return out


def _problem_notice(r: dict[str, Any]) -> Notice:
    """The problem's notice; a row an older version wrote in English is read as its words for people."""
    notice = Notice.from_json(r.get("detail"))
    return Notice.as_written(str(r.get("detail_local") or "")) if notice.key == AS_WRITTEN else notice


def _problem_row(key: Key, p: Problem, lang: str) -> dict[str, Any]:
    return {
        "stage": key[0],
        "group": key[1],
        "expert_email": p.expert,
        "application_id": p.application_id or "",
        "cell": p.cell,
        "detail": p.notice.to_json(),  # read back: the key and values
        "detail_local": i18n.word(p.notice, lang),  # what CDB reads
        "raw": "" if p.raw is None else str(p.raw),
    }


# --- edits after a freeze (issue 10 item 5) ----------------------------------------------------------
def _freeze_edits(rows: list[dict[str, Any]]) -> list[FreezeEdit]:
    out = []
    for r in rows:
        try:
            stage = int(str(r.get("stage") or 0).strip() or 0)
        except ValueError:
            stage = 0
        out.append(
            FreezeEdit(
                _time(r.get("detected_at")),
                stage,
                str(r.get("group") or ""),
                str(r.get("expert_email") or ""),
                str(r.get("sheet") or ""),
                str(r.get("revision") or ""),
                str(r.get("changes") or ""),
                Notice.from_json(r.get("detail")),
            )
        )
    return out


def _freeze_edit_row(e: FreezeEdit) -> dict[str, Any]:
    return {
        "detected_at": _iso(e.detected_at),
        "stage": e.stage or "",
        "group": e.group,
        "expert_email": e.expert,
        "sheet": e.sheet,
        "revision": e.revision,
        "changes": e.changes,
        "detail": e.notice.to_json(),
    }


# --- results: each group's outcome -----------------------------------------------------------------
def _number(value: Any) -> float | None:
    try:
        return float(value) if value not in ("", None) else None
    except (TypeError, ValueError):
        return None


def _outcomes(rows: list[dict[str, Any]]) -> dict[Key, StageOutcome]:
    grouped: dict[Key, list[dict[str, Any]]] = {}
    for r in rows:
        grouped.setdefault(_key(r), []).append(r)
    out = {}
    for key, group_rows in grouped.items():
        standings: list[Standing] = []
        ties: dict[str, list[str]] = {}
        places: list[tuple[float | None, str]] = []
        for r in group_rows:
            try:
                means = json.loads(r.get("criterion_means") or "{}")
            except json.JSONDecodeError:
                means = {}
            rank = _number(r.get("rank"))
            s = Standing(
                str(r["application_id"]),
                _number(r.get("score")),
                int(_number(r.get("raters")) or 0),
                means,
                int(rank) if rank is not None else None,
                bool(r.get("selected")),
                bool(r.get("tied")),
            )
            standings.append(s)
            if r.get("tied"):
                ties.setdefault(str(r["tied"]), []).append(s.application_id)
            places.append((_number(r.get("place")), s.application_id))
        if key[0] == 3 and any(p is not None for p, _ in places):
            selected = [i for p, i in sorted(x for x in places if x[0] is not None)]
        else:
            selected = [s.application_id for s in standings if s.selected]
        waiting = [Notice.as_written(w) for w in str(group_rows[0].get("waiting") or "").split("\n") if w]
        out[key] = StageOutcome(
            key[0], key[1], standings, selected, [ids for _n, ids in sorted(ties.items())], [], waiting
        )
    return out


def _result_rows(o: StageOutcome, lang: str) -> list[dict[str, Any]]:
    tie_number = {i: n for n, tie in enumerate(o.ties, start=1) for i in tie}
    waiting = "\n".join(i18n.word(w, lang) for w in o.waiting)  # for people; read back as written
    return [
        {
            "stage": o.stage,
            "group": o.group,
            "application_id": s.application_id,
            "rank": s.rank if s.rank is not None else "",
            "score": "" if s.score is None else s.score,
            "raters": s.raters,
            "criterion_means": json.dumps(s.criterion_means, sort_keys=True),
            "selected": s.application_id in o.selected,
            "tied": tie_number.get(s.application_id, ""),
            "place": o.selected.index(s.application_id) + 1
            if o.stage == 3 and o.ready and s.application_id in o.selected
            else "",
            "waiting": waiting,
        }
        for s in o.standings
    ]
