"""Benchmark: the leave-one-out fit of `simrun backtest history` on the project's grid, the old path against the new.

The project's fit: 3 × 3 × 3 × 4 × 3 = 324 points × every case of the record × 200
replications (``GRID``). Prints

1. the full fit as the command runs it: ``plan_history`` (every case's 324 scenarios)
   and ``run_history`` on ``--workers`` local processes, wall seconds of each;
2. a sample of (case, point) runs: the old path, one run per (case, point) as
   ``run_history`` ran them (``model_prediction(case, s, case_rows(s, 200, seed))``),
   against the new one (:func:`sim.experiments.history_grid.grid_predictions`: a case's
   runs together, per run); median of ``--repeats`` per run, the ratio, and the full
   fit's runs projected from each (runs × mean per run / workers: the old path's
   pickling and pool overhead left out, which flatters it);
3. whether every sampled run predicts the same on both paths (it must).

Both paths run on this checkout's kernel, so they compute the same model; the kernel's
own speed-ups are then in both. ``--baseline REV`` runs the old path on the kernel files
(``sim/rules``, ``runner.py``) of git revision REV instead, in its own interpreter: the
old path as it was, but where the model changed since REV its predictions differ too.
Timings are wall seconds on a machine others may share: the load average is printed
beside them. ``--quick`` samples fewer runs and leaves out the full fit.

    python benchmarks/bench_history_fit.py [--quick] [--repeats 3] [--workers 2] [--baseline REV]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT / "sim" / "data" / "history.yaml"
GRID = [
    "model.kappa0_government=0.02,0.06,0.15",
    "model.kappa1_government=0.7,1.0,1.3",
    "model.depth_cost=2,3,5",
    "business.restriction_per_tension=0,0.125,0.25,0.5",
    "model.focal_gain=0,0.025,0.05",
]
REPLICATIONS = 200
BEFORE = "3cb02b6707a2ed69691bea4aadb4bed83e52e7d0"
"""The last revision of the kernel (sim/rules, runner.py) before the fit shared runs across grid points."""
OLD_FILES = ("sim/rules", "sim/experiments/runner.py")


def load() -> str:
    """The machine's load average over the last minute, as printed beside timings."""
    return f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "?"


def old_tree(revision: str, into: Path) -> Path:
    """This checkout's ``sim`` package with the kernel files of ``revision``: the old path, importable from ``into``."""
    shutil.copytree(ROOT / "sim", into / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    for path in OLD_FILES:
        listed = subprocess.run(
            ["git", "ls-tree", "-r", "--name-only", revision, path],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        for name in listed:
            text = subprocess.run(["git", "show", f"{revision}:{name}"], cwd=ROOT, capture_output=True, check=True)
            (into / name).write_bytes(text.stdout)
    return into


def time_old(sample: dict, repeats: int) -> dict:
    """The old path in this interpreter: each sampled (case, point) run alone, its wall seconds and prediction."""
    from sim.experiments.history_predictors import case_rows, model_prediction

    seed = sample["seed"]
    case, runs = sample["runs"][0]
    model_prediction(case, runs[0][1], case_rows(runs[0][1], REPLICATIONS, seed))  # warm up, untimed
    out = {"sim": str(Path(sys.modules["sim"].__file__).parent), "times": {}, "predictions": {}}
    for case, runs in sample["runs"]:
        for k, scenario in runs:
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                prediction = model_prediction(case, scenario, case_rows(scenario, REPLICATIONS, seed))
                times.append(time.perf_counter() - start)
            out["times"][f"{case.id} {k}"] = times
            out["predictions"][f"{case.id} {k}"] = dataclasses.asdict(prediction)
    return out


def old_in_its_interpreter(sample: dict, revision: str, repeats: int) -> dict:
    """:func:`time_old` in a new interpreter that imports the kernel of ``revision``."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = old_tree(revision, Path(tmp) / "old")
        sample_file = Path(tmp) / "sample.pickle"
        sample_file.write_bytes(pickle.dumps(sample))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tree), os.environ.get("PYTHONPATH", "")])}
        command = [sys.executable, __file__, "--old-sample", str(sample_file), "--repeats", str(repeats)]
        done = subprocess.run(command, env=env, cwd=tmp, capture_output=True, text=True, check=True)
        old = json.loads(done.stdout.strip().splitlines()[-1])
        assert Path(old["sim"]).is_relative_to(Path(tmp)), f"the old path imported {old['sim']}"
    return old


def time_new(plan: object, cases: list, repeats: int) -> tuple[dict, dict]:
    """Per sampled case: wall seconds of all its runs together (its own + every grid point), and the predictions."""
    from sim.experiments.history_grid import grid_predictions

    times, predictions = {}, {}
    for case in cases:
        scenarios = [plan.scenarios[case.id], *plan.grids[case.id]]  # type: ignore[attr-defined]
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            got = grid_predictions(case, scenarios, REPLICATIONS, plan.seed)  # type: ignore[attr-defined]
            runs.append(time.perf_counter() - start)
        times[case.id] = runs
        predictions.update({f"{case.id} {k}": dataclasses.asdict(p) for k, p in enumerate(got[1:])})
    return times, predictions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller sample, and no full fit")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline", help=f"time the old path on this git revision's kernel (e.g. {BEFORE[:7]})")
    parser.add_argument("--record", type=Path, default=RECORD)
    parser.add_argument("--old-sample", type=Path, help=argparse.SUPPRESS)  # time the old path, in this process
    args = parser.parse_args()
    if args.old_sample:
        print(json.dumps(time_old(pickle.loads(args.old_sample.read_bytes()), args.repeats)))
        return

    from sim.experiments.history import plan_history, run_history

    print(f"fit grid: {' '.join(GRID)}; {REPLICATIONS} replications; load average {load()} on {os.cpu_count()} cores")
    start = time.perf_counter()
    plan = plan_history(args.record, fit=GRID)
    planned = time.perf_counter() - start
    cases, points = plan.cases, len(plan.points)
    runs = len(cases) * (1 + points)  # each case as its file says, then at every grid point
    print(f"{len(cases)} cases × (1 + {points} points) = {runs} runs; plan_history {planned:.1f} s")

    fitted = None
    if not args.quick:
        start = time.perf_counter()
        run_history(plan, REPLICATIONS, workers=args.workers)
        fitted = time.perf_counter() - start
        print(f"full fit, new path, {args.workers} workers: run_history {fitted:.1f} s, ", end="")
        print(f"with the plan {planned + fitted:.1f} s (load average {load()})")

    # the sample: every few cases of the record, a few points spread over the grid
    step = 13 if args.quick else 7
    chosen = cases[::step]
    ks = [0, points - 1] if args.quick else [round(i * (points - 1) / 3) for i in range(4)]
    sample = {"seed": plan.seed, "runs": [(c, [(k, plan.grids[c.id][k]) for k in ks]) for c in chosen]}
    kernel = f"the kernel of {args.baseline}" if args.baseline else "this checkout's kernel"
    print(f"\nsample: {len(chosen)} cases × points {ks}, {args.repeats} repeats; the old path on {kernel}")
    old = (
        old_in_its_interpreter(sample, args.baseline, args.repeats) if args.baseline else time_old(sample, args.repeats)
    )
    new_times, new_predictions = time_new(plan, chosen, args.repeats)

    old_each = {key: statistics.median(t) for key, t in old["times"].items()}  # per (case, point)
    new_each = {cid: statistics.median(t) / (1 + points) for cid, t in new_times.items()}  # per run of a case
    rows = []
    for case in chosen:
        before = statistics.mean(v for key, v in old_each.items() if key.split()[0] == case.id)
        rows.append((f"{case.id} ({case.level})", before, new_each[case.id]))
    old_run, new_run = statistics.mean(old_each.values()), statistics.mean(new_each.values())
    rows.append(("mean", old_run, new_run))
    rows.append(("median", statistics.median(old_each.values()), statistics.median(new_each.values())))
    print(f"{'wall s per run':<42} {'old path':>9} {'new path':>9} {'ratio':>7}")
    for name, before, after in rows:
        print(f"{name:<42} {before:9.4f} {after:9.4f} {before / after:6.1f}×")

    old_fit, new_fit = runs * old_run / args.workers, runs * new_run / args.workers
    print(f"\nthe full fit's {runs} runs on {args.workers} workers, projected from the sample's mean:")
    print(f"  old path {old_fit:7.0f} s ({old_fit / 60:.1f} min); with the plan {planned + old_fit:7.0f} s")
    print(f"  new path {new_fit:7.0f} s;{'':>12} with the plan {planned + new_fit:7.0f} s")
    print(f"  ratio {old_fit / new_fit:.1f}× (runs), {(planned + old_fit) / (planned + new_fit):.1f}× (with the plan)")
    if fitted is not None:
        print(f"measured: the full fit {planned + fitted:.0f} s (plan {planned:.0f} s + runs {fitted:.0f} s), ", end="")
        print(f"{(planned + old_fit) / (planned + fitted):.1f}× faster than the old path's projection")
    differ = [key for key in old["predictions"] if old["predictions"][key] != new_predictions[key]]
    print(f"same predictions on both paths, all {len(old['predictions'])} sampled runs: {'NO' if differ else 'yes'}")
    if differ:
        print(f"  they differ at: {', '.join(differ)}")
        if args.baseline:
            print(f"  (the old path ran the kernel of {args.baseline}: a change of the model since then shows here)")
    print(f"(load average {load()})")


if __name__ == "__main__":
    main()
