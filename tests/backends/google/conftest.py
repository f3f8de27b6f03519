"""The Google backend against the in-process fake, through the real client libraries."""

from __future__ import annotations

from pathlib import Path

import pytest

from google_fake import FakeGoogle
from google_fake.demo import fake_workspace, google_config
from pipelines.config import load_config

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "atu-2027" / "contest.yaml"
CDB = "cdb.secretary@atu.edu.kz"


@pytest.fixture(scope="session")
def base_config():
    return load_config(EXAMPLE)


@pytest.fixture
def fake():
    """A service account without Drive storage (the usual trap), member of one shared drive."""
    f = FakeGoogle(seed=7, service_account_without_storage=True)
    yield f
    f.assert_all_valid()  # every request the backend sent was valid for the discovery schemas


@pytest.fixture
def drive_id(fake):
    return fake.create_shared_drive("ATU contest")


@pytest.fixture
def config(base_config, drive_id):
    return google_config(base_config, shared_drive_id=drive_id, cdb_editors=[CDB])


@pytest.fixture
def ws(config, fake):
    return fake_workspace(config, fake)


@pytest.fixture
def requests_made(fake):
    """requests_made() -> {"sheets.spreadsheets.batchUpdate": n, …} since the last fake.reset_counts()."""

    def made(api: str | None = None) -> dict[str, int]:
        return {
            f"{a}.{m}": n for a, methods in fake.counts().items() for m, n in methods.items() if api is None or a == api
        }

    return made
