"""Baseline predictions of a bargaining outcome, reported beside every model result.

All take positions and saliences (actors × issues, positions on a common scale) and a
capability per actor:

* ``weighted_mean`` — the capability × salience weighted mean ("compromise model"),
  the benchmark the literature finds very hard to beat;
* ``median`` — the plain median of positions, issue by issue;
* ``weighted_median`` — the capability × salience weighted median;
* ``nash_bargaining`` — the asymmetric Nash bargaining solution: the point that
  maximises Σ c_i log(u_i(x) − u_i(q)) with u_i = −salience-weighted distance and q
  the status quo.
"""

from __future__ import annotations

import numpy as np

from sim.rules.utility import compromise_point, distance, normalise


def weighted_mean(positions: np.ndarray, salience: np.ndarray, capability: np.ndarray) -> np.ndarray:
    """Capability × salience weighted mean per issue."""
    return compromise_point(np.asarray(positions, float), np.asarray(salience, float), np.asarray(capability, float))


def median(positions: np.ndarray) -> np.ndarray:
    """Plain median of the positions per issue."""
    return np.median(np.asarray(positions, float), axis=0)


def weighted_median(positions: np.ndarray, salience: np.ndarray, capability: np.ndarray) -> np.ndarray:
    """Capability × salience weighted median per issue (lower median on ties)."""
    positions = np.asarray(positions, float)
    weight = np.asarray(capability, float)[:, None] * np.asarray(salience, float)
    out = np.empty(positions.shape[1])
    for k in range(positions.shape[1]):
        order = np.argsort(positions[:, k], kind="stable")
        cum = np.cumsum(weight[order, k])
        if cum[-1] <= 0:
            out[k] = np.median(positions[:, k])
            continue
        out[k] = positions[order[np.searchsorted(cum, cum[-1] / 2)], k]
    return out


def nash_bargaining(
    positions: np.ndarray, salience: np.ndarray, capability: np.ndarray, status_quo: np.ndarray
) -> np.ndarray:
    """Asymmetric Nash bargaining solution over the box [min position, max position] per issue.

    Actors that can gain nothing over the status quo get a small floor so the
    product stays defined; the search starts at the weighted mean (deterministic).
    """
    from scipy.optimize import minimize  # scipy is slow to import; only this baseline needs it

    positions = np.asarray(positions, float)
    sal = normalise(np.asarray(salience, float))
    cap = np.asarray(capability, float)
    q = np.asarray(status_quo, float)
    u_q = -distance(q, positions, sal)
    eps = 1e-6

    def objective(x: np.ndarray) -> float:
        surplus = -distance(x, positions, sal) - u_q
        return -float(np.sum(cap * np.log(np.maximum(surplus, 0.0) + eps)))

    lo, hi = positions.min(axis=0), positions.max(axis=0)
    start = np.clip(weighted_mean(positions, sal, cap), lo, hi)
    if positions.shape[1] == 1:
        grid = np.linspace(lo[0], hi[0], 1001)
        return np.array([grid[np.argmin([objective(np.array([g])) for g in grid])]])
    result = minimize(objective, start, method="Powell", bounds=list(zip(lo, hi, strict=True)))
    return np.clip(result.x, lo, hi)
