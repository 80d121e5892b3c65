"""Summaries and plots of a sweep.

One row per grid point, each probability with its 95% Wilson interval; a plot of the
probability of each level against the first swept field.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from matplotlib.figure import Figure

from sim.outputs.files import write_csv, write_json
from sim.outputs.plots import COLOURS, fixed_margins
from sim.outputs.stats import estimate


def measures(scenario) -> dict:  # noqa: ANN001 - a Scenario
    """Outcome tests summarised per grid point: name → (label, test on a row)."""
    ladder = scenario.ladder
    first, deepest, sub = ladder[0].depth, ladder[-1].depth, scenario.substantive_level.depth
    found = {
        "declaration": (f"{ladder[0].name.replace('_', ' ')} across blocs", lambda r: r["gov_cross_depth"] >= first),
        "substantive": (
            f"{scenario.substantive_level.name.replace('_', ' ')}+ across blocs",
            lambda r: r["gov_cross_depth"] >= sub,
        ),
        "binding": (f"{ladder[-1].name.replace('_', ' ')} across blocs", lambda r: r["gov_cross_depth"] >= deepest),
        "business": ("business standard across blocs", lambda r: r["business_level"] == "cross_bloc"),
    }
    for bloc in scenario.blocs:
        if sum(g.bloc == bloc for g in scenario.governments) >= 2:
            label = f"{scenario.substantive_level.name.replace('_', ' ')}+ among all of {bloc}"
            found[f"bloc_{bloc}"] = (label, lambda r, b=bloc: r[f"bloc_{b}_depth"] >= sub)
    return found


def summarise_sweep(plan, table: pa.Table) -> list[dict]:  # noqa: ANN001 - a SweepPlan
    """One summary row per grid point (errors excluded from n, and counted)."""
    rows = table.to_pylist()
    by_point: dict[int, list[dict]] = {}
    for row in rows:
        by_point.setdefault(row["point"], []).append(row)
    tests = measures(plan.scenario)
    out = []
    for g, point in enumerate(plan.points):
        runs = by_point.get(g, [])
        ok = [r for r in runs if not r.get("error")]
        entry = {"point": g, **point, "n": len(ok), "errors": len(runs) - len(ok)}
        needed = 0
        for name, (_, test) in tests.items():
            est = estimate(sum(1 for r in ok if test(r)), len(ok))
            entry[f"p_{name}"] = est["p"]
            entry[f"low_{name}"] = est["low"]
            entry[f"high_{name}"] = est["high"]
            entry[f"wide_{name}"] = bool(est.get("wide", False))
            needed = max(needed, est.get("suggested_replications", 0))
        # replications that would bring every interval of this point within ±0.05 (0: already)
        entry["suggested_replications"] = needed
        out.append(entry)
    return out


def plot_sweep(plan, summary: list[dict], path: Path) -> None:  # noqa: ANN001 - a SweepPlan
    """P(level) against the first swept field, one line per value of the second, with bands."""
    tests = measures(plan.scenario)
    paths = list(plan.points[0])
    x_path = paths[0]
    group_path = paths[1] if len(paths) > 1 else None
    groups = list(dict.fromkeys(row[group_path] for row in summary)) if group_path else [None]
    numeric = all(isinstance(r[x_path], int | float) and not isinstance(r[x_path], bool) for r in summary)
    categories = list(dict.fromkeys(r[x_path] for r in summary))
    cols = min(3, len(tests))
    rows_n = -(-len(tests) // cols)
    fig = Figure(figsize=(4.6 * cols, 3.8 * rows_n))
    # known labels, so fixed margins (inches): room for the two-line y label and rotated categories
    fixed_margins(fig, left=0.95, right=0.2, top=0.6, bottom=0.55 if numeric else 0.85, wspace=0.08, hspace=0.4)
    grid = fig.subplots(rows_n, cols, sharey=True, squeeze=False)
    axes = list(grid.flat)[: len(tests)]
    for spare in list(grid.flat)[len(tests) :]:
        spare.axis("off")
    lhs = plan.spec["sample"] == "lhs"
    for ax, (name, (label, _)) in zip(axes, tests.items(), strict=True):
        for j, group in enumerate(groups):
            rows = [r for r in summary if group_path is None or r[group_path] == group]
            rows.sort(key=lambda r: r[x_path] if numeric else categories.index(r[x_path]))
            x = np.array([r[x_path] if numeric else categories.index(r[x_path]) for r in rows], dtype=float)
            p = np.array([r[f"p_{name}"] for r in rows])
            lo = np.array([r[f"low_{name}"] for r in rows])
            hi = np.array([r[f"high_{name}"] for r in rows])
            colour = COLOURS[j % len(COLOURS)]
            text = f"{group_path} = {group}" if group_path else None
            if lhs:
                ax.errorbar(x, p, yerr=[p - lo, hi - p], fmt="o", ms=3, color=colour, alpha=0.6, label=text)
            elif not numeric:  # categories: points with intervals, side by side (no line between them)
                shift = (j - (len(groups) - 1) / 2) * 0.12
                ax.errorbar(x + shift, p, yerr=[p - lo, hi - p], fmt="o", ms=5, capsize=3, color=colour, label=text)
            else:
                ax.plot(x, p, "-o", ms=3, color=colour, lw=2, label=text)
                ax.fill_between(x, lo, hi, color=colour, alpha=0.18)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel(x_path)
        if not numeric:
            ax.set_xticks(range(len(categories)), [str(c) for c in categories], rotation=20, ha="right")
            ax.set_xlim(-0.5, len(categories) - 0.5)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    for row in grid:
        row[0].set_ylabel(f"probability\n(95% interval, n={plan.replications} per point)")
    if group_path:
        axes[0].legend(fontsize=8)
    fig.suptitle(f"{plan.scenario.title or plan.scenario.name}: sweep over {', '.join(paths)}", fontsize=11)
    fig.savefig(path, dpi=110)


def write_sweep_outputs(out: Path, plan, summary: list[dict], info: dict, hinge: dict | None = None) -> None:  # noqa: ANN001
    """Write summary.csv, summary.parquet, the plot, hinge.json (given ``hinge``) and manifest.json, each atomically."""
    header = list(summary[0])

    def atomic(name: str, write) -> None:  # noqa: ANN001
        tmp = out / f".tmp.{name}"
        write(tmp)
        os.replace(tmp, out / name)

    atomic("summary.csv", lambda p: write_csv(p, header, ([row[h] for h in header] for row in summary)))
    atomic("summary.parquet", lambda p: pq.write_table(pa.Table.from_pylist(summary), p))
    atomic("probabilities.png", lambda p: plot_sweep(plan, summary, p))
    atomic("scenario.json", lambda p: write_json(p, plan.scenario.model_dump(mode="json")))
    if hinge is not None:  # what each outcome hinges on (sim.experiments.hinge)
        atomic("hinge.json", lambda p: write_json(p, hinge))
    atomic("manifest.json", lambda p: write_json(p, info))
