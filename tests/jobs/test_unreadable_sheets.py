"""A rating sheet that cannot be read is a problem, not a stop (issue 13 item 3), and
`contest recreate-sheet` makes it again with the scores of its last frozen copy.

Each kind of damage a sheet returned by mail or tidied by hand shows on the local workspace:
deleted, renamed "… (1).xlsx", emptied to zero bytes, saved with a password (an encrypted OLE file),
saved as Strict Open XML, as .ods or as CSV under the .xlsx name. The close goes on for everyone
else; the stage waits only for that expert; the problem says what was found and what to do."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from editions import copy_edition
from jobkit import config_of, run_at, table_rows, workspace_dir
from openpyxl import load_workbook

from pipelines.cli import cli
from pipelines.demo import simulate_experts
from pipelines.jobs.tick import tick

SEED = 2027
VICTIM = "n.tleubayev@atu.edu.kz"


def _sheet(config_path: Path, email: str = VICTIM) -> Path:
    row = next(a for a in table_rows(config_path, "assignments") if a["stage"] == 1 and a["expert_email"] == email)
    return workspace_dir(config_path) / row["sheet_id"]  # the copy's own file (sheet_url names the original)


def _strict(path: Path) -> None:
    """The workbook as Excel writes "Strict Open XML Spreadsheet": the strict namespaces."""
    data = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(data, "w") as out:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename.endswith(".xml") or item.filename.endswith(".rels"):
                body = body.replace(
                    b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                    b"http://purl.oclc.org/ooxml/spreadsheetml/main",
                )
            out.writestr(item, body)
    path.write_bytes(data.getvalue())


def _ods(path: Path) -> None:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as out:
        out.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        out.writestr("content.xml", "<office:document-content/>")
    path.write_bytes(data.getvalue())


DAMAGE = {
    "deleted": (lambda p: p.unlink(), "қалтасында ұқсасы да жоқ"),
    "renamed": (lambda p: p.rename(p.with_name(f"{p.stem} (1).xlsx")), "(1).xlsx"),
    "zero-byte": (lambda p: p.write_bytes(b""), "empty file"),
    "password": (lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600), "password"),
    "strict": (_strict, "Strict Open XML"),
    "ods": (_ods, "OpenDocument"),
    "csv": (lambda p: p.write_text("№;СББР ID;атауы\n1;DER-X;Python\n", encoding="utf-8"), "text file"),
}


@pytest.fixture(scope="module")
def damaged(opened, tmp_path_factory):
    """One edition in which each kind of damage hit the sheet of an expert of another group; then
    stage 1 closes and the next tick runs. What the close wrote is kept as it was after the close."""
    edition = copy_edition(opened.parent, tmp_path_factory.mktemp("damaged") / "edition")
    deadline = config_of(edition).calendar.stage1_close
    simulate_experts(run_at(edition, deadline - timedelta(days=4)), 1, SEED)
    first_of_group: dict[str, str] = {}
    for a in table_rows(edition, "assignments"):
        if a["stage"] == 1:
            first_of_group.setdefault(a["group"], a["expert_email"])
    victims = dict(zip(sorted(DAMAGE), first_of_group.values(), strict=False))
    assert len(victims) == len(DAMAGE)
    for kind, email in victims.items():
        DAMAGE[kind][0](_sheet(edition, email))
    actions = tick(run_at(edition, deadline + timedelta(minutes=5)))  # no exception
    closed = {"problems": table_rows(edition, "problems"), "results": table_rows(edition, "results")}
    # the next tick says the same and goes on (never a traceback on every tick)
    tick(run_at(edition, deadline + timedelta(hours=1)))
    return {"victims": victims, "actions": actions, **closed}


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_a_damaged_sheet_waits_for_its_expert_and_names_the_fix(damaged, kind):
    victim = damaged["victims"][kind]
    _damage, found = DAMAGE[kind]
    assert any("stage 1" in a for a in damaged["actions"])
    problems = [p for p in damaged["problems"] if p["expert_email"] == victim]
    (p,) = problems
    assert found in p["detail_local"] and f"contest recreate-sheet 1 {victim}" in p["detail_local"]
    results = damaged["results"]
    assert results and any(r["stage"] == 1 for r in results)  # the other experts' ratings were used


def test_recreate_sheet_makes_it_again_and_the_close_reads_it(edition):
    config = config_of(edition)
    deadline = config.calendar.stage1_close
    simulate_experts(run_at(edition, deadline - timedelta(days=4)), 1, SEED)
    path = _sheet(edition)
    path.write_bytes(b"")
    tick(run_at(edition, deadline + timedelta(minutes=5)))
    stage = next(s for s in table_rows(edition, "stages") if str(s["stage"]) == "1")
    result = CliRunner().invoke(
        cli,
        ["--config", str(edition), "--now", (deadline + timedelta(hours=1)).isoformat(), "recreate-sheet", "1", VICTIM],
        env={"CONTEST_LANGUAGE": None},
    )
    assert result.exit_code == 0, result.output
    assert path.stat().st_size > 0 and load_workbook(path).worksheets[0].max_row > 8
    assert path.with_name(f"{path.stem}.set-aside-1.xlsx").stat().st_size == 0  # kept, never deleted
    mails = [
        BytesParser(policy=policy.default).parsebytes(m.read_bytes())
        for m in (workspace_dir(edition) / "outbox").glob("*.eml")
    ]
    told = [m for m in mails if m["To"] == VICTIM and "қайта жасалды" in str(m["Subject"])]
    assert len(told) == 1  # told once
    assert stage
    tick(run_at(edition, deadline + timedelta(hours=2)))  # the waiting stage reads the new sheet
    problems = [p for p in table_rows(edition, "problems") if p["expert_email"] == VICTIM]
    assert not any('"why_sheet_unreadable"' in p["detail"] for p in problems)


def test_recreate_types_back_the_scores_of_the_last_frozen_copy(edition):
    config = config_of(edition)
    deadline = config.calendar.stage1_close
    simulate_experts(run_at(edition, deadline - timedelta(days=4)), 1, SEED)
    tick(run_at(edition, deadline + timedelta(minutes=5)))  # frozen and read: the ratings are stored
    before = {
        r["application_id"]: r["scores"]
        for r in table_rows(edition, "ratings")
        if r["expert_email"] == VICTIM and r["stage"] == 1
    }
    assert before
    result = CliRunner().invoke(
        cli,
        ["--config", str(edition), "--now", (deadline + timedelta(hours=1)).isoformat(), "recreate-sheet", "1", VICTIM],
        env={"CONTEST_LANGUAGE": None},
    )
    assert result.exit_code == 0, result.output
    from pipelines.jobs.common import Run
    from pipelines.jobs.sheets import read_assignment

    run: Run = run_at(edition, deadline + timedelta(hours=2))
    a = next(x for x in run.state.sheets(1) if x.expert.email == VICTIM)
    ratings, _problems = read_assignment(run, a)
    import json

    assert {r.application_id: {k: v for k, v in r.scores.items()} for r in ratings} == {
        i: {k: (v if isinstance(v, int) else None) for k, v in json.loads(s).items()} for i, s in before.items()
    }
