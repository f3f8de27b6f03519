"""A left-out rating is never silent (issue 8 item 6): at close, a cell that was not counted is
named in status (group, expert, DER, cell, why, in the edition's language) and to the expert, once."""

from __future__ import annotations

import json
from datetime import timedelta
from email import policy
from email.parser import BytesParser

from click.testing import CliRunner
from jobkit import config_of, files, run_at, table_rows, workspace_dir

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
