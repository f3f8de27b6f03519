"""Opening and closing stage 1 the way the department commissions meet it: one sheet per expert,
conflicts respected, missing ratings named, tampered sheets reported cell by cell, ties waiting for
the commission's recorded decision."""

from __future__ import annotations

import json
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

from click.testing import CliRunner
from jobkit import config_of, control_tables, docx_text, files, manifest, run_at, table_rows, workspace_dir
from openpyxl import load_workbook

from pipelines.cli import cli
from pipelines.demo import simulate_experts
from pipelines.formats import rating_sheet
from pipelines.jobs.stages import open_stage
from pipelines.jobs.tick import tick

SEED = 2027
KIM = "v.kim@atu.edu.kz"
PYTHON_DER = "Python & <Data> Science: анализ данных"  # co-authored by Ким Виктор Андреевич


def _deadline(config_path: Path, stage: int = 1):
    return config_of(config_path).calendar.stage_close(stage) + timedelta(minutes=5)


def _status(config_path: Path, now) -> dict:
    result = CliRunner().invoke(
        cli,
        ["--config", str(config_path), "--now", now.isoformat(), "status", "--json"],
        env={"CONTEST_LANGUAGE": None},
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _sheet_ids(path: Path, config) -> list[str]:
    """The DER ids in a rating sheet's hidden column, read with openpyxl."""
    lay = rating_sheet.layout(config)
    ws = load_workbook(path).worksheets[0]
    col = lay.fixed["der_id"] + 1
    return [ws.cell(r, col).value for r in range(lay.first_data_row + 1, ws.max_row + 1) if ws.cell(r, col).value]


def _stage1(config_path: Path) -> list[dict]:
    return [a for a in table_rows(config_path, "assignments") if a["stage"] == 1]


# --- opening ---------------------------------------------------------------------------------------
def test_stage1_opens_a_sheet_for_every_expert_except_their_own_ders(opened):
    config = config_of(opened)
    registry = table_rows(opened, "registry")
    accepted = {r["id"]: r for r in registry if r["status"] == "accepted"}
    python_id = next(i for i, r in accepted.items() if r["title"] == PYTHON_DER)
    assignments = _stage1(opened)
    members = {(dep, m.email) for dep, ms in config.commissions.departments.items() for m in ms}
    assert {(a["group"], a["expert_email"]) for a in assignments} == members
    assert len(assignments) == len(members)
    sheets = files(workspace_dir(opened) / "drive" / "stage-1", "*.xlsx")
    assert len(sheets) == len(members)
    for a in assignments:
        path = workspace_dir(opened) / a["sheet_id"]
        ids = _sheet_ids(path, config)
        own = {i for i, r in accepted.items() if r["department_id"] == a["group"]}
        if a["expert_email"] == KIM:
            assert python_id not in ids
            own.discard(python_id)
        assert sorted(ids) == sorted(own), a["expert_email"]
        assert ids == a["application_ids"].split(",")
    # the others of FIT-IS do rate it
    fit_is = [a for a in assignments if a["group"] == "FIT-IS" and a["expert_email"] != KIM]
    assert all(python_id in a["application_ids"].split(",") for a in fit_is)
    # every expert was notified once, the message naming the deadline (the other messages of the
    # outbox are the applicants', jobs/notify.py)
    outbox = [
        BytesParser(policy=policy.default).parsebytes(p.read_bytes())
        for p in files(workspace_dir(opened) / "outbox", "*.eml")
    ]
    sheets = [m for m in outbox if any(part.get_filename() for part in m.iter_attachments())]
    assert len(sheets) == len(members)
    for message in sheets:
        assert "05.03.2027 18:00" in message.get_body(("plain",)).get_content()


def _made(root: Path) -> list[Path]:
    """The workspace's files but the copies of control.xlsx (taken whenever it changes)."""
    return [p for p in files(root) if p.relative_to(root).parts[0] != "backups"]


def test_opening_an_open_stage_again_creates_nothing(edition):
    before = _made(workspace_dir(edition))
    stamps = {p: p.read_bytes() for p in before if p.suffix in (".xlsx", ".docx", ".eml") and p.name != "control.xlsx"}
    # (the copy moved the workspace: sheet_url, an absolute path, is the one thing allowed to differ)
    tables = _without_urls(control_tables(edition, skip=("journal",)))
    report = open_stage(run_at(edition, _deadline(edition) - timedelta(days=5)), 1)
    assert report.sheets == len(_stage1(edition)) and report.created == 0
    assert _made(workspace_dir(edition)) == before
    assert {p: p.read_bytes() for p in stamps} == stamps
    assert _without_urls(control_tables(edition, skip=("journal",))) == tables  # it keeps its opening time


def _without_urls(tables: dict) -> dict:
    return {
        name: [[v for v in row if not (isinstance(v, str) and v.startswith("/"))] for row in rows]
        for name, rows in tables.items()
    }


# --- closing ---------------------------------------------------------------------------------------
def test_closing_before_anyone_scored_waits_and_names_the_missing_ratings(edition):
    now = _deadline(edition)
    actions = tick(run_at(edition, now))
    assert "stage 1 waiting" in actions
    status = _status(edition, now)
    stage1 = status["stages"][0]
    assert stage1["state"] == "waiting"
    config = config_of(edition)
    fit_is = next(g for g in stage1["groups"] if g["name"] == "FIT-IS")
    assert fit_is["selected"] == [] and fit_is["sheets_complete"] == 0
    waiting = "\n".join(fit_is["waiting"])
    for member in config.commissions.departments["FIT-IS"]:
        assert member.email in waiting and member.name in waiting
    assert "толық бағасы 0, қажеті 2" in waiting  # the stage note speaks the config's language (kk)
    note = next(r for r in table_rows(edition, "stages") if r["stage"] == 1)["note"]
    assert "FFT-BT" in note and "i.sidorenko@atu.edu.kz" in note
    # nothing goes on: no extract, no stage 2; the sheets are frozen, their experts now readers
    assert not files(workspace_dir(edition) / "drive", "protocol_extract*")
    sheets = manifest(edition)["sheets"]
    assert len(sheets) == len(_stage1(edition))
    assert all(e["frozen"] and set(e["sharing"].values()) == {"reader"} for e in sheets.values())
    assert status["stages"][1]["state"] == "pending"


def _cell_at(config, index: int, column: str | int) -> tuple[int, int]:
    lay = rating_sheet.layout(config)
    col = lay.fixed[column] if isinstance(column, str) else column
    return lay.data_row(index), col


def test_tampered_sheets_are_problems_naming_expert_der_and_cell(edition):
    config = config_of(edition)
    lay = rating_sheet.layout(config)
    first_score = min(lay.scores.values())
    run = run_at(edition, _deadline(edition) - timedelta(days=3))
    assert simulate_experts(run, 1, SEED) == len(_stage1(edition))
    rows = {(a["group"], a["expert_email"]): a for a in _stage1(edition)}

    def ids(group, email):
        return rows[(group, email)]["application_ids"].split(",")

    def path(group, email):
        return workspace_dir(edition) / rows[(group, email)]["sheet_id"]

    def write(group, email, values):
        wb = load_workbook(path(group, email))
        ws = wb.worksheets[0]
        for (r, c), v in values.items():
            ws.cell(r + 1, c + 1).value = v  # as typed in Excel: "=…" becomes a formula
        wb.save(path(group, email))

    fs = "FFT-FS"
    write(fs, "s.toktarova@atu.edu.kz", {_cell_at(config, 0, first_score): "=5+5"})
    write(fs, "r.aliyev@atu.edu.kz", {_cell_at(config, 1, first_score + 1): "сегіз"})
    write(fs, "n.kuznetsova@atu.edu.kz", {_cell_at(config, 2, first_score + 2): 11})
    ds = "FLD-DS"
    wb = load_workbook(path(ds, "d.kassymova@atu.edu.kz"))
    wb.worksheets[0].delete_rows(lay.data_row(1) + 1)
    wb.save(path(ds, "d.kassymova@atu.edu.kz"))
    write(ds, "n.tleubayev@atu.edu.kz", {_cell_at(config, 0, "title"): "Менің атауым"})

    tick(run_at(edition, _deadline(edition)))
    problems = [p for p in table_rows(edition, "problems") if p["stage"] == 1]
    by = {(p["expert_email"], p["application_id"], p["cell"]): p for p in problems}

    def cell(index, col):
        return rating_sheet.a1(lay.data_row(index), col)

    formula = by[("s.toktarova@atu.edu.kz", ids(fs, "s.toktarova@atu.edu.kz")[0], cell(0, first_score))]
    assert '"why_formula"' in formula["detail"] and formula["raw"] == "=5+5"
    text = by[("r.aliyev@atu.edu.kz", ids(fs, "r.aliyev@atu.edu.kz")[1], cell(1, first_score + 1))]
    assert '"why_not_number"' in text["detail"] and text["raw"] == "сегіз"
    big = by[("n.kuznetsova@atu.edu.kz", ids(fs, "n.kuznetsova@atu.edu.kz")[2], cell(2, first_score + 2))]
    assert '"why_out_of_range"' in big["detail"] and str(big["raw"]) == "11"
    deleted = [
        p
        for p in problems
        if p["expert_email"] == "d.kassymova@atu.edu.kz" and p["application_id"] == ids(ds, "d.kassymova@atu.edu.kz")[1]
    ]
    assert len(deleted) == 1 and "жол өшірілген" in deleted[0]["detail_local"] and deleted[0]["cell"].startswith("A")
    renamed = by[("n.tleubayev@atu.edu.kz", ids(ds, "n.tleubayev@atu.edu.kz")[0], cell(0, lay.fixed["title"]))]
    assert '"why_id_title"' in renamed["detail"] and renamed["raw"] == "Менің атауым"
    # the demo's careless expert typed words
    assert any(p["expert_email"] == "t.sokolova@atu.edu.kz" and p["raw"] == "8 баллов" for p in problems)
    for p in problems:  # every problem names its group
        assert p["group"] == next(a["group"] for a in _stage1(edition) if a["expert_email"] == p["expert_email"])

    # the raw value is kept with the rating, and every other rating still counts
    ratings = [r for r in table_rows(edition, "ratings") if r["stage"] == 1]
    toktarova = next(
        r
        for r in ratings
        if r["expert_email"] == "s.toktarova@atu.edu.kz" and r["application_id"] == ids(fs, "s.toktarova@atu.edu.kz")[0]
    )
    assert json.loads(toktarova["scores"])[config.criteria[0].key] == "=5+5" and not toktarova["complete"]
    others = [
        r
        for r in ratings
        if r["group"] == fs
        and r["expert_email"] == "s.toktarova@atu.edu.kz"
        and r["application_id"] != ids(fs, "s.toktarova@atu.edu.kz")[0]
    ]
    assert others and all(r["complete"] for r in others)
    results = {r["application_id"]: r for r in table_rows(edition, "results") if r["group"] == fs}
    assert results[ids(fs, "s.toktarova@atu.edu.kz")[0]]["raters"] == 2
    assert results[ids(fs, "s.toktarova@atu.edu.kz")[3]]["raters"] == 3
    assert sum(1 for r in results.values() if r["selected"]) == 3
    ds_results = {r["application_id"]: r for r in table_rows(edition, "results") if r["group"] == ds}
    assert ds_results[ids(ds, "d.kassymova@atu.edu.kz")[1]]["raters"] == 2  # her deleted row does not count
    assert ds_results[ids(ds, "n.tleubayev@atu.edu.kz")[0]]["raters"] == 2  # id and title disagree: not counted (13)


def _add_decision(config_path: Path, item: str) -> None:
    """What CDB does: add the commission's decision to contest.yaml."""
    text = config_path.read_text(encoding="utf-8")
    text = text.replace("decisions: []\n", "decisions:\n") if "decisions: []\n" in text else text
    config_path.write_text(text.replace("decisions:\n", "decisions:\n" + item, 1), encoding="utf-8")


def test_a_tie_at_the_cut_off_waits_for_a_recorded_decision(edition):
    deadline = _deadline(edition)
    simulate_experts(run_at(edition, deadline - timedelta(days=3)), 1, SEED)
    # meanwhile a DER of the economics department is disqualified for false information (9.10)
    cheat = next(
        r for r in table_rows(edition, "registry") if r["department_id"] == "FEB-EC" and r["status"] == "accepted"
    )
    _add_decision(
        edition,
        f"  - kind: disqualify\n    applications: [{cheat['id']}]\n"
        '    by: "Конкурс комиссиясы, хаттама №2"\n    at: 2027-03-01T10:00\n'
        '    reason: "Енгізу актісі жалған (9.10)"\n',
    )
    assert "stage 1 waiting" in tick(run_at(edition, deadline))
    status = _status(edition, deadline)
    assert status["stages"][0]["state"] == "waiting"
    groups = {g["name"]: g for g in status["stages"][0]["groups"]}
    assert [g for g, v in groups.items() if v["ties"]] == ["FIT-IS"]
    tie = groups["FIT-IS"]["ties"][0]
    titles = {a["id"]: a["title"] for a in status["applications"]}
    assert sorted(titles[i] for i in tie) == ["Базы данных: SQL на практике", "Машиналық оқыту: кіріспе курс"]
    assert len(groups["FIT-IS"]["selected"]) == 2 and not set(tie) & set(groups["FIT-IS"]["selected"])
    assert "бірдей" in "\n".join(groups["FIT-IS"]["waiting"]) and "tie_break" in "\n".join(groups["FIT-IS"]["waiting"])
    accepted = [a for a in status["applications"] if a["registry_status"] == "accepted"]
    for name, g in groups.items():  # the other departments are decided: up to 3 each (9.4.1)
        if name != "FIT-IS":
            assert len(g["selected"]) == min(3, sum(a["department"] == name for a in accepted)), name
    # nothing about the tie is decided by the software: no extract for FIT-IS yet
    assert not (workspace_dir(edition) / "drive" / "stage-1" / "FIT-IS" / "protocol_extract_s1_FIT-IS.docx").exists()
    # a later tick without a decision still waits
    assert "stage 1 waiting" in tick(run_at(edition, deadline + timedelta(hours=1)))

    # CDB records the commission's decision: the second of the tied DERs goes first
    order = [tie[1], tie[0]]
    _add_decision(
        edition,
        "  - kind: tie_break\n    stage: 1\n    group: FIT-IS\n"
        f"    applications: [{', '.join(tie)}]\n    order: [{', '.join(order)}]\n"
        '    by: "Жұмабаев Е. С., кафедра отырысы, хаттама №7"\n    at: 2027-03-06T10:00\n'
        '    reason: "Ашық дауыс беру: 5 қолдап, 2 қарсы"\n',
    )
    actions = tick(run_at(edition, deadline + timedelta(hours=20)))
    assert "stage 1 closed" in actions and "stage 2 opened" in actions
    status = _status(edition, deadline + timedelta(hours=20))
    fit_is = next(g for g in status["stages"][0]["groups"] if g["name"] == "FIT-IS")
    assert order[0] in fit_is["selected"] and order[1] not in fit_is["selected"]
    assert len(fit_is["selected"]) == 3
    extract = workspace_dir(edition) / "drive" / "stage-1" / "FIT-IS" / "protocol_extract_s1_FIT-IS.docx"
    words = docx_text(extract)
    assert "Жұмабаев Е. С., кафедра отырысы, хаттама №7" in words
    assert "Ашық дауыс беру: 5 қолдап, 2 қарсы" in words
    assert titles[order[0]] in words
    # the decided order itself, not only who decided, each DER with its title beside its id
    assert f"{order[0]} «{titles[order[0]]}» › {order[1]} «{titles[order[1]]}»" in words
    assert cheat["id"] not in words and "Енгізу актісі жалған" not in words  # another department's matter
    # the disqualification: in its own department's extract, naming the DER; out of the ranking
    feb = docx_text(workspace_dir(edition) / "drive" / "stage-1" / "FEB-EC" / "protocol_extract_s1_FEB-EC.docx")
    assert "Енгізу актісі жалған (9.10)" in feb and cheat["id"] in feb
    entry = next(a for a in status["applications"] if a["id"] == cheat["id"])
    assert entry["status"] == "disqualified"
    assert any(r["rule"] == "disqualified" and r["clause"] == "9.10" for r in entry["reasons"])
    assert all(cheat["id"] not in g["selected"] for g in status["stages"][0]["groups"])


def test_each_expert_is_sent_their_sheet_with_a_subject_naming_group_and_deadline(edition):
    messages = [
        BytesParser(policy=policy.default).parsebytes(p.read_bytes())
        for p in files(workspace_dir(edition) / "outbox", "*.eml")
    ]
    sheets = [m for m in messages if any(part.get_filename() for part in m.iter_attachments())]
    assert len(sheets) == len(_stage1(edition))
    for m in sheets:
        assert "бағалау парағы" in m["Subject"] and "05.03.2027 18:00" in m["Subject"]
        assert m["Subject"].split("— ")[1].split(" (")[0] in {
            g.name("kk") for f in config_of(edition).faculties for g in f.departments
        }
