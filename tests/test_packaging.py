"""What the product package ships: its data found through importlib.resources (the same in a checkout
and in an installed wheel), no import of the Google fake (a development package outside the wheel),
and `contest demo --backend google-fake` that finds the fake only where it is installed."""

from __future__ import annotations

import ast
import sys
from importlib.resources import files
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines import i18n
from pipelines.cli import cli
from pipelines.demo import DemoError, demo_backend, run_demo

ROOT = Path(__file__).resolve().parent.parent
FAKE = "google_fake"


def test_the_schemas_templates_and_example_are_package_resources():
    for name in ("form_fields.yaml", "messages.yaml", "rating_sheet.yaml", "tables.yaml"):
        assert files("sheets_schema").joinpath(name).is_file(), name
    from pipelines.formats import documents

    for kind in documents.KINDS:
        for lang in documents.LANGS:
            assert files("docx_templates").joinpath(f"{kind}.{lang}.docx").is_file(), (kind, lang)
    assert files("examples").joinpath("atu-2027", "contest.yaml").is_file()


def test_the_product_reads_its_data_through_the_resource_packages(monkeypatch):
    from pipelines import demo, i18n
    from pipelines.formats import documents, forms, rating_sheet, tables

    schemas = files("sheets_schema")
    assert tables.SCHEMA_DIR == schemas
    assert {i18n.MESSAGES, rating_sheet.SCHEMA_PATH, forms.SCHEMA} == {
        schemas / "messages.yaml",
        schemas / "rating_sheet.yaml",
        schemas / "form_fields.yaml",
    }
    assert demo.EXAMPLE == files("examples") / "atu-2027" / "contest.yaml"
    monkeypatch.delenv("CONTEST_TEMPLATES", raising=False)
    assert str(documents.templates_dir()) == str(files("docx_templates"))


def test_the_package_data_is_declared_for_the_wheel():
    import tomllib

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert set(setuptools["packages"]["find"]["include"]) == {
        "pipelines*",
        "sheets_schema",
        "docx_templates",
        "examples",
    }
    assert setuptools["package-data"] == {
        "sheets_schema": ["*.yaml"],
        "docx_templates": ["*.docx"],
        "examples": ["atu-2027/contest.yaml"],
    }


def fake_imports(text: str) -> list[tuple[int, str]]:
    """(line, module) of each import of google_fake in a source text, also through a string
    (importlib.import_module, an entry point)."""
    found = []
    for node in ast.walk(ast.parse(text)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value.split(":")[0]]
        found += [(node.lineno, name) for name in names if name == FAKE or name.startswith(FAKE + ".")]
    return found


def test_no_product_module_imports_the_fake():
    sources = sorted((ROOT / "pipelines").rglob("*.py"))
    assert len(sources) > 20
    found = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in sources
        for line, name in fake_imports(path.read_text(encoding="utf-8"))
    ]
    assert found == []
    assert not (ROOT / "pipelines" / FAKE).exists()


def test_the_scan_sees_every_way_of_importing_the_fake():
    text = (
        "import google_fake\nfrom google_fake.demo import x\nimport importlib\n"
        "importlib.import_module('google_fake.demo')\nimport google_fakes_other\n"
        "from .google_fake import y\nNOTE = 'google_fake is a test package'\n"
    )
    assert fake_imports(text) == [(1, "google_fake"), (2, "google_fake.demo"), (4, "google_fake.demo")]


def test_the_demo_finds_the_fake_through_its_entry_point():
    from google_fake.demo import demo_workspace_factory

    assert demo_backend("google-fake") is demo_workspace_factory


def test_without_the_fake_the_demo_says_it_needs_the_development_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, FAKE, None)  # as in an installed wheel: the module is not there
    monkeypatch.delitem(sys.modules, FAKE + ".demo", raising=False)
    with pytest.raises(DemoError, match="нужна установка разработчика"):
        next(run_demo(tmp_path / "demo", backend="google-fake"))
    assert not (tmp_path / "demo").exists()  # refused before writing anything

    result = CliRunner().invoke(cli, ["demo", str(tmp_path / "demo"), "--backend", "google-fake"])
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr == f"Error: {i18n.both('demo_needs_dev', backend='google-fake')}\n"  # no config read yet


def test_a_backend_that_itself_misses_a_module_is_not_hidden(tmp_path, monkeypatch):
    (tmp_path / "probe_backend.py").write_text("import missing_dependency_of_the_probe\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    from importlib.metadata import EntryPoint

    probe = EntryPoint(name="probe", value="probe_backend:factory", group="contest.demo_backends")
    monkeypatch.setattr("importlib.metadata.entry_points", lambda **kw: [probe])
    with pytest.raises(ModuleNotFoundError, match="missing_dependency_of_the_probe"):
        demo_backend("probe")
