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

from collections.abc import Mapping, Sequence

import numpy as np

from sim.rules.log import EventLog
from sim.rules.state import Counter, Deal, MixedStructureError, Player, RunState, structure
from sim.rules.table import SummitResult, Table
from sim.scenario import Scenario

SETTLED = 1e-4
"""A session in which no stated position moves by more than this is a stalemate."""

__all__ = ["Counter", "Deal", "MixedStructureError", "Negotiation", "Player", "structure"]


class Negotiation(RunState):
    """``R`` replications of one scenario (realised: no distributions left), stepped together."""

    def __init__(
        self,
        specs: Sequence[Scenario],
        rngs: Sequence[np.random.Generator],
        *,
        log: bool = False,
        drafts: bool = False,
        mesa_seeded: bool = False,
    ):
        """Set the replications up (:class:`~sim.rules.state.RunState`); ``log`` keeps the event log.

        The log holds the texts opened for signature, votes with their utility terms and
        reasons, events, and the forum's standard (:mod:`sim.rules.log`); with ``drafts``
        also the draft the chair floats in each session, and who would sign it (what a
        class or a player watches round by round; a study needs only the summits).
        """
        super().__init__(specs, rngs, mesa_seeded=mesa_seeded)
        self.table = Table(self)
        self.log = EventLog(self) if log else None
        self.drafts = drafts and log

    def take(self, parts: Sequence[tuple[np.ndarray, Mapping[str, float]]], *, companies: bool = True) -> Negotiation:
        """A kernel of some of these replications, each part at its own coefficients (see :meth:`RunState.take`)."""
        out = super().take(parts, companies=companies)
        out.table = Table(out)  # its seating holds arrays per replication
        return out  # type: ignore[return-value]

    # -- one round ------------------------------------------------------------------------
    def step(self) -> None:
        """One round of both tracks, for every replication: sessions move positions, summits sign texts."""
        self.step_government()
        self.step_business()

    def step_government(self) -> None:
        """The government track of the next round: events, then the tables (:meth:`step` then runs the forum)."""
        self.round += 1
        for round_no, label, dt, dr in self.events:
            if round_no == self.round:
                self.apply_event(label, dt, dr)
        if self.coalition is not None and self.round == self.coalition[1]:
            self._coalition_position()
        moved = None
        for members, summit in zip(self.tables(self.round), self.summits(self.round), strict=True):
            if summit:
                result = self.table.summit(members)
                self.last_proposal = result.draft
                self._record(result)
                continue
            if self.drafts:  # the draft the chair floats, for those watching; nothing is signed
                self.log.texts(self.table.summit(members), "draft")
            self.last_proposal = self.table.proposal(members)
            move = self.table.session(members)
            moved = move if moved is None else np.maximum(moved, move)
        if moved is not None:  # stalemate: the first session after which nobody moved
            self.settled_round[(moved < SETTLED) & (self.settled_round == 0)] = self.round
        self.tabled, self.counters = None, []

    def step_business(self) -> None:
        """The business track of this round (after :meth:`step_government`): the forum meets, then the coupling."""
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
        """west_first: the bloc meets the rest holding its best text (where it has one)."""
        has = np.isfinite(self.best_key[:, 0])
        for i, b in enumerate(self.gov_bloc):
            if b == self.coalition[0]:
                self.pos[has, i] = self.best_content[has]

    def _record(self, result: SummitResult) -> None:
        """What a summit leaves behind: who declined each rung's draft and why, the texts signed, relief."""
        if self.log is not None:
            self.log.texts(result, "text")
        self.blocker_code[:] = result.decliners
        self.blocker_set[:] = True
        idx = np.array(result.idx)
        for text in result.texts:
            full = np.zeros((self.reps, len(self.gov_ids)), dtype=bool)
            full[:, idx] = text.signers
            depth = np.where(text.adopted, self.depth_array[text.level], -np.inf)
            x = text.x.copy()
            if self.depth_issue is not None:  # a text's depth is its position on the depth issue
                x[:, self.depth_issue] = np.maximum(depth, 0.0)
            self._texts(text.adopted, depth, full, x)
            if self.coalition is not None:
                bloc = np.array([b == self.coalition[0] for b in self.gov_bloc])
                within = text.adopted & ~(full & ~bloc[None, :]).any(axis=1)
                key_better = (depth > self.best_key[:, 0]) | (
                    (depth == self.best_key[:, 0]) & (self.round > self.best_key[:, 1])
                )
                better = within & key_better
                self.best_key[better] = np.stack([depth, np.full(self.reps, float(self.round))], axis=1)[better]
                self.best_content[better] = x[better]

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
