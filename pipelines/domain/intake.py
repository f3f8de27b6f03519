"""Intake rules: form responses -> applications (9.8, 9.9, 9.10, 8.2, form 01). Pure: no I/O.

Only the regulation's own grounds reject (9.8 late or incomplete, form 01's note, 8.2, 9.9, 9.10).
What CDB's config must settle (`HOLD_RULES`: a unit no spelling matches, a link off the allowed
platforms, an on-time DER that came in after stage 1 opened) holds the application for CDB
(`Status.HELD`, `status_of`): it is nobody's fault yet, so nobody is told.

One keyword-only function per rule; each returns the reasons it fires (empty = passes). The rule
names put on applications, each with a Kazakh/Russian text in sheets_schema/messages.yaml:
timestamp, late, early, missing_field, missing_attachment, invalid_link, faculty, department,
platform, after_stage_opened, language, previous_winner, superseded, disqualified, error.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from rapidfuzz import fuzz, process

from pipelines.domain.form01 import NUMBERED
from pipelines.domain.models import Application, Notice, Reason, Response, Status
from pipelines.domain.rules import IntakeRules, PreviousWinner, Unit
from pipelines.domain.text import (
    fold_latin,
    host_of,
    normalise,
    normalise_person,
    normalise_url,
    same_person,
    similar_above,
    url_problem,
    with_scheme,
)

NEAR = 0.88  # near-miss threshold for faculty / department spellings
SAME_TITLE = 0.9  # 9.9: a previous winner's title
REQUIRED = tuple((f.attribute, f.number, f.label) for f in NUMBERED)  # form 01 fields 1-8 (9.8)
# what CDB settles by config, never a teacher's fault: held for CDB, not rejected (`status_of`)
HOLD_RULES = frozenset({"faculty", "department", "platform", "after_stage_opened"})


def _q(text: Any, limit: int = 100) -> str:
    """A value quoted on one line (registry reasons are one per line)."""
    s = " ".join(str(text or "").split())
    return repr(s if len(s) <= limit else s[: limit - 1] + "…")


def _when(moment: datetime, zone: Any = None) -> str:
    return (moment.astimezone(zone) if zone and moment.tzinfo else moment).strftime("%d.%m.%Y %H:%M:%S")


# --- the rules ----------------------------------------------------------------------------------
def late_submission(*, submitted_at: datetime | None, intake_open: datetime, intake_close: datetime) -> list[Reason]:
    """9.8: an application submitted after the deadline (or before intake opened) is not accepted."""
    if submitted_at is None:  # unreadable_time says so
        return []
    zone = intake_close.tzinfo
    if submitted_at > intake_close:
        return [
            Reason(
                "late",
                "9.8",
                Notice("reason_late", at=_when(submitted_at, zone), close=_when(intake_close, zone)),
            )
        ]
    if submitted_at < intake_open:
        return [
            Reason(
                "early",
                "9.8",
                Notice("reason_early", at=_when(submitted_at, zone), open=_when(intake_open, zone)),
            )
        ]
    return []


def unreadable_time(*, response: Response) -> list[Reason]:
    """9.8: without a readable submission time nobody can tell the application came in time."""
    if response.submitted_at is not None:
        return []
    return [
        Reason(
            "timestamp",
            "9.8",
            Notice("reason_timestamp", row=response.row_number, text=repr(response.submitted_text)),
        )
    ]


def missing_fields(*, response: Response) -> list[Reason]:
    """9.8 / form 01 fields 1-8: every field of the cover letter is required."""
    out = []
    for attr, number, _name in REQUIRED:
        value = getattr(response, attr)
        empty = not any(str(v).strip() for v in value) if isinstance(value, list) else not str(value).strip()
        if empty:
            out.append(
                Reason(
                    "missing_field",
                    "9.8",
                    Notice("reason_missing_field", number=number),
                )
            )
    return out


def missing_attachments(*, response: Response) -> list[Reason]:
    """Note to form 01: the act of implementation and AIDC's certificate of placement are attached."""
    out = []
    if not response.act_files:
        out.append(
            Reason(
                "missing_attachment",
                "form 01 note",
                Notice("reason_no_act"),
            )
        )
    if not response.certificate_files:
        out.append(
            Reason(
                "missing_attachment",
                "form 01 note",
                Notice("reason_no_certificate"),
            )
        )
    return out


def invalid_link(*, link: str) -> list[Reason]:
    """Form 01 field 8: the DER's link is an absolute http(s) URL with a host (empty: missing_fields)."""
    if not str(link or "").strip():
        return []
    if not url_problem(str(link)):
        return []
    return [Reason("invalid_link", "form 01.8", Notice("reason_invalid_link", link=_q(link)))]


def on_platform(host: str, hosts: Sequence[str]) -> bool:
    """`host` is one of `hosts` or a sub-domain of one (skills.atu.kz is on atu.kz)."""
    return any(
        host == h or host.endswith("." + h) for h in (str(x).strip().lower().removeprefix("www.") for x in hosts)
    )


def off_platform(*, link: str, hosts: Sequence[str]) -> list[Reason]:
    """Form 01 note: the DER is placed on ATU's educational platform (AIDC's certificate). A valid
    link to another site (a public MOOC, a video host) may be a mirror or a mistake: CDB looks
    (held, `HOLD_RULES`), neither accepted silently nor rejected. No `hosts`: no check."""
    if not hosts or not str(link or "").strip() or url_problem(with_scheme(link)):
        return []
    host = host_of(link)
    if on_platform(host, hosts):
        return []
    return [
        Reason(
            "platform",
            "form 01.8",
            Notice("reason_link_platform", link=_q(link), host=host, hosts=", ".join(hosts), key="form.link_hosts"),
        )
    ]


def arrived_after_stage_opened(*, submitted_at: datetime | None, opened_at: datetime, zone: Any = None) -> Reason:
    """9.8 / 9.4.1: an application submitted on time that came in (or that CDB settled) after
    stage 1 opened is not late, so it is not rejected; but its department's commission already
    rates from sheets made without it, and only CDB (a recorded decision) can put it before them."""
    return Reason(
        "after_stage_opened",
        "9.4.1",
        Notice(
            "reason_after_stage_opened",
            at=_when(submitted_at, zone) if submitted_at else "?",
            opened=_when(opened_at, zone),
        ),
    )


def status_of(reasons: Sequence[Reason]) -> Status:
    """Rejected on any of the regulation's own grounds; held for CDB when only CDB's settling is
    missing (`HOLD_RULES`); accepted otherwise."""
    if any(r.rule not in HOLD_RULES for r in reasons):
        return Status.REJECTED
    return Status.HELD if reasons else Status.ACCEPTED


# --- faculty and department ---------------------------------------------------------------------
@dataclass
class UnitMatch:
    faculty_id: str | None
    department_id: str | None
    matched: dict[str, str] = field(default_factory=dict)  # near-misses and inferences, for the record
    reasons: list[Reason] = field(default_factory=list)


class _Found(NamedTuple):
    unit: Any  # Faculty | Department | None
    note: str | None  # near-miss record
    candidates: list  # the units tied at the top when ambiguous


class _Names:
    """Units' names folded once (an exact match is one dict look-up) and each spelling's answer
    kept: an intake asks about the same few spellings row after row. Comparing every spelling with
    every unit in Python grew with the square of the edition (docs/performance/libraries.md)."""

    def __init__(self, units: Sequence[Any]):
        self.units = tuple(units)
        self.exact: dict[str, list[Any]] = {}
        self.choices: list[tuple[str, Any]] = []  # (a name as the config writes it, its unit)
        for u in self.units:
            names = list(dict.fromkeys([u.id, u.name_kk, u.name_ru, *u.spellings]))
            for key in dict.fromkeys(normalise(n) for n in names):
                if key:
                    self.exact.setdefault(key, []).append(u)
            self.choices += [(n, u) for n in names if normalise(n)]
        self.normalised = [normalise(n) for n, _u in self.choices]
        self.transliterated = [fold_latin(n) for n, _u in self.choices]
        self.position = {id(u): i for i, u in enumerate(self.units)}
        self.found: dict[str, _Found] = {}

    def closest(self, text: str, n: int = 3) -> list[tuple[Any, float]]:
        """The `n` units most like `text` (by any of their names), best first, with the score: what
        CDB is shown for a spelling no unit matches."""
        best: dict[int, float] = {}
        for choices, query in ((self.normalised, normalise(text)), (self.transliterated, fold_latin(text))):
            if not query:
                continue
            for _choice, score, index in process.extract(query, choices, scorer=fuzz.WRatio, limit=None):
                at = self.position[id(self.choices[index][1])]
                best[at] = max(best.get(at, 0.0), score / 100)
        ranked = sorted(best.items(), key=lambda x: (-x[1], x[0]))[:n]
        return [(self.units[i], score) for i, score in ranked]

    def find(self, text: str) -> _Found:
        key = str(text)
        if key not in self.found:
            self.found[key] = self._find(key)
        return self.found[key]

    def _find(self, text: str) -> _Found:
        """Exact match (id, names, spellings) after `normalise`, else the single best near-miss."""
        key = normalise(text)
        if not key:
            return _Found(None, None, [])
        exact = self.exact.get(key, [])
        if exact:
            return _Found(exact[0], None, []) if len(exact) == 1 else _Found(None, None, exact)
        # a unit below NEAR - 0.01 can neither match nor tie with one that does: rapidfuzz skips it
        cutoff = (NEAR - 0.01) * 100
        direct = process.extract(key, self.normalised, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)
        latin = process.extract(
            fold_latin(text), self.transliterated, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
        )
        best_of: dict[int, tuple[float, str]] = {}  # unit position -> (its best score, the name scoring it)
        for _choice, score, index in [*direct, *latin]:
            name, unit = self.choices[index]
            at = self.position[id(unit)]
            best_of[at] = max(best_of.get(at, (0.0, "")), (score / 100, name))
        scored = sorted(((best_of[i], self.units[i]) for i in sorted(best_of)), key=lambda x: -x[0][0])
        if not scored or scored[0][0][0] < NEAR:
            return _Found(None, None, [])
        (best, name), unit = scored[0]
        tied = [u for (s, _), u in scored if s >= best - 0.01]
        if len(tied) > 1:
            return _Found(None, None, tied)
        return _Found(unit, f"{_q(text)} ~ {_q(name)} ({unit.id})", [])


class _UnitIndex:
    """The config's faculties and departments as `_Names`, made once per list of faculties."""

    def __init__(self, faculties: Sequence[Unit]):
        self.faculties = _Names(faculties)
        self.departments = _Names([d for f in faculties for d in f.departments])
        self.within = {f.id: _Names(f.departments) for f in faculties}
        self.owner = {d.id: f for f in faculties for d in f.departments}


_INDEXES: dict[int, tuple[Sequence[Unit], _UnitIndex]] = {}


def _unit_index(faculties: Sequence[Unit]) -> _UnitIndex:
    """The index of this very list of faculties (a config's list lives as long as its config)."""
    held = _INDEXES.get(id(faculties))
    if held is None or held[0] is not faculties:
        if len(_INDEXES) >= 64:
            _INDEXES.clear()
        held = _INDEXES[id(faculties)] = (faculties, _UnitIndex(faculties))
    return held[1]


def _label(unit: Any) -> str:
    return f"{unit.id} ({unit.name_kk})"


def _closest(names: _Names, text: str) -> str:
    """The closest units to a spelling no unit matches, as CDB reads them: "IS (Ақпараттық жүйелер) 0.71, …"."""
    return ", ".join(f"{_label(u)} {score:.2f}" for u, score in names.closest(text)) or "—"


def match_unit(*, faculty_text: str, department_text: str, faculties: Sequence[Unit]) -> UnitMatch:
    """Form 01 fields 1-2: the faculty and its department, as listed in the config."""
    result = UnitMatch(None, None)
    index = _unit_index(faculties)
    owner = index.owner
    fac = index.faculties.find(faculty_text)
    if fac.unit:
        result.faculty_id = fac.unit.id
        if fac.note:
            result.matched["faculty"] = fac.note
    unknown_faculty = fac.unit is None and bool(str(faculty_text).strip())
    fac_reason = Reason(
        "faculty",
        "form 01.1",
        Notice(
            "reason_faculty_ambiguous", given=_q(faculty_text), candidates=", ".join(_label(u) for u in fac.candidates)
        )
        if fac.candidates
        else Notice(
            "reason_faculty_unknown",
            given=_q(faculty_text),
            closest=_closest(index.faculties, faculty_text),
            key="spellings",
        ),
    )
    if not str(department_text).strip():
        result.reasons += [fac_reason] if unknown_faculty else []
        return result
    if fac.unit:
        dep = index.within[fac.unit.id].find(department_text)
        if dep.unit:
            result.department_id = dep.unit.id
            if dep.note:
                result.matched["department"] = dep.note
            return result
        elsewhere = index.departments.find(department_text)
        if elsewhere.unit:
            notice = Notice(
                "reason_department_elsewhere",
                given=_q(department_text),
                found_faculty=_label(owner[elsewhere.unit.id]),
                found=_label(elsewhere.unit),
                faculty=_label(fac.unit),
            )
        else:
            notice = Notice(
                "reason_department_not_of",
                given=_q(department_text),
                faculty=_label(fac.unit),
                closest=_closest(index.within[fac.unit.id], department_text),
                key="spellings",
            )
        result.reasons.append(Reason("department", "form 01.2", notice))
        return result
    dep = index.departments.find(department_text)
    if dep.unit:
        parent = owner[dep.unit.id]
        result.faculty_id, result.department_id = parent.id, dep.unit.id
        result.matched["faculty"] = f"inferred from the department: {_label(parent)}" + (
            f"; the answer {_q(faculty_text)} matched no faculty" if unknown_faculty else ""
        )
        if dep.note:
            result.matched["department"] = dep.note
        return result
    if unknown_faculty:
        result.reasons.append(fac_reason)
    notice = (
        Notice(
            "reason_department_ambiguous",
            given=_q(department_text),
            faculties=", ".join(_label(owner[d.id]) for d in dep.candidates),
        )
        if dep.candidates
        else Notice(
            "reason_department_unknown",
            given=_q(department_text),
            closest=_closest(index.departments, department_text),
            key="spellings",
        )
    )
    result.reasons.append(Reason("department", "form 01.2", notice))
    return result


# --- languages ----------------------------------------------------------------------------------
_LANGUAGE_WORDS = {
    "kk": ("kk", "kz", "kaz", "kazakh", "qazaq", "казак", "казакша", "казахский", "казахском", "каз"),
    "ru": ("ru", "rus", "russian", "орыс", "орысша", "русский", "русском", "рус"),
    "en": ("en", "eng", "english", "агылшын", "агылшынша", "английский", "английском", "англ", "анг"),
}
_CODE = {normalise(w): code for code, words in _LANGUAGE_WORDS.items() for w in words}
_FILLER = {normalise(w) for w in ("тілі", "тілінде", "язык", "языке", "language", "на", "lang")}


def language_codes(languages: Iterable[str]) -> tuple[list[str], list[str]]:
    """8.2: the items of the language answer as codes kk/ru/en (in order, once each), and the items
    that name no such language, as typed. "Қазақ тілі (Kazakh)" is kk; "Kazakh/Russian" is kk and ru."""
    codes: list[str] = []
    unknown: list[str] = []
    for item in languages:
        words = [w for w in normalise(item).split() if w not in _FILLER]
        if not words:
            if str(item).strip():
                unknown.append(item)
            continue
        found = [_CODE.get(" ".join(words))] if " ".join(words) in _CODE else [_CODE.get(w) for w in words]
        if None in found:
            unknown.append(item)
            continue
        codes += [c for c in dict.fromkeys(found) if c is not None and c not in codes]
    return codes, unknown


def invalid_languages(*, languages: Sequence[str]) -> list[Reason]:
    """8.2: a DER is in Kazakh, Russian and/or English; at least one language is given."""
    codes, unknown = language_codes(languages)
    out = []
    if unknown:
        out.append(
            Reason(
                "language",
                "8.2",
                Notice("reason_language", given=", ".join(_q(u) for u in unknown)),
            )
        )
    if not codes and not unknown:
        out.append(Reason("language", "8.2", Notice("reason_no_language")))
    return out


# --- previous winners and duplicates -------------------------------------------------------------
@functools.lru_cache(maxsize=1 << 16)  # pure; every previous winner's link is asked again for each response
def _link_identity(link: str) -> str:
    """The normalised link when it is a valid URL that names a page (a site's home page names no DER)."""
    if not str(link or "").strip() or url_problem(str(link)):
        return ""
    url = normalise_url(link)
    parts = urlsplit(url)
    return url if parts.path.strip("/") or parts.query else ""


def previous_winner(*, response: Response, winners: Sequence[PreviousWinner]) -> list[Reason]:
    """9.9: a DER whose authors already won or placed with it is not accepted again."""
    link = _link_identity(response.link)
    # a common author shares a word of the name (`same_person`): without one, no title is compared
    words = frozenset().union(*(normalise_person(a.name) for a in response.authors))
    out = []
    for w in winners:
        if link and link == _link_identity(w.link):
            out.append(
                Reason(
                    "previous_winner",
                    "9.9",
                    Notice("reason_winner_link", year=w.year or "", title=_q(w.title)),
                )
            )
            continue
        shares_a_word = any(not words.isdisjoint(normalise_person(name)) for name in w.authors)
        if shares_a_word and similar_above(response.title, w.title, SAME_TITLE) >= SAME_TITLE:
            common = next((a.name for a in response.authors for name in w.authors if same_person(a.name, name)), None)
            if common:
                out.append(
                    Reason(
                        "previous_winner",
                        "9.9",
                        Notice("reason_winner_title", year=w.year or "", title=_q(w.title), author=_q(common)),
                    )
                )
    return out


def respondent(response: Response) -> str:
    """Who submitted a response: the normalised respondent e-mail; when the form collected none, the
    normalised name of the first author ("" when neither is known)."""
    if email := " ".join(str(response.respondent_email or "").split()).casefold():
        return f"email:{email}"
    first = (
        response.authors[0].name
        if response.authors
        else (str(response.authors_raw or "").strip().splitlines() or [""])[0].split(",")[0]
    )
    name = " ".join(sorted(normalise_person(first)))
    return f"author:{name}" if name else ""


def der_identity(response: Response) -> set[str]:
    """9.8: what makes two responses the same DER (a resubmission): the same normalised link, or the
    same normalised title in the same department from the same respondent (`respondent`). Two
    teachers' different DERs that share a title are two DERs; a co-author's resubmission of the same
    link and a teacher's resubmission with a changed link are still one."""
    ids = set()
    if link := _link_identity(response.link):
        ids.add(f"link:{link}")
    title, who = normalise(response.title), respondent(response)
    if title and who:
        ids.add(f"title:{title}|{normalise(response.department)}|{who}")
    return ids or {f"row:{response.row_key}"}


def _grouped(responses: Sequence[Response], identity: Callable[[Response], set[str]]) -> list[list[Response]]:
    parent = list(range(len(responses)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, r in enumerate(responses):
        for key in identity(r):
            if key in first:
                parent[root(i)] = root(first[key])
            else:
                first[key] = i
    groups: dict[int, list[Response]] = {}
    for i, r in enumerate(responses):
        groups.setdefault(root(i), []).append(r)
    return list(groups.values())


def group_duplicates(responses: Sequence[Response]) -> list[list[Response]]:
    """Responses about the same DER (`der_identity`: a link, or a title in one department from one
    respondent), in input order."""
    return _grouped(responses, der_identity)


def _order(r: Response) -> tuple:
    """Chronological order; a response with an unreadable time sorts after all others."""
    when = r.submitted_at if isinstance(r.submitted_at, datetime) else None  # a broken row may hold anything
    return (when is None, when.timestamp() if when is not None else 0.0, r.row_number)


def application_id(group: Sequence[Response], *, salt: str = "") -> str:
    """The DER's computed id: "DER-" + 6 base32 chars of sha1 of the EARLIEST submission's link (or title).
    Rows added later and later edits submitted as new rows do not change the earliest one; an id
    already in the registry wins over it (`stable_ids`)."""
    earliest = min(group, key=_order)
    identity = _link_identity(earliest.link) or normalise(earliest.title) or f"row:{earliest.row_key}"
    digest = hashlib.sha1((identity + salt).encode("utf-8")).digest()
    return "DER-" + base64.b32encode(digest).decode("ascii")[:6]


def _computed_id(group: Sequence[Response], taken: set[str]) -> str:
    """`application_id`, salted when another group of this run already has it: first with the
    earliest submission's department (as ever), then with its row key, then with a counter."""
    earliest = min(group, key=_order)
    department = "|" + normalise(earliest.department)
    for salt in ("", department, f"{department}|{earliest.row_key}"):
        if (gid := application_id(group, salt=salt)) not in taken:
            return gid
    n = 2
    while (gid := application_id(group, salt=f"{department}|{earliest.row_key}|{n}")) in taken:
        n += 1
    return gid


def stable_ids(*, groups: Sequence[Sequence[Response]], known_ids: dict[str, str] | None = None) -> list[str]:
    """Form 01: an id that stays the same when the job re-runs, when rows are added, and when the
    respondent edits the response. `groups` in order of their earliest submission; `known_ids` maps
    a row key to the id the registry already gives it. A group takes the known id of its earliest
    member that has one, unless an earlier group took that id; every other group gets its computed
    id (`application_id`), salted so that no two groups ever share an id."""
    known = {str(k): str(v).strip() for k, v in (known_ids or {}).items() if str(v or "").strip()}
    ids: list[str | None] = []
    taken: set[str] = set()
    for group in groups:
        mine = next((known[r.row_key] for r in sorted(group, key=_order) if r.row_key in known), None)
        if mine is not None and mine not in taken:
            taken.add(mine)
            ids.append(mine)
        else:
            ids.append(None)
    out = []
    for group, gid in zip(groups, ids):
        if gid is None:
            gid = _computed_id(group, taken)
            taken.add(gid)
        out.append(gid)
    return out


# --- the decision -------------------------------------------------------------------------------
def _evaluate(
    r: Response, rules: IntakeRules, matches: dict[tuple[str, str], UnitMatch] | None = None
) -> tuple[list[Reason], UnitMatch]:
    """All rules on one response; a rule that crashes becomes an "error" reason on this row only.
    `matches` keeps the faculty and department matched per pair of answers as typed (many rows of
    an intake answer alike; the matching is pure)."""
    reasons = list(r.problems)
    unit = UnitMatch(None, None)
    matches = {} if matches is None else matches

    def run(rule: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return rule(**kwargs)
        except Exception as exc:  # noqa: BLE001 - one bad row never stops the others
            error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
            reasons.append(
                Reason("error", "-", Notice("reason_error", row=r.row_number, rule=rule.__name__, error=error))
            )
            return None

    reasons += run(unreadable_time, response=r) or []
    reasons += (
        run(
            late_submission, submitted_at=r.submitted_at, intake_open=rules.intake_open, intake_close=rules.intake_close
        )
        or []
    )
    reasons += run(missing_fields, response=r) or []
    reasons += run(missing_attachments, response=r) or []
    r.link = with_scheme(r.link)  # "moodle.atu.kz/course/…" is a link, read as https (the raw answer kept)
    reasons += run(invalid_link, link=r.link) or []
    reasons += run(off_platform, link=r.link, hosts=rules.link_hosts) or []
    typed = (r.faculty, r.department)
    if typed not in matches:
        found = run(match_unit, faculty_text=r.faculty, department_text=r.department, faculties=rules.faculties)
        if found is not None:  # a failure is this row's reason; the next row alike tries again
            matches[typed] = found
    if typed in matches:
        held = matches[typed]
        unit = UnitMatch(held.faculty_id, held.department_id, dict(held.matched), list(held.reasons))
    reasons += unit.reasons
    if r.languages:  # none at all is missing field 5
        reasons += run(invalid_languages, languages=r.languages) or []
    reasons += run(previous_winner, response=r, winners=rules.previous_winners) or []
    return reasons, unit


def _counting(group: list[Response], intake_close: datetime) -> Response:
    """9.8: the latest submission made before intake closed counts, whatever its own reasons (it may be
    rejected on them); if none was made before the close, the latest counts (rejected as late). A
    submission with an unreadable time counts only when no other has a time."""
    in_time = [r for r in group if isinstance(r.submitted_at, datetime) and r.submitted_at <= intake_close]
    return max(in_time or group, key=lambda r: (not _order(r)[0], *_order(r)[1:]))


def _safe_identity(r: Response) -> set[str]:
    try:
        return der_identity(r)
    except Exception:  # noqa: BLE001 - a row that cannot be compared stands alone
        return {f"row:{r.row_key}"}


def decide(
    responses: list[Response], rules: IntakeRules, *, known_ids: dict[str, str] | None = None
) -> list[Application]:
    """One Application per response, in input order: all reasons, duplicates superseded (9.8).
    `known_ids` (row key -> id already in the registry) keeps ids stable (`stable_ids`)."""
    matches: dict[tuple[str, str], UnitMatch] = {}
    evaluated = {id(r): _evaluate(r, rules, matches) for r in responses}
    decided: dict[int, Application] = {}
    groups = sorted(_grouped(responses, _safe_identity), key=lambda g: _order(min(g, key=_order)))
    for group, gid in zip(groups, stable_ids(groups=groups, known_ids=known_ids)):
        counting = _counting(group, rules.intake_close)
        at = counting.submitted_at if isinstance(counting.submitted_at, datetime) else None
        when = _when(at, rules.zone) if at else "?"
        for r in group:
            reasons, unit = evaluated[id(r)]
            status, superseded_by = status_of(reasons), None
            if r is not counting:
                status, superseded_by = Status.SUPERSEDED, counting.row_key
                reasons = [
                    Reason(
                        "superseded",
                        "9.8",
                        Notice("reason_superseded", when=when, row=counting.row_number),
                    ),
                    *reasons,
                ]
            app = Application(
                id=gid,
                response=r,
                status=status,
                reasons=list(reasons),
                faculty_id=unit.faculty_id,
                department_id=unit.department_id,
                matched=dict(unit.matched),
                superseded_by=superseded_by,
            )
            decided[id(r)] = app
    return apply_decisions([decided[id(r)] for r in responses], rules.decisions)


def evaluate_again(app: Application, rules: IntakeRules) -> Application:
    """A held application decided again on its own response with the config as it is now (CDB
    added a spelling, allowed a platform): accepted, rejected or still held. Its id, its row and
    its place among the DER's submissions are what they were."""
    reasons, unit = _evaluate(app.response, rules)
    return replace(
        app,
        status=status_of(reasons),
        reasons=list(reasons),
        faculty_id=unit.faculty_id,
        department_id=unit.department_id,
        matched=dict(unit.matched),
    )


def disqualify(applications: list[Application], decisions: Iterable[Any]) -> list[Application]:
    """9.10: recorded commission decisions of kind "disqualify" (by DER id or row key). Idempotent;
    a DER id disqualifies its counting application, not the superseded submissions."""
    out = list(applications)
    for targets, said in _of_kind(decisions, "disqualify"):
        reason = Reason("disqualified", "9.10", Notice("reason_disqualified", said))
        for i, app in enumerate(out):
            by_row = app.response.row_key in targets
            if not (by_row or (app.id in targets and app.status is not Status.SUPERSEDED)):
                continue
            if reason not in app.reasons:
                out[i] = replace(app, status=Status.DISQUALIFIED, reasons=[*app.reasons, reason])
    return out


def reinstate(applications: list[Application], decisions: Iterable[Any]) -> list[Application]:
    """A recorded `reinstate` decision (by DER id or row key) brings back an application rejected in
    error, or one held for CDB whose unit is known: accepted, its earlier reasons kept inside the decision's reason for the record. Idempotent;
    a DER id reinstates its counting application, not the superseded submissions; a disqualified
    (9.10) or superseded application is not touched."""
    out = list(applications)
    for targets, said in _of_kind(decisions, "reinstate"):
        for i, app in enumerate(out):
            # a held one too (a link CDB looked at, one on time but after stage 1 opened), once its unit is known
            if app.status is not Status.REJECTED and not (app.status is Status.HELD and app.department_id):
                continue
            if app.response.row_key not in targets and app.id not in targets:
                continue
            was = [r.notice for r in app.reasons]
            reason = Reason("reinstated", "9.8", Notice("reason_reinstated", said, was=was))
            out[i] = replace(app, status=Status.ACCEPTED, reasons=[reason])
    return out


def _of_kind(decisions: Iterable[Any], kind: str) -> Iterator[tuple[set[str], dict[str, str]]]:
    """The decisions of `kind`, each with the ids or row keys it names and what its reason says
    (reason, by, at as printed)."""
    for d in decisions:
        if getattr(d, "kind", None) != kind:
            continue
        at = d.at.strftime("%d.%m.%Y") if hasattr(d.at, "strftime") else str(d.at)
        yield set(d.applications), {"reason": " ".join(str(d.reason).split()), "by": d.by, "at": at}


def apply_decisions(applications: list[Application], decisions: Iterable[Any]) -> list[Application]:
    """The recorded decisions on the registry: reinstatements first, then 9.10 disqualifications
    (a DER reinstated and later disqualified stands disqualified)."""
    decisions = list(decisions)
    return disqualify(reinstate(applications, decisions), decisions)


def answers_digest(answers: dict[str, Any]) -> str:
    """The digest of a response's answers as given: a response edited after the deadline is
    recorded once per version of its answers (9.8, `late_key`)."""
    return hashlib.sha1(json.dumps(answers, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def late_key(row_key: str, answers: dict[str, Any]) -> str:
    """The registry's row key of a response that came or changed after the deadline, recorded beside
    the application it edits (9.8): its own key and the digest of its answers."""
    return f"{row_key}@{answers_digest(answers)[:12]}"


def intake_can_change(
    *,
    closed: bool,
    registry: Sequence[Application],
    answers: Iterable[tuple[str, dict[str, Any]]],
    decisions: Iterable[Any],
    again: Callable[[Application], Application],
) -> bool:
    """9.8: once intake has closed, the registry is what it was at the deadline. Intake can then
    change it only through a response it has not recorded (a new row, or answers edited since: both
    recorded beside it), an application held for CDB that would now be decided otherwise (CDB
    added a spelling, allowed a platform) or a recorded decision (reinstate, 9.10) not yet applied.
    Before the close it always can. `answers`: each response's (row key, answers) as the source
    gives them; `again`: a held application decided again as intake would now (`evaluate_again`).
    False: intake has nothing to do."""
    if not closed:
        return True
    registry = list(registry)
    if any(again(a) != a for a in registry if a.status is Status.HELD):
        return True
    # a decision replaces only the applications it changes (`disqualify`, `reinstate`)
    if any(a is not b for a, b in zip(apply_decisions(registry, decisions), registry, strict=True)):
        return True
    stored = {a.response.row_key: a.response.raw for a in registry}
    return any(stored.get(key) != raw and late_key(key, raw) not in stored for key, raw in answers)
