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
    positions = np.asarray(positions, float)
    sal = normalise(np.asarray(salience, float))
    cap = np.asarray(capability, float)
    q = np.asarray(status_quo, float)
    u_q = -distance(q, positions, sal)
    eps = 1e-6

    def objective(xs: np.ndarray) -> np.ndarray:
        """Log Nash product of each candidate row of ``xs`` (M, K)."""
        gaps = np.abs(xs[:, None, :] - positions[None, :, :])  # (M, actors, K)
        surplus = -np.einsum("gk,mgk->mg", sal, gaps) - u_q
        return (cap * np.log(np.maximum(surplus, 0.0) + eps)).sum(axis=1)

    lo, hi = positions.min(axis=0), positions.max(axis=0)
    k = positions.shape[1]
    if k == 1:
        grid = np.linspace(lo[0], hi[0], 1001)[:, None]
        return grid[int(np.argmax(objective(grid)))]
    # Pattern search (numpy only: scipy's import alone costs a third of a second per run).
    # The objective is concave but kinked; moving along every sign pattern of the axes,
    # not only along them, keeps the search from stalling at a kink.
    if k <= 6:
        directions = np.array(np.meshgrid(*[[-1.0, 0.0, 1.0]] * k, indexing="ij")).reshape(k, -1).T
        directions = directions[np.abs(directions).sum(axis=1) > 0]
    else:
        directions = np.vstack([np.eye(k), -np.eye(k)])
    x = np.clip(weighted_mean(positions, sal, cap), lo, hi)
    best = objective(x[None])[0]
    step = float(np.max(hi - lo)) / 4 or 1e-3
    while step > 1e-7:
        tried = np.clip(x + step * directions, lo, hi)
        values = objective(tried)
        i = int(np.argmax(values))
        if values[i] > best + 1e-15:
            x, best = tried[i], values[i]
        else:
            step /= 2
    return x
