"""PRIM, the Patient Rule Induction Method (Friedman & Fisher 1999), and the test that a box is no accident.

:mod:`sim.outputs.hinge` uses it on a run's own replications: each replication a point
(its drawn inputs) labelled by whether an outcome happened. *Peeling* removes, from the
box, the share ``alpha`` of its runs at the low or high end of one input, choosing each
time the peel that leaves the densest box, until the box holds ``min_mass`` of the runs;
the box reported from that trajectory separates the outcome best (largest Youden's J);
*pasting* widens it again wherever that separates better; a last step puts each limit at
the best run value. :func:`find_box` searches each input alone and pairs of the strongest
and keeps the simplest box within :data:`SIMPLER` of the best; :func:`held_out` says
whether boxes found on one half of the runs separate the other half (Fisher's exact test).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ALPHA = 0.05
"""Share of a box's runs removed by one peel (and added back by one paste)."""
MIN_MASS = 0.05
"""Peeling stops before a box holds fewer than this share of the runs."""
MAX_P_VALUE = 1e-3
"""A box is a hinge only if the boxes found on each half of the runs separate the other half with a smaller
p-value (Fisher's exact test, :func:`held_out`) ..."""
MIN_DIFFERENCE = 0.2
"""... and the outcome's shares inside and outside differ by at least this much, there and in all runs."""
SIMPLER = 0.05
"""A box on fewer inputs is preferred unless a box on more separates better by more than this (Youden's J)."""
CANDIDATES = 4
"""Inputs (the strongest alone) whose pairs are searched."""
MAX_ROWS = 20_000
"""Runs the box search uses at most (an evenly spaced subset of a larger sweep); the figures use all."""


# -- PRIM ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    """Limits per input (``-inf``/``inf`` where an input is not restricted); a run is inside at the limits too."""

    low: np.ndarray
    high: np.ndarray

    def contains(self, x: np.ndarray) -> np.ndarray:
        """Which rows of ``x`` (runs × inputs) lie inside."""
        return np.all((x >= self.low) & (x <= self.high), axis=1)

    @property
    def restricted(self) -> list[int]:
        """The inputs this box limits."""
        return [j for j in range(len(self.low)) if self.low[j] > -np.inf or self.high[j] < np.inf]


def youden(inside: np.ndarray, y: np.ndarray) -> float:
    """Share of the target runs inside the box minus share of the other runs inside (0: no separation)."""
    hits, others = int(y.sum()), int((~y).sum())
    if hits == 0 or others == 0:
        return 0.0
    return float((inside & y).sum() / hits - (inside & ~y).sum() / others)


def peel(x: np.ndarray, y: np.ndarray, alpha: float = ALPHA, min_mass: float = MIN_MASS) -> list[Box]:
    """PRIM's peeling trajectory: the whole space first, then each box after one more peel."""
    n, d = x.shape
    low, high = np.full(d, -np.inf), np.full(d, np.inf)
    boxes = [Box(low.copy(), high.copy())]
    inside = np.ones(n, dtype=bool)
    while True:
        m = int(inside.sum())
        yb, xb = y[inside], x[inside]
        if m == 0 or yb.all():
            break
        k = max(1, math.ceil(alpha * m))
        best: tuple | None = None
        for j in range(d):
            col = xb[:, j]
            for side in ("low", "high"):
                cut = np.partition(col, k - 1)[k - 1] if side == "low" else np.partition(col, m - k)[m - k]
                keep = col > cut if side == "low" else col < cut
                size = int(keep.sum())
                if size == 0 or size == m or size < min_mass * n:
                    continue
                key = (float(yb[keep].mean()), size, -j, side == "low")
                if best is None or key > best[0]:
                    bound = col[keep].min() if side == "low" else col[keep].max()
                    best = (key, j, side, bound)
        if best is None:
            break
        _, j, side, bound = best
        if side == "low":
            low[j] = bound
        else:
            high[j] = bound
        box = Box(low.copy(), high.copy())
        inside = box.contains(x)
        boxes.append(box)
    return boxes


def paste(x: np.ndarray, y: np.ndarray, box: Box, alpha: float = ALPHA) -> Box:
    """PRIM's pasting: widen ``box`` by ``alpha`` of its runs on one side at a time while that separates better."""
    current = box
    score = youden(current.contains(x), y)
    while True:
        inside = current.contains(x)
        k = max(1, math.ceil(alpha * int(inside.sum())))
        best: tuple[float, Box] | None = None
        for j in current.restricted:
            freed_low, freed_high = current.low.copy(), current.high.copy()
            freed_low[j], freed_high[j] = -np.inf, np.inf
            others = Box(freed_low, freed_high).contains(x)  # inside on every other input
            col = x[others, j]
            for side in ("low", "high"):
                limit = current.low[j] if side == "low" else current.high[j]
                if not np.isfinite(limit):
                    continue
                outside = np.sort(col[col < limit])[::-1] if side == "low" else np.sort(col[col > limit])
                if outside.size == 0:
                    continue
                low, high = current.low.copy(), current.high.copy()
                # with k runs or fewer left on this side, the limit goes
                new = (-np.inf if side == "low" else np.inf) if outside.size <= k else outside[k - 1]
                if side == "low":
                    low[j] = new
                else:
                    high[j] = new
                wider = Box(low, high)
                gain = youden(wider.contains(x), y)
                if gain > score + 1e-12 and (best is None or gain > best[0]):
                    best = (gain, wider)
        if best is None:
            return current
        score, current = best


def refine(x: np.ndarray, y: np.ndarray, box: Box, passes: int = 3, min_mass: float = MIN_MASS) -> Box:
    """Move each limit of ``box`` to the run value that separates ``y`` best, the other limits held.

    Peeling and pasting move a limit by a share ``alpha`` of the box's runs at a time; this
    last step puts it at the best value exactly (or lifts it), so a threshold is not off by
    up to ``alpha`` of the runs. A limit must leave out at least ``min_mass`` of all runs (or
    go): one that trims a run or two is noise. Limits are never added: an input the box
    leaves free stays free.
    """
    current, hits, others = box, max(int(y.sum()), 1), max(int((~y).sum()), 1)
    trim = math.ceil(min_mass * len(y))
    for _ in range(passes):
        moved = False
        for j in current.restricted:
            for side in ("low", "high"):
                if not np.isfinite(current.low[j] if side == "low" else current.high[j]):
                    continue
                low, high = current.low.copy(), current.high.copy()
                if side == "low":
                    low[j] = -np.inf
                else:
                    high[j] = np.inf
                free = Box(low, high).contains(x)  # the limit lifted
                col, goal = x[free, j], y[free]
                order = np.argsort(-col if side == "low" else col, kind="stable")
                col, goal = col[order], goal[order]
                # J when the limit sits at col[i]: the runs up to i (in order) are inside
                score = np.cumsum(goal) / hits - np.cumsum(~goal) / others
                last = np.r_[col[1:] != col[:-1], True]  # only after the last run of a value
                last &= (len(col) - 1 - np.arange(len(col)) >= trim) | (np.arange(len(col)) == len(col) - 1)
                i = int(np.flatnonzero(last)[np.argmax(score[last])])
                new = -np.inf if side == "low" and i == len(col) - 1 else col[i]
                if side == "high" and i == len(col) - 1:
                    new = np.inf
                if side == "low" and new != current.low[j]:
                    low[j], moved = new, True
                elif side == "high" and new != current.high[j]:
                    high[j], moved = new, True
                else:
                    continue
                current = Box(low, high)
        if not moved:
            break
    return current


def prim(x: np.ndarray, y: np.ndarray, alpha: float = ALPHA, min_mass: float = MIN_MASS) -> Box:
    """The box of the peeling trajectory that separates ``y`` best (Youden's J), pasted, its limits refined."""
    boxes = peel(x, y, alpha, min_mass)
    scores = [youden(b.contains(x), y) for b in boxes]
    return refine(x, y, paste(x, y, boxes[int(np.argmax(scores))], alpha))


@dataclass(frozen=True)
class Found:
    """A box over some of the inputs, for the target ``happens`` (or for its complement)."""

    box: Box  # over all inputs
    score: float  # Youden's J
    happens: bool  # True: the box is where the outcome happens; False: where it fails


def _widen(box: Box, dims: Sequence[int], d: int) -> Box:
    low, high = np.full(d, -np.inf), np.full(d, np.inf)
    low[list(dims)], high[list(dims)] = box.low, box.high
    return Box(low, high)


def find_box(x: np.ndarray, y: np.ndarray) -> Found | None:
    """The simplest box over one or two inputs that separates ``y`` (or ``~y``) about as well as any; None if flat.

    PRIM runs on each input alone, then on each pair of the :data:`CANDIDATES` strongest;
    the box for the outcome happening is preferred over the box for it failing unless the
    latter separates better by more than :data:`SIMPLER`.
    """
    n, d = x.shape
    if n > MAX_ROWS:  # an evenly spaced subset: the same every time
        rows = np.linspace(0, n - 1, MAX_ROWS).round().astype(int)
        x, y = x[rows], y[rows]
    varied = [j for j in range(d) if np.ptp(x[:, j]) > 0]
    if not varied or y.all() or not y.any():
        return None
    best: Found | None = None
    for target in (True, False):
        goal = y if target else ~y
        singles = []
        for j in varied:
            box = _widen(prim(x[:, [j]], goal), [j], d)
            singles.append(Found(box, youden(box.contains(x), goal), target))
        singles.sort(key=lambda f: -f.score)
        pairs = []
        strongest = [f.box.restricted[0] for f in singles if f.box.restricted][:CANDIDATES]
        for a, b in itertools.combinations(sorted(strongest), 2):
            box = _widen(prim(x[:, [a, b]], goal), [a, b], d)
            if len(box.restricted) == 2:
                pairs.append(Found(box, youden(box.contains(x), goal), target))
        pairs.sort(key=lambda f: -f.score)
        choice = singles[0]
        if pairs and pairs[0].score > choice.score + SIMPLER:
            choice = pairs[0]
        if not choice.box.restricted:
            continue
        if best is None or choice.score > best.score + SIMPLER:
            best = choice
    return best


def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """Two-sided p-value of Fisher's exact test on the table ``[[a, b], [c, d]]`` (as ``scipy.stats.fisher_exact``).

    The sum of the hypergeometric probabilities of every table with the same margins that
    is no more likely than this one. Written out because importing ``scipy.stats`` takes
    longer than a run of a few hundred replications.
    """
    row, col, n = a + b, a + c, a + b + c + d
    k = np.arange(max(0, col - (c + d)), min(row, col) + 1)
    lg = np.vectorize(math.lgamma, otypes=[float])
    log_p = (
        lg(row + 1) - lg(k + 1) - lg(row - k + 1)
        + lg(n - row + 1) - lg(col - k + 1) - lg(n - row - col + k + 1)
        - (lg(n + 1) - lg(col + 1) - lg(n - col + 1))
    )  # fmt: skip
    observed = log_p[a - k[0]]
    return float(min(1.0, np.exp(log_p[log_p <= observed + 1e-7]).sum()))


def held_out(x: np.ndarray, y: np.ndarray) -> float:
    """How well the box search generalises: the p-value of its boxes on runs they were not found on.

    A box found on the very runs it is tested on separates them by construction: on noise
    the best of the many boxes tried often has a p-value below 10⁻⁶. So the runs are split
    in two halves (alternate runs); the search runs on each half, and each run is placed
    by the box found on the *other* half (where that box says the outcome happens, or not:
    outside a box for its failure). Fisher's exact test on those
    placings gives the p-value; it is 1 where the outcome's shares inside and outside
    differ by less than :data:`MIN_DIFFERENCE`, or a half has no box.
    """
    inside = np.zeros(len(y), dtype=bool)
    halves = (np.arange(len(y)) % 2 == 0, np.arange(len(y)) % 2 == 1)
    for train, test in (halves, halves[::-1]):
        found = find_box(x[train], y[train])
        if found is None:
            return 1.0
        inside[test] = found.box.contains(x[test]) == found.happens  # a box where it fails: outside counts
    n_in, n_out = int(inside.sum()), int((~inside).sum())
    if not n_in or not n_out:
        return 1.0
    a, c = int((inside & y).sum()), int((~inside & y).sum())
    if abs(a / n_in - c / n_out) < MIN_DIFFERENCE:
        return 1.0
    return fisher_exact(a, n_in - a, c, n_out - c)
