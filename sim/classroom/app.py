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

import solara

from sim.classroom.charts import Agreement, Positions, Utilities, force_update, update_counter
from sim.classroom.demo import DemoModel, base_scenario, scenario_file
from sim.classroom.panels import Distribution, Log, Sources, Teacher
from sim.scenario import PROTOCOLS
from sim.scenario.distributions import expected


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
