"""The registry says why, in the document language, with the details a person needs."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from pipelines.cli import cli
from pipelines.domain.models import Notice, Reason
from pipelines.formats.registry import local_reason

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "atu-2027"


def test_a_reason_with_details_is_said_in_kazakh_and_russian():
    reason = Reason("missing_field", "9.8", Notice("reason_missing_field", number=8))
    assert "01 нысанның 8-тармағы толтырылмаған" in local_reason(reason, "kk")
    assert "не заполнен пункт 8 формы 01" in local_reason(reason, "ru")
    assert local_reason(reason, "ru").endswith("(9.8)")
    # a row an older version wrote in English: its rule's words alone, or, for a rule without
    # words, the text as it was written
    old = Reason("missing_field", "9.8", Notice.as_written("form 01 field 8 (link to the DER) is empty"))
    assert local_reason(old, "ru") == "Не заполнено обязательное поле формы 01 (9.8)"
    plain = Reason("no_such_rule", "-", Notice.as_written("row 3: boom"))
    assert local_reason(plain, "kk") == "row 3: boom (—)"  # no clause, said as a dash


def test_the_registry_keeps_each_reason_as_its_key_and_values_and_reads_an_older_row_too():
    from pipelines.domain.models import Status
    from pipelines.formats.registry import from_row, to_row

    app = from_row(
        {
            "id": "DER-1",
            "status": "rejected",
            "reasons": "late (9.8): submitted 21.02.2027 09:00:00, after intake closed at 19.02.2027 18:00:00",
        }
    )
    assert app.status is Status.REJECTED
    assert app.reasons == [
        Reason(
            "late",
            "9.8",
            Notice.as_written("submitted 21.02.2027 09:00:00, after intake closed at 19.02.2027 18:00:00"),
        )
    ]
    late = Reason("late", "9.8", Notice("reason_late", at="21.02.2027 09:00:00", close="19.02.2027 18:00:00"))
    app = replace(app, reasons=[late])  # Applications are frozen: a decision makes a new one
    row = to_row(app, "kk")
    assert row["reasons"] == (
        'late (9.8): {"key": "reason_late", "values": {"at": "21.02.2027 09:00:00", "close": "19.02.2027 18:00:00"}}'
    )
    assert from_row(row).reasons == app.reasons  # read back as it was decided
    assert row["reasons_local"].endswith("21.02.2027 09:00:00 жіберілген, қабылдау 19.02.2027 18:00:00 жабылған (9.8)")


def test_the_registry_tab_gives_each_rejection_its_details_in_the_config_language(tmp_path):
    for name in ("contest.yaml", "responses.csv"):
        shutil.copy(EXAMPLE / name, tmp_path / name)
    result = CliRunner().invoke(
        cli,
        ["--config", str(tmp_path / "contest.yaml"), "--now", "2027-02-21T09:00", "intake"],
        env={"CONTEST_LANGUAGE": "ru"},
    )
    assert result.exit_code == 0, result.output
    ws = load_workbook(tmp_path / "workspace" / "control.xlsx")["Реестр"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c.value for c in row))) for row in ws.iter_rows(min_row=2)]
    local = {r["Ключ ответа"]: r["Причины (по-русски)"] or "" for r in rows}  # a superseded row shares its DER id
    assert any("подана 19.02.2027 21:00" in text and "приём закрыт 19.02.2027 18:00" in text for text in local.values())
    assert any("не приложена справка ЦИИЦР" in text for text in local.values())
    assert any("ссылка 'skills.atu.kz курс 55' недействительна" in text for text in local.values())
    assert any("заменена ответом от" in text for text in local.values())


def _example(tmp_path: Path) -> Path:
    for name in ("contest.yaml", "responses.csv"):
        shutil.copy(EXAMPLE / name, tmp_path / name)
    return tmp_path / "contest.yaml"


def test_the_registry_mapper_gives_back_the_rows_it_wrote(tmp_path):
    """The registry is written only from Applications (registry.to_row) and read only into them
    (from_row): what a job reads and writes back unchanged is the same table, every cell of it,
    the reasons' words, the matches and the notes included."""
    from pipelines.backends import open_workspace
    from pipelines.config import load_config
    from pipelines.domain.models import Status
    from pipelines.formats.registry import from_row, to_row
    from pipelines.jobs.common import Run
    from pipelines.jobs.intake import run_intake

    config = load_config(_example(tmp_path))
    moment = config.calendar.intake_close + timedelta(days=1)

    def run() -> Run:
        return Run(config=config, workspace=open_workspace(config), now=moment)

    first = run()
    run_intake(first)
    decided = first.state.applications
    assert {a.status for a in decided} >= {Status.ACCEPTED, Status.REJECTED, Status.SUPERSEDED}
    again = run()
    read = again.state.applications
    assert [to_row(a, "kk") for a in read] == [to_row(a, "kk") for a in decided]
    assert [(a.id, a.status, a.reasons, a.matched) for a in read] == [
        (a.id, a.status, a.reasons, a.matched) for a in decided
    ]
    assert again.commit() == []  # nothing to write: the table read is the table the mapper makes
    row = to_row(decided[0], "kk")
    assert to_row(from_row(row), "kk") == row


@pytest.mark.parametrize(
    "matched",
    [
        {},
        {"faculty": "'ФИТ' ~ 'ФИТА' (FIT)"},
        {"department": "'Инф. системы' ~ 'Информационные системы' (FIT-IS)"},
        {
            "faculty": "inferred from the department: FIT (ФИТА); the answer 'x; department: y' matched no faculty",
            "department": "'a' ~ 'b' (FIT-IS)",
        },
    ],
)
def test_what_intake_matched_is_read_back_as_it_was(matched):
    from pipelines.domain.models import Application, Response, Status
    from pipelines.formats.registry import from_row, to_row

    response = Response("k", 1, None, "", "", "", "", [], "", [], "", "", "", [], [], {})
    app = Application("DER-AAAAAA", response, Status.ACCEPTED, [], matched=matched)
    assert from_row(to_row(app, "ru")).matched == matched
