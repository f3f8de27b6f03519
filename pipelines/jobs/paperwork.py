"""The documents a stage leaves: protocol extracts, each expert's form 02, the final protocol and the
published results (9.7, 9.11, 11.4, 13.2). Contexts are built from the control tables, so any
document can be written again identically."""
from __future__ import annotations

from typing import Any, Callable

from pipelines import i18n
from pipelines.domain.models import Application, Assignment, Group, Rating
from pipelines.jobs.common import Run, common_context, fmt_date, fmt_score, rendered, stage_title
from pipelines.jobs.intake import write_form01
from pipelines.ports import BackendError, DocKey
from pipelines.registry import counting, from_row

COMMISSION_KEYS = {1: "doc_commission_1", 2: "doc_commission_2"}
DECISION_KIND_KEYS = {"tie_break": "doc_kind_tie_break", "close_incomplete": "doc_kind_close_incomplete",
                      "disqualify": "doc_kind_disqualify"}
AGGREGATE_KEYS = {"mean": "doc_how_mean", "sum": "doc_how_sum"}


def share_message(run: Run, stage: int, group_name: str, deadline: str) -> str:
    return i18n.text("doc_share", run.lang, edition=run.config.edition.name, stage=stage_title(stage, run.lang),
                     group=group_name, deadline=deadline)


def _apps(run: Run) -> dict[str, Application]:
    return counting([from_row(r) for r in run.tables.read("registry")])


def _results(run: Run, stage: int, group: str | None = None) -> list[dict[str, Any]]:
    rows = [r for r in run.tables.read("results") if str(r.get("stage")) == str(stage)
            and (group is None or str(r.get("group")) == group)]
    return sorted(rows, key=lambda r: (r.get("rank") in ("", None), float(r.get("rank") or 0)))


def _unit_ders(run: Run, stage: int, group: str | None) -> set[str]:
    """The DERs a protocol speaks for: the department's (stage 1), the faculty's (stage 2), the
    finalists' (stage 3: those the faculties sent, whatever happened to them since)."""
    if stage == 1:
        return {i for i, a in _apps(run).items() if a.department_id == group}
    if stage == 2:
        return {i for i, a in _apps(run).items() if a.faculty_id == group}
    return {str(r["application_id"]) for r in run.tables.read("results")
            if str(r.get("stage")) == "3" or (str(r.get("stage")) == "2" and r.get("selected"))}


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
        out.append({"kind": f"{kind}: {which}" if which else kind, "by": d.by,
                    "at": fmt_date(d.at, run.config), "reason": d.reason})
    return out


def _members(run: Run, stage: int, group_id: str) -> list[dict[str, str]]:
    c = run.config.commissions
    members = {1: c.departments.get(group_id, []), 2: c.faculties.get(group_id, []), 3: c.contest}[stage]
    # The final protocol gives the chair a signature line of its own (members sign below).
    return [{"name": m.name, "role": i18n.text("doc_member", run.lang)} for m in members
            if not (stage == 3 and m.name == c.chair)]


def _put(run: Run, kind: str, stage: int, group: str, subject: str, folder: list[str], filename: str,
         context: dict[str, Any]):
    source, render = rendered(kind, run.lang, context)
    return run.workspace.drive.put(DocKey(run.edition_key, kind, stage, group, subject), folder, filename, render,
                                   source=source)


def extract_document(run: Run, stage: int, group: Group) -> tuple[str, Callable[[], bytes]]:
    """The extract from the department's (stage 1) or faculty commission's (stage 2) protocol (9.4, 9.7)."""
    apps, config = _apps(run), run.config
    rows = _results(run, stage, group.id)
    quota = config.quotas.department if stage == 1 else config.quotas.faculty
    ders = [{"rank": str(r.get("rank") or "—"), "id": r["application_id"],
             "title": apps[r["application_id"]].title if r["application_id"] in apps else r["application_id"],
             "authors": _authors(apps.get(r["application_id"])), "score": fmt_score(_num(r.get("score"))),
             "raters": str(r.get("raters") or 0), "selected_mark": "✓" if r.get("selected") else ""}
            for r in rows]
    selected = [{k: d[k] for k in ("id", "title", "authors", "score")} for d in ders if d["selected_mark"]]
    commission = i18n.text(COMMISSION_KEYS[stage], run.lang)
    if selected:
        decision_text = i18n.text("doc_decision", run.lang, unit=group.name, commission=commission, quota=quota,
                                  n=len(selected),
                                  titles="; ".join(f"{d['title']} ({d['id']}, {d['score']})" for d in selected))
    else:
        decision_text = i18n.text("doc_decision_none", run.lang, unit=group.name, commission=commission)
    meeting = fmt_date(config.calendar.stage_close(stage), config)
    context = {
        **common_context(config, meeting),
        "stage": stage, "stage_title": stage_title(stage, run.lang), "unit_name": group.name,
        "commission_kind": commission, "meeting_date": meeting,
        "members": _members(run, stage, group.id), "quota": quota, "ders": ders, "selected": selected,
        "decision_text": decision_text, "decisions": _decisions(run, stage, group.id),
        "criteria_note": i18n.text("doc_criteria_note", run.lang, n=len(config.criteria),
                                   how=i18n.text(AGGREGATE_KEYS[config.scoring.aggregate], run.lang)),
    }
    return rendered("protocol_extract", run.lang, context)


def write_extract(run: Run, stage: int, group: Group):
    key = DocKey(run.edition_key, "protocol_extract", stage, group.id, "-")
    source, render = extract_document(run, stage, group)
    return run.workspace.drive.put(key, [f"stage-{stage}", group.id], f"protocol_extract_s{stage}_{group.id}.docx",
                                   render, source=source)


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
        run.workspace.drive.put(key, folder, f"protocol_extract_s{stage - 1}_{prev_group.id}.docx", render,
                                source=source)


def write_form02s(run: Run, stage: int, group: Group, assignments: list[Assignment], ratings: list[Rating],
                  apps: dict[str, Application]) -> None:
    """Every expert's filled form 02, for signature (form 02)."""
    config = run.config
    criteria = [{"n": str(n), "label": c.label(run.lang)} for n, c in enumerate(config.criteria, start=1)]
    by_pair = {(r.expert_email, r.application_id): r for r in ratings}
    for a in assignments:
        rows = []
        for n, app_id in enumerate(a.application_ids, start=1):
            app, rating = apps.get(app_id), by_pair.get((a.expert.email, app_id))
            scores = [("" if rating is None or rating.scores.get(c.key) is None else str(rating.scores[c.key]))
                      for c in config.criteria]
            rows.append({"n": str(n), "title": app.title if app else app_id, "authors": _authors(app),
                         "link": app.response.link if app else "", "scores": scores,
                         "comment": rating.comment if rating else "",
                         "total": str(rating.total) if rating and rating.total is not None else ""})
        context = {**common_context(config, fmt_date(config.calendar.stage_close(stage), config)),
                   "stage": stage, "unit_name": group.name, "expert_name": a.expert.name,
                   "criteria": criteria, "rows": rows}
        _put(run, "form02", stage, group.id, a.expert.email, [f"stage-{stage}", group.id, "form02"],
             f"form02_s{stage}_{group.id}_{a.expert.email.split('@')[0]}.docx", context)


def write_final(run: Run) -> None:
    """After stage 3: the final protocol (9.11) and the results for publication as PDF (11.4, 13.2)."""
    config, apps = run.config, _apps(run)
    departments = config.departments()
    ranking = []
    for r in _results(run, 3):
        app = apps.get(r["application_id"])
        fac, dep = departments.get(app.department_id, (None, None)) if app and app.department_id else (None, None)
        ranking.append({"rank": str(r.get("rank") or "—"), "id": r["application_id"],
                        "title": app.title if app else r["application_id"], "authors": _authors(app),
                        "faculty": fac.name(run.lang) if fac else "", "department": dep.name(run.lang) if dep else "",
                        "score": fmt_score(_num(r.get("score"))), "raters": str(r.get("raters") or 0),
                        "place": ""})
    winners = []
    placed = sorted((int(float(r["place"])), r["application_id"])
                    for r in _results(run, 3) if str(r.get("place") or ""))
    for place, app_id in placed:
        row = next(x for x in ranking if x["id"] == app_id)
        row["place"] = str(place)  # the column is headed "prize place": the number says it
        winners.append({"place": str(place), "id": app_id, "title": row["title"], "authors": row["authors"],
                        "score": row["score"]})
    base = common_context(config, fmt_date(config.calendar.stage3_close, config))
    final = {**base, "meeting_date": base["doc_date"], "chair": config.commissions.chair or "",
             "members": _members(run, 3, "contest"), "ranking": ranking, "winners": winners,
             "decisions": _decisions(run, 3, None), "prize_places": config.quotas.prize_places}
    _put(run, "final_protocol", 3, "contest", "-", ["stage-3", "contest"], "final_protocol.docx", final)
    results = {**base, "winners": winners, "ranking": ranking, "ceremony": ""}
    source, render = rendered("results", run.lang, results)
    content = render()
    key = DocKey(run.edition_key, "results", 3, "contest", "-")
    run.workspace.drive.put(key, ["results"], "results.docx", content, source=source)
    try:
        run.workspace.drive.put_pdf(DocKey(run.edition_key, "results_pdf", 3, "contest", "-"), ["results"],
                                    "results.pdf", content)
    except BackendError as exc:
        run.say(f"note: results.pdf not made: {exc}")
        run.journal("results-pdf", "skipped", str(exc))


def _authors(app: Application | None) -> str:
    if app is None:
        return ""
    return "; ".join(a.name for a in app.response.authors) or app.response.authors_raw


def _num(value: Any) -> float | None:
    try:
        return float(value) if value not in ("", None) else None
    except (TypeError, ValueError):
        return None


