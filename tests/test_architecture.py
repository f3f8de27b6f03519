"""docs/architecture.md's module map is the tree: every module under pipelines/ is named at its place,
and every module it names exists. Both lists are computed, so after a move only the map's line moves."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAP_LINE = re.compile(r"^( *)((?:[\w.]+(?:/|\.py))(?:, *[\w.]+(?:/|\.py))*)(?=\s|:|$)")


def map_block() -> list[str]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    start = text.index("```\npipelines/\n") + 4
    return text[start : text.index("```", start)].splitlines()


def named_in_map(lines: list[str]) -> set[str]:
    """Every path the map names ("pipelines/backends/local/store.py", folders with a trailing /),
    each line's place in the tree given by its indentation (two spaces a level)."""
    names: set[str] = set()
    folders: list[tuple[int, str]] = []  # (indentation, path) of the folders above this line
    for line in lines:
        found = MAP_LINE.match(line)
        if not found:
            continue  # a description's continuation
        indent = len(found.group(1))
        folders = [(i, p) for i, p in folders if i < indent]
        if indent != (folders[-1][0] + 2 if folders else 0):
            continue  # deeper than a name under its folder: prose that starts with a file name
        parent = folders[-1][1] if folders else ""
        for name in re.split(r", *", found.group(2)):
            names.add(parent + name)
            if name.endswith("/"):
                folders.append((indent, parent + name))
    return names


def modules_in_tree() -> set[str]:
    """Every module of the package, a folder's __init__.py standing for the folder."""
    out = set()
    for path in (ROOT / "pipelines").rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        out.add(rel[: -len("__init__.py")] if path.name == "__init__.py" else rel)
    return out


def test_every_module_of_the_package_is_named_in_the_map():
    named = named_in_map(map_block())
    missing = sorted(m for m in modules_in_tree() if m not in named)
    assert not missing, f"docs/architecture.md's map does not name: {missing}"


def test_every_module_the_map_names_exists():
    named = {n for n in named_in_map(map_block()) if n.startswith("pipelines/")}
    gone = sorted(n for n in named if not (ROOT / n).exists())
    assert not gone, f"docs/architecture.md's map names what the tree does not have: {gone}"


def test_the_map_reader_places_names_by_indentation():
    lines = [
        "pipelines/",
        "  a.py          what it is",
        "  sub/",
        "    b.py, c.py  two",
        "                x.py in prose",
        "  d.py",
    ]
    assert named_in_map(lines) == {
        "pipelines/",
        "pipelines/a.py",
        "pipelines/sub/",
        "pipelines/sub/b.py",
        "pipelines/sub/c.py",
        "pipelines/d.py",
    }
