"""The import rules of docs/architecture.md: cli → jobs → domain, jobs → ports ← backends."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pipelines"


def imports(path: Path) -> set[str]:
    """Every module a file imports (absolute names), at any depth of the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


@pytest.mark.parametrize("path", modules("domain"), ids=lambda p: p.name)
def test_the_domain_imports_nothing_outside_itself(path):
    outside = {m for m in imports(path) if m.startswith("pipelines") and not m.startswith("pipelines.domain")}
    assert not outside, f"{path.name} imports {sorted(outside)}"


@pytest.mark.parametrize("path", modules("jobs"), ids=lambda p: p.name)
def test_jobs_reach_backends_only_through_the_ports(path):
    assert not {m for m in imports(path) if m.startswith("pipelines.backends")}


@pytest.mark.parametrize("path", modules("backends"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_backends_import_no_job_and_no_layout(path):
    upward = (
        "pipelines.jobs",
        "pipelines.formats.rating_sheet",
        "pipelines.formats.tables",
        "pipelines.formats.registry",
        "pipelines.cli",
    )
    assert not {m for m in imports(path) if m.startswith(upward)}


def test_the_rules_are_checked_on_real_files():
    assert len(modules("domain")) >= 8 and len(modules("jobs")) >= 8 and len(modules("backends")) >= 6
    assert "pipelines.domain.models" in imports(PACKAGE / "domain" / "scoring.py")
