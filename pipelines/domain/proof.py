"""Protocols that prove their data (issue 22; 13: change control): a SHA-256 over a canonical form of
every score a close used, per rating sheet and per group, chained from one close to the next.

Pure: no I/O. jobs/verify.py writes the chain into the journal at each close and checks it again
from the frozen sheets.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from pipelines.domain.models import Rating

GENESIS = "0" * 64  # the "previous" digest of the first link


def canonical_rating(rating: Rating, keys: Sequence[str]) -> list[str]:
    """One rating as lines that do not depend on how it was read: expert (lower case), DER, each
    criterion's value (an invalid value as typed, a blank as empty), the recusal mark."""
    expert = rating.expert_email.strip().lower()
    lines = []
    for key in keys:
        score = rating.scores.get(key)
        raw = rating.raw.get(key)
        value = str(score) if score is not None else "" if raw is None else f"raw:{str(raw).strip()}"
        lines.append(f"{expert}\t{rating.application_id}\t{key}\t{value}")
    if rating.recused:
        lines.append(f"{expert}\t{rating.application_id}\trecused\t1")
    return lines


def scores_digest(ratings: Iterable[Rating], keys: Sequence[str]) -> str:
    """SHA-256 of the sorted canonical lines of these ratings (the last rating of an expert and DER)."""
    latest: dict[tuple[str, str], Rating] = {}
    for r in ratings:
        latest[(r.expert_email.strip().lower(), r.application_id)] = r
    lines = sorted(line for r in latest.values() for line in canonical_rating(r, keys))
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def link_digest(previous: str, body: dict[str, Any]) -> str:
    """The digest of one link of the chain: the previous link's digest and this close's content."""
    text = json.dumps({"previous": previous, **body}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
