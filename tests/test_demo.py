"""The demo's components, rendered with solara.render (no browser)."""

from __future__ import annotations

import ipyvuetify as v
import ipywidgets as widgets
import pytest
import solara

from sim.classroom.app import Agreement, Log, Positions, Sources, Teacher, Utilities, model_params
from sim.classroom.demo import DEFAULT, DemoModel


@pytest.fixture
def model():
    return DemoModel(tension=0.7, seed=5)


def test_controls_come_from_the_scenario():
    params = model_params(DEFAULT)
    assert params["chair"]["values"] == ["us", "eu", "uk", "china"] and params["chair"]["value"] == "uk"
    assert params["protocol"]["values"] == ["simultaneous", "west_first", "bilateral_first"]
    assert params["tension"]["value"] == 0.75  # the mean of the scenario's range 0.65–0.85
    assert params["seed"]["value"] == "20231101"


def test_demo_model_applies_the_controls():
    m = DemoModel(
        tension=0.3,
        protocol="west_first",
        chair="eu",
        decision_rule="qualified_majority",
        threshold=0.7,
        openness=0.2,
        seed="9",
    )
    assert m.tension == 0.3 and m.spec.protocol == "west_first" and m.spec.chair == "eu"
    assert m.spec.decision_rule.rule == "qualified_majority" and m.spec.decision_rule.threshold == 0.7
    assert m.spec.business.openness == 0.2 and m.master_seed == 9
    assert DemoModel(decision_rule="required").spec.decision_rule.signatories == ["us", "china"]


def test_teacher_buttons_throw_events_into_the_running_model(model):
    _, rc = solara.render(Teacher(model), handle_error=False)
    before = model.tension
    rc.find(v.Btn, children=["Raise tension"]).widget.click()
    assert model.tension == pytest.approx(before + 0.1)
    assert model.log[-1][4:7:2] == ("event", "Tension rises")
    restriction = model.restriction
    rc.find(v.Btn, children=["Sanctions on AI firms"]).widget.click()
    assert model.restriction > restriction


def test_log_tells_the_rounds_in_plain_words(model):
    _, rc = solara.render(Log(model), handle_error=False)
    assert not rc.find(v.Html, class_="simrun-log-line").widgets  # nothing yet: "Press Step"
    for _ in range(3):
        model.step()
    _, rc = solara.render(Log(model), handle_error=False)
    lines = [w.children[0] for w in rc.find(v.Html, class_="simrun-log-line").widgets]
    assert lines[0].startswith("Round 3: ")  # newest first
    assert all(line.startswith("Round ") and line.endswith(".") for line in lines)
    assert any(" rejects " in line and " — " in line for line in lines)


@pytest.mark.parametrize("component", [Positions, Utilities, Agreement])
def test_plots_render_an_image_that_changes_with_a_step(model, component):
    _, rc = solara.render(component(model), handle_error=False)
    first = rc.find(widgets.Image).widget.value
    assert first[:4] == b"\x89PNG"
    for _ in range(2):
        model.step()
    _, rc = solara.render(component(model), handle_error=False)
    assert rc.find(widgets.Image).widget.value != first


def test_sources_show_the_quote_behind_each_stance(model):
    _, rc = solara.render(Sources(model), handle_error=False)
    html = " ".join(w.template for w in rc.find(v.VuetifyTemplate).widgets)
    assert "individual human rights are disregarded very much" in html and "Arcesati" in html
    assert html.count("<strong>") >= len([s for a in model.spec.actors for s in a.sources])
