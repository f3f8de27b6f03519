"""An export intake cannot read is refused in Kazakh or Russian (issue 8 item 7), naming the file,
the columns and what to do; the command line says it in the config's language only."""

from __future__ import annotations

import string
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines import i18n
from pipelines.cli import cli
from pipelines.config import load_config
from pipelines.demo import write_edition
from pipelines.formats.forms import ExportFile, FormError, load_aliases, read_export, responses_from_rows

ENGLISH = (
    "not found",
    "does not exist",
    "unsupported",
    "empty",
    "no header",
    "none of the form",
    "readable",
    "UTF-8 text",
)


def own_words(key: str, lang: str) -> str:
    """The longest run of the message's own words, between its placeholders."""
    parts = [literal for literal, *_ in string.Formatter().parse(i18n.template(key, lang))]
    return max((p.strip(" —:;,()«»'") for p in parts), key=len)


def refused(call) -> FormError:
    with pytest.raises(FormError) as caught:
        call()
    return caught.value


def cases(tmp_path: Path) -> list[tuple[str, object, str]]:
    """(the mistake, how it is read, what the message must name)."""
    (tmp_path / "r.ods").write_bytes(b"x")
    (tmp_path / "blank.csv").write_text("\n\n", encoding="utf-8")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    (tmp_path / "cp1251.csv").write_bytes("Факультет,Кафедра\nФИТ,ИС\n".encode("cp1251"))
    (tmp_path / "nohead.csv").write_text("25.01.2027 09:05:03,ФИТ,ИС\n", encoding="utf-8")
    (tmp_path / "colours.csv").write_text(
        "Отметка времени,Адрес электронной почты,Ваш любимый цвет\n25.01.2027 10:00:00,a@b.kz,синий\n",
        encoding="utf-8",
    )
    return [
        ("missing", lambda: read_export(tmp_path / "gone.csv"), "gone.csv"),
        ("form.path missing", lambda: ExportFile(tmp_path / "gone.csv").read_responses(), "form.path"),
        ("type", lambda: read_export(tmp_path / "r.ods"), "«.ods»"),
        ("empty", lambda: read_export(tmp_path / "blank.csv"), "blank.csv"),
        ("xlsx", lambda: read_export(tmp_path / "broken.xlsx"), "broken.xlsx"),
        ("encoding", lambda: read_export(tmp_path / "cp1251.csv"), "UTF-8"),
        ("no header", lambda: read_export(tmp_path / "nohead.csv"), "«25.01.2027 09:05:03»"),
        ("foreign", lambda: read_export(tmp_path / "colours.csv"), "«Ваш любимый цвет»"),
        ("alias", lambda: load_aliases({"autors": ["Авторы"]}), "form.aliases.autors"),
        ("sheet", lambda: responses_from_rows([["foo", "bar"]], "responses", where="sheet S1 (tab 'A')"), "sheet S1"),
    ]


def test_every_refusal_names_the_file_or_column_in_kazakh_and_russian(tmp_path):
    for what, call, named in cases(tmp_path):
        error = refused(call)
        kk, ru = error.say("kk"), error.say("ru")
        assert named in kk and named in ru, (what, kk, ru)
        assert kk != ru, what
        assert own_words(error.key, "kk") in kk and own_words(error.key, "ru") not in kk, (what, kk)
        assert own_words(error.key, "ru") in ru and own_words(error.key, "kk") not in ru, (what, ru)
        assert not [english for english in ENGLISH if english in kk + ru], (what, kk, ru)
        assert str(error) == f"{kk} / {ru}"  # before the language is known: both


@pytest.mark.parametrize(("lang", "words"), [("ru", "не найден ни один вопрос формы"), ("kk", "бірде-бір сұрағы")])
def test_intake_refuses_a_foreign_export_in_the_configs_language(tmp_path, lang, words):
    config = write_edition(tmp_path / "edition", 2027)
    config.write_text(config.read_text(encoding="utf-8").replace("language: kk", f"language: {lang}"), "utf-8")
    (config.parent / "responses.csv").write_text(
        "Отметка времени,Адрес электронной почты,Ваш любимый цвет\n25.01.2027 10:00:00,a@b.kz,синий\n",
        encoding="utf-8",
    )
    when = load_config(config).calendar.intake_close - timedelta(hours=1)
    result = CliRunner().invoke(
        cli, ["--config", str(config), "--now", when.isoformat(), "intake"], env={"CONTEST_CONFIG": None}
    )
    assert result.exit_code == 1
    out = result.output
    assert out.startswith("Error: ") and words in out and "responses.csv" in out and "«Ваш любимый цвет»" in out
    other = "бірде-бір сұрағы" if lang == "ru" else "не найден ни один вопрос формы"
    assert other not in out, out


def test_the_local_workspace_with_a_google_form_source_says_what_to_set(tmp_path):
    config = write_edition(tmp_path / "edition", 2027)
    text = config.read_text(encoding="utf-8").replace("language: kk", "language: ru")
    config.write_text(text.replace("  kind: file\n", "  kind: sheet\n", 1), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "status"], env={"CONTEST_CONFIG": None})
    assert result.exit_code == 1
    assert result.output == f"Error: {i18n.text('form_local_needs_file', 'ru')}\n", result.output
