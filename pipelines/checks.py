"""check-config: the rules a config must meet beyond its shape (9.1 working days, commissions)."""

from __future__ import annotations

from datetime import datetime

import holidays as holiday_calendars

from pipelines.config import Config
from pipelines.domain.assignment import aside_notice, stage_groups, stands_aside
from pipelines.domain.calendar import announcement_in_time
from pipelines.domain.models import Application, Notice, Reason


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
                        Notice(
                            "check_no_department_commission",
                            id=department.id,
                            name=department.name(config.language),
                        ),
                    )
                )
        if faculty.id not in config.commissions.faculties:
            problems.append(
                Reason(
                    "commission_missing",
                    "9.4.2",
                    Notice(
                        "check_no_faculty_commission",
                        id=faculty.id,
                        name=faculty.name(config.language),
                    ),
                )
            )
    if not config.commissions.contest:
        problems.append(
            Reason(
                "commission_missing",
                "9.4.3",
                Notice("check_contest_empty"),
            )
        )
    minimum = config.scoring.min_experts
    for where, members in config._commission_lists():
        if members and len(members) < minimum:
            problems.append(
                Reason(
                    "quorum",
                    "11.2",
                    Notice(
                        "check_commission_small",
                        where=where,
                        count=len(members),
                        needed=minimum,
                    ),
                )
            )
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
            missing=missing,
            deadline=f"{config.calendar.stage3_close.astimezone(config.zone):%d.%m.%Y}",
        )
        warnings.append(Reason("ceremony_missing", "11.4", detail))
    return warnings


COMMISSION_KEY = {1: "commissions.departments.{unit}", 2: "commissions.faculties.{unit}", 3: "commissions.contest"}


def quorum_shortfalls(config: Config, applications: list[Application]) -> list[Reason]:
    """Each accepted DER that some stage's commission cannot give `scoring.min_experts` raters once
    its authors (and declared conflicts, and the same department when excluded) stand aside (11.2, 13).
    Every stage is checked for every DER: any of them may be selected for the next one."""
    org, rules = config.organisation(), config.scoring_rules()
    departments = config.departments()
    out = []
    for stage in (1, 2, 3):
        for group, apps in stage_groups(org, stage, applications):
            for app in apps:
                aside = [
                    aside_notice(e, why)
                    for e in group.experts
                    if (why := stands_aside(e, app, stage, rules.exclude_same_department))
                ]
                raters = len(group.experts) - len(aside)
                if group.experts and raters < rules.min_experts:
                    faculty, department = departments.get(app.department_id or "", (None, None))
                    dep = department.name(config.language) if department else app.response.department
                    out.append(
                        Reason(
                            "quorum",
                            "11.2",
                            Notice(
                                "check_quorum_short",
                                where=COMMISSION_KEY[stage].format(unit=group.id),
                                id=app.id,
                                title=app.title,
                                department=dep,
                                count=raters,
                                needed=rules.min_experts,
                                aside=aside,
                            ),
                        )
                    )
    return out
