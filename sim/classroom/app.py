"""The browser demo (Mesa SolaraViz): only the UI lives here.

Run with ``simrun demo scenarios/bletchley.yaml``; the page shows the governments'
positions, each actor's utility for the proposal, agreement over rounds, the log in
plain words, the sources behind the stances, and a teacher's panel for throwing
events in mid-run.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import solara  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from mesa.visualization import SolaraViz  # noqa: E402
from mesa.visualization.utils import force_update, update_counter  # noqa: E402

from sim.classroom.demo import DemoModel, base_scenario, scenario_file  # noqa: E402
from sim.outputs.narrative import Narrator  # noqa: E402
from sim.outputs.plots import COLOURS  # noqa: E402
from sim.scenario import PROTOCOLS  # noqa: E402
from sim.scenario.distributions import expected  # noqa: E402


def _history(model: DemoModel, column: str) -> list[float]:
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
            xs = _history(model, f"pos_{g.actor_id}_{x_issue}")
            ys = _history(model, f"pos_{g.actor_id}_{y_issue}")
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
        ax.set_xlabel(x_issue.replace("_", " "))
        ax.set_ylabel(y_issue.replace("_", " "))
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
    """Agreement status per level over rounds, government and business."""
    update_counter.get()
    rounds = _history(model, "round")
    fig = Figure(figsize=(5.6, 3.6))
    ax = fig.subplots()
    names = ["none"] + [lv.label or lv.name for lv in model.ladder]
    if rounds:
        style = {"drawstyle": "steps-post", "marker": "o", "lw": 2}
        ax.plot(rounds, _history(model, "gov_level"), label="government: deepest deal", **style)
        ax.plot(rounds, _history(model, "gov_cross_level"), ls="--", label="… signed across blocs", **style)
        business = [len(model.ladder) * float(v) for v in _history(model, "business_cross")]
        ax.plot(rounds, business, color="black", alpha=0.6, label="business standard across blocs (top = yes)", **style)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_xlabel("round")
    ax.set_xlim(0.5, max(model.spec.rounds, len(rounds)) + 0.5)
    _show(fig, ax, "Agreement reached, by round", legend="upper left")


@solara.component
def Log(model: DemoModel):
    """The log in plain words, newest first."""
    update_counter.get()
    tension = dict(zip(_history(model, "round"), _history(model, "tension"), strict=False))
    lines = Narrator(model.spec).story(model.log, tension)
    with solara.Card("What happened", classes=["simrun-log"]):
        if not lines:
            solara.Text("Press Step to start the negotiation.")
        for line in reversed(lines[-14:]):
            solara.v.Html(tag="div", children=[line], class_="simrun-log-line", style_="margin-bottom:0.35em")


@solara.component
def Sources(model: DemoModel):
    """The quote behind each actor's stance."""
    with solara.Card("Why the actors stand where they do"):
        for actor in model.spec.actors:
            for src in actor.sources:
                solara.Markdown(f"**{actor.name}** — “{src.quote}” ({src.by})")


@solara.component
def Teacher(model: DemoModel):
    """Throw events in mid-run; tension moves live."""
    update_counter.get()

    def throw(label: str, tension_change: float = 0.0, restriction_change: float = 0.0) -> None:
        model.apply_live_event(label, tension_change, restriction_change)
        force_update()

    def set_tension(value: float) -> None:
        throw(f"Teacher sets tension to {value:.2f}", value - model.tension)

    with solara.Card("Teacher's controls"):
        with solara.Column(classes=["simrun-tension"]):
            solara.SliderFloat(
                "tension now", value=round(model.tension, 2), min=0.0, max=1.0, step=0.05, on_value=set_tension
            )
        with solara.Row():
            solara.Button("Raise tension", on_click=lambda: throw("Tension rises", 0.1))
            solara.Button("Lower tension", on_click=lambda: throw("Tension falls", -0.1))
        with solara.Row():
            solara.Button(
                "Sanctions on AI firms", on_click=lambda: throw("Sanctions restrict business contact", 0.05, 0.4)
            )
            solara.Button(
                "Facilitated business dialogue",
                on_click=lambda: throw("Governments facilitate business dialogue", 0.0, -0.3),
            )
        for event in model.spec.events:
            change_t, change_r = float(expected(event.tension_change)), float(expected(event.restriction_change))
            solara.Button(
                f"Throw in: {event.label or 'scenario event'}",
                on_click=lambda t=change_t, r=change_r, e=event: throw(e.label, t, r),
            )
        solara.Text(f"Round {model.round} · tension {model.tension:.2f} · business restriction {model.restriction:.2f}")


def model_params(path: str) -> dict:
    """The controls, drawn from the scenario."""
    s = base_scenario(path)
    governments = [g.id for g in s.governments]
    return {
        "scenario_file": path,
        "tension": {
            "type": "SliderFloat",
            "value": round(float(expected(s.tension)), 2),
            "min": 0.0,
            "max": 1.0,
            "step": 0.05,
            "label": "tension",
        },
        "protocol": {"type": "Select", "value": s.protocol, "values": list(PROTOCOLS), "label": "protocol"},
        "chair": {"type": "Select", "value": s.chair or governments[0], "values": governments, "label": "chair"},
        "decision_rule": {
            "type": "Select",
            "value": s.decision_rule.rule,
            "values": ["consensus", "qualified_majority", "required"],
            "label": "decision rule",
        },
        "threshold": {
            "type": "SliderFloat",
            "value": 0.65,
            "min": 0.5,
            "max": 1.0,
            "step": 0.05,
            "label": "QMV threshold",
        },
        "openness": {
            "type": "SliderFloat",
            "value": round(float(expected(s.business.openness)), 2),
            "min": 0.0,
            "max": 1.0,
            "step": 0.05,
            "label": "business openness",
        },
        "seed": {"type": "InputText", "value": str(s.seed), "label": "seed"},
    }


def make_page(path: str | None = None):  # noqa: ANN201 - a solara element
    """The SolaraViz page for the scenario at ``path`` (default: the one ``simrun demo`` named)."""
    path = path or scenario_file()
    params = model_params(path)
    model = DemoModel(**{k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items()})
    return SolaraViz(
        model,
        components=[Teacher, Positions, Utilities, Agreement, Log, Sources],
        model_params=params,
        name=f"simrun — {base_scenario(path).title or base_scenario(path).name}",
        play_interval=700,
    )


page = make_page()
