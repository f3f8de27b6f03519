"""The Google backend against the in-process fake, through the real client libraries."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from editions import built_once, save_fake

from google_fake import FakeGoogle
from google_fake.demo import DEMO_SENDER, fake_workspace, google_config, seed_form
from pipelines.config import load_config
from pipelines.demo import simulate_experts, write_edition
from pipelines.domain.models import Application, Author, Expert, Response, Status
from pipelines.formats import rating_sheet
from pipelines.jobs.common import Run
from pipelines.jobs.tick import tick
from pipelines.ports import SheetKey, SheetSpec

SEED = 2027
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "atu-2027" / "contest.yaml"
CDB = "cdb.secretary@atu.edu.kz"
EXPERT = "e.zhumabayev@atu.edu.kz"
DEADLINE = "05.03.2027 18:00"


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


def _app(n: int, title: str) -> Application:
    response = Response(
        row_key=f"row-{n}",
        row_number=n,
        submitted_at=None,
        respondent_email=f"a{n}@atu.edu.kz",
        faculty="ФИТА",
        department="Ақпараттық жүйелер",
        title=title,
        authors=[Author(f"Автор {n}", "доцент")],
        authors_raw=f"Автор {n}, доцент",
        languages=["Қазақ тілі"],
        der_type="курс",
        justification="",
        link=f"https://skills.atu.kz/course/view.php?id={n}",
        act_files=[],
        certificate_files=[],
        raw={},
    )
    return Application(f"DER-T{n}", response, Status.ACCEPTED, [], "FIT", "FIT-IS")


@pytest.fixture
def spec(config):
    apps = [_app(1, "=cmd|' /C calc'!A0"), _app(2, "Базы данных: SQL на практике")]
    expert = Expert("Жұмабаев Ерлан Серікұлы", EXPERT, "FIT-IS")
    grid = rating_sheet.build_grid(
        config=config,
        stage=1,
        group_name="Ақпараттық жүйелер кафедрасы",
        expert=expert,
        applications=apps,
        deadline_text=DEADLINE,
        lang="kk",
    )
    return SheetSpec(
        key=SheetKey("2027-test", 1, "FIT-IS", EXPERT),
        name="form02_s1_FIT-IS_e.zhumabayev",
        folder=["stage-1", "FIT-IS", "sheets"],
        grid=grid,
        expert_name=expert.name,
        deadline_text=DEADLINE,
        share_message=f"Бағалау парағы. Мерзімі: {DEADLINE}",
    )


@pytest.fixture(scope="session")
def scored_build(tmp_path_factory):
    """The demo edition on the fake, stage 1 open and scored by the experts: built once per test run,
    the fake saved whole (tests/editions.py)."""

    def build(folder):
        config_path = write_edition(folder / "edition", SEED)
        config = load_config(config_path)
        fake = FakeGoogle(service_account_without_storage=True)
        drive = fake.create_shared_drive("ATU — конкурс ЦОР")
        form = seed_form(fake, config_path.parent / "responses.csv", config.zone)
        workspace = fake_workspace(
            google_config(config, shared_drive_id=drive, form_id=form, gmail=True, sender=DEMO_SENDER), fake
        )

        def run(now):
            return Run(config=config, workspace=workspace, now=now)

        tick(run(config.calendar.intake_close + timedelta(minutes=5)))
        simulate_experts(run(config.calendar.stage1_close - timedelta(days=4)), 1, SEED)
        save_fake(fake, folder / "fake.pickle")

    return built_once(tmp_path_factory, "google-stage1-scored", build)
