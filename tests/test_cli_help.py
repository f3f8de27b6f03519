"""`contest … --help` in the edition's language, from sheets_schema/cli_help.yaml (pipelines/cli/help.py):
every command, option and argument has its kk and ru entry, and the help screens say them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from editions import CLEAN_ENV
from latin import latin_words

from pipelines.cli import cli
from pipelines.cli.help import HELP_FILE, keys, table

LATIN = re.compile(r"[A-Za-z]{2,}")


def commands() -> list[list[str]]:
    """The argument lists that show each help screen: the program's and each command's."""
    return [[], *[[name] for name in cli.commands]]


def test_every_command_option_and_argument_has_kk_and_ru_help():
    entries = table()
    missing = [
        f"{key} ({lang})" for key in keys(cli) for lang in ("kk", "ru") if not (entries.get(key) or {}).get(lang)
    ]
    assert missing == [], f"add them to {HELP_FILE.name}"


def test_every_entry_is_used_by_a_command_option_or_argument():
    needed = set(keys(cli))
    stale = [k for k in table() if not k.startswith("_") and k not in needed]
    assert stale == []


def _help(args: list[str], env: dict) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"], env={**CLEAN_ENV, **env}, prog_name="contest")
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_with_the_config_found_help_speaks_the_editions_language_only(tmp_path, lang):
    from pipelines.demo import write_edition

    config = write_edition(tmp_path / "edition", 2027, lang)
    other = "ru" if lang == "kk" else "kk"
    for args in commands():
        text = _help(["--config", str(config), *args], {})
        key = args[0] if args else "contest"
        assert table()[key][lang].split(". ")[0].split("; ")[0][:30] in " ".join(text.split())
        assert table()["_usage"][other] not in text
        assert "Usage" not in text and "Options" not in text and "Show this message" not in text


def test_without_a_config_help_says_both(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./contest.yaml here
    text = _help(["status"], {})
    assert table()["status"]["kk"] in " ".join(text.split()) and table()["status"]["ru"] in " ".join(text.split())


def test_a_config_named_by_the_environment_is_the_one_whose_language_help_speaks(tmp_path):
    from pipelines.demo import write_edition

    config = write_edition(tmp_path / "edition", 2027, "ru")
    text = _help(["close-stage"], {"CONTEST_CONFIG": str(config)})
    assert text.startswith("Использование: contest close-stage [ПАРАМЕТРЫ] ЭТАП")
    assert "Қолданылуы" not in text


def test_no_help_screen_holds_a_latin_word_but_codes(tmp_path):
    """Names to type (commands, options, their choices), config keys, files and addresses are codes."""
    from latin import latin_words

    from pipelines.demo import write_edition

    for lang in ("kk", "ru"):
        config = write_edition(tmp_path / lang, 2027, lang)
        for args in commands():
            text = _help(["--config", str(config), *args], {})
            assert latin_words(text, help_screen=True) == [], (args, text)


def test_the_help_file_is_where_the_module_says(tmp_path):
    assert HELP_FILE == Path(__file__).resolve().parent.parent / "sheets_schema" / "cli_help.yaml"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["close-stage", "5"], "Error: ЭТАП: значение 5 вне диапазона 1<=x<=3"),
        (["close-stage"], "Error: не указан ЭТАП"),
        (["nosuch"], "Error: нет команды «nosuch»"),
        (["status", "--jsn"], "Error: нет параметра --jsn; возможно, '--json'?"),
        (["demo", "--backend", "x"], "Error: --backend: значение x должно быть одним из: 'local', 'google-fake'"),
    ],
)
def test_a_command_typed_wrong_is_said_in_the_editions_language(tmp_path, args, said):
    from pipelines.demo import write_edition

    config = write_edition(tmp_path / "edition", 2027, "ru")
    result = CliRunner().invoke(cli, ["--config", str(config), *args], env=CLEAN_ENV, prog_name="contest")
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[-1] == said and lines[0].startswith("Использование: contest") and lines[1].startswith("Справка: ")
    assert latin_words(result.output, args, help_screen=True) == []  # what was typed is theirs
