"""The sampling spread of the history backtest's hit counts (sim.experiments.history_noise)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.experiments.history_noise import DRAWS, count_distribution, hit_chance, noise_of, spread
from sim.experiments.history_record import Case
from sim.experiments.history_scores import Prediction

SE = 0.5 / math.sqrt(DRAWS)  # the largest standard error of a bootstrap share


def pred(patterns: dict[str, float]) -> Prediction:
    return Prediction(patterns, {})


def test_certain_and_impossible_patterns_are_certain_hits_and_misses():
    rng = np.random.default_rng(1)
    assert hit_chance(pred({"none:": 1.0}), "none:", 200, rng) == 1.0
    assert hit_chance(pred({"none:": 1.0}), "declaration:us", 200, rng) == 0.0
    assert hit_chance(pred({"none:": 0.7, "declaration:us": 0.3}), "binding:us", 200, rng) == 0.0


def test_one_replication_makes_the_chance_the_pattern_s_share():
    # with one run the modal pattern is the one drawn: its chance is its predicted share
    rng = np.random.default_rng(2)
    assert hit_chance(pred({"a:": 0.3, "b:": 0.7}), "a:", 1, rng) == pytest.approx(0.3, abs=4 * SE)


def test_a_close_call_is_a_coin_flip_and_more_runs_firm_up_a_clear_lead():
    # G20 2019 at 200 runs: 0.505 against 0.495; a 0.6 lead at 200 runs is nearly always modal
    close = hit_chance(pred({"a:": 0.505, "b:": 0.495}), "a:", 200, np.random.default_rng(3))
    assert 0.45 < close < 0.7
    clear = hit_chance(pred({"a:": 0.6, "b:": 0.4}), "a:", 200, np.random.default_rng(3))
    assert clear > 0.99


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(1, 20), min_size=2, max_size=4),
    st.integers(1, 60),
)
def test_chances_of_all_patterns_add_up_to_one(weights, replications):
    # every redraw has exactly one modal pattern: the chances of all patterns sum to 1 (same draws)
    shares = [w / sum(weights) for w in weights]
    patterns = {f"p{i}:": s for i, s in enumerate(shares)}
    total = sum(hit_chance(pred(patterns), k, replications, np.random.default_rng(7)) for k in patterns)
    assert total == pytest.approx(1.0, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=0, max_size=6))
def test_count_distribution_is_the_brute_force_sum_over_outcomes(chances):
    dist = count_distribution(chances)
    brute = np.zeros(len(chances) + 1)
    for hits in itertools.product((0, 1), repeat=len(chances)):
        brute[sum(hits)] += math.prod(p if h else 1 - p for p, h in zip(chances, hits, strict=True))
    assert dist == pytest.approx(brute, abs=1e-12)
    assert dist.sum() == pytest.approx(1.0)


def test_spread_of_sure_and_coin_flip_hits():
    assert spread([1.0] * 12 + [0.0] * 2) == {"cases": 14, "expected": 12.0, "interval_90": [12, 12]}
    # two coin flips: P(0) = 0.25, P(1) = 0.5, P(2) = 0.25
    assert spread([0.5, 0.5]) == {"cases": 2, "expected": 1.0, "interval_90": [0, 2]}
    # twelve sure hits and two coin flips: 12, 13 or 14
    assert spread([1.0] * 12 + [0.5, 0.5])["interval_90"] == [12, 14]


def test_noise_is_seeded_by_case_id_not_order():
    cases = [
        Case(id=cid, name=cid, date="2024-01-01", level="government", at_table=("us", "china"),
             signed=("us",), declined=("china",), depth="declaration", cross_bloc=False, confidence="high", line=1)
        for cid in ("first", "second")
    ]  # fmt: skip
    close = pred({"declaration:us": 0.51, "declaration:china;us": 0.49})
    a = noise_of(cases, [close, close], 200, seed=5)
    b = noise_of(cases[::-1], [close, close], 200, seed=5)
    assert a["hit_chance"] == b["hit_chance"]
    assert a["hit_chance"]["first"] != a["hit_chance"]["second"]  # each case its own draws
    assert noise_of(cases, [close, close], 200, seed=6)["hit_chance"] != a["hit_chance"]
    assert a["government"]["cases"] == 2 and "business" not in a
