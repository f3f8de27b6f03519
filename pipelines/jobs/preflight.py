"""`contest preflight`: prove the setup on the configured account before the first real tick.

Once each kind of thing an edition does, on scratch files the backend keys and deletes: a rating
sheet made as the stages make one (protection, validation, notes), a value written and read back,
a share with a CDB address (no notification mail) downgraded to reader, a .docx stored and its PDF
made, a search by appProperties, the form's responses read and, only when asked, one mail to the
sender. Each step says in the edition's language what was expected and what the backend answered.
The first step deletes what a crashed earlier run left behind; the last deletes what this run made
(also after a failed step). The first step that fails ends the run and is named.

The steps themselves are the backend's (`Probe`, Google's in pipelines/backends/google/preflight.py):
this module decides what is expected and says it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pipelines import i18n
from pipelines.domain.models import Application, Author, Expert, Response, Status
from pipelines.formats import rating_sheet
from pipelines.jobs.common import Run
from pipelines.ports import SheetKey, SheetRef, SheetSpec, a1


class Probe(Protocol):
    """What a backend does for the preflight (GooglePreflight)."""

    edition: str
    folder_name: str
    description: str

    def scratch_folder(self) -> dict[str, Any]: ...
    def rating_sheet(self, spec: SheetSpec) -> dict[str, Any]: ...
    def write_and_read(self, ref: SheetRef, cell: tuple[int, int], value: Any) -> Any: ...
    def share_then_reader(self, sheet_id: str, email: str) -> str | None: ...
    def document(self, docx: bytes) -> dict[str, Any]: ...
    def pdf(self, docx: bytes) -> dict[str, Any]: ...
    def search(self) -> int: ...
    def form_responses(self) -> int: ...
    def mail(self, to: str, subject: str, body: str) -> bool: ...
    def whoami(self) -> str | None: ...
    def clean(self) -> tuple[int, int]: ...


class StepFailed(Exception):
    """A step's answer was not what was expected; the text says what was read."""


@dataclass
class Outcome:
    steps: int  # steps that passed
    failed: str | None  # the name of the step that failed, in the edition's language


def preflight_sheet(run: Run, edition: str, email: str) -> SheetSpec:
    """A rating sheet as the stages build one, for a made-up DER and `email` as its expert (nothing
    of a real applicant: the preflight touches no personal data)."""
    config, lang = run.config, run.lang
    faculty = config.faculties[0]
    department = faculty.departments[0]
    response = Response(
        row_key="preflight",
        row_number=1,
        submitted_at=None,
        respondent_email=email,
        faculty=faculty.name(lang),
        department=department.name(lang),
        title="contest preflight",
        authors=[Author("contest preflight", "-")],
        authors_raw="contest preflight",
        languages=[],
        der_type="-",
        justification="",
        link="https://example.org/contest-preflight",
        act_files=[],
        certificate_files=[],
        raw={},
    )
    app = Application("DER-PREFLIGHT", response, Status.ACCEPTED, [], faculty.id, department.id)
    expert = Expert("contest preflight", email, department.id)
    deadline = f"{run.now:%d.%m.%Y %H:%M}"
    grid = rating_sheet.build_grid(
        config=config,
        stage=1,
        group_name=department.name(lang),
        expert=expert,
        applications=[app],
        deadline_text=deadline,
        lang=lang,
    )
    return SheetSpec(
        key=SheetKey(edition, 1, department.id, email),
        name="contest-preflight-sheet",
        folder=[],
        grid=grid,
        expert_name=expert.name,
        deadline_text=deadline,
        share_message="",
    )


def preflight_docx(lang: str) -> bytes:
    """A one-paragraph .docx (python-docx, as the documents are read back in the tests)."""
    from docx import Document

    doc = Document()
    doc.add_paragraph(i18n.text("preflight_doc_text", lang))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def run_preflight(
    run: Run, probe: Probe, *, mail: bool, say: Callable[[str], None] | None = None, share_with: str | None = None
) -> Outcome:
    """Every step in order, each line said as soon as it is known; cleaned up at the end whatever
    happened before (a crash — an exception that is not the backend's — leaves the files to the
    next run's first step)."""
    from pipelines.ports import BackendError

    lang, tell = run.lang, say or run.say
    backend = run.config.backend
    share_to = (
        share_with or getattr(backend, "sender", None) or next(iter(getattr(backend, "cdb_editors", []) or []), None)
    )
    tell(i18n.text("preflight_where", lang, backend=i18n.place(probe, lang), folder=probe.folder_name))
    state: dict[str, Any] = {}
    docx = preflight_docx(lang)

    def leftovers() -> str:
        deleted, left = probe.clean()
        if left:
            raise StepFailed(i18n.text("step_cleanup_answered", lang, count=deleted, left=left))
        return i18n.text("step_leftovers_answered", lang, count=deleted)

    def folder() -> str:
        made = probe.scratch_folder()
        return i18n.text("step_file_answered", lang, id=made["id"])

    def sheet() -> str:
        if not share_to:
            raise StepFailed(i18n.text("preflight_no_share_address", lang))
        spec = preflight_sheet(run, probe.edition, share_to)
        state["spec"] = spec
        got = probe.rating_sheet(spec)
        state["ref"] = SheetRef(spec.key, got["id"], "")
        answered = i18n.text("step_sheet_answered", lang, **got)
        cells = [c for row in spec.grid.rows for c in row]
        want = {
            "protected": 1,
            "validations": sum(1 for c in cells if c.validation),
            "notes": sum(1 for c in cells if c.note),
        }
        if any(got[k] != v for k, v in want.items()):
            raise StepFailed(answered)
        return answered

    def target() -> tuple[tuple[int, int], int]:
        spec = state["spec"]
        r, c = next((r, c) for r, row in enumerate(spec.grid.rows) for c, cell in enumerate(row) if cell.validation)
        return (r, c), spec.grid.rows[r][c].validation[1]

    def write() -> str:
        cell, value = target()
        got = probe.write_and_read(state["ref"], cell, value)
        answered = i18n.text("step_write_answered", lang, got=got)
        if got != value:
            raise StepFailed(answered)
        return answered

    def share() -> str:
        role = probe.share_then_reader(state["ref"].id, share_to or "")
        answered = i18n.text("step_share_answered", lang, role=role or "-")
        if role != "reader":
            raise StepFailed(answered)
        return answered

    def document() -> str:
        return i18n.text("step_file_answered", lang, id=probe.document(docx)["id"])

    def pdf() -> str:
        return i18n.text("step_file_answered", lang, id=probe.pdf(docx)["id"])

    def search() -> str:
        found = probe.search()
        answered = i18n.text("step_list_answered", lang, count=found)
        if found < 4:
            raise StepFailed(answered)
        return answered

    def form() -> str:
        return i18n.text("step_form_answered", lang, count=probe.form_responses())

    def send() -> str:
        me = getattr(backend, "sender", None)
        if not me or not getattr(backend, "gmail", False):
            raise StepFailed(i18n.text("preflight_no_gmail", lang))
        subject, body = i18n.text("preflight_mail_subject", lang), i18n.text("preflight_mail_body", lang)
        if not probe.mail(me, subject, body):
            raise StepFailed(i18n.text("preflight_no_gmail", lang))
        return i18n.text("step_mail_answered", lang)

    steps: list[tuple[str, dict[str, Any], Callable[[], str]]] = [
        ("step_leftovers", {}, leftovers),
        ("step_folder", {}, folder),
        ("step_sheet", {}, sheet),
        ("step_write", {}, write),
        ("step_share", {"email": share_to or "-"}, share),
        ("step_docx", {}, document),
        ("step_pdf", {}, pdf),
        ("step_list", {"count": 4}, search),
        ("step_form", {}, form),
    ]
    if mail:
        steps.append(("step_mail", {"email": getattr(backend, "sender", None) or "-"}, send))

    def one(key: str, values: dict[str, Any], action: Callable[[], str]) -> bool:
        name = i18n.text(key, lang)
        if key == "step_write" and "spec" in state:
            (r, c), value = target()
            values = {"cell": a1(r, c), "value": value}
        expected = i18n.text(f"{key}_expected", lang, **values)
        try:
            answered = action()
        except StepFailed as exc:
            tell(i18n.text("preflight_fail", lang, step=name, expected=expected, answered=str(exc)))
            return False
        except BackendError as exc:
            tell(i18n.text("preflight_fail", lang, step=name, expected=expected, answered=_refusal(exc, lang)))
            return False
        tell(i18n.text("preflight_ok", lang, step=name, expected=expected, answered=answered))
        return True

    passed, failed = 0, None
    try:
        for key, values, action in steps:
            if not one(key, values, action):
                failed = i18n.text(key, lang)
                break
            passed += 1
    except Exception:
        _cleanup(probe, lang, tell)  # a bug: still leave nothing behind, then show it
        raise
    if not _cleanup(probe, lang, tell) and failed is None:
        failed = i18n.text("step_cleanup", lang)
    return Outcome(passed, failed)


def _cleanup(probe: Probe, lang: str, tell: Callable[[str], None]) -> bool:
    from pipelines.ports import BackendError

    name, expected = i18n.text("step_cleanup", lang), i18n.text("step_cleanup_expected", lang)
    try:
        deleted, left = probe.clean()
    except BackendError as exc:
        tell(i18n.text("preflight_fail", lang, step=name, expected=expected, answered=_refusal(exc, lang)))
        return False
    answered = i18n.text("step_cleanup_answered", lang, count=deleted, left=left)
    tell(
        i18n.text(
            "preflight_ok" if not left else "preflight_fail", lang, step=name, expected=expected, answered=answered
        )
    )
    return not left


def _refusal(exc: Exception, lang: str) -> str:
    """Google's refusal: its status and reason as Google wrote them, then what it means."""
    status, reason = getattr(exc, "status", None), getattr(exc, "reason", None)
    head = " ".join(str(x) for x in (status, reason) if x)
    text = " ".join(i18n.error_text(exc, lang).split())
    return f"{head}: {text}" if head else text
