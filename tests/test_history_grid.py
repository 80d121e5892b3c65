"""The fit's grid runs of a case, run together, predict exactly what each point's own run predicts.

:mod:`sim.experiments.history_grid` shares what the points of a case share (draws, the
forum before the first summit, the runs the focal gain or the relief cannot tell
apart); the prediction at every point must be the one ``model_prediction(case, s,
case_rows(s, n, seed))`` gives, number for number.
"""

from __future__ import annotations

import dataclasses
import itertools
import re

import pytest
from conftest import ROOT

from sim.experiments.history import plan_history, run_history
from sim.experiments.history_grid import families, grid_predictions
from sim.experiments.history_predictors import case_rows, model_prediction
from sim.experiments.history_record import load_record
from sim.experiments.history_scores import score_case
from sim.experiments.sweep_spec import apply_point
from sim.scenario import load_scenario

RECORD = ROOT / "sim" / "data" / "history.yaml"
CASES = ROOT / "scenarios" / "history"
needs_record = pytest.mark.skipif(not RECORD.exists(), reason="the shipped record is missing")
AXES = {
    "model.kappa0_government": (0.02, 0.3),
    "model.kappa1_government": (0.7, 1.3),
    "model.depth_cost": (0.5, 5.0),
    "business.restriction_per_tension": (0.0, 0.5),
    "model.focal_gain": (0.0, 0.3),
}


def points(**extra) -> list[dict]:
    return [dict(zip(AXES, values, strict=True), **extra) for values in itertools.product(*AXES.values())]


def one_by_one(case, scenarios, n, seed):
    return [model_prediction(case, s, case_rows(s, n, seed)) for s in scenarios]


def as_data(predictions):
    return [dataclasses.asdict(p) for p in predictions]


@needs_record
@pytest.mark.parametrize(
    ("case_id", "extra"),
    [
        ("g20_2019", {}),  # four at the table, one summit round
        ("iso_42001_2023", {}),  # a business case: the forum runs on after the summit
        ("g7_hiroshima_2023", {}),  # one bloc at the table
        ("us_china_geneva_2024", {"protocol": "west_first"}),  # two summit rounds and a coalition
        ("wdta_2024", {"protocol": "bilateral_first"}),  # a business case with two summit rounds
    ],
)
def test_every_point_predicts_what_its_own_run_predicts(case_id, extra):
    case = {c.id: c for c in load_record(RECORD)}[case_id]
    base = load_scenario(CASES / f"{case_id}.yaml")
    scenarios = [apply_point(base, p) for p in points(**extra)]
    assert as_data(grid_predictions(case, scenarios, 24, 11)) == as_data(one_by_one(case, scenarios, 24, 11))


@needs_record
def test_runs_that_differ_elsewhere_or_draw_a_coefficient_are_not_shared():
    case = {c.id: c for c in load_record(RECORD)}["g20_2019"]
    base = load_scenario(CASES / "g20_2019.yaml")
    scenarios = [
        apply_point(base, {"model.depth_cost": 2.0}),
        apply_point(base, {"model.depth_cost": 4.0, "tension": 0.9}),  # another family
        apply_point(base, {"model.depth_cost": {"uniform": [1.0, 4.0]}}),  # drawn: alone
        apply_point(base, {"model.depth_cost": 4.0}),
        apply_point(base, {"model.depth_cost": 2.0}),  # the first again
    ]
    found, alone = families(list(enumerate(scenarios)))
    assert [[k for k, _ in f.points] for f in found] == [[0, 3, 4], [1]]
    assert [k for k, _ in alone] == [2]
    got = as_data(grid_predictions(case, scenarios, 30, 5))
    assert got == as_data(one_by_one(case, scenarios, 30, 5))
    assert got[0] == got[4]


@needs_record
def test_the_fit_scores_every_grid_point_as_its_own_run_does(tmp_path):
    blocks = re.split(r"(?m)^(?=- id: )", RECORD.read_text())
    keep = ("g20_2019", "wdta_2024", "g7_apulia_2024")
    record = tmp_path / "r.yaml"
    record.write_text("".join(b for b in blocks if any(b.startswith(f"- id: {k}\n") for k in keep)))
    fit = ["model.kappa0_government=0.02,0.3", "business.restriction_per_tension=0,0.5", "model.focal_gain=0,0.3"]
    plan = plan_history(record, CASES, fit=fit)
    result = run_history(plan, replications=16)
    for i, case in enumerate(plan.cases):
        own = one_by_one(case, [plan.scenarios[case.id]], 16, plan.seed)[0]
        assert dataclasses.asdict(result.predictions["model"][case.id]) == dataclasses.asdict(own)
        runs = one_by_one(case, plan.grids[case.id], 16, plan.seed)
        assert [row[i] for row in result.grid_rps] == [score_case(case, p).rps for p in runs]
