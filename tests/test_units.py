"""Unit tests of the decision rules, utilities, proposals, protocols and baselines."""

from __future__ import annotations

import math

import mesa
import numpy as np
import pytest
from conftest import ROOT
from helpers import government, scenario

from sim.model import NegotiationModel
from sim.outputs.stats import estimate, replications_for, wilson
from sim.rules import baselines
from sim.rules.decision import decide
from sim.rules.protocols import make_protocol
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
def table(model):
    us = government(model, "us", "west", (0.3, 0.6), capability=3)
    eu = government(model, "eu", "west", (0.8, 0.7), capability=2)
    cn = government(model, "cn", "east", (0.6, 0.2), capability=3, legitimacy=0.0, gain=0.1)
    return us, eu, cn


def appraiser(x, depth, tension):
    return lambda g, share: g.appraise(np.asarray(x), depth, share, tension, 0.0)


def test_consensus_fails_on_one_rejection_and_names_the_blocker():
    us, eu, cn = table(mesa.Model(rng=1))
    vote = decide(Consensus(rule="consensus"), [us, eu, cn], appraiser([0.5, 0.6], 1.0, 0.9))
    assert not vote.passed and vote.signatories == []
    assert vote.blockers == {"cn": "rivalry"}
    assert vote.appraisals["cn"].value < 0 <= vote.appraisals["us"].value


def test_qualified_majority_lets_the_rest_sign_and_recomputes_rival_share():
    us, eu, cn = table(mesa.Model(rng=1))
    rule = QualifiedMajority(rule="qualified_majority", threshold=0.6)
    vote = decide(rule, [us, eu, cn], appraiser([0.5, 0.6], 1.0, 0.9))
    assert vote.passed and {g.actor_id for g in vote.signatories} == {"us", "eu"}  # 5/8 >= 0.6
    assert vote.appraisals["us"].rivalry == 0.0  # without China no rival cost is left
    vote = decide(
        QualifiedMajority(rule="qualified_majority", threshold=0.7), [us, eu, cn], appraiser([0.5, 0.6], 1.0, 0.9)
    )
    assert not vote.passed and vote.blockers == {"cn": "rivalry"}


def test_required_signatories_must_all_sign():
    us, eu, cn = table(mesa.Model(rng=1))
    vote = decide(
        RequiredSignatories(rule="required", signatories=["us", "cn"]), [us, eu, cn], appraiser([0.5, 0.6], 1.0, 0.9)
    )
    assert not vote.passed and set(vote.blockers) == {"cn"}
    vote = decide(
        RequiredSignatories(rule="required", signatories=["us", "eu"]), [us, eu, cn], appraiser([0.5, 0.6], 1.0, 0.9)
    )
    assert vote.passed and {g.actor_id for g in vote.signatories} == {"us", "eu"}


def test_one_signatory_is_no_agreement():
    us, eu, cn = table(mesa.Model(rng=1))
    vote = decide(
        QualifiedMajority(rule="qualified_majority", threshold=0.3), [us, cn], appraiser([0.3, 0.6], 1.0, 1.0)
    )
    assert not vote.passed


def test_concession_moves_by_flexibility_times_trust_within_confidence_bound():
    us, _, _ = table(mesa.Model(rng=1))
    before = us.position.copy()
    assert us.concede(np.array([0.5, 0.6]), trust=0.5, confidence_bound=0.5)
    assert us.position == pytest.approx(before + 0.5 * 0.5 * (np.array([0.5, 0.6]) - before))
    assert not us.concede(np.array([1.0, 0.0]), trust=1.0, confidence_bound=0.1)


# -- the government table walks the ladder deep -> shallow ------------------------------
def test_depth_search_stops_at_the_deepest_level_the_rule_accepts(small_text):
    s = scenario(small_text, tension=0.6)
    model = NegotiationModel(s, rng=3)
    result = model.table.negotiate(model.governments, 1)
    levels = [o.level for o in result.offers]
    ladder = [lv.name for lv in reversed(s.ladder)]
    assert levels == ladder[: len(levels)]
    assert all(not o.vote.passed for o in result.offers[:-1])
    if result.level is not None:
        assert result.offers[-1].vote.passed and result.level.name == levels[-1]


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


@pytest.mark.parametrize(
    ("protocol", "expected"),
    [
        ("simultaneous", [["us", "eu", "cn"]] * 6),
        ("west_first", [["us", "eu"]] * 3 + [["us", "eu", "cn"]] * 3),
        ("bilateral_first", [["us", "cn"]] * 3 + [["us", "eu", "cn"]] * 3),
    ],
)
def test_protocol_tables_by_round(protocol, expected):
    model = NegotiationModel(scenario(THREE, protocol=protocol), rng=1)
    seen = [[g.actor_id for g in t[0]] for t in (model.protocol.tables(r) for r in range(1, 7))]
    assert seen == expected


def test_west_first_coalition_holds_its_agreed_position():
    s = scenario(THREE, protocol="west_first", tension=0.9)
    model = NegotiationModel(s, rng=1)
    for _ in range(3):
        model.step()
    deal = model.best_deal_among({"us", "eu"})
    assert deal is not None
    before = [g.position.copy() for g in model.governments]
    tables = model.protocol.tables(4)  # round 4: everyone meets; looking ahead moves nobody
    assert [g.actor_id for g in tables[0]] == ["us", "eu", "cn"]
    assert all(np.array_equal(g.position, p) for g, p in zip(model.governments, before, strict=True))
    model.protocol.start_round(model, 4)  # the West now holds its deal
    assert model.by_id["us"].position == pytest.approx(deal)
    assert model.by_id["eu"].position == pytest.approx(deal)
    assert model.by_id["cn"].position == pytest.approx([0.6, 0.2])


def test_protocol_factory_knows_every_protocol():
    s = scenario(THREE)
    for name in ("simultaneous", "west_first", "bilateral_first"):
        model = NegotiationModel(s.model_copy(update={"protocol": name}), rng=1)
        assert make_protocol(model.spec, model.governments).name == name


# -- business forum ---------------------------------------------------------------------
def test_full_restriction_stops_cross_bloc_meetings(small_text):
    text = small_text.replace("rounds: 4", "rounds: 4\nbusiness: {restriction: 1.0}").replace(
        "    salience: {testing: 1}\nchair: a",
        "    salience: {testing: 1}\n  - {id: eastern, name: E, kind: company, bloc: east, home: b, count: 8,"
        " position: {testing: 0.4}, salience: {testing: 1}}\nchair: a",
    )
    model = NegotiationModel(scenario(text), rng=5)
    assert model.restriction == 1.0
    assert all(model.forum.meet(model.rng, model.restriction) == 0 for _ in range(20))
    open_model = NegotiationModel(
        scenario(text.replace("restriction: 1.0", "restriction: 0.0, openness: 1.0"), tension=0.0), rng=5
    )
    assert sum(open_model.forum.meet(open_model.rng, open_model.restriction) for _ in range(20)) > 0


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
    groups = {g.actor_id: g for g in model.company_groups}
    assert sum(g.count for g in groups.values()) == model.forum.size == 90
    china = groups["china_firms"]
    assert china.adoption_share() == pytest.approx(float(model.forum.adopted[china.rows].mean()))
    west = [g for g in groups.values() if g.bloc == "west"]
    west_share = sum(g.adoption_share() * g.count for g in west) / sum(g.count for g in west)
    assert west_share == pytest.approx(model.business_shares[model.forum.blocs.index("west")])
    assert china.mean_position().shape == (len(model.forum.tech),)
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
    model = NegotiationModel(scenario(text, tension=0.9), rng=1)
    result = model.table.negotiate(model.governments, 1)
    (deep, deep_signers), *wider = result.agreements
    assert deep.name == "binding" and sorted(deep_signers) == ["eu", "us"]  # the West alone: 5/8 of capability
    assert wider and sorted(wider[-1][1]) == ["cn", "eu", "us"]  # and a shallower text everyone signs
    assert wider[-1][0].depth < deep.depth
    model._record(result)
    assert model.deals["binding"].signatories == {"us", "eu"}
    assert model.deals[wider[-1][0].name].signatories == {"us", "eu", "cn"}
    assert model.is_cross_bloc(model.deals["declaration"].signatories)


def test_under_consensus_one_text_per_round():
    model = NegotiationModel(scenario(THREE, tension=0.5), rng=2)
    for _ in range(4):
        result = model.table.negotiate(model.governments, 1)
        assert result.wider == []
        assert result.level is None or sorted(result.signatories) == ["cn", "eu", "us"]
