"""The product's Google backend against the in-process fake: the demo's `--backend google-fake`
(found through the `contest.demo_backends` entry point) and helpers for tests. Nothing here
reaches Google."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipelines.backends.google import open_google, scopes_for
from pipelines.config import Config, FormSourceConfig, GoogleBackend
from pipelines.ports import Workspace

from .connect import connect

DEMO_SENDER = "cdb@atu.edu.kz"


def google_config(config: Config, *, shared_drive_id: str | None, form_id: str | None = None, **backend: Any) -> Config:
    """`config` with a Google backend (and the Forms API as the form source when `form_id` is given),
    built in memory: the file on disk is not touched."""
    update: dict[str, Any] = {"backend": GoogleBackend(shared_drive_id=shared_drive_id, **backend)}
    if form_id:
        update["form"] = FormSourceConfig(
            kind="forms_api", form_id=form_id, timestamp_column=1, aliases=config.form.aliases
        )
    return config.model_copy(update=update)


def fake_workspace(config: Config, fake, **options: Any) -> Workspace:
    """The Google workspace of `config` (already a Google config) talking to `fake`; `options`
    override what connect(fake) gives (e.g. another clock or credentials). Its token is granted the
    scopes the product asks for with this config (scopes_for), no more."""
    workspace = open_google(config, **{**connect(fake, scopes_for(config)), **options})
    workspace.description = workspace.description.removesuffix(")") + ", fake Google)"
    return workspace


def seed_form(fake, responses_csv: Path, zone) -> str:
    """A fake Google Form with the export's questions and one submitted response per row."""
    from pipelines.formats.forms import field_columns, parse_time, read_export, split_files

    raw = read_export(responses_csv)
    header = list(raw[0].answers) if raw else []
    stamp = header[0] if header else None
    email = field_columns(raw[0].answers).get("respondent_email") if raw else None
    questions = [h for h in header if h not in (stamp, email)]
    uploads = {
        h
        for h in questions
        if any(r.answers.get(h, "").strip() for r in raw)
        and all(_all_links(r.answers.get(h, "")) for r in raw if r.answers.get(h, "").strip())
    }
    ids = {h: f"{0x1A2B0000 + i:08x}" for i, h in enumerate(questions)}
    form_id = fake.add_form(
        "Конкурс ЦОР / СББР байқауы", [(ids[h], h, "file" if h in uploads else "paragraph") for h in questions]
    )
    for r in raw:
        answers: dict[str, Any] = {}
        for h in questions:
            text = r.answers.get(h, "").strip()
            if not text:
                continue
            if h in uploads:
                answers[ids[h]] = {
                    "files": [
                        (link.split("id=", 1)[1], f"{link.split('id=', 1)[1]}.pdf", "application/pdf")
                        for link in split_files(text)
                    ]
                }
            else:
                answers[ids[h]] = text
        when = parse_time(r.answers.get(stamp, ""), zone) if stamp else None
        fake.add_response(
            form_id,
            answers,
            create_time=when,
            last_submitted_time=when,
            respondent_email=(r.answers.get(email, "").strip() or None) if email else None,
        )
    return form_id


def _all_links(text: str) -> bool:
    from pipelines.formats.forms import split_files

    return all(p.startswith("https://drive.google.com/open?id=") for p in split_files(text))


def demo_workspace_factory(
    config_path: str | Path, *, faults: tuple[float, int] | None = None, **fake_options: Any
) -> Callable[[Config], Workspace]:
    """For `contest demo --backend google-fake`: factory(config) -> the Google workspace over one fake
    (created at the first call: a shared drive, quotas enforced, the form seeded from responses.csv).
    `faults=(rate, seed)`: once the fake is set up, requests fail at random (FakeGoogle.fail_at_random,
    every kind but "500_after_apply"); `fake_options` go to FakeGoogle (e.g. search_lag)."""
    config_path = Path(config_path)
    state: dict[str, Any] = {}

    def factory(config: Config) -> Workspace:
        from . import FakeGoogle
        from .server import CHAOS_KINDS

        if "fake" not in state:
            fake = FakeGoogle(service_account_without_storage=True, **fake_options)
            fake.enforce_quotas()  # Google's 60 reads + 60 writes per minute: the limiter must keep under
            state["fake"] = fake
            state["drive"] = fake.create_shared_drive("ATU — конкурс ЦОР")
            state["form"] = seed_form(fake, config_path.parent / "responses.csv", config.zone)
            fake.reset_counts()
            if faults is not None:
                kinds = tuple(k for k in CHAOS_KINDS if k != "500_after_apply")
                fake.fail_at_random(faults[0], seed=faults[1], kinds=kinds)
        fake = state["fake"]
        workspace = fake_workspace(
            google_config(
                config, shared_drive_id=state["drive"], form_id=state["form"], gmail=True, sender=DEMO_SENDER
            ),
            fake,
        )
        ours = workspace.stats["report"]
        workspace.stats["report"] = lambda: (
            ours()
            + [
                f"fake Google recorded {fake.total_requests()} requests "
                f"({len(fake.invalid_requests())} invalid), simulated time {fake.clock:.0f} s"
            ]
        )
        workspace.stats["fake"] = fake
        return workspace

    return factory
