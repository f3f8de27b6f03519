"""No English sentence is written straight to where people read (issue 8 item 7): every line the
command line, the jobs' messages (`run.say`) and `status` print comes from sheets_schema/messages.yaml
(pipelines/i18n.py). A string literal with words in such a call is a test failure."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PIPELINES = Path(__file__).resolve().parent.parent / "pipelines"
SAYING = {"say", "echo", "ClickException", "print", "secho"}  # run.say, state.echo, click.echo, console.print …
WORDS = re.compile(r"[A-Za-z]{3,}")


def _literal_words(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return WORDS.findall(node.value)
    if isinstance(node, ast.JoinedStr):
        return [w for part in node.values if isinstance(part, ast.Constant) for w in WORDS.findall(str(part.value))]
    if isinstance(node, ast.BinOp):
        return _literal_words(node.left) + _literal_words(node.right)
    return []


def english_lines() -> list[str]:
    found = []
    for path in sorted(PIPELINES.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in SAYING and (words := _literal_words(node.args[0])):
                found.append(f"{path.relative_to(PIPELINES.parent)}:{node.lineno}: {' '.join(words)}")
    return found


def test_no_english_sentence_is_printed_or_said():
    assert english_lines() == []


def test_the_check_would_see_one(tmp_path):
    tree = ast.parse('run.say(f"note: results.pdf not made: {exc}")')
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call))
    assert _literal_words(call.args[0]) == ["note", "results", "pdf", "not", "made"]
