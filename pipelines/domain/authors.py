"""The authors' answer of form 01 field 4 (full name, position, contact) as teachers type it. Pure.

Teachers write it every way: one author per line, or separated by ";", by "," between full entries,
by «и» / «және» / "and" between names, or by nothing but spaces; the name, position and contact in
any order, separated by ",", " — " or parentheses; names in Cyrillic, in Latin or both; a co-author
with no contact at all; the same person again with a messenger number ("Иванова А.С. (WhatsApp
+7 701 …)").

The answer is read in three steps:
1. contact data (e-mail addresses, phone numbers, links, messenger handles, with the label before
   them) is taken out first: it is never part of a printed name, and it splits the text around it;
2. each remaining fragment is read word by word: a run of 2-4 capitalised words that are not
   position words is a name (initials allowed: "Иванов И.И.", "D. Zhaksylykova"), unless a unit
   word is next to it ("кафедры Информационных Систем", "Computer Science Department"); what is
   left is a position when it holds a position word, a connector («и», "and") is dropped, and
   anything else is `unclear`: shown to CDB, never guessed into a name or a position;
3. a new author begins at each name; what comes before the first name of a line, or on a line with
   no name, belongs to the author next to it; a name that is an author named before (the same
   person, "Иванова А.С." ~ "Иванова Анна Сергеевна") adds to that author instead of a new one.

Whatever is typed is also kept as typed (`Response.authors_raw`), so the registry reads the same
authors back (`parse_authors` again).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from pipelines.domain.models import Author
from pipelines.domain.text import normalise, same_person

_BULLET = re.compile(r"^\s*(?:\d{1,2}\s*[.)]|[-•*·–—])\s*")
_LABEL = (
    r"(?:whats\s?app|wa|telegram|tg|viber|телефон|тел|моб(?:ильный)?|сот(?:овый)?|ұялы|ватсап|вотсап|вацап"
    r"|телеграм|e-?mail|эл\.\s?почта|почта|пошта|phone|mob(?:ile)?|tel|cell)"
)
_VALUE = (
    r"(?:[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail
    r"|(?:https?://|www\.)[^\s,;()]+"  # link
    r"|\+?\(?\d[\d\s().\-–]{5,}\d"  # phone, as typed: "+7 (701) 123-45-67", "87011234567"
    r"|(?<![\w.])@[A-Za-z][\w.]{2,}[\w])"  # messenger handle
)
_CONTACT = re.compile(rf"(?:\b{_LABEL}\b\.?\s*:?\s*)?{_VALUE}", re.IGNORECASE)
_LONE_LABEL = re.compile(rf"^{_LABEL}\.?:?$", re.IGNORECASE)
_SEPARATOR = re.compile(r"[(),|\[\]]|\s[—–-]{1,2}\s|\s[—–]|[—–]\s|^[—–-]+|[—–-]+$")
_NAME_WORD = re.compile(r"^(?:[^\W\d_][^\W\d_'’-]*(?:[-'’][^\W\d_]+)*|(?:[^\W\d_]\.){1,3}|[^\W\d_]\.[^\W\d_]+)$")
_DEGREE = re.compile(r"^(?:[^\W\d_]{1,3}\.){2,4}$")  # к.т.н., т.ғ.к., PhD is a word below
_GLUED = re.compile(r"\.(?=[^\W\d_a-zа-яәіңғүұқөһё][^\W\d_]+)")  # a dot, then a capitalised word
_CONNECTORS = frozenset(("и", "және", "жане", "and", "&", "бен", "мен", "пен", "with", "с"))
_AUTHOR_LABEL = re.compile(r"^(?:автор|соавтор|авторлар|co-?author|author)", re.IGNORECASE)
# a word of a position or degree (normalised, dots dropped); a longer stem matches the word's start
_POSITION_EXACT = frozenset(
    "ст доц проф преп асс зав аға phd msc mba dr prof assoc asst ass hd кпн ктн кэн дтн дпн".split()
)
_POSITION_STEMS: tuple[str, ...] = (
    "преподав",
    "профессор",
    "доцент",
    "ассистент",
    "ассоцииров",
    "заведую",
    "декан",
    "доктор",
    "кандидат",
    "магистр",
    "старш",
    "ведущ",
    "научн",
    "сотрудни",
    "инженер",
    "методист",
    "директор",
    "руковод",
    "специалист",
    "эксперт",
    "тьютор",
    "оқытушы",
    "меңгеруш",
    "қауымдаст",
    "лектор",
    "ғылыми",
    "қызметкер",
    "маман",
    "әдіскер",
    "жетекш",
    "профессоры",
    "professor",
    "associate",
    "assistant",
    "lecturer",
    "senior",
    "head",
    "dean",
    "teacher",
    "tutor",
    "instructor",
    "research",
    "chair",
    "director",
    "master",
    "candidate",
    "doctor",
)
# a word naming a unit or the university: capitalised words next to it are not a person
_UNIT_STEMS: tuple[str, ...] = (
    "кафедр",
    "факультет",
    "department",
    "faculty",
    "school",
    "институт",
    "университет",
    "university",
    "institute",
    "college",
    "колледж",
    "мектеб",
    "академи",
    "academy",
    "центр",
    "орталы",
    "center",
    "centre",
)
_UNIT_EXACT = frozenset(("of", "по", "в", "ату", "атү", "atu"))


@dataclass(frozen=True)
class AuthorsReading:
    """The authors of one answer, and what in it is neither a name, a position nor contact data."""

    authors: tuple[Author, ...]
    unclear: tuple[str, ...] = ()


def _word(w: str) -> str:
    return normalise(w).replace(" ", "")


_POSITION_EXACT = frozenset(map(_word, _POSITION_EXACT))
_POSITION_STEMS = tuple(map(_word, _POSITION_STEMS))
_UNIT_EXACT = frozenset(map(_word, _UNIT_EXACT))
_UNIT_STEMS = tuple(map(_word, _UNIT_STEMS))
_CONNECTORS = frozenset(map(_word, _CONNECTORS))


def _stem_match(word: str, exact: frozenset[str], stems: tuple[str, ...]) -> bool:
    w = _word(word)
    return bool(w) and (w in exact or any(w.startswith(s) for s in stems))


def _is_position_word(word: str) -> bool:
    return _stem_match(word, _POSITION_EXACT, _POSITION_STEMS) or bool(_DEGREE.match(word) and word[0].islower())


def _is_unit_word(word: str) -> bool:
    return _stem_match(word, _UNIT_EXACT, _UNIT_STEMS)


def _is_name_word(word: str) -> bool:
    return bool(_NAME_WORD.match(word)) and word[0].isupper() and not _is_position_word(word)


def looks_like_name(part: str) -> bool:
    """2-4 capitalised words (initials allowed: "Иванов И.И."), none of them a position word."""
    words = part.split()
    return 2 <= len(words) <= 4 and all(_is_name_word(w) for w in words)


@dataclass
class _Entry:
    name: str = ""
    positions: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)

    def add(self, kind: str, text: str) -> None:
        (self.contacts if kind == "contact" else self.positions).append(text)

    def author(self) -> Author:
        return Author(name=self.name, position=", ".join(self.positions), contact=", ".join(self.contacts))


def _words_of(fragment: str) -> list[tuple[str, str]]:
    """One fragment (no contact, no separator in it) -> (kind, text) items: "name", "position",
    "unclear"; connectors dropped."""
    words = _GLUED.sub(". ", fragment).split()  # "И.И.Иванов" -> "И.И. Иванов"
    if not words:
        return []
    if all(w.isalpha() and w.islower() for w in words) and 2 <= len(words) <= 4:
        if not any(_is_position_word(w) or _is_unit_word(w) or _word(w) in _CONNECTORS for w in words):
            return [("name", " ".join(w.capitalize() for w in words))]  # typed all in lower case
    items: list[tuple[str, str]] = []
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and _is_name_word(words[j]) and not _is_unit_word(words[j]):
            j += 1
        run = words[i:j]
        beside_unit = (i > 0 and _is_unit_word(words[i - 1])) or (j < len(words) and _is_unit_word(words[j]))
        if 2 <= len(run) <= 4 and not beside_unit:
            items.append(("name", " ".join(run)))
            i = j
            continue
        j = max(j, i + 1)
        while j < len(words) and not (looks_like_name(" ".join(words[j : j + 2])) and not _is_unit_word(words[j - 1])):
            j += 1
        rest = words[i:j]
        while rest and (_word(rest[0]) in _CONNECTORS or _AUTHOR_LABEL.match(rest[0])):
            rest = rest[1:]  # "и Петрова Анна", "Авторы: …": a connector or a label, not a position
        while rest and _word(rest[-1]) in _CONNECTORS:
            rest = rest[:-1]
        if rest:
            text = " ".join(rest).strip(" :")
            kind = "position" if any(_is_position_word(w) or _is_unit_word(w) for w in rest) else "unclear"
            if text:
                items.append((kind, text))
        i = j
    return items


def _items(line: str) -> list[tuple[str, str]]:
    """One line -> its (kind, text) items in the order typed; contact data first taken out whole."""
    items: list[tuple[str, str]] = []
    at = 0
    for m in _CONTACT.finditer(line):
        items += _fragments(line[at : m.start()])
        items.append(("contact", " ".join(m.group(0).split()).strip(" .")))
        at = m.end()
    return items + _fragments(line[at:])


def _fragments(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for fragment in _SEPARATOR.split(text):
        fragment = fragment.strip(" \t:;/")
        if _LONE_LABEL.match(fragment):  # "WhatsApp:" with its number in the next fragment
            continue
        out += _words_of(fragment)
    return out


def read_authors(text: str) -> AuthorsReading:
    """Every author of the answer, in the order typed, and the fragments left for CDB to read."""
    return _read(text or "")


@lru_cache(maxsize=1 << 15)  # pure; an intake reads each answer, and the registry reads it back
def _read(text: str) -> AuthorsReading:
    entries: list[_Entry] = []
    unclear: list[str] = []
    waiting: list[tuple[str, str]] = []  # before the first name of the answer
    for line in re.split(r"[\n;]", text):
        line = _BULLET.sub("", line).strip()
        current: _Entry | None = None
        before: list[tuple[str, str]] = []  # this line's items before its first name
        for kind, value in _items(line):
            if kind == "unclear":
                unclear.append(value)
            elif kind == "name":
                known = next((e for e in entries if same_person(e.name, value)), None)
                current = known or _Entry(value)
                if known is None:
                    entries.append(current)
                for k, v in waiting + before:
                    current.add(k, v)
                waiting, before = [], []
            elif current is not None:
                current.add(kind, value)
            else:
                before.append((kind, value))
        if before:  # a line with no name: the author before it (or the first one to come)
            if entries:
                for k, v in before:
                    entries[-1].add(k, v)
            else:
                waiting += before
    if waiting and not entries:  # no name anywhere: what was typed is shown to CDB, not guessed
        unclear += [v for k, v in waiting if k == "position"]
    return AuthorsReading(tuple(e.author() for e in entries), tuple(dict.fromkeys(unclear)))


def parse_authors(text: str) -> list[Author]:
    """Every author of the answer, in the order typed (see the module docstring); a new list each call."""
    return list(read_authors(text).authors)


def without_contacts(text: str) -> str:
    """The answer as typed with its contact data taken out: printed when no name could be read."""
    kept = _CONTACT.sub(" ", text or "")
    kept = re.sub(r"\(\s*[,;:]?\s*\)|\[\s*\]", " ", kept)  # the brackets a contact stood in
    return " ".join(re.sub(r"\s+([,;:])", r"\1", kept).split()).strip(" ,;:—–-")


def printed_names(authors: list[Author], typed: str) -> list[str]:
    """The names printed for a DER: the authors read, else what was typed without contact data."""
    names = [a.name.strip() for a in authors if a.name.strip()]
    return names or [n for n in [without_contacts(typed)] if n]
