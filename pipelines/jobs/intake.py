"""Intake: form responses -> applications -> rules -> registry, and a form 01 letter per accepted DER."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from pipelines import i18n
from pipelines.bulk import collector_paused
from pipelines.domain import intake as rules
from pipelines.domain.models import Application, Notice, RawResponse, Reason, Response, Status
from pipelines.domain.state import INTAKE, StageState
from pipelines.formats import forms
from pipelines.formats.registry import known_ids, missing
from pipelines.jobs import paperwork
from pipelines.jobs.common import Run, fmt_time
from pipelines.ports import StoredDoc


@dataclass
class IntakeReport:
    responses: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    registry_changed: bool = False
    letters: list[StoredDoc] = field(default_factory=list)
    ignored_future: int = 0
    # from the deadline on, while intake is not closed: what the close waits for (9.8: responses
    # that cover the deadline), None when they do
    waiting: Notice | None = None
    kept_missing: int = 0  # registry rows whose response is not in this export, kept as they were
    after_deadline: int = 0  # responses that came or changed after the deadline, recorded this run

    def summary(self, lang: str) -> str:
        """One line for CDB in `lang` (kk|ru)."""
        kept = i18n.text("intake_kept", lang, kept=self.kept_missing) if self.kept_missing > 0 else ""
        if self.after_deadline:
            kept += i18n.text("intake_after_deadline", lang, count=self.after_deadline)
        return i18n.text(
            "intake_summary",
            lang,
            responses=self.responses,
            counts=i18n.counts(self.counts, lang) or i18n.text("none_yet", lang),
            kept=kept,
            registry=i18n.text("registry_written" if self.registry_changed else "registry_unchanged", lang),
            letters=len(self.letters),
            written=sum(d.changed for d in self.letters),
        )


def read_mapping(run: Run, *, check: bool = True) -> tuple[list[RawResponse], forms.ColumnMapping]:
    """The responses and the decision on their columns; stops (FormError) when a required field has no column."""
    raw = run.workspace.forms.read_responses()
    mapping = column_mapping(raw, run.config)
    if check:
        check_mapping(mapping, run.lang)
    return raw, mapping


def column_mapping(raw: list[RawResponse], config) -> forms.ColumnMapping:
    """The decision on the columns of responses read from the form source, with the config's aliases."""
    aliases = forms.load_aliases(config.form.aliases)
    return forms.map_columns(forms.header_of(raw), aliases, config.form.timestamp_column)


@collector_paused()  # a Response and an Application per row, all kept (pipelines/bulk.py)
def read_applications(
    run: Run, known: dict[str, str] | None = None, *, show_mapping: bool = False
) -> tuple[list[Application], int]:
    """Every response up to `now`, decided (9.10 disqualifications too). A row that cannot even be
    mapped is kept, rejected. `known`: row key -> id already in the registry, so that ids survive
    edits (see rules.stable_ids). `show_mapping`: say how the columns were mapped (the first intake)."""
    apps, future, _newest = _decide(run, known, show_mapping=show_mapping)
    return rules.apply_decisions(apps, run.config.domain_decisions()), future


def _decide(
    run: Run, known: dict[str, str] | None, *, show_mapping: bool
) -> tuple[list[Application], int, datetime | None]:
    """`read_applications` before the recorded disqualifications (the intake applies them once, to
    what it keeps of the registry as well); with the count of responses after `now` and the newest
    submission time the source holds (`now` aside: a response after the deadline shows the export
    was taken after it)."""
    raw, mapping = read_mapping(run)
    if show_mapping:
        for line in mapping_lines(mapping, run.lang):
            run.say(line)
    aliases = forms.load_aliases(run.config.form.aliases)
    responses: list[Response] = []
    for item in raw:
        try:
            responses.append(forms.map_response(item, aliases, run.config.form.timestamp_column, run.config.zone))
        except Exception as exc:  # one bad row never stops the others
            responses.append(_unmappable(item, exc))
    # With --now in the past, responses submitted later do not exist yet.
    visible = [r for r in responses if r.submitted_at is None or r.submitted_at <= run.now]
    apps = rules.decide(visible, replace(run.config.intake_rules(), decisions=()), known_ids=known)
    newest = max((r.submitted_at for r in responses if isinstance(r.submitted_at, datetime)), default=None)
    return apps, len(responses) - len(visible), newest


EXPORT_COMPLETE = "export-complete"  # the journal's action for `contest intake --export-complete`


def deadline_covered(run: Run, newest: datetime | None) -> Notice | None:
    """9.8: intake closes on responses that cover its deadline, never on the clock alone (a stale
    export at the closing tick would leave out applications submitted on time). Covered: a live
    source (the linked sheet, the Forms API) read now; an export downloaded after the deadline (its
    file time), or holding a response submitted after it; or CDB's word that it is the final one
    (`contest intake --export-complete`). Otherwise the notice says what the close waits for."""
    close = run.config.calendar.intake_close
    taken_at = getattr(run.workspace.forms, "taken_at", None)
    taken = taken_at() if taken_at is not None else None
    if taken is None or taken >= close:
        return None
    if newest is not None and newest > close:
        return None
    if run.edition.journal.details(EXPORT_COMPLETE, ("recorded",)):
        return None
    return Notice(
        "intake_waits_export",
        path=str(getattr(run.workspace.forms, "path", "") or run.config.form.path or ""),
        taken=fmt_time(taken, run.config),
        close=fmt_time(close, run.config),
        command="contest intake --export-complete",
    )


def record_export_complete(run: Run) -> None:
    """CDB's word that the export in hand holds every response up to the deadline (the tick's
    evidence for closing intake when the file's time cannot show it). Refused before the deadline."""
    close = run.config.calendar.intake_close
    if run.now < close:
        raise forms.FormError("intake_export_complete_early", close=fmt_time(close, run.config))
    taken_at = getattr(run.workspace.forms, "taken_at", None)
    taken = taken_at() if taken_at is not None else None
    run.journal(
        EXPORT_COMPLETE,
        "recorded",
        {"path": str(run.config.form.path or run.config.form.kind), "taken_at": taken.isoformat() if taken else ""},
    )
    run.say(i18n.text("intake_export_complete_recorded", run.lang, close=fmt_time(close, run.config)))


def _came_in_late(run: Run, app: Application) -> Application:
    """An application that stands accepted only now (it came in, or CDB settled it, after the
    close): taken in while stage 1 has not opened; once it has, held for CDB (9.4.1: its
    department's commission rates from sheets made without it; it was on time, so never rejected)."""
    stage1 = run.state.stage(1)
    if app.status is not Status.ACCEPTED or stage1.state is StageState.PENDING or stage1.opened_at is None:
        return app
    reason = rules.arrived_after_stage_opened(
        submitted_at=app.response.submitted_at, opened_at=stage1.opened_at, zone=run.config.zone
    )
    return replace(app, status=Status.HELD, reasons=[reason])


def _freeze(run: Run, apps: list[Application], registry: list[Application]) -> tuple[list[Application], list[Response]]:
    """From the deadline on: (in the export's order, each application decided this run or as the
    registry holds it; the responses to record as after the deadline). An application whose
    response was edited after the deadline is kept as it was, the edit recorded; once intake is
    closed every registered application is kept (a 9.10 disqualification still applies). Lateness
    is the response's own time (9.8): a response submitted on time that is first seen after the
    close enters as any other (`_came_in_late`), and one held for CDB is decided again on its own
    response with the config as it is now (CDB settled it by adding a spelling or a platform)."""
    close = run.config.calendar.intake_close
    closed = run.state.stage(INTAKE).state is StageState.CLOSED
    by_key = {app.response.row_key: app for app in registry}
    decided: list[Application] = []  # in the export's order: decided now, or as it was
    late: list[Response] = []
    now_rules = replace(run.config.intake_rules(), decisions=())
    for app in apps:
        r = app.response
        frozen = by_key.get(r.row_key)
        after = r.submitted_at is not None and r.submitted_at > close
        if frozen is None:
            decided.append(_came_in_late(run, app) if closed and not after else app)
            continue
        if not (closed or after):
            decided.append(app)
            continue
        if r.raw != frozen.response.raw:
            late.append(r)
        if frozen.status is Status.HELD:
            frozen = _came_in_late(run, rules.evaluate_again(frozen, now_rules))
        decided.append(frozen)
    return decided, late


def _after_deadline(
    run: Run, responses: list[Response], frozen: dict[str, Application], recorded: set[str]
) -> list[Application]:
    """One registry entry per response that came or changed after intake closed: kept with its time
    and answers (9.8: not accepted), rejected with the rule `after_deadline`, under its own id and
    row key, so that it never stands for the application it edits."""
    out = []
    for r in responses:
        digest = rules.answers_digest(r.raw)
        key = rules.late_key(r.row_key, r.raw)
        if key in recorded:
            continue
        recorded.add(key)
        edited = frozen.get(r.row_key)
        base = edited.id if edited else rules.application_id([r])
        when = r.submitted_at.astimezone(run.config.zone).strftime("%d.%m.%Y %H:%M") if r.submitted_at else "?"
        notice = (
            Notice(
                "reason_after_deadline_edit",
                id=base,
                time=when,
            )
            if edited
            else Notice("reason_after_deadline", time=when)
        )
        out.append(
            Application(
                id=f"{base}-{digest[:4].upper()}",
                response=replace(r, row_key=key),
                status=Status.REJECTED,
                reasons=[Reason("after_deadline", "9.8", notice)],
            )
        )
    return out


def field_label(name: str, lang: str) -> str:
    return i18n.text(f"field_{name}", lang)


def mapping_lines(mapping: forms.ColumnMapping, lang: str) -> list[str]:
    """The mapping decision as CDB reads it: each column -> field (how sure) or not used, then each
    required field no column holds."""
    lines = [i18n.text("form_mapping_title", lang, count=len(mapping.matches))]
    for m in mapping.matches:
        if m.field is None:
            lines.append(i18n.text("form_mapping_unused", lang, column=m.column))
            continue
        key = {"similar": "form_mapping_similar", "position": "form_mapping_position"}.get(m.how, "form_mapping_alias")
        lines.append(i18n.text(key, lang, column=m.column, field=field_label(m.field, lang), score=f"{m.score:.2f}"))
    for name in mapping.missing():
        lines.append(i18n.text("form_mapping_missing", lang, field=field_label(name, lang)))
    return lines


def alias_line(field_name: str, column: str) -> str:
    """The exact contest.yaml lines that name `column` as the form's `field_name`."""
    quoted = column.replace("\\", "\\\\").replace('"', '\\"')
    return f'form:\n  aliases:\n    {field_name}: ["{quoted}"]'


def check_mapping(mapping: forms.ColumnMapping, lang: str) -> None:
    """A required field with no column stops intake before any row is judged (FormError naming the
    field, the closest unused columns and the alias to add): no row is rejected for a column that
    was not recognised. No responses yet: nothing to check."""
    if not mapping.matches:
        return
    for name in mapping.missing():
        closest = mapping.closest(name)
        shown = ", ".join(f"«{c}» ({s:.2f})" for c, s in closest) or i18n.text("form_no_closest", lang)
        example = closest[0][0] if closest else "…"
        raise forms.FormError(
            i18n.text(
                "form_field_missing",
                lang,
                field=f"{field_label(name, lang)} ({name})",
                closest=shown,
                line=alias_line(name, example),
            )
        )


def _unmappable(item, exc: Exception) -> Response:
    return Response(
        row_key=item.row_key,
        row_number=item.row_number,
        submitted_at=None,
        respondent_email="",
        faculty="",
        department="",
        title="",
        authors=[],
        authors_raw="",
        languages=[],
        der_type="",
        justification="",
        link="",
        act_files=[],
        certificate_files=[],
        raw=dict(item.answers),
        problems=[Reason("error", "-", Notice("reason_unreadable_answers", row=item.row_number, error=str(exc)))],
    )


def intake_due(run: Run) -> bool:
    """Whether intake can change anything now (domain/intake.py `intake_can_change`): always until
    it closes; after, only when the source holds a response the registry has not recorded, or a
    held application or a recorded decision waits. The responses are read, not decided: a tick
    after the close does not decide every application again to find nothing new."""
    if run.state.stage(INTAKE).state is not StageState.CLOSED:
        return True
    now_rules = replace(run.config.intake_rules(), decisions=())
    return rules.intake_can_change(
        closed=True,
        registry=run.state.applications,
        answers=((r.row_key, r.answers) for r in run.workspace.forms.read_responses()),
        decisions=run.config.domain_decisions(),
        again=lambda held: _came_in_late(run, rules.evaluate_again(held, now_rules)),  # as `_freeze` does
    )


def run_intake(run: Run) -> IntakeReport:
    """Decide every response and write the registry. From the deadline on, the registry is what it
    was at the deadline (9.8): responses that came or were edited after it are recorded beside it
    (rule `after_deadline`) and change no application's status, fields, sheets or documents."""
    state = run.state
    registry = state.applications  # every registry row, as stored
    apps, future, newest = _decide(run, known_ids(registry), show_mapping=not registry)
    late: list[Response] = []
    if run.now >= run.config.calendar.intake_close and registry:
        apps, late = _freeze(run, apps, registry)
    waiting = _waiting(run, newest)
    recorded = {a.response.row_key for a in registry if "@" in a.response.row_key}
    # The registry never loses a row: rows of responses not in this export (a truncated or wrong
    # export, a response deleted in Forms, --now before them, one edited after the deadline) stay
    # as they are, after the current ones.
    kept = missing(registry, {a.response.row_key for a in apps})
    after = _after_deadline(run, late, {a.response.row_key: a for a in registry}, recorded)
    # the recorded decisions (reinstate, 9.10 disqualify), once, on what stays too
    decisions = run.config.domain_decisions()
    apps, kept, after = (rules.apply_decisions(x, decisions) for x in (apps, kept, after))
    report = IntakeReport(
        responses=len(apps),
        ignored_future=future,
        kept_missing=sum("@" not in a.response.row_key for a in kept),
        after_deadline=len(after),
        waiting=waiting,
    )
    for app in apps:
        report.counts[app.status.value] = report.counts.get(app.status.value, 0) + 1
    state.applications = apps + kept + after
    report.registry_changed = "registry" in run.commit()
    stored = {id(a) for a in registry}  # kept as the registry holds them: their letters were written then
    # a letter for each accepted application decided this run (a reinstated one included)
    fresh = [a for a in apps + kept + after if id(a) not in stored and a.status is Status.ACCEPTED]
    for app in run.each(i18n.text("progress_form01", run.lang), fresh):
        report.letters.append(paperwork.write_form01(run, app, paperwork.form01_folder(app)))
    run.journal(
        "intake",
        "ok",
        {
            "responses": report.responses,
            **report.counts,
            **({"kept_missing": report.kept_missing} if report.kept_missing else {}),
            "letters_written": sum(d.changed for d in report.letters),
        },
    )
    run.say(report.summary(run.lang))
    if waiting is not None:  # one line, even under -q: cron's log is where CDB reads it
        run.warn(i18n.word(waiting, run.lang))
    return report


def _waiting(run: Run, newest: datetime | None) -> Notice | None:
    """From the deadline until intake closes: what the close waits for (`deadline_covered`), kept
    in intake's record (status shows it) until the evidence comes."""
    record = run.state.stage(INTAKE)
    if run.now < run.config.calendar.intake_close or record.state is StageState.CLOSED:
        return None
    waiting = deadline_covered(run, newest)
    if waiting is not None:
        run.state.stages[INTAKE] = replace(record, state=StageState.WAITING, note=i18n.word(waiting, run.lang))
    elif record.state is StageState.WAITING:
        run.state.stages[INTAKE] = replace(record, state=StageState.PENDING, note="")
    return waiting


__all__ = [
    "IntakeReport",
    "deadline_covered",
    "intake_due",
    "read_applications",
    "record_export_complete",
    "run_intake",
]
