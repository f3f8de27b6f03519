"""`contest tick` across the whole demo calendar, run twice at every point, as cron would.

One module-scoped run of the edition feeds the tests below: it ticks twice at each point of the
calendar (the second tick must change nothing), with experts filling their sheets between the
deadlines and the commission's tie decision written into contest.yaml, as CDB does it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from jobkit import (
    config_of,
    control_tables,
    copy_example,
    document_digests,
    docx_tables,
    docx_text,
    files,
    manifest,
    rows_of,
    run_at,
    table_rows,
    workspace_dir,
)
from openpyxl import load_workbook

from pipelines.backends.local.lock import workspace_lock
from pipelines.cli import cli
from pipelines.demo import simulate_experts, write_edition
from pipelines.formats import rating_sheet
from pipelines.formats.tables import title
from pipelines.jobs.paperwork import fmt_number
from pipelines.jobs.tick import tick
from pipelines.ports import BackendError

SEED = 2027


@dataclass
class Point:
    label: str
    now: object
    first: list[str]
    second: list[str]
    before: dict
    after: dict
    journal_rows: tuple[int, int, int]  # before the first tick, after it, after the second


@dataclass
class Calendar:
    config_path: Path
    points: list[Point] = field(default_factory=list)
    ticks: int = 0


# A form nobody has answered yet: its questions, no rows.
EMPTY_FORM = "Timestamp,Email Address,Faculty,Department,DER title,Authors,Language,DER type,Justification,Link,Act of implementation,Certificate of placement\n"


def _state(config_path: Path) -> tuple[int, dict]:
    """The journal's row count, and everything a tick may change except the journal (which records
    each run): control.xlsx is read once for both."""
    ws = workspace_dir(config_path)
    tables = control_tables(config_path)
    journal_rows = len(rows_of(tables, "journal"))
    tables.pop(title("journal", "kk"), None)
    return journal_rows, {
        "tables": tables,
        "documents": document_digests(config_path),
        "sheets": manifest(config_path)["sheets"],
        "files": {
            str(p.relative_to(ws)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in files(ws)
            if p.name not in ("control.xlsx", "contest.sqlite3", "contest.sqlite3-wal", "contest.sqlite3-shm")
            and p.relative_to(ws).parts[0] != "backups"
        },  # copies of control.xlsx (its journal grows)
        # an idle tick leaves the control store and its copies as they are (issue 23 item 7)
        "control": hashlib.sha256((ws / "control.xlsx").read_bytes()).hexdigest()
        if (ws / "control.xlsx").exists()
        else "",
        "backups": sorted(p.name for p in (ws / "backups").glob("*")) if (ws / "backups").is_dir() else [],
    }


@pytest.fixture(scope="module")
def calendar(tmp_path_factory) -> Calendar:
    config_path = write_edition(tmp_path_factory.mktemp("calendar"), SEED)
    cal = config_of(config_path).calendar
    result = Calendar(config_path)

    def twice(label: str, now) -> Point:
        counts = [len(table_rows(config_path, "journal"))]
        first = tick(run_at(config_path, now))
        rows, before = _state(config_path)
        counts.append(rows)
        second = tick(run_at(config_path, now))
        rows, after = _state(config_path)
        counts.append(rows)
        result.ticks += 2
        point = Point(label, now, first, second, before, after, tuple(counts))
        result.points.append(point)
        return point

    twice("before intake opens", cal.intake_open - timedelta(days=1))
    twice("intake, first week", cal.intake_open + timedelta(days=7))
    twice("intake closes", cal.intake_close + timedelta(minutes=5))
    for stage in (1, 2, 3):
        close = cal.stage_close(stage)
        simulate_experts(run_at(config_path, close - timedelta(days=3)), stage, SEED)
        twice(f"stage {stage}, experts at work", close - timedelta(days=2))
        point = twice(f"stage {stage} deadline", close + timedelta(minutes=5))
        if stage == 1:
            assert "stage 1 waiting" in point.first, point.first
            tie = next(t for g in _status(config_path, point.now)["stages"][0]["groups"] for t in g["ties"])
            _record_decision(config_path, tie)
            twice("stage 1, after the decision", close + timedelta(hours=20))
    twice("after the contest", cal.stage3_close + timedelta(days=1))
    return result


def _record_decision(config_path: Path, tie: list[str]) -> None:
    block = (
        "decisions:\n  - kind: tie_break\n    stage: 1\n    group: FIT-IS\n"
        f"    applications: [{', '.join(tie)}]\n    order: [{', '.join(sorted(tie))}]\n"
        '    by: "Жұмабаев Е. С., кафедра отырысы, хаттама №7"\n    at: 2027-03-06T10:00\n'
        '    reason: "Ашық дауыс беру нәтижесі"\n'
    )
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(text.replace("decisions: []\n", block), encoding="utf-8")


def _status(config_path: Path, now) -> dict:
    result = CliRunner().invoke(
        cli,
        ["--config", str(config_path), "--now", now.isoformat(), "status", "--json"],
        env={"CONTEST_LANGUAGE": None},
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- idempotency -----------------------------------------------------------------------------------
def test_the_calendar_runs_through_to_the_winners(calendar):
    told = {p.label: [a for a in p.first if a.startswith("notifications ")] for p in calendar.points}
    firsts = {p.label: [a for a in p.first if not a.startswith("notifications ")] for p in calendar.points}
    # a tick that wrote the applicants' notices says so (issue 20 item 4), never "nothing due"
    assert told["intake, first week"] and told["intake, first week"][0].startswith("notifications written: ")
    assert told["stage 3 deadline"] and not told["after the contest"] and not told["before intake opens"]
    assert firsts["before intake opens"] == []
    assert firsts["intake, first week"] == ["intake"]
    assert firsts["intake closes"][-2:] == ["intake closed", "stage 1 opened"]
    assert firsts["stage 1, after the decision"] == ["stage 1 closed", "stage 2 opened"]
    assert firsts["stage 2 deadline"] == ["stage 2 closed", "stage 3 opened"]
    assert firsts["stage 3 deadline"] == ["stage 3 closed"]
    assert firsts["after the contest"] == []


@pytest.mark.parametrize("index", range(11))
def test_a_second_tick_changes_nothing(calendar, index):
    point = calendar.points[index]
    assert point.second in ([], [a for a in point.first if a.endswith("waiting")]), point.label
    for part in ("tables", "documents", "sheets", "files"):
        assert point.after[part] == point.before[part], f"{point.label}: {part} changed on the second tick"
    if not point.second:  # nothing due: control.xlsx not rewritten, no copy of it taken
        for part in ("control", "backups"):
            assert point.after[part] == point.before[part], f"{point.label}: {part} changed on an idle tick"


def test_the_calendar_has_eleven_points(calendar):
    assert len(calendar.points) == 11


def test_the_journal_has_one_row_per_run(calendar):
    """One tick row per run that did something, none for a tick with nothing due (the journal
    records what happened, not heartbeats: issue 23 item 7). The only other rows are the message
    ledger's (a notice "intended" before it goes, "sent" after: written at once, so a crash cannot
    lose them, 13 item 4); a second tick at the same moment sends nothing."""
    acted = 0
    for point in calendar.points:
        before, after_first, after_second = point.journal_rows
        assert after_first - before >= (1 if point.first else 0), point.label
        assert after_second - after_first == (1 if point.second else 0), point.label
        acted += bool(point.first) + bool(point.second)
    journal = table_rows(calendar.config_path, "journal")
    ticks = [r for r in journal if r["action"] == "tick"]
    assert len(ticks) == acted < calendar.ticks
    ledger = [r for r in journal if r["action"] != "tick"]
    assert {r["action"] for r in ledger} <= {"notify", "remind", "notify-held"}  # held: a rejection in CDB's review
    assert {r["outcome"] for r in ledger} <= {"intended", "sent", "listed", "left out", "held"}
    outcomes = [r["outcome"] for r in ticks]
    assert any(o.startswith("stage 1 closed, stage 2 opened, notifications written: ") for o in outcomes)
    assert "nothing due" not in outcomes  # an idle tick writes no journal row
    for row in ticks:
        json.loads(row["detail"])  # machine-readable


# --- what the stages leave -----------------------------------------------------------------------
def _selected(config_path: Path, stage: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in table_rows(config_path, "results"):
        if r["stage"] == stage and r["selected"]:
            out.setdefault(r["group"], []).append(r["application_id"])
    return out


def test_stage2_sheets_hold_only_the_ders_selected_at_stage1(calendar):
    config_path = calendar.config_path
    config = config_of(config_path)
    lay = rating_sheet.layout(config)
    registry = {r["id"]: r for r in table_rows(config_path, "registry")}
    chosen = {i for ids in _selected(config_path, 1).values() for i in ids}
    assert len(chosen) == 29  # 3 per department, FLD-TL has only 2
    stage2 = [a for a in table_rows(config_path, "assignments") if a["stage"] == 2]
    assert {a["group"] for a in stage2} == {f.id for f in config.faculties}
    for a in stage2:
        ws = load_workbook(workspace_dir(config_path) / a["sheet_id"]).worksheets[0]
        ids = [ws.cell(r, lay.fixed["der_id"] + 1).value for r in range(lay.first_data_row + 1, ws.max_row + 1)]
        ids = [i for i in ids if i]
        faculty_chosen = {i for i in chosen if registry[i]["faculty_id"] == a["group"]}
        assert set(ids) <= faculty_chosen, a["expert_email"]
        assert ids == a["application_ids"].split(",")
    for faculty in config.faculties:
        rated = {i for a in stage2 if a["group"] == faculty.id for i in a["application_ids"].split(",")}
        assert rated == {i for i in chosen if registry[i]["faculty_id"] == faculty.id}


def test_the_stage2_dossier_holds_the_selected_form01_and_the_department_extracts(calendar):
    config_path = calendar.config_path
    config = config_of(config_path)
    registry = {r["id"]: r for r in table_rows(config_path, "registry")}
    chosen = _selected(config_path, 1)
    for faculty in config.faculties:
        dossier = workspace_dir(config_path) / "drive" / "stage-2" / faculty.id / "dossier"
        departments = [d.id for d in faculty.departments if chosen.get(d.id)]
        ids = [i for d in departments for i in chosen[d]]
        assert sorted(p.name for p in dossier.iterdir()) == sorted(
            [f"form01_{i}.docx" for i in ids] + [f"protocol_extract_s1_{d}.docx" for d in departments]
        )
        for i in ids:
            text = docx_text(dossier / f"form01_{i}.docx")
            assert registry[i]["title"] in text and registry[i]["link"] in text
        for d in departments:
            text = docx_text(dossier / f"protocol_extract_s1_{d}.docx")
            assert config.departments()[d][1].name_kk in text
            assert all(registry[i]["title"] in text for i in chosen[d])


def test_every_unit_has_its_extract_and_every_expert_a_form02(calendar):
    config_path = calendar.config_path
    config = config_of(config_path)
    drive = workspace_dir(config_path) / "drive"
    for dep in config.departments():
        assert (drive / "stage-1" / dep / f"protocol_extract_s1_{dep}.docx").exists()
    for fac in config.faculties:
        assert (drive / "stage-2" / fac.id / f"protocol_extract_s2_{fac.id}.docx").exists()
    for a in table_rows(config_path, "assignments"):
        form02 = (
            drive
            / f"stage-{a['stage']}"
            / a["group"]
            / "form02"
            / (f"form02_s{a['stage']}_{a['group']}_{a['expert_email'].split('@')[0]}.docx")
        )
        assert a["expert_name"] in docx_text(form02)


def test_the_final_protocol_and_results_name_the_winners_with_their_scores(calendar):
    config_path = calendar.config_path
    status = _status(config_path, config_of(config_path).calendar.stage3_close + timedelta(days=1))
    assert [s["state"] for s in status["stages"]] == ["closed"] * 3
    titles = {a["id"]: a["title"] for a in status["applications"]}
    winners = status["winners"]
    assert [w["place"] for w in winners] == [1, 2, 3]
    assert [w["score"] for w in winners] == sorted((w["score"] for w in winners), reverse=True)
    drive = workspace_dir(config_path) / "drive"
    for path in (drive / "stage-3" / "contest" / "final_protocol.docx", drive / "results" / "results.docx"):
        rows = [row for table in docx_tables(path) for row in table]
        for w in winners:
            assert any(
                titles[w["id"]] in row and fmt_number(w["score"]) in row and str(w["place"]) in row for row in rows
            ), (path.name, w)
    final = docx_text(drive / "stage-3" / "contest" / "final_protocol.docx")
    assert config_of(config_path).commissions.chair in final


# --- the lock ------------------------------------------------------------------------------------
def test_a_second_tick_while_the_lock_is_held_does_nothing(tmp_path):
    config_path = copy_example(tmp_path)
    (tmp_path / "responses.csv").write_text(EMPTY_FORM, encoding="utf-8")
    lock = workspace_dir(config_path) / ".contest-tick.lock"  # in the workspace, whatever config names it
    lock.parent.mkdir(parents=True)
    with open(lock, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the first tick, still running
        result = CliRunner().invoke(cli, ["--config", str(config_path), "--now", "2027-02-01T09:00", "tick"])
        # a job typed by hand meanwhile waits its turn too, and says so as an error
        by_hand = [
            CliRunner().invoke(cli, ["--config", str(config_path), "--now", "2027-02-01T09:00", *args])
            for args in (["intake"], ["open-stage", "1"], ["close-stage", "1"], ["remind"])
        ]
    assert result.exit_code == 0, result.output
    assert "басқа tick орындалып жатыр" in result.stderr and str(lock) in result.stderr
    for other in by_hand:
        assert other.exit_code == 1 and other.stderr.startswith("Error: басқа tick орындалып жатыр"), other.output
    assert "Traceback" not in result.output
    assert not (workspace_dir(config_path) / "control.xlsx").exists()
    assert files(workspace_dir(config_path)) == [lock]
    # the lock released, the next tick runs
    result = CliRunner().invoke(cli, ["--config", str(config_path), "--now", "2027-02-01T09:00", "tick"])
    assert result.exit_code == 0, result.output
    assert (workspace_dir(config_path) / "control.xlsx").exists()


def test_a_lock_that_cannot_be_created_is_a_clear_error(tmp_path):
    (tmp_path / "not-a-folder").write_text("x", encoding="utf-8")
    with pytest.raises(BackendError, match="не удалось создать файл блокировки"):
        with workspace_lock(tmp_path / "not-a-folder" / ".contest-tick.lock", "ru"):
            pass


def test_the_winners_are_carried_on_to_the_next_edition(calendar, tmp_path):
    """`contest winners --export FILE`: the next edition includes the file and 9.9 needs no retyping;
    the winners were told their place and the results name the ceremony."""
    config_path = calendar.config_path
    later = (config_of(config_path).calendar.stage3_close + timedelta(days=2)).isoformat()
    export = tmp_path / "winners-2027.yaml"
    result = CliRunner().invoke(cli, ["--config", str(config_path), "--now", later, "winners", "--export", str(export)])
    assert result.exit_code == 0, result.output
    status = _status_json(config_path, later)
    winners = sorted(status["winners"], key=lambda w: w["place"])
    titles = {a["id"]: a["title"] for a in status["applications"]}
    text = export.read_text(encoding="utf-8")
    assert "previous_winners_files" in text  # says how to include it
    nxt = tmp_path / "next" / "contest.yaml"
    nxt.parent.mkdir()
    (nxt.parent / "winners-2027.yaml").write_text(text, encoding="utf-8")
    body = config_path.read_text(encoding="utf-8").replace(
        "decisions:", "previous_winners_files: [winners-2027.yaml]\ndecisions:", 1
    )
    nxt.write_text(body, encoding="utf-8")
    carried = config_of(nxt).intake_rules().previous_winners
    year = config_of(config_path).edition.year
    mine = [w for w in carried if w.year == year]
    assert [w.title for w in mine] == [titles[w["id"]] for w in winners]
    assert all(w.link.startswith("https://") and w.authors for w in mine)
    # each winner heard its place
    outbox = [p.read_bytes().decode("utf-8", "replace") for p in (workspace_dir(config_path) / "outbox").glob("*.eml")]
    for w in winners:
        assert any(w["id"] in m and "орын алды" in m for m in outbox), w


def _status_json(config_path: Path, now: str) -> dict:
    result = CliRunner().invoke(cli, ["--config", str(config_path), "--now", now, "status", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
