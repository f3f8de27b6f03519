"""Columns found the way a person finds them (issue 8 item 1): a form whose questions are the form 01
labels as the regulation words them, in kk, ru or en, numbered or not, with Google's description
suffix, in any order, is read exactly like the form we ship; a form that misses a field stops intake
with the alias to add; a foreign export is refused."""

from __future__ import annotations

import csv
import random
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from jobkit import table_rows

from pipelines.cli import cli
from pipelines.config import load_config
from pipelines.demo import write_edition
from pipelines.formats import forms

# The form 01 labels as the regulation (kk) and our own form 01 templates (ru) word them, and the
# English restatement; the order is the form's: timestamp, e-mail, fields 1-8, the two attachments.
LABELS = {
    "ru": [
        "Факультет",
        "Кафедра",
        "Наименование ЦОР с указанием дисциплины",
        "Сведения об авторе (авторах)",
        "Язык обучения",
        "Вид ЦОР (количество тем)",
        "Обоснование новизны и актуальности ЦОР и имеющийся у автора (авторов) задел (ЦОР утверждён в "
        "составе учебного процесса на факультете или в научной лаборатории, наличие электронных "
        "учебно-методических материалов)",
        "Ссылка для доступа к ЦОР",
        "Акт внедрения в учебный процесс",
        "Сертификат ЦИИЦР о размещении ЦОР на образовательной платформе",
    ],
    "kk": [
        "Факультет",
        "Бөлім",
        "Пәнді көрсете отырып, СББР атауы",
        "Автор(лар) туралы мәліметтер",
        "Оқыту тілі",
        "СББР түрі (тақырып саны)",
        "СББР жаңалығы мен өзектілігін негіздеу және автор(лар)ға қолжетімді артта қалу (факультеттегі "
        "немесе ғылыми зертханадағы оқу процесінің бөлігі ретінде ДЭР бекіткен)",
        "СББР кіру сілтемесі",
        "Оқу процесіне енгізу актісі",
        "Білім беру платформасында СББР орналастыру туралы ЖИЦДО сертификаты",
    ],
    "en": [
        "Faculty",
        "Department",
        "DER title, naming the discipline",
        "Author(s): full name, position, contact",
        "Language of instruction",
        "DER type (number of topics)",
        "Justification of novelty and relevance, and the authors' backlog",
        "Link to the DER",
        "Act of implementation in the teaching process",
        "AIDC's certificate of placement of the DER on the educational platform",
    ],
}
FIELDS = forms.REQUIRED


def invoke(config: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config), *args], env={"CONTEST_CONFIG": None})


def rewrite_header(csv_path: Path, titles: list[str], *, order: list[int] | None = None) -> None:
    """The demo's export with the questions retitled (and the columns reordered)."""
    with csv_path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    rows[0] = rows[0][:2] + titles
    if order is not None:
        rows = [[row[i] for i in order] for row in rows]
    with csv_path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def registry_statuses(config: Path) -> list[tuple[str, str]]:
    return sorted((str(r["title"]), str(r["status"])) for r in table_rows(config, "registry"))


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> tuple[Path, list[tuple[str, str]]]:
    """The demo edition read with the form we ship: what every retitled form must give."""
    config = write_edition(tmp_path_factory.mktemp("shipped"), 2027)
    when = load_config(config).calendar.intake_close - timedelta(hours=1)
    result = invoke(config, "--now", when.isoformat(), "intake")
    assert result.exit_code == 0, result.output
    return config, registry_statuses(config)


def retitled(tmp_path: Path, titles: list[str], order: list[int] | None = None) -> Path:
    config = write_edition(tmp_path / "edition", 2027)
    rewrite_header(config.parent / "responses.csv", titles, order=order)
    return config


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
@pytest.mark.parametrize("numbered", [True, False])
def test_a_form_titled_with_the_form01_labels_is_read_like_ours(shipped, tmp_path, lang, numbered):
    labels = LABELS[lang]
    titles = [f"{i}. {t}" if numbered and i <= 8 else t for i, t in enumerate(labels, start=1)]
    order = [0, 1] + random.Random(lang).sample(range(2, 12), 10)  # shuffled columns
    config = retitled(tmp_path, titles, order)
    when = load_config(config).calendar.intake_close - timedelta(hours=1)
    result = invoke(config, "--now", when.isoformat(), "intake")
    assert result.exit_code == 0, result.output
    assert registry_statuses(config) == shipped[1]
    assert any(status == "accepted" for _, status in shipped[1])


def test_google_description_suffixes_and_a_trailing_asterisk_are_tolerated():
    header = ["Отметка времени", "Адрес электронной почты"] + [
        f"{t} [введите ответ]" if i % 3 == 0 else (f"{t}\nПоясните кратко" if i % 3 == 1 else f"{t} *")
        for i, t in enumerate(LABELS["ru"])
    ]
    mapping = forms.map_columns(header)
    assert mapping.missing() == []
    assert [m.field for m in mapping.matches] == ["timestamp", "respondent_email", *FIELDS]


def test_a_close_title_is_taken_by_similarity_and_the_score_is_kept():
    header = ["Timestamp", *LABELS["ru"][:3], "Сведения об авторах ЦОР (ФИО, должность, e-mail)", *LABELS["ru"][4:]]
    header[3 + 1 - 1] = "Наименование ЦОР с указанием дисцплины"  # a typo in the form's title
    mapping = forms.map_columns(header)
    by_column = {m.column: m for m in mapping.matches}
    typo = by_column["Наименование ЦОР с указанием дисцплины"]
    assert (typo.field, typo.how) == ("title", "similar") and 0.82 <= typo.score < 1
    assert by_column["Сведения об авторах ЦОР (ФИО, должность, e-mail)"].field == "authors"
    assert mapping.as_dict()["missing"] == []


def test_an_unrelated_question_is_not_used():
    header = ["Timestamp", *LABELS["en"], "Your phone number", "Comments"]
    mapping = forms.map_columns(header)
    assert {m.column: m.field for m in mapping.matches}["Your phone number"] is None
    assert {m.column: m.field for m in mapping.matches}["Comments"] is None


def test_a_missing_field_stops_intake_naming_it_and_the_alias_to_add(tmp_path):
    titles = list(LABELS["ru"])
    titles[3] = "Участники проекта"  # the authors' question worded so nothing recognises it
    config = retitled(tmp_path, titles)
    when = load_config(config).calendar.intake_close - timedelta(hours=1)
    result = invoke(config, "--now", when.isoformat(), "intake")
    assert result.exit_code == 1
    assert "Error:" in result.output and "(authors)" in result.output
    assert "«Участники проекта»" in result.output
    assert 'authors: ["Участники проекта"]' in result.output
    cfg = load_config(config)
    assert not (cfg.path(cfg.backend.workspace) / "control.xlsx").exists() or registry_statuses(config) == []

    # The line it printed, added to contest.yaml, lets intake through.
    text = config.read_text(encoding="utf-8").replace(
        "  timestamp_column: 1\n", '  timestamp_column: 1\n  aliases:\n    authors: ["Участники проекта"]\n'
    )
    config.write_text(text, encoding="utf-8")
    result = invoke(config, "--now", when.isoformat(), "intake")
    assert result.exit_code == 0, result.output
    assert any(status == "accepted" for _, status in registry_statuses(config))


def test_check_config_form_prints_each_column_and_each_missing_field(tmp_path):
    titles = [f"{i}. {t}" for i, t in enumerate(LABELS["ru"], start=1)]
    titles[9] = "Справка"  # too short to be the certificate: not used
    config = retitled(tmp_path, titles)
    text = config.read_text(encoding="utf-8").replace("language: kk", "language: ru")
    config.write_text(text, encoding="utf-8")
    result = invoke(config, "check-config", "--form")
    assert result.exit_code == 1
    out = result.output
    assert "«4. Сведения об авторе (авторах)» → 4. Авторы" in out
    assert "«8. Ссылка для доступа к ЦОР» → 8. Ссылка на ЦОР" in out
    assert "«Справка» → не используется" in out
    assert "сертификат ЦИИЦР о размещении → нет столбца" in out
    assert "certificate_files: [" in out


def test_an_export_with_only_google_columns_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text(
        "Отметка времени,Адрес электронной почты,Ваш любимый цвет\n25.01.2027 10:00:00,a@b.kz,синий\n",
        encoding="utf-8",
    )
    with pytest.raises(forms.FormError, match="не найден ни один вопрос формы"):
        forms.read_export(path)
