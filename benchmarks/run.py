"""Benchmarks of whole editions: what each operation costs on the local workspace and on the fake of
Google, beside a straightforward gspread script doing one stage's work. Prints tables; asserts nothing.

    .venv/bin/python benchmarks/run.py                 # every scenario, both backends, the baseline
    .venv/bin/python benchmarks/run.py --only demo-local --only intake-10k
    .venv/bin/python benchmarks/run.py --latency 0.15 --copies 10 --intake-rows 10000

Scenarios: `demo` (the shipped demo edition, 1x), `x10` (its university ten times over: 450
responses, 300 rating sheets at stage 1), `intake-10k` (one intake of 10,000 form rows), each on
`local` (a temporary folder) and `google` (the in-process fake with Google's 60 reads + 60 writes
per minute enforced on its simulated clock and `--latency` simulated seconds per request), and
`baseline` (gspread against the same kind of fake: see benchmarks/baseline.py).

Each scenario runs in its own process, so its peak memory is its own. Per operation (intake, open,
close, documents, idle tick) the table gives wall and CPU time, Sheets reads and writes, Drive
calls, the simulated time the fake's clock advanced, the quota lower bound (the Sheets requests of
the busier kind / 60 per minute) and the ratio to it, and the 429 answers the fake gave. The time of
an operation is its own: the documents a close writes are counted under `documents`, not `close`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from benchmarks import report  # noqa: E402

SCENARIOS = ["demo-local", "demo-google", "x10-local", "x10-google", "intake-10k-local", "baseline"]


def run_one(name: str, args: argparse.Namespace) -> dict:
    """One scenario in a fresh interpreter; its figures come back as JSON on the last line."""
    cmd = [
        sys.executable,
        str(HERE / "scenario.py"),
        name,
        "--latency",
        str(args.latency),
        "--copies",
        str(args.copies),
        "--intake-rows",
        str(args.intake_rows),
        "--seed",
        str(args.seed),
    ]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"scenario {name} failed (exit {proc.returncode})")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_wall"] = time.perf_counter() - started
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=SCENARIOS, help="run only these scenarios")
    parser.add_argument("--latency", type=float, default=0.15, help="simulated seconds per request (fake)")
    parser.add_argument("--copies", type=int, default=10, help="size of the large edition (times the demo)")
    parser.add_argument("--intake-rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    results = {}
    for name in args.only or SCENARIOS:
        print(f"running {name} …", file=sys.stderr, flush=True)
        results[name] = run_one(name, args)
        print(report.table(name, results[name]), flush=True)
    print(report.comparisons(results, copies=args.copies))
    print(report.targets(results, copies=args.copies))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
