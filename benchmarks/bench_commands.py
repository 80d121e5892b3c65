"""Benchmark: wall time of whole everyday commands, each in a fresh process.

Runs ``simrun --help``, ``simrun validate scenarios/bletchley.yaml`` and
``simrun scenarios/bletchley.yaml --out DIR`` (200 replications, plots included)
``--repeats`` times each as new Python processes, as a user would, and prints the
median and the range beside the targets. Then it breaks one run down (in a fresh
process too): interpreter start, importing the CLI, importing what the run needs,
the replications, the summary and files, the two plots; and it lists the heavy
libraries the run loaded. Machines are shared and noisy: read the medians.

    python benchmarks/bench_commands.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = "scenarios/bletchley.yaml"
TARGETS = {"--help": 0.6, "validate": 0.6, "run (200 replications)": 2.0}
HEAVY = ("mesa", "pandas", "matplotlib", "scipy", "pyarrow", "SALib", "dask", "solara", "pydantic", "numpy")

# Runs in a fresh interpreter: the phases of ``simrun FILE --out DIR`` timed one by one
# (the study's own functions, wrapped with timers; nothing is re-implemented here).
BREAKDOWN = r"""
import json, sys, time
t0 = time.perf_counter()
import sim.cli
t_cli = time.perf_counter()
import sim.experiments.study as study
import sim.outputs.console
t_run_imports = time.perf_counter()
before = set(sys.modules)
phases = {"replications": 0.0, "plots": 0.0}

def timed(name, fn):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            phases[name] += time.perf_counter() - start
    return wrapper

study.run_replications = timed("replications", study.run_replications)
t_plots_import = time.perf_counter()
import sim.outputs.plots as plots
t_plots_import = time.perf_counter() - t_plots_import
for name in ("plot_agreement", "plot_positions"):
    wrapped = timed("plots", getattr(plots, name))
    setattr(plots, name, wrapped)
    if hasattr(study, name):  # a study module that imported the plot functions at its top
        setattr(study, name, wrapped)
start = time.perf_counter()
study.run_study(sys.argv[1], out=sys.argv[2])
total = time.perf_counter() - start
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[3].split(",")))
print(json.dumps({
    "import sim.cli": t_cli - t0,
    "import the run path (study, console)": t_run_imports - t_cli,
    "replications (incl. lazy model imports)": phases["replications"],
    "import matplotlib and the plots module": t_plots_import,
    "two plots (agreement.png, positions.png)": phases["plots"],
    "summary, tables, files": total - phases["replications"] - phases["plots"],
    "loaded": loaded,
}))
"""


def wall(args: list[str], env: dict) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one whole child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    opts = parser.parse_args()
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    py = [sys.executable]
    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            "--help": [*py, "-m", "sim.cli", "--help"],
            "validate": [*py, "-m", "sim.cli", "validate", SCENARIO],
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in (*commands, "run (200 replications)")}
        for i in range(opts.repeats):  # interleaved, so a busy spell hits every command alike
            for name, args in commands.items():
                times[name].append(wall(args, env))
            out = Path(tmp) / f"run{i}"
            times["run (200 replications)"].append(wall([*py, "-m", "sim.cli", SCENARIO, "--out", str(out)], env))
        start = time.perf_counter()
        subprocess.run([*py, "-c", "pass"], check=True)
        bare = time.perf_counter() - start

        print(f"Whole commands, {opts.repeats} fresh processes each (seconds; CPU = user + system of the process):")
        print(f"  {'command':<26} {'median':>7} {'min':>6} {'max':>6} {'target':>7}       {'CPU median':>10}")
        for name, pairs in times.items():
            values = [w for w, _ in pairs]
            med = statistics.median(values)
            ok = "ok" if med <= TARGETS[name] else "OVER"
            cpu = statistics.median(c for _, c in pairs)
            print(
                f"  {name:<26} {med:7.2f} {min(values):6.2f} {max(values):6.2f} {TARGETS[name]:7.1f}  {ok:<4} "
                f"{cpu:10.2f}"
            )
        print(f"  (load average now: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores)")

        result = subprocess.run(
            [*py, "-c", BREAKDOWN, SCENARIO, str(Path(tmp) / "breakdown"), ",".join(HEAVY)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        parts = json.loads(result.stdout.strip().splitlines()[-1])
        loaded = parts.pop("loaded")
        print("\nOne run, broken down (one fresh process, seconds):")
        print(f"  {'python start-up (bare interpreter)':<42} {bare:6.2f}")
        for name, seconds in parts.items():
            print(f"  {name:<42} {seconds:6.2f}")
        print(f"  heavy libraries loaded by the run: {', '.join(loaded) or 'none'}")


if __name__ == "__main__":
    main()
