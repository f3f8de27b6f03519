"""Who rates what at each stage: the groups of 9.4, conflicts of interest (13), the quorum.

Pure: no I/O. Each rule is one small function citing its clause.

- `stage_groups` puts the DERs of a stage into their groups (department, faculty, the university).
- `is_author`, `declared_conflict`, `same_department` are the reasons an expert stands aside.
- `assign` gives each expert of a group every DER of that group except those they must stand
  aside from, and names every DER left with fewer raters than `scoring.min_experts`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from pipelines.domain.models import Application, Assignment, Expert, Group, Notice
from pipelines.domain.rules import Organisation, ScoringRules
from pipelines.domain.text import normalise, normalise_person, same_person

STAGE3_GROUP_ID = "contest"
STAGE3_GROUP_NAME = {"kk": "Конкурс комиссиясы", "ru": "Конкурсная комиссия"}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


# --- groups (9.4) ------------------------------------------------------------------------------
def stage_groups(
    org: Organisation, stage: int, applications: Iterable[Application], problems: list[Notice] | None = None
) -> list[tuple[Group, list[Application]]]:
    """The groups of one stage with their accepted DERs (9.4.1 department, 9.4.2 faculty, 9.4.3 contest).

    A group whose commission is missing from the config comes back with no experts, and a notice
    naming the config key is appended to `problems` when a list is given (`assign` of such
    a group says so too). A DER that cannot be placed in a group is reported the same way.
    """
    problems = problems if problems is not None else []
    accepted = [a for a in applications if a.accepted]
    if stage == 3:
        experts = tuple(org.contest_commission)
        group = Group(3, STAGE3_GROUP_ID, STAGE3_GROUP_NAME[org.language], experts)
        if not experts:
            problems.append(Notice("group_contest_empty", stage=stage))
        return [(group, accepted)] if accepted else []
    if stage not in (1, 2):
        raise ValueError(f"no stage {stage}: stages are 1, 2 and 3")
    key, names, commissions, where = _stage_units(org, stage)
    by_unit: dict[str, list[Application]] = {}
    for app in accepted:
        unit = getattr(app, key)
        if not unit:
            problems.append(
                Notice(
                    "group_no_department" if key == "department_id" else "group_no_faculty",
                    stage=stage,
                    id=app.id,
                    title=app.title,
                )
            )
            continue
        by_unit.setdefault(unit, []).append(app)
    order = list(names)
    groups = []
    for unit in sorted(by_unit, key=lambda u: (order.index(u) if u in order else len(order), u)):
        members = commissions.get(unit)
        if not members:
            problems.append(
                Notice(
                    "group_no_commission", stage=stage, name=names.get(unit, unit), unit=unit, where=f"{where}.{unit}"
                )
            )
        experts = tuple(members or ())
        groups.append((Group(stage, unit, names.get(unit, unit), experts), by_unit[unit]))
    return groups


def _stage_units(org: Organisation, stage: int) -> tuple[str, dict[str, str], Mapping[str, tuple[Expert, ...]], str]:
    """Stage 1 is per department (9.4.1), stage 2 per faculty (9.4.2)."""
    lang = org.language
    if stage == 1:
        names = {d.id: d.name(lang) for f in org.faculties for d in f.departments}
        return "department_id", names, org.department_commissions, "commissions.departments"
    names = {f.id: f.name(lang) for f in org.faculties}
    return "faculty_id", names, org.faculty_commissions, "commissions.faculties"


# --- conflicts (13: corrupt interests of commission members) -----------------------------------
def _emails(text: str) -> set[str]:
    return {m.lower() for m in _EMAIL.findall(text or "")}


def _author_emails(application: Application) -> set[str]:
    r = application.response
    found = _emails(r.respondent_email)
    for author in r.authors:
        found |= _emails(author.contact)
    return found | _emails(r.authors_raw)


def _name_words(name: str) -> list[str]:
    """The words of a name as `normalise_person` folds them (a string or a set of words)."""
    folded = normalise_person(name)
    return sorted(folded.replace(".", " ").split() if isinstance(folded, str) else folded)


def _is_author_name(name: str, application: Application) -> bool:
    """The name is one of the DER's authors; without parsed authors, all its words are in the text typed."""
    r = application.response
    if r.authors:
        return any(same_person(name, a.name) for a in r.authors)
    words = set(_name_words(name))
    return len(words) >= 2 and words <= set(_name_words(r.authors_raw))


def is_author(expert: Expert, application: Application) -> bool:
    """The expert is an author of the DER, by e-mail or name: never rates it (13, corrupt interests)."""
    if expert.email and expert.email.strip().lower() in _author_emails(application):
        return True
    return _is_author_name(expert.name, application)


def declared_conflict(expert: Expert, application: Application) -> bool:
    """The expert declared a conflict with this DER, by id, title or author (13, corrupt interests)."""
    for entry in expert.conflicts:
        entry = str(entry).strip()
        if not entry:
            continue
        if entry.casefold() == application.id.casefold() or normalise(entry) == normalise(application.title):
            return True
        if "@" in entry and _emails(entry) & _author_emails(application):
            return True
        if _is_author_name(entry, application):
            return True
    return False


def same_department(expert: Expert, application: Application, stage: int, exclude: bool) -> bool:
    """At stages 2-3 with scoring.exclude_same_department, an expert of the DER's own department stands
    aside (9.4.2, 9.4.3; 13)."""
    if stage < 2 or not exclude:
        return False
    return bool(
        expert.department
        and application.department_id
        and expert.department.strip().casefold() == application.department_id.strip().casefold()
    )


ASIDE_KEYS = {
    "author": "aside_author",
    "declared conflict": "aside_conflict",
    "same department": "aside_same_department",
}


def stands_aside(
    expert: Expert, application: Application, stage: int, exclude_same_department: bool = False
) -> str | None:
    """Why the expert may not rate this DER (13), or None when they may."""
    if is_author(expert, application):
        return "author"
    if declared_conflict(expert, application):
        return "declared conflict"
    if same_department(expert, application, stage, exclude_same_department):
        return "same department"
    return None


def aside_notice(expert: Expert, why: str) -> Notice:
    """ "<name> (<why>)": who stands aside and why, as a quorum notice lists them."""
    return Notice("aside_entry", name=expert.name, why=Notice(ASIDE_KEYS[why]))


# --- assignment and quorum (9.4, 11.2) ---------------------------------------------------------
def assign(
    group: Group, applications: list[Application], rules: ScoringRules, stage: int
) -> tuple[list[Assignment], list[Notice]]:
    """Every expert of the group rates every DER of it except their conflicts (9.4; 13).

    Experts left with nothing to rate get no assignment. The second value names every DER that
    fewer than `scoring.min_experts` experts may rate (11.2: the score is made of experts' points).
    """
    problems: list[Notice] = []
    if not group.experts:
        problems.append(Notice("group_no_experts", stage=stage, group=group.name))
    aside: dict[str, list[Notice]] = {a.id: [] for a in applications}
    assignments = []
    for expert in group.experts:
        ids = []
        for app in applications:
            reason = stands_aside(expert, app, stage, rules.exclude_same_department)
            if reason:
                aside[app.id].append(aside_notice(expert, reason))
            else:
                ids.append(app.id)
        if ids:
            assignments.append(Assignment(stage=stage, group=group.id, expert=expert, application_ids=ids))
    problems += quorum_problems(group, applications, assignments, rules.min_experts, aside)
    return assignments, problems


def quorum_problems(
    group: Group,
    applications: list[Application],
    assignments: list[Assignment],
    min_experts: int,
    aside: dict[str, list[Notice]] | None = None,
) -> list[Notice]:
    """One notice per DER that fewer than `min_experts` experts can rate (11.2)."""
    problems: list[Notice] = []
    for app in applications:
        count = sum(app.id in a.application_ids for a in assignments)
        if count < min_experts:
            who = (aside or {}).get(app.id) or []
            problems.append(
                Notice(
                    "quorum_aside" if who else "quorum",
                    stage=group.stage,
                    group=group.name,
                    id=app.id,
                    title=app.title,
                    count=count,
                    needed=min_experts,
                    aside=who,
                )
            )
    return problems
