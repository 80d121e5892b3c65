"""The demo's components, rendered with solara.render (no browser)."""

from __future__ import annotations

import ipyvuetify as v
import ipywidgets as widgets
import pytest
import solara
from conftest import ROOT

from sim.classroom.app import Page, control_defaults
from sim.classroom.charts import Agreement, Positions, Utilities
from sim.classroom.demo import DEFAULT, DemoModel
from sim.classroom.panels import Log, Sources, Teacher, log_lines, run_many
from sim.classroom.play import build_model
from sim.experiments.runner import run_replications
from sim.scenario import load_scenario


@pytest.fixture(autouse=True)
def _close_renders(monkeypatch):
    """Close every render a test made: an open one re-renders on each later update (one global counter here)."""
    made = []
    real = solara.render

    def render(*args, **kwargs):
        box, rc = real(*args, **kwargs)
        made.append(rc)
        return box, rc

    monkeypatch.setattr(solara, "render", render)
    yield
    for rc in made:
        rc.close()


@pytest.fixture
def model():
    return DemoModel(tension=0.7, seed=5)


def test_the_demo_starts_in_plays_world_for_the_same_seed():
    """With no control moved, the demo's run is ``simrun play``'s (and ``simrun``'s replication 0)."""
    assert control_defaults(DEFAULT)["seed"] == 20231101
    demo = DemoModel(**control_defaults(DEFAULT))
    play = build_model(load_scenario(ROOT / "scenarios" / "bletchley.yaml"), 20231101)
    assert demo.tension == play.tension
    for a, b in zip(demo.governments, play.governments, strict=True):
        assert (a.position == b.position).all() and (a.misreading == b.misreading).all()
    for _ in range(demo.spec.rounds):
        demo.step()
        play.step()
    assert [r[:5] + r[6:] for r in demo.log] == [r[:5] + r[6:] for r in play.log]


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
    model.apply_live_event("Teacher: a model incident", 0.1)
    for _ in range(model.spec.rounds):
        model.step()
    _, rc = solara.render(Log(model), handle_error=False)
    lines = [w.children[0] for w in rc.find(v.Html, class_="simrun-log-line").widgets]
    assert lines[0] == "Round 12: — the scenario's 12 rounds are over —"  # the end is marked, newest first
    assert lines[-1].startswith("Round 0: Teacher: a model incident (tension ")  # the whole log is kept
    assert all(line.startswith("Round ") and line.endswith((".", "—")) for line in lines)
    assert any(" rejects " in line and " — " in line for line in lines)
    assert len(lines) == len(log_lines(model)) > 10
    # the filter keeps only what it names
    rejections, events = log_lines(model, "rejections"), log_lines(model, "events (teacher and scenario)")
    assert rejections and all(" rejects " in line for line in rejections)
    assert events[-1].startswith("Round 0: Teacher: a model incident")
    assert len(events) == sum(r[4] == "event" for r in model.log)


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
    paragraphs = rc.find(v.Html, tag="p").widgets
    texts = [p.children[1] for p in paragraphs]
    assert any("individual human rights are disregarded very much" in t and "Arcesati" in t for t in texts)
    assert len(paragraphs) == len([s for a in model.spec.actors for s in a.sources])
    assert [p.children[0].children[0] for p in paragraphs][0] == model.spec.actors[0].name


def _texts(rc) -> list[str]:
    return [w.children[0] for w in rc.find(v.Html).widgets if w.children and isinstance(w.children[0], str)]


def test_each_page_has_its_own_model_and_reset_restarts_only_it():
    """Two renders of the page are two sessions: stepping one leaves the other at round 0."""
    _, first = solara.render(Page(plots=False), handle_error=False)
    _, second = solara.render(Page(plots=False), handle_error=False)
    first.find(v.Btn, children=["Step"]).widget.click()
    first.find(v.Btn, children=["Step"]).widget.click()
    assert first.find(children=["Round 2 of 12"]).widgets
    assert second.find(children=["Round 0 of 12"]).widgets
    second.find(v.Btn, children=["Step"]).widget.click()
    first.find(v.Btn, children=["Reset"]).widget.click()
    assert first.find(children=["Round 0 of 12"]).widgets and second.find(children=["Round 1 of 12"]).widgets


def test_a_setting_acts_when_moved_and_says_the_run_restarted():
    _, rc = solara.render(Page(plots=False), handle_error=False)
    rc.find(v.Btn, children=["Step"]).widget.click()
    rc.find(v.Select, label="protocol").widget.v_model = "west_first"
    assert rc.find(children=["Round 0 of 12"]).widgets
    assert rc.find(v.Alert, children=["Restarted at round 0 (protocol west_first)."]).widgets


def test_the_end_of_the_run_is_marked_and_step_stops():
    _, rc = solara.render(Page(plots=False), handle_error=False)
    rc.find(v.Btn, children=["Run to the end"]).widget.click()
    assert rc.find(children=["Round 12 of 12"]).widgets
    assert rc.find(v.Btn, children=["Step"]).widget.disabled
    assert rc.find(v.Alert, children=["End of the run: the scenario's 12 rounds are over. Reset to replay."]).widgets


def test_teachers_tension_survives_reset():
    _, rc = solara.render(Page(plots=False), handle_error=False)
    start = DemoModel(**control_defaults(DEFAULT)).tension
    rc.find(v.Btn, children=["Raise tension"]).widget.click()
    raised = f"Round 0 · tension {min(start + 0.1, 1):.2f} · "
    assert rc.find(v.Html, class_="simrun-status").widget.children[0].startswith(raised)
    rc.find(v.Btn, children=["Step"]).widget.click()
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert rc.find(v.Html, class_="simrun-status").widget.children[0].startswith(raised)


def test_run_many_counts_the_deepest_deal_of_each_replication():
    model = DemoModel(seed=3)
    shares = run_many(model, replications=20)
    rows = [r.outcome for r in run_replications(model.source, replications=20, seed=3)]
    levels = ["none"] + [lv.name for lv in model.ladder]
    assert sum(shares[lv] for lv in levels) == pytest.approx(1.0)
    for lv in levels:
        assert shares[lv] == sum(r["gov_level"] == lv for r in rows) / 20


def test_run_many_replays_the_teacher_s_live_events_at_the_same_rounds():
    calm = DemoModel(seed=3)
    model = DemoModel(seed=3)
    model.step()
    model.apply_live_event("sanctions", 0.1, 0.9)  # after one round: from round 2 on, as live
    assert model.live_events == [(1, "sanctions", 0.1, 0.9)]
    hit, plain = run_many(model, replications=40), run_many(calm, replications=40)
    # the West's own shared-testing text comes either way; sanctions close the firms' common standard
    assert hit["shared_testing"] == plain["shared_testing"] == 1.0
    assert hit["business across blocs"] < plain["business across blocs"] - 0.5
