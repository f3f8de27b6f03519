"""Who is calling: the fake's own identity (the pipeline's account) by default, or another person
whose token came from `FakeGoogle.token_for(email)` (an expert, CDB). What Google enforces for a
person who is not the file's owner is enforced here on every change to a spreadsheet (access.py
refuses most of it first): a reader, commenter or stranger may change nothing (403), and a
writer may not change a cell under a protected range unless named among its editors or the range
only warns (warningOnly)."""

from __future__ import annotations

from .access import NOT_SHARED, ROLE_RANK, grant_of, role_of
from .util import ApiError

PROTECTED = (
    "You are trying to edit a protected cell or object. Please contact the spreadsheet owner to "
    "remove protection if you need to edit."
)


def caller_of(fake, headers: dict) -> str:
    return grant_of(fake, headers).email


def _covers(rng: dict, sheet_id: int, r: int, c: int) -> bool:
    return (
        rng.get("sheetId", 0) == sheet_id
        and rng.get("startRowIndex", 0) <= r < rng.get("endRowIndex", 10**9)
        and rng.get("startColumnIndex", 0) <= c < rng.get("endColumnIndex", 10**9)
    )


def check_edit(fake, old, new, email: str) -> None:
    """`email` changes spreadsheet `old` into `new`: refused as Google would refuse it."""
    f = fake.files.get(new.id)
    role = role_of(fake, f, email) if f is not None else None
    if role is None or ROLE_RANK.get(role, 0) < ROLE_RANK["writer"]:
        raise ApiError(403, NOT_SHARED)  # as access.check answers it (recorded: see access.py)
    if role in ("owner", "organizer"):
        return
    before = {s.id: s for s in old.sheets} if old is not None else {}
    for sheet in new.sheets:
        prior = before.get(sheet.id)
        if prior is None:
            continue
        changed = {
            k
            for k in set(prior.cells) | set(sheet.cells)
            if (prior.cells.get(k) or {}).get("userEnteredValue") != (sheet.cells.get(k) or {}).get("userEnteredValue")
        }
        for pr in prior.protected_ranges:
            if pr.get("warningOnly") or email in [u.lower() for u in pr.get("editors", {}).get("users", [])]:
                continue
            for r, c in changed:
                if _covers(pr.get("range", {}), sheet.id, r, c) and not any(
                    _covers(u, sheet.id, r, c) for u in pr.get("unprotectedRanges", [])
                ):
                    raise ApiError(400, PROTECTED, reason="badRequest")
