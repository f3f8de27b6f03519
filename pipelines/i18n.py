"""The texts people read, in Kazakh and Russian: the command line, stage notes, the sentences the
documents and notifications are built from (the `cli:` section of sheets_schema/messages.yaml,
where CDB can reword them without touching code).

`text(key, lang, **values)` formats one message. A key or a language missing from the file is a test
failure (tests/test_i18n.py), never a crash: the other language is used, then the key itself. Before
a config could be read the language is unknown, and `both(key)` gives "<kk> / <ru>".
"""

from __future__ import annotations

import re
import string
from functools import cache
from typing import Any

import yaml

from pipelines.tables import SCHEMA_DIR

LANGS = ("kk", "ru")
MESSAGES = SCHEMA_DIR / "messages.yaml"


@cache
def catalog() -> dict[str, dict[str, str]]:
    """key -> {lang: template}, as written in the `cli:` section."""
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's where installed: the same, 9x faster
        data = yaml.load(MESSAGES.read_text(encoding="utf-8"), Loader=loader) or {}
    except (OSError, yaml.YAMLError):
        return {}
    section = data.get("cli") if isinstance(data, dict) else None
    return section if isinstance(section, dict) else {}


class _Keep(dict):
    """A placeholder without a value stays as `{name}` rather than failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def template(key: str, lang: str) -> str:
    entry = catalog().get(key) or {}
    for candidate in (lang, *[x for x in LANGS if x != lang]):
        value = entry.get(candidate) if isinstance(entry, dict) else None
        if isinstance(value, str) and value.strip():
            return value
    return key


def text(key: str, lang: str, /, **values: Any) -> str:
    """The message `key` in `lang` (kk|ru) with `values` put into its {placeholders}."""
    pattern = template(key, lang)
    try:
        return string.Formatter().vformat(pattern, (), _Keep(values))
    except (ValueError, IndexError, AttributeError, KeyError):  # a malformed template: show it as it is
        return pattern


def both(key: str, /, **values: Any) -> str:
    """Kazakh and Russian side by side, for what is printed before the config's language is known."""
    return " / ".join(text(key, lang, **values) for lang in LANGS)


class Said(Exception):
    """An error worded by message key: `say(lang)` is its text in one language, `str()` in both
    (for whoever prints it before the language is known). A key not in the file is the text itself."""

    def __init__(self, key: str, /, **values: Any):
        self.key, self.values = key, values
        super().__init__(self.say(None))

    def say(self, lang: str | None) -> str:
        if self.key not in catalog():
            return self.key
        return text(self.key, lang, **self.values) if lang else both(self.key, **self.values)


def error_text(exc: BaseException, lang: str | None) -> str:
    """An error's text in `lang`: its own when it is a `Said`, else the `Said` it was raised from
    (a backend wraps a FormError in its BackendError), else its message as it is."""
    for candidate in (exc, exc.__cause__, exc.__context__):
        if isinstance(candidate, Said):
            return candidate.say(lang)
    return str(exc)


def status_label(code: str, lang: str) -> str:
    """A registry status (accepted, rejected, superseded, disqualified) in words; unknown codes as they are."""
    key = f"status_{code}"
    return text(key, lang) if key in catalog() else code


def state_label(code: str, lang: str) -> str:
    """A stage state (open, waiting, closed, pending) in words; unknown states as they are."""
    key = f"state_{code}"
    return text(key, lang) if key in catalog() else code


def counts(counter: dict[str, int], lang: str) -> str:
    """`{"accepted": 37, "rejected": 7}` -> "қабылданды: 37, қабылданбады: 7"."""
    parts = []
    for code, n in sorted(counter.items()):
        key = f"count_{code}"
        parts.append(text(key, lang, n=n) if key in catalog() else f"{code}: {n}")
    return ", ".join(parts)


_ACTION = re.compile(r"stage (\d) (opened|reopened|closed|waiting)")
_ACTION_KEYS = {"intake": "action_intake", "intake closed": "action_intake_closed"}


def action(code: str, lang: str) -> str:
    """One of the tick's actions ("intake", "stage 1 opened", ...) in words; anything else as it is."""
    if code in _ACTION_KEYS:
        return text(_ACTION_KEYS[code], lang)
    if code.startswith("reminders sent: "):
        return text("action_reminders_sent", lang, count=code.rsplit(" ", 1)[1])
    match = _ACTION.fullmatch(code)
    if match:
        return text(f"action_stage_{match.group(2)}", lang, stage=match.group(1))
    return code


_CLAUSE_KEYS = {"form 01 note": "clause_form01_note", "form 01": "clause_form01", "-": "clause_none"}
_ROLE_KEYS = {"reader": "role_reader", "commenter": "role_commenter", "writer": "role_writer", "owner": "role_owner"}


def clause(tag: str, lang: str) -> str:
    """A clause tag as people read it: "9.8" stays, "form 01 note" is said in `lang`."""
    if tag in _CLAUSE_KEYS:
        return text(_CLAUSE_KEYS[tag], lang)
    if m := re.fullmatch(r"form 01\.(\d+)", tag):
        return text("clause_form01_field", lang, field=m.group(1))
    return tag


def role(code: str, lang: str) -> str:
    """A sharing role (reader, commenter, writer, owner) in words; an unknown one as it is."""
    return text(_ROLE_KEYS[code], lang) if code in _ROLE_KEYS else code


_WHY = (
    # what the rating-sheet reader (pipelines/rating_sheet.py) and the sheet jobs write, most specific first
    (
        re.compile(
            r"^the rating sheet of (?P<email>\S+) is missing: (?P<error>.*?)\. To go on,.*recreate-sheet (?P<stage>\d) \S+ --group (?P<group>\S+)`"
        ),
        "why_sheet_missing",
    ),
    (
        re.compile(
            r"^the rating sheet of (?P<email>\S+) could not be read: (?P<error>.*?)\. To go on,.*recreate-sheet (?P<stage>\d) \S+ --group (?P<group>\S+)`"
        ),
        "why_sheet_unreadable",
    ),
    (re.compile(r"^this sheet was not made for the current list of DERs or criteria"), "why_checksum"),
    (
        re.compile(r"^this is the rating sheet of (?P<names>.*), returned under the name of (?P<me>\S+);"),
        "why_someone_elses",
    ),
    (
        re.compile(
            r"^this sheet belongs to another stage, group or edition \((?P<names>.*)\); not scored: ask (?P<me>\S+) to return the sheet of stage (?P<stage>\d), (?P<group>\S+)$"
        ),
        "why_other_stage",
    ),
    (re.compile(r"^(?P<n>\d+) tabs carry this sheet's identity"), "why_many_tabs"),
    (re.compile(r"^no tab carries this sheet's identity .* made for (?P<me>\S+)\)"), "why_no_identity"),
    (re.compile(r"^an extra tab in the sheet; ignored$"), "why_extra_tab"),
    (re.compile(r"^a copy of the rating tab; ignored"), "why_copy_tab"),
    (re.compile(r"^column-header row not found"), "why_no_header"),
    (
        re.compile(r"^columns were inserted or deleted: the score columns moved by (?P<shift>-?\d+)"),
        "why_columns_moved",
    ),
    (re.compile(r"^column header changed: expected (?P<value>.*)$"), "why_header_changed"),
    (
        re.compile(
            r"^column header and position disagree: expected (?P<value>«.*?») here; «.*?» is now in column (?P<column>[A-Z]+); its scores"
        ),
        "why_header_moved_scores",
    ),
    (
        re.compile(
            r"^column header and position disagree: expected (?P<value>«.*?») here; «.*?» is now in column (?P<column>[A-Z]+); not read"
        ),
        "why_header_moved",
    ),
    (
        re.compile(r"^column header and position disagree: expected (?P<value>«.*?») here; its scores"),
        "why_header_lost_scores",
    ),
    (re.compile(r"^column header and position disagree: expected (?P<value>«.*?») here; not read"), "why_header_lost"),
    (re.compile(r"^row added: unexpected DER id (?P<value>.*); ignored$"), "why_row_unknown_id"),
    (re.compile(r"^row added without a DER id"), "why_row_no_id"),
    (re.compile(r"^row deleted: DER (?P<id>\S+) (?P<title>«.*») is missing$"), "why_row_deleted"),
    (re.compile(r"^row added: DER (?P<id>\S+) appears again \(first in row (?P<row>[^)]*)\)"), "why_row_again"),
    (re.compile(r"^the hidden DER id (?P<id>\S+) and the title disagree \(expected (?P<title>«.*»)\)"), "why_id_title"),
    (re.compile(r"^edited after the freeze; the frozen scores are used"), "why_edited_after_freeze"),
    (re.compile(r"^edited after the freeze; not used"), "why_edited_after_freeze"),
    (re.compile(r"^the frozen copy changed; it is not used"), "why_frozen_copy_changed"),
    (re.compile(r"^blank$"), "why_blank"),
    (re.compile(r"^(?:text, )?not a number: (?P<value>.*)$"), "why_not_number"),
    (re.compile(r"^not a whole number: (?P<value>.*)$"), "why_not_whole"),
    (re.compile(r"^out of range: (?P<value>\S+) \(allowed (?P<allowed>[^)]*)\)$"), "why_out_of_range"),
    (re.compile(r"^a formula in a score cell"), "why_formula"),
    (re.compile(r"^sum formula"), "why_sum"),
    (re.compile(r"^(?P<label>[^:]+) changed: expected (?P<value>.*)$"), "why_label_changed"),
    (re.compile(r"changed: expected (?P<value>.*)$"), "why_changed"),
)


def sheet_problem(detail: str, lang: str) -> str:
    """A sheet problem's reason in kk/ru (the reader words it in English); as written when unknown."""
    for pattern, key in _WHY:
        if m := pattern.search(detail):
            values = {k: v for k, v in m.groupdict().items() if v is not None}
            return text(key, lang, **values)
    return detail


def actions(codes: list[str], lang: str) -> str:
    """The tick's actions joined, or "nothing due"."""
    return ", ".join(action(c, lang) for c in codes) if codes else text("nothing_due", lang)


def say(sentence: str, lang: str) -> str:
    """A domain sentence in `lang`: a Notice by its key and values, any other text as it is."""
    key, values = getattr(sentence, "key", None), getattr(sentence, "values", None)
    if key is None or key not in catalog():
        return str(sentence)
    return text(key, lang, **(values or {}))
