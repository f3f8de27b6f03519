"""Helpers for the intake tests: a small edition config and a valid response to vary."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pipelines.config import Config
from pipelines.domain.models import Author, Response

ALMATY = ZoneInfo("Asia/Almaty")

CONFIG = {
    "edition": {"name": "ATU DER contest", "year": 2027},
    "calendar": {
        "announcement": "2027-01-04T10:00:00",
        "intake_open": "2027-01-20T09:00:00",
        "intake_close": "2027-02-10T18:00:00",
        "stage1_close": "2027-02-20T18:00:00",
        "stage2_close": "2027-03-01T18:00:00",
        "stage3_close": "2027-03-15T18:00:00",
    },
    "faculties": [
        {
            "id": "FIT",
            "name_kk": "Ақпараттық технологиялар факультеті",
            "name_ru": "Факультет информационных технологий",
            "spellings": ["Факультет ИТ", "ФИТ"],
            "departments": [
                {
                    "id": "FIT-IS",
                    "name_kk": "Ақпараттық жүйелер кафедрасы",
                    "name_ru": "Кафедра информационных систем",
                    "spellings": ["ИС"],
                },
                {"id": "FIT-PH", "name_kk": "Физика кафедрасы", "name_ru": "Кафедра физики"},
            ],
        },
        {
            "id": "FFT",
            "name_kk": "Тағам технологиялары факультеті",
            "name_ru": "Факультет пищевых технологий",
            "departments": [
                {"id": "FFT-FS", "name_kk": "Тағам қауіпсіздігі кафедрасы", "name_ru": "Кафедра пищевой безопасности"},
                {"id": "FFT-PH", "name_kk": "Физика кафедрасы", "name_ru": "Кафедра физики"},
            ],
        },
    ],
    "commissions": {"contest": [{"name": "Commission Chair", "email": "chair@atu.kz"}]},
    "previous_winners": [
        {
            "title": "Основы программирования на Python",
            "link": "https://skills.atu.kz/course/7",
            "authors": ["Сериков Арман Болатович"],
            "year": 2025,
        }
    ],
}


@pytest.fixture
def make_config():
    def make(**overrides) -> Config:
        return Config.model_validate({**CONFIG, **overrides})

    return make


@pytest.fixture
def config(make_config) -> Config:
    return make_config()


@pytest.fixture
def make_response():
    """A complete, valid, on-time response; keyword arguments replace fields."""
    base = Response(
        row_key="row-1",
        row_number=1,
        submitted_at=datetime(2027, 1, 25, 9, 5, tzinfo=ALMATY),
        respondent_email="ivanov@atu.kz",
        faculty="Факультет информационных технологий",
        department="Кафедра информационных систем",
        title="Базы данных: интерактивный курс",
        authors=[Author("Иванов Иван Иванович", "доцент", "ivanov@atu.kz")],
        authors_raw="Иванов Иван Иванович, доцент, ivanov@atu.kz",
        languages=["Қазақ тілі", "Русский"],
        der_type="12 тем",
        justification="Новый курс, внедрён в учебный процесс кафедры",
        link="https://skills.atu.kz/course/101",
        act_files=["https://drive.google.com/open?id=ACT1"],
        certificate_files=["https://drive.google.com/open?id=CERT1"],
        raw={},
    )

    def make(**changes) -> Response:
        return replace(base, **changes)

    return make
