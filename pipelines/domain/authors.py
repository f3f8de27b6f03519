"""The authors' answer of form 01 field 4 (full name, position, contact) as teachers type it. Pure.

Several authors: one per line, or separated by ";", by "," between full entries, or by «и» / «және» /
"and" between names. Within an entry the name, position and contact may come in any order, the parts
separated by "," or " — "; a co-author may have no contact at all. Whatever is typed is also kept as
typed (`Response.authors_raw`), so the registry reads the same authors back (`parse_authors` again).
"""

from __future__ import annotations

import re
from functools import lru_cache

from pipelines.domain.models import Author
from pipelines.domain.text import normalise

_DASH = re.compile(r"\s+[—–-]{1,2}\s+")
_BULLET = re.compile(r"^\s*(?:\d{1,2}\s*[.)]|[-•*·])\s*")
_CONTACT = re.compile(r"@|\+?\d[\d\s()-]{5,}\d|https?://|www\.|\btel\b|\bтел\b", re.IGNORECASE)
_NAME_WORD = re.compile(r"^(?:[^\W\d_][^\W\d_'’-]*(?:[-'’][^\W\d_]+)*|[^\W\d_]\.(?:[^\W\d_]\.)?)$")
_AND = re.compile(r"\s+(?:и|және|жане|and|&)\s+", re.IGNORECASE)
_POSITION_WORDS = frozenset(
    normalise(w)
    for w in (
        "профессор",
        "доцент",
        "преподаватель",
        "старший",
        "ассистент",
        "ассоциированный",
        "заведующий",
        "декан",
        "доктор",
        "кандидат",
        "магистр",
        "PhD",
        "оқытушы",
        "аға",
        "меңгерушісі",
        "кафедра",
        "кафедры",
        "профессоры",
        "доценті",
        "қауымдастырылған",
        "ассистенті",
        "лектор",
        "professor",
        "associate",
        "assistant",
        "lecturer",
        "senior",
        "head",
        "dean",
        "teacher",
        "tutor",
        "department",
    )
)


def looks_like_name(part: str) -> bool:
    """2-4 capitalised words (initials allowed: "Иванов И.И."), none of them a position word."""
    words = part.replace(".", ". ").split()
    return 2 <= len(words) <= 4 and all(
        _NAME_WORD.match(w) and w[0].isupper() and normalise(w) not in _POSITION_WORDS for w in words
    )


def _kind(piece: str) -> str:
    if _CONTACT.search(piece):
        return "contact"
    return "name" if looks_like_name(piece) else "position"


def _entries(line: str) -> list[list[str]]:
    """The parts of one line, grouped by author: a new author begins at a name once the current
    one has its name."""
    pieces = [p.strip() for p in (_DASH.split(line) if _DASH.search(line) else line.split(","))]
    pieces = [p for p in pieces if p]
    # "Иванов Иван и Петрова Анна": «и» / «және» / "and" between two names
    split: list[str] = []
    for p in pieces:
        halves = _AND.split(p)
        split.extend(halves if len(halves) > 1 and all(looks_like_name(h) for h in halves) else [p])
    groups: list[list[str]] = []
    named = False  # the current group has its name
    for p in split:
        is_name = _kind(p) == "name"
        if not groups or (is_name and named):
            groups.append([p])
            named = is_name
        else:
            groups[-1].append(p)
            named = named or is_name
    return groups


def _author(parts: list[str]) -> Author:
    names = [p for p in parts if _kind(p) == "name"]
    name = names[0] if names else parts[0]  # nothing looks like a name: the first part is taken as it
    rest = [p for p in parts if p is not name]
    contact = [p for p in rest if _kind(p) == "contact"]
    position = [p for p in rest if p not in contact]
    return Author(name=name, position=", ".join(position), contact=", ".join(contact))


def parse_authors(text: str) -> list[Author]:
    """Every author of the answer, in the order typed (see the module docstring)."""
    return list(_parsed(text or ""))


@lru_cache(maxsize=1 << 15)  # pure; an intake reads each answer, and the registry reads it back
def _parsed(text: str) -> tuple[Author, ...]:
    authors: list[Author] = []
    for line in re.split(r"[\n;]", text):
        line = _BULLET.sub("", line).strip()
        if line:
            authors.extend(_author(parts) for parts in _entries(line))
    return tuple(a for a in authors if a.name)  # Author is frozen: the cached ones are never changed
