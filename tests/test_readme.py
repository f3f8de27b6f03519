"""The README's commands and config snippets are the ones that work."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml
from click.testing import CliRunner

from google_fake import FakeGoogle
from google_fake.demo import fake_workspace
from pipelines.cli import cli
from pipelines.config import Config, load_config
from pipelines.jobs.access import check_access
from pipelines.jobs.common import Run

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLE = ROOT / "examples" / "atu-2027" / "contest.yaml"


def _section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start : end if end > 0 else None]


def _commands(text: str) -> list[list[str]]:
    """The `contest` command lines of every fenced block (fences may be indented in a list)."""
    commands, inside = [], False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            inside = not inside
        elif inside and "bin/contest" in line:
            commands.append(shlex.split(line))
    return commands


def test_quick_start_is_two_commands_and_ci_runs_the_second():
    block = re.search(r"## Quick start\s+```\n(.*?)```", README, flags=re.S).group(1)
    lines = [l for l in block.splitlines() if l.strip()]
    assert lines == ["make demo", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_every_contest_command_in_the_readme_parses():
    commands = [c for c in _commands(README) if c[0].endswith("contest")]
    assert len(commands) >= 4
    for words in commands:
        result = CliRunner().invoke(cli, words[1:] + ["--help"])
        assert result.exit_code == 0, (words, result.output)


def _google_snippet() -> dict:
    snippet = re.search(r"```yaml\n(.*?)```", _section("Run it on real Google"), flags=re.S).group(1)
    return yaml.safe_load("\n".join(line[3:] if line.startswith("   ") else line for line in snippet.splitlines()))


def test_google_config_snippet_is_valid_config():
    snippet = _google_snippet()
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")) | snippet
    config = Config.model_validate(data)
    assert config.backend.kind == "google" and config.form.kind == "forms_api"


def test_dry_run_of_the_google_section_reads_everything_on_fake_google(tmp_path):
    fake = FakeGoogle()
    drive = fake.create_shared_drive("DER contest")
    form = fake.add_form("DER contest", [("q1", "3. Название ЦОР с указанием дисциплины", "text")])
    fake.add_response(form, {"q1": "Python & <Data>"}, respondent_email="a@atu.edu.kz")
    snippet = _google_snippet()
    snippet["backend"]["shared_drive_id"] = drive
    snippet["form"]["form_id"] = form
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")) | snippet
    (tmp_path / "contest.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    config = load_config(tmp_path / "contest.yaml")
    run = Run(config=config, workspace=fake_workspace(config, fake), now=config.calendar.intake_open)
    assert check_access(run) == []
    assert any("оқылатын жауаптар: 1" in m for m in run.messages)
    fake.assert_all_valid()
    # a dry run writes no document and no rating sheet
    kinds = {f.app_properties.get("kind") for f in fake.files.values()}
    assert kinds <= {None, "control"}


def test_dry_run_names_what_is_unreachable(tmp_path):
    fake = FakeGoogle()
    snippet = _google_snippet()
    snippet["backend"]["shared_drive_id"] = "no-such-drive"
    snippet["form"]["form_id"] = "no-such-form"
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")) | snippet
    config = Config.model_validate(data | {"base_dir": str(tmp_path)})
    run = Run(config=config, workspace=fake_workspace(config, fake), now=config.calendar.intake_open)
    problems = check_access(run)
    assert any(p.startswith("форма жауаптары:") for p in problems)


# --- the command table is the CLI's ------------------------------------------------------------------
def _command_table() -> dict[str, str]:
    """command name -> its usage as the README's table writes it (`open-stage N`, ...)."""
    table = README[README.index("| command | what it does |") :]
    rows = {}
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        usage = re.match(r"\| `([^`]+)`", line).group(1).replace("\\|", "|")
        rows[usage.split()[0]] = usage
    return rows


def _usage_parts(usage: str) -> tuple[set[str], int]:
    """(the options named, the number of arguments) of a usage such as `recreate-sheet N EXPERT [--group G]`."""
    options = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", usage))
    rest = re.sub(r"\[(--?[a-z][a-z-]*)(?: [^\]]+)?\]", " ", usage.split(maxsplit=1)[1] if " " in usage else "")
    rest = re.sub(r"(?<![\w-])--[a-z][a-z-]*(?: [A-Z][A-Z0-9_-]*)?", " ", rest)  # a required option and its value
    return options, len(re.findall(r"\[?\b[A-Z][A-Z0-9_-]*\b\]?", rest))


def _click_parts(command) -> tuple[set[str], int]:
    import click

    options = {opt for p in command.params if isinstance(p, click.Option) for opt in p.opts if opt.startswith("--")}
    return options, sum(isinstance(p, click.Argument) for p in command.params)


def test_the_readme_command_table_names_every_command_and_only_those():
    listed, real = set(_command_table()), {name for name, c in cli.commands.items() if not c.hidden}
    assert not real - listed, f"commands missing from the README's table: {sorted(real - listed)}"
    assert not listed - real, f"the README's table names commands the CLI does not have: {sorted(listed - real)}"


def test_each_commands_row_has_its_options_and_arguments():
    for name, usage in _command_table().items():
        command = cli.commands[name]
        options, arguments = _usage_parts(usage)
        real_options, real_arguments = _click_parts(command)
        assert options == real_options, (name, "README", sorted(options), "--help", sorted(real_options))
        assert arguments == real_arguments, (name, usage, real_arguments)
        help_text = CliRunner().invoke(cli, [name, "--help"]).output
        assert all(option in help_text for option in real_options), name


def test_the_readme_usage_line_has_the_global_options():
    line = re.search(r"`contest (\[[^`]*) COMMAND`", README).group(1)
    options = set(re.findall(r"(--?[a-z][a-z-]*)", line))
    real = {p.opts[0] for p in cli.params}  # the first spelling (-q for -q/--quiet)
    assert options == real, (sorted(options), sorted(real))
