"""The shipped example edition: its config validates and its sample export is the demo's."""

from __future__ import annotations

from pathlib import Path

from pipelines import demo_data
from pipelines.checks import check_config
from pipelines.config import load_config
from pipelines.formats.forms import read_export

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "atu-2027"


def test_example_config_passes_check_config():
    config = load_config(EXAMPLE / "contest.yaml", environ={})
    assert check_config(config) == []
    assert len(config.faculties) == 4 and sum(len(f.departments) for f in config.faculties) == 10


def test_sample_export_is_what_the_demo_generates():
    config = load_config(EXAMPLE / "contest.yaml", environ={})
    rows = demo_data.responses(config.calendar.intake_open, config.calendar.intake_close, 2027)
    assert (EXAMPLE / "responses.csv").read_bytes().decode("utf-8") == demo_data.to_csv(rows)
    assert len(read_export(EXAMPLE / "responses.csv")) >= 40
