"""Benchmark: wall time of the Bletchley scenario at 200 replications.

Prints the median over repeats of the whole run, the cost per replication and per
round: on the rulebook's kernel with the event log and per-round data (``simrun run``),
without them (chunks of ``--chunk`` replications, as sweeps run), and one Mesa model
per replication (a view over a kernel of one; same seeds, the same outcome rows), with
the ratios. Machines are shared and noisy: medians only.

    python benchmarks/bench_run.py [--repeats 5] [--replications 200] [--chunk 100]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from sim.experiments.runner import outcome_rows, replication_seed, run_on_mesa, run_replications
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
        outcome_rows(scenario, seeds)
    return time.perf_counter() - start


def time_mesa(scenario, replications: int) -> float:
    start = time.perf_counter()
    for r in range(replications):
        run_on_mesa(scenario, replication_seed(scenario.seed, r))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--chunk", type=int, default=100, help="replications per kernel")
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "bletchley.yaml"))
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    n, rounds = args.replications, scenario.rounds
    time_run(scenario, 5, True)  # warm caches and imports
    results = {}
    variants = {
        "kernel, log and rounds (run)": lambda: time_run(scenario, n, True),
        f"kernel, outcomes, chunks of {args.chunk}": lambda: time_batch(scenario, n, args.chunk),
        "Mesa model per replication": lambda: time_mesa(scenario, n),
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
    print(f"ratio with/without log and rounds: {a / b:.2f}x; Mesa model per replication / kernel: {c / b:.2f}x")


if __name__ == "__main__":
    main()
