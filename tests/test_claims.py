"""The article's claims must emerge from the mechanics and the scenario's inputs.

Each test runs >= 200 seeded replications of the shipped scenarios; the only thing
a test changes is what the claim is about (tension, protocol). Nothing here writes
an outcome in: if the model stopped producing a claim, the test would fail.
"""

from __future__ import annotations

import math

import pytest
from conftest import ROOT

from sim.experiments.runner import run_replications
from sim.outputs.stats import wilson
from sim.scenario import load_scenario

N = 200
TENSIONS = [round(0.1 * i, 1) for i in range(11)]


def share(rows, test) -> tuple[float, float, float]:
    return wilson(sum(1 for r in rows if test(r)), len(rows))


def signed_by(row, level, *actors) -> bool:
    return set(actors) <= set(row[f"{level}_signatories"].split(";"))


def run(scenario, **update) -> list[dict]:
    s = scenario.model_copy(update=update)
    return [r.outcome for r in run_replications(s, replications=N, log_events=False)]


@pytest.fixture(scope="module")
def bletchley():
    return load_scenario(ROOT / "scenarios" / "bletchley.yaml")


@pytest.fixture(scope="module")
def by_tension(bletchley):
    return {t: run(bletchley, tension=t) for t in TENSIONS}


def substantive(row, scenario) -> bool:
    return row["gov_cross_depth"] >= scenario.substantive_level.depth


def test_a_shallow_declaration_with_us_and_china_likely_binding_with_china_unlikely(bletchley):
    rows = run(bletchley)  # the scenario as written: tension drawn from its range
    p, low, _ = share(rows, lambda r: signed_by(r, "declaration", "us", "china"))
    assert low >= 0.5, p
    p, _, high = share(rows, lambda r: signed_by(r, "binding", "china"))
    assert high <= 0.2, p


def test_b_business_beats_substantive_government_agreement_at_every_tension(bletchley, by_tension):
    for tension, rows in by_tension.items():
        business = share(rows, lambda r: r["business_level"] == "cross_bloc")
        government = share(rows, lambda r: substantive(r, bletchley))
        assert business[0] > government[0], (tension, business, government)
    # and clearly so where the article places the world (tension >= 0.5)
    for tension in (0.5, 0.7, 0.8, 1.0):
        rows = by_tension[tension]
        business = share(rows, lambda r: r["business_level"] == "cross_bloc")
        government = share(rows, lambda r: substantive(r, bletchley))
        assert business[1] > government[2], (tension, business, government)


@pytest.mark.parametrize(
    "measure",
    [
        pytest.param(lambda r, s: substantive(r, s), id="substantive-cross-bloc"),
        pytest.param(lambda r, s: r["voluntary_commitments_cross_bloc"], id="voluntary-cross-bloc"),
        pytest.param(lambda r, s: signed_by(r, "declaration", "us", "china"), id="declaration-us-china"),
    ],
)
def test_c_government_agreement_falls_as_tension_rises(bletchley, by_tension, measure):
    ps = [share(by_tension[t], lambda r: measure(r, bletchley))[0] for t in TENSIONS]
    for a, b in zip(ps, ps[1:], strict=False):
        # never rises by more than sampling error allows (two standard errors of a difference)
        se = math.sqrt(max(a * (1 - a), 0.01) * 2 / N)
        assert b <= a + 2 * se, ps
    assert ps[0] - ps[-1] >= 0.25, ps


def test_d_west_first_makes_western_agreement_more_likely(bletchley):
    depth = bletchley.substantive_level.depth
    simultaneous = run(bletchley, protocol="simultaneous")
    west_first = run(bletchley, protocol="west_first")
    p_sim = share(simultaneous, lambda r: r["bloc_west_depth"] >= depth)
    p_west = share(west_first, lambda r: r["bloc_west_depth"] >= depth)
    assert p_west[1] > p_sim[2], (p_west, p_sim)
