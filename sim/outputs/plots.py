"""Plots of a run: agreement probability per level over rounds, positions over rounds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.outputs.stats import wilson
from sim.scenario import Scenario

COLOURS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c"]


def fixed_margins(
    fig: Figure, *, left: float, right: float, top: float, bottom: float, wspace: float = 0.1, hspace: float = 0.2
) -> None:
    """Place a figure's subplots with margins given in inches (spaces as a share of a panel).

    For grids whose labels are known in advance: constrained layout would measure every
    tick label first, which costs about as much as drawing the figure.
    """
    width, height = fig.get_size_inches()
    fig.subplots_adjust(
        left=left / width,
        right=1 - right / width,
        top=1 - top / height,
        bottom=bottom / height,
        wspace=wspace,
        hspace=hspace,
    )


def _by_round(rounds: dict[str, list], column: str, n_rounds: int) -> np.ndarray:
    """(replications × rounds) array of one column."""
    return np.asarray(rounds[column], dtype=float).reshape(-1, n_rounds)


def _wilson_band(hits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95% Wilson interval per round of a (replications × rounds) boolean array."""
    bounds = [wilson(int(k), hits.shape[0])[1:] for k in hits.sum(axis=0)]
    return np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])


def plot_agreement(scenario: Scenario, rounds: dict[str, list], path: Path) -> None:
    """Probability of each government level (any signatories and cross-bloc) and of business agreement."""
    n = scenario.rounds
    x = np.arange(1, n + 1)
    gov = _by_round(rounds, "gov_level", n)
    cross = _by_round(rounds, "gov_cross_level", n)
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    (left, right) = fig.subplots(1, 2, sharey=True)
    for i, level in enumerate(scenario.ladder, start=1):
        colour = COLOURS[(i - 1) % len(COLOURS)]
        left.plot(x, (gov >= i).mean(axis=0), color=colour, lw=2, label=f"{level.label or level.name}")
        left.fill_between(x, *_wilson_band(gov >= i), color=colour, alpha=0.12)
        left.plot(x, (cross >= i).mean(axis=0), color=colour, lw=1.5, ls="--")
    left.plot([], [], color="grey", ls="--", label="… signed across blocs")
    left.set_title("Government level: agreement reached by round")
    left.set_xlabel("round")
    left.set_ylabel(f"probability (bands: 95% interval, n={gov.shape[0]})")
    left.legend(fontsize=8, loc="best")
    business = _by_round(rounds, "business_cross", n)
    right.plot(x, business.mean(axis=0), color="black", lw=2.5, label="cross-bloc standard (quorum in every bloc)")
    right.fill_between(x, *_wilson_band(business > 0.5), color="black", alpha=0.12)
    for j, bloc in enumerate(scenario.blocs):
        column = f"adoption_{bloc}"
        if column in rounds:
            share = _by_round(rounds, column, n)
            right.plot(x, share.mean(axis=0), color=COLOURS[j], lw=1.5, label=f"mean adoption share, {bloc}")
            right.fill_between(x, *np.percentile(share, [10, 90], axis=0), color=COLOURS[j], alpha=0.15)
    right.axhline(scenario.business.quorum, color="grey", lw=0.8, ls=":", label="quorum")
    right.set_title("Business level: standards forum")
    right.set_xlabel("round")
    right.legend(fontsize=8, loc="best")
    for ax in (left, right):
        for event in scenario.events:
            ax.axvline(event.round, color="grey", lw=0.8, ls="-.")
            ax.text(event.round, 1.0, f" {event.label or 'event'}", rotation=90, va="top", fontsize=7, color="dimgrey")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    fig.suptitle(f"{scenario.title or scenario.name}", fontsize=11)
    fig.savefig(path, dpi=110)


def plot_positions(scenario: Scenario, rounds: dict[str, list], path: Path) -> None:
    """Each government's stated position on each issue over rounds (mean, 10–90% band)."""
    n = scenario.rounds
    x = np.arange(1, n + 1)
    issues = scenario.issues
    cols = min(3, len(issues))
    rows_n = -(-len(issues) // cols)
    fig = Figure(figsize=(4.4 * cols, 3.2 * rows_n), layout="constrained")
    axes = fig.subplots(rows_n, cols, squeeze=False, sharex=True)
    for ax, issue in zip(axes.flat, issues, strict=False):
        for j, gov in enumerate(scenario.governments):
            values = _by_round(rounds, f"pos_{gov.id}_{issue.id}", n)
            colour = COLOURS[j % len(COLOURS)]
            ax.plot(x, values.mean(axis=0), color=colour, lw=2, label=gov.name)
            ax.fill_between(x, *np.percentile(values, [10, 90], axis=0), color=colour, alpha=0.15)
        ax.set_title(issue.id.replace("_", " "), fontsize=10)
        ax.text(0.01, 1.0, f"1 = {issue.high}", transform=ax.transAxes, va="top", fontsize=7, color="dimgrey")
        ax.text(0.01, 0.0, f"0 = {issue.low}", transform=ax.transAxes, va="bottom", fontsize=7, color="dimgrey")
        ax.set_ylim(-0.06, 1.06)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(issues) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7, loc="center right")
    for ax in axes[-1]:
        ax.set_xlabel("round")
    fig.suptitle("Stated positions of the governments over rounds (mean, 10–90% band)", fontsize=11)
    fig.savefig(path, dpi=110)
