"""tools/build_templates.py: the generator of the first templates stays a working one, and never
replaces the templates staff edited unless told to (--force). The shipped templates' own contract
tests are in tests/test_documents.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from docxtpl import DocxTemplate

from pipelines.formats import documents as D

TOOL = Path(__file__).resolve().parents[1] / "tools" / "build_templates.py"


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("build_templates", TOOL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_it_is_outside_the_package_and_says_so_at_the_top():
    assert not (Path(D.__file__).parents[1] / "docx_templates" / "build_templates.py").exists()
    assert TOOL.read_text(encoding="utf-8").startswith('"""!!! DANGER: this script OVERWRITES')


def test_without_force_it_refuses_to_overwrite_and_writes_nothing(tool, tmp_path, capsys):
    edited = tmp_path / "form02.kk.docx"
    edited.write_bytes(b"staff's edited template")
    assert tool.main([str(tmp_path)]) == 2
    assert "refused" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["form02.kk.docx"]
    assert edited.read_bytes() == b"staff's edited template"
    assert tool.main([]) == 2  # no folder named: never the package's templates by default


def test_what_it_builds_fills_the_documents_contract(tool, tmp_path):
    written = tool.build_all(tmp_path / "out")
    assert sorted(p.name for p in written) == sorted(f"{k}.{lang}.docx" for k in D.KINDS for lang in D.LANGS)
    for path in written:
        kind = path.name.split(".")[0]
        used = set(DocxTemplate(str(path)).get_undeclared_template_variables())
        assert used and used <= D.CONTEXT_KEYS[kind], (path.name, used - D.CONTEXT_KEYS[kind])
        assert D.CONTEXT_KEYS[kind] - D.COMMON_KEYS - D.OFFERED_KEYS <= used, (path.name, D.CONTEXT_KEYS[kind] - used)
    again = tool.build_all(tmp_path / "out", force=True)  # --force: on purpose
    assert again == written
