"""Benchmark: the business forum at scale (company state in numpy arrays).

Runs the Bletchley scenario for 50 rounds with its company groups scaled to a total
of N companies, on one core, in a fresh process per size so peak memory is the
size's own. Prints wall time, time per company-round and peak RSS side by side for
N = 10,000 and 100,000, and the ratio (linear cost means a ratio near 10).

    python benchmarks/bench_forum.py [--sizes 10000 100000] [--rounds 50] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_run(total: int, rounds: int) -> dict:
    """Run in this process: scale the company groups to ``total`` companies, time one replication."""
    from sim.experiments.runner import replication_seed, run_replication
    from sim.scenario import load_scenario

    base = load_scenario(ROOT / "scenarios" / "bletchley.yaml")
    groups = base.companies
    current = sum(g.count for g in groups)
    actors = [
        a.model_copy(update={"count": max(1, round(a.count * total / current))}) if a.kind == "company" else a
        for a in base.actors
    ]
    scenario = base.model_copy(update={"actors": actors, "rounds": rounds})
    companies = sum(a.count for a in scenario.companies)
    start = time.perf_counter()
    run_replication(scenario, replication_seed(1, 0), 0, log_events=False, collect_rounds=True)
    elapsed = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"companies": companies, "seconds": elapsed, "peak_mib": peak_mib}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(args.child, args.rounds)))
        return
    results = {}
    for size in args.sizes:
        runs = []
        for _ in range(args.repeats):
            # taskset-free single core: the model is single-threaded; BLAS threads pinned to 1
            env = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
            proc = subprocess.run(
                [sys.executable, __file__, "--child", str(size), "--rounds", str(args.rounds)],
                capture_output=True,
                text=True,
                check=True,
                env=env,
                cwd=ROOT,
            )
            runs.append(json.loads(proc.stdout))
        results[size] = {
            "companies": runs[0]["companies"],
            "seconds": statistics.median(r["seconds"] for r in runs),
            "peak_mib": max(r["peak_mib"] for r in runs),
        }
    print(f"{args.rounds} rounds, one process, median of {args.repeats}")
    print(f"{'companies':>10} {'wall s':>8} {'ns/company-round':>17} {'peak MiB':>9}")
    for r in results.values():
        per = 1e9 * r["seconds"] / (r["companies"] * args.rounds)
        print(f"{r['companies']:>10,} {r['seconds']:8.3f} {per:17.1f} {r['peak_mib']:9.0f}")
    if len(results) >= 2:
        small, large = list(results.values())[0], list(results.values())[-1]
        scale = large["companies"] // small["companies"]
        print(f"time ratio for {scale}x the companies: {large['seconds'] / small['seconds']:.2f}x")


if __name__ == "__main__":
    main()
