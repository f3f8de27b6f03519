"""Dates typed under valueInputOption=USER_ENTERED: Sheets parses them "as if the user typed them
into the UI" (ValueInputOption, Sheets v4 reference) into a serial number — days since 1899-12-30,
the time as the fraction of a day ("Date/Time serial numbers", Sheets API concepts) — and gives the
cell a DATE or DATE_TIME number format. UNFORMATTED_VALUE reads the number back
(dateTimeRenderOption SERIAL_NUMBER, the default) or the formatted text (FORMATTED_STRING);
FORMATTED_VALUE reads the text as the format writes it.

Kept to what the product and its tests type: ISO dates (any locale), the locale's own short form
— DD.MM.YYYY in ru/kk (and the other day-first dotted locales), M/D/YYYY in en_US — each with an
optional HH:MM[:SS]. Anything else stays text, as an impossible date (31.02.2027) does."""

from __future__ import annotations

import datetime as _dt
import re

EPOCH = _dt.datetime(1899, 12, 30)
_TIME = r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?"
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME + "$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})" + _TIME + "$")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})" + _TIME + "$")
DOTTED_LOCALES = ("ru", "kk", "uk", "be", "ky", "uz", "az", "de", "pl", "cs", "tr")


def parse_typed(text: str, locale: str | None) -> tuple[float, dict] | None:
    """(serial number, numberFormat) for a typed date or date-time; None when it is not one."""
    s = text.strip()
    lang = str(locale or "en_US").split("_")[0].lower()
    found = None
    if m := _ISO.match(s):
        y, mo, d, *t = m.groups()
        found, pattern = (y, mo, d, t), "yyyy-mm-dd"
    elif lang in DOTTED_LOCALES and (m := _DOTTED.match(s)):
        d, mo, y, *t = m.groups()
        found, pattern = (y, mo, d, t), "dd.mm.yyyy"
    elif lang == "en" and (m := _SLASHED.match(s)):
        mo, d, y, *t = m.groups()
        found, pattern = (y, mo, d, t), "m/d/yyyy"
    if found is None:
        return None
    y, mo, d, (hh, mm, ss) = found
    try:
        moment = _dt.datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
    except ValueError:
        return None  # 31.02.2027 is text, as in the UI
    serial = (moment - EPOCH).total_seconds() / 86400
    if hh is None:
        return int(serial), {"type": "DATE", "pattern": pattern}
    return serial, {"type": "DATE_TIME", "pattern": pattern + (" hh:mm:ss" if ss else " hh:mm")}


def format_serial(serial: float, number_format: dict) -> str:
    """The text a DATE / DATE_TIME format writes for `serial` (the patterns parse_typed gives)."""
    moment = EPOCH + _dt.timedelta(days=float(serial))
    moment = (moment + _dt.timedelta(microseconds=500_000)).replace(microsecond=0)  # Sheets rounds to seconds
    pattern = str(
        number_format.get("pattern")
        or ("m/d/yyyy hh:mm:ss" if number_format.get("type") == "DATE_TIME" else "m/d/yyyy")
    )
    date_part, _, time_part = pattern.partition(" ")
    if date_part == "yyyy-mm-dd":
        out = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    elif date_part == "dd.mm.yyyy":
        out = f"{moment.day:02d}.{moment.month:02d}.{moment.year:04d}"
    else:
        out = f"{moment.month}/{moment.day}/{moment.year:04d}"
    if time_part:
        out += f" {moment.hour:02d}:{moment.minute:02d}" + (
            f":{moment.second:02d}" if time_part.count(":") == 2 else ""
        )
    return out


def is_date_format(cell: dict) -> dict | None:
    fmt = ((cell.get("userEnteredFormat") or {}).get("numberFormat")) or {}
    return fmt if fmt.get("type") in ("DATE", "DATE_TIME") else None
