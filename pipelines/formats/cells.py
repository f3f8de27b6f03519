"""What a spreadsheet cell can hold, decided once for every control store (issue 13 item 5).

An .xlsx cell holds at most 32,767 characters and no character XML cannot hold (`UNSTORABLE`); a
Google Sheets cell holds at most 50,000. One pasted character or one very long answer must never block the
edition, and nothing may be lost: the cell gets what it can hold and a note, and the whole text is
kept outside the cell (`keep`, a side file on the edition's drive) and named in the note. The rule
is the same for both backends (the smaller limit), and a fitted cell fits as it is, so a table
written once is unchanged the next time: the registry settles after one write."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

CELL_LIMIT = 32_767  # xlsx; Google Sheets' 50,000 is larger, so one rule serves both
# The one definition of the characters XML cannot hold (XML 1.0, production [2] Char: tab, newline,
# carriage return, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF): the other C0 controls, lone
# surrogates, U+FFFE and U+FFFF. .xlsx and .docx are XML; lxml refuses exactly these (tests/test_cells.py).
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

Keep = Callable[[str], str]  # the whole text -> where it is kept (a path or URL)


def fit(value: Any, keep: Keep | None) -> Any:
    """The value as a cell can hold it: text cleaned of what a cell cannot hold and cut to the
    limit, with a note naming where the whole text is; anything else unchanged."""
    if not isinstance(value, str):
        return value
    # printable text (no control, surrogate or non-character at all: most cells) is kept as it is
    cleaned = value if value.isprintable() else UNSTORABLE.sub("", value.replace("\x0b", "\n"))
    removed = len(value) - len(cleaned)
    if len(cleaned) <= CELL_LIMIT:
        # characters no cell holds dropped (a vertical tab, Word's line break, made a newline);
        # the answer as given stays whole in the registry's raw JSON (`escape_unstorable`)
        return cleaned
    where = keep(value) if keep is not None else "(not kept)"
    notes = [f"{len(value)} characters, more than a cell holds"]
    if removed:
        notes.append(f"{removed} character(s) a spreadsheet cannot hold removed")
    note = f" […] [{'; '.join(notes)}; the whole text: {where}]"
    if len(cleaned) + len(note) > CELL_LIMIT:
        cleaned = cleaned[: CELL_LIMIT - len(note)]
    return cleaned + note


def escape_unstorable(json_text: str) -> str:
    """JSON text with every character no cell can hold written as its \\u escape: still the same
    JSON (it loads back to the exact answer), and storable in any cell."""
    return UNSTORABLE.sub(lambda m: "".join(f"\\u{u:04x}" for u in _utf16(m.group())), json_text)


def _utf16(ch: str) -> list[int]:
    data = ch.encode("utf-16-be", "surrogatepass")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
