"""The demo's panels, as Solara components.

The log in plain words, the sources behind the stances, the teacher's events, and "run
this 100 times".
"""

from __future__ import annotations

import solara
from matplotlib.figure import Figure

from sim.classroom.charts import force_update, history, update_counter
from sim.classroom.debrief import with_events
from sim.classroom.demo import DemoModel
from sim.experiments.runner import run_replications
from sim.outputs.narrative import Narrator
from sim.outputs.plots import COLOURS
from sim.scenario.distributions import expected

LOG_FILTERS = {
    "everything": None,
    "agreements": ("agreement on",),
    "rejections": (" rejects ",),
    "events (teacher and scenario)": ("EVENT",),
    "companies": ("companies'",),
}


SLIDER_STEP = 0.01
"""The tension slider's step: fine enough that a scenario's tension (0.663) sits on it rather than snapping to 0.65."""


def log_lines(model: DemoModel, show: str = "everything") -> list[str]:
    """The log in plain words, newest first, keeping only the lines ``show`` names (see :data:`LOG_FILTERS`)."""
    tension = dict(zip(history(model, "round"), history(model, "tension"), strict=False))
    narrator = Narrator(model.spec)
    lines = []
    for row, text in narrator.lines(model.log, tension):
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
        # the slider shows the tension to two decimals: a value within rounding of the model's is the
        # widget echoing it (Bletchley's 0.663 shown as 0.66), not a teacher's move, and logs nothing
        if abs(value - model.tension) < SLIDER_STEP / 2 + 1e-9:
            return
        throw(f"Teacher sets tension to {value:.2f}", value - model.tension)

    with solara.Card("Teacher's controls"):
        with solara.Column(classes=["simrun-tension"]):
            solara.SliderFloat(
                "tension now", value=round(model.tension, 2), min=0.0, max=1.0, step=SLIDER_STEP, on_value=set_tension
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
    """Share of ``replications`` runs of the session's settings ending at each deepest deal.

    The teacher's live events are written into the runs at the rounds they came.
    """
    source = with_events(model.source, model.live_events)
    rows = [r.outcome for r in run_replications(source, replications=replications, seed=model.master_seed)]
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
            solara.Text("Each run draws its own uncertain values; the teacher's events come at the same rounds.")
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
