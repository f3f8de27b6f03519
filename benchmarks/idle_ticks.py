"""A whole edition under cron every 5 minutes, on the local workspace: what an idle tick costs in the
first week and in the last, and how big the journal and control.xlsx are at the end (issue 23 item 7:
an idle tick changes nothing, so its cost stays flat). Prints figures; asserts nothing.

    .venv/bin/python benchmarks/idle_ticks.py [--step-hours 6] [--burst 24]

Accelerated: every 5-minute tick of the calendar would be ~30,000 ticks. The edition runs through
ticks every `--step-hours` (every step that does something — intake, closes, openings, the tie's
decision — is among them, as cron would meet it) with the experts typing before each deadline, and
`--burst` consecutive 5-minute ticks are timed in the first week, in stage 1's first week (the
registry whole), the day after stage 3 closed and in the last week. Each tick is what one cron
process does after its imports (`contest -q tick`, pipelines/cli): the config read, the workspace
opened and guarded, a fresh Run, the tick, the last-tick note, the workspace closed; nothing
survives from one tick to the next, as under cron. Since an idle tick writes nothing, the ticks
skipped add nothing to the journal or control.xlsx; the figures say how many rows the skipped ticks
would have added at one row a tick (the behaviour before).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from benchmarks.scenario import record_ties, simulate_experts, write_edition  # noqa: E402
from pipelines.backends import open_workspace  # noqa: E402
from pipelines.cli import State, make_run  # noqa: E402
from pipelines.config import load_config  # noqa: E402
from pipelines.domain.state import StageState  # noqa: E402
from pipelines.jobs import tick as tick_job  # noqa: E402
from pipelines.jobs.common import Run  # noqa: E402
from pipelines.jobs.tick import LAST_TICK, note_last_tick  # noqa: E402

CRON = timedelta(minutes=5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--step-hours", type=float, default=6.0, help="simulated hours between sampled ticks")
    parser.add_argument("--burst", type=int, default=24, help="5-minute ticks timed in the first and last week")
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--profile", action="store_true", help="cProfile the last week's idle ticks (on stderr)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        config_path, targets = write_edition(Path(tmp) / "edition", 1, args.seed)
        config = load_config(config_path)
        cal = config.calendar
        control = config.path(config.backend.workspace) / "control.xlsx"
        opened_here: list = []  # the workspaces the experts' and the commission's steps opened

        def run_at(moment) -> Run:
            """The experts and the commission (not timed): a workspace of their own, as read now."""
            for workspace in opened_here:
                workspace.control.close()
            opened_here[:] = [open_workspace(load_config(config_path))]
            return Run(config=load_config(config_path), workspace=opened_here[0], now=moment)

        def tick(moment) -> tuple[list[str], float]:
            """One cron process's tick (pipelines/cli `tick`, without click and the lock)."""
            started = time.perf_counter()
            state = State(str(config_path), moment.isoformat(), quiet=True)
            try:
                run = make_run(state)
                actions = tick_job.tick(run)
                note_last_tick(state.config.base_dir / LAST_TICK, run.now, actions)
            finally:
                state.close()
            return actions, time.perf_counter() - started

        def burst(start, profile: bool = False) -> tuple[float, int, float]:
            """`--burst` 5-minute ticks from `start`: the median seconds of the idle ones, whether
            control.xlsx was rewritten, and the fastest (on a shared machine, the least disturbed)."""
            tick(start)  # whatever is due at the burst's start is not an idle tick
            before = control.stat().st_mtime_ns if control.exists() else 0
            costs = []
            profiler = cProfile.Profile() if profile else None
            for i in range(1, args.burst + 1):
                if profiler is not None:
                    profiler.enable()
                actions, seconds = tick(start + i * CRON)
                if profiler is not None:
                    profiler.disable()
                if not actions:
                    costs.append(seconds)
            if profiler is not None:
                pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
            touched = control.exists() and control.stat().st_mtime_ns != before
            if not costs:
                return float("nan"), int(touched), float("nan")
            return statistics.median(costs), int(touched), min(costs)

        step = timedelta(hours=args.step_hours)
        end = cal.stage3_close + timedelta(days=7)
        first_week = cal.intake_open + timedelta(days=2)
        last_week = end - timedelta(days=3)
        typed: set[int] = set()
        decided: set[int] = set()
        stage1_week = cal.intake_close + timedelta(days=2)  # the registry whole: the edition's size set
        ended = cal.stage3_close + timedelta(days=1)  # all of it held, as in the last week: time alone differs
        first = last = opened = after = (float("nan"), 0, float("nan"))
        sampled = 0
        moment = cal.intake_open
        while moment <= end:
            if first_week <= moment < first_week + step:
                first = burst(moment)
            elif stage1_week <= moment < stage1_week + step:
                opened = burst(moment)
            elif ended <= moment < ended + step:
                after = burst(moment)
            elif last_week <= moment < last_week + step:
                last = burst(moment, profile=args.profile)
            else:
                tick(moment)
            sampled += 1
            for stage in (1, 2, 3):
                close = cal.stage_close(stage)
                if stage not in typed and moment >= close - timedelta(days=3) and run_at(moment).state.sheets(stage):
                    simulate_experts(run_at(moment), stage, args.seed, targets)
                    typed.add(stage)
                if stage not in decided and run_at(moment).state.stage(stage).state is StageState.WAITING:
                    record_ties(config_path, run_at(moment), stage)
                    decided.add(stage)
            moment += step
        state = run_at(end)
        journal = state.edition.journal
        cron_ticks = int((end - cal.intake_open) / CRON)
        ticks_in_journal = sum(1 for e in journal if e.action == "tick")
        print(f"edition {cal.intake_open:%Y-%m-%d} .. {end:%Y-%m-%d}: {cron_ticks} ticks at a 5-minute cron")
        print(f"sampled ticks: {sampled} every {args.step_hours:g} h, plus {args.burst} at 5 minutes twice")
        print(f"stages closed: {sum(state.state.stage(n).state is StageState.CLOSED for n in (1, 2, 3))} of 3")
        print(f"{'':<22}{'idle tick ms':>14}{'fastest ms':>12}{'control.xlsx rewritten':>24}")
        for label, (median, touched, fastest) in (
            ("first week", first),
            ("stage 1, first week", opened),
            ("the day after stage 3", after),
            ("last week", last),
        ):
            print(f"{label:<22}{median * 1000:>14.1f}{fastest * 1000:>12.1f}{'yes' if touched else 'no':>24}")
        print(
            f"last week / first week: {last[0] / first[0]:.2f}x (target: within 1.2x); "
            f"fastest {last[2] / first[2]:.2f}x"
        )
        print(
            f"last week / stage 1's first week: {last[0] / opened[0]:.2f}x (the registry whole in both); "
            f"fastest {last[2] / opened[2]:.2f}x"
        )
        print(
            f"last week / the day after stage 3 closed: {last[0] / after[0]:.2f}x (the same tables: what "
            f"time alone adds); fastest {last[2] / after[2]:.2f}x"
        )
        print(
            f"journal at the end: {len(journal)} rows ({ticks_in_journal} tick rows); "
            f"at one row a tick it would hold {cron_ticks + len(journal) - ticks_in_journal} or more"
        )
        print(f"control.xlsx at the end: {control.stat().st_size / 1024:.0f} kB")
        for workspace in opened_here:
            workspace.control.close()


if __name__ == "__main__":
    main()
