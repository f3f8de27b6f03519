"""What CDB reads on the command line is in Kazakh and Russian: every text of messages.yaml's `cli:`
section exists in both, every key the code asks for exists, both languages take the same values, and
the CLI speaks the config's language (both languages before a config could be read)."""

from __future__ import annotations

import ast
import os
import re
import string
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from openpyxl import load_workbook

from pipelines import i18n
from pipelines.cli import cli
from pipelines.domain.models import Status

ROOT = Path(__file__).resolve().parent.parent
PIPELINES = ROOT / "pipelines"
EXAMPLE = ROOT / "examples" / "atu-2027" / "contest.yaml"
CLEAN_ENV = {k: None for k in os.environ if k.startswith("CONTEST_")}
CLI = yaml.safe_load((ROOT / "sheets_schema" / "messages.yaml").read_text(encoding="utf-8"))["cli"]
CALL = re.compile(r"""i18n\.(?:text|both)\(\s*(["'])(\w+)\1""")


# A form nobody has answered yet: its questions, no rows.
EMPTY_FORM = "Timestamp,Email Address,Faculty,Department,DER title,Authors,Language,DER type,Justification,Link,Act of implementation,Certificate of placement\n"


def placeholders(template: str) -> set[str]:
    return {name for _literal, name, _spec, _conv in string.Formatter().parse(template) if name is not None}


def sources() -> list[Path]:
    return sorted(PIPELINES.rglob("*.py"))


def invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env={**CLEAN_ENV, **(env or {})})


# --- the catalogue --------------------------------------------------------------------------------
def test_every_cli_key_has_kazakh_and_russian():
    assert CLI and isinstance(CLI, dict)
    for key, texts in CLI.items():
        assert set(texts) == {"kk", "ru"}, key
        for lang in ("kk", "ru"):
            assert isinstance(texts[lang], str) and texts[lang].strip(), (key, lang)


def test_kazakh_and_russian_take_the_same_values():
    for key, texts in CLI.items():
        assert placeholders(texts["kk"]) == placeholders(texts["ru"]), key


def test_every_key_the_code_asks_for_exists():
    used = {
        (path.relative_to(ROOT), m.group(2))
        for path in sources()
        for m in CALL.finditer(path.read_text(encoding="utf-8"))
    }
    assert len(used) > 40  # the scan finds the calls
    missing = sorted(f"{path}: {key}" for path, key in used if key not in CLI)
    assert not missing, missing


def test_every_call_passes_the_values_its_text_takes():
    """i18n.text("key", lang, a=..., b=...): the keywords are exactly the text's placeholders."""
    checked = 0
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "i18n"
                and node.func.attr in ("text", "both")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                continue
            if any(k.arg is None for k in node.keywords):  # **values: not checkable here
                continue
            key = node.args[0].value
            given = {k.arg for k in node.keywords}
            assert given == placeholders(CLI[key]["kk"]), f"{path.relative_to(ROOT)}:{node.lineno} {key}"
            checked += 1
    assert checked > 30


def test_the_keys_made_from_codes_exist():
    for status in Status:
        assert f"status_{status.value}" in CLI and f"count_{status.value}" in CLI
    for state in ("open", "waiting", "closed", "pending"):
        assert f"state_{state}" in CLI
    for verb in ("opened", "reopened", "closed", "waiting"):
        assert f"action_stage_{verb}" in CLI
    access = (PIPELINES / "jobs" / "access.py").read_text(encoding="utf-8")
    names = re.findall(r'\("(access_\w+)", lambda', access)  # the checks' names, looked up by variable
    assert len(names) == 4
    for key in names:
        assert key in CLI and f"{key}_found" in CLI, key


def test_the_registry_statuses_in_words():
    expected = {
        "accepted": ("қабылданды", "принята"),
        "rejected": ("қабылданбады", "отклонена"),
        "superseded": ("ауыстырылды", "заменена"),
        "disqualified": ("қатысудан шеттетілді", "дисквалифицирована"),
        "held": ("ЦДБ шешімін күтуде", "ждёт решения ДЦР"),
    }
    assert {s.value for s in Status} == set(expected)
    for code, (kk, ru) in expected.items():
        assert i18n.status_label(code, "kk") == kk and i18n.status_label(code, "ru") == ru


# --- the look-up never crashes --------------------------------------------------------------------
def test_a_missing_language_falls_back_to_the_other_then_to_the_key(monkeypatch):
    monkeypatch.setattr(i18n, "catalog", lambda: {"only_kk": {"kk": "сәлем {name}"}, "empty": {"kk": "", "ru": ""}})
    assert i18n.text("only_kk", "ru", name="Айгерім") == "сәлем Айгерім"
    assert i18n.text("empty", "kk") == "empty"
    assert i18n.text("no_such_key", "ru", n=1) == "no_such_key"
    assert i18n.text("only_kk", "kk") == "сәлем {name}"  # a value not given stays a placeholder
    assert i18n.both("no_such_key") == "no_such_key / no_such_key"


def test_the_ticks_actions_in_words():
    assert i18n.actions(["intake", "stage 2 opened"], "ru") == "заявки обработаны, этап 2 открыт"
    assert i18n.actions(["stage 1 waiting"], "kk") == "1-кезең шешім күтуде"
    assert i18n.actions([], "ru") == "делать нечего"
    assert i18n.actions(["something new"], "kk") == "something new"


# --- the command line -----------------------------------------------------------------------------
@pytest.fixture
def edition(tmp_path) -> Path:
    path = tmp_path / "contest.yaml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "lang,ok_line",
    [
        ("kk", "OK — АТУ үздік цифрлық білім беру ресурсы – 2027, 4 факультет, 10 кафедра"),
        ("ru", "OK — Лучший цифровой образовательный ресурс АТУ – 2027, факультетов: 4, кафедр: 10"),
    ],
)
def test_check_config_speaks_the_configs_language(edition, lang, ok_line):
    result = invoke("--config", str(edition), "check-config", env={"CONTEST_LANGUAGE": lang})
    assert result.exit_code == 0, result.output
    not_yet = i18n.text(
        "form_source_not_yet", lang, path=edition.parent / "responses.csv", close="19.02.2027 18:00"
    )  # no export next to it yet, and intake still open
    assert result.stdout == f"{edition}: {ok_line}\n{not_yet}\n"


@pytest.mark.parametrize(
    "lang,words,not_words",
    [
        (
            "kk",
            ["Өтінімдер: әзірге жоқ", "Кезеңдер", "Кезең", "Күйі", "Толық парақтар", "ашылмаған", "Құжаттар: 0"],
            ["Заявки", "Этапы", "Applications", "Stages", "Documents"],
        ),
        (
            "ru",
            ["Заявки: пока нет", "Этапы", "Этап", "Состояние", "Заполнено листов", "не открыт", "Документы: 0"],
            ["Өтінімдер", "Кезеңдер", "Applications", "Stages", "Documents"],
        ),
    ],
)
def test_status_speaks_the_configs_language(edition, lang, words, not_words):
    result = invoke(
        "--config",
        str(edition),
        "--now",
        "2027-01-20T09:00",
        "status",
        env={"CONTEST_LANGUAGE": lang, "COLUMNS": "200"},
    )  # no header wrapped over two lines
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    for word in words:
        assert word in text, (word, result.stdout)
    for word in not_words:
        assert word not in text, (word, result.stdout)


def test_the_tick_line_speaks_the_configs_language(edition):
    (edition.parent / "responses.csv").write_text(EMPTY_FORM, encoding="utf-8")
    ru = invoke("--config", str(edition), "--now", "2027-01-20T09:00", "tick", env={"CONTEST_LANGUAGE": "ru"})
    assert ru.exit_code == 0, ru.output
    assert ru.stdout.splitlines()[-1] == "Плановый запуск: делать нечего"
    kk = invoke("--config", str(edition), "--now", "2027-01-20T09:00", "tick")
    assert kk.stdout.splitlines()[-1] == "Жоспарлы іске қосу: орындайтын ештеңе жоқ"


def test_a_missing_config_is_said_in_both_languages(tmp_path):
    for env in (None, {"CONTEST_LANGUAGE": "ru"}):  # no config: its language cannot be known
        result = invoke("--config", str(tmp_path / "nope.yaml"), "status", env=env)
        assert result.exit_code == 1 and result.stdout == ""
        assert result.stderr == (
            f"Error: Конфигурация файлы табылмады / Файл конфигурации не найден: {tmp_path / 'nope.yaml'}\n"
        )


def test_an_invalid_config_is_said_in_both_languages(edition):
    edition.write_text(edition.read_text(encoding="utf-8").replace("language: kk", "language: en"), encoding="utf-8")
    result = invoke("--config", str(edition), "check-config")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"Error: Конфигурацияда қате бар / Ошибка в конфигурации: {edition}: language")


# --- the registry -----------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_registry_has_the_status_in_words_next_to_its_code(tmp_path, lang):
    from pipelines.backends import open_workspace
    from pipelines.config import load_config
    from pipelines.demo import write_edition
    from pipelines.formats.tables import headers, title
    from pipelines.jobs.common import Run
    from pipelines.jobs.intake import run_intake

    config_path = write_edition(tmp_path / "edition", 2027)
    config = load_config(config_path, environ={"CONTEST_LANGUAGE": lang})
    run_intake(
        Run(config=config, workspace=open_workspace(config), now=config.calendar.intake_close + timedelta(minutes=5))
    )
    sheet = load_workbook(config_path.parent / "workspace" / "control.xlsx")[title("registry", lang)]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == headers("registry", lang)
    status, local = (
        rows[0].index({"kk": "Мәртебе", "ru": "Статус"}[lang]),
        rows[0].index({"kk": "Мәртебе (қазақша)", "ru": "Статус (по-русски)"}[lang]),
    )
    assert local == status + 1
    words = {s.value: i18n.status_label(s.value, lang) for s in Status}
    seen = {r[status] for r in rows[1:]}
    assert {"accepted", "rejected", "superseded"} <= seen  # the code stays, for the jobs
    for r in rows[1:]:
        assert r[local] == words[r[status]]


def test_every_key_named_in_a_key_table_exists():
    """Keys chosen at run time (COMMISSION_KEYS, STAGE_TITLE_KEYS …) are literals too: all are in the file."""
    named = {
        m.group(1)
        for path in sources()
        for m in re.finditer(r'"((?:doc|mail|reason)_\w+)"', path.read_text(encoding="utf-8"))
    }
    assert {"doc_stage_1", "doc_commission_2", "doc_how_sum", "doc_kind_disqualify", "mail_remind_body"} <= named
    from pipelines.formats.documents import COMMON_KEYS

    assert not sorted(named - set(CLI) - set(COMMON_KEYS))  # doc_date is a document's context key
