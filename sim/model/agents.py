"""Mesa agents: views over one replication of the rulebook's kernel.

A :class:`Government` reads and writes its row of the kernel's arrays (position,
salience, capability, …) and may hand its votes to a player; the rules that use those
numbers live in :mod:`sim.rules`. A :class:`CompanyGroup` is the Mesa face of a slice
of the business forum's arrays, and may hand its adoption to a player too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.rules.utility import Appraisal, distance, terms

if TYPE_CHECKING:
    from sim.rules.forum import CompanyPlayer
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
    """A group of companies (e.g. Chinese AI firms) as a slice of the forum's arrays (replication 0)."""

    def __init__(self, model: mesa.Model, kernel: Negotiation, index: int, spec: Actor):
        """View company group ``index`` of ``kernel``'s forum (its rows :attr:`rows`); ``spec`` gives its name."""
        super().__init__(model)
        self.kernel, self.index = kernel, index
        self.actor_id = spec.id
        self.name = spec.name
        self.bloc = spec.bloc
        self.home = spec.home
        self.rows = kernel.forum.group_rows[index]

    @property
    def count(self) -> int:
        """Companies in the group."""
        return self.rows.stop - self.rows.start

    def adoption_share(self) -> float:
        """Share of the group's companies that adopt the forum's current standard, on [0, 1]."""
        return float(self.kernel.forum.adopted[self.rows, 0].mean())

    def adopters(self) -> tuple[int, int]:
        """How many of the group's companies adopt (their bloc's standard, the common standard) now."""
        forum = self.kernel.forum
        return int(forum.on_bloc[self.rows, 0].sum()), int(forum.on_common[self.rows, 0].sum())

    def mean_position(self) -> np.ndarray:
        """Mean position of the group on the technical issues."""
        return self.kernel.forum.positions[self.rows, 0].mean(axis=0)

    def standard_terms(self, now: bool = True) -> dict[str, dict[str, float]]:
        """The group's mean terms of its value of each standard: ``{"bloc"|"common": {term: value}}``.

        Terms (see :func:`sim.rules.standards.standard_terms`): ``legitimacy``, ``market``,
        ``content``, ``rivalry`` and ``value`` = legitimacy + market − content − rivalry
        (adopting nothing = 0), plus ``agents``: the share of its companies, on [0, 1],
        whose own value is >= 0. ``now``: for the drafts as they stand, at the current
        tension and restrictions (what the group would weigh if it decided now);
        otherwise the terms of its last decision (all zero before the first round).
        """
        forum = self.kernel.forum
        if now:
            pair = forum.value_terms(self.kernel.restriction, self.kernel.tension)
        elif forum.terms is not None:
            pair = forum.terms
        else:
            pair = ((0.0,) * 4, (0.0,) * 4)
        shape = (forum.n, forum.reps)
        out = {}
        for name, parts in zip(("bloc", "common"), pair, strict=True):
            rows = [np.broadcast_to(p, shape)[self.rows, 0] for p in parts]
            value = rows[0] + rows[1] - rows[2] - rows[3]
            names = ("legitimacy", "market", "content", "rivalry")
            out[name] = {k: float(v.mean()) for k, v in zip(names, rows, strict=True)}
            out[name] |= {"value": float(value.mean()), "agents": float((value >= 0.0).mean())}
        return out

    def adopted_terms(self) -> dict[str, float]:
        """The group's mean terms of what its companies adopted at their last decision, and their sum ``value``.

        Each standard a company adopted adds its terms (standards are valued apart, against
        adopting nothing = 0); a company that adopted nothing adds 0. Terms: ``legitimacy``,
        ``market``, ``content``, ``rivalry`` (see :meth:`standard_terms`).
        """
        forum = self.kernel.forum
        names = ("legitimacy", "market", "content", "rivalry")
        if forum.terms is None:
            return dict.fromkeys((*names, "value"), 0.0)
        shape = (forum.n, forum.reps)
        total = [np.zeros(self.count) for _ in names]
        for on, parts in zip((forum.on_bloc, forum.on_common), forum.terms, strict=True):
            took = on[self.rows, 0]
            for k, p in enumerate(parts):
                total[k] = total[k] + np.where(took, np.broadcast_to(p, shape)[self.rows, 0], 0.0)
        out = {name: float(t.mean()) for name, t in zip(names, total, strict=True)}
        out["value"] = out["legitimacy"] + out["market"] - out["content"] - out["rivalry"]
        return out

    @property
    def vote(self) -> CompanyPlayer | None:
        """Who takes this group's adoption (a team), or ``None`` for its companies' own values."""
        return self.kernel.forum.players.get(self.index)

    @vote.setter
    def vote(self, player: CompanyPlayer | None) -> None:
        if player is None:
            self.kernel.forum.players.pop(self.index, None)
        else:
            self.kernel.forum.players[self.index] = player
