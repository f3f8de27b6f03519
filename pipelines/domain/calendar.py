"""The working-day rule of the announcement (9.1). Pure: holidays come in. What is due when lives in
lifecycle.py."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from pipelines.domain.models import Notice, Reason

ANNOUNCEMENT_WORKING_DAYS = 10


def is_working_day(day: date, holidays: Iterable[date]) -> bool:
    """A working day is Monday–Friday and not a public holiday of Kazakhstan (9.1)."""
    return day.weekday() < 5 and day not in set(holidays)


def working_days_between(start: date, end: date, holidays: Iterable[date]) -> int:
    """Working days strictly after `start` and strictly before `end`."""
    off = set(holidays)
    count, day = 0, start + timedelta(days=1)
    while day < end:
        count += is_working_day(day, off)
        day += timedelta(days=1)
    return count


def announcement_in_time(*, announcement: date, intake_open: date, holidays: Iterable[date]) -> list[Reason]:
    """9.1, 13.2: the announcement is published at least 10 working days before intake opens."""
    days = working_days_between(announcement, intake_open, holidays)
    # The announcement day itself counts when it is a working day: "no later than 10 working days before".
    days += is_working_day(announcement, holidays)
    if days >= ANNOUNCEMENT_WORKING_DAYS:
        return []
    return [
        Reason(
            "announcement_too_late",
            "9.1",
            Notice(
                "check_announcement_late",
                announcement=f"{announcement:%d.%m.%Y}",
                days=days,
                intake_open=f"{intake_open:%d.%m.%Y}",
                needed=ANNOUNCEMENT_WORKING_DAYS,
            ),
        )
    ]
