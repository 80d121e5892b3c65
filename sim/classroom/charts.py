"""The demo's charts: Solara components over one session's model.

Positions, utilities of the proposal, agreement over rounds; and the session's redraw
counter they read.
"""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import solara  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sim.classroom.demo import DemoModel  # noqa: E402
from sim.outputs.plots import COLOURS  # noqa: E402

update_counter = solara.reactive(0)
"""Bumped after every change to a session's model; components read it to redraw (one value per session)."""


def force_update() -> None:
    """Redraw the components of this session."""
    update_counter.value += 1


def history(model: DemoModel, column: str) -> list[float]:
    """A column of the session's DataCollector (one value per round)."""
    return list(model.datacollector.model_vars.get(column, []))


def _proposal(model: DemoModel) -> np.ndarray:
    """The proposal on the table: the last one put, else the one the chair would put now."""
    if model.last_proposal is not None:
        return model.last_proposal
    return model.proposal(model.governments)


def _show(fig: Figure, ax: object, title: str, legend: str = "best") -> None:
    """Title, legend and grid, then the figure as a PNG image on the page."""
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc=legend)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    solara.FigureMatplotlib(fig, format="png")


def axis_label(model: DemoModel, issue_id: str) -> str:
    """An issue's name with what its ends mean: ``binding force`` / ``0 voluntary … 1 binding``."""
    issue = next(i for i in model.spec.issues if i.id == issue_id)
    words = textwrap.fill(f"0 = {issue.low} … 1 = {issue.high}", 48)  # fits beside a small plot
    return f"{issue_id.replace('_', ' ')}\n{words}"


@solara.component
def Positions(model: DemoModel):
    """Stated positions on two issues the user picks, with trails; the proposal marked."""
    update_counter.get()
    issues = model.spec.issue_ids
    x_issue, set_x = solara.use_state(issues[0])
    y_issue, set_y = solara.use_state(issues[1] if len(issues) > 1 else issues[0])
    with solara.Column():
        with solara.Row():
            solara.Select(label="x issue", value=x_issue, values=issues, on_value=set_x)
            solara.Select(label="y issue", value=y_issue, values=issues, on_value=set_y)
        fig = Figure(figsize=(4.8, 3.3))
        ax = fig.subplots()
        for j, g in enumerate(model.governments):
            xs = history(model, f"pos_{g.actor_id}_{x_issue}")
            ys = history(model, f"pos_{g.actor_id}_{y_issue}")
            colour = COLOURS[j % len(COLOURS)]
            if xs:
                ax.plot(xs, ys, color=colour, alpha=0.5, lw=1)
            k, m = issues.index(x_issue), issues.index(y_issue)
            ax.scatter([g.position[k]], [g.position[m]], color=colour, s=70, label=g.name, zorder=3)
        p = _proposal(model)
        ax.scatter(
            [p[issues.index(x_issue)]],
            [p[issues.index(y_issue)]],
            marker="*",
            s=260,
            color="black",
            label="proposal",
            zorder=4,
        )
        ax.set_xlim(-0.03, 1.03)
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel(axis_label(model, x_issue), fontsize=7)
        ax.set_ylabel(axis_label(model, y_issue), fontsize=7)
        _show(fig, ax, f"Positions after round {model.round}")


@solara.component
def Utilities(model: DemoModel):
    """Each government's utility for the proposal at each depth; the line at zero is the signing line."""
    update_counter.get()
    p = _proposal(model)
    govs = model.governments
    shares = model.rival_shares(govs)
    bonus = model.focal_bonus(p)
    fig = Figure(figsize=(5.6, 3.8))
    ax = fig.subplots()
    width = 0.8 / len(model.ladder)
    for i, level in enumerate(model.ladder):
        values = [
            g.appraise(p, level.depth, float(s), model.tension, bonus).value for g, s in zip(govs, shares, strict=True)
        ]
        ax.bar(
            np.arange(len(govs)) + i * width,
            values,
            width,
            label=level.label or level.name,
            color=COLOURS[i % len(COLOURS)],
        )
    ax.axhline(0, color="black", lw=1.2)
    ax.set_xticks(np.arange(len(govs)) + width * (len(model.ladder) - 1) / 2, [g.name for g in govs], fontsize=8)
    ax.set_ylabel("utility V (≥ 0: signs)")
    _show(fig, ax, f"Utility of the proposal by depth (tension {model.tension:.2f})")


@solara.component
def Agreement(model: DemoModel):
    """Agreement over rounds: the government ladder on top, the business standard as its own track below."""
    update_counter.get()
    rounds = history(model, "round")
    fig = Figure(figsize=(5.6, 3.9))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [4, 1]})
    names = ["none"] + [lv.label or lv.name for lv in model.ladder]
    last = max(model.spec.rounds, len(rounds))
    style = {"drawstyle": "steps-post", "marker": "o", "lw": 2}
    if rounds:
        top.plot(rounds, history(model, "gov_level"), label="deepest deal", **style)
        top.plot(rounds, history(model, "gov_cross_level"), ls="--", label="… signed across blocs", **style)
        business = [float(v) for v in history(model, "business_cross")]
        bottom.plot(rounds, business, color="black", **style)
    for ax in (top, bottom):
        ax.axvline(model.spec.rounds + 0.5, color="grey", lw=1, ls=":")
        ax.set_xlim(0.5, last + 1)
        ax.grid(alpha=0.3)
    top.text(model.spec.rounds + 0.55, 0, "end", fontsize=7, color="grey", va="bottom")
    top.set_yticks(range(len(names)), names, fontsize=7)
    top.set_ylim(-0.3, len(names) - 0.7)
    top.set_title("Governments: deepest deal reached, by round", fontsize=10)
    if rounds:
        top.legend(fontsize=7, loc="upper left")
    bottom.set_yticks([0, 1], ["no", "yes"], fontsize=7)
    bottom.set_ylim(-0.3, 1.3)
    bottom.set_title("Companies: a common standard across blocs?", fontsize=9)
    bottom.set_xlabel("round")
    fig.tight_layout()
    solara.FigureMatplotlib(fig, format="png")
