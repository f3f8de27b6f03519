"""Benchmark: the demo edition end to end on both backends. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_demo.py [--seed N]

For each backend: wall time of the whole edition and of each step, and for the Google backend
(against the fake, with Google's per-minute quotas enforced on its simulated clock) the requests
per API and per operation and the simulated minutes the rate limiter had to wait.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pipelines.demo import run_demo


def bench(backend: str, seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        started = last = time.perf_counter()
        print(f"\n== {backend} ==")
        for line in run_demo(Path(tmp) / "demo", backend=backend, seed=seed):
            now = time.perf_counter()
            if line.startswith("["):
                print(f"{now - last:7.2f} s  {line}")
                last = now
            elif line.startswith(
                ("Google API requests", "  ", "Requests per operation", "fake Google")
            ) and not line.startswith("  place"):
                print(f"          {line}")
        print(f"{time.perf_counter() - started:7.2f} s  total ({backend})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--backend", choices=["local", "google-fake", "both"], default="both")
    args = parser.parse_args()
    for backend in ["local", "google-fake"] if args.backend == "both" else [args.backend]:
        bench(backend, args.seed)


if __name__ == "__main__":
    main()
