"""The business track: a standards forum of companies, in arrays over replications.

Each round companies are paired at random. A pair from the same bloc meets; a
cross-bloc pair meets with probability ``openness × (1 − restriction)``. Met pairs
closer than the confidence bound converge (Deffuant), and every company is pulled
towards its home government. The forum's standard is the compromise point of all
companies on the technical issues; a company adopts it when its utility (the
government form, with the companies' small rivalry costs plus a cost for trading
across restrictions) is >= 0. Cost is O(companies × replications) per round.

Arrays are stored company-major, ``(n, R[, K])``: a sum over companies then adds whole
rows one after another, and element-wise work runs over long contiguous rows. Each
replication draws its own pairings from its own generator.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from sim.rules.utility import compromise_point, normalise

if TYPE_CHECKING:
    from sim.scenario import Actor, Scenario


class Layout(NamedTuple):
    """Who the companies are, which does not change with any drawn number.

    ``tech`` indexes the technical issues (all issues if none is marked technical);
    ``sizes`` are the groups' company counts; ``bloc`` and ``home`` give, per company,
    its bloc's index in ``blocs`` and its home government's index among the governments.
    """

    tech: list[int]
    tech_ids: list[str]
    blocs: list[str]
    sizes: list[int]
    bloc: np.ndarray
    home: np.ndarray


def layout(scenario: Scenario, groups: list[Actor]) -> Layout:
    """The forum's :class:`Layout` for the company groups ``groups`` of ``scenario``."""
    tech = [i for i, issue in enumerate(scenario.issues) if issue.technical] or list(range(len(scenario.issues)))
    blocs = list(dict.fromkeys(g.bloc for g in groups))
    gov_ids = [g.id for g in scenario.governments]
    sizes = [g.count for g in groups]
    return Layout(
        tech,
        [scenario.issue_ids[i] for i in tech],
        blocs,
        sizes,
        np.repeat(np.array([blocs.index(g.bloc) for g in groups], dtype=int), sizes),
        np.repeat(np.array([gov_ids.index(g.home) for g in groups], dtype=int), sizes),
    )


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


def _company_major(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.swapaxes(x, 0, 1))


class Forum:
    """The standards forum of ``R`` replications: positions, adoption, the standard, its state."""

    def __init__(self, specs: Sequence[Scenario], plan: Layout, scatter: np.ndarray):
        """Build the companies as :class:`~sim.rules.forum.BusinessForum` does, for each realised scenario.

        ``scatter`` (R, n, K) holds each replication's standard-normal draws of company
        positions around their group's, drawn by the caller in each stream's order.
        """
        self.tech, self.blocs, self.n = plan.tech, plan.blocs, sum(plan.sizes)
        self.bloc, self.home = plan.bloc, plan.home
        self.bloc_size = np.bincount(self.bloc, minlength=len(self.blocs))
        reps, n, k = len(specs), self.n, len(plan.tech)
        self.reps = reps

        def per_company(get: Callable, width: int = 1) -> np.ndarray:
            values = np.array([[get(g) for g in s.companies] for s in specs], dtype=float)
            return np.repeat(values.reshape(reps, len(plan.sizes), width), plan.sizes, axis=1)

        centre = per_company(lambda g: [g.position[i] for i in plan.tech_ids], k)
        spread = per_company(lambda g: g.spread)
        self.positions = _company_major(np.clip(centre + scatter * spread, 0.0, 1.0))
        self.salience = _company_major(normalise(per_company(lambda g: [g.salience[i] for i in plan.tech_ids], k)))
        self.weight = _company_major(per_company(lambda g: g.capability / g.count)[:, :, 0])
        self.legitimacy = _company_major(per_company(lambda g: g.legitimacy)[:, :, 0])
        self.gain = _company_major(per_company(lambda g: g.gain)[:, :, 0])
        # the standard's weights (capability share × salience) never change
        self._standard_w = self.weight[:, :, None] * self.salience
        self._standard_total = self._standard_w.sum(axis=0)
        self._standard_plain = np.all(self._standard_total > 0, axis=1)
        self.standard = self._standard() if n else np.zeros((reps, k))
        self.adopted = np.ones((n, reps), dtype=bool)
        b = [s.business for s in specs]
        self.openness = np.array([x.openness for x in b])
        self.bound = np.array([x.confidence_bound for x in b])
        self.home_pull = np.array([x.home_pull for x in b])[:, None]  # against (n, R, K)
        self.depth = np.array([x.standard_depth for x in b])
        self.restriction_cost = np.array([x.restriction_cost for x in b])
        self.quorum = np.array([x.quorum for x in b])[:, None]
        self.kappa0 = np.array([s.model.kappa0_company for s in specs])
        self.kappa1 = np.array([s.model.kappa1_company for s in specs])
        # per pair of companies met in a round (each replication's scalars, repeated)
        self.pair_convergence = np.repeat([x.convergence for x in b], n // 2)
        self.pair_bound = np.repeat([x.confidence_bound * k for x in b], n // 2)
        # company rows offset by replication, for counting by (replication, bloc) in one bincount
        self.bloc_flat = (self.bloc[:, None] + len(self.blocs) * np.arange(reps)[None, :]).ravel()
        self.shares = np.zeros((reps, len(self.blocs)))
        self.cross_now = np.zeros(reps, dtype=bool)  # a standard holds in every bloc now
        self.within_now = np.zeros(reps, dtype=bool)  # ... in at least one bloc
        self.cross_round = np.zeros(reps, dtype=np.int64)  # first round one held across blocs; 0: never

    def round(
        self,
        rngs: Sequence[np.random.Generator],
        round_no: int,
        restriction: np.ndarray,
        tension: np.ndarray,
        government_positions: np.ndarray,
    ) -> None:
        """Meet, pull home, adopt; ``restriction`` and ``tension`` are (R,), government positions (R, G, K)."""
        if self.n == 0:
            return
        if self.n >= 2:
            self._meet(rngs, restriction)
        target = np.swapaxes(government_positions[:, :, self.tech], 0, 1)[self.home]  # (n, R, K)
        self.positions += self.home_pull * (target - self.positions)
        self._adopt(restriction, tension)
        reached = self.shares >= self.quorum
        self.within_now = reached.any(axis=1)
        self.cross_now = reached.all(axis=1) & (len(self.blocs) >= 2)
        first = (self.cross_round == 0) & self.cross_now
        self.cross_round[first] = round_no

    def focal_bonus(self, perceived: np.ndarray, focal_gain: np.ndarray) -> np.ndarray:
        """Gain a cross-bloc standard adds to governments reading a proposal as ``perceived`` (R, m, K)."""
        on = (self.cross_now & (self.bound > 0))[:, None]
        if not on.any():
            return np.zeros(perceived.shape[:2])
        # the mean over technical issues, as numpy's mean computes it: the sum, then / count
        gap = row_sum(np.abs(np.take(perceived, self.tech, axis=2) - self.standard[:, None, :])) / len(self.tech)
        with np.errstate(divide="ignore", invalid="ignore"):
            bonus = focal_gain * np.maximum(0.0, 1.0 - gap / self.bound[:, None])
        return np.where(on, bonus, 0.0)

    def _meet(self, rngs: Sequence[np.random.Generator], restriction: np.ndarray) -> np.ndarray:
        """Pair companies at random; met, close-enough pairs converge. Returns cross-bloc meetings per replication."""
        reps, n = self.reps, self.n
        h = n // 2
        orders = np.tile(np.arange(n), (reps, 1))
        draws = np.empty((reps, h))
        for rng, order, draw in zip(rngs, orders, draws, strict=True):
            # each replication's own stream; shuffling arange(n) in place is permutation(n)
            # without an allocation per draw
            rng.shuffle(order)
            rng.random(out=draw)
        a, b = orders[:, 0 : n - 1 : 2], orders[:, 1:n:2]
        cross = self.bloc[a] != self.bloc[b]
        p_cross = (self.openness * (1.0 - restriction))[:, None]
        met = (~cross | (draws < p_cross)).ravel()
        flat = self.positions.reshape(n * reps, -1)  # row a * R + r: company a in replication r
        rep = np.arange(reps)[:, None]
        fa, fb = (a * reps + rep).ravel(), (b * reps + rep).ravel()
        pa, pb = np.take(flat, fa, axis=0), np.take(flat, fb, axis=0)
        diff = pb - pa
        close = met & (row_sum(np.abs(diff)) <= self.pair_bound)
        # pairs that do not converge take a zero step (x + 0.0 == x), which spares selecting the others
        step = diff * np.where(close, self.pair_convergence, 0.0)[:, None]
        # write rows back through a one-element-per-row view: np.put is several times faster
        # than assigning rows by fancy index, and moves the same bytes
        rows = as_rows(flat)
        np.put(rows, fa, as_rows(pa + step))
        np.put(rows, fb, as_rows(pb - step))
        return (cross & close.reshape(reps, h)).sum(axis=1)

    def _adopt(self, restriction: np.ndarray, tension: np.ndarray) -> None:
        d = self.depth
        self.standard = standard = self._standard()
        adopted = self.adopted.astype(np.int64)  # (n, R)
        per_bloc = self._count_by_bloc(self.adopted)  # (R, B)
        total = per_bloc.sum(axis=1)
        others = total - adopted
        rivals = total - per_bloc[:, self.bloc].T
        x_share = np.divide(rivals, others, out=np.zeros(others.shape), where=others > 0)
        unit = tension * (self.kappa0 + self.kappa1 * d) + restriction * self.restriction_cost
        rival_cost = x_share * unit
        gap = np.abs(self.positions - standard)
        dist = np.einsum("...j,...j->...", self.salience, gap)
        value = self.legitimacy + d * (self.gain - dist) - rival_cost
        self.adopted = value >= 0.0
        self.shares = self._count_by_bloc(self.adopted) / np.maximum(self.bloc_size, 1)

    def _standard(self) -> np.ndarray:
        """The forum's standard per replication (R, K): capability × salience weighted mean."""
        standard = (self._standard_w * self.positions).sum(axis=0) / np.where(
            self._standard_total > 0, self._standard_total, 1.0
        )
        for r in np.flatnonzero(~self._standard_plain):  # an issue no company weighs: the plain weighted mean
            standard[r] = compromise_point(self.positions[:, r], self.salience[:, r], self.weight[:, r])
        return standard

    def _count_by_bloc(self, adopted: np.ndarray) -> np.ndarray:
        """Adopting companies per (replication, bloc), as integers (R, B)."""
        blocs = len(self.blocs)
        return np.bincount(self.bloc_flat[adopted.ravel()], minlength=self.reps * blocs).reshape(self.reps, blocs)
