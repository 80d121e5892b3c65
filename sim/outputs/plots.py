"""Plots of a run: agreement probability per level over rounds, positions over rounds.

Drawn with matplotlib's object API on the Agg canvas and laid out by hand (fixed
margins, fixed ticks, bands only where they have a width): every ``simrun FILE``
writes these two figures, so they must cost little next to the run itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from sim.outputs.plot_data import agreement_data, agreement_layout, positions_data, positions_layout

if TYPE_CHECKING:
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


def plot_agreement(scenario: Scenario, rounds: dict[str, list], path: Path) -> None:
    """Probability of each government level (any signatories and cross-bloc) and of business agreement."""
    replications = len(rounds["gov_level"]) // scenario.rounds
    AgreementFigure(agreement_layout(scenario, replications)).finish(agreement_data(scenario, rounds), path)


def plot_positions(scenario: Scenario, rounds: dict[str, list], path: Path) -> None:
    """Each government's stated position on each issue over rounds (mean, 10–90% band)."""
    PositionsFigure(positions_layout(scenario)).finish(positions_data(scenario, rounds), path)


def mark_summits(ax: object, rounds: list[int], label: bool = True) -> None:
    """A shaded band at each summit round (texts are signed only there), labelled "summit" at its foot."""
    for at in rounds:
        ax.axvspan(at - 0.5, at + 0.5, color="#f0c36d", alpha=0.25, lw=0, zorder=0)
        if label:
            ax.text(
                at, 0.03, "summit", transform=ax.get_xaxis_transform(), rotation=90, ha="center", va="bottom",
                fontsize=8, color="#8a6d1f", zorder=0,
            )  # fmt: skip


def _make_ticks(axes: list, xticks: int, yticks: int) -> None:
    """Create the tick marks and labels now (drawing would create them the same way, later)."""
    for ax in axes:
        ax.xaxis.get_major_ticks(xticks)
        ax.yaxis.get_major_ticks(yticks)


class AgreementFigure:
    """The figure of :func:`plot_agreement`: built from its layout, finished with its data.

    The layout (:func:`sim.outputs.plot_data.agreement_layout`) is known before any
    replication runs, so a plotting process builds the frame meanwhile. Lines, bands,
    legends and event lines are added in :meth:`finish`, in the order that draws them
    as one pass would.
    """

    def __init__(self, layout: dict) -> None:
        self.layout = layout
        n = layout["rounds"]
        ticks = round_ticks(n)
        self.fig = fig = Figure(figsize=(11, 4.2), dpi=DPI)
        fixed_margins(fig, left=0.62, right=0.15, top=0.62, bottom=0.5, wspace=0.04)
        (left, right) = self.axes = fig.subplots(1, 2, sharey=True)
        left.set_title("Government level: agreement reached by round", y=1.0)
        left.set_xlabel("round")
        left.set_ylabel(f"probability (bands: 95% interval, n={layout['replications']})")
        right.set_title("Business level: standards forum", y=1.0)
        right.set_xlabel("round")
        for ax in (left, right):
            mark_summits(ax, layout.get("summits", []), label=ax is left)  # the right panel's legend would hide it
            for at, label in layout["events"]:
                ax.text(at, 1.0, f" {label}", rotation=90, va="top", fontsize=7, color="dimgrey")
            ax.set_xticks(ticks)
            ax.set_ylim(-0.02, 1.02)
            ax.grid(alpha=0.3)
        left.set_yticks(SHARES)
        right.tick_params(labelleft=False)
        fig.suptitle(layout["title"], fontsize=11)
        _make_ticks([left, right], len(ticks), len(SHARES))

    def finish(self, data: dict, path: Path) -> None:
        """Add the numbers of :func:`sim.outputs.plot_data.agreement_data` and write the PNG."""
        x = np.arange(1, self.layout["rounds"] + 1)
        left, right = self.axes
        for i, level in enumerate(data["levels"]):
            colour = COLOURS[i % len(COLOURS)]
            left.plot(x, level["p"], color=colour, lw=2, label=level["label"])
            _band(left, x, *level["band"], colour, 0.12)
            left.plot(x, level["cross"], color=colour, lw=1.5, ls="--")
        left.plot([], [], color="grey", ls="--", label="… signed across blocs")
        left.legend(fontsize=8, loc="best")
        business = data["business"]
        right.plot(x, business["p"], color="black", lw=2.5, label="cross-bloc standard (quorum in every bloc)")
        _band(right, x, *business["band"], "black", 0.12)
        for share in data["adoption"]:
            colour = COLOURS[share["colour"] % len(COLOURS)]
            right.plot(x, share["mean"], color=colour, lw=1.5, label=f"mean adoption share, {share['bloc']}")
            _band(right, x, *share["band"], colour, 0.15)
        right.axhline(self.layout["quorum"], color="grey", lw=0.8, ls=":", label="quorum")
        right.legend(fontsize=8, loc="best")
        for ax in (left, right):
            for at, _ in self.layout["events"]:
                ax.axvline(at, color="grey", lw=0.8, ls="-.")
        _save(self.fig, path)


class PositionsFigure:
    """The figure of :func:`plot_positions`: a panel per issue, built from its layout, finished with its data."""

    def __init__(self, layout: dict) -> None:
        self.layout = layout
        n = layout["rounds"]
        ticks = round_ticks(n)
        issues = layout["issues"]
        cols = min(3, len(issues))
        rows_n = -(-len(issues) // cols)
        self.fig = fig = Figure(figsize=(4.4 * cols, 0.75 + 2.9 * rows_n), dpi=DPI)
        # the legend sits in one row under the title, so no panel's lines hide behind it
        fixed_margins(fig, left=0.45, right=0.15, top=0.85, bottom=0.45, wspace=0.06, hspace=0.16)
        axes = fig.subplots(rows_n, cols, squeeze=False, sharex=True, sharey=True)
        self.panels = list(axes.flat)[: len(issues)]
        for ax, issue in zip(self.panels, issues, strict=True):
            ax.set_title(issue["title"], fontsize=10, pad=3, y=1.0)
            ax.text(0.01, 0.99, f"1 = {issue['high']}", transform=ax.transAxes, va="top", fontsize=7, color="dimgrey")
            ax.text(0.01, 0.01, f"0 = {issue['low']}", transform=ax.transAxes, va="bottom", fontsize=7, color="dimgrey")
            mark_summits(ax, layout.get("summits", []), label=ax is self.panels[0])
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
        summit = " · shaded: summit round" if layout.get("summits") else ""
        fig.suptitle(
            f"Stated positions of the governments over rounds (mean, 10–90% band){summit}", fontsize=11, y=0.995
        )
        _make_ticks(self.panels, len(ticks), len(SHARES))

    def finish(self, data: dict, path: Path) -> None:
        """Add the numbers of :func:`sim.outputs.plot_data.positions_data` and write the PNG."""
        x = np.arange(1, self.layout["rounds"] + 1)
        lines = []
        for ax, issue_lines in zip(self.panels, data["lines"], strict=True):
            lines = []
            for j, line in enumerate(issue_lines):
                colour = COLOURS[j % len(COLOURS)]
                lines += ax.plot(x, line["mean"], color=colour, lw=2)
                _band(ax, x, *line["band"], colour, 0.15)
        governments = self.layout["governments"]
        height = self.fig.get_size_inches()[1]
        self.fig.legend(
            lines,
            governments,
            loc="upper center",
            bbox_to_anchor=(0.5, 1 - 0.36 / height),
            ncol=len(governments),
            fontsize=8,
            frameon=False,
        )
        _save(self.fig, path)
