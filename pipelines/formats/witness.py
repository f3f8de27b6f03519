"""A person's edit of the control tables, named (issue 23 item 1).

Every store keeps the tables as the product last wrote them (local: the workbook's bytes in the
workspace database; Google: see backends/google/control.py) and, at each read, compares what it finds
with them: `table_edits` names each difference — tab, row, cell, before -> after — and `ControlEdited`
stops the job, in Kazakh or Russian, with the two ways out: put the version back, or accept the edit
by a recorded command (`contest accept-edits --reason ...`, written to the journal). A tab renamed or
deleted, or a header typed over, cannot be accepted: the product would take the tab for a new, empty
one (a journal renamed would send every notice again); it is renamed back or restored.

The progress tab is exempt: every tick rewrites it from the rating sheets (jobs/status.py), so an edit
there changes nothing that happens next.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from typing import Any

from pipelines import i18n
from pipelines.formats.tables import LANGS, schema
from pipelines.ports import BackendError, a1, comparable

SHOWN = 12  # edits named in the message; the rest counted
# copy_clash: two protected tabs titled as one table's written copy (Google): neither is believed
STRUCTURAL = ("tab_missing", "tab_renamed", "header", "copy_clash")


@dataclass(frozen=True)
class TableEdit:
    """One difference between a tab as the product last wrote it and as it is now."""

    tab: str
    # "cell" | "row_added" | "row_deleted" | "header" | "tab_missing" | "tab_renamed"; Google alone:
    # "copy_missing" (the table's written copy deleted or renamed: accepted as it is, never undone)
    # and "copy_clash" (after: the titles of the tabs that claim to be its copy)
    kind: str
    row: int = 0  # 1-based, as a person sees it (the header is row 1)
    cell: str = ""  # A1
    before: str = ""
    after: str = ""  # for "tab_renamed": the tab's title now

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in ("", 0)}

    def say(self, lang: str) -> str:
        return i18n.text(f"edit_{self.kind}", lang, **asdict(self))


def exempt(title: str) -> bool:
    """Tabs whose edits change nothing: the progress tab (rewritten by every tick)."""
    return title in set(schema()["progress"]["title"].values())


def known_titles() -> set[str]:
    return {spec["title"][lang] for spec in schema().values() for lang in LANGS}


def table_edits(tab: str, written: list[list[Any]], found: list[list[Any]]) -> list[TableEdit]:
    """What a person changed in `tab`: rows matched as whole rows first, so that a row deleted or
    added in the middle is named as such, not as every row below it changed."""
    if exempt(tab):
        return []
    before, after = comparable(written), comparable(found)
    if before == after:
        return []
    edits: list[TableEdit] = []
    if before[:1] != after[:1]:
        head_before, head_after = (before[:1] or [[]])[0], (after[:1] or [[]])[0]
        edits += _cells(tab, 0, head_before, head_after, "header")
    matcher = SequenceMatcher(None, [tuple(r) for r in before[1:]], [tuple(r) for r in after[1:]], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            for k in range(i2 - i1):
                edits += _cells(tab, j1 + k + 1, before[1 + i1 + k], after[1 + j1 + k], "cell")
            continue
        for i in range(i1, i2):
            edits.append(TableEdit(tab, "row_deleted", i + 2, before=" | ".join(before[1 + i])))
        for j in range(j1, j2):
            edits.append(TableEdit(tab, "row_added", j + 2, after=" | ".join(after[1 + j])))
    return edits


def _cells(tab: str, row: int, before: list[str], after: list[str], kind: str) -> list[TableEdit]:
    width = max(len(before), len(after))
    before, after = before + [""] * (width - len(before)), after + [""] * (width - len(after))
    return [
        TableEdit(tab, kind, row + 1, a1(row, c), before[c], after[c]) for c in range(width) if before[c] != after[c]
    ]


def tab_edits(written: dict[str, list[list[Any]]], found: dict[str, list[list[Any]]]) -> list[TableEdit]:
    """Every tab the product wrote, against the tabs found by title: a tab gone is named renamed when
    a tab the product never wrote holds exactly its rows (a store that knows its tabs' ids says so
    itself), else missing."""
    edits: list[TableEdit] = []
    strangers = {t: comparable(rows) for t, rows in found.items() if t not in written}
    for tab, rows in written.items():
        if tab in found:
            edits += table_edits(tab, rows, found[tab])
            continue
        if exempt(tab):
            continue
        renamed = next((t for t, r in strangers.items() if r == comparable(rows)), None)
        edits.append(TableEdit(tab, "tab_renamed", after=renamed) if renamed else TableEdit(tab, "tab_missing"))
    return edits


def sheet_edits(
    written: dict[str, list[list[Any]]], found: dict[str, list[list[Any]]], titles: dict[str, str | None]
) -> list[TableEdit]:
    """Every tab the product wrote, for a store that knows each tab by an id that a rename keeps
    (Google's sheetId): `titles[tab]` is the title of that tab now (None: deleted), `found[tab]` its
    rows where they were read (a tab renamed or gone is named as such, its cells not compared)."""
    edits: list[TableEdit] = []
    for tab, rows in written.items():
        if exempt(tab):
            continue
        now = titles.get(tab)
        if now is None:
            edits.append(TableEdit(tab, "tab_missing"))
        elif now != tab:
            edits.append(TableEdit(tab, "tab_renamed", after=now))
        elif tab in found:
            edits += table_edits(tab, rows, found[tab])
    return edits


class EditsSaid(i18n.Said):
    """The stop, worded in the edition's language when it is shown (i18n.error_text)."""

    def __init__(self, where: str, edits: list[TableEdit], restore: tuple[str, dict[str, Any]]):
        self.where, self.edits, self.restore = where, edits, restore
        super().__init__("control_edited")

    def say(self, lang: str | None) -> str:
        if lang is None:
            return "\n".join(self.say(x) for x in LANGS)
        lines = [e.say(lang) for e in self.edits[:SHOWN]]
        if len(self.edits) > SHOWN:
            lines.append(i18n.text("edits_more", lang, count=len(self.edits) - SHOWN))
        kinds = {e.kind for e in self.edits}
        structural = bool(kinds & set(STRUCTURAL))
        way = i18n.text("edits_way_structural" if structural else "edits_way_accept", lang)
        restore = i18n.text(self.restore[0], lang, **self.restore[1])
        if "copy_clash" in kinds:  # the edit itself says what to do
            way = restore = ""
        elif "copy_missing" in kinds:  # nothing to put back: accepted as it is, or fixed by hand
            way, restore = i18n.text("edits_way_no_copy", lang), ""
        said = i18n.text("control_edited", lang, where=self.where, edits="; ".join(lines), way=way, restore=restore)
        return said.rstrip()


class ControlEdited(BackendError):
    """The control tables hold a person's edit the product did not write: the job stops."""

    def __init__(self, where: str, edits: list[TableEdit], restore: tuple[str, dict[str, Any]]):
        said = EditsSaid(where, edits, restore)
        super().__init__(str(said))
        self.edits = edits
        self.__cause__ = said


def acceptable(edits: list[TableEdit]) -> bool:
    return not any(e.kind in STRUCTURAL for e in edits)
