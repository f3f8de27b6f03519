"""`contest demo DIR` end to end through the real CLI: the whole sample edition, every document in
place, the same winners when run again, each document rendered once (a machine-independent guard
against a large slowdown; the wall time is in benchmarks/bench_demo.py, which prints and asserts nothing)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from editions import CLEAN_ENV, run_demo_cli
from openpyxl import load_workbook

from pipelines.cli import cli


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), env=CLEAN_ENV)


def rendered_once_each(renders: Counter, status: dict) -> bool:
    """No document rendered twice: rendering is the demo's costly step (the PDF is converted, not rendered)."""
    return sum(renders.values()) <= len([d for d in status["documents"] if d["kind"] != "results_pdf"])


def status(directory: Path) -> dict:
    result = invoke("--config", str(directory / "contest.yaml"), "status", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def docx_text(path: Path) -> str:
    doc = Document(str(path))
    return "\n".join(
        [p.text for p in doc.paragraphs] + [" | ".join(c.text for c in row.cells) for t in doc.tables for row in t.rows]
    )


@pytest.fixture(scope="module")
def demo(finished_demo, tmp_path_factory):
    """The demo as run once for the whole test run (tests/conftest.py), copied here to be read: its
    folder, what it printed, what it rendered, and its status."""
    directory = finished_demo.copy(tmp_path_factory.mktemp("demo") / "demo").parent
    return directory, finished_demo.output, finished_demo.renders, status(directory)


def test_the_demo_names_the_winners_having_rendered_each_document_once(demo, finished_demo):
    directory, output, renders, st = demo
    assert rendered_once_each(renders, st), renders
    assert "1-орын:" in output and "3-орын:" in output
    built_in = finished_demo.built_in  # the output names the folder the demo ran in
    assert f"contest --config {built_in / 'contest.yaml'} status" in output
    assert (built_in / "contest.yaml").exists() and (built_in / "responses.csv").exists()


def test_status_shows_three_closed_stages_and_three_winners(demo):
    directory, output, _, st = demo
    assert {"edition", "now", "applications", "stages", "winners", "documents"} <= set(st)
    assert [(s["number"], s["state"]) for s in st["stages"]] == [(1, "closed"), (2, "closed"), (3, "closed")]
    assert [w["place"] for w in st["winners"]] == [1, 2, 3]
    for w in st["winners"]:
        assert {"place", "id", "score"} <= set(w)
        assert f"{w['place']}-орын: {w['id']}" in output
    titles = {a["id"]: a for a in st["applications"]}
    assert all(titles[w["id"]]["status"] == "winner" for w in st["winners"])
    assert all(Path(d["path_or_url"]).exists() for d in st["documents"])


def test_a_protocol_extract_for_every_department_and_faculty(demo):
    directory, _, _, st = demo
    config = load_config_quietly(directory)
    drive = directory / "workspace" / "drive"
    extracts = {
        (d["stage"], d["group"]): Path(d["path_or_url"]) for d in st["documents"] if d["kind"] == "protocol_extract"
    }
    departments = [(d.id, d.name_kk) for f in config.faculties for d in f.departments]
    faculties = [(f.id, f.name_kk) for f in config.faculties]
    assert set(extracts) == {(1, d) for d, _ in departments} | {(2, f) for f, _ in faculties}
    for (stage, group), path in extracts.items():
        assert path.parent == drive / f"stage-{stage}" / group
        name = dict(departments + faculties)[group]
        text = docx_text(path)
        assert name in text
        selected = next(g for g in st["stages"][stage - 1]["groups"] if g["name"] == group)["selected"]
        assert all(i in text for i in selected)


def test_a_form02_per_expert_per_stage(demo):
    directory, _, _, st = demo
    config = load_config_quietly(directory)
    form02 = {
        (d["stage"], d["group"], d["subject"]): Path(d["path_or_url"]) for d in st["documents"] if d["kind"] == "form02"
    }
    experts = {(s["number"], g["name"], e) for s in st["stages"] for g in s["groups"] for e in g["experts"]}
    assert set(form02) == experts
    assert len([k for k in form02 if k[0] == 1]) == 30 and len([k for k in form02 if k[0] == 2]) == 12
    assert len([k for k in form02 if k[0] == 3]) == len(config.commissions.contest)
    names = {m.email: m.name for m in _members(config)}
    for (_stage, _group, email), path in form02.items():
        assert names[email] in docx_text(path)


def test_the_final_protocol_and_results(demo):
    directory, _, _, st = demo
    titles = {a["id"]: a["title"] for a in st["applications"]}
    kinds = {d["kind"]: Path(d["path_or_url"]) for d in st["documents"] if d["kind"] in ("final_protocol", "results")}
    assert set(kinds) == {"final_protocol", "results"}
    for path in kinds.values():
        text = docx_text(path)
        for w in st["winners"]:
            assert titles[w["id"]] in text
    # the control workbook a person opens holds the final standings too
    wb = load_workbook(directory / "workspace" / "control.xlsx")
    assert "Нәтижелер" in wb.sheetnames


def test_the_demo_twice_in_the_same_folder_gives_the_same_winners(demo, finished_demo, tmp_path):
    _, _, _, first = demo
    directory = finished_demo.copy(tmp_path / "demo").parent  # the finished demo's folder, run again
    output, renders = run_demo_cli(directory)
    again = status(directory)
    assert rendered_once_each(renders, again), renders
    assert again["winners"] == first["winners"]
    assert [a["id"] for a in again["applications"]] == [a["id"] for a in first["applications"]]
    assert len(again["documents"]) == len(first["documents"])


def test_without_libreoffice_the_demo_says_in_one_line_how_to_get_the_pdf(demo, finished_demo):
    _, output, _, st = demo
    directory = finished_demo.built_in  # the folder the demo ran in, as its output names it
    about_pdf = [line for line in output.splitlines() if "results.pdf" in line]
    if shutil.which("soffice") or shutil.which("libreoffice"):
        assert about_pdf == [] and "results_pdf" in {d["kind"] for d in st["documents"]}
    else:
        assert len(about_pdf) == 1, about_pdf
        assert "LibreOffice орнатылмаған" in about_pdf[0] and "apt-get install libreoffice-writer" in about_pdf[0]
        assert about_pdf[0].endswith(f"contest demo {directory}")


def load_config_quietly(directory: Path):
    from pipelines.config import load_config

    return load_config(directory / "contest.yaml", environ={})


def _members(config):
    c = config.commissions
    return (
        [m for ms in c.departments.values() for m in ms]
        + [m for ms in c.faculties.values() for m in ms]
        + list(c.contest)
    )


def test_the_demo_never_overwrites_a_real_edition(tmp_path):
    real = tmp_path / "edition-2027"
    (real / "workspace").mkdir(parents=True)
    (real / "contest.yaml").write_text("edition: {name: real, year: 2027}\n", encoding="utf-8")
    (real / "workspace" / "control.xlsx").write_bytes(b"the real registry")
    result = invoke("demo", str(real))
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and "демо жасамаған" in result.stderr
    assert "созданные не демо" in result.stderr
    assert "Traceback" not in result.output
    assert (real / "contest.yaml").read_text(encoding="utf-8") == "edition: {name: real, year: 2027}\n"
    assert (real / "workspace" / "control.xlsx").read_bytes() == b"the real registry"
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    result = invoke("demo", str(tmp_path / "a-file"))
    assert result.exit_code in (1, 2) and "Traceback" not in result.output
