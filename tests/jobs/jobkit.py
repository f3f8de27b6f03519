"""Helpers shared by the job tests: an edition in a temporary folder, runs at a given time, and
readers that open the generated files with openpyxl / python-docx as a person's tools would."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from docx import Document
from openpyxl import load_workbook

from pipelines.backends import open_workspace
from pipelines.config import Config, load_config
from pipelines.demo import simulate_experts
from pipelines.formats.tables import schema, title
from pipelines.jobs.common import Run
from pipelines.jobs.tick import tick

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "atu-2027" / "contest.yaml"
ALMATY = ZoneInfo("Asia/Almaty")
SEED = 2027
CHAIR, SECRETARY = "Жұмабаев Ерлан Серікұлы", "Садықова Айгүл Маратқызы"  # FIT-IS's meeting, stage 1


def at(text: str) -> datetime:
    """A moment in Almaty time: at("2027-02-19 18:05")."""
    return datetime.fromisoformat(text).replace(tzinfo=ALMATY)


def copy_example(folder: Path, responses: str = "responses.csv", **replace: str) -> Path:
    """The example config in `folder`, reading `responses`; `replace` swaps literal text in it."""
    folder.mkdir(parents=True, exist_ok=True)
    text = EXAMPLE.read_text(encoding="utf-8").replace("path: responses.csv", f"path: {responses}")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path = folder / "contest.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def config_of(config_path: Path) -> Config:
    return load_config(config_path, environ={})  # the tester's CONTEST_* variables never leak in


def run_at(config_path: Path, now: datetime) -> Run:
    """A run as the CLI makes it: config read afresh, a new workspace object."""
    config = config_of(config_path)
    return Run(config=config, workspace=open_workspace(config), now=now)


def workspace_dir(config_path: Path) -> Path:
    return config_path.parent / "workspace"


def read_csv(path: Path) -> list[list[str]]:
    """An export's rows, header first (as Excel or Google saves it: a BOM is dropped)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


# --- reading what the jobs wrote ---------------------------------------------------------------
def control_tables(config_path: Path, lang: str = "kk", skip: tuple[str, ...] = ()) -> dict[str, list[list[Any]]]:
    """Every sheet of control.xlsx as lists of values, opened with openpyxl."""
    path = workspace_dir(config_path) / "control.xlsx"
    if not path.exists():
        return {}
    wb = load_workbook(path)
    skipped = {title(t, lang) for t in skip}
    return {
        ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets if ws.title not in skipped
    }


def table_rows(config_path: Path, table: str, lang: str = "kk") -> list[dict[str, Any]]:
    """One control table read with openpyxl, as dicts by column key (sheets_schema/tables.yaml)."""
    return rows_of(control_tables(config_path, lang), table, lang)


def rows_of(tables: dict[str, list[list[Any]]], table: str, lang: str = "kk") -> list[dict[str, Any]]:
    """One table of what control_tables read, as dicts by column key (sheets_schema/tables.yaml)."""
    rows = tables.get(title(table, lang), [])
    if not rows:
        return []
    keys = {c[lang]: c["key"] for c in schema()[table]["columns"]}
    header = [keys.get(h, h) for h in rows[0]]
    return [
        dict(zip(header, ("" if v is None else v for v in r))) for r in rows[1:] if any(v not in (None, "") for v in r)
    ]


def manifest(config_path: Path) -> dict[str, Any]:
    """The workspace manifest as the next run reads it (from contest.sqlite3)."""
    from pipelines.backends.local import Manifest

    return Manifest(workspace_dir(config_path)).data


def document_digests(config_path: Path) -> dict[str, str]:
    return {k: v["sha256"] for k, v in manifest(config_path)["documents"].items()}


def docx_text(path: str | Path) -> str:
    """All the text of a .docx: paragraphs and table cells, in order."""
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return "\n".join(parts)


def docx_tables(path: str | Path) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in t.rows] for t in Document(str(path)).tables]


def files(folder: Path, pattern: str = "*") -> list[Path]:
    return sorted(p for p in folder.rglob(pattern) if p.is_file())


def outbox_recipients(config_path: Path) -> Counter[str]:
    """How many messages the local outbox holds for each address."""
    out: Counter[str] = Counter()
    for path in files(workspace_dir(config_path) / "outbox", "*.eml"):
        out[BytesParser(policy=policy.default).parsebytes(path.read_bytes())["To"]] += 1
    return out


def opened_edition(config_path: Path) -> tuple[Counter[str], list[str], list[tuple[str, str]]]:
    """What a tick opening stage 1 leaves: the messages by address, the sheets made, the stages' states."""
    sheets = sorted(manifest(config_path)["sheets"])
    stages = sorted((r["stage"], r["state"]) for r in table_rows(config_path, "stages"))
    return outbox_recipients(config_path), sheets, stages


# --- moving an edition on -----------------------------------------------------------------------
def close_stage1_with_a_decided_tie(edition: Path) -> tuple[list[str], dict[str, str]]:
    """Experts score (two of them as hurried experts do: one blank, one '8 баллов'); FIT-IS ties at
    its cut-off; the department's meeting decides the order by vote; stage 1 closes."""
    config = config_of(edition)
    deadline = config.calendar.stage1_close
    run = run_at(edition, deadline - timedelta(days=1))
    simulate_experts(run, 1, SEED)
    run.commit()
    assert "stage 1 waiting" in tick(run_at(edition, deadline + timedelta(minutes=5)))
    waiting = run_at(edition, deadline + timedelta(minutes=10))
    tie = waiting.state.outcomes[(1, "FIT-IS")].ties[0]
    titles = {a.id: a.title for a in waiting.state.applications}
    order = [tie[1], tie[0]]  # the commission puts the second first
    text = edition.read_text(encoding="utf-8").replace(
        "decisions: []\n",
        "decisions:\n"
        f"  - kind: tie_break\n    stage: 1\n    group: FIT-IS\n    applications: [{', '.join(tie)}]\n"
        f"    order: [{', '.join(order)}]\n    votes: {{for: 2, against: 1, abstained: 0}}\n"
        '    by: "кафедра отырысы"\n    at: 2027-03-06T10:00\n    reason: "ашық дауыс беру"\n'
        "meetings:\n"
        f"  - {{stage: 1, group: FIT-IS, number: '7', chair: '{CHAIR}', secretary: '{SECRETARY}',\n"
        "     votes: {for: 3, against: 0, abstained: 0}}\n",
    )
    edition.write_text(text, encoding="utf-8")
    assert "stage 1 closed" in tick(run_at(edition, deadline + timedelta(hours=20)))
    return order, titles


TWO_SHEETS = "v.kim@atu.edu.kz"  # FIT-IS's member, on FIT-AU's commission too in two_sheets_edition


def two_sheets_edition(folder: Path, typed: object = None) -> Path:
    """The demo edition with one expert (TWO_SHEETS) on two department commissions, stage 1 opened
    and scored by the simulated experts; that expert left a different cell empty in each sheet (the
    design score of the first DER of the first sheet by group id, of the second DER of the other)."""
    from pipelines.demo import write_edition
    from pipelines.formats import rating_sheet

    config_path = write_edition(folder, SEED)
    member = '      - {name: "Исаев Бауыржан Нұрланұлы", email: b.issayev@atu.edu.kz, department: FIT-AU}\n'
    also = '      - {name: "Ким Виктор Андреевич", email: v.kim@atu.edu.kz, department: FIT-IS}\n'
    text = config_path.read_text(encoding="utf-8")
    assert member in text
    config_path.write_text(text.replace(member, member + also), encoding="utf-8")
    calendar = config_of(config_path).calendar
    tick(run_at(config_path, calendar.intake_close + timedelta(minutes=5)))
    run = run_at(config_path, calendar.stage1_close - timedelta(days=4))
    simulate_experts(run, 1, SEED)
    lay = rating_sheet.layout(run.config)
    sheets = sorted((a for a in run.state.sheets(1) if a.expert.email == TWO_SHEETS), key=lambda a: a.group)
    for n, a in enumerate(sheets):
        book = load_workbook(workspace_dir(config_path) / a.sheet_id)
        book.worksheets[0].cell(lay.data_row(n) + 1, lay.scores["design"] + 1).value = typed
        book.save(workspace_dir(config_path) / a.sheet_id)
    return config_path
