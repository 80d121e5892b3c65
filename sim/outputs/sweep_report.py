"""Summaries and plots of a sweep.

One row per grid point, each probability with its 95% Wilson interval. The plot depends
on what was swept: a grid of few values draws a line (or points) per value of the second
field against the first; a sampled (Latin hypercube) or continuous sweep draws response
plots instead (:func:`response_figure`): every point as a dot with a binned mean and its
95% band, or a heat map for two numeric fields. The console and the report summarise such
a sweep by bins of its first numeric field (:func:`sweep_table`), not point by point.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.outputs.files import write_csv, write_json
from sim.outputs.plots import COLOURS, fixed_margins
from sim.outputs.stats import estimate, percent

BINS = 10
"""Bins of a response plot's mean curve and of the console's summary by bins (at most)."""
MAX_SERIES = 8
"""Values of the second field a grid plot draws as series at most; with more, a response plot."""
MAX_ROWS = 40
"""Points the console and the report list one by one at most; a larger sweep is summarised by bins."""


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


def numeric_paths(summary: list[dict], paths: list[str]) -> list[str]:
    """The swept paths whose every value is a number."""
    return [p for p in paths if all(isinstance(r[p], int | float) and not isinstance(r[p], bool) for r in summary)]


def is_response(sample: str, summary: list[dict], paths: list[str]) -> bool:
    """Whether the sweep is drawn as response plots: sampled, or a grid with too many series, on a numeric field."""
    numeric = numeric_paths(summary, paths)
    if not numeric:
        return False
    if sample != "grid":
        return True
    return len(paths) > 1 and len({r[paths[1]] for r in summary}) > MAX_SERIES


def pooled(rows: list[dict], name: str) -> dict:
    """The estimate of outcome ``name`` over the replications of several points, pooled (Wilson interval)."""
    successes = sum(round(r[f"p_{name}"] * r["n"]) for r in rows if r["n"])
    return estimate(successes, sum(r["n"] for r in rows))


def bin_edges(values: np.ndarray, bins: int = BINS) -> np.ndarray | None:
    """Equal-width edges over the values' range; None when there are at most ``bins`` distinct values (one each)."""
    if len(np.unique(values)) <= bins:
        return None
    return np.linspace(values.min(), values.max(), bins + 1)


def binned(summary: list[dict], path: str, bins: int = BINS) -> list[tuple[float, float, list[dict]]]:
    """The points grouped by ``path``'s value: ``(low, high, rows)`` per non-empty bin (a value per bin if few)."""
    x = np.array([r[path] for r in summary], dtype=float)
    edges = bin_edges(x, bins)
    if edges is None:
        return [(v, v, [r for r, xi in zip(summary, x, strict=True) if xi == v]) for v in np.unique(x)]
    index = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    return [
        (float(edges[i]), float(edges[i + 1]), [r for r, k in zip(summary, index, strict=True) if k == i])
        for i in range(len(edges) - 1)
        if (index == i).any()
    ]


def sweep_table(summary: list[dict], sample: str) -> tuple[str, list[str], list[list[str]], str]:
    """What the console and the report show of a sweep: ``(title, header, rows, note)``.

    Every point while there are at most :data:`MAX_ROWS` of a grid; otherwise the points
    pooled by bins of the first numeric swept field (at most :data:`BINS` rows), each
    outcome as ``42% [36–49]`` over the bin's replications.
    """
    names = [k.removeprefix("p_") for k in summary[0] if k.startswith("p_")]
    paths = swept_paths(summary)
    numeric = numeric_paths(summary, paths)
    if numeric and (is_response(sample, summary, paths) or len(summary) > MAX_ROWS):
        axis = numeric[0]
        bins = binned(summary, axis)
        width = max((high - low for low, high, _ in bins), default=0.0)
        digits = max(0, 1 - math.floor(math.log10(width))) if width > 0 else 3
        rows = [
            [
                f"{low:.3g}" if low == high else f"{low:.{digits}f}–{high:.{digits}f}",
                str(len(found)),
                str(sum(r["n"] for r in found)),
                *(percent(pooled(found, m)) for m in names),
            ]
            for low, high, found in bins
        ]
        title = f"P (95% interval) by bins of {axis}, points pooled"
        note = f"{len(summary)} points in {len(rows)} bins of {axis}; summary.csv holds every point."
        return title, [f"{axis} (bin)", "points", "n", *names], rows, note
    shown = summary if len(summary) <= MAX_ROWS else summary[:: max(1, len(summary) // MAX_ROWS)]
    rows = [
        [
            *(f"{row[k]:.3g}" if isinstance(row[k], float) else str(row[k]) for k in paths),
            str(row["n"]),
            *(percent({k: row[f"{k}_{m}"] for k in ("p", "low", "high")}) for m in names),
        ]
        for row in shown
    ]
    note = "" if len(shown) == len(summary) else f"every {len(summary) // len(shown)}th of {len(summary)} points"
    return "P (95% interval) per point", [*paths, "n", *names], rows, note


def swept_paths(summary: list[dict]) -> list[str]:
    """The swept fields among a summary row's columns."""
    return [
        k
        for k in summary[0]
        if k not in ("point", "n", "errors", "suggested_replications")
        and not k.startswith(("p_", "low_", "high_", "wide_"))
    ]


def plot_sweep(plan, summary: list[dict], path: Path) -> None:  # noqa: ANN001 - a SweepPlan
    """The sweep's figure: response plots for a sampled or continuous sweep, else a line per series."""
    if is_response(plan.spec["sample"], summary, list(plan.points[0])):
        fig = response_figure(plan, summary)
        FigureCanvasAgg(fig).print_png(path, pil_kwargs={"compress_level": 1})
        return
    plot_series(plan, summary, path)


def response_figure(plan, summary: list[dict]) -> Figure:  # noqa: ANN001 - a SweepPlan
    """Response plots: a heat map per outcome for two numeric fields, else dots and a binned mean per field.

    Dots are the points' estimates; the curve is the pooled estimate of each bin (at most
    :data:`BINS`) with its 95% band. Points are coloured by a categorical field of at most
    :data:`MAX_SERIES` values, so the legend never has more than ten entries.
    """
    tests = measures(plan.scenario)
    paths = list(plan.points[0])
    numeric = numeric_paths(summary, paths)
    categorical = [p for p in paths if p not in numeric]
    title = f"{plan.scenario.title or plan.scenario.name}: {plan.spec['sample']} sweep of {len(summary)} points"
    if len(numeric) == 2 and not categorical:
        return _heat_maps(plan, summary, tests, numeric, title)
    xs = numeric[:3]
    groups_path = categorical[0] if categorical else None
    groups = list(dict.fromkeys(r[groups_path] for r in summary)) if groups_path else [None]
    if len(groups) > MAX_SERIES:
        groups_path, groups = None, [None]
    panels = [(name, x) for name in tests for x in xs]
    cols = len(xs) if len(xs) > 1 else min(3, len(tests))
    rows_n = -(-len(panels) // cols)
    top = 0.95 if len(xs) == 1 else 1.15  # two-line panel titles against several fields
    fig = Figure(figsize=(4.4 * cols, top + 3.0 * rows_n))
    fixed_margins(fig, left=0.95, right=0.2, top=top, bottom=0.55, wspace=0.08, hspace=0.45 if len(xs) == 1 else 0.55)
    grid = fig.subplots(rows_n, cols, sharey=True, squeeze=False)
    axes = list(grid.flat)
    for spare in axes[len(panels) :]:
        spare.axis("off")
    handles: dict[str, object] = {}
    for ax, (name, x_path) in zip(axes, panels, strict=False):
        label = tests[name][0]
        for j, group in enumerate(groups):
            rows = [r for r in summary if groups_path is None or r[groups_path] == group]
            colour = COLOURS[j % len(COLOURS)] if groups_path else "#4c72b0"
            x = np.array([r[x_path] for r in rows], dtype=float)
            p = np.array([r[f"p_{name}"] for r in rows], dtype=float)
            dots = ax.scatter(x, p, s=7, color=colour, alpha=0.35, linewidths=0)
            centres, mean, low, high = _curve(rows, x_path, name)
            (line,) = ax.plot(centres, mean, color=colour if groups_path else "black", lw=2)
            ax.fill_between(centres, low, high, color=colour if groups_path else "black", alpha=0.15, lw=0)
            if groups_path:
                handles.setdefault(f"{groups_path} = {group}", line)
            else:
                handles.setdefault(f"points (n={plan.replications} each)", dots)
                handles.setdefault(f"binned mean of {BINS} bins, 95% band", line)
        ax.set_title(label if len(xs) == 1 else f"{label}\nagainst {x_path}", fontsize=9)
        ax.set_xlabel(x_path)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    for row in grid:
        row[0].set_ylabel("probability")
    height = fig.get_size_inches()[1]
    fig.legend(
        list(handles.values()),
        list(handles),
        loc="upper center",
        bbox_to_anchor=(0.5, 1 - 0.4 / height),
        ncol=min(len(handles), 4),
        fontsize=8,
        markerscale=3,
        frameon=False,
    )
    fig.suptitle(title, fontsize=11, y=1 - 0.08 / height, va="top")
    return fig


def _curve(rows: list[dict], path: str, name: str) -> tuple[np.ndarray, ...]:
    """Bin centres, pooled estimates and their 95% interval of outcome ``name`` along ``path``."""
    found = [((lo + hi) / 2, pooled(group, name)) for lo, hi, group in binned(rows, path)]
    centres = np.array([c for c, _ in found])
    return centres, *(np.array([e[k] for _, e in found]) for k in ("p", "low", "high"))


def _heat_maps(plan, summary: list[dict], tests: dict, paths: list[str], title: str) -> Figure:  # noqa: ANN001
    """One heat map per outcome over two numeric fields: the pooled probability in each of BINS × BINS cells."""
    x = np.array([r[paths[0]] for r in summary], dtype=float)
    y = np.array([r[paths[1]] for r in summary], dtype=float)
    n = np.array([r["n"] for r in summary], dtype=float)
    x_edges = bin_edges(x) if bin_edges(x) is not None else _value_edges(x)
    y_edges = bin_edges(y) if bin_edges(y) is not None else _value_edges(y)
    cols = min(3, len(tests))
    rows_n = -(-len(tests) // cols)
    fig = Figure(figsize=(4.4 * cols + 0.8, 0.7 + 3.2 * rows_n))
    fixed_margins(fig, left=0.85, right=1.1, top=0.7, bottom=0.55, wspace=0.1, hspace=0.45)
    grid = fig.subplots(rows_n, cols, sharex=True, sharey=True, squeeze=False)
    axes = list(grid.flat)
    for spare in axes[len(tests) :]:
        spare.axis("off")
    image = None
    runs, _, _ = np.histogram2d(x, y, bins=[x_edges, y_edges], weights=n)
    for ax, (name, (label, _)) in zip(axes, tests.items(), strict=False):
        k = np.array([round(r[f"p_{name}"] * r["n"]) for r in summary], dtype=float)
        hits, _, _ = np.histogram2d(x, y, bins=[x_edges, y_edges], weights=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(runs > 0, hits / runs, np.nan)
        image = ax.pcolormesh(x_edges, y_edges, share.T, vmin=0, vmax=1, cmap="viridis")
        ax.set_title(label, fontsize=9)
        ax.set_xlabel(paths[0])
    for row in grid:
        row[0].set_ylabel(paths[1])
    if image is not None:
        width, height = fig.get_size_inches()
        bar = fig.add_axes((1 - 0.85 / width, 0.55 / height, 0.15 / width, 1 - 1.25 / height))
        fig.colorbar(image, cax=bar, label=f"probability (pooled in each cell, n={plan.replications} per point)")
    fig.suptitle(f"{title}: {paths[0]} × {paths[1]}", fontsize=11)
    return fig


def _value_edges(values: np.ndarray) -> np.ndarray:
    """Edges halfway between a few distinct values (one cell each)."""
    v = np.unique(values)
    if len(v) == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    mid = (v[1:] + v[:-1]) / 2
    return np.r_[v[0] - (mid[0] - v[0]), mid, v[-1] + (v[-1] - mid[-1])]


def plot_series(plan, summary: list[dict], path: Path) -> None:  # noqa: ANN001 - a SweepPlan
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


def write_sweep_outputs(
    out: Path,
    plan,  # noqa: ANN001 - a SweepPlan
    summary: list[dict],
    info: dict,
    hinge: dict | None = None,
    runs: pa.Table | None = None,
) -> None:
    """Write summary.csv, summary.parquet, the plot, hinge.json (given ``hinge``) and manifest.json, each atomically.

    Given ``runs`` (every part's rows, sorted), also ``runs.parquet``: the whole sweep in
    one file (``parts/`` stays as the resume checkpoint).
    """
    header = list(summary[0])

    def atomic(name: str, write) -> None:  # noqa: ANN001
        tmp = out / f".tmp.{name}"
        write(tmp)
        os.replace(tmp, out / name)

    atomic("summary.csv", lambda p: write_csv(p, header, ([row[h] for h in header] for row in summary)))
    atomic("summary.parquet", lambda p: pq.write_table(pa.Table.from_pylist(summary), p))
    if runs is not None:
        atomic("runs.parquet", lambda p: pq.write_table(runs, p))
    atomic("probabilities.png", lambda p: plot_sweep(plan, summary, p))
    atomic("scenario.json", lambda p: write_json(p, plan.scenario.model_dump(mode="json")))
    if hinge is not None:  # what each outcome hinges on (sim.experiments.hinge)
        atomic("hinge.json", lambda p: write_json(p, hinge))
    atomic("manifest.json", lambda p: write_json(p, info))
