"""Plain `contest check-config` checks the form source (issue 8 item 4): an export at form.path maps
or the command fails naming the field and the alias to add; an export not there yet is fine until
intake closes, an error from then on."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli import cli
from pipelines.config import load_config
from pipelines.demo import write_edition


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> Path:
    return write_edition(tmp_path_factory.mktemp("edition"), 2027)


def edition(shipped: Path, tmp_path: Path, lang: str) -> Path:
    for name in ("contest.yaml", "responses.csv"):
        text = (shipped.parent / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace("language: kk", f"language: {lang}"), encoding="utf-8")
    return tmp_path / "contest.yaml"


def check(config: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config), *args, "check-config"], env={"CONTEST_CONFIG": None})


def retitle(export: Path, column: int, title: str) -> None:
    with export.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    rows[0][column] = title
    with export.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


@pytest.mark.parametrize(("lang", "ok"), [("ru", "столбцы формы распознаны"), ("kk", "форма бағандары танылды")])
def test_an_export_that_maps_is_reported(shipped, tmp_path, lang, ok):
    result = check(edition(shipped, tmp_path, lang))
    assert result.exit_code == 0, result.output
    assert f"responses.csv: {ok}" in result.output


def test_a_required_field_without_a_column_fails_naming_it_and_the_alias_line(shipped, tmp_path):
    config = edition(shipped, tmp_path, "ru")
    with (tmp_path / "responses.csv").open(encoding="utf-8") as f:
        header = next(csv.reader(f))
    authors = next(i for i, title in enumerate(header) if "втор" in title)
    retitle(tmp_path / "responses.csv", authors, "Участники проекта")
    result = check(config)
    assert result.exit_code == 1
    out = result.output
    assert out.startswith("Error: Для поля формы «4. Авторы (authors)» не найден столбец"), out
    assert "«Участники проекта»" in out and 'authors: ["Участники проекта"]' in out
    # the line it printed, added, lets it through
    text = config.read_text(encoding="utf-8").replace(
        "  timestamp_column: 1\n", '  timestamp_column: 1\n  aliases:\n    authors: ["Участники проекта"]\n'
    )
    config.write_text(text, encoding="utf-8")
    assert check(config).exit_code == 0


@pytest.mark.parametrize(
    ("lang", "words"), [("ru", "выгрузки ответов пока нет"), ("kk", "жауаптар экспорты әзірге жоқ")]
)
def test_an_export_not_there_yet_is_fine_before_intake_closes_and_an_error_after(shipped, tmp_path, lang, words):
    config = edition(shipped, tmp_path, lang)
    (tmp_path / "responses.csv").unlink()
    close = load_config(config).calendar.intake_close
    before = check(config, "--now", (close - timedelta(minutes=1)).isoformat())
    assert before.exit_code == 0, before.output
    assert f"{tmp_path / 'responses.csv'}: {words}" in before.output
    assert "19.02.2027 18:00" in before.output  # when it is needed by
    after = check(config, "--now", close.isoformat())
    assert after.exit_code == 1
    assert after.output.startswith("Error: ") and str(tmp_path / "responses.csv") in after.output
    assert ("приём заявок закрыт" if lang == "ru" else "қабылдау 19.02.2027 18:00 жабылды") in after.output
