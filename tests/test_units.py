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
from sim.rules.protocols import summit_plan, table_plan
from sim.rules.utility import appraise, compromise_point, distance, normalise, rival_shares, trust
from sim.scenario import Consensus, OpenSignature, QualifiedMajority, RequiredSignatories, load_scenario
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
        rival_share=0.5,
        kappa0=0.1,
        kappa1=0.3,
        ambition=0.25,
        depth_cost=2.0,
    )
    # V = L + d(G - D) - λ max(0, d - a) - τ R (κ0 + κ1 d) = 0.2 + 0.5(0.4 - 0.2) - 2(0.25) - 0.8·0.5·(0.1 + 0.15)
    assert a.value == pytest.approx(0.2 + 0.5 * 0.2 - 2 * 0.25 - 0.8 * 0.5 * 0.25)
    assert not a.accepts and a.reason == "too_deep"


def test_rejection_reason_names_the_largest_cost():
    common = dict(x=np.array([1.0, 1.0]), position=np.array([0.0, 0.0]), salience=np.array([0.5, 0.5]), legitimacy=0.0)
    far = appraise(depth=1.0, gain=0.2, tension=0.0, rival_share=1.0, kappa0=1, kappa1=1, **common)
    assert far.reason == "content"
    close = dict(common, x=np.array([0.0, 0.0]))
    rival = appraise(depth=1.0, gain=0.2, tension=1.0, rival_share=1.0, kappa0=1, kappa1=1, **close)
    assert rival.reason == "rivalry"
    assert appraise(depth=1.0, gain=0.2, tension=0.0, rival_share=0.0, kappa0=1, kappa1=1, **close).reason is None
    deep = appraise(
        depth=1.0, gain=0.2, tension=0.0, rival_share=0.0, kappa0=1, kappa1=1, ambition=0.0, depth_cost=1.0, **close
    )
    assert deep.reason == "too_deep"


def test_compromise_point_weights_capability_times_salience():
    positions = np.array([[0.0, 0.0], [1.0, 1.0]])
    salience = np.array([[0.5, 0.5], [0.9, 0.1]])
    x = compromise_point(positions, salience, np.array([1.0, 1.0]))
    assert x == pytest.approx([0.9 / 1.4, 0.1 / 0.6])
    assert compromise_point(positions, salience, np.array([1.0, 0.0])) == pytest.approx([0.0, 0.0])


def test_rival_share_weighs_capability_and_ignores_how_an_actor_is_split():
    same = np.array([[True, True, False], [True, True, False], [False, False, True]])
    r = rival_shares(np.array([[True, True, True]]), np.array([[3.0, 1.0, 4.0]]), same)
    assert r[0] == pytest.approx([4 / 8, 4 / 8, 4 / 8])  # the rival bloc's share of the whole coalition
    # China split into two identical halves: the same shares for everyone, the halves included
    halves = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]], dtype=bool)
    split = rival_shares(np.ones((1, 4), bool), np.array([[3.0, 1.0, 2.0, 2.0]]), halves)
    assert split[0] == pytest.approx([0.5, 0.5, 0.5, 0.5])
    # a member outside the coalition reads the share it would face if it joined
    assert rival_shares(np.array([[True, True, False]]), np.array([[3.0, 1.0, 4.0]]), same)[0].tolist() == [
        0.0,
        0.0,
        0.5,
    ]
    assert trust(0.0, 0.9, 0.5) == 1.0
    assert trust(1.0, 0.0, 0.5) == pytest.approx(0.5)
    assert trust(1.0, 1.0, 0.5) == 0.0


# -- the participation game and the adoption rules, with scripted governments -------------
def table():
    return [
        Gov("us", "west", (0.3, 0.6), capability=3),
        Gov("eu", "west", (0.8, 0.7), capability=2),
        Gov("cn", "east", (0.6, 0.2), capability=3, legitimacy=0.0, gain=0.1),
    ]


OPEN = OpenSignature(rule="open")


def test_open_signature_lets_the_others_sign_and_recomputes_rival_share():
    d = decide(OPEN, table(), [0.5, 0.6], 1.0, 0.9, chair="us")
    assert d.adopted and d.signatories == ["us", "eu"] and d.decliners == {"cn": "rivalry"}
    assert d.rivalry["us"] == 0.0  # without China no rival cost is left
    assert d.value["cn"] < 0 <= d.value["us"]


def test_the_chair_must_sign_and_the_signatories_hold_the_minimum_share():
    assert not decide(OPEN, table(), [0.5, 0.6], 1.0, 0.9, chair="cn").adopted  # China chairs, declines
    assert decide(OpenSignature(rule="open", min_share=0.6), table(), [0.5, 0.6], 1.0, 0.9, chair="us").adopted
    assert not decide(OpenSignature(rule="open", min_share=0.7), table(), [0.5, 0.6], 1.0, 0.9, chair="us").adopted


def test_consensus_fails_on_one_decliner_and_names_it():
    d = decide(Consensus(rule="consensus"), table(), [0.5, 0.6], 1.0, 0.9)
    assert not d.adopted and d.decliners == {"cn": "rivalry"}


def test_qualified_majority_and_required_signatories():
    assert decide(QualifiedMajority(rule="qualified_majority", threshold=0.6), table(), [0.5, 0.6], 1.0, 0.9).adopted
    assert not decide(
        QualifiedMajority(rule="qualified_majority", threshold=0.7), table(), [0.5, 0.6], 1.0, 0.9
    ).adopted
    assert not decide(
        RequiredSignatories(rule="required", signatories=["us", "cn"]), table(), [0.5, 0.6], 1.0, 0.9
    ).adopted
    assert decide(RequiredSignatories(rule="required", signatories=["us", "eu"]), table(), [0.5, 0.6], 1.0, 0.9).adopted


def test_one_signatory_is_no_agreement():
    us, _, cn = table()
    assert not decide(OPEN, [us, cn], [0.3, 0.6], 1.0, 1.0, chair="us").adopted


def test_the_most_negative_leaves_first_so_those_it_deterred_can_stay():
    # the UK minds only the rival cost China brings; once China (the most negative) leaves, the UK stays
    govs = [*table(), Gov("uk", "west", (0.45, 0.6), capability=1, legitimacy=0.02, gain=0.2)]
    # with everyone signing, the UK's V is negative: China holds 3/9 of the coalition's capability
    assert 0.02 + 0.5 * 0.2 - 0.5 * 0.025 - 0.9 * (3 / 9) * (0.2 + 0.5 * 0.5) < 0
    d = decide(OPEN, govs, [0.5, 0.6], 0.5, 0.9, chair="us")
    assert "uk" in d.signatories and "cn" not in d.signatories
    assert d.rivalry["uk"] == 0.0 and d.value["uk"] > 0


def test_a_text_deeper_than_an_actor_wants_is_declined_as_too_deep():
    govs = [Gov("us", "west", (0.5, 0.5), ambition=1.0), Gov("uk", "west", (0.5, 0.5), ambition=0.25)]
    deep = decide(OPEN, govs, [0.5, 0.5], 1.0, 0.0, chair="us", depth_cost=1.0)
    assert deep.decliners == {"uk": "too_deep"} and not deep.adopted
    assert decide(OPEN, govs, [0.5, 0.5], 0.25, 0.0, chair="us", depth_cost=1.0).adopted


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


# -- sessions and summits ----------------------------------------------------------------
def test_every_member_moves_in_a_session_towards_those_it_hears():
    s = scenario(THREE + "model: {confidence_bound: 0.42}\n", tension=0.5)
    k = kernel(s)
    before = k.pos[0].copy()
    k.table.session((0, 1, 2))
    assert all(not np.array_equal(k.pos[0, i], before[i]) for i in range(3))  # not only rejecters
    # the US moves towards the capability × trust weighted mean of those within its bound
    seating = k.table.seating((0, 1, 2))
    sal = k.sal[0, 0]
    heard = [float(np.sum(sal * np.abs(before[0] - before[j]))) <= s.model.confidence_bound for j in range(3)]
    w = np.array(
        [
            s.actors[j].capability * (1.0 if not seating.trust[0, j] else s.model.trust_cross_bloc * 0.5)
            for j in range(3)
        ]
    )
    w = np.where(heard, w, 0.0)
    target = (w[:, None] * before).sum(axis=0) / w.sum()
    assert k.pos[0, 0] == pytest.approx(before[0] + s.actors[0].flexibility * (target - before[0]))


def test_texts_are_signed_only_at_summits():
    s = scenario(THREE, tension=0.2)
    k = kernel(s)
    for _ in range(s.rounds):
        k.step()
    assert (k.deal_round[k.deal_round > 0] == s.rounds).all() and (k.deal_round > 0).any()
    assert summit_plan(s) == ((False,),) * 5 + ((True,),)
    assert summit_plan(scenario(THREE, protocol="west_first"))[2] == (True,)  # the West's own summit


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
    assert wilson(0, 200)[1] == 0.0 and wilson(200, 200)[2] == 1.0  # exactly: horizon.csv once wrote 1.7e-18
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


def test_a_chair_tables_a_broad_text_and_a_deeper_one_for_a_narrower_group():
    text = (
        THREE.replace("bloc: west, capability: 3,", "bloc: west, capability: 3, gain: 1.0,")
        .replace("bloc: west, capability: 2,", "bloc: west, capability: 2, gain: 1.0,")
        .replace("bloc: east, capability: 3,", "bloc: east, capability: 3, legitimacy: 0.3,")
        + "model: {kappa0_government: 0.05, kappa1_government: 2.0, perception_noise: 0.0, chair_depth_weight: 0.2}\n"
    )
    k = kernel(scenario(text, tension=0.9))
    result = k.table.summit((0, 1, 2))
    broad, deep = result.texts
    assert broad.adopted[0] and broad.signers[0].all()  # everyone signs the first text
    assert deep.adopted[0] and deep.signers[0].tolist() == [True, True, False]  # the West alone goes deeper
    assert deep.level[0] > broad.level[0]
    k.round = 6
    k._record(result)
    deals = k.deals(0)
    assert deals[k.ladder[deep.level[0]].name].signatories == {"us", "eu"}
    assert deals["declaration"].signatories == {"us", "eu", "cn"}
