"""The business track: a standards forum of companies, held in numpy arrays.

Each round companies are paired at random. A pair from the same bloc meets; a
cross-bloc pair meets with probability ``openness × (1 − restriction)``. Met pairs
closer than the confidence bound converge (Deffuant), and every company is pulled
towards its home government. The forum's standard is the compromise point of all
companies on the technical issues; a company adopts it when its utility
(same form as a government's, with the companies' small rivalry costs plus a cost
for trading across restrictions) is >= 0. Cost is O(companies) per round.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from sim.rules.utility import compromise_point, normalise, utility_rows

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


class BusinessForum:
    """State of all companies: positions on the technical issues, homes, blocs, adoption."""

    def __init__(self, scenario: Scenario, groups: list[Actor], rng: np.random.Generator):
        """Draw each company of each (realised) group around the group's position with sd ``spread``."""
        self.business = scenario.business
        plan = layout(scenario, groups)
        self.tech, tech_ids, self.blocs, sizes = plan.tech, plan.tech_ids, plan.blocs, plan.sizes
        self.rows = np.cumsum([0, *sizes])
        n = int(self.rows[-1])
        self.size = n
        k = len(tech_ids)

        def per_company(values: list, dtype: type = float) -> np.ndarray:
            return np.repeat(np.array(values, dtype=dtype), sizes, axis=0)

        centre = per_company([[g.position[i] for i in tech_ids] for g in groups]).reshape(n, k)
        spread = per_company([g.spread for g in groups])[:, None]
        self.positions = np.clip(centre + rng.normal(0.0, 1.0, centre.shape) * spread, 0.0, 1.0)
        self.salience = normalise(per_company([[g.salience[i] for i in tech_ids] for g in groups]).reshape(n, k))
        self.weight = per_company([g.capability / g.count for g in groups])
        self.legitimacy = per_company([g.legitimacy for g in groups])
        self.gain = per_company([g.gain for g in groups])
        self.bloc, self.home = plan.bloc, plan.home
        self.bloc_size = np.bincount(self.bloc, minlength=len(self.blocs))
        self.adopted = np.ones(n, dtype=bool)
        # weights of the standard (capability share × salience) never change: precompute
        self._standard_w = self.weight[:, None] * self.salience
        self._standard_total = self._standard_w.sum(axis=0)
        self._standard_plain = bool(np.all(self._standard_total > 0))
        self.standard = compromise_point(self.positions, self.salience, self.weight) if n else np.zeros(len(self.tech))

    def meet(self, rng: np.random.Generator, restriction: float) -> int:
        """Pair companies at random and let met, close-enough pairs converge. Returns cross-bloc meetings."""
        n = self.size
        if n < 2:
            return 0
        order = rng.permutation(n)
        a, b = order[0 : n - 1 : 2], order[1:n:2]
        cross = self.bloc[a] != self.bloc[b]
        p_cross = self.business.openness * (1.0 - restriction)
        met = ~cross | (rng.random(len(a)) < p_cross)
        # mean |gap| <= bound, written as a sum to spare numpy's slower mean
        gap = np.abs(self.positions[a] - self.positions[b]).sum(axis=1)
        close = met & (gap <= self.business.confidence_bound * self.positions.shape[1])
        a, b = a[close], b[close]
        step = self.business.convergence * (self.positions[b] - self.positions[a])
        self.positions[a] += step
        self.positions[b] -= step
        return int((cross & close).sum())

    def pull_home(self, government_positions: np.ndarray) -> None:
        """Move each company towards its home government's position on the technical issues."""
        target = government_positions[:, self.tech][self.home]
        self.positions += self.business.home_pull * (target - self.positions)

    def adopt(self, tension: float, restriction: float, kappa0: float, kappa1: float) -> np.ndarray:
        """Recompute the standard and who adopts it; returns the adoption share per bloc.

        X_i is the share of last round's other adopters from another bloc, so a
        standard adopted across blocs costs rivalry; restrictions add
        ``restriction_cost`` per unit of X_i.
        """
        if self.size == 0:
            return np.zeros(len(self.blocs))
        d = self.business.standard_depth
        if self._standard_plain:
            self.standard = (self._standard_w * self.positions).sum(axis=0) / self._standard_total
        else:
            self.standard = compromise_point(self.positions, self.salience, self.weight)
        per_bloc = np.bincount(self.bloc[self.adopted], minlength=len(self.blocs))
        others = per_bloc.sum() - self.adopted.astype(int)
        rivals = per_bloc.sum() - per_bloc[self.bloc]
        x_share = np.divide(rivals, others, out=np.zeros(self.size), where=others > 0)
        rival_cost = x_share * (tension * (kappa0 + kappa1 * d) + restriction * self.business.restriction_cost)
        value = utility_rows(self.standard, d, self.positions, self.salience, self.legitimacy, self.gain, rival_cost)
        self.adopted = value >= 0.0
        return np.bincount(self.bloc[self.adopted], minlength=len(self.blocs)) / np.maximum(self.bloc_size, 1)
