"""The scheduling recipes the README gives are parsed, so a typo in one fails here."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

import yaml
from click.testing import CliRunner

from pipelines.cli import cli

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
README = Path(__file__).resolve().parent.parent / "README.md"
CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")


def _tick_args(command: str) -> list[str]:
    words = shlex.split(command)
    start = next(i for i, w in enumerate(words) if w.endswith("contest") and not w.startswith("/srv/contest/2"))
    return words[start + 1 :]


def _runs_tick(args: list[str]) -> None:
    """The arguments after `contest` parse with the real CLI and name the tick command."""
    args = [a for a in args if a not in (">>", "2>&1") and not a.startswith("/var/log")]
    assert "tick" in args
    result = CliRunner().invoke(cli, args + ["--help"])
    assert result.exit_code == 0, result.output
    assert "Жоспарлы іске қосу" in result.output  # tick's own help (in kk and ru without a config found)


def test_cron_line_is_a_valid_five_field_entry_running_quiet_tick():
    lines = [
        l
        for l in (DEPLOY / "cron" / "contest.cron").read_text().splitlines()
        if l.strip() and not l.startswith("#") and "=" not in l.split()[0]
    ]
    assert len(lines) == 1
    fields = lines[0].split()
    assert all(CRON_FIELD.match(f) for f in fields[:5]), fields[:5]
    assert fields[5] == "contest"  # /etc/cron.d has a user column
    command = " ".join(fields[6:])
    assert "-q tick" in command
    _runs_tick(_tick_args(command.split("&&")[-1]))


def test_systemd_service_and_timer_parse_and_point_at_each_other():
    service = configparser.ConfigParser(strict=False, interpolation=None)
    service.optionxform = str
    service.read(DEPLOY / "systemd" / "contest-tick.service")
    assert service["Service"]["Type"] == "oneshot"
    _runs_tick(shlex.split(service["Service"]["ExecStart"])[1:])
    timer = configparser.ConfigParser(strict=False, interpolation=None)
    timer.optionxform = str
    timer.read(DEPLOY / "systemd" / "contest-tick.timer")
    assert timer["Timer"]["Unit"] == "contest-tick.service"
    assert re.match(r"^\*:0/\d+$", timer["Timer"]["OnCalendar"])
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_scheduled_ci_workflow_runs_tick_on_a_cron_without_overlap():
    flow = yaml.safe_load((DEPLOY / "github-actions" / "contest-tick.yml").read_text())
    triggers = flow[True] if True in flow else flow["on"]  # YAML 1.1 reads `on` as true
    cron = triggers["schedule"][0]["cron"].split()
    assert len(cron) == 5 and all(CRON_FIELD.match(f) for f in cron)
    assert flow["concurrency"]["cancel-in-progress"] is False
    steps = flow["jobs"]["tick"]["steps"]
    tick_step = next(s for s in steps if "tick" in s.get("run", ""))
    _runs_tick(shlex.split(tick_step["run"])[1:])
    assert "secrets.GOOGLE_CREDENTIALS" in str(steps)
    assert not any("credentials.json" in str(s.get("run", "")) and "git add" in str(s.get("run", "")) for s in steps)


def test_readme_names_every_recipe():
    text = README.read_text(encoding="utf-8")
    for name in (
        "deploy/cron/contest.cron",
        "deploy/systemd/contest-tick.service",
        "deploy/systemd/contest-tick.timer",
        "deploy/github-actions/contest-tick.yml",
    ):
        assert name in text
