"""Benchmark: wall time of the Bletchley scenario at 200 replications.

Prints the median over repeats of the whole run, the cost per replication and per
round: on the Mesa model with the event log (``simrun run``), without it, and on the
batched engine that sweeps use (chunks of ``--chunk`` replications, same seeds, the
same outcome rows), with the ratios. Machines are shared and noisy: medians only.

    python benchmarks/bench_run.py [--repeats 5] [--replications 200] [--chunk 100]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from sim.experiments.runner import replication_seed, run_replications
from sim.rules.batch import run_batch
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def time_run(scenario, replications: int, log_events: bool) -> float:
    start = time.perf_counter()
    run_replications(scenario, replications=replications, log_events=log_events)
    return time.perf_counter() - start


def time_batch(scenario, replications: int, chunk: int) -> float:
    start = time.perf_counter()
    for first in range(0, replications, chunk):
        seeds = [replication_seed(scenario.seed, r) for r in range(first, min(first + chunk, replications))]
        run_batch(scenario, seeds)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--chunk", type=int, default=100, help="replications per batch")
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "bletchley.yaml"))
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    n, rounds = args.replications, scenario.rounds
    time_run(scenario, 5, True)  # warm caches and imports
    results = {}
    variants = {
        "Mesa model, event log (run)": lambda: time_run(scenario, n, True),
        "Mesa model, no log": lambda: time_run(scenario, n, False),
        f"batched engine, chunks of {args.chunk}": lambda: time_batch(scenario, n, args.chunk),
    }
    times: dict[str, list[float]] = {label: [] for label in variants}
    for _ in range(args.repeats):  # interleaved, so a noisy spell hits every variant
        for label, run in variants.items():
            times[label].append(run())
    results = {label: statistics.median(t) for label, t in times.items()}
    print(f"scenario {scenario.name}: {n} replications x {rounds} rounds, median of {args.repeats} repeats")
    print(f"{'variant':34} {'wall s':>8} {'ms/replication':>15} {'us/round':>10}")
    for label, t in results.items():
        print(f"{label:34} {t:8.3f} {1000 * t / n:15.2f} {1e6 * t / (n * rounds):10.1f}")
    a, b, c = results.values()
    print(f"ratio with/without event log: {a / b:.2f}x; Mesa model without log / batched engine: {b / c:.2f}x")


if __name__ == "__main__":
    main()
