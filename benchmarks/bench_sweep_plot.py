"""Benchmark: drawing a 500-point Latin-hypercube sweep, before and after response plots.

Runs a real 500-point LHS sweep of Bletchley (few replications per point: the drawing,
not the runs, is measured) for three sets of fields, then times drawing its
``probabilities.png`` (median of repeats) two ways: the series plot that used to draw
every sampled value as its own series (``plot_series``, the figure before), and what a
sweep draws now (``plot_sweep``: response plots, or heat maps for two numeric fields).
Prints the seconds and the legend entries of each.

    python benchmarks/bench_sweep_plot.py [--points 500] [--replications 4] [--repeats 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from matplotlib.figure import Figure

from sim.experiments.sweep import plan_sweep, run_sweep
from sim.outputs import sweep_report
from sim.outputs.sweep_report import is_response, plot_series, plot_sweep, response_figure

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "bletchley.yaml"
CASES = {
    "two numeric fields (heat maps)": ["tension=0:1", "actors.china.legitimacy=0:1"],
    "numeric + protocol": ["tension=0:1", "protocol=simultaneous,west_first"],
    "three numeric fields": ["tension=0:1", "actors.china.legitimacy=0:1", "business.openness=0:1"],
}


def legend_entries(fig: Figure) -> int:
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    return sum(len(legend.get_texts()) for legend in legends)


def timed(draw, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        draw()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def old_legend(plan, summary) -> int:
    """Legend entries of the series plot: one per value of the second field."""
    paths = list(plan.points[0])
    return len({row[paths[1]] for row in summary}) if len(paths) > 1 else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=500)
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"{args.points}-point LHS sweeps of {SCENARIO.name}, {args.replications} replications per point; "
          f"drawing time, median of {args.repeats}")  # fmt: skip
    print(f"{'fields':34} {'before (s)':>10} {'legend':>7} {'after (s)':>10} {'legend':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, vary) in enumerate(CASES.items()):
            plan = plan_sweep(SCENARIO, vary=vary, replications=args.replications, seed=1, sample="lhs",
                              points=args.points)  # fmt: skip
            result = run_sweep(plan, out=Path(tmp) / f"s{i}", workers=args.workers)
            summary = result.summary
            assert is_response("lhs", summary, list(plan.points[0]))
            before = timed(lambda p=plan, s=summary: plot_series(p, s, Path(tmp) / "before.png"), args.repeats)
            after = timed(lambda p=plan, s=summary: plot_sweep(p, s, Path(tmp) / "after.png"), args.repeats)
            entries = legend_entries(response_figure(plan, summary))
            print(f"{label:34} {before:10.2f} {old_legend(plan, summary):7d} {after:10.2f} {entries:7d}")
    print(f"(bins of the curves and the console summary: {sweep_report.BINS})")


if __name__ == "__main__":
    main()
