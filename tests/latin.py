"""The Latin-script words in a text people read, other than what is not words of ours: ids, e-mail
addresses, URLs, file paths and codes (what a person types or copies as it is: a command, an option, a
config key, a Google reason). Each exception is one pattern below, as narrow as it can be; the data an
edition holds (titles, names, answers as people typed them) is passed in and taken out first.

Used by tests/test_words.py (every command's output, status, the outbox, the documents, in kk and ru)
and tests/test_cli_help.py (every help screen)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import click

OPTION = r"(?<![\w-])--?[a-z][a-z-]*\b"  # an option: the line shows a command to type
MARK = "\x00"  # where an option was: the line is a command's
CODES = [
    r"https?://\S+",  # a URL
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # an e-mail address
    r"`[^`\n]*`",  # code quoted as code
    r"(?<![\w-])[\w.~*<>{}-]*/[\w./~*<>{}-]*",  # a path (anything with a slash, also «http/https»)
    r"\b[\w.-]+\.(?:yaml|yml|xlsx|docx|pdf|csv|json|eml|png|sqlite3|log|lock|txt|md)\b",  # a file name
    r"\bhttps?\b",  # a URL's scheme, named (an address must start with http or https)
    r"\b[a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)+(?::\s*[a-z_-]+\b)?",  # a config key (backend.auth: oauth)
    r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b",  # an identifier (tie_break, stage1_close)
    r"\b[a-z]+(?:[A-Z][a-z]*)+\b",  # Google's reasons (storageQuotaExceeded)
    r"\b[A-Z][A-Z0-9]*(?:[-_][A-Z0-9]+)+\b",  # an id (DER-P7UOGN, FIT-IS, CONTEST_CONFIG)
    r"\b[A-Z]{2,6}\b",  # an abbreviation (PDF, JSON, ISO, DNS, API, CDB)
    r"\b\w*\d\w*\b",  # a token with digits (form01, 403)
    OPTION,
    r"\bcontest-sheet \[[^\]]*\]",  # a rating sheet's identity key (its hidden cell, docs/architecture.md)
    r"^Error: ",  # click's marker of a failed command, which cron and scripts look for (README)
]
# Names of products and programs, written in Latin script in Kazakh and Russian too
NAMES = {"Google", "Gmail", "Drive", "Workspace", "Cloud", "LibreOffice", "Excel", "Word", "cron"}
WORD = re.compile(r"[A-Za-z]{2,}")


def cli_words(command: click.Command | None = None) -> set[str]:
    """What is typed as it is, each whole: the program's name, its commands, their choices (an
    option is CODES' own pattern)."""
    from pipelines.cli import cli

    command = command or cli
    words = {"contest", command.name or "contest"}
    for param in command.params:
        if isinstance(param.type, click.Choice):
            words.update(str(c) for c in param.type.choices)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            words |= cli_words(sub)
    return words


def config_keys() -> set[str]:
    """The top-level keys of contest.yaml (criteria, quotas, scoring …), named as they are written.
    A key under them is named by its path (scoring.min_experts), which CODES takes."""
    from pipelines.config import Config

    return {field.alias or name for name, field in Config.model_fields.items()}


def names_typed(texts: Iterable[str]) -> set[str]:
    """The capitalised Latin-script words of what people typed: names as the documents reorder them
    ("Ospanova Zarina" from "Zarina Ospanova, PhD")."""
    return {w for t in texts for w in WORD.findall(t) if w[0].isupper()}


def latin_words(text: str, data: Iterable[str] = (), *, help_screen: bool = False) -> list[str]:
    """The Latin-script words of `text` that are none of the exceptions. `data`: what people typed
    (titles, names, answers, comments), taken out whole first; its capitalised words (names) after.
    A command's name or a choice is code on a line showing a command (the program's name or an
    option on it), and anywhere on a help screen (`help_screen`: its list of commands)."""
    typed, allowed = _typed(tuple(data))
    # addresses, links and file names first: a value typed (a host such as atu.edu.kz, a number that
    # is also in a backup's time stamp) must not cut one in half and leave half a code as a word
    for pattern in CODES[:2] + [CODES[4]]:
        text = re.sub(pattern, " ", text)
    for value in typed:
        text = text.replace(value, " ")
    for pattern in CODES:
        text = re.sub(pattern, MARK if pattern == OPTION else " ", text, flags=re.MULTILINE)
    tokens = _tokens()
    found = []
    for line in text.splitlines():
        if help_screen or COMMAND_LINE.search(line):  # a command to type: its name and its choices are code there
            for token in tokens:
                line = re.sub(rf"(?<![\w-]){re.escape(token)}(?![\w-])", " ", line)
        found += [w for w in WORD.findall(line) if w not in allowed]
    return found


@functools.lru_cache(maxsize=8)
def _typed(data: tuple[str, ...]) -> tuple[list[str], set[str]]:
    """What people typed, each value whole and each part of it (an author: name, position, contact),
    longest first; and the words allowed beside it. Made once per edition's data (test_words calls
    latin_words line by line)."""
    parts = {p.strip() for d in data for p in [d, *re.split(r"[,;\n]", d)]}
    typed = sorted({p for p in parts if len(p) >= 3}, key=len, reverse=True)
    return typed, NAMES | config_keys() | names_typed(typed)


@functools.lru_cache(maxsize=1)
def _tokens() -> list[str]:
    return sorted(cli_words(), key=len, reverse=True)


# a line that shows a command to type: the program's name or an option
COMMAND_LINE = re.compile(r"(?<![\w-])contest(?![\w-])|\x00")
