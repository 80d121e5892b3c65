"""The rulebook's kernel: replications of one scenario advanced together, round by round.

Every state array carries a leading replication axis ``R`` (any number, one
included; see :mod:`sim.rules.state`), so one numpy call serves a whole chunk of
replications: this is the only place a round is computed. The Mesa model
(:mod:`sim.model`) is a view over a kernel with ``R = 1``; runs, sweeps and sensitivity
analyses drive kernels directly.

A round: apply the scenario's events for the round, let the protocol's tables
negotiate (government track, :mod:`sim.rules.table`), run the business forum
(:mod:`sim.rules.forum`), couple the two tracks (a cross-bloc industry standard is a
focal point for governments; a government text at or above ``relief_level`` eases
business restrictions). Who meets whom comes from :func:`sim.rules.protocols.table_plan`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.rules.log import EventLog
from sim.rules.state import Deal, MixedStructureError, Player, RunState, structure
from sim.rules.table import Table, TableResult
from sim.scenario import Scenario

__all__ = ["Deal", "MixedStructureError", "Negotiation", "Player", "structure"]


class Negotiation(RunState):
    """``R`` replications of one scenario (realised: no distributions left), stepped together."""

    def __init__(
        self,
        specs: Sequence[Scenario],
        rngs: Sequence[np.random.Generator],
        *,
        log: bool = False,
        mesa_seeded: bool = False,
    ):
        """Set the replications up (:class:`~sim.rules.state.RunState`); ``log`` keeps the event log.

        The log holds offers, votes with their utility terms and reasons, events, and
        the forum's standard (:mod:`sim.rules.log`).
        """
        super().__init__(specs, rngs, mesa_seeded=mesa_seeded)
        self.table = Table(self)
        self.log = EventLog(self) if log else None

    # -- one round ------------------------------------------------------------------------
    def step(self) -> None:
        """One round of both tracks, for every replication."""
        self.round += 1
        for round_no, label, dt, dr in self.events:
            if round_no == self.round:
                self.apply_event(label, dt, dr)
        if self.coalition is not None and self.round == self.coalition[1]:
            self._coalition_position()
        for members in self.tables(self.round):
            result = self.table.negotiate(members)
            self.last_proposal = result.x
            self._record(result)
        self.tabled = None
        was_cross = self.forum.cross_now.copy()
        self.forum.round(self.rngs, self.round, self.restriction, self.tension, self.pos)
        if self.log is not None:
            self.log.standard(was_cross)

    def apply_event(
        self, label: str, tension_change: float | np.ndarray, restriction_change: float | np.ndarray
    ) -> None:
        """An event: tension moves (clipped to [0, 1]), restrictions shift; it acts from the next table on."""
        self.tension = np.minimum(np.maximum(self.tension + tension_change, 0.0), 1.0)
        self.shift = self.shift + restriction_change
        if self.log is not None:
            self.log.event(label)

    def _coalition_position(self) -> None:
        """west_first: the bloc meets the rest holding its best deal (where it has one)."""
        has = np.isfinite(self.best_key[:, 0])
        for i, b in enumerate(self.gov_bloc):
            if b == self.coalition[0]:
                self.pos[has, i] = self.best_content[has]

    def _record(self, result: TableResult) -> None:
        """What a table round leaves behind: blockers of refused rungs, deals, relief, west_first's best."""
        if self.log is not None:
            self.log.offers(result)
        # blockers of a refused rung replace its record
        self.blocker_code[result.failed] = result.codes[result.failed]
        self.blocker_set |= result.failed
        agreed = result.agreed
        has = agreed >= 0
        if not has.any():
            return
        idx = np.array(result.idx)
        n_gov = len(self.gov_ids)
        full = np.zeros((self.reps, n_gov), dtype=bool)
        full[:, idx] = result.signers
        depth = self.depth_array
        agreed_depth = np.where(has, depth[np.maximum(agreed, 0)], -np.inf)
        self._texts(has, agreed_depth, full, result.x)
        for level, mask, sign in result.wider:
            wide = np.zeros((self.reps, n_gov), dtype=bool)
            wide[:, idx] = sign
            self._texts(mask, np.full(self.reps, depth[level]), wide, result.x)
        if self.coalition is not None:
            bloc = np.array([b == self.coalition[0] for b in self.gov_bloc])
            within = has & ~(full & ~bloc[None, :]).any(axis=1)
            key_better = (agreed_depth > self.best_key[:, 0]) | (
                (agreed_depth == self.best_key[:, 0]) & (self.round > self.best_key[:, 1])
            )
            better = within & key_better
            self.best_key[better] = np.stack([agreed_depth, np.full(self.reps, float(self.round))], axis=1)[better]
            self.best_content[better] = result.x[better]

    def _texts(self, mask: np.ndarray, depth: np.ndarray, signers: np.ndarray, x: np.ndarray) -> None:
        """Record a text agreed in ``mask`` replications: it commits its signers to every shallower rung."""
        rows = mask[:, None] & (self.depth_array[None, :] <= depth[:, None])  # (R, L): rungs it covers
        new = rows & (self.deal_round == 0)
        self.deal_round[new] = self.round
        self.deal_content = np.where(new[:, :, None], x[:, None, :], self.deal_content)
        self.deal_signers |= rows[:, :, None] & signers[:, None, :]
        if self.relief_depth is not None:
            cross = ((signers @ self.gov_in_bloc) > 0).sum(axis=1) >= 2
            ease = mask & (self.relief == 0.0) & (depth >= self.relief_depth) & cross
            self.relief = np.where(ease, self.relief_amount, self.relief)
