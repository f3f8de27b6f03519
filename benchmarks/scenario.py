"""One benchmark scenario in this process; prints its figures as one JSON line (see run.py).

.venv/bin/python benchmarks/scenario.py x10-local [--copies 10] [--latency 0.15]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from benchmarks.meter import Meter, peak_rss_mb  # noqa: E402
from pipelines import demo_data  # noqa: E402
from pipelines.config import Config, load_config  # noqa: E402
from pipelines.demo import EXAMPLE  # noqa: E402
from pipelines.domain.state import StageState  # noqa: E402
from pipelines.formats import documents, rating_sheet  # noqa: E402
from pipelines.jobs import intake as intake_job  # noqa: E402
from pipelines.jobs import tick as tick_job  # noqa: E402
from pipelines.jobs.common import Run  # noqa: E402
from pipelines.jobs.sheets import sheet_ref  # noqa: E402
from pipelines.jobs.status import build_status  # noqa: E402
from pipelines.ports import Workspace  # noqa: E402


def write_edition(directory: Path, copies: int, seed: int, rows: int | None = None) -> tuple[Path, dict[str, int]]:
    """contest.yaml and responses.csv of the demo (copies=1) or the scaled edition; the targets by link."""
    directory.mkdir(parents=True, exist_ok=True)
    config_path = directory / "contest.yaml"
    if copies == 1:
        config_path.write_bytes(EXAMPLE.read_bytes())
    else:
        config = demo_data.scaled_config(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")), copies)
        config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    cal = load_config(config_path).calendar
    if rows is not None:
        made = demo_data.intake_rows(cal.intake_open, cal.intake_close, seed, rows, copies)
    elif copies == 1:
        made = demo_data.responses(cal.intake_open, cal.intake_close, seed)
    else:
        made = demo_data.scaled_responses(cal.intake_open, cal.intake_close, seed, copies)
    (directory / "responses.csv").write_text(demo_data.to_csv(made), encoding="utf-8")
    return config_path, demo_data.targets_by_link(made)


def google_factory(config_path: Path, latency: float) -> tuple[Callable[[Config], Workspace], Any]:
    """The Google workspace over one fake: a shared drive, Google's Sheets quotas on the simulated
    clock, `latency` simulated seconds per request, the form seeded from responses.csv."""
    from google_fake import FakeGoogle
    from google_fake.demo import DEMO_SENDER, fake_workspace, google_config, seed_form

    fake = FakeGoogle(service_account_without_storage=True, latency=latency)
    fake.enforce_quotas()
    drive = fake.create_shared_drive("ATU — конкурс ЦОР")
    config = load_config(config_path)
    form = seed_form(fake, config_path.parent / "responses.csv", config.zone)
    fake.reset_counts()

    def factory(config: Config) -> Workspace:
        return fake_workspace(
            google_config(config, shared_drive_id=drive, form_id=form, gmail=True, sender=DEMO_SENDER), fake
        )

    return factory, fake


def instrument(meter: Meter, workspace: Workspace) -> None:
    """Charge the jobs' steps to operations: documents wherever they are rendered or stored."""
    meter.wrap(tick_job, "run_intake", "intake")
    meter.wrap(tick_job, "close_intake", "intake")
    meter.wrap(tick_job, "apply_late_disqualifications", "intake")
    meter.wrap(tick_job, "open_stage", "open")
    meter.wrap(tick_job, "reopen_stage", "open")
    meter.wrap(tick_job, "close_stage", "close")
    meter.wrap(documents, "render", "documents")
    meter.wrap(documents, "to_pdf", "documents")
    meter.wrap(workspace.drive, "put", "documents")
    meter.wrap(workspace.drive, "put_pdf", "documents")


def simulate_experts(run: Run, stage: int, seed: int, targets: dict[str, int]) -> int:
    """Every expert of the stage types scores into their own sheet (as the demo's experts do)."""
    lay = rating_sheet.layout(run.config)
    apps = run.state.counting()
    filled = 0
    for a in run.state.sheets(stage):
        rng = random.Random(int(hashlib.sha1(f"{seed}/{stage}/{a.expert.email}".encode()).hexdigest()[:12], 16))
        values: dict[tuple[int, int], object] = {}
        for index, app_id in enumerate(a.application_ids):
            scores = demo_data.simulated_scores(
                targets.get(apps[app_id].response.link, 35), len(run.config.criteria), rng
            )
            for (_key, col), score in zip(sorted(lay.scores.items(), key=lambda kv: kv[1]), scores):
                values[(lay.data_row(index), col)] = score
        run.workspace.sheets.write_as_expert(sheet_ref(run, a), values)
        filled += 1
    return filled


def record_ties(config_path: Path, run: Run, stage: int) -> int:
    """The commission's decision on every tie the stage waits on, written into contest.yaml."""
    status = build_status(run)
    blocks = []
    for g in status["stages"][stage - 1]["groups"]:
        for tie in g["ties"]:
            blocks.append(
                f"  - kind: tie_break\n    stage: {stage}\n    group: {g['name']}\n"
                f"    applications: [{', '.join(tie)}]\n    order: [{', '.join(sorted(tie))}]\n"
                f'    by: "benchmark commission"\n    at: {run.now.isoformat(timespec="minutes")}\n'
                f'    reason: "open vote"\n'
            )
    if blocks:
        text = config_path.read_text(encoding="utf-8")
        if "decisions: []" in text:
            text = text.replace("decisions: []", "decisions:\n" + "".join(blocks).rstrip("\n"))
        else:
            text = text.replace("decisions:\n", "decisions:\n" + "".join(blocks), 1)
        config_path.write_text(text, encoding="utf-8")
    return len(blocks)


CRON_GAP = 600.0  # simulated seconds between two ticks on the fake (cron every 10 minutes)


def edition(directory: Path, copies: int, backend: str, latency: float, seed: int) -> dict:
    """The whole edition through tick, the demo's calendar: intake, three stages, the last tick."""
    config_path, targets = write_edition(directory, copies, seed)
    fake = None
    if backend == "google":
        factory, fake = google_factory(config_path, latency)
    else:
        from pipelines.backends import open_workspace

        factory = open_workspace
    workspace = factory(load_config(config_path))
    meter = Meter(fake)
    instrument(meter, workspace)

    def run_at(moment) -> Run:
        return Run(config=load_config(config_path), workspace=workspace, now=moment)

    def tick(moment, op: str = "tick (state, journal)") -> list[str]:
        if fake is not None:
            # Cron's ticks are minutes apart, days apart in `now`: the per-minute quotas have
            # refilled by the next one. The gap is nobody's time, so it is outside every operation.
            fake.advance(CRON_GAP)
        with meter.op(op):
            return tick_job.tick(run_at(moment))

    marks: dict[str, dict[str, float]] = {}
    opening = tick_job.open_stage  # the meter's "open" inside

    def open_after_mark(run: Run, stage: int):
        # the tick that closes stage 1 opens stage 2: one stage's work (the baseline's) ends here
        if stage > 1:
            marks.setdefault(f"stage{stage - 1}", _snapshot(meter))
        return opening(run, stage)

    tick_job.open_stage = open_after_mark
    cal = load_config(config_path).calendar
    started = time.perf_counter()
    tick(cal.intake_open + timedelta(days=7))
    tick(cal.intake_close + timedelta(minutes=5))
    ties = 0
    for stage in (1, 2, 3):
        close = cal.stage_close(stage)
        tick(close - timedelta(days=4))  # whatever came in meanwhile (a late response's rejection)
        with meter.op("experts type (not ours)"):
            simulate_experts(run_at(close - timedelta(days=3)), stage, seed, targets)
        actions = tick(close - timedelta(days=2), "tick after typing")
        assert not actions, f"the tick after the typing did {actions}"
        # nothing due and nothing typed since the last tick: what most of cron's ticks are
        actions = tick(close - timedelta(days=2) + timedelta(minutes=10), "idle tick")
        assert not actions, f"the idle tick did {actions}"
        tick(close + timedelta(minutes=5))
        if run_at(close).state.stage(stage).state is StageState.WAITING:
            ties += record_ties(config_path, run_at(close + timedelta(hours=16)), stage)
            tick(close + timedelta(hours=20))
        assert run_at(close).state.stage(stage).state is StageState.CLOSED, f"stage {stage} did not close"
        marks.setdefault(f"stage{stage}", _snapshot(meter))
    tick(cal.stage3_close + timedelta(days=1))
    wall = time.perf_counter() - started
    state = run_at(cal.stage3_close + timedelta(days=1)).state
    made = max(1, sum(len(state.sheets(n)) for n in (1, 2, 3)))
    return {
        # from the first tick to the close of stage 1 (intake, registry, opening, close; experts'
        # typing and documents aside): what the baseline does for one stage
        "stage1": marks["stage1"],
        "per_sheet": {
            # one Sheets write per opening is not a sheet's (3 openings, 3 writes more than sheets)
            "create_sheets": (meter.ops["open"]["sheets_write"] - meter.ops["open"]["calls"]) / made,
            "read_sheets": meter.ops.get("close", {}).get("sheets_read", 0) / made,
            "create_drive": meter.ops.get("open", {}).get("drive", 0) / made,
        }
        if fake
        else {},
        "ops": meter.ops,
        "order": meter.order,
        "wall": wall,
        "peak_mb": peak_rss_mb(),
        "applications": len(state.applications),
        "sheets": {n: len(state.sheets(n)) for n in (1, 2, 3)},
        "documents": len(workspace.drive.documents()),
        "ties_decided": ties,
        "sheet_creates": _creates(fake),
        "invalid_requests": len(fake.invalid_requests()) if fake else 0,
    }


def _snapshot(meter: Meter) -> dict[str, float]:
    now = meter.so_far()
    ops = [v for k, v in now.items() if k not in ("experts type (not ours)", "documents")]
    same = [v for k, v in now.items() if k in ("intake", "open", "close")]
    return {
        "sheets": sum(o["sheets_read"] + o["sheets_write"] for o in ops),
        "simulated": sum(o["simulated"] for o in ops),
        # what the baseline does too (the registry, the sheets made, the sheets read at the close),
        # without the ticks' own work (the progress tab, reminders, journal) that it does not do
        "same_work": sum(o["sheets_read"] + o["sheets_write"] for o in same),
    }


def _creates(fake) -> dict[str, int]:
    """Google only: files the pipeline created without knowing their id first (a retry could duplicate),
    among those Drive lets a create carry a reserved id for: folders and uploads kept in their own
    format. Google Sheets and converted Docs cannot (400 generatedIdNotSupported): they are made
    exactly once by their key (docs/google.md "Creating each file exactly once"), counted apart."""
    if fake is None:
        return {}
    from pipelines.backends.google.drive import takes_reserved_id

    made = [r for r in fake.requests if r.ok and r.method in ("files.create", "spreadsheets.create", "files.copy")]
    bodies = [r.body if isinstance(r.body, dict) else {} for r in made]
    may_carry = [b for r, b in zip(made, bodies) if r.method == "files.create" and takes_reserved_id(b)]
    no_id = [b for b in may_carry if not b.get("id")]
    return {"created": len(may_carry), "without_id": len(no_id), "by_key": len(made) - len(may_carry)}


def big_intake(directory: Path, rows: int, copies: int, seed: int) -> dict:
    """The intake's reading, rules and registry write over `rows` form rows (local workspace); then
    the form 01 rate: the first 200 accepted applications' letters rendered one after another."""
    from pipelines.backends import open_workspace
    from pipelines.domain.models import Status
    from pipelines.formats.registry import known_ids
    from pipelines.jobs import paperwork

    config_path, _ = write_edition(directory, copies, seed, rows=rows)
    config = load_config(config_path)
    workspace = open_workspace(config)
    meter = Meter()
    run = Run(config=config, workspace=workspace, now=config.calendar.intake_close + timedelta(minutes=5))
    started = time.perf_counter()
    with meter.op("intake"):
        apps, _future = intake_job.read_applications(run, known_ids(run.state.applications))
        run.state.applications = apps
        run.commit()
    accepted = [a for a in apps if a.status is Status.ACCEPTED][:200]
    contexts = [paperwork.form01_context(run, a) for a in accepted]
    with meter.op("documents"):
        for context in contexts:
            documents.render("form01", run.lang, context)
    wall = time.perf_counter() - started
    return {
        "ops": meter.ops,
        "order": meter.order,
        "wall": wall,
        "peak_mb": peak_rss_mb(),
        "rows": rows,
        "applications": len(apps),
        "accepted": sum(a.status is Status.ACCEPTED for a in apps),
        "docx_rendered": len(contexts),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--intake-rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2027)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="contest-bench-") as tmp:
        root = Path(tmp)
        if args.name == "baseline":
            from benchmarks.baseline import baseline

            result = baseline(root, args.copies, args.latency, args.seed)
        elif args.name == "intake-10k-local":
            result = big_intake(root / "edition", args.intake_rows, args.copies, args.seed)
        else:
            size, backend = args.name.split("-")
            result = edition(root / "edition", 1 if size == "demo" else args.copies, backend, args.latency, args.seed)
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
