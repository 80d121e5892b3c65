"""Benchmark: `simrun sweep` against `mesa.batch_run` on the same model and grid.

Both run the Bletchley negotiation model over tension × protocol on 2 processes.
batch_run is what a Mesa user would reach for: it builds one model per run from
keyword arguments, steps it, and collects its DataCollector. The sweep runs the same
model through its chunked executor and writes Parquet parts, once with its batched
engine (the default) and once with one Mesa model per replication (``--engine mesa``),
which give identical rows. Prints runs per second of each (median of repeats; wall
time including worker start-up, outputs and plots; each timing in a fresh interpreter,
its imports done beforehand) and the ratios to batch_run.

    python benchmarks/bench_sweep.py [--repeats 3] [--iterations 100] [--processes 2]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sim.experiments.sweep import plan_sweep, run_sweep
from sim.experiments.sweep_spec import apply_point
from sim.model import NegotiationModel
from sim.outputs.sweep_report import plot_sweep  # noqa: F401 - imported up front, as batch_run's modules are
from sim.scenario import load_scenario
from sim.scenario.distributions import realize

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "bletchley.yaml"
TENSIONS = [round(0.1 * i, 1) for i in range(11)]
PROTOCOLS = ["simultaneous", "west_first"]
_BASE = None


class BatchNegotiation(NegotiationModel):
    """The negotiation model with keyword parameters, as mesa.batch_run builds models."""

    def __init__(self, tension: float = 0.5, protocol: str = "simultaneous", rng=None):
        global _BASE
        if _BASE is None:
            _BASE = load_scenario(SCENARIO)
        scenario = apply_point(_BASE, {"tension": tension, "protocol": protocol})
        generator = np.random.default_rng(rng)
        # draw the uncertain inputs first, as a replication does
        super().__init__(realize(scenario, generator), rng=generator)


def time_batch_run(iterations: int, processes: int, rounds: int) -> float:
    from mesa.batchrunner import batch_run

    start = time.perf_counter()
    results = batch_run(
        BatchNegotiation,
        parameters={"tension": TENSIONS, "protocol": PROTOCOLS},
        iterations=iterations,
        max_steps=rounds - 1,  # batch_run steps while steps <= max_steps
        number_processes=processes,
        data_collection_period=-1,
        display_progress=False,
    )
    elapsed = time.perf_counter() - start
    assert len(results) == len(TENSIONS) * len(PROTOCOLS) * iterations
    return elapsed


def time_sweep(iterations: int, processes: int, engine: str = "batch") -> float:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()  # from reading the scenario to the last plot, as a user waits
        plan = plan_sweep(
            SCENARIO,
            vary=[f"tension={','.join(map(str, TENSIONS))}", f"protocol={','.join(PROTOCOLS)}"],
            replications=iterations,
        )
        result = run_sweep(plan, out=Path(tmp) / "sweep", workers=processes, engine=engine)
        elapsed = time.perf_counter() - start
    assert result.computed == len(TENSIONS) * len(PROTOCOLS) * iterations
    return elapsed


TOOLS = {
    "sweep": lambda n, p, rounds: time_sweep(n, p, "batch"),
    "sweep_mesa": lambda n, p, rounds: time_sweep(n, p, "mesa"),
    "batch_run": lambda n, p, rounds: time_batch_run(n, p, rounds),
}


def measure_in_fresh_process(tool: str, iterations: int, processes: int) -> float:
    """Seconds one tool takes, timed inside a new interpreter (imports excluded).

    Each measurement gets its own process: batch_run leaves a tqdm monitor thread
    behind and forces its start method, and either would change how the next tool's
    workers start if they shared a process.
    """
    command = [sys.executable, __file__, "--one", tool, "--iterations", str(iterations), "--processes", str(processes)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=100, help="replications per grid point")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--one", choices=sorted(TOOLS), help=argparse.SUPPRESS)  # a single timing, in this process
    args = parser.parse_args()
    rounds = load_scenario(SCENARIO).rounds
    if args.one:
        print(TOOLS[args.one](args.iterations, args.processes, rounds))
        return
    runs = len(TENSIONS) * len(PROTOCOLS) * args.iterations
    # interleave the tools in each repeat, so a noisy spell on the machine hits all of them
    times: dict[str, list[float]] = {tool: [] for tool in TOOLS}
    for _ in range(args.repeats):
        for tool in TOOLS:
            times[tool].append(measure_in_fresh_process(tool, args.iterations, args.processes))
    s, m, b = (statistics.median(times[k]) for k in ("sweep", "sweep_mesa", "batch_run"))
    print(
        f"{runs} runs ({len(TENSIONS)} tensions x {len(PROTOCOLS)} protocols x {args.iterations}), {rounds} rounds, "
        f"{args.processes} processes, median of {args.repeats}, each timing in a fresh process"
    )
    print(f"{'tool':34} {'wall s':>8} {'runs/s':>8} {'vs batch_run':>13}")
    print(f"{'simrun sweep (batch engine)':34} {s:8.2f} {runs / s:8.1f} {b / s:12.2f}x")
    print(f"{'simrun sweep --engine mesa':34} {m:8.2f} {runs / m:8.1f} {b / m:12.2f}x")
    print(f"{'mesa.batch_run':34} {b:8.2f} {runs / b:8.1f} {1:12.2f}x")


if __name__ == "__main__":
    main()
