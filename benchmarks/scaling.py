"""How each phase of a whole edition grows with its size: the demo's university 1, 3, 10 and 30 times
over (`pipelines.demo_data.scaled_config`) on the local workspace, CPU seconds per phase, and the
exponent from 10x to 30x (log of the CPU ratio over log 3: 1.0 is linear, 2.0 quadratic). Prints a
table; asserts nothing.

    .venv/bin/python -m benchmarks.scaling                       # 1x, 3x, 10x, 30x (a few minutes)
    .venv/bin/python -m benchmarks.scaling --copies 1,3,10       # without the 30x
    .venv/bin/python -m benchmarks.scaling --json scaling.json   # the figures as JSON too

Each size runs in its own process (benchmarks/scenario.py), the same edition `run.py` measures:
intake, three stages opened, typed into and closed, their documents, the ticks around them. A
phase's time is its own: the documents a close renders count under `documents`, not `close`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from benchmarks import run  # noqa: E402
from benchmarks.report import NOT_OURS, total  # noqa: E402


def run_size(copies: int, seed: int) -> dict:
    """One edition of `copies` campuses on the local workspace, in a fresh interpreter."""
    name = "demo-local" if copies == 1 else f"x{copies}-local"
    return run.run_one(name, argparse.Namespace(latency=0.0, copies=copies, intake_rows=0, seed=seed))


def exponent(small: float, large: float, ratio: float) -> float | None:
    """k in cpu ~ size**k between two sizes `ratio` apart; None when either time is too small to tell."""
    if small < 0.005 or large < 0.005:
        return None
    return math.log(large / small) / math.log(ratio)


def table(results: dict[int, dict]) -> str:
    sizes = sorted(results)
    phases: list[str] = []
    for copies in sizes:
        phases += [p for p in results[copies]["order"] if p not in phases]
    rows = [*phases, "total (ours)"]

    def cpu(copies: int, phase: str) -> float:
        if phase == "total (ours)":
            return total(results[copies])["cpu"]
        return results[copies]["ops"].get(phase, {}).get("cpu", 0.0)

    pairs = [(a, b) for a, b in zip(sizes, sizes[1:])]
    head = f"{'phase (cpu s)':<26}" + "".join(f"{f'{c}x':>9}" for c in sizes)
    head += "".join(f"{f'k {a}->{b}':>11}" for a, b in pairs)
    lines = [head, "-" * len(head)]
    for phase in rows:
        line = f"{phase:<26}" + "".join(f"{cpu(c, phase):>9.2f}" for c in sizes)
        for a, b in pairs:
            k = exponent(cpu(a, phase), cpu(b, phase), b / a)
            line += f"{'-' if k is None else f'{k:.2f}':>11}"
        lines.append(line)
    lines.append("")
    for c in sizes:
        r = results[c]
        lines.append(
            f"{c}x: {r['applications']} applications, sheets {r['sheets']}, {r['documents']} documents, "
            f"peak {r['peak_mb']:.0f} MB, process {r['process_wall']:.1f} s wall"
        )
    lines.append(f"k a->b: log(cpu b / cpu a) / log(b / a); '{NOT_OURS}' is the benchmark's own typing")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", default="1,3,10,30", help="sizes, times the demo, comma-separated")
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    results: dict[int, dict] = {}
    for copies in sorted(int(c) for c in args.copies.split(",")):
        print(f"running the {copies}x edition …", file=sys.stderr, flush=True)
        results[copies] = run_size(copies, args.seed)
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps({str(k): v for k, v in results.items()}, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
