"""The documents the contest leaves: form 01 letters, protocol extracts, each expert's form 02, the
final protocol and the published results (9.7, 9.11, 11.4, 13.2). Contexts are built from the
edition's in-memory state, so any document can be written again identically."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pipelines import i18n
from pipelines.domain import intake as rules
from pipelines.domain.models import Application, Assignment, Group, Rating, Standing
from pipelines.jobs.common import Run, common_context, fmt_date, fmt_score, fmt_time, rendered, stage_title
from pipelines.ports import BackendError, DocKey, StoredDoc

COMMISSION_KEYS = {1: "doc_commission_1", 2: "doc_commission_2"}
DECISION_KIND_KEYS = {
    "tie_break": "doc_kind_tie_break",
    "close_incomplete": "doc_kind_close_incomplete",
    "disqualify": "doc_kind_disqualify",
}
AGGREGATE_KEYS = {"mean": "doc_how_mean", "sum": "doc_how_sum"}


def form01_context(run: Run, app: Application) -> dict:
    config, r = run.config, app.response
    faculty_name = department_name = ""
    if app.department_id and app.department_id in config.departments():
        faculty, department = config.departments()[app.department_id]
        faculty_name, department_name = faculty.name(run.lang), department.name(run.lang)
    codes, _unknown = rules.language_codes(r.languages)
    names = {
        "kk": {"kk": "қазақ", "ru": "орыс", "en": "ағылшын"},
        "ru": {"kk": "казахский", "ru": "русский", "en": "английский"},
    }[run.lang]
    return {
        **common_context(config, fmt_date(r.submitted_at, config)),
        "application_id": app.id,
        "faculty": faculty_name or r.faculty,
        "department": department_name or r.department,
        "title": r.title,
        "authors": [{"name": a.name, "position": a.position, "contact": a.contact} for a in r.authors],
        "languages": ", ".join(names.get(c, c) for c in codes) or ", ".join(r.languages),
        "der_type": r.der_type,
        "justification": r.justification,
        "link": r.link,
        "act_files": list(r.act_files),
        "certificate_files": list(r.certificate_files),
        "submitted_at": fmt_time(r.submitted_at, config),
        "head_of_department": "",
    }


def form01_folder(app: Application) -> list[str]:
    return ["intake", app.faculty_id or "unknown", app.department_id or "unknown"]


def write_form01(run: Run, app: Application, folder: list[str], kind: str = "form01", stage: int = 0) -> StoredDoc:
    source, render = rendered("form01", run.lang, form01_context(run, app))
    key = DocKey(run.edition_key, kind, stage, app.department_id or "-", app.id)
    return run.workspace.drive.put(key, folder, f"form01_{app.id}.docx", render, source=source)


def _apps(run: Run) -> dict[str, Application]:
    return run.state.counting()


def _standings(run: Run, stage: int, group: str | None = None) -> list[Standing]:
    """The ranking of one group (or of the whole stage), from the in-memory outcome: best first."""
    found = [s for o in run.state.outcomes_of(stage) if group is None or o.group == group for s in o.standings]
    return sorted(found, key=lambda s: (s.rank is None, s.rank or 0))


def _selected(run: Run, stage: int, group: str | None = None) -> list[str]:
    return [i for o in run.state.outcomes_of(stage) if group is None or o.group == group for i in o.selected]


def _unit_ders(run: Run, stage: int, group: str | None) -> set[str]:
    """The DERs a protocol speaks for: the department's (stage 1), the faculty's (stage 2), the
    finalists' (stage 3: those the faculties sent, whatever happened to them since)."""
    if stage == 1:
        return {i for i, a in _apps(run).items() if a.department_id == group}
    if stage == 2:
        return {i for i, a in _apps(run).items() if a.faculty_id == group}
    return {s.application_id for s in _standings(run, 3)} | set(_selected(run, 2))


def _decisions(run: Run, stage: int, group: str | None) -> list[dict[str, str]]:
    """The recorded decisions this protocol must print: its own tie-breaks and incomplete closes,
    and disqualifications (9.10) of its own DERs only — never another unit's. Each names its DERs."""

    ders = _unit_ders(run, stage, group)
    out = []
    for d in run.config.domain_decisions():
        if d.kind == "disqualify":
            if not ders & set(d.applications):
                continue
        elif not (d.stage == stage and (group is None or d.group == group)):
            continue
        which = " › ".join(d.order) if d.kind == "tie_break" and d.order else ", ".join(d.applications)
        kind = i18n.text(DECISION_KIND_KEYS[d.kind], run.lang)
        out.append(
            {
                "kind": f"{kind}: {which}" if which else kind,
                "by": d.by,
                "at": fmt_date(d.at, run.config),
                "reason": d.reason,
            }
        )
    return out


def _members(run: Run, stage: int, group_id: str) -> list[dict[str, str]]:
    c = run.config.commissions
    members = {1: c.departments.get(group_id, []), 2: c.faculties.get(group_id, []), 3: c.contest}[stage]
    # The final protocol gives the chair a signature line of its own (members sign below).
    return [
        {"name": m.name, "role": i18n.text("doc_member", run.lang)}
        for m in members
        if not (stage == 3 and m.name == c.chair)
    ]


def _put(
    run: Run,
    kind: str,
    stage: int,
    group: str,
    subject: str,
    folder: list[str],
    filename: str,
    context: dict[str, Any],
    version: int = 1,
):
    source, render = rendered(kind, run.lang, context)
    return run.workspace.drive.put(
        DocKey(run.edition_key, kind, stage, group, subject, version), folder, filename, render, source=source
    )


def extract_document(run: Run, stage: int, group: Group) -> tuple[str, Callable[[], bytes]]:
    """The extract from the department's (stage 1) or faculty commission's (stage 2) protocol (9.4, 9.7)."""
    apps, config = _apps(run), run.config
    chosen = set(_selected(run, stage, group.id))
    quota = config.quotas.department if stage == 1 else config.quotas.faculty
    ders = [
        {
            "rank": str(s.rank or "—"),
            "id": s.application_id,
            "title": apps[s.application_id].title if s.application_id in apps else s.application_id,
            "authors": _authors(apps.get(s.application_id)),
            "score": fmt_score(s.score),
            "raters": str(s.raters),
            "selected_mark": "✓" if s.application_id in chosen else "",
        }
        for s in _standings(run, stage, group.id)
    ]
    selected = [{k: d[k] for k in ("id", "title", "authors", "score")} for d in ders if d["selected_mark"]]
    commission = i18n.text(COMMISSION_KEYS[stage], run.lang)
    if selected:
        decision_text = i18n.text(
            "doc_decision",
            run.lang,
            unit=group.name,
            commission=commission,
            quota=quota,
            n=len(selected),
            titles="; ".join(f"{d['title']} ({d['id']}, {d['score']})" for d in selected),
        )
    else:
        decision_text = i18n.text("doc_decision_none", run.lang, unit=group.name, commission=commission)
    meeting = fmt_date(config.calendar.stage_close(stage), config)
    context = {
        **common_context(config, meeting),
        "stage": stage,
        "stage_title": stage_title(stage, run.lang),
        "unit_name": group.name,
        "commission_kind": commission,
        "meeting_date": meeting,
        "members": _members(run, stage, group.id),
        "quota": quota,
        "ders": ders,
        "selected": selected,
        "decision_text": decision_text,
        "decisions": _decisions(run, stage, group.id),
        "criteria_note": i18n.text(
            "doc_criteria_note",
            run.lang,
            n=len(config.criteria),
            how=i18n.text(AGGREGATE_KEYS[config.scoring.aggregate], run.lang),
        ),
    }
    return rendered("protocol_extract", run.lang, context)


def _suffix(version: int) -> str:
    """A later version of a document sits beside the first (the old one is kept, 9.10)."""
    return "" if version == 1 else f"_v{version}"


def write_extract(run: Run, stage: int, group: Group, version: int = 1):
    key = DocKey(run.edition_key, "protocol_extract", stage, group.id, "-", version)
    source, render = extract_document(run, stage, group)
    return run.workspace.drive.put(
        key,
        [f"stage-{stage}", group.id],
        f"protocol_extract_s{stage}_{group.id}{_suffix(version)}.docx",
        render,
        source=source,
    )


def write_dossier(run: Run, stage: int, group: Group, apps: list[Application]) -> None:
    """9.7: the selected DERs travel with their form 01 letters and the extracts that selected them."""
    folder = [f"stage-{stage}", group.id, "dossier"]
    for app in apps:
        write_form01(run, app, folder, kind="dossier_form01", stage=stage)
    from pipelines.domain.assignment import stage_groups  # the groups that sent these DERs

    previous = stage_groups(run.config.organisation(), stage - 1, apps)
    for prev_group, _members in previous:
        source, render = extract_document(run, stage - 1, prev_group)
        key = DocKey(run.edition_key, "dossier_extract", stage, group.id, prev_group.id)
        run.workspace.drive.put(
            key, folder, f"protocol_extract_s{stage - 1}_{prev_group.id}.docx", render, source=source
        )


def write_form02s(run: Run, stage: int, group: Group, assignments: list[Assignment], ratings: list[Rating]) -> None:
    """Every expert's filled form 02, for signature (form 02)."""
    config, apps = run.config, _apps(run)
    criteria = [{"n": str(n), "label": c.label(run.lang)} for n, c in enumerate(config.criteria, start=1)]
    by_pair = {(r.expert_email, r.application_id): r for r in ratings}
    for a in assignments:
        rows = []
        for n, app_id in enumerate(a.application_ids, start=1):
            app, rating = apps.get(app_id), by_pair.get((a.expert.email, app_id))
            scores = [
                ("" if rating is None or rating.scores.get(c.key) is None else str(rating.scores[c.key]))
                for c in config.criteria
            ]
            rows.append(
                {
                    "n": str(n),
                    "title": app.title if app else app_id,
                    "authors": _authors(app),
                    "link": app.response.link if app else "",
                    "scores": scores,
                    "comment": rating.comment if rating else "",
                    "total": str(rating.total) if rating and rating.total is not None else "",
                }
            )
        context = {
            **common_context(config, fmt_date(config.calendar.stage_close(stage), config)),
            "stage": stage,
            "unit_name": group.name,
            "expert_name": a.expert.name,
            "criteria": criteria,
            "rows": rows,
        }
        _put(
            run,
            "form02",
            stage,
            group.id,
            a.expert.email,
            [f"stage-{stage}", group.id, "form02"],
            f"form02_s{stage}_{group.id}_{a.expert.email.split('@')[0]}.docx",
            context,
        )


def write_final(run: Run, version: int = 1) -> None:
    """After stage 3: the final protocol (9.11) and the results for publication as PDF (11.4, 13.2)."""
    config, apps = run.config, _apps(run)
    departments = config.departments()
    ranking = []
    for s in _standings(run, 3):
        app = apps.get(s.application_id)
        fac, dep = departments.get(app.department_id, (None, None)) if app and app.department_id else (None, None)
        ranking.append(
            {
                "rank": str(s.rank or "—"),
                "id": s.application_id,
                "title": app.title if app else s.application_id,
                "authors": _authors(app),
                "faculty": fac.name(run.lang) if fac else "",
                "department": dep.name(run.lang) if dep else "",
                "score": fmt_score(s.score),
                "raters": str(s.raters),
                "place": "",
            }
        )
    winners = []
    final = run.state.outcomes_of(3)
    placed = list(enumerate(final[0].selected, start=1)) if final and final[0].ready else []
    for place, app_id in placed:
        row = next(x for x in ranking if x["id"] == app_id)
        row["place"] = str(place)  # the column is headed "prize place": the number says it
        winners.append(
            {"place": str(place), "id": app_id, "title": row["title"], "authors": row["authors"], "score": row["score"]}
        )
    base = common_context(config, fmt_date(config.calendar.stage3_close, config))
    protocol = {
        **base,
        "meeting_date": base["doc_date"],
        "chair": config.commissions.chair or "",
        "members": _members(run, 3, "contest"),
        "ranking": ranking,
        "winners": winners,
        "decisions": _decisions(run, 3, None),
        "prize_places": config.quotas.prize_places,
    }
    v = _suffix(version)
    _put(run, "final_protocol", 3, "contest", "-", ["stage-3", "contest"], f"final_protocol{v}.docx", protocol, version)
    results = {**base, "winners": winners, "ranking": ranking, "ceremony": ""}
    source, render = rendered("results", run.lang, results)
    content = render()
    key = DocKey(run.edition_key, "results", 3, "contest", "-", version)
    run.workspace.drive.put(key, ["results"], f"results{v}.docx", content, source=source)
    try:
        run.workspace.drive.put_pdf(
            DocKey(run.edition_key, "results_pdf", 3, "contest", "-", version), ["results"], f"results{v}.pdf", content
        )
    except BackendError as exc:
        run.say(f"note: results.pdf not made: {exc}")
        run.journal("results-pdf", "skipped", str(exc))


def _authors(app: Application | None) -> str:
    if app is None:
        return ""
    return "; ".join(a.name for a in app.response.authors) or app.response.authors_raw
