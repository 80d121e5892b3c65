"""Sums and views over the forum's company-major arrays ``(n, R[, K])``.

Each keeps one replication's numbers independent of how many replications share
the arrays, so a kernel of many gives the rows of kernels of one.
"""

from __future__ import annotations

import numpy as np


def over_companies(x: np.ndarray) -> np.ndarray:
    """``x.sum(axis=0)`` over the companies of a company-major array, always in company order.

    numpy adds the rows one after another while a row has more than one element, but a
    column of single elements (one replication, one technical issue) is summed
    pairwise: a cumulative sum keeps that case in order, so a replication's numbers do
    not depend on how many replications share the kernel.
    """
    if x.ndim == 0 or x[0].size != 1:
        return x.sum(axis=0)
    return np.cumsum(x, axis=0)[-1] if len(x) else x.sum(axis=0)


def row_sum(x: np.ndarray) -> np.ndarray:
    """``x.sum(axis=-1)``, bit for bit, but faster over a short last axis.

    Below 8 terms numpy adds a row's terms one after another, so adding the columns in
    order gives the same floats; from 8 on it sums pairwise, and we let it.
    """
    if x.shape[-1] >= 8 or x.shape[-1] == 0:
        return x.sum(axis=-1)
    total = x[..., 0].copy()
    for j in range(1, x.shape[-1]):
        total += x[..., j]
    return total


def as_rows(x: np.ndarray) -> np.ndarray:
    """A C-contiguous (N, K) array viewed as N opaque elements of one row each."""
    x = np.ascontiguousarray(x)
    return x.view(np.dtype((np.void, x.dtype.itemsize * x.shape[1]))).ravel()


def company_major(x: np.ndarray) -> np.ndarray:
    """An (R, n, …) array as a contiguous (n, R, …) one: companies first."""
    return np.ascontiguousarray(np.swapaxes(x, 0, 1))


def compromise(positions: np.ndarray, weight: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Weighted mean of company positions (n, R, K) with weights (n, R, K), per (R, K).

    Where no company puts weight on an issue, the issue takes ``fallback`` (R, K).
    """
    total = over_companies(weight)
    mean = over_companies(weight * positions) / np.where(total > 0, total, 1.0)
    return np.where(total > 0, mean, fallback)
