"""Outputs of a backtest: per-issue CSV, predicted-versus-actual plot, summary JSON."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.experiments.backtest import BacktestResult
from sim.outputs.files import write_csv, write_json

LABELS = {
    "engine": "simrun engine",
    "weighted_mean": "weighted mean (capability × salience)",
    "median": "median",
    "weighted_median": "weighted median",
}


def summary_of(result: BacktestResult, source: str) -> dict:
    """MAE of every predictor on all, odd (calibration) and even (test) proposals."""
    halves = {"all": result.issues, "odd": [i for i in result.issues if i.proposal % 2 == 1]}
    halves["even"] = [i for i in result.issues if i.proposal % 2 == 0]
    return {
        "dataset": source,
        "issues": {k: len(v) for k, v in halves.items()},
        "mae": {name: {k: round(result.errors(name, k), 4) for k in halves} for name in result.predictions},
        "engine_parameters": result.params.__dict__,
        "calibration": [{**p.__dict__, "mae_odd": round(e, 4)} for p, e in result.grid],
    }


def write_backtest(folder: Path, result: BacktestResult, summary: dict) -> None:
    """Write issues.csv, predicted_vs_actual.png and summary.json into ``folder``."""
    names = list(result.predictions)
    rows = (
        (
            i.issue,
            i.proposal,
            "odd" if i.proposal % 2 else "even",
            i.rule,
            len(i.positions),
            i.reference,
            i.outcome,
            *(result.predictions[n][k] for n in names),
        )
        for k, i in enumerate(result.issues)
    )
    header = ("issue", "proposal", "half", "rule", "actors", "reference", "outcome", *names)
    write_csv(folder / "issues.csv", header, ((("" if v is None else v) for v in row) for row in rows))
    plot_predicted_vs_actual(result, folder / "predicted_vs_actual.png")
    write_json(folder / "summary.json", summary)


def plot_predicted_vs_actual(result: BacktestResult, path: Path) -> None:
    """Scatter of predicted against recorded outcomes for the engine and the weighted mean."""
    from matplotlib.figure import Figure

    actual = np.array([i.outcome for i in result.issues])
    even = np.array([i.proposal % 2 == 0 for i in result.issues])
    fig = Figure(figsize=(10, 4.8), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    for ax, name in zip(axes, ("engine", "weighted_mean"), strict=True):
        pred = np.array(result.predictions[name])
        rng = np.random.default_rng(0)  # jitter only for display: many outcomes sit on 0, 50, 100
        jitter = rng.uniform(-1.2, 1.2, (2, len(pred)))
        ax.scatter(
            pred[~even] + jitter[0][~even], actual[~even] + jitter[1][~even], s=10, alpha=0.5, label="odd (calibration)"
        )
        ax.scatter(pred[even] + jitter[0][even], actual[even] + jitter[1][even], s=10, alpha=0.5, label="even (test)")
        ax.plot([0, 100], [0, 100], color="grey", lw=1)
        ax.set_title(
            f"{LABELS[name]}\nMAE all {result.errors(name):.1f}, test half {result.errors(name, 'even'):.1f}",
            fontsize=10,
        )
        ax.set_xlabel("predicted outcome (0–100)")
        ax.set_xlim(-5, 105)
        ax.set_ylim(-5, 105)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("recorded outcome (0–100)")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"DEU III backtest: {len(result.issues)} EU legislative issues", fontsize=11)
    fig.savefig(path, dpi=110)
