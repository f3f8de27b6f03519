"""docs/google-setup.md can be followed: each config snippet is a valid config, each command parses,
each file it names exists, and what it says of the preflight is what the preflight does."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from pipelines.cli import cli
from pipelines.config import Config

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "docs" / "google-setup.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLE = ROOT / "examples" / "atu-2027" / "contest.yaml"


def _yaml_snippets() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", GUIDE, flags=re.S)


def _commands() -> list[list[str]]:
    """The `contest` command lines of the fenced blocks (after sudo -u USER, if any)."""
    out, inside = [], False
    for line in GUIDE.splitlines():
        if line.strip().startswith("```"):
            inside = not inside
        elif inside and "bin/contest " in line:
            words = shlex.split(line.strip())
            out.append(words[next(i for i, w in enumerate(words) if w.endswith("bin/contest")) :])
    return out


def test_the_guide_has_the_snippets_and_commands_it_promises():
    assert len(_yaml_snippets()) >= 5 and len(_commands()) >= 3


@pytest.mark.parametrize("snippet", _yaml_snippets(), ids=lambda s: s.split("\n")[0] + s.split("\n")[1])
def test_every_config_snippet_is_valid_config(snippet):
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")) | yaml.safe_load(snippet)
    config = Config.model_validate(data)
    if "backend" in yaml.safe_load(snippet):
        assert config.backend.kind == "google"


def test_the_form_id_example_is_an_edit_url_id_not_a_responder_link_id():
    for text in (GUIDE, README):
        ids = re.findall(r"form_id: (\S+)", text)
        assert ids and all(not i.startswith("1FAIpQL") and len(i) == 44 for i in ids), ids
    edit = re.search(r"docs\.google\.com/forms/d/(\S+)/edit", GUIDE).group(1)
    assert edit in re.findall(r"form_id: (\S+)", GUIDE)


@pytest.mark.parametrize("words", _commands(), ids=lambda w: " ".join(w[1:4]))
def test_every_contest_command_in_the_guide_parses(words):
    args = [w for w in words[1:]]
    result = CliRunner().invoke(cli, [*args, "--help"])
    assert result.exit_code == 0, (words, result.output)


def test_every_file_the_guide_names_exists():
    for path in set(re.findall(r"\b((?:deploy|docs|tests|pipelines)/[\w./-]+\.\w+)", GUIDE)):
        if path.startswith("tests/cassettes/preflight-atu"):
            continue  # the name a real recording is given
        assert (ROOT / path).exists(), path


def test_what_the_guide_says_of_the_preflight_is_what_it_does():
    from pipelines.backends.google.cassette import FORMAT
    from pipelines.backends.google.preflight import PREFLIGHT_EDITION, SCRATCH_FOLDER

    assert SCRATCH_FOLDER in " ".join(GUIDE.split())
    assert f"edition={PREFLIGHT_EDITION}" in GUIDE and FORMAT in GUIDE


def test_the_readme_links_the_guide():
    assert "(docs/google-setup.md)" in README
    assert "opens a browser\n     once" not in README and "The first run opens a browser" not in README
