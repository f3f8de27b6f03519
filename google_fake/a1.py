"""A1 notation: parsing ranges like `'Sheet 1'!A1:C3`, `Sheet1`, `A1:B`, `A:A`, `2:5`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .util import ApiError

_END_RE = re.compile(r"^\$?([A-Za-z]{0,3})\$?(\d*)$")


def col_to_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def index_to_col(index: int) -> str:
    s, n = "", index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        s = chr(65 + rem) + s
    return s


def quote_sheet(title: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title) and not re.fullmatch(r"[A-Za-z]{1,3}\d+", title):
        return title
    return "'" + title.replace("'", "''") + "'"


@dataclass
class A1Range:
    """Half-open zero-based bounds; None = unbounded (to the grid edge)."""

    sheet: str | None
    r0: int = 0
    c0: int = 0
    r1: int | None = None
    c1: int | None = None

    def bounded(self, rows: int, cols: int) -> tuple[int, int, int, int]:
        return (self.r0, self.c0, rows if self.r1 is None else self.r1, cols if self.c1 is None else self.c1)


def unparsable(text: str) -> ApiError:
    return ApiError(400, f"Unable to parse range: {text}")


def _split_sheet(text: str) -> tuple[str | None, str | None, bool]:
    """-> (sheet name or None, cell part or None, sheet_was_explicit)."""
    if text.startswith("'"):
        i, name = 1, []
        while i < len(text):
            if text[i] == "'":
                if i + 1 < len(text) and text[i + 1] == "'":
                    name.append("'")
                    i += 2
                    continue
                break
            name.append(text[i])
            i += 1
        else:
            raise unparsable(text)
        rest = text[i + 1 :]
        if rest == "":
            return "".join(name), None, True
        if not rest.startswith("!"):
            raise unparsable(text)
        return "".join(name), rest[1:], True
    if "!" in text:
        sheet, _, cells = text.partition("!")
        return sheet, cells, True
    return None, text, False


def _endpoint(text: str, whole: str):
    m = _END_RE.match(text.strip())
    if not m or (not m.group(1) and not m.group(2)):
        raise unparsable(whole)
    col = col_to_index(m.group(1)) if m.group(1) else None
    row = int(m.group(2)) - 1 if m.group(2) else None
    if row is not None and row < 0:
        raise unparsable(whole)
    return col, row


def parse_a1(text: str, titles: list[str]) -> A1Range:
    """Parse `text`; a bare word equal to a sheet title means that sheet."""
    text = text.strip()
    if not text:
        raise unparsable(text)
    sheet, cells, explicit = _split_sheet(text)
    lowered = {t.lower(): t for t in titles}
    if not explicit and text.lower() in lowered:
        return A1Range(lowered[text.lower()])
    if sheet is not None:
        if sheet.lower() not in lowered:
            raise unparsable(text)
        sheet = lowered[sheet.lower()]
    if cells is None or cells == "":
        if cells == "":
            raise unparsable(text)
        return A1Range(sheet)
    start, sep, end = cells.partition(":")
    c0, r0 = _endpoint(start, text)
    if not sep:
        if c0 is None or r0 is None:
            raise unparsable(text)
        return A1Range(sheet, r0, c0, r0 + 1, c0 + 1)
    c1, r1 = _endpoint(end, text)
    # "A:B" (cols only), "1:2" (rows only), "A1:B" (open-ended rows) ...
    rng = A1Range(
        sheet,
        0 if r0 is None else r0,
        0 if c0 is None else c0,
        None if r1 is None else r1 + 1,
        None if c1 is None else c1 + 1,
    )
    if (c0 is None) != (c1 is None) and r0 is None:
        raise unparsable(text)
    if rng.r1 is not None and rng.r1 <= rng.r0:
        rng.r0, rng.r1 = rng.r1 - 1, rng.r0 + 1
    if rng.c1 is not None and rng.c1 <= rng.c0:
        rng.c0, rng.c1 = rng.c1 - 1, rng.c0 + 1
    return rng


def format_range(title: str, r0: int, c0: int, r1: int, c1: int) -> str:
    start = f"{index_to_col(c0)}{r0 + 1}"
    if r1 - r0 <= 1 and c1 - c0 <= 1:
        return f"{quote_sheet(title)}!{start}"
    return f"{quote_sheet(title)}!{start}:{index_to_col(max(c1 - 1, c0))}{max(r1, r0 + 1)}"
