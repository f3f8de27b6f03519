"""The texts people read, in Kazakh and Russian: the command line, stage notes, the sentences the
documents and notifications are built from (the `cli:` section of sheets_schema/messages.yaml,
where CDB can reword them without touching code).

`text(key, lang, **values)` formats one message. A key or a language missing from the file is a test
failure (tests/test_i18n.py), never a crash: the other language is used, then the key itself. Before
a config could be read the language is unknown, and `both(key)` gives "<kk> / <ru>".
`word(notice, lang)` says a Notice (what the pipeline found, as key and values); nothing here reads
words back.
"""

from __future__ import annotations

import string
from functools import cache
from typing import Any

import yaml

from pipelines.domain.models import Notice
from pipelines.formats.tables import SCHEMA_DIR

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
    """An error's text in `lang`: its own when it is a `Said`, else the `Said` it carries (`said`,
    which survives a `raise … from None`) or was raised from (a backend wraps a FormError in its
    BackendError), else its message as it is."""
    for candidate in (exc, getattr(exc, "said", None), exc.__cause__, exc.__context__):
        if isinstance(candidate, Said):
            return candidate.say(lang)
    return str(exc)


def status_label(code: str, lang: str) -> str:
    """A registry status (accepted, rejected, superseded, disqualified) in words; an unknown code unchanged."""
    key = f"status_{code}"
    return text(key, lang) if key in catalog() else code


def state_label(code: str, lang: str) -> str:
    """A stage state (open, waiting, closed, pending) in words; an unknown state unchanged."""
    key = f"state_{code}"
    return text(key, lang) if key in catalog() else code


def counts(counter: dict[str, int], lang: str) -> str:
    """`{"accepted": 37, "rejected": 7}` -> "қабылданды: 37, қабылданбады: 7"."""
    parts = []
    for code, n in sorted(counter.items()):
        key = f"count_{code}"
        parts.append(text(key, lang, n=n) if key in catalog() else f"{code}: {n}")
    return ", ".join(parts)


_ACTION_KEYS = {
    "intake": "action_intake",
    "intake closed": "action_intake_closed",
    "intake waiting": "action_intake_waiting",
    "disqualification": "action_disqualification",
    "joined": "action_joined",
    "results pdf": "action_results_pdf",
}
_STAGE_VERBS = ("opened", "reopened", "closed", "waiting")
_COUNTED = {  # "<code>: N" -> its text's key
    "reminders sent: ": "action_reminders_sent",
    "reminders written: ": "action_reminders_written",
    "notifications sent: ": "action_notifications_sent",
    "notifications written: ": "action_notifications_written",
    "returned sheets filed: ": "action_inbox_filed",
    "returned files not filed: ": "action_inbox_not_filed",
}


def action(code: str, lang: str) -> str:
    """One of the tick's action codes ("intake", "stage 1 opened", "reminders sent: 3", as the
    journal keeps them) in words; any other code as it is."""
    if code in _ACTION_KEYS:
        return text(_ACTION_KEYS[code], lang)
    for prefix, key in _COUNTED.items():
        if code.startswith(prefix):
            return text(key, lang, count=code[len(prefix) :])
    parts = code.split(" ")
    if len(parts) == 3 and parts[0] == "stage" and parts[1].isdigit() and parts[2] in _STAGE_VERBS:
        return text(f"action_stage_{parts[2]}", lang, stage=parts[1])
    return code


_CLAUSE_KEYS = {"form 01 note": "clause_form01_note", "form 01": "clause_form01", "-": "clause_none"}
_FORM01_FIELD = "form 01."
_ROLE_KEYS = {"reader": "role_reader", "commenter": "role_commenter", "writer": "role_writer", "owner": "role_owner"}


def clause(tag: str, lang: str) -> str:
    """A clause tag as people read it: "9.8" stays, "form 01 note" is said in `lang`."""
    if tag in _CLAUSE_KEYS:
        return text(_CLAUSE_KEYS[tag], lang)
    if tag.startswith(_FORM01_FIELD) and tag[len(_FORM01_FIELD) :].isdigit():
        return text("clause_form01_field", lang, field=tag[len(_FORM01_FIELD) :])
    return tag


def place(workspace: Any, lang: str) -> str:
    """Where the edition lives (a ports.Workspace's `place`) in words; its English description
    when it has none."""
    notice = getattr(workspace, "place", None)
    return word(notice, lang) if isinstance(notice, Notice) else str(getattr(workspace, "description", ""))


def group_name(group: str, lang: str) -> str:
    """A group id as people read it: stage 3's "contest" is the whole contest; a unit's id as it is."""
    return text("group_contest", lang) if group == "contest" else group


def document_kind(kind: str, lang: str) -> str:
    """A document kind (form01, protocol_extract, …) in words; an unknown kind as it is."""
    key = f"kind_{kind}"
    return text(key, lang) if key in catalog() else kind


def role(code: str, lang: str) -> str:
    """A sharing role (reader, commenter, writer, owner) in words; an unknown one as it is."""
    return text(_ROLE_KEYS[code], lang) if code in _ROLE_KEYS else code


def actions(codes: list[str], lang: str) -> str:
    """The tick's actions joined, or "nothing due"."""
    return ", ".join(action(c, lang) for c in codes) if codes else text("nothing_due", lang)


def word(notice: Notice, lang: str) -> str:
    """A Notice in `lang` (kk|ru): its key's text with its values put in, a value that is itself a
    Notice worded first (a list of them joined by "; ": names may hold commas). The one place a
    reason, a problem, a waiting note or a sentence of a protocol becomes words."""
    return text(notice.key, lang, **{k: _worded(v, lang) for k, v in notice.values.items()})


def _worded(value: Any, lang: str) -> Any:
    if isinstance(value, Notice):
        return word(value, lang)
    if isinstance(value, (list, tuple)) and any(isinstance(v, Notice) for v in value):
        return "; ".join(str(_worded(v, lang)) for v in value)
    return value
