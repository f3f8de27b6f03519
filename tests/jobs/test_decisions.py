"""Recorded decisions a person can review and correct (issue 19 items 3, 4), read back as people
receive them: the outbox's .eml files, the rating sheets (.xlsx), the registry and `status --json`.

- while intake is open, a response missing a field or an attachment is told what is missing and that
  a corrected response before the deadline replaces it, never "rejected";
- final rejections wait for CDB's review (`notify.review_hours`) or `contest notify --confirm`;
- an on-time application rejected in error is reinstated by a `reinstate` decision after stage 1
  opened: it joins stage 1 with its experts' sheets made again (their scores kept), and its author
  receives exactly one correction;
- a DER disqualified (9.10) while the next stage is open is replaced by the next of the ranking
  through a `replace` decision: the newcomer gets rating sheets, its author one correction.
"""

from __future__ import annotations

import json
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from jobkit import config_of, files, run_at, table_rows, workspace_dir
from openpyxl import load_workbook

from pipelines.cli import cli
from pipelines.demo import write_edition
from pipelines.formats import rating_sheet
from pipelines.jobs.tick import tick

CDB = "ЦДБ, Садықова А.М."


def _outbox(edition: Path) -> dict[str, EmailMessage]:
    parse = BytesParser(policy=policy.default).parsebytes
    return {p.name: parse(p.read_bytes()) for p in files(workspace_dir(edition) / "outbox", "*.eml")}  # type: ignore[misc]


def _to(messages: dict[str, EmailMessage], address: str, der: str = "") -> list[EmailMessage]:
    """The messages to `address`; with `der`, only those about that DER (an author may also be an
    expert, who receives sheets)."""
    return [m for m in messages.values() if m["To"] == address and (not der or der in m["Subject"] + _text(m))]


def _text(m: EmailMessage) -> str:
    return m.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


def _record(edition: Path, block: str) -> None:
    """`block` (entries of the list) recorded under `decisions:`, as CDB writes it into contest.yaml."""
    text = edition.read_text(encoding="utf-8").replace("decisions: []\n", "decisions:\n", 1)
    assert "\ndecisions:\n" in text
    edition.write_text(text.replace("\ndecisions:\n", "\ndecisions:\n" + block, 1), encoding="utf-8")


def _registry(edition: Path) -> dict[str, dict]:
    return {r["id"]: r for r in table_rows(edition, "registry") if r["status"] != "superseded"}


def _status(edition: Path, now) -> dict:
    result = CliRunner().invoke(cli, ["--config", str(edition), "--now", now.isoformat(), "status", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- during intake: what is missing, not "rejected"; finals after CDB's review ---------------------
@pytest.fixture(scope="module")
def intake_week(tmp_path_factory) -> Path:
    """The demo edition after the tick of intake's first week."""
    path = write_edition(tmp_path_factory.mktemp("intake-week") / "edition", 2027)
    tick(run_at(path, config_of(path).calendar.intake_open + timedelta(days=7)))
    return path


def test_a_response_missing_a_field_is_told_what_to_send_before_the_deadline(intake_week):
    registry = _registry(intake_week)
    missing = next(r for r in registry.values() if "8-тармағы толтырылмаған" in str(r["reasons_local"]))
    (told,) = _to(_outbox(intake_week), missing["respondent_email"], missing["id"])
    body = _text(told)
    assert "жетпейді" in told["Subject"] and missing["id"] in told["Subject"]
    assert "қабылданбады" not in told["Subject"] + body
    assert "Бұл бас тарту емес" in body and "19.02.2027 18:00 дейін" in body  # the deadline, and it replaces
    assert "01 нысанның міндетті жолы толтырылмаған" in body and "анықтама тіркелмеген" in body  # each thing missing


def test_a_final_rejection_waits_for_cdbs_review_and_goes_at_once_on_confirm(intake_week, tmp_path):
    import shutil

    edition = Path(shutil.copytree(intake_week.parent, tmp_path / "edition")) / "contest.yaml"
    close = config_of(edition).calendar.intake_close
    registry = _registry(edition)
    winner = next(r for r in registry.values() if "(9.9)" in str(r["reasons_local"]))  # 9.9: nothing to correct
    assert not _to(_outbox(edition), winner["respondent_email"], winner["id"])  # not during intake
    tick(run_at(edition, close + timedelta(minutes=5)))  # intake closes, stage 1 opens
    assert not _to(_outbox(edition), winner["respondent_email"], winner["id"])  # CDB has review_hours to look
    pending = _status(edition, close + timedelta(hours=1))["messages_pending"]
    mine = next(m for m in pending if winner["id"] in m["key"])
    # first seen during intake: its review time runs from the close, 24 h by default
    assert mine["held"] and mine["send_at"] == (close + timedelta(hours=24)).isoformat(timespec="minutes")
    assert mine["to"] == winner["respondent_email"]

    result = CliRunner().invoke(
        cli, ["--config", str(edition), "--now", (close + timedelta(hours=2)).isoformat(), "notify", "--confirm"]
    )
    assert result.exit_code == 0, result.output
    (rejected,) = _to(_outbox(edition), winner["respondent_email"], winner["id"])
    assert "қабылданбады" in rejected["Subject"] and "(9.9)" in _text(rejected)
    assert not [m for m in _status(edition, close + timedelta(hours=3))["messages_pending"] if m["held"]]
    tick(run_at(edition, close + timedelta(hours=30)))
    assert len(_to(_outbox(edition), winner["respondent_email"], winner["id"])) == 1  # once


# --- reinstate after stage 1 opened -------------------------------------------------------------
def _sheet_cells(path: Path) -> list[list]:
    sheet = load_workbook(path, data_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_an_application_rejected_in_error_is_reinstated_after_stage_1_opened(edition):
    """The issue's case: a link to ATU's platform written without its scheme was rejected; the
    rejection went out after CDB's review time; CDB records a reinstatement. The DER joins stage 1
    (its department's experts' sheets made again with their scores so far), and its author gets
    exactly one correction that says the earlier message was wrong and that it is accepted."""
    close = config_of(edition).calendar.intake_close
    registry = _registry(edition)
    wrong = next(
        r for r in registry.values() if str(r["link"]).startswith("skills.atu.kz") and r["status"] == "rejected"
    )
    der, author, department = wrong["id"], wrong["respondent_email"], wrong["department_id"]
    tick(run_at(edition, close + timedelta(hours=25)))  # CDB's review time over: the rejections go
    (rejection,) = _to(_outbox(edition), author, der)
    assert "қабылданбады" in rejection["Subject"]

    # an expert of the department has begun scoring
    run = run_at(edition, close + timedelta(hours=25, minutes=30))
    sheets = [a for a in run.state.sheets(1) if a.group == department]
    assert sheets and all(der not in a.application_ids for a in sheets)
    first = sheets[0]
    lay = rating_sheet.layout(run.config)
    from pipelines.jobs.sheets import sheet_ref

    column = next(iter(lay.scores.values()))
    run.workspace.sheets.write_as_expert(sheet_ref(run, first), {(lay.data_row(0), column): 7})
    scored = first.application_ids[0]

    _record(
        edition,
        f'  - kind: reinstate\n    applications: [{der}]\n    by: "{CDB}"\n    at: 2027-02-20T20:30\n'
        '    reason: "skills.atu.kz — университет платформасы; сілтеме схемасыз жазылған"\n',
    )
    before = set(_outbox(edition))
    now = close + timedelta(hours=26, minutes=30)
    run = run_at(edition, now)
    actions = tick(run)
    assert "joined" in actions, run.messages

    row = _registry(edition)[der]
    assert row["status"] == "accepted" and "шешіммен қалпына келтірілді" in row["reasons_local"]
    assert list((workspace_dir(edition) / "drive" / "intake").rglob(f"form01_{der}.docx"))  # its form 01

    new = {k: m for k, m in _outbox(edition).items() if k not in before}
    (correction,) = _to(new, author, der)
    body = _text(correction)
    assert "түзету" in correction["Subject"] and "20.02.2027" in correction["Subject"]
    assert "қате болды" in body and "«өтініміңіз қабылданбады»" in body  # the earlier message, named
    assert f"Тіркеу нөмірі: {der}" in body and "қабылданды" in body  # what holds now
    assert correction["Subject"] != rejection["Subject"]

    # every expert of the department who may rate it: told once, the sheet made again with it
    experts = {a.expert.email for a in run_at(edition, now).state.sheets(1) if der in a.application_ids}
    assert experts == {a.expert.email for a in sheets}
    assert {m["To"] for m in new.values() if m["To"] != author} == experts
    after = run_at(edition, now)
    mine = next(a for a in after.state.sheets(1) if a.expert.email == first.expert.email)
    cells = _sheet_cells(workspace_dir(edition) / mine.sheet_id)
    ids = [str(c) for row in cells for c in row if str(c or "").startswith("DER-")]
    assert der in ids and scored in ids
    assert cells[lay.data_row(mine.application_ids.index(scored))][column] == 7  # the score typed, kept

    # nothing twice: the next tick sends nothing and rebuilds nothing
    again = set(_outbox(edition))
    assert "joined" not in tick(run_at(edition, now + timedelta(hours=1)))
    later = {k: m for k, m in _outbox(edition).items() if k not in again}
    assert not {m["To"] for m in later.values()} & (experts | {author})
    status = _status(edition, now + timedelta(hours=2))
    assert next(a for a in status["applications"] if a["id"] == der)["registry_status"] == "accepted"
    assert not [m for m in status["messages_pending"] if author == m["to"]]


# --- replace a DER disqualified while the next stage is open --------------------------------------
def test_a_der_disqualified_in_stage_2_is_replaced_by_the_next_of_its_department(stage1_closed):
    edition = stage1_closed.config_path
    later = config_of(edition).calendar.stage1_close + timedelta(days=1)
    run = run_at(edition, later)
    assert run.state.stage(2).state.value == "open"
    group, outcome = next(
        (g, o)
        for (s, g), o in sorted(run.state.outcomes.items())
        if s == 1 and g != "FIT-IS" and len(o.standings) > len(o.selected) and o.selected
    )
    out = outcome.selected[0]
    ranked = sorted((s for s in outcome.standings if s.score is not None), key=lambda s: s.rank or 99)
    nxt = next(s.application_id for s in ranked if s.application_id not in outcome.selected)
    author = _registry(edition)[nxt]["respondent_email"]
    told = _to(_outbox(edition), author, nxt)
    assert [m for m in told if "кезең нәтижесі" in m["Subject"]]  # "did not go on" went at the close

    block = (
        f'  - kind: disqualify\n    applications: [{out}]\n    by: "Конкурс комиссиясы"\n'
        '    at: 2027-03-10T10:00\n    reason: "Анықтама жалған (9.10)"\n'
    )
    _record(edition, block)
    run = run_at(edition, later)
    tick(run)
    assert any("replace" in m and out in m for m in run.messages)  # said once, with the decision to record
    status = _status(edition, later + timedelta(minutes=5))
    assert any(out in d["detail"] for d in status["decisions_waiting"])
    run = run_at(edition, later + timedelta(minutes=10))
    tick(run)
    assert not any(out in m and "replace" in m for m in run.messages)  # not on every tick

    text = edition.read_text(encoding="utf-8")
    text = text.replace(
        block,
        block + f"  - kind: replace\n    stage: 1\n    group: {group}\n    applications: [{out}]\n"
        f'    replacement: {nxt}\n    by: "Кафедра отырысы, хаттама №9"\n    at: 2027-03-10T15:00\n'
        '    reason: "рейтингтегі келесі СББР"\n',
    )
    edition.write_text(text, encoding="utf-8")
    before = set(_outbox(edition))
    now = later + timedelta(hours=1)
    run = run_at(edition, now)
    actions = tick(run)
    assert "disqualification" in actions and "joined" in actions, run.messages
    after = run_at(edition, now)
    assert nxt in after.state.outcomes[(1, group)].selected and out not in after.state.outcomes[(1, group)].selected
    sheets = [a for a in after.state.sheets(2) if nxt in a.application_ids]
    assert sheets
    for a in sheets:
        ids = [str(c) for row in _sheet_cells(workspace_dir(edition) / a.sheet_id) for c in row]
        assert nxt in ids
    new = {k: m for k, m in _outbox(edition).items() if k not in before}
    (correction,) = _to(new, author, nxt)
    body = _text(correction)
    assert "түзету" in correction["Subject"] and "келесі кезеңге ұсынылмады" in body and "ұсынылды" in body
    assert {m["To"] for m in new.values()} - {author} >= {a.expert.email for a in sheets}
    assert (workspace_dir(edition) / "drive" / "stage-1" / group).glob("protocol_extract*_v2.docx")
    assert tick(run_at(edition, now + timedelta(minutes=10))) == []
    assert len(_to(_outbox(edition), author, nxt)) == len(told) + 1
    assert not _status(edition, now + timedelta(minutes=15))["decisions_waiting"]
