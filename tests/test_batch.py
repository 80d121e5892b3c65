"""The batched engine gives, replication for replication, the Mesa model's outcome rows.

Rows are compared through ``repr`` (so NaN equals NaN and 0.1 must be exactly 0.1):
the batched engine performs the Mesa model's floating-point operations in the same
order, so the rows must be identical, not merely close.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, reject
from hypothesis import strategies as st
from test_properties import SETTINGS, scenarios

from sim.experiments import sweep as sweep_module
from sim.experiments.runner import replication_seed, run_replication
from sim.experiments.sweep import Chunk, run_chunk
from sim.experiments.sweep_spec import apply_point
from sim.rules.batch import BatchRun, run_batch, structure
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
    return [run_replication(scenario, s, r, False, collect_rounds=False).outcome for r, s in enumerate(seeds)]


def assert_same_rows(scenario, n: int, master: int = 11, point: int = 0) -> list[dict]:
    seeds = [replication_seed(master, point, r) for r in range(n)]
    batch = run_batch(scenario, seeds)
    assert batch is not None, "these replications share a structure and must be batched"
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
    engine = BatchRun(scenario, seeds)
    assert len(set(engine.tension.tolist())) == 5  # tension is a range in bletchley
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


def test_replications_of_different_structure_are_not_batched():
    # an uncertain depth can reorder the ladder from one replication to the next
    scenario = apply_point(
        load_scenario(ROOT / "scenarios" / "bletchley.yaml"),
        {"depth_ladder.declaration.depth": {"uniform": [0.0, 1.0]}},
    )
    seeds = [replication_seed(4, 0, r) for r in range(12)]
    from sim.scenario.distributions import realize

    shapes = {structure(realize(scenario, np.random.default_rng(s))) for s in seeds}
    assert len(shapes) > 1
    assert run_batch(scenario, seeds) is None
    # the sweep then runs them on the Mesa model: same rows as the reference
    chunk = Chunk(0, {}, scenario, 4, 0, 12)
    _, rows, why = run_chunk(chunk)
    assert why.startswith("replications differ in structure")
    reference = mesa_rows(scenario, seeds)
    assert [repr({k: r[k] for k in m}) for r, m in zip(rows, reference, strict=True)] == [repr(m) for m in reference]


def test_a_chunk_the_batched_engine_fails_on_is_rerun_on_the_mesa_model(monkeypatch):
    scenario = load_scenario(ROOT / "scenarios" / "bletchley.yaml")
    good = run_chunk(Chunk(0, {"tension": 0.5}, scenario, 9, 0, 6))[1]

    def broken(*args, **kwargs):
        raise RuntimeError("batched engine failed")

    monkeypatch.setattr(sweep_module, "run_batch", broken)
    name, fallback, why = run_chunk(Chunk(0, {"tension": 0.5}, scenario, 9, 0, 6))
    assert repr(fallback) == repr(good) and all(r["error"] == "" for r in fallback)
    assert why == "batched engine failed: RuntimeError: batched engine failed"


def test_a_sweep_records_the_chunks_that_fell_back_to_the_mesa_model(tmp_path, monkeypatch):
    from sim.experiments.sweep import plan_sweep, run_sweep

    plan = plan_sweep(ROOT / "scenarios" / "bletchley.yaml", vary=["tension=0.2,0.8"], replications=4, seed=3)
    clean = run_sweep(plan, out=tmp_path / "clean", workers=1)
    assert clean.fallbacks == {}

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(sweep_module, "run_batch", broken)
    fell = run_sweep(plan, out=tmp_path / "fell", workers=1)
    manifest = json.loads((tmp_path / "fell" / "manifest.json").read_text())
    assert sorted(manifest["mesa_fallbacks"]) == sorted(p.name for p in (tmp_path / "fell" / "parts").iterdir())
    assert set(fell.fallbacks.values()) == {"batched engine failed: RuntimeError: boom"}
    assert repr(fell.rows.to_pylist()) == repr(clean.rows.to_pylist())  # nothing lost, nothing different


def test_large_forums_are_cut_into_smaller_batches_without_changing_a_row(monkeypatch):
    import sim.rules.batch as batch_module

    scenario = load_scenario(ROOT / "scenarios" / "bletchley.yaml")
    seeds = [replication_seed(6, 0, r) for r in range(10)]
    whole = run_batch(scenario, seeds)
    companies = sum(a.count for a in scenario.companies)
    monkeypatch.setattr(batch_module, "COMPANY_ROWS", 3 * companies)  # batches of 3, 3, 3 and 1
    assert batch_module.batch_size(scenario) == 3
    assert repr(run_batch(scenario, seeds)) == repr(whole)
    assert repr(whole) == repr(mesa_rows(scenario, seeds))


def test_the_cli_warns_when_the_batched_engine_failed(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from sim.cli import app

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(sweep_module, "run_batch", broken)
    args = ["sweep", str(ROOT / "scenarios" / "bletchley.yaml"), "--vary", "tension=0.5", "-n", "3"]
    result = CliRunner().invoke(app, [*args, "--workers", "1", "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert "ran on the Mesa model because the batched engine failed" in result.output
    assert "RuntimeError: boom" in result.output
