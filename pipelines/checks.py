"""check-config: the rules a config must meet beyond its shape (9.1 working days, commissions)."""

from __future__ import annotations

from datetime import datetime

import holidays as holiday_calendars

from pipelines.config import Config
from pipelines.domain.calendar import announcement_in_time
from pipelines.domain.models import Notice, Reason


def kazakhstan_holidays(*years: int) -> set:
    """Kazakhstan's public holidays (the `holidays` package), which are not working days (9.1)."""
    return set(holiday_calendars.country_holidays("KZ", years=sorted(set(years))).keys())


def check_config(config: Config) -> list[Reason]:
    cal = config.calendar
    announcement = cal.announcement.astimezone(config.zone).date()
    intake_open = cal.intake_open.astimezone(config.zone).date()
    off = kazakhstan_holidays(announcement.year, intake_open.year)
    problems = announcement_in_time(announcement=announcement, intake_open=intake_open, holidays=off)
    for faculty in config.faculties:
        for department in faculty.departments:
            if department.id not in config.commissions.departments:
                problems.append(
                    Reason(
                        "commission_missing",
                        "9.4.1",
                        f"commissions.departments.{department.id}: no commission for department {department.name_ru!r}",
                    )
                )
        if faculty.id not in config.commissions.faculties:
            problems.append(
                Reason(
                    "commission_missing",
                    "9.4.2",
                    f"commissions.faculties.{faculty.id}: no expert commission for faculty {faculty.name_ru!r}",
                )
            )
    if not config.commissions.contest:
        problems.append(Reason("commission_missing", "9.4.3", "commissions.contest: the contest commission is empty"))
    return problems


def config_warnings(config: Config, now: datetime) -> list[Reason]:
    """What does not stop a job but must be filled in before it is needed."""
    warnings = []
    ceremony = config.ceremony
    if now < config.calendar.stage3_close and (ceremony.at is None or not ceremony.place.strip()):
        missing = " and ".join(
            k for k, v in (("ceremony.at", ceremony.at), ("ceremony.place", ceremony.place)) if not v
        )
        detail = Notice(
            "ceremony_missing",
            "{missing}: the results announce the award ceremony's time and place; set them before "
            "stage 3 closes ({deadline})",
            missing=missing,
            deadline=f"{config.calendar.stage3_close.astimezone(config.zone):%d.%m.%Y}",
        )
        warnings.append(Reason("ceremony_missing", "11.4", detail))
    return warnings
