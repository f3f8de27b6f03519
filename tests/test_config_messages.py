"""Config errors in the config's language (issue 8 item 7): each kind of mistake a person makes in
contest.yaml is said in Kazakh or Russian (both before the language is known), after the key path
and with the value that was written."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines import i18n
from pipelines.cli import cli
from pipelines.config import ERROR_KEYS, ConfigError, load_config

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "atu-2027" / "contest.yaml"
ENGLISH = re.compile(r"Input should|unknown key|required key|must |not an e-mail|is listed twice|Value error")


def variant(tmp_path: Path, lang: str, *pairs: tuple[str, str]) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8").replace("language: kk", f"language: {lang}")
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "contest.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def longest_words(key: str, lang: str) -> str:
    """The longest run of the message's own words (between its placeholders), to tell its language."""
    parts = [literal for literal, *_ in string.Formatter().parse(i18n.template(key, lang))]
    return max((p.strip(" —:;,()«»'") for p in parts), key=len)


def refusal(path: Path, environ: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=environ or {})
    return caught.value


# (what the person wrote instead, the key path the message names, the message key, its values)
MISTAKES = [
    ("unknown key", ("  department: 3 ", "  departmnet: 3 "), "quotas.departmnet", "cfg_unknown_key", {}),
    ("missing key", ("  year: 2027\n", ""), "edition.year", "cfg_missing_key", {}),
    ("not a number", ("min_experts: 2 ", "min_experts: два "), "scoring.min_experts", "cfg_int", {"value": "'два'"}),
    ("a fraction", ("min_experts: 2 ", "min_experts: 2.5 "), "scoring.min_experts", "cfg_int", {"value": "2.5"}),
    ("below the bound", ("min_experts: 2 ", "min_experts: 0 "), "scoring.min_experts", "cfg_ge", {"value": "0"}),
    (
        "not one of the choices",
        ("aggregate: mean ", "aggregate: average "),
        "scoring.aggregate",
        "cfg_literal",
        {"value": "'average'", "expected": "mean or sum"},
    ),
    (
        "not yes or no",
        ("exclude_same_department: false ", "exclude_same_department: иногда "),
        "scoring.exclude_same_department",
        "cfg_bool",
        {"value": "'иногда'"},
    ),
    (
        "a section given as a value",
        (
            "quotas:\n  department: 3      # 9.4.1: up to three DERs per department go to the faculty\n",
            "quotas: 3\nquotas_was:\n  department: 3\n",
        ),
        "quotas",
        "cfg_mapping",
        {"value": "3"},
    ),
    (
        "a list given as one text",
        ("decisions: []\n", "decisions: []\nprevious_winners_files: winners-2026.yaml\n"),
        "previous_winners_files",
        "cfg_list",
        {"value": "'winners-2026.yaml'"},
    ),
    (
        "not a time",
        ("stage1_close: 2027-03-05T18:00", "stage1_close: завтра вечером"),
        "calendar.stage1_close",
        "cfg_datetime",
        {"value": "'завтра вечером'"},
    ),
    (
        "calendar out of order",
        ("stage2_close: 2027-03-26T18:00", "stage2_close: 2027-03-04T18:00"),
        "calendar.stage2_close",
        "cfg_calendar_order",
        {"earlier": "stage1_close", "later": "stage2_close", "first": "2027-03-05 18:00", "second": "2027-03-04 18:00"},
    ),
    (
        "a bad e-mail",
        ("email: a.sadykova@atu.edu.kz", "email: a.sadykova atu.edu.kz"),
        "commissions.departments.FIT-IS.1.email",
        "cfg_email",
        {"value": "a.sadykova atu.edu.kz"},
    ),
    (
        "an e-mail twice",
        ("email: a.sadykova@atu.edu.kz", "email: E.Zhumabayev@atu.edu.kz"),
        "commissions.departments.FIT-IS",
        "cfg_email_twice",
        {"email": "e.zhumabayev@atu.edu.kz"},
    ),
    (
        "a tie_break rule",
        ("tie_break: none ", "tie_break: random "),
        "scoring.tie_break",
        "cfg_tie_break",
        {"value": "random"},
    ),
    (
        "a tie_break criterion that does not exist",
        ("tie_break: none ", "tie_break: criterion:novelty "),
        "scoring.tie_break",
        "cfg_tie_break_criterion",
        {"key": "novelty"},
    ),
    (
        "a decision without its reason",
        (
            "decisions: []\n",
            "decisions:\n  - {kind: disqualify, applications: [DER-1], by: chair, at: 2027-03-06T10:00, reason: ' '}\n",
        ),
        "decisions.0",
        "cfg_decision_reason",
        {},
    ),
    (
        "a decision without its group",
        (
            "decisions: []\n",
            "decisions:\n  - {kind: close_incomplete, stage: 1, applications: [DER-1], by: chair,"
            " at: 2027-03-06T10:00, reason: vote}\n",
        ),
        "decisions.0",
        "cfg_decision_stage_group",
        {"kind": "close_incomplete"},
    ),
    (
        "a reinstatement of nothing",
        (
            "decisions: []\n",
            "decisions:\n  - {kind: reinstate, applications: [], by: CDB, at: 2027-02-20T10:00, reason: x}\n",
        ),
        "decisions.0",
        "cfg_decision_no_applications",
        {"kind": "reinstate"},
    ),
    (
        "a reinstatement given a stage",
        (
            "decisions: []\n",
            "decisions:\n  - {kind: reinstate, stage: 1, applications: [DER-1], by: CDB, at: 2027-02-20T10:00,"
            " reason: x}\n",
        ),
        "decisions.0",
        "cfg_decision_key_not_for",
        {"kind": "reinstate", "key": "stage/group"},
    ),
    (
        "an order outside a tie break",
        (
            "decisions: []\n",
            "decisions:\n  - {kind: disqualify, applications: [DER-1], order: [DER-1], by: chair,"
            " at: 2027-03-06T10:00, reason: x}\n",
        ),
        "decisions.0",
        "cfg_decision_key_not_for",
        {"kind": "disqualify", "key": "order"},
    ),
    (
        "a replacement of a DER not disqualified",
        (
            "decisions: []\n",
            "decisions:\n  - {kind: replace, stage: 1, group: FIT-IS, applications: [DER-1], by: chair,"
            " at: 2027-03-06T10:00, reason: x}\n",
        ),
        "decisions.0",
        "cfg_decision_replace_needs_disqualify",
        {"ids": "DER-1", "kind": "replace"},
    ),
    (
        "a replacement from the final",
        (
            "decisions: []\n",
            "decisions:\n  - {kind: replace, stage: 3, group: contest, applications: [DER-1], by: chair,"
            " at: 2027-03-06T10:00, reason: x}\n",
        ),
        "decisions.0",
        "cfg_decision_replace_stage",
        {"stage": "3"},
    ),
    (
        "a decision by nobody",
        (
            "decisions: []\n",
            "decisions:\n  - {kind: reinstate, applications: [DER-1], by: ' ', at: 2027-02-20T10:00, reason: x}\n",
        ),
        "decisions.0",
        "cfg_decision_by",
        {"kind": "reinstate"},
    ),
    (
        "a time zone",
        ("timezone: Asia/Almaty ", "timezone: Almaty "),
        "timezone",
        "cfg_timezone",
        {"value": "Almaty"},
    ),
    (
        "a backend kind",
        ("  kind: local\n", "  kind: lokal\n"),
        "backend",
        "cfg_literal",
        {"value": "'lokal'"},
    ),
    (
        "a commission of no department",
        ("    FIT-IS:\n", "    FIT-XX:\n"),
        "commissions.departments.FIT-XX",
        "cfg_no_department",
        {"id": "FIT-XX"},
    ),
]


@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize(("what", "change", "where", "key", "values"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_kind_of_mistake_is_said_in_the_configs_language(tmp_path, lang, what, change, where, key, values):
    error = refusal(variant(tmp_path, lang, change))
    message = str(error)
    other = "ru" if lang == "kk" else "kk"
    assert f"{where}: " in message, message
    for value in values.values():
        assert value in message, (value, message)
    assert longest_words(key, lang) in message, message
    assert longest_words(key, other) not in message, message
    assert not ENGLISH.search(message), message
    assert error.lang == lang


def test_the_common_pydantic_error_types_have_a_message_in_each_language():
    common = [
        "extra_forbidden", "missing", "int_type", "int_parsing", "int_from_float", "float_parsing", "string_type",
        "bool_parsing", "list_type", "dict_type", "model_type", "literal_error", "union_tag_invalid",
        "greater_than_equal", "less_than_equal", "datetime_parsing", "datetime_from_date_parsing",
    ]  # fmt: skip
    for kind in common:
        key = ERROR_KEYS[kind]
        for lang in i18n.LANGS:
            assert i18n.catalog()[key][lang].strip(), (kind, lang)


def test_an_error_type_without_a_message_stays_in_pydantics_words_after_the_key(tmp_path):
    from pydantic import BaseModel, ValidationError

    from pipelines.config import _describe

    class Short(BaseModel):
        code: str

        model_config = {"str_max_length": 2}

    with pytest.raises(ValidationError) as caught:
        Short(code="long")
    assert caught.value.errors()[0]["type"] not in ERROR_KEYS
    assert _describe(caught.value, "ru").startswith("code: String should have at most 2 characters")


def test_a_language_the_config_does_not_have_says_its_errors_in_both(tmp_path):
    error = refusal(variant(tmp_path, "en", ("min_experts: 2 ", "min_experts: 0 ")))
    message = str(error)
    assert error.lang is None
    assert "language: " + i18n.both("cfg_literal", value="'en'", expected="kk or ru") in message
    assert "scoring.min_experts: " + i18n.both("cfg_ge", value="0", limit="1") in message


def test_yaml_syntax_and_a_missing_file_in_both_languages(tmp_path):
    path = variant(tmp_path, "ru", ('name: "АТУ үздік', 'name: "АТУ үздік \\"'))  # an unclosed quote
    path.write_text(path.read_text(encoding="utf-8").replace('2027"\n', "2027\n", 1), encoding="utf-8")
    message = str(refusal(path))
    assert "строка" in message and "жол" in message and "начало: строка 6" in message, message
    assert "not valid YAML" not in message
    missing = str(refusal(tmp_path / "nowhere.yaml"))
    assert i18n.both("config_missing") in missing and "nowhere.yaml" in missing


def test_an_environment_variable_into_a_value_is_said_with_its_name(tmp_path):
    message = str(refusal(variant(tmp_path, "ru"), {"CONTEST_TIMEZONE__ZONE": "x"}))
    assert message == i18n.text("cfg_env_not_section", "ru", name="CONTEST_TIMEZONE__ZONE", key="timezone")
    typed = str(refusal(variant(tmp_path, "ru"), {"CONTEST_SCORING__MIN_EXPERTS": "много"}))
    assert "scoring.min_experts: " + i18n.text("cfg_int", "ru", value="'много'") in typed


def test_previous_winners_files_mistakes_in_the_configs_language(tmp_path):
    path = variant(tmp_path, "ru", ("decisions: []\n", "decisions: []\nprevious_winners_files: [old.yaml]\n"))
    config = load_config(path, environ={})
    with pytest.raises(ConfigError, match="не найден"):
        config.intake_rules()
    (tmp_path / "old.yaml").write_text("previous_winners:\n  - {title: T, year: прошлый}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"old\.yaml, запись 1: year: 'прошлый' — не целое число"):
        config.intake_rules()


@pytest.mark.parametrize(("lang", "lead"), [("ru", "Ошибка в конфигурации"), ("kk", "Конфигурацияда қате бар")])
def test_check_config_prints_the_error_in_the_configs_language_only(tmp_path, lang, lead):
    path = variant(tmp_path, lang, ("min_experts: 2 ", "min_experts: два "))
    result = CliRunner().invoke(cli, ["--config", str(path), "check-config"])
    assert result.exit_code == 1
    out = result.output
    assert f"Error: {lead}: " in out and "scoring.min_experts" in out and "'два'" in out, out
    other = "Конфигурацияда қате бар" if lang == "ru" else "Ошибка в конфигурации"
    assert other not in out and not ENGLISH.search(out)
