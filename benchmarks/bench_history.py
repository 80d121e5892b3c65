"""Benchmark: the leave-one-out fit of `simrun backtest history`, serial against worker processes.

Runs the record's 19 cases at every point of a small grid (κ0 × λ, 6 points by default)
once on one process and once on ``--workers`` local processes, and prints the median wall
time of each (repeats alternate, so drift on a shared machine hits both alike), the
speed-up ratio, and whether the two gave the same grid of scores (they must: every
(point, case) run draws its own seeds).

    python benchmarks/bench_history.py [--repeats 3] [--replications 100] [--workers 2]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from sim.experiments.history import plan_history, run_history

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT.parent / "shared" / "data" / "history.yaml"
GRID = ["model.kappa0_government=0.02,0.06,0.15", "model.depth_cost=2,3"]


def timed(plan: object, replications: int, workers: int) -> tuple[float, list[list[float]]]:
    """Wall seconds of one fit (worker start-up included) and its grid of mean scores."""
    start = time.perf_counter()
    result = run_history(plan, replications, workers=workers)  # type: ignore[arg-type]
    return time.perf_counter() - start, result.grid_rps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", type=Path, default=RECORD)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    plan = plan_history(args.record, fit=GRID)
    runs = len(plan.cases) * len(plan.points)
    serial, pooled, same = [], [], True
    for _ in range(args.repeats):
        s, grid_s = timed(plan, args.replications, 1)
        p, grid_p = timed(plan, args.replications, args.workers)
        serial.append(s)
        pooled.append(p)
        same &= grid_s == grid_p
    s, p = statistics.median(serial), statistics.median(pooled)
    print(f"{runs} (point, case) runs × {args.replications} replications, median of {args.repeats}")
    print(f"{'':>22} {'wall s':>8} {'runs/s':>8}")
    print(f"{'serial (1 process)':>22} {s:8.2f} {runs / s:8.2f}")
    print(f"{f'{args.workers} worker processes':>22} {p:8.2f} {runs / p:8.2f}")
    print(f"speed-up {s / p:.2f}×; same scores: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
