"""Every word people read is Kazakh or Russian (issue 20 item 6): on the demo edition run to its end in
each language, what every command prints, `status` (never cutting an id short), the messages in the
outbox and the documents' text hold no Latin-script word but ids, addresses, URLs, paths and codes
(tests/latin.py says which, one pattern each), and what people typed (titles, names, comments)."""

from __future__ import annotations

import csv
import email
import json
import re
from email import policy
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from docx import Document
from editions import CLEAN_ENV, built_once, copy_edition
from latin import latin_words
from openpyxl import load_workbook

from pipelines.cli import cli
from pipelines.demo import EXPERT_COMMENTS
from pipelines.formats.documents import docx_text

# every command, as CDB would type it on a finished edition (some end in an error: that is read too)
COMMANDS = [
    ["status"],
    ["winners"],
    ["check-config"],
    ["check-config", "--form"],
    ["check-config", "--access"],
    ["audit-sharing"],
    ["verify"],
    ["remind", "--dry-run"],
    ["notify", "--dry-run"],
    ["tick"],
    ["restore", "--list"],
    ["intake"],
    ["open-stage", "1"],
    ["close-stage", "1"],
    ["recreate-sheet", "1", "nobody@atu.edu.kz"],
    ["auth"],
    ["preflight"],
]


@pytest.fixture(scope="module")
def editions(finished_demo, tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """lang -> (a private copy of the demo run to its end in that language, what the demo printed)."""

    def build_ru(folder: Path) -> None:
        result = CliRunner().invoke(cli, ["demo", str(folder / "demo"), "--language", "ru"], env=CLEAN_ENV)
        assert result.exit_code == 0, result.output
        (folder / "output.txt").write_text(result.stdout, encoding="utf-8")

    ru = built_once(tmp_path_factory, "finished-demo-ru", build_ru)
    root = tmp_path_factory.mktemp("words")
    return {
        "kk": (finished_demo.copy(root / "kk").parent, finished_demo.output),
        "ru": (copy_edition(ru / "demo", root / "ru").parent, (ru / "output.txt").read_text(encoding="utf-8")),
    }


def typed(folder: Path) -> list[str]:
    """What people typed into the edition: the form's answers and the config's values. Not the simulated
    experts' comments: the demo types them, in the edition's language, so they are checked as ours."""
    texts = [cell for row in csv.reader(open(folder / "responses.csv", encoding="utf-8")) for cell in row]

    def walk(value: object) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            [walk(v) for v in value.values()]
        elif isinstance(value, list):
            [walk(v) for v in value]

    walk(yaml.safe_load((folder / "contest.yaml").read_text(encoding="utf-8")))
    return texts


def invoke(folder: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(folder / "contest.yaml"), *args], env=CLEAN_ENV)


def found(text: str, data: list[str]) -> list[tuple[str, list[str]]]:
    return [(line, words) for line in text.splitlines() if (words := latin_words(line, data))]


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_what_the_demo_and_every_command_print_is_kk_or_ru(editions, lang):
    folder, output = editions[lang]
    data = typed(folder)
    bad = found(output, data)
    for args in COMMANDS:
        result = invoke(folder, *args)
        assert "Traceback" not in result.output, (args, result.output)
        bad += [(" ".join(args), *line) for line in found(result.output, data)]
    assert bad == []


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_outbox_and_the_documents_are_kk_or_ru(editions, lang):
    folder, _ = editions[lang]
    data = typed(folder)
    bad = []
    mails = sorted((folder / "workspace" / "outbox").rglob("*.eml"))
    for path in mails:
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        text = str(message["Subject"]) + "\n"
        text += "\n".join(p.get_content() for p in message.walk() if p.get_content_type() == "text/plain")
        bad += [(path.name, *line) for line in found(text, data)]
    documents = sorted((folder / "workspace" / "drive").rglob("*.docx"))
    for path in documents:
        doc = Document(str(path))
        parts = [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for row in t.rows for c in row.cells]
        for section in doc.sections:
            parts += [p.text for p in section.header.paragraphs] + [p.text for p in section.footer.paragraphs]
        bad += [(path.name, *line) for line in found("\n".join(parts), data)]
    sheets = sorted((folder / "workspace" / "drive").rglob("*.xlsx"))
    for path in sheets:
        book = load_workbook(path, read_only=True)
        cells = [  # a formula is the sheet's code, not words (the sum cell)
            str(v)
            for ws in book
            for row in ws.iter_rows(values_only=True)
            for v in row
            if isinstance(v, str) and not v.startswith("=")
        ]
        bad += [(path.name, *line) for line in found("\n".join(cells), data)]
    assert len(mails) > 50 and len(documents) > 100 and len(sheets) > 40  # the whole edition was read
    assert bad == []


def test_the_check_sees_an_english_word_and_lets_codes_pass():
    assert latin_words("tick: 3 reminders sent") == ["tick", "reminders", "sent"]
    assert latin_words("(local workspace /tmp/x)") == ["local", "workspace"]
    assert latin_words("содан: contest --config x/contest.yaml status; contest demo --backend local") == []
    line = "DER-3LMDB2: https://skills.atu.kz/c/1 a.b@atu.edu.kz workspace/drive/x.docx backend.sender FIT-IS"
    assert latin_words(line + " `kind: tie_break` --dry-run contest status storageQuotaExceeded PDF") == []
    assert latin_words("Ospanova Zarina, senior lecturer", ["Zarina Ospanova, senior lecturer"]) == []


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_status_piped_keeps_every_id_and_address_whole(editions, lang):
    """Not a terminal (a file, a cron log: 80 columns): a cell wraps between words, never inside one."""
    folder, _ = editions[lang]
    status = json.loads(invoke(folder, "status", "--json").output)
    text = invoke(folder, "status").output
    assert "…" not in text
    words = set(re.split(r"[\s│┃,;]+", text))
    ids = {a["id"] for a in status["applications"] if a["registry_status"] == "rejected" and a["id"]}
    ids |= {i for s in status["stages"] for g in s["groups"] for i in [*g["selected"], *g["sheets_incomplete"]]}
    ids |= {w["id"] for w in status["winners"]}
    assert ids and {i for i in ids if i not in words and i + ":" not in words} == set()


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_comments_the_demo_types_are_in_the_editions_language(editions, lang):
    """The simulated experts write their impressions in the edition's language (form 02 prints them);
    none is taken as data the check lets pass."""
    folder, _ = editions[lang]
    other = {"kk": "ru", "ru": "kk"}[lang]
    forms = sorted((folder / "workspace" / "drive").rglob("form02*.docx"))
    text = "\n".join(docx_text(path.read_bytes()) for path in forms)
    assert [c for c in EXPERT_COMMENTS[lang] if c and c in text]  # printed, so the check above read them
    assert [c for c in EXPERT_COMMENTS[other] if c and c in text] == []
    assert [w for c in EXPERT_COMMENTS[lang] for w in latin_words(c)] == []
