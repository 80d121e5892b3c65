"""One kernel of many replications gives, row for row, what the Mesa model gives for each.

The Mesa model is a view over a kernel of one replication; a sweep runs a kernel of a
whole chunk. Replications must not influence each other through the shared arrays,
and the Mesa model must draw in the kernel's order, so the rows must be identical, not
merely close: they are compared through ``repr`` (NaN equals NaN, 0.1 must be exactly 0.1).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, reject
from hypothesis import strategies as st
from test_properties import SETTINGS, scenarios

from sim.experiments import runner as runner_module
from sim.experiments import sweep as sweep_module
from sim.experiments.runner import outcome_rows, replication_seed, run_on_mesa
from sim.experiments.sweep import Chunk, run_chunk
from sim.experiments.sweep_spec import apply_point
from sim.rules.kernel import structure
from sim.scenario import load_scenario, scenario_from_text
from sim.scenario.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
RULES = [
    {"rule": "consensus"},
    {"rule": "qualified_majority", "threshold": 0.6},
    {"rule": "required", "signatories": ["us", "china"]},
]
PROTOCOLS = ["simultaneous", "west_first", "bilateral_first"]


def mesa_rows(scenario, seeds) -> list[dict]:
    return [run_on_mesa(scenario, s) for s in seeds]


def assert_same_rows(scenario, n: int, master: int = 11, point: int = 0) -> list[dict]:
    seeds = [replication_seed(master, point, r) for r in range(n)]
    batch = outcome_rows(scenario, seeds)
    reference = mesa_rows(scenario, seeds)
    for r, (b, m) in enumerate(zip(batch, reference, strict=True)):
        assert repr(b) == repr(m), f"replication {r}: " + repr(
            {k: (b.get(k), v) for k, v in m.items() if repr(b.get(k)) != repr(v)}
        )
    return batch


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
@pytest.mark.parametrize("rule", RULES, ids=lambda r: r["rule"])
def test_every_scenario_and_rule_gives_the_mesa_rows(path, rule):
    scenario = apply_point(load_scenario(path), {"decision_rule": rule})
    rows = assert_same_rows(scenario, 24)
    # the comparison is not vacuous: these runs reach deals and also fail to
    assert any(r["gov_level"] != "none" for r in rows)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_every_protocol_gives_the_mesa_rows(protocol):
    scenario = apply_point(load_scenario(ROOT / "scenarios" / "bletchley.yaml"), {"protocol": protocol})
    assert_same_rows(scenario, 24, master=3)


def test_relief_and_focal_point_couplings_give_the_mesa_rows():
    # a substantive deal eases business restrictions; a business standard lends governments a focal point
    base = load_scenario(ROOT / "scenarios" / "detente.yaml")
    scenario = apply_point(base, {"model.relief_level": "declaration", "model.relief": 0.5, "model.focal_gain": 1.0})
    rows = assert_same_rows(scenario, 24, master=5)
    assert any(r["business_level"] == "cross_bloc" for r in rows)


@given(scenarios(), st.integers(0, 2**32 - 1))
@SETTINGS
def test_generated_scenarios_give_the_mesa_rows(scenario, seed):
    assert_same_rows(scenario, 6, master=seed)


@given(scenarios(), st.integers(0, 2**32 - 1), st.floats(0.0, 0.5), st.floats(0.001, 0.1))
@SETTINGS
def test_generated_scenarios_with_uncertain_numbers_give_the_mesa_rows(scenario, seed, low, noise):
    point = {
        "tension": {"uniform": [low, low + 0.5]},
        "actors.g1.legitimacy": {"uniform": [0.0, 0.4]},
        "actors.g0.position.rules": {"triangular": [0.0, 0.5, 1.0]},
        "business.openness": {"normal": [0.5, 0.3]},  # clipped to [0, 1]
        "model.perception_noise": {"uniform": [0.0, noise]},
    }
    try:
        uncertain = apply_point(scenario, point)
    except InputError:  # a generated scenario the cross-checks refuse (e.g. west_first with one bloc)
        reject()
    assert_same_rows(uncertain, 6, master=seed)


def test_uncertain_numbers_are_drawn_per_replication_as_the_mesa_model_draws_them():
    scenario = load_scenario(ROOT / "scenarios" / "bletchley.yaml")
    seeds = [replication_seed(2, 0, r) for r in range(5)]
    [(_, kernel)] = runner_module._kernels(scenario, seeds, log=False)
    assert len(set(kernel.tension.tolist())) == 5  # tension is a range in bletchley
    assert_same_rows(scenario, 5, master=2)


MINIMAL = """
name: minimal
tension: 0.3
rounds: 5
issues:
  - {id: rules, low: none, high: binding}
  - {id: testing, low: none, high: shared, technical: true}
actors:
  - {id: a, name: A, kind: government, bloc: west, position: {rules: 0.8, testing: 0.7},
     salience: {rules: 1, testing: 0}, capability: 2}
  - {id: b, name: B, kind: government, bloc: east, position: {rules: 0.2, testing: 0.4},
     salience: {rules: 1, testing: 0}, legitimacy: 0.3}
"""


def test_no_companies_and_an_issue_nobody_weighs_give_the_mesa_rows():
    # no business forum at all, and 'testing' has zero salience at the table (the proposal's fallback)
    scenario = scenario_from_text(MINIMAL)
    rows = assert_same_rows(scenario, 8)
    assert all(r["business_level"] == "none" for r in rows)


def test_a_single_company_gives_the_mesa_rows():
    text = MINIMAL + (
        "  - {id: c, name: C, kind: company, bloc: west, home: a, count: 1,"
        " position: {testing: 0.5}, salience: {testing: 1}}\n"
    )
    assert_same_rows(scenario_from_text(text), 8)


def test_replications_of_different_structure_run_in_separate_kernels():
    # an uncertain depth can reorder the ladder from one replication to the next
    scenario = apply_point(
        load_scenario(ROOT / "scenarios" / "bletchley.yaml"),
        {"depth_ladder.declaration.depth": {"uniform": [0.0, 1.0]}},
    )
    seeds = [replication_seed(4, 0, r) for r in range(12)]
    from sim.scenario.distributions import realize

    shapes = {structure(realize(scenario, np.random.default_rng(s))) for s in seeds}
    assert len(shapes) > 1
    assert len(runner_module._kernels(scenario, seeds, log=False)) == len(shapes)
    _, rows = run_chunk(Chunk(0, {}, scenario, 4, 0, 12))
    reference = mesa_rows(scenario, seeds)
    assert [repr({k: r[k] for k in m}) for r, m in zip(rows, reference, strict=True)] == [repr(m) for m in reference]


def test_a_chunk_whose_kernel_fails_is_rerun_one_by_one_and_names_the_failing_replication(monkeypatch):
    scenario = load_scenario(ROOT / "scenarios" / "bletchley.yaml")
    good = run_chunk(Chunk(0, {"tension": 0.5}, scenario, 9, 0, 6))[1]
    real = runner_module.outcome_rows
    bad = replication_seed(9, 0, 3).spawn_key

    def broken(scenario, seeds):
        if any(s.spawn_key == bad for s in seeds):
            raise RuntimeError("boom")
        return real(scenario, seeds)

    monkeypatch.setattr(sweep_module, "outcome_rows", broken)
    _, rows = run_chunk(Chunk(0, {"tension": 0.5}, scenario, 9, 0, 6))
    assert [r["replication"] for r in rows if r["error"]] == [3] and "boom" in rows[3]["error"]
    assert repr([r for r in rows if not r["error"]]) == repr([r for r in good if r["replication"] != 3])


def test_large_forums_are_cut_into_smaller_kernels_without_changing_a_row(monkeypatch):
    scenario = load_scenario(ROOT / "scenarios" / "bletchley.yaml")
    seeds = [replication_seed(6, 0, r) for r in range(10)]
    whole = outcome_rows(scenario, seeds)
    companies = sum(a.count for a in scenario.companies)
    monkeypatch.setattr(runner_module, "COMPANY_ROWS", 3 * companies)  # kernels of 3, 3, 3 and 1
    assert runner_module.batch_size(scenario) == 3
    assert len(runner_module._kernels(scenario, seeds, log=False)) == 4
    assert repr(outcome_rows(scenario, seeds)) == repr(whole)
    assert repr(whole) == repr(mesa_rows(scenario, seeds))
