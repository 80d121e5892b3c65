"""A kernel taken from another, at coefficients it has not read yet, runs on to the rows of a kernel built at them.

:meth:`sim.rules.kernel.Negotiation.take` lets the history fit run its grid points
together: what the points share is computed once, then each point's replications are
taken from it with their own coefficients. The rows must be identical to a fresh
kernel's, field for field (compared through ``repr``), whatever rows are taken, in
whatever order, and however many copies share a generator.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.experiments import runner
from sim.experiments.runner import outcome_rows, replication_seed
from sim.experiments.sweep_spec import apply_point
from sim.rules.outcomes import classify_all
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SUMMIT = {
    "model.kappa0_government": 0.3,
    "model.kappa1_government": 0.5,
    "model.depth_cost": 1.0,
    "model.focal_gain": 0.4,
    "model.chair_depth_weight": 0.6,
}
OTHER = {
    "model.kappa0_government": 0.0,
    "model.kappa1_government": 1.4,
    "model.depth_cost": 6.0,
    "model.focal_gain": 0.0,
    "model.chair_depth_weight": 0.1,
}


def scenario(name: str, **point):
    return apply_point(load_scenario(ROOT / "scenarios" / f"{name}.yaml"), point)


def kernel_of(s, seeds):
    [(_, kernel)] = runner._kernels(s, seeds, log=False)
    return kernel


def run_out(kernel) -> list[dict]:
    while kernel.round < kernel.spec.rounds:
        kernel.step()
    return classify_all(kernel)


def first_summit(kernel) -> int:
    return next(r for r in range(1, kernel.spec.rounds + 1) if any(kernel.summits(r)))


@pytest.mark.parametrize("name", ["bletchley", "detente", "west_first", "tech_war"])
def test_replications_taken_before_their_first_summit_run_on_as_built_at_their_coefficients(name):
    seeds = [replication_seed(3, r) for r in range(10)]
    source = kernel_of(scenario(name, **OTHER), seeds)
    for _ in range(first_summit(source) - 1):
        source.step()
    rows = np.arange(10)
    taken = source.take([(rows, SUMMIT), (rows[::-1], {}), (rows[:4], {"model.depth_cost": 2.5})])
    got = run_out(taken)
    assert repr(got[:10]) == repr(outcome_rows(scenario(name, **SUMMIT), seeds))
    assert repr(got[10:20]) == repr(outcome_rows(scenario(name, **OTHER), seeds)[::-1])
    assert repr(got[20:]) == repr(outcome_rows(scenario(name, **{**OTHER, "model.depth_cost": 2.5}), seeds[:4]))


def test_restrictions_are_taken_before_the_first_round_and_copies_share_their_generator():
    seeds = [replication_seed(5, r) for r in range(8)]
    source = kernel_of(scenario("bletchley", **OTHER), seeds)
    everyone = np.arange(8)
    points = [{"business.restriction_per_tension": v, **SUMMIT} for v in (0.0, 0.3, 0.7)]
    taken = source.take([(everyone, p) for p in points])
    assert len(taken.rngs) == 8  # three copies of each replication draw their pairings once
    got = run_out(taken)
    for i, point in enumerate(points):
        assert repr(got[8 * i : 8 * (i + 1)]) == repr(outcome_rows(scenario("bletchley", **point), seeds))


def test_kernels_taken_from_one_source_run_on_independently():
    seeds = [replication_seed(8, r) for r in range(6)]
    source = kernel_of(scenario("bletchley"), seeds)
    source.step()
    a = source.take([(np.arange(6), {})])
    b = source.take([(np.arange(6), {})])
    assert repr(run_out(a)) == repr(run_out(b))  # a drew from copies of the generators, not from b's
    source.step()  # and the source runs on as if nothing had been taken from it
    assert repr(run_out(source)) == repr(outcome_rows(scenario("bletchley"), seeds))


def test_a_summit_round_runs_without_the_forum_s_companies_to_the_same_deals():
    seeds = [replication_seed(2, r) for r in range(8)]
    source = kernel_of(scenario("tech_war", **OTHER), seeds)
    for _ in range(11):
        source.step()
    light = source.take([(np.arange(8), SUMMIT)], companies=False)
    light.step_government()
    whole = kernel_of(scenario("tech_war", **SUMMIT), seeds)
    for _ in range(12):
        whole.step()
    assert np.array_equal(light.deal_round, whole.deal_round)
    assert np.array_equal(light.deal_signers, whole.deal_signers)
    assert np.array_equal(light.relief, whole.relief)
    with pytest.raises(ValueError, match="without its companies"):
        light.step_business()
    with pytest.raises(ValueError, match="without its companies"):
        light.take([(np.arange(8), {})])


def test_take_refuses_what_it_cannot_take_exactly():
    seeds = [replication_seed(1, r) for r in range(3)]
    source = kernel_of(scenario("bletchley"), seeds)
    rows = np.arange(3)
    with pytest.raises(ValueError, match="take cannot set"):
        source.take([(rows, {"model.trust_cross_bloc": 0.2})])
    source.step()
    with pytest.raises(ValueError, match="only before round 1"):
        source.take([(rows, {"business.restriction_per_tension": 0.2})])
    for _ in range(11):
        source.step()
    with pytest.raises(ValueError, match="only before the first summit"):
        source.take([(rows, {"model.kappa0_government": 0.2})])
    [(_, logged)] = runner._kernels(scenario("bletchley"), seeds, log=True)
    with pytest.raises(ValueError, match="event log"):
        logged.take([(rows, {})])


def test_the_drafts_for_issues_nobody_weighs_are_compromise_point_row_by_row_to_the_bit():
    from sim.rules.utility import compromise_point, fallback_points

    rng = np.random.default_rng(0)
    for _ in range(1500):
        reps, m, k = rng.integers(1, 30), rng.integers(1, 10), rng.integers(1, 7)
        positions, salience = rng.random((reps, m, k)), rng.random((reps, m, k))
        weight = rng.random((reps, m)) * rng.choice([1.0, 1e-3, 1e3])
        salience[rng.random(salience.shape) < 0.4] = 0.0  # issues nobody drafting weighs
        weight[rng.random(weight.shape) < 0.4] = 0.0  # members left out of a narrower draft
        weight = weight + 1e-12
        got = fallback_points(positions, salience, weight)
        expected = np.array([compromise_point(p, s, w) for p, s, w in zip(positions, salience, weight, strict=True)])
        assert got.tobytes() == expected.tobytes()
