"""Plots of a run: agreement probability per level over rounds, positions over rounds.

Drawn with matplotlib's object API on the Agg canvas and laid out by hand (fixed
margins, fixed ticks, bands only where they have a width): every ``simrun FILE``
writes these two figures, so they must cost little next to the run itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from sim.outputs.stats import wilson
from sim.scenario import Scenario

COLOURS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c"]
DPI = 100
"""Pixels per inch of the written PNGs (a 11-inch figure is 1100 pixels wide)."""
SHARES = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]


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


def round_ticks(n_rounds: int) -> list[int]:
    """At most about seven integer ticks on rounds 1..n (1, 2, 5, 10… apart)."""
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if n_rounds / s <= 7 or s == 1000)
    return list(range(step, n_rounds + 1, step)) if step > 1 else list(range(1, n_rounds + 1))


def _save(fig: Figure, path: Path) -> None:
    """Write ``fig`` as a PNG through the Agg canvas (no backend look-up, no tight bounding box)."""
    # zlib level 1 encodes about a third faster than the default 6; the files are about 10% larger
    FigureCanvasAgg(fig).print_png(path, pil_kwargs={"compress_level": 1})


def _band(ax: object, x: np.ndarray, low: np.ndarray, high: np.ndarray, colour: str, alpha: float) -> None:
    """Shade between ``low`` and ``high`` unless the band has no width (nothing to see, one draw call less).

    The polygon ``fill_between`` would make, drawn the same way (pixel for pixel), at a
    fifth of its cost: no masked arrays, no unit handling, no data limits (they are fixed).
    """
    if np.max(high - low) > 1e-9:
        outline = np.column_stack([np.r_[x[0], x, x[-1], x[::-1]], np.r_[high[0], low, high[-1], high[::-1]]])
        band = PolyCollection([outline], facecolors=colour, edgecolors=colour, alpha=alpha, linewidths=0)
        ax.add_collection(band, autolim=False)


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
    ticks = round_ticks(n)
    gov = _by_round(rounds, "gov_level", n)
    cross = _by_round(rounds, "gov_cross_level", n)
    fig = Figure(figsize=(11, 4.2), dpi=DPI)
    fixed_margins(fig, left=0.62, right=0.15, top=0.62, bottom=0.5, wspace=0.04)
    (left, right) = fig.subplots(1, 2, sharey=True)
    for i, level in enumerate(scenario.ladder, start=1):
        colour = COLOURS[(i - 1) % len(COLOURS)]
        left.plot(x, (gov >= i).mean(axis=0), color=colour, lw=2, label=f"{level.label or level.name}")
        _band(left, x, *_wilson_band(gov >= i), colour, 0.12)
        left.plot(x, (cross >= i).mean(axis=0), color=colour, lw=1.5, ls="--")
    left.plot([], [], color="grey", ls="--", label="… signed across blocs")
    left.set_title("Government level: agreement reached by round", y=1.0)
    left.set_xlabel("round")
    left.set_ylabel(f"probability (bands: 95% interval, n={gov.shape[0]})")
    left.legend(fontsize=8, loc="best")
    business = _by_round(rounds, "business_cross", n)
    right.plot(x, business.mean(axis=0), color="black", lw=2.5, label="cross-bloc standard (quorum in every bloc)")
    _band(right, x, *_wilson_band(business > 0.5), "black", 0.12)
    for j, bloc in enumerate(scenario.blocs):
        column = f"adoption_{bloc}"
        if column in rounds:
            share = _by_round(rounds, column, n)
            right.plot(x, share.mean(axis=0), color=COLOURS[j], lw=1.5, label=f"mean adoption share, {bloc}")
            _band(right, x, *np.percentile(share, [10, 90], axis=0), COLOURS[j], 0.15)
    right.axhline(scenario.business.quorum, color="grey", lw=0.8, ls=":", label="quorum")
    right.set_title("Business level: standards forum", y=1.0)
    right.set_xlabel("round")
    right.legend(fontsize=8, loc="best")
    for ax in (left, right):
        for event in scenario.events:
            ax.axvline(event.round, color="grey", lw=0.8, ls="-.")
            ax.text(event.round, 1.0, f" {event.label or 'event'}", rotation=90, va="top", fontsize=7, color="dimgrey")
        ax.set_xticks(ticks)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    left.set_yticks(SHARES)
    right.tick_params(labelleft=False)
    fig.suptitle(f"{scenario.title or scenario.name}", fontsize=11)
    _save(fig, path)


def plot_positions(scenario: Scenario, rounds: dict[str, list], path: Path) -> None:
    """Each government's stated position on each issue over rounds (mean, 10–90% band)."""
    n = scenario.rounds
    x = np.arange(1, n + 1)
    ticks = round_ticks(n)
    issues = scenario.issues
    cols = min(3, len(issues))
    rows_n = -(-len(issues) // cols)
    fig = Figure(figsize=(4.4 * cols, 0.75 + 2.9 * rows_n), dpi=DPI)
    # the legend sits in one row under the title, so no panel's lines hide behind it
    fixed_margins(fig, left=0.45, right=0.15, top=0.85, bottom=0.45, wspace=0.06, hspace=0.16)
    axes = fig.subplots(rows_n, cols, squeeze=False, sharex=True, sharey=True)
    lines = []
    for ax, issue in zip(axes.flat, issues, strict=False):
        lines = []
        for j, gov in enumerate(scenario.governments):
            values = _by_round(rounds, f"pos_{gov.id}_{issue.id}", n)
            colour = COLOURS[j % len(COLOURS)]
            lines += ax.plot(x, values.mean(axis=0), color=colour, lw=2)
            _band(ax, x, *np.percentile(values, [10, 90], axis=0), colour, 0.15)
        ax.set_title(issue.id.replace("_", " "), fontsize=10, pad=3, y=1.0)
        ax.text(0.01, 0.99, f"1 = {issue.high}", transform=ax.transAxes, va="top", fontsize=7, color="dimgrey")
        ax.text(0.01, 0.01, f"0 = {issue.low}", transform=ax.transAxes, va="bottom", fontsize=7, color="dimgrey")
        ax.grid(alpha=0.3)
    first = axes.flat[0]
    first.set_xticks(ticks)
    first.set_xlim(0.5, n + 0.5)
    first.set_yticks(SHARES)
    first.set_ylim(-0.06, 1.06)
    for ax in list(axes.flat)[len(issues) :]:
        ax.axis("off")
    for (r, c), ax in np.ndenumerate(axes):
        ax.tick_params(labelleft=c == 0, labelbottom=r == rows_n - 1 or (r + 1) * cols + c >= len(issues))
        if r == rows_n - 1 or (r + 1) * cols + c >= len(issues):
            ax.set_xlabel("round")
    fig.legend(
        lines,
        [gov.name for gov in scenario.governments],
        loc="upper center",
        bbox_to_anchor=(0.5, 1 - 0.36 / fig.get_size_inches()[1]),
        ncol=len(scenario.governments),
        fontsize=8,
        frameon=False,
    )
    fig.suptitle("Stated positions of the governments over rounds (mean, 10–90% band)", fontsize=11, y=0.995)
    _save(fig, path)
