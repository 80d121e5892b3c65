"""The government track: one round at one table, in every replication at once.

The chair proposes the compromise point of the stated positions at the table
(capability × salience weighted mean, the chair's weight multiplied by
``chair_weight``), or a member's own text where it tabled one. Each member reads the
proposal through its persistent misreading. The table walks the depth ladder from
the deepest level down under the decision rule (:mod:`sim.rules.decision`), stopping
when everyone signs; under qualified majority or required signatories, shallower
texts that more members sign are recorded too. Governments that rejected the level
just above the deepest one agreed concede towards the proposal (bounded confidence).

It reads and moves the kernel's government arrays (:mod:`sim.rules.kernel`); the
kernel records what was agreed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from sim.rules.decision import Appraised, Vote, vote
from sim.rules.utility import CHOICE, CONTENT, RIVALRY, Appraisal, compromise_point, rivalry_decides, terms, trust
from sim.scenario import Consensus, QualifiedMajority

if TYPE_CHECKING:
    from sim.rules.state import RunState


@dataclass
class Seating:
    """Per-table constants (the same governments always sit at a table the same way)."""

    idx: np.ndarray
    weight: np.ndarray  # (R, m) proposal weight: capability, the chair's multiplied up
    rival_share: np.ndarray  # (R, m) rival-bloc share of the others' capability (for trust)
    same_bloc: np.ndarray  # (m, m) whether members i and j share a bloc
    required: np.ndarray | None = None  # (m,) members the 'required' rule names


class Reading(NamedTuple):
    """What members make of this round's proposal, whatever its depth: arrays (R, m), tension (R, 1)."""

    legitimacy: np.ndarray
    gain: np.ndarray
    bonus: np.ndarray  # focal gain of a cross-bloc industry standard near what they read
    distance: np.ndarray  # D_i of what each member reads the proposal as
    tension: np.ndarray


class Offer(NamedTuple):
    """One rung put to the table in the replications still walking (``offered``), and the vote."""

    level: int
    offered: np.ndarray
    vote: Vote


@dataclass
class TableResult:
    """What one table achieved in one round, in every replication."""

    idx: tuple[int, ...]
    x: np.ndarray  # (R, K) proposal
    agreed: np.ndarray  # (R,) ladder index of the deepest text agreed, -1 for none
    signers: np.ndarray  # (R, m) its signatories
    failed: np.ndarray  # (R, L) rungs offered and refused this round
    codes: np.ndarray  # (R, L, G) who blocked each refused rung, and why (reason codes; 0 not)
    wider: list = field(default_factory=list)  # [(level index, (R,) mask, (R, m) signers)]
    offers: list[Offer] = field(default_factory=list)  # kept only when the kernel logs


class Table:
    """Runs a round at a table of governments for a :class:`~sim.rules.state.RunState`."""

    def __init__(self, run: RunState):
        """Keep the run for its arrays, rule, ladder and state (tension, forum, players)."""
        self.run = run
        self._seating: dict[tuple[int, ...], Seating] = {}

    def seating(self, members: tuple[int, ...]) -> Seating:
        """What does not change while the same governments sit at a table (cached per table)."""
        run = self.run
        found = self._seating.get(members)
        if found is None:
            idx = np.array(members)
            cap = run.cap[:, idx]
            chair = np.array([run.gov_ids[i] == run.spec.chair for i in members])
            weight = np.where(chair[None, :], cap * run.chair_factor[:, None], cap)
            rivals = []
            for i in members:
                acc = np.zeros(run.reps)
                for o in members:
                    if run.gov_bloc[o] != run.gov_bloc[i]:
                        acc = acc + run.cap[:, o]
                rivals.append(acc)
            rivals = np.array(rivals).T
            others = cap.sum(axis=1)[:, None] - cap
            blocs = [run.gov_bloc[i] for i in members]
            required = None
            if not isinstance(run.rule, Consensus | QualifiedMajority):
                required = np.array([run.gov_ids[i] in run.rule.signatories for i in members])
            found = Seating(
                idx,
                weight,
                np.divide(rivals, others, out=np.zeros_like(others), where=others > 0),
                np.array([[a == b for b in blocs] for a in blocs]),
                required,
            )
            self._seating[members] = found
        return found

    def proposal(self, members: tuple[int, ...]) -> np.ndarray:
        """Compromise point of the members' stated positions, chair weighted up: (R, K)."""
        run = self.run
        t = self.seating(members)
        positions = run.pos[:, t.idx]
        sal = run.sal[:, t.idx]
        w = t.weight[:, :, None] * sal
        total = w.sum(axis=1)
        x = (w * positions).sum(axis=1) / np.where(total > 0, total, 1.0)
        for r in np.flatnonzero(~np.all(total > 0, axis=1)):  # an issue nobody at the table cares about
            x[r] = compromise_point(positions[r], sal[r], t.weight[r])
        return x

    def negotiate(self, members: tuple[int, ...]) -> TableResult:
        """Propose, walk the ladder deep → shallow, then let the frontier's rejecters concede."""
        run = self.run
        t = self.seating(members)
        reps, m = run.reps, len(members)
        positions = run.pos[:, t.idx]
        x = self.proposal(members)
        if run.tabled is not None and run.tabled[0] in members:
            x[:] = run.tabled[1]  # a member tabled its own text this round
        perceived = np.clip(x[:, None, :] + run.mis[:, t.idx], 0.0, 1.0)
        dist = np.einsum("...j,...j->...", run.sal[:, t.idx], np.abs(perceived - positions))
        reading = Reading(
            run.leg[:, t.idx],
            run.gain[:, t.idx],
            run.forum.focal_bonus(perceived, run.focal_gain),
            dist,
            run.tension[:, None],
        )
        levels = len(run.ladder)
        result = TableResult(
            members,
            x,
            np.full(reps, -1),
            np.zeros((reps, m), dtype=bool),
            np.zeros((reps, levels), dtype=bool),
            np.zeros((reps, levels, len(run.gov_ids)), np.int8),
        )
        agreed, signers = result.agreed, result.signers
        walking = np.ones(reps, dtype=bool)
        best_count = np.zeros(reps, dtype=np.int64)
        frontier_reject = np.zeros((reps, m), dtype=bool)  # rejecters of the offer just above the deepest agreed
        last_reject = np.zeros((reps, m), dtype=bool)
        for level in range(levels - 1, -1, -1):
            v = vote(
                run.rule,
                lambda cross, level=level: self._appraise(t, reading, level, cross),
                t.same_bloc,
                run.cap[:, t.idx],
                t.required,
                run.threshold,
            )
            offered = walking.copy()
            if run.log is not None:
                result.offers.append(Offer(level, offered, v))
            result.failed[:, level] = offered & ~v.passed
            result.codes[:, level, t.idx] = np.where(v.blockers, v.reason, 0)
            first = offered & v.passed & (agreed < 0)
            frontier_reject[first] = last_reject[first]
            agreed[first] = level
            signers[first] = v.signers[first]
            count = v.signers.sum(axis=1)
            prev = np.where(first, count, best_count)
            more = offered & v.passed & ~first & (count > best_count)
            if more.any():
                result.wider.append((level, more, v.signers.copy()))  # a shallower text more of the table signs
            best_count = np.where(more, count, prev)
            last_reject = np.where(offered[:, None], ~v.accepts, last_reject)
            walking &= ~(v.passed & (count == m))  # everyone signs: no broader text to look for
            if not walking.any():
                break
        none = agreed < 0
        frontier_reject[none] = last_reject[none]
        frontier_reject[agreed == levels - 1] = False  # the deepest passed: nothing to concede
        self._concede(t, frontier_reject, x)
        return result

    def _appraise(self, t: Seating, r: Reading, level: int, cross: np.ndarray) -> Appraised:
        """Whether each member signs the rung ``level`` given X_i = ``cross``, and why not."""
        run = self.run
        d = run.depth[level]
        legitimacy, cooperation, content, rivalry = terms(
            r.legitimacy, r.gain + r.bonus, r.distance, d, cross, r.tension, run.k0, run.k1
        )
        value = legitimacy + cooperation - content - rivalry
        accepts = value >= 0.0
        reason = np.where(rivalry_decides(cooperation, content, rivalry), RIVALRY, CONTENT).astype(np.int8)
        cooperation, content, rivalry = (np.broadcast_to(a, accepts.shape) for a in (cooperation, content, rivalry))
        for j, i in enumerate(t.idx):
            player = run.players.get(int(i))
            if player is not None:  # a player (student, script) takes this government's vote
                said = Appraisal(*(float(a[0, j]) for a in (legitimacy, cooperation, content, rivalry)))
                choice = bool(player(run.ladder[level].name, said))
                accepts = accepts.copy()
                accepts[0, j] = choice
                reason = reason.copy()
                reason[0, j] = 0 if choice else CHOICE
        return Appraised(accepts, reason, (legitimacy, cooperation, content, rivalry))

    def _concede(self, t: Seating, rejecters: np.ndarray, x: np.ndarray) -> None:
        """Rejecters of the frontier offer move towards the proposal by flexibility × trust, within the bound."""
        run = self.run
        if not rejecters.any():
            return
        trusted = trust(t.rival_share, run.tension[:, None], run.trust_cross)
        for j, i in enumerate(t.idx):
            who = rejecters[:, j]
            if not who.any():
                continue
            position, sal = run.pos[:, i], run.sal[:, i]
            dist = np.einsum("...j,...j->...", sal, np.abs(x - position))
            step = run.flex[:, i] * trusted[:, j]
            move = who & (dist <= run.gov_bound[:, 0]) & (step > 0)
            moved = np.clip(position + step[:, None] * (x - position), 0.0, 1.0)
            run.pos[move, i] = moved[move]
