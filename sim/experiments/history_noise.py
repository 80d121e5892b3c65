"""How much of a hit count is sampling: the spread of the modal hits under redrawn replications.

A case's modal pattern comes from a finite number of replications: where two patterns
are close (G20 2019: 0.505 against 0.495 at 200 replications), another master seed can
turn a hit into a miss. This module says how firm each hit is, so that a hit count is not
read more precisely than the runs allow:

* the *hit chance* of a case: the probability that the observed pattern is modal when
  the case's ``R`` replications are drawn again from the predicted pattern shares (a
  parametric bootstrap: ``DRAWS`` multinomial samples of size ``R``, modal ties broken as
  :attr:`~sim.experiments.history_scores.Prediction.modal` breaks them, by sorted key);
* the *spread* of the hit count over a set of cases: the Poisson-binomial distribution of
  the sum of independent hits with those chances, its mean and its central 90% interval.

It measures sampling noise only, for the predictions as they are (and, for
leave-one-out, each fold's chosen grid point as it is): it is not a confidence interval
for how well the model would do on other cases. Every draw comes from a generator seeded
by the master seed and the case id, so the same command gives the same figures.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

import numpy as np

from sim.experiments.history_record import LEVELS, Case
from sim.experiments.history_scores import Prediction

DRAWS = 4000
"""Bootstrap samples per case: the hit chance's standard error is at most 0.008."""


def hit_chance(prediction: Prediction, observed: str, replications: int, rng: np.random.Generator) -> float:
    """P(the observed pattern is modal) over ``DRAWS`` redraws of ``replications`` runs; in [0, 1]."""
    if prediction.patterns.get(observed, 0.0) <= 0.0:
        return 0.0
    keys = sorted(prediction.patterns)
    shares = np.array([prediction.patterns[k] for k in keys], dtype=float)
    counts = rng.multinomial(replications, shares / shares.sum(), size=DRAWS)
    # argmax returns the first maximum: the first key in sorted order, as Prediction.modal does
    return float(np.mean(np.argmax(counts, axis=1) == keys.index(observed)))


def count_distribution(chances: Iterable[float]) -> np.ndarray:
    """P(hits = k) for k = 0 … n: the Poisson-binomial distribution of independent hits."""
    dist = np.array([1.0])
    for p in chances:
        dist = np.append(dist * (1.0 - p), 0.0) + np.append(0.0, dist * p)
    return dist


def spread(chances: list[float]) -> dict:
    """Expected hits and the central 90% interval of the hit count (5th and 95th percentiles)."""
    dist = count_distribution(chances)
    cumulative = np.cumsum(dist)
    low = int(np.searchsorted(cumulative, 0.05 - 1e-12))
    high = int(np.searchsorted(cumulative, 0.95 - 1e-12))
    return {"cases": len(chances), "expected": round(float(sum(chances)), 3), "interval_90": [low, high]}


def case_rng(seed: int, case_id: str) -> np.random.Generator:
    """The bootstrap generator of one case: from the master seed and the case id, not the case's order."""
    return np.random.default_rng([seed, zlib.crc32(case_id.encode())])


def noise_of(cases: list[Case], predictions: list[Prediction], replications: int, seed: int) -> dict:
    """Hit chance per case and the hit count's spread per level and for all cases."""
    chance = {
        c.id: round(hit_chance(p, c.observed, replications, case_rng(seed, c.id)), 4)
        for c, p in zip(cases, predictions, strict=True)
    }
    out = {"draws": DRAWS, "hit_chance": chance, "all": spread(list(chance.values()))}
    for level in LEVELS:
        chosen = [chance[c.id] for c in cases if c.level == level]
        if chosen:
            out[level] = spread(chosen)
    return out
