"""Mesa agents: views over one replication of the rulebook's kernel.

A :class:`Government` reads and writes its row of the kernel's arrays (position,
salience, capability, …) and may hand its votes to a player; the rules that use those
numbers live in :mod:`sim.rules`. A :class:`CompanyGroup` is the Mesa face of a slice
of the business forum's arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.rules.utility import Appraisal, distance, terms

if TYPE_CHECKING:
    from sim.rules.kernel import Negotiation, Player
    from sim.scenario import Actor


class Government(mesa.Agent):
    """A government at the table: row ``index`` of the kernel's government arrays (replication 0)."""

    def __init__(self, model: mesa.Model, kernel: Negotiation, index: int, spec: Actor):
        """View government ``index`` of ``kernel``; ``spec`` gives its name."""
        super().__init__(model)
        self.kernel, self.index = kernel, index
        self.actor_id = spec.id
        self.name = spec.name
        self.bloc = spec.bloc

    @property
    def position(self) -> np.ndarray:
        """Stated position per issue, on [0, 1] (a copy: assign to change it)."""
        return self.kernel.pos[0, self.index].copy()

    @position.setter
    def position(self, value: np.ndarray) -> None:
        self.kernel.pos[0, self.index] = np.clip(np.asarray(value, dtype=float), 0.0, 1.0)

    @property
    def ideal(self) -> np.ndarray:
        """Position at the start of the run."""
        return self.kernel.ideal[0, self.index]

    @property
    def salience(self) -> np.ndarray:
        """Salience per issue, normalised to sum to 1."""
        return self.kernel.sal[0, self.index]

    @property
    def misreading(self) -> np.ndarray:
        """How this government misreads any proposal, per issue (0: reads exactly)."""
        return self.kernel.mis[0, self.index]

    @property
    def capability(self) -> float:
        """Bargaining weight (relative)."""
        return float(self.kernel.cap[0, self.index])

    @property
    def flexibility(self) -> float:
        """Share of the gap to a trusted proposal conceded in a round, on [0, 1]."""
        return float(self.kernel.flex[0, self.index])

    @property
    def legitimacy(self) -> float:
        """L: value of signing anything at all."""
        return float(self.kernel.leg[0, self.index])

    @property
    def gain(self) -> float:
        """G: value of cooperation per unit of depth."""
        return float(self.kernel.gain[0, self.index])

    @property
    def kappa0(self) -> float:
        """κ0: cost of any deal with rivals, per unit of tension and rival share."""
        return float(self.kernel.k0[0, 0])

    @property
    def kappa1(self) -> float:
        """κ1: extra rival cost per unit of depth."""
        return float(self.kernel.k1[0, 0])

    @property
    def vote(self) -> Player | None:
        """Who takes this government's votes (a student, a script), or ``None`` for its utility."""
        return self.kernel.players.get(self.index)

    @vote.setter
    def vote(self, player: Player | None) -> None:
        if player is None:
            self.kernel.players.pop(self.index, None)
        else:
            self.kernel.players[self.index] = player

    @property
    def ambition(self) -> float:
        """a_i: the depth this government wants now, on [0, 1]."""
        return float(self.kernel.ambition()[0, self.index])

    @property
    def depth_cost(self) -> float:
        """λ_i: cost per unit of depth beyond its ambition."""
        return float(self.kernel.lam[0, self.index])

    def distance_to(self, x: np.ndarray) -> float:
        """D_i(x): salience-weighted distance over the content issues from its position, on [0, 1]."""
        return float(distance(x, self.position, self.kernel.content_sal[0, self.index]))

    def appraise(self, x: np.ndarray, depth: float, rival_share: float, tension: float, gain_bonus: float) -> Appraisal:
        """Terms of this government's utility for content ``x`` read exactly (see :mod:`sim.rules.utility`)."""
        values = terms(
            self.legitimacy,
            self.gain + gain_bonus,
            self.distance_to(x),
            depth,
            rival_share,
            tension,
            self.kappa0,
            self.kappa1,
            self.ambition,
            self.depth_cost,
        )
        return Appraisal(*(float(v) for v in values))


class CompanyGroup(mesa.Agent):
    """A group of companies (e.g. Chinese AI firms) as a slice of the forum's arrays."""

    def __init__(self, model: mesa.Model, kernel: Negotiation, spec: Actor, rows: slice):
        """``rows`` selects this group's companies in the forum arrays."""
        super().__init__(model)
        self.kernel = kernel
        self.actor_id = spec.id
        self.name = spec.name
        self.bloc = spec.bloc
        self.home = spec.home
        self.rows = rows

    @property
    def count(self) -> int:
        """Companies in the group."""
        return self.rows.stop - self.rows.start

    def adoption_share(self) -> float:
        """Share of the group's companies that adopt the forum's current standard, on [0, 1]."""
        return float(self.kernel.forum.adopted[self.rows, 0].mean())

    def mean_position(self) -> np.ndarray:
        """Mean position of the group on the technical issues."""
        return self.kernel.forum.positions[self.rows, 0].mean(axis=0)
