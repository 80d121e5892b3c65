"""The horizon curve: each outcome's probability against the number of sessions before the summit."""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.outputs.plots import COLOURS
from sim.scenario import Scenario


def plot_horizon(scenario: Scenario, rows: list[dict], path: Path) -> None:
    """Two panels: government texts across blocs by rung, and the cross-bloc industry standard."""
    fig = Figure(figsize=(9, 3.6), dpi=110)
    FigureCanvasAgg(fig)
    gov, biz = fig.subplots(1, 2, sharey=True)
    x = [r["rounds"] for r in rows]
    for colour, level in zip(COLOURS, scenario.ladder, strict=False):
        name = f"{level.name}_cross"
        gov.plot(x, [r[name] for r in rows], "o-", color=colour, label=level.label or level.name, ms=3)
        gov.fill_between(
            x, [r[f"{name}_low"] for r in rows], [r[f"{name}_high"] for r in rows], color=colour, alpha=0.15
        )
    biz.plot(x, [r["business_cross"] for r in rows], "o-", color=COLOURS[4], ms=3, label="common standard")
    biz.fill_between(
        x,
        [r["business_cross_low"] for r in rows],
        [r["business_cross_high"] for r in rows],
        color=COLOURS[4],
        alpha=0.15,
    )
    for ax, title in ((gov, "Government text signed across blocs"), (biz, "Industry standard across blocs")):
        ax.axvline(scenario.rounds, color="#888888", lw=0.8, ls="--")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("sessions up to and including the summit")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    gov.set_ylabel("probability (95% interval)")
    # two lines: a scenario's title is often long, and one line ran off both edges
    fig.suptitle(
        f"{scenario.title or scenario.name}\ndoes the answer depend on the horizon? "
        f"(dashed: the scenario's {scenario.rounds} sessions)",
        fontsize=10,
    )
    fig.subplots_adjust(left=0.07, right=0.99, top=0.80, bottom=0.14, wspace=0.06)
    fig.savefig(path)
