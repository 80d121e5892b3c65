"""The government track: one round of negotiation at one table.

The chair proposes the compromise point of the stated positions at the table
(capability × salience weighted mean, the chair's weight multiplied by
``chair_weight``) and walks the depth ladder from the deepest level down, stopping
at the first level the decision rule accepts. Governments that rejected the level
just above the one agreed concede towards the proposal (bounded confidence).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.model.agents import Government
from sim.rules.decision import Vote, decide
from sim.rules.utility import Appraisal, compromise_point, distance, trust

if TYPE_CHECKING:
    from sim.model import NegotiationModel
    from sim.scenario import Level


@dataclass
class Offer:
    """One proposal put to one table at one level, and how the table answered."""

    round: int
    table: tuple[str, ...]
    level: str
    depth: float
    content: np.ndarray
    vote: Vote


@dataclass(frozen=True)
class TableConstants:
    """What stays fixed while the same governments sit at a table.

    Member ids, proposal weights (capability, the chair's weighted up), salience rows,
    and each member's rival-bloc share of the others' capability (for trust).
    """

    table: tuple[str, ...]
    weight: np.ndarray
    salience: np.ndarray
    rival_share: np.ndarray


@dataclass
class TableRound:
    """What one table achieved in one round.

    ``level`` and ``signatories`` are the deepest text agreed; ``wider`` holds shallower
    texts of the same round that more members signed (never under consensus).
    """

    table: tuple[str, ...]
    content: np.ndarray
    level: Level | None
    signatories: list[str]
    offers: list[Offer] = field(default_factory=list)
    wider: list[tuple[Level, list[str]]] = field(default_factory=list)

    @property
    def agreements(self) -> list[tuple[Level, list[str]]]:
        """Every text agreed this round, deepest first, with its signatories."""
        return ([(self.level, self.signatories)] if self.level is not None else []) + self.wider


class GovernmentTable:
    """Runs a round at a table of governments for a :class:`~sim.model.NegotiationModel`."""

    def __init__(self, model: NegotiationModel):
        """Keep the model for its scenario, generator and state (tension, focal point)."""
        self.model = model
        self._constants: dict[tuple[str, ...], TableConstants] = {}

    def _fixed(self, members: Sequence[Government]) -> TableConstants:
        """What does not change while the same governments sit at a table (cached per table)."""
        key = tuple(g.actor_id for g in members)
        found = self._constants.get(key)
        if found is None:
            chair, factor = self.model.spec.chair, self.model.coefficients.chair_weight
            capability = np.array([g.capability for g in members])
            rivals = np.array([sum(o.capability for o in members if o.bloc != g.bloc) for g in members])
            others = capability.sum() - capability
            found = TableConstants(
                key,
                np.array([g.capability * (factor if g.actor_id == chair else 1.0) for g in members]),
                np.array([g.salience for g in members]),
                np.divide(rivals, others, out=np.zeros(len(members)), where=others > 0),
            )
            self._constants[key] = found
        return found

    def proposal(self, members: Sequence[Government], positions: np.ndarray | None = None) -> np.ndarray:
        """Compromise point of the members' stated positions, chair weighted up."""
        fixed = self._fixed(members)
        positions = np.array([g.position for g in members]) if positions is None else positions
        return compromise_point(positions, fixed.salience, fixed.weight)

    def negotiate(self, members: Sequence[Government], round_no: int) -> TableRound:
        """Propose, walk the ladder deep → shallow, then let the frontier's rejecters concede."""
        model = self.model
        fixed = self._fixed(members)
        positions = np.array([g.position for g in members])
        salience = fixed.salience
        x = self.proposal(members, positions)
        tabled = model.tabled_proposal
        if tabled is not None and tabled[0] in {g.actor_id for g in members}:
            x = np.asarray(tabled[1], dtype=float)  # a member tabled its own text this round
        # each member reads the proposal through its own persistent misreading (one row per member)
        perceived = np.clip(x + np.array([g.misreading for g in members]), 0.0, 1.0)
        # D_i and the focal bonus depend on what each member reads, not on depth or partners
        distances = distance(perceived, positions, salience)
        bonuses = model.focal_bonuses(np.broadcast_to(perceived, positions.shape))
        reading = {g.actor_id: (float(d), float(b)) for g, d, b in zip(members, distances, bonuses, strict=True)}
        table = fixed.table
        offers: list[Offer] = []
        agreed: Level | None = None
        signatories: list[str] = []
        # Under qualified majority or required signatories, the deepest text may leave some
        # members out; the walk then goes on down the ladder for shallower texts more sign.
        wider: list[tuple[Level, list[str]]] = []
        for level in reversed(model.spec.ladder):

            def appraise(
                g: Government, cross_share: float, depth: float = level.depth, name: str = level.name
            ) -> Appraisal:
                d_i, bonus = reading[g.actor_id]
                appraisal = g.appraise_at(d_i, depth, cross_share, model.tension, bonus)
                return appraisal if g.vote is None else appraisal._replace(choice=bool(g.vote(name, appraisal)))

            vote = decide(model.spec.decision_rule, members, appraise)
            offers.append(Offer(round_no, table, level.name, level.depth, x, vote))
            if not vote.passed:
                continue
            signers = [g.actor_id for g in vote.signatories]
            if agreed is None:
                agreed, signatories = level, signers
            elif len(signers) > len(wider[-1][1] if wider else signatories):
                wider.append((level, signers))  # a shallower text that more of the table signs
            if len(signers) == len(members):
                break  # everyone signs: no broader text to look for
        self._concede(members, offers, x)
        return TableRound(table, x, agreed, signatories, offers, wider)

    def _concede(self, members: Sequence[Government], offers: list[Offer], x: np.ndarray) -> None:
        """Those who rejected the level just above the deepest agreed one move towards the proposal."""
        first = next((i for i, o in enumerate(offers) if o.vote.passed), None)
        if first == 0:
            return  # the deepest level passed: nothing left to concede
        frontier = offers[-1] if first is None else offers[first - 1]
        coef = self.model.coefficients
        for g, share in zip(members, self._fixed(members).rival_share, strict=True):
            appraisal = frontier.vote.appraisals.get(g.actor_id)
            if appraisal is None or appraisal.accepts:
                continue
            g.concede(x, trust(float(share), self.model.tension, coef.trust_cross_bloc), coef.confidence_bound)
