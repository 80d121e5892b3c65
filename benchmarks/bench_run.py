"""Benchmark: wall time of the Bletchley scenario at 200 replications.

Prints the median over repeats of the whole run, the cost per replication and per
round, and the same run without the event log side by side (the log is what a
sweep switches off), with their ratio. Machines are shared and noisy: medians only.

    python benchmarks/bench_run.py [--repeats 5] [--replications 200]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from sim.runner import run_replications
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def time_run(scenario, replications: int, log_events: bool) -> float:
    start = time.perf_counter()
    run_replications(scenario, replications=replications, log_events=log_events)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "bletchley.yaml"))
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    n, rounds = args.replications, scenario.rounds
    time_run(scenario, 5, True)  # warm caches and imports
    results = {}
    for label, log in (("with event log (simrun run)", True), ("without event log (sweeps)", False)):
        times = [time_run(scenario, n, log) for _ in range(args.repeats)]
        results[label] = statistics.median(times)
    print(f"scenario {scenario.name}: {n} replications x {rounds} rounds, median of {args.repeats} repeats")
    print(f"{'variant':32} {'wall s':>8} {'ms/replication':>15} {'us/round':>10}")
    for label, t in results.items():
        print(f"{label:32} {t:8.3f} {1000 * t / n:15.2f} {1e6 * t / (n * rounds):10.1f}")
    a, b = results.values()
    print(f"ratio with/without event log: {a / b:.2f}x")


if __name__ == "__main__":
    main()
