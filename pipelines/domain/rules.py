"""The small frozen values the rules take: not the edition's whole config.

The config module builds them (`Config.scoring_rules()`, `Config.organisation()`,
`Config.intake_rules()`, `Config.dates()`); a domain test builds only the one it needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from pipelines.domain.models import Decision, Expert


@dataclass(frozen=True)
class Criterion:
    """One indicator of form 02, scored from `min` to `max` (10, form 02)."""

    key: str
    kk: str
    ru: str
    min: int = 1
    max: int = 10

    def label(self, lang: str) -> str:
        return self.kk if lang == "kk" else self.ru


@dataclass(frozen=True)
class Unit:
    """A department (or a faculty, with its departments) as the config lists it."""

    id: str
    name_kk: str
    name_ru: str
    spellings: tuple[str, ...] = ()
    departments: tuple[Unit, ...] = ()

    def name(self, lang: str) -> str:
        return self.name_kk if lang == "kk" else self.name_ru


@dataclass(frozen=True)
class ScoringRules:
    """How a group is ranked and cut (9.4.1, 9.4.2, 11.2, 11.3)."""

    criteria: tuple[Criterion, ...]
    department_quota: int = 3  # 9.4.1
    faculty_quota: int = 2  # 9.4.2
    prize_places: int = 3  # 11.3, 11.5
    aggregate: str = "mean"  # mean | sum of the experts' totals
    min_experts: int = 2
    tie_break: str = "none"  # none | criterion:<key>
    exclude_same_department: bool = False  # stages 2-3

    def quota(self, stage: int) -> int:
        """Up to 3 per department (9.4.1), the 2 best per faculty (9.4.2), the prize places (11.3)."""
        return {1: self.department_quota, 2: self.faculty_quota, 3: self.prize_places}[stage]

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.criteria]


@dataclass(frozen=True)
class FairnessRules:
    """The annex's thresholds (domain/fairness.py): when a DER's spread needs discussion, how many
    ratings an expert needs before their habits are normalised. Evidence only, never the result."""

    spread_flag: float = 15.0  # points between the highest and the lowest expert total
    min_ratings: int = 3


@dataclass(frozen=True)
class Organisation:
    """Faculties, departments and the commissions of each stage (9.4, section 12)."""

    faculties: tuple[Unit, ...]
    department_commissions: Mapping[str, tuple[Expert, ...]] = field(default_factory=dict)
    faculty_commissions: Mapping[str, tuple[Expert, ...]] = field(default_factory=dict)
    contest_commission: tuple[Expert, ...] = ()
    language: str = "kk"

    def departments(self) -> dict[str, tuple[Unit, Unit]]:
        """department id -> (faculty, department)."""
        return {d.id: (f, d) for f in self.faculties for d in f.departments}


@dataclass(frozen=True)
class PreviousWinner:
    """A DER that won or placed in an earlier edition (9.9)."""

    title: str
    link: str = ""
    authors: tuple[str, ...] = ()
    year: int | None = None


@dataclass(frozen=True)
class IntakeRules:
    """What the intake rules need: the window (9.8), the units (form 01.1-2), the winners (9.9)."""

    intake_open: datetime
    intake_close: datetime
    zone: tzinfo
    faculties: tuple[Unit, ...]
    previous_winners: tuple[PreviousWinner, ...] = ()
    decisions: tuple[Decision, ...] = ()
    link_hosts: tuple[str, ...] = ()  # the platforms a DER's link may be on (form 01 note); () = any


@dataclass(frozen=True)
class Dates:
    """The calendar of the rector's order (9.1): intake window and each stage's deadline."""

    intake_open: datetime
    intake_close: datetime
    stage_closes: tuple[datetime, datetime, datetime]

    def stage_close(self, stage: int) -> datetime:
        return self.stage_closes[stage - 1]
