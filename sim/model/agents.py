"""Mesa agents. They decide; the tracks run the rounds and the model wires them.

A :class:`Government` reads an offer and says whether it signs and why not, and
concedes towards a proposal it trusts. A :class:`CompanyGroup` is the Mesa face of a
slice of the business forum, whose state lives in numpy arrays so that a forum of
100,000 companies costs time proportional to their number.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.rules.utility import Appraisal, distance, normalise

if TYPE_CHECKING:
    from sim.scenario import Actor


class Government(mesa.Agent):
    """A government at the table: position, salience and its utility coefficients."""

    def __init__(self, model: mesa.Model, spec: Actor, issue_ids: list[str], kappa0: float, kappa1: float):
        """Build from a realised (distribution-free) actor spec."""
        super().__init__(model)
        self.actor_id = spec.id
        self.name = spec.name
        self.bloc = spec.bloc
        self.position = np.array([spec.position[k] for k in issue_ids], dtype=float)
        self.ideal = self.position.copy()
        self.salience = normalise(np.array([spec.salience[k] for k in issue_ids], dtype=float))
        self.capability = float(spec.capability)
        self.flexibility = float(spec.flexibility)
        self.legitimacy = float(spec.legitimacy)
        self.gain = float(spec.gain)
        self.kappa0 = kappa0
        self.kappa1 = kappa1
        # A player (a student, a scripted opponent) may take this government's votes:
        # called with (level name, appraisal), returns whether it signs. None: the utility rule.
        self.vote: Callable[[str, Appraisal], bool] | None = None
        # how this government misreads any proposal, per issue (set by the model; 0 = reads exactly)
        self.misreading = np.zeros(len(issue_ids))

    def appraise(self, x: np.ndarray, depth: float, cross_share: float, tension: float, gain_bonus: float) -> Appraisal:
        """Terms of this government's utility for content ``x`` at ``depth`` (see :mod:`sim.rules.utility`)."""
        return self.appraise_at(self.distance_to(x), depth, cross_share, tension, gain_bonus)

    def distance_to(self, x: np.ndarray) -> float:
        """D_i(x): salience-weighted distance from this government's position, on [0, 1]."""
        return float(distance(x, self.position, self.salience))

    def appraise_at(
        self, distance_: float, depth: float, cross_share: float, tension: float, gain_bonus: float
    ) -> Appraisal:
        """Utility terms given D_i(x) already computed (it does not depend on depth or partners)."""
        return Appraisal(
            legitimacy=self.legitimacy,
            cooperation=depth * (self.gain + gain_bonus),
            content=depth * distance_,
            rivalry=cross_share * tension * (self.kappa0 + self.kappa1 * depth),
        )

    def concede(self, proposal: np.ndarray, trust: float, confidence_bound: float) -> bool:
        """Move the position towards ``proposal`` by flexibility × trust, if within the confidence bound.

        Returns whether the position moved. Bounded confidence: a proposal farther
        than ``confidence_bound`` (salience-weighted distance) is dismissed.
        """
        if distance(proposal, self.position, self.salience) > confidence_bound:
            return False
        step = self.flexibility * trust
        if step <= 0:
            return False
        self.position = np.clip(self.position + step * (proposal - self.position), 0.0, 1.0)
        return True


class CompanyGroup(mesa.Agent):
    """A group of companies (e.g. Chinese AI firms) as a slice of the forum's arrays."""

    def __init__(self, model: mesa.Model, spec: Actor, rows: slice):
        """``rows`` selects this group's companies in the forum arrays."""
        super().__init__(model)
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
        return float(self.model.forum.adopted[self.rows].mean())

    def mean_position(self) -> np.ndarray:
        """Mean position of the group on the technical issues."""
        return self.model.forum.positions[self.rows].mean(axis=0)
