"""Benchmark: wall time of whole everyday commands, each in a fresh process.

Runs ``simrun --help``, ``simrun validate scenarios/bletchley.yaml`` and
``simrun scenarios/bletchley.yaml --out DIR`` (200 replications, plots included)
``--repeats`` times each as new Python processes, as a user would, and prints the
median and the range beside the targets. With ``--against REF`` (a git ref, e.g.
``main``) the same commands of that version run too, interleaved with these, and the
ratios are printed: on a shared machine only a side-by-side ratio means much.

Then it breaks one run down, twice, each in a fresh process: as the command runs it
(the figures drawn by a child forked at the start, which imports matplotlib and builds
the figures' frames while the replications run: when the data were handed over, when
the tables were written, when the figures were, and the child's own times), and one
step at a time in one process (importing the CLI, importing what the run needs, the
replications, the tables and files, importing matplotlib, the two plots). Machines
are shared and noisy: read the medians, and the load average printed beside them.

    python benchmarks/bench_commands.py [--repeats 5] [--against main]
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
RUN = "run (200 replications)"
TARGETS = {"--help": 0.6, "validate": 0.6, RUN: 2.0}
HEAVY = ("mesa", "pandas", "matplotlib", "scipy", "pyarrow", "SALib", "dask", "solara", "pydantic", "numpy")

# Runs in a fresh interpreter: ``simrun FILE --out DIR`` as the command runs it, with
# timestamps (seconds since this script started) at the hand-offs between the two processes.
TIMELINE = r"""
import json, sys, time
t0 = time.perf_counter()
import sim.cli
import sim.outputs.plot_process as pp
marks = {"import sim.cli (main only)": time.perf_counter() - t0}
made = []

def stamp(name, fn):
    def wrapper(*args, **kwargs):
        result = fn(*args, **kwargs)
        marks[name] = time.perf_counter() - t0
        if name == "fork":
            made.append(result)
        return result
    return wrapper

pp.start_plotter = stamp("fork", pp.start_plotter)
pp.PlotProcess.draw = stamp("data handed to the child", pp.PlotProcess.draw)
original_wait = pp.PlotProcess.wait

def wait(self):
    marks["tables written, waiting"] = time.perf_counter() - t0
    original_wait(self)
    marks["figures written"] = time.perf_counter() - t0

pp.PlotProcess.wait = wait
sys.argv = ["simrun", sys.argv[1], "--out", sys.argv[2]]
try:
    sim.cli.main()
except SystemExit:
    pass
marks["command done"] = time.perf_counter() - t0
child = made[0].timings if made and made[0].timings else {}
print(json.dumps({"marks": marks, "child": child, "forked": type(made[0]).__name__ if made else "none"}))
"""

# Runs in a fresh interpreter: the same work one step at a time, in one process (as when
# the command cannot fork); the study's own functions, wrapped with timers.
STEPS = r"""
import json, sys, time
t0 = time.perf_counter()
import sim.cli.commands
t_cli = time.perf_counter()
import sim.experiments.study as study
import sim.outputs.console
t_run_imports = time.perf_counter()
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
import sim.outputs.plots
import sim.outputs.plot_process as plot_process
t_plots_import = time.perf_counter() - t_plots_import
plot_process.Plotter.draw = timed("plots", plot_process.Plotter.draw)  # builds and finishes both figures
start = time.perf_counter()
study.run_study(sys.argv[1], out=sys.argv[2])
total = time.perf_counter() - start
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[3].split(",")))
print(json.dumps({
    "import the CLI (typer, rich)": t_cli - t0,
    "import the run path (study, console)": t_run_imports - t_cli,
    "replications (incl. lazy model imports)": phases["replications"],
    "summary, tables, files": total - phases["replications"] - phases["plots"],
    "import matplotlib and the plots module": t_plots_import,
    "two plots (agreement.png, positions.png)": phases["plots"],
    "loaded": loaded,
}))
"""


def wall(args: list[str], env: dict, cwd: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system, the process and its children) of one whole child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def export(ref: str, into: Path) -> Path:
    """The tree of git ``ref`` (committed files only) written under ``into``."""
    tree = into / "against"
    tree.mkdir()
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--against", metavar="REF", help="also time the commands of git ref REF (e.g. main)")
    opts = parser.parse_args()
    py = [sys.executable]
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"this": ROOT}
        if opts.against:
            trees[opts.against] = export(opts.against, Path(tmp))
        commands = {
            "--help": [*py, "-m", "sim.cli", "--help"],
            "validate": [*py, "-m", "sim.cli", "validate", SCENARIO],
        }
        times = {(tree, name): [] for tree in trees for name in (*commands, RUN)}
        print(f"load average at the start: {load()} on {os.cpu_count()} cores")
        for i in range(opts.repeats):  # interleaved, so a busy spell hits every command and version alike
            for tree, where in trees.items():
                env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(where)}
                for name, args in commands.items():
                    times[tree, name].append(wall(args, env, where))
                out = Path(tmp) / f"run-{i}-{len(times[tree, RUN])}-{tree.replace('/', '_')}"
                times[tree, RUN].append(wall([*py, "-m", "sim.cli", SCENARIO, "--out", str(out)], env, where))
        start = time.perf_counter()
        subprocess.run([*py, "-c", "pass"], check=True)
        bare = time.perf_counter() - start

        print(f"Whole commands, {opts.repeats} fresh processes each (seconds; CPU = user + system of the process):")
        print(f"  {'command':<34} {'median':>7} {'min':>6} {'max':>6} {'target':>7}       {'CPU median':>10}")
        medians = {}
        for (tree, name), pairs in times.items():
            values = [w for w, _ in pairs]
            medians[tree, name] = med = statistics.median(values)
            ok = "ok" if med <= TARGETS[name] else "OVER"
            cpu = statistics.median(c for _, c in pairs)
            label = name if tree == "this" else f"{name} [{tree}]"
            print(
                f"  {label:<34} {med:7.2f} {min(values):6.2f} {max(values):6.2f} {TARGETS[name]:7.1f}  {ok:<4} "
                f"{cpu:10.2f}"
            )
        if opts.against:
            ratios = ", ".join(f"{name} {medians['this', name] / medians[opts.against, name]:.2f}" for name in TARGETS)
            print(f"  ratio of medians, this / {opts.against}: {ratios}")
        print(f"  (load average now: {load()} on {os.cpu_count()} cores)")

        env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
        start = time.perf_counter()
        result = subprocess.run(
            [*py, "-c", TIMELINE, SCENARIO, str(Path(tmp) / "timeline")],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        process = time.perf_counter() - start
        timeline = json.loads(result.stdout.strip().splitlines()[-1])
        print(f"\nOne run as the command runs it (figures drawn by a {timeline['forked']}; seconds since start):")
        for name, at in timeline["marks"].items():
            print(f"  {name:<42} {at:6.2f}")
        print(f"  {'process ended (interpreter start and exit)':<42} {process:6.2f}")
        child = timeline["child"]
        if child:
            print(
                f"  the child: {child['import']:.2f} s importing matplotlib, {child['build']:.2f} s building the "
                f"frames, {child['idle']:.2f} s waiting for the data, {child['draw']:.2f} s finishing the figures"
            )

        result = subprocess.run(
            [*py, "-c", STEPS, SCENARIO, str(Path(tmp) / "steps"), ",".join(HEAVY)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        parts = json.loads(result.stdout.strip().splitlines()[-1])
        loaded = parts.pop("loaded")
        print("\nThe same work one step at a time, in one process (seconds):")
        print(f"  {'python start-up (bare interpreter)':<42} {bare:6.2f}")
        for name, seconds in parts.items():
            print(f"  {name:<42} {seconds:6.2f}")
        print(f"  heavy libraries loaded: {', '.join(loaded) or 'none'}")


if __name__ == "__main__":
    main()
