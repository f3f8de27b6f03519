"""How wide a printed sheet comes out: the scale at which a sheet of columns prints so that its text
stays readable on paper (issue 20: a rating sheet fitted to one page wide printed at about 5 pt).

Pure arithmetic on column widths in characters (the unit .xlsx files keep them in); the local backend
writes the result as the sheet's print setup. Google Sheets has no print setup in its API: a person
printing from the browser chooses the scale in the print dialog.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

A4_LANDSCAPE_WIDTH_PT = 842.0
MIN_PRINTED_PT = 8.0  # the smallest type a printed form may have
MAX_PAGES_WIDE = 2


def column_points(width_chars: float, char_px: float = 9.5) -> float:
    """A column's width in points as printed: `width` characters of the default font's digit plus
    5 px of padding, 0.75 pt a pixel. The digit is taken wide: 7 px with Calibri 11 in Excel, about
    9.5 px where LibreOffice lays Calibri out in a substitute (measured on its PDF): with the wider
    one the sheet fits its pages in both."""
    return 0.0 if width_chars <= 0 else (width_chars * char_px + 5) * 0.75


@dataclass(frozen=True)
class PrintFit:
    """One page wide (`scale` None: fitted to the page's width by the program), or a fixed `scale`
    in percent at which the sheet prints `pages_wide` pages wide."""

    scale: int | None
    pages_wide: int
    printed_pt: float  # the font's size on paper


def pages_wide(widths_pt: Sequence[float], page_pt: float) -> int:
    """Pages a row of columns takes when each page holds `page_pt` points (a page ends at a column's edge)."""
    pages, used = 1, 0.0
    for w in widths_pt:
        if used + w > page_pt and used > 0:
            pages, used = pages + 1, 0.0
        used += w
    return pages


def fit(
    widths_chars: Sequence[float],
    hidden: Sequence[int],
    font_pt: float,
    margins_in: float,
    *,
    page_pt: float = A4_LANDSCAPE_WIDTH_PT,
    min_pt: float = MIN_PRINTED_PT,
    max_pages: int = MAX_PAGES_WIDE,
) -> PrintFit:
    """The print scale of a sheet: one page wide when its type stays at least `min_pt` there; else the
    largest scale (at most 100 %) at which it prints `max_pages` pages wide, never below the scale
    that keeps `min_pt` (a very wide sheet then takes more pages, still readable)."""
    shown = [column_points(w) for i, w in enumerate(widths_chars) if i not in hidden]
    printable = page_pt - 2 * 72 * margins_in
    total = sum(shown) or 1.0
    one_page = min(1.0, printable / total)
    if font_pt * one_page >= min_pt:
        return PrintFit(None, 1, round(font_pt * one_page, 2))
    floor = -(-100 * min_pt // font_pt)  # the smallest whole percent that keeps min_pt
    scale = 100
    while scale > floor and pages_wide(shown, printable * 100 / scale) > max_pages:
        scale -= 1
    scale = int(max(scale, floor))
    return PrintFit(scale, pages_wide(shown, printable * 100 / scale), round(font_pt * scale / 100, 2))
