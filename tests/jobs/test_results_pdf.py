"""The results PDF (13.2) made after the stage-3 close whenever it is missing: LibreOffice installed
after the close, the next tick makes it (and says so); `contest render results` makes it on demand
and says why when it cannot. Starts from the finished demo with its PDF never made."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from editions import CLEAN_ENV, copy_edition

from pipelines.backends.local import Manifest
from pipelines.cli import cli

AFTER = "2027-04-20T10:00"  # days after the stage-3 close


def _without_pdf(finished_demo, tmp_path: Path) -> Path:
    """The finished demo as a close without LibreOffice leaves it: results.docx, no results.pdf."""
    config = copy_edition(finished_demo.built_in, tmp_path / "demo")
    workspace = config.parent / "workspace"
    manifest = Manifest(workspace)
    for token, entry in list(manifest.data["documents"].items()):
        if entry["properties"]["kind"] == "results_pdf":
            (workspace / entry["path"]).unlink(missing_ok=True)
            del manifest.data["documents"][token]
    manifest.save()
    assert not (workspace / "drive" / "results" / "results.pdf").exists()
    return config


def _invoke(config: Path, *args: str, path: str | None = None):
    env = dict(CLEAN_ENV)
    if path is not None:
        env["PATH"] = path
    return CliRunner().invoke(cli, ["--config", str(config), "--now", AFTER, *args], env=env)


def _kinds(config: Path) -> set[str]:
    status = json.loads(_invoke(config, "status", "--json").stdout)
    return {d["kind"] for d in status["documents"]}


def test_without_libreoffice_the_tick_stays_quiet_and_render_says_why(finished_demo, tmp_path):
    config = _without_pdf(finished_demo, tmp_path)
    empty = str(tmp_path / "no-programs")  # a PATH on which no LibreOffice is found
    os.mkdir(empty)
    tick = _invoke(config, "tick", path=empty)
    assert tick.exit_code == 0, tick.output
    assert "results.pdf" not in tick.output  # nothing to do, nothing tried: an idle tick
    render = _invoke(config, "render", "results", path=empty)
    assert render.exit_code == 1
    assert "results.pdf жасалмады" in render.output and "LibreOffice" in render.output
    assert "results_pdf" not in _kinds(config)


@pytest.mark.needs_libreoffice
def test_libreoffice_installed_late_the_next_tick_makes_the_pdf(finished_demo, tmp_path):
    config = _without_pdf(finished_demo, tmp_path)
    tick = _invoke(config, "tick")
    assert tick.exit_code == 0, tick.output
    assert "results.pdf жасалды" in tick.output
    pdf = config.parent / "workspace" / "drive" / "results" / "results.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "results_pdf" in _kinds(config)
    again = _invoke(config, "tick")
    assert "results.pdf" not in again.output  # made once
    pdf.unlink()  # deleted from the disk: `render results` makes it again
    render = _invoke(config, "render", "results")
    assert render.exit_code == 0, render.output
    assert "нәтижелер дайын" in render.output and pdf.read_bytes().startswith(b"%PDF")


def test_render_results_before_the_final_close_is_refused(edition):
    result = CliRunner().invoke(
        cli, ["--config", str(edition), "--now", "2027-02-20T09:00", "render", "results"], env=CLEAN_ENV
    )
    assert result.exit_code == 1 and "3-кезең әлі жабылмаған" in result.output
