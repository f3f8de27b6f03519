"""The registry table's mapper: a row <-> an Application, nothing else reads or writes its rows.
Raw answers travel with every row, so nothing is lost; form 01's columns come from domain/form01.py."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import Any

import yaml

from pipelines import i18n
from pipelines.domain.authors import parse_authors
from pipelines.domain.form01 import FORM01, FormField, Kind
from pipelines.domain.models import AS_WRITTEN, Application, Author, Notice, Reason, Response, Status
from pipelines.formats.cells import CELL_LIMIT, UNSTORABLE, escape_unstorable
from pipelines.formats.tables import SCHEMA_DIR

LIST_SEPARATOR = "\n"


@cache
def _messages() -> dict[str, dict[str, str]]:
    path = SCHEMA_DIR / "messages.yaml"
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, where installed: the same data, faster
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader) if path.is_file() else {}


@cache
def _status_label(code: str, lang: str) -> str:
    return i18n.status_label(code, lang)  # the same few words on every row of the registry


def local_reason(reason: Reason, lang: str) -> str:
    """The reason in the document language for the people who read the registry: the rule's short
    text, what it found, the clause. A reason an older version stored as an English sentence shows
    the rule's text alone."""
    text = _rule_message(reason.rule, lang)
    detail = "" if reason.notice.key == AS_WRITTEN and text else i18n.word(reason.notice, lang)
    if text and detail:
        return f"{text}: {detail} ({i18n.clause(reason.clause, lang)})"
    return f"{text or detail} ({i18n.clause(reason.clause, lang)})"


def _rule_message(rule: str, lang: str) -> str | None:
    entry = _messages().get(rule) if rule != "cli" else None  # `cli:` holds the command line's texts
    text = entry.get(lang) if isinstance(entry, dict) else None
    return text if isinstance(text, str) else None


def rule_text(rule: str, lang: str) -> str:
    """An intake rule's short text in `lang`, or the rule's name when messages.yaml has none."""
    return _rule_message(rule, lang) or rule


def authors_text(authors: list[Author]) -> str:
    return LIST_SEPARATOR.join(", ".join(p for p in (a.name, a.position, a.contact) if p) for a in authors)


# --- form 01's columns, from the field table ---------------------------------------------------------
def _cell(f: FormField, r: Response) -> str:
    value = getattr(r, f.attribute)
    if f.kind is Kind.CHOICES:
        return ", ".join(value)
    if f.kind is Kind.FILES:
        return LIST_SEPARATOR.join(value)
    return value


def _answer(f: FormField, row: dict[str, Any]) -> dict[str, Any]:
    """The Response fields one form column gives back."""
    text = str(row.get(f.name, ""))
    if f.kind is Kind.CHOICES:
        return {f.name: [x.strip() for x in text.split(",") if x.strip()]}
    if f.kind is Kind.FILES:
        return {f.name: _split(text)}
    if f.kind is Kind.AUTHORS:  # the answer as typed, read as intake read it
        return {"authors": parse_authors(text), "authors_raw": text}
    return {f.name: text}


# --- the mapper --------------------------------------------------------------------------------------
def to_row(app: Application, lang: str) -> dict[str, Any]:
    """The registry row of `app` (every column of tables.yaml's registry)."""
    r = app.response
    row = {
        "id": app.id,
        "status": app.status.value,  # the code, read back by the jobs
        "status_local": _status_label(app.status.value, lang),
        "reasons": LIST_SEPARATOR.join(f"{x.rule} ({x.clause}): {x.notice.to_json()}" for x in app.reasons),
        "reasons_local": LIST_SEPARATOR.join(local_reason(x, lang) for x in app.reasons),
        "submitted_at": r.submitted_at.isoformat() if r.submitted_at else "",
        "respondent_email": r.respondent_email,
        "faculty_id": app.faculty_id or "",
        "department_id": app.department_id or "",
        **{f.name: _cell(f, r) for f in FORM01},
        "matched": "; ".join(f"{k}: {v}" if k else v for k, v in app.matched.items()),
        "superseded_by": app.superseded_by or "",
        "row_key": r.row_key,
        "row_number": r.row_number,
        "raw": _raw_json(r.raw),  # the answers exactly as given
    }
    # characters no cell holds are noted when first written; read back, the cells no longer hold them
    row["cell_notes"] = cell_notes(row, lang) or app.cell_notes
    return row


def from_row(row: dict[str, Any]) -> Application:
    """An Application back from its registry row (as a person may have left it)."""
    try:
        raw = json.loads(row.get("raw") or "{}")
    except json.JSONDecodeError:
        raw = {"(unreadable raw column)": str(row.get("raw"))}
    submitted = str(row.get("submitted_at") or "")
    answers: dict[str, Any] = {}
    for f in FORM01:
        answers.update(_answer(f, row))
    response = Response(
        row_key=str(row.get("row_key", "")),
        row_number=int(row.get("row_number") or 0),
        submitted_at=datetime.fromisoformat(submitted) if submitted else None,
        respondent_email=str(row.get("respondent_email", "")),
        raw=raw,
        **answers,
    )
    return Application(
        id=str(row.get("id") or "").strip(),
        response=response,
        status=Status(str(row.get("status") or "rejected")),
        reasons=_reasons(row.get("reasons")),
        faculty_id=str(row.get("faculty_id") or "") or None,
        department_id=str(row.get("department_id") or "") or None,
        matched=_matched(row.get("matched")),
        superseded_by=str(row.get("superseded_by") or "") or None,
        cell_notes=str(row.get("cell_notes") or ""),
    )


def _raw_json(raw: dict[str, Any]) -> str:
    text = json.dumps(raw, ensure_ascii=False)
    return text if text.isprintable() else escape_unstorable(text)  # printable: nothing to escape (cells.fit)


def cell_notes(row: dict[str, Any], lang: str) -> str:
    """A note on the registry row for each answer that held characters no spreadsheet cell can
    (U+FFFE, control characters …): they are left out of the cell, and the raw column keeps the
    answer exactly as given (13 item 5)."""
    notes = []
    for key, value in row.items():
        if isinstance(value, str) and len(value) == CELL_LIMIT and key != "raw":
            # exactly as long as an .xlsx cell holds: an .xlsx export has likely cut the answer there
            notes.append(i18n.text("cell_maybe_cut", lang, column=_labels(lang).get(key, key), n=CELL_LIMIT))
        if not isinstance(value, str) or value.isprintable() or key == "raw":
            continue  # printable text has no character a cell cannot hold (cells.fit)
        removed = len(UNSTORABLE.findall(value))
        if removed:
            notes.append(i18n.text("cell_chars_removed", lang, column=_labels(lang).get(key, key), n=removed))
    return LIST_SEPARATOR.join(notes)


@cache
def _labels(lang: str) -> dict[str, str]:
    """The registry's column key -> its header in `lang`."""
    from pipelines.formats.tables import columns, headers

    return dict(zip(columns("registry"), headers("registry", lang)))


def _split(value: Any) -> list[str]:
    return [x.strip() for x in str(value or "").split(LIST_SEPARATOR) if x.strip()]


def _reasons(text: Any) -> list[Reason]:
    """Each line `rule (clause): {"key": …, "values": {…}}`; an older line's English detail is kept as written."""
    out = []
    for line in _split(text):
        head, _, detail = line.partition(": ")
        rule, _, clause = head.partition(" (")
        out.append(Reason(rule, clause.rstrip(")"), Notice.from_json(detail)))
    return out


def _matched(text: Any) -> dict[str, str]:
    """`matched` back: "faculty: …; department: …" (a faculty's note may itself hold "; " and
    "department: "); a text a person wrote otherwise is kept under no key."""
    rest, out = str(text or "").strip(), {}
    if rest.startswith("department: "):
        return {"department": rest.removeprefix("department: ")}
    head, marker, department = rest.rpartition("; department: ")
    if marker:
        rest = head
    if rest.startswith("faculty: "):
        out["faculty"] = rest.removeprefix("faculty: ")
    elif rest:
        out[""] = rest
    return out | ({"department": department} if marker else {})


def known_ids(apps: list[Application]) -> dict[str, str]:
    """Row key -> DER id of the registry's applications that have both (what `decide` keeps stable)."""
    out: dict[str, str] = {}
    for app in apps:
        key = app.response.row_key.strip()
        if key and app.id:
            out.setdefault(key, app.id)
    return out


def missing(apps: list[Application], present: set[str]) -> list[Application]:
    """The registry's applications whose row key is not among `present` (this run's responses), as
    they are: the registry never loses a row to a truncated export, a response deleted in Forms or
    an earlier --now."""
    return [app for app in apps if app.response.row_key.strip() not in present]
