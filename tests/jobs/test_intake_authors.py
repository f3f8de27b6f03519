"""Authors as teachers really write them, through the intake job (issue 19 item 5): every person kept
in the registry, contact data never printed as a name, and what nobody can read shown to CDB."""

from __future__ import annotations

import json

from click.testing import CliRunner
from jobkit import copy_example, run_at, table_rows, write_csv
from test_intake_job import AFTER_CLOSE, KK, _rows

from pipelines.cli import cli
from pipelines.jobs.intake import run_intake

LATIN_CO_AUTHOR = (
    "Серікбаева Айгерім Нұрланқызы — аға оқытушы — a.serikbayeva@atu.edu.kz, Zhaksylykova Dana — senior lecturer"
)
MESSENGER_LINE = "Жақыпова Айнұр Бекқызы, доцент, a.zhakypova@atu.edu.kz\nЖақыпова А.Б. (WhatsApp +7 701 123 45 67)"
UNREADABLE = "Власов Константин Игоревич (k.vlasov@mail.ru), профессор, см. приложение 2"


def _edition(tmp_path):
    rows = _rows("kk")
    rows[0][5], rows[3][5], rows[2][5] = LATIN_CO_AUTHOR, MESSENGER_LINE, UNREADABLE
    write_csv(tmp_path / "responses.csv", KK, rows)
    config = copy_example(tmp_path, responses="responses.csv")
    run_intake(run_at(config, AFTER_CLOSE))
    return config, rows


def test_the_registry_keeps_every_author_and_no_contact_in_a_name(tmp_path):
    config, rows = _edition(tmp_path)
    by_title = {r["title"]: r for r in table_rows(config, "registry")}
    assert by_title[rows[0][4]]["authors"].startswith(LATIN_CO_AUTHOR[:20])  # kept as typed
    status = json.loads(
        CliRunner().invoke(cli, ["--config", str(config), "--now", AFTER_CLOSE.isoformat(), "status", "--json"]).output
    )
    apps = {a["title"]: a for a in status["applications"]}
    assert apps[rows[0][4]]["authors"] == ["Серікбаева Айгерім Нұрланқызы", "Zhaksylykova Dana"]
    assert apps[rows[3][4]]["authors"] == ["Жақыпова Айнұр Бекқызы"]  # the messenger line is contact data
    assert apps[rows[2][4]]["authors"] == ["Власов Константин Игоревич"]
    for app in apps.values():
        assert not any("@" in n or any(c.isdigit() for c in n) for n in app["authors"]), app
    assert apps[rows[2][4]]["authors_unclear"] == ["см. приложение 2"]
    assert all(not a["authors_unclear"] for t, a in apps.items() if t != rows[2][4])


def test_status_shows_cdb_the_fragment_nobody_could_read(tmp_path):
    config, rows = _edition(tmp_path)
    out = (
        CliRunner()
        .invoke(cli, ["--config", str(config), "--now", AFTER_CLOSE.isoformat(), "status"], env={"COLUMNS": "200"})
        .output
    )
    assert "Авторлар жауабында есім де, лауазым да, байланыс та емес бөліктер бар (1 өтінім)" in out
    line = next(x for x in out.splitlines() if "«см. приложение 2»" in x)
    assert line.strip().startswith("DER-")
