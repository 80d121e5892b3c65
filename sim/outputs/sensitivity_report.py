"""Outputs of a sensitivity analysis: indices.csv, sensitivity.png, indices.json."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sim.outputs.files import write_csv, write_json

TITLES = {
    "declaration": "declaration across blocs",
    "government": "substantive government agreement across blocs",
    "business": "cross-bloc business standard",
}


def write_indices(folder: Path, method: str, found: dict[str, list[dict]], meta: dict) -> None:
    """indices.csv (one row per output and input), indices.json and the bar chart."""
    keys = [k for k in found["government"][0] if k != "input"]
    rows = ((output, r["input"], *(r[k] for k in keys)) for output, items in found.items() for r in items)
    write_csv(folder / "indices.csv", ("output", "input", *keys), rows)
    write_json(folder / "indices.json", {**meta, "method": method, "indices": found})
    plot_indices(method, found, folder / "sensitivity.png")


def plot_indices(method: str, found: dict[str, list[dict]], path: Path) -> None:
    """Horizontal bars per output with 95% confidence intervals."""
    key, conf = ("mu_star", "mu_star_conf") if method == "morris" else ("ST", "ST_conf")
    label = "Morris μ* (mean |change in probability| per unit of the input's range)"
    if method != "morris":
        label = "Sobol total index S_T (share of variance, with interactions)"
    fig = Figure(figsize=(6.5 * len(found), 0.45 * len(found["government"]) + 1.8), layout="constrained")
    axes = fig.subplots(1, len(found))
    for ax, (output, items) in zip(np.atleast_1d(axes), found.items(), strict=True):
        items = items[::-1]
        y = np.arange(len(items))
        # μ* and S_T are never negative: the interval's lower end stops at 0
        values = [r[key] for r in items]
        below = [min(r[conf], max(v, 0.0)) for r, v in zip(items, values, strict=True)]
        xerr = [below, [r[conf] for r in items]]
        ax.barh(y, values, xerr=xerr, color="#4c72b0", alpha=0.85, capsize=3)
        ax.set_xlim(left=0.0)
        if not any(values) and not any(xerr[1]):  # an empty panel would look like a drawing error
            ax.text(0.5, 0.5, "the same at every point:\nno input moves it", transform=ax.transAxes,
                    ha="center", va="center", fontsize=9, color="#555555")  # fmt: skip
        ax.set_yticks(y, [r["input"] for r in items], fontsize=8)
        ax.set_title(TITLES.get(output, output), fontsize=10)
        ax.set_xlabel(label, fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle("Which inputs drive the probability of agreement (95% confidence intervals)", fontsize=11)
    fig.savefig(path, dpi=110)
