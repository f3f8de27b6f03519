"""Kazakh and Russian where people read (issue 8 item 7): reasons' clause tags, check-config's
problems, sharing roles, and the edition's name in each language's documents."""

from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner
from jobkit import config_of, docx_text, files, table_rows, workspace_dir

from pipelines import i18n
from pipelines.cli import cli
from pipelines.demo import write_edition

NAME_RU = "Лучший цифровой образовательный ресурс АТУ – 2027"


def test_russian_documents_and_reasons_carry_russian_words(tmp_path):
    config = write_edition(tmp_path / "edition", 2027)
    text = config.read_text(encoding="utf-8").replace("language: kk", "language: ru")
    text = text.replace("  year: 2027\n", f'  year: 2027\n  name_ru: "{NAME_RU}"\n', 1)
    config.write_text(text, encoding="utf-8")
    when = config_of(config).calendar.intake_close - timedelta(hours=1)
    result = CliRunner().invoke(
        cli, ["--config", str(config), "--now", when.isoformat(), "intake"], env={"CONTEST_LANGUAGE": None}
    )
    assert result.exit_code == 0, result.output
    letters = files(workspace_dir(config), "form01_*.docx")
    assert letters and NAME_RU in docx_text(letters[0])
    assert config_of(config).edition.name not in docx_text(letters[0])  # not the Kazakh name
    local = " ".join(str(r["reasons_local"]) for r in table_rows(config, "registry", "ru"))
    assert "form 01" not in local  # clause tags said in Russian
    assert "примечание к форме 01" in local or "форма 01, поле" in local


def test_clause_tags_and_roles_in_both_languages():
    assert i18n.clause("form 01 note", "kk") == "01 нысанына ескерту"
    assert i18n.clause("form 01.8", "ru") == "форма 01, поле 8"
    assert i18n.clause("9.8", "ru") == "9.8"
    assert i18n.role("reader", "kk") == "оқырман" and i18n.role("writer", "ru") == "редактор"


def test_check_config_problems_in_russian(tmp_path):
    config = write_edition(tmp_path / "edition", 2027)
    text = config.read_text(encoding="utf-8").replace("language: kk", "language: ru")
    text = text.replace("min_experts: 2 ", "min_experts: 9 ")
    config.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "check-config"], env={"CONTEST_LANGUAGE": None})
    assert result.exit_code == 1
    assert "меньше scoring.min_experts (9)" in result.output and "fewer than" not in result.output
