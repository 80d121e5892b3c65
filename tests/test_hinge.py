"""The hinge of every headline: PRIM boxes on a run's (or a sweep's) own replications.

PRIM must find a threshold planted in synthetic data and say "no hinge" on noise; on
Bletchley the cross-bloc declaration must hinge on China's legitimacy, inside its assumed
range; the block in summary.json, the console's lines and report.html must agree; a
scenario with nothing uncertain has no hinge; a sweep reports the same over its inputs.
"""

from __future__ import annotations

import html
import json

import numpy as np
import pytest
from conftest import ROOT, simrun
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.api import load
from sim.experiments.hinge import point_seeds, sweep_inputs
from sim.experiments.runner import replication_seed, run_replications
from sim.experiments.sweep import plan_sweep, run_sweep
from sim.outputs.hinge import Input, explain, hinge_lines, label, run_hinge
from sim.outputs.prim import Box, find_box, fisher_exact, peel, prim, youden
from sim.outputs.summary import summarise
from sim.scenario.distributions import expected, realize, uncertain_paths, values_at

BLETCHLEY = ROOT / "scenarios" / "bletchley.yaml"


def inputs_of(x: np.ndarray) -> list[Input]:
    return [Input(f"x{j}", f"x{j}", x[:, j], 0.0, 1.0, "assumed") for j in range(x.shape[1])]


# -- PRIM on synthetic data -------------------------------------------------------------------


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    d=st.integers(1, 5),
    which=st.integers(0, 4),
    threshold=st.floats(0.25, 0.75),
    above=st.booleans(),
)
def test_prim_finds_a_planted_threshold(seed, d, which, threshold, above):
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(300, d))
    j = which % d
    y = x[:, j] >= threshold if above else x[:, j] <= threshold
    entry = explain("planted", "The outcome", y, inputs_of(x))
    assert entry["status"] == "hinge"
    [limit] = entry["box"]
    assert limit["input"] == f"x{j}"
    bound = limit["low"] if limit["low"] is not None else limit["high"]
    assert abs(bound - threshold) < 0.03
    # a clean threshold: the box (for the outcome or for its failure) holds all of its target and nothing else
    assert entry["density"] == entry["coverage"] == 1.0
    assert {entry["share_in_box"], entry["share_outside"]} == {0.0, 1.0}


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), noise=st.floats(0.0, 0.1))
def test_prim_finds_a_planted_box_on_two_inputs(seed, noise):
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(400, 4))
    y = (x[:, 1] >= 0.4) & (x[:, 3] <= 0.6)
    y ^= rng.uniform(size=400) < noise  # a few runs flipped by chance
    entry = explain("planted", "The outcome", y, inputs_of(x))
    assert entry["status"] == "hinge"
    assert {lim["input"] for lim in entry["box"]} == {"x1", "x3"}
    limits = {lim["input"]: lim for lim in entry["box"]}
    assert abs(limits["x1"]["low"] - 0.4) < 0.06 and abs(limits["x3"]["high"] - 0.6) < 0.06
    assert entry["share_in_box"] > 0.8 and entry["share_outside"] < 0.2


@pytest.mark.parametrize("seed", range(5))
def test_noise_has_no_hinge(seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(200, 8))
    y = rng.uniform(size=200) < 0.4
    entry = explain("noise", "The outcome", y, inputs_of(x))
    assert entry["status"] == "no_clear_hinge"
    assert "no input separates it" in entry["sentence"]


def test_an_outcome_that_always_or_never_happens_has_no_hinge():
    x = np.random.default_rng(1).uniform(size=(50, 2))
    for y, status in ((np.ones(50, bool), "always"), (np.zeros(50, bool), "never")):
        entry = explain("o", "The outcome", y, inputs_of(x))
        assert entry["status"] == status and entry["box"] == [] and "no input flips it" in entry["sentence"]


def test_peeling_nests_its_boxes_and_raises_the_density():
    rng = np.random.default_rng(3)
    x = rng.uniform(size=(500, 3))
    y = rng.uniform(size=500) < x[:, 0]  # more likely the larger x0
    boxes = peel(x, y)
    assert len(boxes) > 10
    for outer, inner in zip(boxes, boxes[1:], strict=False):
        assert np.all(inner.low >= outer.low) and np.all(inner.high <= outer.high)
    first, last = y[boxes[0].contains(x)].mean(), y[boxes[-1].contains(x)].mean()
    assert last > first + 0.3 and boxes[-1].contains(x).mean() >= 0.05
    box = prim(x, y)
    assert box.restricted == [0] and youden(box.contains(x), y) > 0.3


def test_find_box_prefers_one_input_and_the_outcome_happening():
    rng = np.random.default_rng(5)
    x = rng.uniform(size=(300, 3))
    found = find_box(x, x[:, 2] > 0.5)
    assert found is not None and found.happens and found.box.restricted == [2]
    assert find_box(x, np.ones(300, bool)) is None


def test_box_contains_at_its_limits():
    box = Box(np.array([0.2, -np.inf]), np.array([np.inf, 0.5]))
    x = np.array([[0.2, 0.5], [0.1, 0.0], [0.3, 0.6]])
    assert box.contains(x).tolist() == [True, False, False] and box.restricted == [0, 1]


def test_fisher_exact_is_scipys():
    from scipy.stats import fisher_exact as scipy_fisher

    rng = np.random.default_rng(0)
    for a, b, c, d in rng.integers(0, 80, size=(100, 4)):
        want = scipy_fisher([[a, b], [c, d]]).pvalue
        assert fisher_exact(int(a), int(b), int(c), int(d)) == pytest.approx(want, rel=1e-9, abs=1e-300)


# -- a real run ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bletchley():
    return load(BLETCHLEY)


@pytest.fixture(scope="module")
def bletchley_reps(bletchley):
    return run_replications(bletchley, replications=300, seed=bletchley.seed, log_events=False, collect_rounds=False)


def test_a_replication_records_what_its_realised_scenario_drew(bletchley, bletchley_reps):
    paths = [p for p, _ in uncertain_paths(bletchley)]
    assert len(paths) == 8 and all(len(r.drawn) == 8 for r in bletchley_reps)
    for r in bletchley_reps[:20]:
        again = realize(bletchley, np.random.default_rng(replication_seed(bletchley.seed, r.index)))
        assert values_at(again, paths) == r.drawn
    # the sweep draws them again from the same seeds (a sweep with common random numbers)
    seeds = point_seeds(bletchley.seed, 5, range(3), common=True)
    assert [values_at(realize(bletchley, np.random.default_rng(s)), paths) for s in seeds] == [
        r.drawn for r in bletchley_reps[:3]
    ]
    legitimacy = np.array([r.drawn[0] for r in bletchley_reps])
    assert legitimacy.min() >= 0.1 and legitimacy.max() <= 0.25


def test_bletchleys_declaration_hinges_on_chinas_legitimacy(bletchley, bletchley_reps):
    block = run_hinge(bletchley, [r.outcome for r in bletchley_reps], [r.drawn for r in bletchley_reps])
    outcomes = {o["outcome"]: o for o in block["outcomes"]}
    assert list(outcomes) == [
        "declaration_cross_bloc",
        "substantive_cross_bloc",
        "deepest_cross_bloc",
        "business_cross_bloc",
    ]
    declaration = outcomes["declaration_cross_bloc"]
    assert declaration["status"] == "hinge" and declaration["box_for"] == "happens"
    [limit] = declaration["box"]
    assert limit["input"] == "actors.china.legitimacy" and limit["label"] == "China's legitimacy"
    assert limit["high"] is None and 0.15 < limit["low"] < 0.22 and limit["range"] == [0.1, 0.25]
    assert declaration["share_in_box"] > 0.8 and declaration["share_outside"] < 0.2
    assert declaration["sentence"].startswith("A shallow declaration across blocs hinges on China's legitimacy: ")
    assert "the scenario assumes 0.1–0.25" in declaration["sentence"]
    # the headline is the share of the runs, and the box's runs add up to it
    hits = declaration["happens"]
    assert declaration["share"] == round(hits / 300, 6)
    assert round(declaration["share_in_box"] * declaration["runs_in_box"]) <= hits
    # every entry has the same fields
    assert len({tuple(o) for o in block["outcomes"]}) == 1
    assert outcomes["substantive_cross_bloc"]["status"] == "never"
    assert outcomes["deepest_cross_bloc"]["same_as"] == "declaration_cross_bloc"
    business = outcomes["business_cross_bloc"]
    assert business["status"] == "hinge" and business["box"][0]["input"] == "business.openness"
    assert [i["input"] for i in block["inputs"]][0] == "actors.china.legitimacy"


def test_a_scenario_with_no_distributions_has_no_hinge(bletchley):
    fixed = expected(bletchley)
    assert uncertain_paths(fixed) == []
    reps = run_replications(fixed, replications=40, seed=1, log_events=False, collect_rounds=False)
    assert all(r.drawn == () for r in reps)
    summary = summarise(fixed, [r.outcome for r in reps], 1, [r.drawn for r in reps])
    block = summary["hinge"]
    assert block["inputs"] == []
    for entry in block["outcomes"]:
        assert entry["status"] in {"always", "never", "no_inputs"} and entry["box"] == []
        assert "no input" in entry["sentence"]


def test_summary_json_console_and_report_agree(tmp_path):
    out = tmp_path / "run"
    proc = simrun(str(BLETCHLEY), "-n", "120", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    block = summary["hinge"]
    assert block["runs"] == 120 and len(block["inputs"]) == 8
    lines = hinge_lines(block)
    assert len(lines) == 4
    stdout = proc.stdout
    assert "What each answer hinges on" in stdout
    for line in lines:
        assert f"• {line}" in stdout  # whole, on one line
    assert stdout.index("What each answer hinges on") > stdout.index("Business level")
    declaration = block["outcomes"][0]
    assert declaration["status"] == "hinge" and declaration["box"][0]["input"] == "actors.china.legitimacy"
    report = simrun("report", str(out))
    assert report.returncode == 0, report.stderr
    page = (out / "report.html").read_text()
    assert "What the answers hinge on" in page and html.escape(declaration["sentence"]) in page


# -- a sweep ------------------------------------------------------------------------------------


def test_a_sweep_hinges_on_its_swept_and_drawn_inputs(tmp_path):
    plan = plan_sweep(BLETCHLEY, vary=["actors.china.legitimacy=0.1:0.25:4"], replications=30)
    result = run_sweep(plan, out=tmp_path / "s", workers=1)
    saved = json.loads((tmp_path / "s" / "hinge.json").read_text())
    assert saved == json.loads(json.dumps(result.hinge))
    rows_inputs = sweep_inputs(plan, result.rows.to_pylist())
    kinds = {i.path: i.how for i in rows_inputs}
    # the swept field first; China's legitimacy is no longer drawn, the other seven are
    assert list(kinds)[0] == "actors.china.legitimacy" and kinds["actors.china.legitimacy"] == "swept"
    assert len(kinds) == 8 and sum(h == "assumed" for h in kinds.values()) == 7
    declaration = saved["outcomes"][0]
    assert declaration["status"] == "hinge"
    [limit] = declaration["box"]
    assert limit["input"] == "actors.china.legitimacy" and limit["how"] == "swept"
    assert 0.15 < limit["low"] < 0.25  # halfway between two grid values
    assert "the sweep covers 0.1–0.25" in declaration["sentence"]


def test_the_sweep_command_prints_the_hinge(tmp_path):
    out = tmp_path / "s"
    proc = simrun("sweep", str(BLETCHLEY), "--vary", "tension=0.2,0.9", "-n", "20", "--workers", "1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    block = json.loads((out / "hinge.json").read_text())
    assert "What each answer hinges on" in proc.stdout
    for line in hinge_lines(block):
        assert f"• {line}" in proc.stdout
    report = simrun("report", str(out))
    assert report.returncode == 0, report.stderr
    assert "What the answers hinge on" in (out / "report.html").read_text()


# -- words ------------------------------------------------------------------------------------


def test_inputs_in_words(bletchley):
    assert label(bletchley, "actors.china.legitimacy") == "China's legitimacy"
    assert label(bletchley, "actors.china_firms.position.safety_testing") == (
        "Chinese AI companies' position on safety testing"
    )
    assert label(bletchley, "business.openness") == "business openness"
    assert label(bletchley, "model.confidence_bound") == "confidence bound"
    assert label(bletchley, "tension") == "tension"
