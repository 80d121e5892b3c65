"""The business forum: companies start unaligned and must build contact to share a standard."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sim.experiments.runner import outcome_rows, replication_seed
from sim.experiments.sweep_spec import apply_point
from sim.rules.forum import BLOC, NONE
from sim.rules.kernel import Negotiation
from sim.scenario import load_scenario, scenario_from_text
from sim.scenario.distributions import realize

ROOT = Path(__file__).resolve().parent.parent
REPS = 200

TWO_BLOCS = """
name: two_blocs
issues:
  - {id: testing, low: self, high: shared, technical: true}
actors:
  - {id: a, name: A, kind: government, bloc: w, position: {testing: 0.5}, salience: {testing: 1}}
  - {id: b, name: B, kind: government, bloc: e, position: {testing: 0.5}, salience: {testing: 1}}
  - {id: wa, name: WA, kind: company, bloc: w, home: a, count: 2, spread: 0, capability: 0.6,
     legitimacy: 0.05, gain: 0.4, position: {testing: 0.6}, salience: {testing: 1}}
  - {id: ea, name: EA, kind: company, bloc: e, home: b, count: 1, spread: 0, capability: 0.4,
     legitimacy: 0.05, gain: 0.4, position: {testing: 0.2}, salience: {testing: 1}}
tension: 0.5
chair: a
business: {standard_depth: 0.5, restriction_cost: 0.5}
model: {kappa0_company: 0.1, kappa1_company: 0.2}
"""


@pytest.fixture(scope="module")
def bletchley():
    return load_scenario(ROOT / "scenarios" / "bletchley.yaml")


def kernels(scenario, reps: int, seed: int = 7) -> Negotiation:
    rngs = [np.random.default_rng(replication_seed(seed, r)) for r in range(reps)]
    return Negotiation([realize(scenario, rng) for rng in rngs], rngs)


def p_cross(scenario, point: dict, reps: int = REPS) -> float:
    """P(cross-bloc standard at the end) over ``reps`` replications of ``scenario`` at ``point``."""
    rows = outcome_rows(apply_point(scenario, point), [replication_seed(20231101, r) for r in range(reps)])
    return float(np.mean([r["business_level"] == "cross_bloc" for r in rows]))


def clearly_lower(low: float, high: float, n: int = REPS) -> bool:
    """Whether ``low`` < ``high`` beyond sampling error (two-proportion z > 3)."""
    p = (low + high) / 2
    se = math.sqrt(max(p * (1 - p), 1e-12) * 2 / n)
    return (high - low) / se > 3


def test_nobody_has_adopted_before_the_first_round(bletchley):
    k = kernels(bletchley, 5)
    f = k.forum
    assert f.n == 90 and (f.choice == NONE).all() and not f.adopted.any()
    assert (f.contact == 0.0).all() and (f.shares == 0).all() and (f.bloc_shares == 0).all()
    assert not f.cross_now.any() and not f.within_now.any() and (f.cross_round == 0).all()
    k.step()
    # after one round firms have chosen: most take their bloc's standard, drafted among their own
    assert (f.choice == BLOC).mean() > 0.5


def test_contact_builds_with_meetings_and_decays_without(bletchley):
    k = kernels(apply_point(bletchley, {"business.openness": 1.0, "tension": 0.0}), 10)
    f = k.forum
    f.contact[:] = 0.5
    # full restrictions: no cross-bloc meeting, every firm's contact decays by trust_decay (0.1)
    f.round(k.rngs, 1, np.ones(10), np.zeros(10), k.pos)
    assert not f.met_rival.any()
    assert f.contact == pytest.approx(np.full((90, 10), 0.45))
    # no restrictions: firms that met a rival gain 0.3 of the missing trust, the others decay again
    f.round(k.rngs, 2, np.zeros(10), np.zeros(10), k.pos)
    met = f.met_rival
    assert 0.1 < met.mean() < 0.9
    assert f.contact[met] == pytest.approx(0.45 + 0.3 * 0.55)
    assert f.contact[~met] == pytest.approx(0.405)
    # only cross-bloc pairs count, so both blocs have as many firms that met as meetings
    china = f.bloc == f.blocs.index("china")
    assert (met[china].sum(axis=0) == met[~china].sum(axis=0)).all()
    assert f.contact_mean.shape == (10, 2)


def test_values_follow_the_formula_on_a_hand_worked_case():
    k = kernels(scenario_from_text(TWO_BLOCS), 1)
    f = k.forum
    f.positions[:, 0, 0] = [0.6, 0.8, 0.2]
    f.contact[:, 0] = [0.5, 0.0, 1.0]
    f.on_common[:, 0] = [True, False, True]
    f.on_bloc[:, 0] = [False, True, False]
    f.standard = f._drafts()
    assert f.bloc_standards[0, :, 0] == pytest.approx([0.7, 0.2])  # (0.3·0.6 + 0.3·0.8) / 0.6; the lone firm
    common = (0.15 * 0.6 + 0.4 * 0.2) / 0.55  # weights capability × contact: 0.3·0.5, 0, 0.4·1
    assert f.standard[0, 0] == pytest.approx(common)
    bloc, shared = f.value_terms(np.array([0.2]), np.array([0.5]))
    v_bloc = bloc[0] + bloc[1] - bloc[2] - bloc[3]
    v_common = shared[0] + shared[1] - shared[2] - shared[3]
    # bloc standard: L + d·(G·M − D), M = own market 0.6 × half of the West's capability on it
    assert v_bloc[:, 0] == pytest.approx([0.05 + 0.5 * (0.4 * 0.3 - 0.1), 0.05 + 0.5 * (0.4 * 0.3 - 0.1), 0.05])
    rival_cost = 0.5 * (0.1 + 0.2 * 0.5) + 0.2 * 0.5  # τ(κ0 + κ1 d) + r · restriction_cost
    m_w0 = 0.6 * 0.5 + 0.4 * 1.0 * (1 - 0.2) * 0.5  # own bloc in full, the rival's through restrictions and contact
    m_e0 = 0.4 * 1.0 + 0.6 * 0.5 * (1 - 0.2) * 1.0
    m_w1 = 0.6 * 0.5  # no contact: its own bloc's market only
    expected = [
        0.5 * 0.05 + 0.5 * 0.4 * m_w0 - 0.5 * abs(0.6 - common) - 1.0 * rival_cost,
        0.0 + 0.5 * 0.4 * m_w1 - 0.5 * abs(0.8 - common) - (0.4 / 0.7) * rival_cost,  # no trust in the draft
        1.0 * 0.05 + 0.5 * 0.4 * m_e0 - 0.5 * abs(0.2 - common) - 1.0 * rival_cost,
    ]
    assert v_common[:, 0] == pytest.approx(expected)
    f._adopt(np.array([0.2]), np.array([0.5]))
    assert f.choice[:, 0].tolist() == [BLOC, BLOC, BLOC]
    assert f.bloc_shares[0].tolist() == [1.0, 1.0] and f.shares[0].tolist() == [0.0, 0.0]


def test_an_uncertain_gain_is_drawn_per_replication(bletchley):
    s = apply_point(bletchley, {"actors.china_firms.gain": {"uniform": [0.1, 0.6]}})
    k = kernels(s, 20)
    china = k.forum.bloc == k.forum.blocs.index("china")
    gains = k.forum.gain[china]
    assert (gains == gains[0]).all()  # one draw per group and replication
    assert gains[0].min() >= 0.1 and gains[0].max() <= 0.6 and np.ptp(gains[0]) > 0.2
    assert (k.forum.gain[~china] == 0.35).all()


@pytest.mark.parametrize(
    "point", [{"business.openness": 0.0}, {"business.restriction": 1.0}], ids=["openness0", "restriction1"]
)
def test_no_cross_bloc_contact_makes_the_cross_bloc_standard_unlikely(bletchley, point):
    assert p_cross(bletchley, point) <= 0.1
    k = kernels(apply_point(bletchley, point), 10)
    for _ in range(bletchley.rounds):
        k.step()
    assert (k.forum.contact == 0.0).all() and not k.forum.adopted.any()


def test_the_cross_bloc_standard_falls_with_tension_and_restriction(bletchley):
    low, high = p_cross(bletchley, {"tension": 0.0}), p_cross(bletchley, {"tension": 1.0})
    assert clearly_lower(high, low), (low, high)
    free, closed = (p_cross(bletchley, {"tension": 0.25, "business.restriction": r}) for r in (0.0, 0.8))
    assert clearly_lower(closed, free), (free, closed)


def test_knockouts_contact_market_access_and_rival_cost(bletchley):
    # at tension 1 the common standard is likely but not certain: each knockout can show
    base = p_cross(bletchley, {"tension": 1.0})
    assert 0.2 <= base <= 0.95, base
    assert p_cross(bletchley, {"tension": 1.0, "business.trust_gain": 0.0}) <= 0.02
    assert clearly_lower(p_cross(bletchley, {"tension": 1.0, "business.restriction": 1.0}), base)
    free = {"tension": 1.0, "model.kappa0_company": 0.0, "model.kappa1_company": 0.0}
    assert clearly_lower(base, p_cross(bletchley, free))


def test_restrictions_cut_market_access_not_only_meetings(bletchley):
    # the same chance that a cross-bloc pair meets, openness × (1 − restriction) = 0.48, reached two ways:
    # with a restriction the rival market is cut and crossing it costs; with lower openness nothing else changes
    restricted = p_cross(bletchley, {"business.openness": 0.6, "business.restriction": 0.2})
    fewer_meetings = p_cross(bletchley, {"business.openness": 0.48, "business.restriction": 0.0})
    assert clearly_lower(restricted, fewer_meetings), (restricted, fewer_meetings)
