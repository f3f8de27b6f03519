"""Builders shared by test_assignment.py and test_scoring.py: a small config, DERs, ratings."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from pipelines.config import Config
from pipelines.domain.models import Application, Assignment, Author, Decision, Expert, Rating, Response, Status
from pipelines.domain.rules import Criterion, ScoringRules

KEYS = ["completeness", "text_quality", "video_quality", "design", "interactivity", "tests", "impression"]

BASE: dict[str, Any] = {
    "edition": {"name": "ATU best DER 2026", "year": 2026},
    "calendar": {
        "announcement": "2026-01-05T09:00",
        "intake_open": "2026-01-20T09:00",
        "intake_close": "2026-02-20T18:00",
        "stage1_close": "2026-03-10T18:00",
        "stage2_close": "2026-03-31T18:00",
        "stage3_close": "2026-04-20T18:00",
    },
    "faculties": [
        {
            "id": "FIT",
            "name_kk": "Ақпараттық технологиялар факультеті",
            "name_ru": "Факультет информационных технологий",
            "departments": [
                {"id": "IS", "name_kk": "Ақпараттық жүйелер", "name_ru": "Информационные системы"},
                {"id": "CS", "name_kk": "Компьютерлік ғылымдар", "name_ru": "Компьютерные науки"},
            ],
        },
        {
            "id": "FFT",
            "name_kk": "Тағам технологиялары факультеті",
            "name_ru": "Факультет пищевых технологий",
            "departments": [{"id": "FT", "name_kk": "Тағам технологиясы", "name_ru": "Технология пищевых продуктов"}],
        },
    ],
    "commissions": {
        "departments": {
            "IS": [
                {"name": "Абенов Данияр Болатович", "email": "abenov@atu.kz", "department": "IS"},
                {"name": "Серикова Алия", "email": "serikova@atu.kz", "department": "IS"},
                {"name": "Жумабаев Ерлан", "email": "zhumabaev@atu.kz", "department": "IS"},
            ],
            "FT": [
                {"name": "Ким Ольга", "email": "kim@atu.kz", "department": "FT"},
                {"name": "Омаров Бахыт", "email": "omarov@atu.kz", "department": "FT"},
            ],
        },
        "faculties": {
            "FIT": [
                {"name": "Нурланова Гульмира", "email": "nurlanova@atu.kz", "department": "IS"},
                {"name": "Ли Виктор", "email": "li@atu.kz", "department": "CS"},
                {"name": "Сатпаев Асет", "email": "satpayev@atu.kz", "department": "CS"},
            ],
        },
        "contest": [
            {"name": "Председатель Комиссии", "email": "chair@atu.kz"},
            {"name": "Эксперт Второй", "email": "second@atu.kz"},
            {"name": "Эксперт Третий", "email": "third@atu.kz"},
        ],
    },
}


def make_config(**overrides: Any) -> Config:
    """The base config with top-level keys replaced (e.g. scoring={...}, language="ru")."""
    data = copy.deepcopy(BASE)
    data.update(overrides)
    return Config.model_validate(data)


def make_rules(**overrides: Any) -> ScoringRules:
    """Scoring rules with the seven criteria of form 02 and the regulation's quotas; fields replaced."""
    return ScoringRules(criteria=tuple(Criterion(k, k, k) for k in KEYS), **overrides)


def make_app(
    app_id: str,
    title: str | None = None,
    *,
    dep: str | None = "IS",
    fac: str | None = "FIT",
    authors: list[tuple[str, str]] | None = None,
    email: str = "author@atu.kz",
    authors_raw: str | None = None,
    status: Status = Status.ACCEPTED,
) -> Application:
    authors = [("Тестов Автор", "author@atu.kz")] if authors is None else authors
    response = Response(
        row_key=app_id,
        row_number=1,
        submitted_at=datetime(2026, 2, 1, 10, 0),
        respondent_email=email,
        faculty=fac or "",
        department=dep or "",
        title=title or f"Ресурс {app_id}",
        authors=[Author(name, "доцент", contact) for name, contact in authors],
        authors_raw=authors_raw if authors_raw is not None else "; ".join(n for n, _ in authors),
        languages=["kk"],
        der_type="10 тақырып",
        justification="",
        link=f"https://skills.atu.kz/course/{app_id}",
        act_files=[],
        certificate_files=[],
        raw={},
    )
    return Application(id=app_id, response=response, status=status, reasons=[], faculty_id=fac, department_id=dep)


def expert(
    email: str, name: str | None = None, department: str | None = None, conflicts: tuple[str, ...] = ()
) -> Expert:
    return Expert(name or email.split("@")[0].title(), email, department, conflicts)


def rating(email: str, app_id: str, *scores: int | None) -> Rating:
    """A rating: one score repeated for every criterion, or one per criterion."""
    values = list(scores) * len(KEYS) if len(scores) == 1 else list(scores)
    return Rating(email, app_id, dict(zip(KEYS, values)))


def assignments(group: str, emails: list[str], app_ids: list[str], stage: int = 1) -> list[Assignment]:
    return [Assignment(stage, group, expert(e), list(app_ids)) for e in emails]


def decision(
    kind: str,
    apps: list[str],
    *,
    stage: int | None = 1,
    group: str | None = "IS",
    order: list[str] | None = None,
    at: datetime = datetime(2026, 3, 11, 10, 0),
) -> Decision:
    return Decision(
        kind=kind,
        stage=stage,
        group=group,
        applications=list(apps),
        by="Комиссия",
        at=at,
        reason="протокол №3",
        order=list(order or []),
    )
