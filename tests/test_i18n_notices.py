"""What the pipeline tells people about an application, a sheet, a stage or the config is a Notice:
a message key and its values, worded only by `i18n.word` from sheets_schema/messages.yaml. Every
key the code can emit has Kazakh and Russian words taking the values it is given, none of those
words is English, and nothing is read back from English (pipelines/i18n.py has no regular expression)."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import yaml

from pipelines import i18n
from pipelines.domain.models import AS_WRITTEN, Notice

ROOT = Path(__file__).resolve().parent.parent
PIPELINES = ROOT / "pipelines"
CLI = yaml.safe_load((ROOT / "sheets_schema" / "messages.yaml").read_text(encoding="utf-8"))["cli"]

# keys a Notice gets from a variable, not a literal at the call: the module that chooses them
CHOSEN = {
    "pipelines/formats/rating_sheet.py": {
        "why_header_moved",
        "why_header_moved_scores",
        "why_header_lost",
        "why_header_lost_scores",
    },
    "pipelines/domain/scoring.py": {"tie_at_cutoff", "tie_at_cutoff_criterion"},
    "pipelines/jobs/sheets.py": {"why_sheet_missing", "why_sheet_unreadable"},
    "pipelines/domain/assignment.py": {"aside_author", "aside_conflict", "aside_same_department"},
    "pipelines/domain/models.py": {AS_WRITTEN},
    # the backends name what they found in a frozen sheet (RatingSheets.changed_after_freeze)
    "pipelines/backends": {"why_edited_after_freeze", "why_frozen_copy_changed"},
}
# words of the command line and the config that stay as they are typed, and product names
NOT_ENGLISH = {"contest", "group", "stage", "http", "https", "force", "google", "drive"}


def placeholders(template: str) -> set[str]:
    return {name for _literal, name, _spec, _conv in string.Formatter().parse(template) if name is not None}


def notice_calls() -> list[tuple[str, int, ast.Call]]:
    out = []
    for path in sorted(PIPELINES.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Notice":
                out.append((str(path.relative_to(ROOT)), node.lineno, node))
    return out


def literal_keys(node: ast.Call) -> list[str]:
    """The keys a call names in its first argument: a literal, or either side of `a if … else b`."""
    if not node.args:
        return []
    first = node.args[0]
    options = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
    return [o.value for o in options if isinstance(o, ast.Constant) and isinstance(o.value, str)]


def emitted() -> set[str]:
    keys = {k for _path, _line, node in notice_calls() for k in literal_keys(node)}
    return keys | set().union(*CHOSEN.values())


def english(text: str, values: list[str] = ()) -> list[str]:
    """The English words in a text people read, once the values put in it (names, ids, what was
    typed) are taken out."""
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, " ")
    text = re.sub(r"`[^`]*`", " ", text)  # code quoted as code: typed as it is
    words = re.findall(r"(?<![\w.\-])[A-Za-z]{3,}(?![\w.\-])", text)
    return [w for w in words if w.lower() not in NOT_ENGLISH]


def flat_values(notice: Notice, lang: str) -> list[str]:
    out = []
    for v in notice.values.values():
        if isinstance(v, Notice):
            out += [i18n.word(v, lang), *flat_values(v, lang)]
        elif isinstance(v, (list, tuple)):
            for x in v:
                out += [i18n.word(x, lang), *flat_values(x, lang)] if isinstance(x, Notice) else [str(x)]
        else:
            out.append(str(v))
    return out


def assert_said_without_english(notice: Notice) -> None:
    """A notice met on a real path: its key has words in both languages, and they are not English."""
    assert notice.key in CLI, notice
    for lang in i18n.LANGS:
        said = i18n.word(notice, lang)
        assert said != notice.key and "{" not in said.replace("{{", ""), (notice, lang, said)
        assert not english(said, flat_values(notice, lang)), (notice, lang, said)


# --- the catalogue ---------------------------------------------------------------------------------
def test_the_scan_finds_the_notices():
    assert len(notice_calls()) > 60 and len(emitted()) > 70


def test_every_key_the_code_can_emit_has_kazakh_and_russian_words():
    missing = sorted(
        f"{k}: {lang}" for k in emitted() for lang in i18n.LANGS if not str(CLI.get(k, {}).get(lang, "")).strip()
    )
    assert not missing, missing


def test_the_keys_chosen_at_run_time_are_still_chosen_there():
    for where, keys in CHOSEN.items():
        path = ROOT / where
        source = "\n".join(p.read_text(encoding="utf-8") for p in ([path] if path.is_file() else path.rglob("*.py")))
        for key in keys:
            stem = key.removesuffix("_scores")  # rating_sheet adds the suffix to a criterion's column
            assert f'"{stem}' in source or (key == AS_WRITTEN and "AS_WRITTEN" in source), (where, key)


def test_kazakh_and_russian_take_the_same_values_and_are_not_english():
    for key in emitted():
        kk, ru = CLI[key]["kk"], CLI[key]["ru"]
        assert placeholders(kk) == placeholders(ru), key
        for lang, template in (("kk", kk), ("ru", ru)):
            assert not english(re.sub(r"\{\w+\}", " ", template)), (key, lang, template)


def test_every_notice_is_given_the_values_its_words_take():
    checked = 0
    for path, line, node in notice_calls():
        if any(k.arg is None for k in node.keywords) or len(node.args) > 1:
            continue  # **values: checked where they are made
        given = {k.arg for k in node.keywords}
        for key in literal_keys(node):
            assert placeholders(CLI[key]["kk"]) <= given, (
                f"{path}:{line} {key} lacks {placeholders(CLI[key]['kk']) - given}"
            )
            checked += 1
    assert checked > 50


def test_nothing_is_read_back_from_english():
    source = (PIPELINES / "i18n.py").read_text(encoding="utf-8")
    assert "import re" not in source and "re.compile" not in source and "fullmatch" not in source
    assert not hasattr(i18n, "sheet_problem") and not hasattr(i18n, "say")


# --- the words ---------------------------------------------------------------------------------
def test_a_notice_is_worded_with_its_values_and_a_nested_one_first():
    owner = Notice("sheet_owner", expert="b@atu.kz", stage=2, group="FIT", edition="2027")
    notice = Notice("why_someone_elses", names=owner, me="a@atu.kz")
    assert i18n.word(notice, "ru") == (
        "это оценочный лист b@atu.kz (этап 2, FIT, 2027), возвращённый от имени a@atu.kz; "
        "не учитывается: попросите a@atu.kz вернуть свой лист"
    )
    assert i18n.word(notice, "kk").startswith("бұл — b@atu.kz (2-кезең, FIT, 2027) бағалау парағы")
    assert i18n.word(Notice.as_written("as an older row said it"), "kk") == "as an older row said it"


def test_a_notice_is_stored_as_its_key_and_values_and_read_back_whole():
    aside = [Notice("aside_entry", name="Ким О.", why=Notice("aside_author"))]
    notice = Notice("quorum_aside", stage=1, group="IS", id="DER-1", title="Базы", count=1, needed=2, aside=aside)
    cell = notice.to_json()
    assert '"key": "quorum_aside"' in cell and "Ким О." in cell
    assert Notice.from_json(cell) == notice
    assert i18n.word(Notice.from_json(cell), "ru").endswith("не оценивают: Ким О. (автор)")
    assert Notice.from_json("row deleted: DER DER-1 is missing") == Notice.as_written(
        "row deleted: DER DER-1 is missing"
    )
    assert Notice.from_json("") == Notice.as_written("")
