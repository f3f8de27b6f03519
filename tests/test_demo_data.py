"""The scaled edition benchmarks run: a valid contest.yaml, and responses the intake places in the
campus their teachers typed."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import timedelta

import yaml

from pipelines import demo_data
from pipelines.backends import open_workspace
from pipelines.config import load_config
from pipelines.demo import EXAMPLE
from pipelines.domain.models import Status
from pipelines.jobs.common import Run
from pipelines.jobs.intake import read_applications


def _edition(tmp_path, copies: int, rows: int | None = None):
    config = demo_data.scaled_config(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")), copies)
    path = tmp_path / "contest.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    cal = load_config(path).calendar
    if rows is None:
        made = demo_data.scaled_responses(cal.intake_open, cal.intake_close, 2027, copies)
    else:
        made = demo_data.intake_rows(cal.intake_open, cal.intake_close, 2027, rows, copies)
    (tmp_path / "responses.csv").write_text(demo_data.to_csv(made), encoding="utf-8")
    return path, made


def test_ten_campuses_make_a_valid_config_with_300_department_experts(tmp_path):
    path, _ = _edition(tmp_path, 10)
    config = load_config(path)  # validated: ids unique, every commission names a known unit
    assert len(config.faculties) == 40 and len(config.departments()) == 100
    members = [m for ms in config.commissions.departments.values() for m in ms]
    assert len(members) == 300 and len({m.email for m in members}) == 300


def test_the_intake_places_each_response_in_its_own_campus(tmp_path):
    path, made = _edition(tmp_path, 10)
    config = load_config(path)
    run = Run(config=config, workspace=open_workspace(config), now=config.calendar.intake_close + timedelta(days=2))
    apps, _ = read_applications(run)
    assert len(apps) == len(made) == 450
    by_status = Counter(a.status for a in apps)
    demo = read_applications(_demo_run(tmp_path / "demo"))[0]
    assert by_status[Status.ACCEPTED] == 10 * Counter(a.status for a in demo)[Status.ACCEPTED]
    for app in apps:
        if app.status is Status.ACCEPTED:
            campus = app.response.department.rsplit(" ", 1)[1]
            assert app.department_id.endswith(f"-{campus}"), (app.response.department, app.department_id)
    assert len({a.response.link for a in apps if a.status is Status.ACCEPTED}) == by_status[Status.ACCEPTED]


def test_a_big_intake_has_the_rows_asked_for_each_with_its_own_link(tmp_path):
    _, made = _edition(tmp_path, 10, rows=2000)
    assert len(made) == 2000
    rows = list(csv.DictReader(io.StringIO((tmp_path / "responses.csv").read_text(encoding="utf-8"))))
    links = [r[demo_data.HEADERS[9]] for r in rows if r[demo_data.HEADERS[9]].startswith("https://skills")]
    assert len(rows) == 2000 and len(set(links)) > 0.8 * len(links)


def _demo_run(folder) -> Run:
    from pipelines.demo import write_edition

    config = load_config(write_edition(folder, 2027))
    return Run(config=config, workspace=open_workspace(config), now=config.calendar.intake_close + timedelta(days=2))
