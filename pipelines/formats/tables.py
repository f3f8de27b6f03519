"""The control tables by key, over any ControlStore, with headers from sheets_schema/tables.yaml.

A person reads the tabs in Kazakh or Russian; the code reads them by column key. Either language's
headers are understood on reading, so switching `language` never strands an old workbook.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import yaml

from pipelines.formats.cells import Keep, fit
from pipelines.ports import ControlStore, TableLayout, comparable  # noqa: F401 - comparable kept importable here

# Package data: found the same way in a checkout and in an installed wheel.
SCHEMA_DIR = files("sheets_schema")
LANGS = ("kk", "ru")


@cache
def schema() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's where installed: the same, faster
    return yaml.load((SCHEMA_DIR / "tables.yaml").read_text(encoding="utf-8"), Loader=loader)


def columns(table: str) -> list[str]:
    return [c["key"] for c in schema()[table]["columns"]]


def headers(table: str, lang: str) -> list[str]:
    return [c[lang] for c in schema()[table]["columns"]]


def title(table: str, lang: str) -> str:
    return schema()[table]["title"][lang]


@cache
def layout(table: str) -> TableLayout:
    """How the table is shown to a person: widths, wrapped columns, frozen key columns (tables.yaml)."""
    cols = schema()[table]["columns"]
    return TableLayout(
        widths=tuple(int(c.get("width", 14)) for c in cols),
        wrapped=tuple(i for i, c in enumerate(cols) if c.get("wrap")),
        frozen_columns=int(schema()[table].get("frozen", 0)),
        hidden=tuple(i for i, c in enumerate(cols) if c.get("hidden")),
        dates=tuple(i for i, c in enumerate(cols) if c.get("date")),
    )


class Tables:
    """`keep` keeps a text too long for a cell, or holding characters no cell can hold, whole
    outside the table (pipelines/formats/cells.py); the cell names where."""

    def __init__(self, store: ControlStore, lang: str, keep: Keep | None = None):
        self.store, self.lang, self.keep = store, lang, keep
        self.foreign: set[str] = set()  # the tables read found under the other language's title

    def read(self, table: str) -> list[dict[str, Any]]:
        return self.read_all([table])[table]

    def read_all(self, tables: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Several tables in one read of the store, each under its title in either language."""
        titles = [schema()[t]["title"][lang] for t in tables for lang in self._langs()]
        found = self.store.read_tables(list(dict.fromkeys(titles)))
        out = {}
        for table in tables:
            spec = schema()[table]
            by_header = {c[lang]: c["key"] for c in spec["columns"] for lang in LANGS}
            by_header.update({c["key"]: c["key"] for c in spec["columns"]})
            lang = next((lang for lang in self._langs() if found.get(spec["title"][lang])), self.lang)
            rows = found.get(spec["title"][lang]) or []
            if lang != self.lang:
                self.foreign.add(table)
            keys = [by_header.get(h, h) for h in rows[0]] if rows else []  # a table's rows share its header
            out[table] = [dict(zip(keys, row.values())) for row in rows]
        return out

    def _langs(self) -> tuple[str, ...]:
        return (self.lang, *[x for x in LANGS if x != self.lang])

    def write(self, tables: dict[str, list[dict[str, Any]]]) -> list[str]:
        """Replace whole tables in one store call; returns the keys of the tables that changed."""
        payload, names, layouts = {}, {}, {}
        for table, rows in tables.items():
            keys = columns(table)
            name = title(table, self.lang)
            names[name] = table
            payload[name] = (
                headers(table, self.lang),
                [[fit(_cell(row.get(k)), self.keep) for k in keys] for row in rows],
            )
            layouts[name] = layout(table)
        return [names[n] for n in self.store.write_tables(payload, layouts)]

    def append(self, table: str, rows: list[dict[str, Any]]) -> None:
        keys = columns(table)
        self.store.append_rows(
            title(table, self.lang),
            headers(table, self.lang),
            [[fit(_cell(row.get(k)), self.keep) for k in keys] for row in rows],
            layout(table),
        )


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    return value
