"""The browser demo (Solara over the Mesa model): only the UI lives here.

Run with ``simrun demo scenarios/bletchley.yaml``; the page shows the governments'
positions, each actor's utility for the proposal, agreement over rounds, the log in
plain words, the sources behind the stances, a teacher's panel for throwing events in
mid-run, and a panel that runs the same settings 100 times.

Each browser session builds its own model in :func:`Page` (a hook, not a module
global), so visitors never share a run and Reset only restarts the visitor's own.
The page is our own rather than Mesa's ``SolaraViz``: that one shares the model it
is given between sessions, applies its parameters only on Reset, and shows its
developer controls (render interval, threads) among the teacher's.
"""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import solara  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sim.classroom.demo import DemoModel, base_scenario, scenario_file  # noqa: E402
from sim.experiments.runner import run_replications  # noqa: E402
from sim.outputs.narrative import Narrator  # noqa: E402
from sim.outputs.plots import COLOURS  # noqa: E402
from sim.scenario import PROTOCOLS  # noqa: E402
from sim.scenario.distributions import expected  # noqa: E402

update_counter = solara.reactive(0)
"""Bumped after every change to a session's model; components read it to redraw (one value per session)."""


def force_update() -> None:
    """Redraw the components of this session."""
    update_counter.value += 1


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
    rounds = _history(model, "round")
    fig = Figure(figsize=(5.6, 3.9))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [4, 1]})
    names = ["none"] + [lv.label or lv.name for lv in model.ladder]
    last = max(model.spec.rounds, len(rounds))
    style = {"drawstyle": "steps-post", "marker": "o", "lw": 2}
    if rounds:
        top.plot(rounds, _history(model, "gov_level"), label="deepest deal", **style)
        top.plot(rounds, _history(model, "gov_cross_level"), ls="--", label="… signed across blocs", **style)
        business = [float(v) for v in _history(model, "business_cross")]
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


LOG_FILTERS = {
    "everything": None,
    "agreements": ("agreement on",),
    "rejections": (" rejects ",),
    "events (teacher and scenario)": ("EVENT",),
    "companies": ("companies'",),
}


def log_lines(model: DemoModel, show: str = "everything") -> list[str]:
    """The log in plain words, newest first, keeping only the lines ``show`` names (see :data:`LOG_FILTERS`)."""
    tension = dict(zip(_history(model, "round"), _history(model, "tension"), strict=False))
    narrator = Narrator(model.spec)
    lines = []
    for row in model.log:
        text = narrator.sentence(row, tension.get(row[0]))
        if text is None:
            continue
        kind = "EVENT" if row[4] == "event" else ""
        keys = LOG_FILTERS.get(show)
        if keys is None or any(k in text or k == kind for k in keys):
            lines.append(text)
    if model.round >= model.spec.rounds and show == "everything":
        lines.append(f"Round {model.round}: — the scenario's {model.spec.rounds} rounds are over —")
    return lines[::-1]


@solara.component
def Log(model: DemoModel):
    """The whole log in plain words, newest first, in a box that scrolls; a filter picks what to see."""
    update_counter.get()
    show, set_show = solara.use_state("everything")
    lines = log_lines(model, show)
    with solara.Card("What happened", classes=["simrun-log"]):
        solara.Select(label="show", value=show, values=list(LOG_FILTERS), on_value=set_show)
        if not model.log:
            solara.Text("Press Step to start the negotiation.")
        children = [
            solara.v.Html(tag="div", children=[line], class_="simrun-log-line", style_="margin-bottom:0.35em")
            for line in lines
        ]
        solara.v.Html(tag="div", children=children, style_="max-height:22em;overflow-y:auto", class_="simrun-log-box")


@solara.component
def Sources(model: DemoModel):
    """The quote behind each actor's stance (plain HTML: no Markdown, whose maths renderer loads from a CDN)."""
    with solara.Card("Why the actors stand where they do"):
        for actor in model.spec.actors:
            for src in actor.sources:
                solara.v.Html(
                    tag="p",
                    children=[
                        solara.v.Html(tag="strong", children=[actor.name]),
                        f" — “{src.quote}” ({src.by})",
                    ],
                )


@solara.component
def Teacher(model: DemoModel, on_tension=None):  # noqa: ANN001 - a callback
    """Throw events in mid-run. The one tension control acts at once (and survives Reset via ``on_tension``)."""
    update_counter.get()

    def throw(label: str, tension_change: float = 0.0, restriction_change: float = 0.0) -> None:
        model.apply_live_event(label, tension_change, restriction_change)
        if on_tension is not None and tension_change:
            on_tension(model.tension)
        force_update()

    def set_tension(value: float) -> None:
        throw(f"Teacher sets tension to {value:.2f}", value - model.tension)

    with solara.Card("Teacher's controls"):
        with solara.Column(classes=["simrun-tension"]):
            solara.SliderFloat(
                "tension now", value=round(model.tension, 2), min=0.0, max=1.0, step=0.05, on_value=set_tension
            )
        with solara.Row(style={"flex-wrap": "wrap"}):
            solara.Button("Raise tension", on_click=lambda: throw("Tension rises", 0.1))
            solara.Button("Lower tension", on_click=lambda: throw("Tension falls", -0.1))
            solara.Button(
                "Sanctions on AI firms", on_click=lambda: throw("Sanctions restrict business contact", 0.05, 0.4)
            )
            solara.Button(
                "Business dialogue", on_click=lambda: throw("Governments facilitate business dialogue", 0.0, -0.3)
            )
            for event in model.spec.events:
                change_t, change_r = float(expected(event.tension_change)), float(expected(event.restriction_change))
                solara.Button(
                    f"Throw in: {event.label or 'scenario event'}",
                    on_click=lambda t=change_t, r=change_r, e=event: throw(e.label, t, r),
                )
        solara.Text(
            f"Round {model.round} · tension {model.tension:.2f} · business restriction {model.restriction:.2f}",
            classes=["simrun-status"],
        )


def run_many(model: DemoModel, replications: int = 100) -> dict[str, float]:
    """Share of ``replications`` runs of the session's settings (not its live events) ending at each deepest deal."""
    rows = [r.outcome for r in run_replications(model.source, replications=replications, seed=model.master_seed)]
    levels = ["none"] + [lv.name for lv in model.ladder]
    shares = {lv: sum(r["gov_level"] == lv for r in rows) / len(rows) for lv in levels}
    shares["business across blocs"] = sum(r["business_level"] == "cross_bloc" for r in rows) / len(rows)
    return shares


@solara.component
def Distribution(model: DemoModel):
    """“How often?”: the session's settings run 100 times, the deepest deal of each run counted."""
    result, set_result = solara.use_state(None)
    with solara.Card("How often? Run these settings 100 times", classes=["simrun-many"]):
        solara.Button("Run 100 times", on_click=lambda: set_result(run_many(model)), classes=["simrun-run-many"])
        if result is None:
            solara.Text("Each run draws its own uncertain values; the teacher's live events are not replayed.")
            return
        labels = {lv.name: lv.label or lv.name for lv in model.ladder} | {"none": "no deal"}
        keys = [k for k in result if k != "business across blocs"]
        fig = Figure(figsize=(5.6, 2.6))
        ax = fig.subplots()
        ax.barh([labels[k] for k in keys], [100 * result[k] for k in keys], color=COLOURS[0])
        for i, k in enumerate(keys):
            ax.text(100 * result[k] + 1, i, f"{100 * result[k]:.0f} %", va="center", fontsize=7)
        ax.set_xlim(0, 110)
        ax.set_xlabel("share of 100 runs (%)")
        ax.set_title("Deepest government deal in 100 runs", fontsize=10)
        ax.tick_params(labelsize=7)
        fig.tight_layout()
        solara.FigureMatplotlib(fig, format="png")
        solara.Text(
            f"A common business standard across blocs in {100 * result['business across blocs']:.0f} % of runs.",
            classes=["simrun-many-result"],
        )


def control_defaults(path: str) -> dict:
    """The settings a session starts from: all None (the scenario's own values, drawn with its seed)."""
    return {
        "tension": None,
        "protocol": None,
        "chair": None,
        "decision_rule": None,
        "threshold": 0.65,
        "openness": None,
        "seed": base_scenario(path).seed,
    }


@solara.component
def Settings(model: DemoModel, params: dict, restart):  # noqa: ANN001 - a callback
    """The run's settings. Changing one restarts the run at round 0 with it, and says so."""
    s = model.source
    governments = [g.id for g in s.governments]

    def change(key: str):  # noqa: ANN202
        return lambda value: restart(**{key: value})

    bad_seed, set_bad_seed = solara.use_state("")

    def set_seed(text: str) -> None:
        if text.strip().isdigit():
            set_bad_seed("")
            restart(seed=int(text.strip()))
        else:
            set_bad_seed(f"The seed must be a whole number ≥ 0, not {text.strip()[:20]!r}; the run is unchanged.")

    with solara.Card("Settings (a change restarts the run at round 0)", classes=["simrun-settings"]):
        solara.Select("protocol", value=s.protocol, values=list(PROTOCOLS), on_value=change("protocol"))
        solara.Select("chair", value=s.chair or governments[0], values=governments, on_value=change("chair"))
        rules = ["consensus", "qualified_majority", "required"]
        solara.Select("decision rule", value=s.decision_rule.rule, values=rules, on_value=change("decision_rule"))
        if s.decision_rule.rule == "qualified_majority":
            solara.SliderFloat(
                "QMV threshold", value=params["threshold"], min=0.5, max=1.0, step=0.05, on_value=change("threshold")
            )
        solara.SliderFloat(
            "business openness",
            value=round(float(expected(s.business.openness)), 2),
            min=0.0,
            max=1.0,
            step=0.05,
            on_value=change("openness"),
        )
        solara.InputText("seed", value=str(params["seed"]), on_value=set_seed, continuous_update=False)
        if bad_seed:
            solara.Error(bad_seed)


@solara.component
def Page(plots: bool = True):
    """One session's page: its own model, built here so that no two visitors share a run.

    ``plots=False`` leaves out the figures (tests of the controls render faster).
    """
    update_counter.get()
    path = scenario_file()
    session = solara.use_memo(lambda: {"params": control_defaults(path), "model": None, "note": ""}, [path])
    if session["model"] is None:
        session["model"] = DemoModel(scenario_file=path, **session["params"])
    model: DemoModel = session["model"]

    def restart(**changes: object) -> None:
        session["params"].update(changes)
        session["model"] = DemoModel(scenario_file=path, **session["params"])
        what = ", ".join(f"{k} {v}" for k, v in changes.items()) or "reset"
        session["note"] = f"Restarted at round 0 ({what})."
        force_update()

    def step(rounds: int = 1) -> None:
        for _ in range(rounds):
            if model.round < model.spec.rounds:
                model.step()
        session["note"] = ""
        force_update()

    def keep_tension(value: float) -> None:
        session["params"]["tension"] = value  # Reset keeps the teacher's tension

    over = model.round >= model.spec.rounds
    title = base_scenario(path).title or base_scenario(path).name
    with solara.AppBar():
        solara.AppBarTitle(f"simrun — {title}")
    with solara.Columns([1, 3]):  # the controls on the left, in the page (not a drawer a class must find)
        with solara.Column():
            with solara.Card("Run", classes=["simrun-run"]):
                with solara.Row(style={"flex-wrap": "wrap"}):
                    solara.Button("Step", on_click=lambda: step(1), disabled=over, color="primary")
                    solara.Button("Run to the end", on_click=lambda: step(model.spec.rounds), disabled=over)
                    solara.Button("Reset", on_click=lambda: restart())
                solara.Text(f"Round {model.round} of {model.spec.rounds}", classes=["simrun-round"])
                if over:
                    solara.Success(
                        f"End of the run: the scenario's {model.spec.rounds} rounds are over. Reset to replay."
                    )
                if session["note"]:
                    solara.Info(session["note"])
            Teacher(model, on_tension=keep_tension)
            Settings(model, session["params"], restart)
        with solara.ColumnsResponsive([12, 6, 6], large=[6, 6]):
            if plots:
                Positions(model)
                Utilities(model)
                Agreement(model)
            Log(model)
            Distribution(model)
            Sources(model)
