"""Unit tests of the decision rules, utilities, proposals, protocols and baselines."""

from __future__ import annotations

import math

import mesa
import numpy as np
import pytest
from conftest import ROOT
from helpers import Gov, decide, kernel, scenario

from sim.model import NegotiationModel
from sim.outputs.stats import estimate, replications_for, wilson
from sim.rules import baselines
from sim.rules.protocols import table_plan
from sim.rules.utility import appraise, compromise_point, cross_shares, distance, normalise, trust
from sim.scenario import Consensus, QualifiedMajority, RequiredSignatories, load_scenario
from sim.scenario.distributions import realize


# -- utility ---------------------------------------------------------------------------
def test_distance_is_salience_weighted_and_on_unit_interval():
    sal = normalise(np.array([3.0, 1.0]))
    assert distance(np.array([1.0, 0.0]), np.array([0.0, 0.0]), sal) == pytest.approx(0.75)
    assert distance(np.array([1.0, 1.0]), np.array([0.0, 0.0]), sal) == pytest.approx(1.0)


def test_utility_terms_follow_the_equation():
    a = appraise(
        x=np.array([0.5, 0.5]),
        depth=0.5,
        position=np.array([0.1, 0.5]),
        salience=np.array([0.5, 0.5]),
        legitimacy=0.2,
        gain=0.4,
        tension=0.8,
        cross_share=0.5,
        kappa0=0.1,
        kappa1=0.3,
    )
    # V = L + d(G - D) - tau X (k0 + k1 d) = 0.2 + 0.5(0.4 - 0.2) - 0.8*0.5*(0.1+0.15)
    assert a.value == pytest.approx(0.2 + 0.5 * 0.2 - 0.8 * 0.5 * 0.25)
    assert a.accepts


def test_rejection_reason_names_the_dominant_cost():
    common = dict(x=np.array([1.0, 1.0]), position=np.array([0.0, 0.0]), salience=np.array([0.5, 0.5]), legitimacy=0.0)
    far = appraise(depth=1.0, gain=0.2, tension=0.0, cross_share=1.0, kappa0=1, kappa1=1, **common)
    assert far.reason == "content"
    close = dict(common, x=np.array([0.0, 0.0]))
    rival = appraise(depth=1.0, gain=0.2, tension=1.0, cross_share=1.0, kappa0=1, kappa1=1, **close)
    assert rival.reason == "rivalry"
    assert appraise(depth=1.0, gain=0.2, tension=0.0, cross_share=0.0, kappa0=1, kappa1=1, **close).reason is None


def test_compromise_point_weights_capability_times_salience():
    positions = np.array([[0.0, 0.0], [1.0, 1.0]])
    salience = np.array([[0.5, 0.5], [0.9, 0.1]])
    x = compromise_point(positions, salience, np.array([1.0, 1.0]))
    assert x == pytest.approx([0.9 / 1.4, 0.1 / 0.6])
    assert compromise_point(positions, salience, np.array([1.0, 0.0])) == pytest.approx([0.0, 0.0])


def test_cross_shares_and_trust():
    assert cross_shares(np.array(["w", "w", "c"])) == pytest.approx([0.5, 0.5, 1.0])
    assert cross_shares(np.array(["w"])) == pytest.approx([0.0])
    assert trust(0.0, 0.9, 0.5) == 1.0
    assert trust(1.0, 0.0, 0.5) == pytest.approx(0.5)
    assert trust(1.0, 1.0, 0.5) == 0.0


# -- decision rules with scripted governments ------------------------------------------
def table():
    return [
        Gov("us", "west", (0.3, 0.6), capability=3),
        Gov("eu", "west", (0.8, 0.7), capability=2),
        Gov("cn", "east", (0.6, 0.2), capability=3, legitimacy=0.0, gain=0.1),
    ]


def test_consensus_fails_on_one_rejection_and_names_the_blocker():
    d = decide(Consensus(rule="consensus"), table(), [0.5, 0.6], 1.0, 0.9)
    assert not d.passed and d.signatories == []
    assert d.blockers == {"cn": "rivalry"}
    assert d.value["cn"] < 0 <= d.value["us"]


def test_qualified_majority_lets_the_rest_sign_and_recomputes_rival_share():
    rule = QualifiedMajority(rule="qualified_majority", threshold=0.6)
    d = decide(rule, table(), [0.5, 0.6], 1.0, 0.9)
    assert d.passed and set(d.signatories) == {"us", "eu"}  # 5/8 >= 0.6
    assert d.rivalry["us"] == 0.0  # without China no rival cost is left
    d = decide(QualifiedMajority(rule="qualified_majority", threshold=0.7), table(), [0.5, 0.6], 1.0, 0.9)
    assert not d.passed and d.blockers == {"cn": "rivalry"}


def test_required_signatories_must_all_sign():
    d = decide(RequiredSignatories(rule="required", signatories=["us", "cn"]), table(), [0.5, 0.6], 1.0, 0.9)
    assert not d.passed and set(d.blockers) == {"cn"}
    d = decide(RequiredSignatories(rule="required", signatories=["us", "eu"]), table(), [0.5, 0.6], 1.0, 0.9)
    assert d.passed and set(d.signatories) == {"us", "eu"}


def test_one_signatory_is_no_agreement():
    us, _, cn = table()
    d = decide(QualifiedMajority(rule="qualified_majority", threshold=0.3), [us, cn], [0.3, 0.6], 1.0, 1.0)
    assert not d.passed


# -- protocols -------------------------------------------------------------------------
THREE = """\
name: three
issues: [{id: rules, low: a, high: b}, {id: testing, low: a, high: b}]
tension: 0.5
actors:
  - {id: us, name: US, kind: government, bloc: west, capability: 3, position: {rules: 0.2, testing: 0.6}, salience: {rules: 1, testing: 1}}
  - {id: eu, name: EU, kind: government, bloc: west, capability: 2, position: {rules: 0.9, testing: 0.7}, salience: {rules: 1, testing: 1}}
  - {id: cn, name: CN, kind: government, bloc: east, capability: 3, position: {rules: 0.6, testing: 0.2}, salience: {rules: 1, testing: 1}}
chair: eu
rounds: 6
"""


# -- the government table walks the ladder deep -> shallow ------------------------------
def test_depth_search_stops_at_the_deepest_level_the_rule_accepts(small_text):
    s = scenario(small_text, tension=0.6)
    k = kernel(s, 3, log=True)
    result = k.table.negotiate((0, 1))
    levels = [o.level for o in result.offers]
    assert levels == list(range(len(s.ladder) - 1, -1, -1))[: len(levels)]
    assert all(not o.vote.passed[0] for o in result.offers[:-1])
    if result.agreed[0] >= 0:
        assert result.offers[-1].vote.passed[0] and result.agreed[0] == levels[-1]


def test_rejecters_of_the_frontier_concede_by_flexibility_times_trust():
    s = scenario(THREE, tension=0.9).model_copy(
        update={"model": scenario(THREE).model.model_copy(update={"perception_noise": 0.0, "confidence_bound": 1.0})}
    )
    k = kernel(s)
    before = k.pos[0].copy()
    result = k.table.negotiate((0, 1, 2))
    x = result.x[0]
    assert result.agreed[0] < len(s.ladder) - 1  # the deepest rung failed: someone concedes
    moved = [i for i in range(3) if not np.array_equal(k.pos[0, i], before[i])]
    assert moved, "a rejecter of the frontier rung moves"
    for i in moved:
        seating = k.table.seating((0, 1, 2))
        trusted = trust(seating.rival_share[0, i], 0.9, s.model.trust_cross_bloc)
        step = s.actors[i].flexibility * trusted
        assert k.pos[0, i] == pytest.approx(before[i] + step * (x - before[i]))


@pytest.mark.parametrize(
    ("protocol", "expected"),
    [
        ("simultaneous", [[0, 1, 2]] * 6),
        ("west_first", [[0, 1]] * 3 + [[0, 1, 2]] * 3),
        ("bilateral_first", [[0, 2]] * 3 + [[0, 1, 2]] * 3),
    ],
)
def test_protocol_tables_by_round(protocol, expected):
    plan = table_plan(scenario(THREE, protocol=protocol))
    assert [list(t[0]) for t in plan] == expected


def test_west_first_coalition_holds_its_agreed_position():
    s = scenario(THREE, protocol="west_first", tension=0.9)
    k = kernel(s)
    for _ in range(3):
        k.step()
    assert np.isfinite(k.best_key[0, 0]), "the West agreed a text among itself"
    deal = k.best_content[0].copy()
    assert k.coalition == ("west", 4)
    k.round = 3
    k._coalition_position()  # what round 4 starts with: the West now holds its deal
    assert k.pos[0, 0] == pytest.approx(deal) and k.pos[0, 1] == pytest.approx(deal)
    assert k.pos[0, 2] == pytest.approx([0.6, 0.2])


# -- business forum ---------------------------------------------------------------------
def test_full_restriction_stops_cross_bloc_meetings(small_text):
    text = small_text.replace("rounds: 4", "rounds: 4\nbusiness: {restriction: 1.0}").replace(
        "    salience: {testing: 1}\nchair: a",
        "    salience: {testing: 1}\n  - {id: eastern, name: E, kind: company, bloc: east, home: b, count: 8,"
        " position: {testing: 0.4}, salience: {testing: 1}}\nchair: a",
    )
    k = kernel(scenario(text), 5)
    assert k.restriction[0] == 1.0
    assert all(k.forum._meet(k.rngs, k.restriction)[0] == 0 for _ in range(20))
    k = kernel(scenario(text.replace("restriction: 1.0", "restriction: 0.0, openness: 1.0"), tension=0.0), 5)
    assert sum(int(k.forum._meet(k.rngs, k.restriction)[0]) for _ in range(20)) > 0


# -- baselines and statistics -------------------------------------------------------------
def test_baselines_on_a_known_case():
    pos = np.array([[0.0], [0.4], [1.0]])
    sal = np.ones((3, 1))
    cap = np.array([1.0, 1.0, 2.0])
    assert baselines.weighted_mean(pos, sal, cap) == pytest.approx([0.6])
    assert baselines.median(pos) == pytest.approx([0.4])
    assert baselines.weighted_median(pos, sal, cap) == pytest.approx([0.4])
    # ideals 0.2 and 0.8, status quo 0: surpluses (0.4 - x) and x, product largest at x = 0.2
    nbs = baselines.nash_bargaining(np.array([[0.2], [0.8]]), np.ones((2, 1)), np.array([1.0, 1.0]), np.array([0.0]))
    assert nbs == pytest.approx([0.2], abs=1e-3)


def test_nash_bargaining_matches_brute_force_in_two_issues():
    rng = np.random.default_rng(4)
    pos, sal, cap, q = rng.random((4, 2)), rng.random((4, 2)) + 0.1, rng.random(4) + 0.5, np.array([0.0, 0.0])
    sal_n = normalise(sal)

    def log_product(x):
        surplus = -distance(x, pos, sal_n) + distance(q, pos, sal_n)
        return np.sum(cap * np.log(np.maximum(surplus, 0) + 1e-6))

    grid = np.linspace(0, 1, 201)
    best = max(log_product(np.array([a, b])) for a in grid for b in grid)
    found = baselines.nash_bargaining(pos, sal, cap, q)
    assert log_product(found) >= best - 1e-3


def test_nash_bargaining_in_two_issues_favours_the_stronger_player():
    pos = np.array([[0.0, 0.0], [1.0, 1.0]])
    x_equal = baselines.nash_bargaining(pos, np.ones((2, 2)), np.array([1.0, 1.0]), np.array([0.0, 1.0]))
    x_strong = baselines.nash_bargaining(pos, np.ones((2, 2)), np.array([1.0, 3.0]), np.array([0.0, 1.0]))
    assert x_strong.sum() > x_equal.sum()


def test_wilson_interval_known_values():
    p, lo, hi = wilson(0, 10)
    assert (p, lo) == (0.0, 0.0) and hi == pytest.approx(0.2775, abs=1e-4)
    p, lo, hi = wilson(50, 100)
    assert lo == pytest.approx(0.4038, abs=1e-4) and hi == pytest.approx(0.5962, abs=1e-4)
    assert replications_for(0.5) == 385
    assert estimate(5, 10)["wide"] and estimate(5, 10)["suggested_replications"] == 385
    assert "wide" not in estimate(0, 2000)
    assert math.isnan(wilson(0, 0)[0])


def test_company_groups_are_mesa_agents_over_the_forum_arrays():
    s = load_scenario(ROOT / "scenarios" / "bletchley.yaml")
    rng = np.random.default_rng(1)
    model = NegotiationModel(realize(s, rng), rng=rng)
    model.step()
    forum = model.kernel.forum
    groups = {g.actor_id: g for g in model.company_groups}
    assert sum(g.count for g in groups.values()) == forum.n == 90
    china = groups["china_firms"]
    assert china.adoption_share() == pytest.approx(float(forum.adopted[china.rows, 0].mean()))
    west = [g for g in groups.values() if g.bloc == "west"]
    west_share = sum(g.adoption_share() * g.count for g in west) / sum(g.count for g in west)
    assert west_share == pytest.approx(model.business_shares[forum.blocs.index("west")])
    assert china.mean_position().shape == (len(forum.tech),)
    assert all(isinstance(g, mesa.Agent) for g in groups.values())


def test_a_majority_text_leaves_room_for_a_wider_shallower_one():
    text = (
        THREE.replace("bloc: east, capability: 3,", "bloc: east, capability: 3, legitimacy: 0.3,")
        .replace("bloc: west, capability: 3,", "bloc: west, capability: 3, gain: 1.0,")  # the West wants depth
        .replace("bloc: west, capability: 2,", "bloc: west, capability: 2, gain: 1.0,")
        + "decision_rule: {rule: qualified_majority, threshold: 0.6}\n"
        + "model: {kappa0_government: 0.05, kappa1_government: 1.0, perception_noise: 0.0}\n"
    )
    assert text.count("gain: 1.0") == 2 and "legitimacy: 0.3" in text
    k = kernel(scenario(text, tension=0.9))
    k.round = 1
    result = k.table.negotiate((0, 1, 2))
    names = [lv.name for lv in k.ladder]
    assert names[result.agreed[0]] == "binding" and result.signers[0].tolist() == [True, True, False]
    assert result.wider and result.wider[-1][2][0].tolist() == [True, True, True]  # a shallower text all sign
    assert result.wider[-1][0] < result.agreed[0]
    k._record(result)
    deals = k.deals(0)
    assert deals["binding"].signatories == {"us", "eu"}
    assert deals[names[result.wider[-1][0]]].signatories == {"us", "eu", "cn"}
    assert k.is_cross_bloc(deals["declaration"].signatories)


def test_under_consensus_one_text_per_round():
    k = kernel(scenario(THREE, tension=0.5), 2)
    for _ in range(4):
        result = k.table.negotiate((0, 1, 2))
        assert result.wider == []
        assert result.agreed[0] < 0 or result.signers[0].all()
