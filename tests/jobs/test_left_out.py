"""A left-out rating is never silent (issue 8 item 6): at close, a cell that was not counted is
named in status (group, expert, DER, cell, why, in the edition's language) and to the expert, once."""

from __future__ import annotations

import json
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

from click.testing import CliRunner
from jobkit import TWO_SHEETS, config_of, files, run_at, table_rows, two_sheets_edition, workspace_dir

from pipelines import i18n
from pipelines.cli import cli
from pipelines.demo import simulate_experts
from pipelines.jobs.tick import tick

CARELESS = "t.sokolova@atu.edu.kz"  # types "8 баллов" into a score cell of FEB-TS (pipelines/demo.py)


def mails(config, subject: str) -> list:
    out = []
    for path in files(workspace_dir(config) / "outbox", "*.eml"):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        if message["Subject"] == subject:
            out.append(message)
    return out


def invoke(config, now, *args):
    result = CliRunner().invoke(
        cli,
        ["--config", str(config), "--now", now.isoformat(), *args],
        env={"CONTEST_LANGUAGE": None, "COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_cell_not_counted_is_named_in_status_and_to_the_expert(edition):
    deadline = config_of(edition).calendar.stage1_close
    simulate_experts(run_at(edition, deadline - timedelta(days=4)), 1, 2027)
    tick(run_at(edition, deadline + timedelta(minutes=1)))

    status = json.loads(invoke(edition, deadline + timedelta(minutes=2), "status", "--json"))
    groups = {g["name"]: g for g in status["stages"][0]["groups"]}
    [item] = groups["FEB-TS"]["left_out"]
    assert item["expert"] == CARELESS and item["id"].startswith("DER-") and item["cell"] == "F9"
    assert item["why_local"] == "сан емес: «8 баллов»"  # kk, the edition's language, as typed
    text = invoke(edition, deadline + timedelta(minutes=2), "status")
    assert i18n.text("status_left_out_title", "kk") in text and "F9" in text and "Соколова" in text

    # the problems tab says why in the edition's language, beside the notice it words (key and values)
    [row] = [r for r in table_rows(edition, "problems") if r["expert_email"] == CARELESS and r["cell"] == "F9"]
    assert (
        row["detail_local"] == "сан емес: «8 баллов»"
        and row["detail"] == '{"key": "why_not_number", "values": {"value": "«8 баллов»"}}'
    )

    subject = i18n.text("mail_left_out_subject", "kk")
    [mail] = mails(edition, subject)
    body = mail.get_body(("plain",)).get_content()
    assert mail["To"] == CARELESS and item["id"] in body and "F9" in body and "«8 баллов»" in body
    assert "\\n" not in body and "'8 баллов'" not in body  # readable text, no escaped strings (issue 20)
    tick(run_at(edition, deadline + timedelta(minutes=10)))  # the stage waits: tried again, not mailed again
    assert len(mails(edition, subject)) == 1


def test_an_expert_with_two_sheets_is_told_each_sheets_cells_under_its_unit(tmp_path):
    """An expert on two commissions typed "8,5" in a cell of each sheet: one mail at the close, each
    sheet under its department's name with its own cell (the same address may be in both)."""
    edition = two_sheets_edition(tmp_path / "edition", typed="8,5")
    deadline = config_of(edition).calendar.stage1_close
    tick(run_at(edition, deadline + timedelta(minutes=1)))
    run = run_at(edition, deadline + timedelta(minutes=2))
    [mail] = [m for m in mails(edition, i18n.text("mail_left_out_subject", "kk")) if m["To"] == TWO_SHEETS]
    body = mail.get_body(("plain",)).get_content()
    sheets = sorted((a for a in run.state.sheets(1) if a.expert.email == TWO_SHEETS), key=lambda a: a.group)
    departments = run.config.departments()
    at = [body.index(departments[a.group][1].name("kk") + ":") for a in sheets]
    assert at == sorted(at)
    for n, (a, start) in enumerate(zip(sheets, at)):  # each sheet's own DER under its own unit
        section = body[start : at[n + 1] if n + 1 < len(at) else len(body)]
        assert a.application_ids[n] in section
        assert not any(
            i in section for b in sheets if b is not a for i in b.application_ids if i not in a.application_ids
        )
        assert Path(a.sheet_id).name in section and str(workspace_dir(edition)) not in section  # no path on CDB's disk
