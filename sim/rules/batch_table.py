"""The government track of the batched engine: one round at one table, in every replication.

What :class:`~sim.rules.table.GovernmentTable` does for one Mesa model, for ``R``
replications at once (see :mod:`sim.rules.batch`): the chair's compromise proposal, the
walk down the depth ladder under the decision rule (a fixed point under qualified
majority or required signatories), and the concessions of the frontier's rejecters.
It reads and moves the run's government arrays; the run records what was agreed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from sim.rules.utility import compromise_point
from sim.scenario import Consensus, QualifiedMajority

if TYPE_CHECKING:
    from sim.rules.batch import BatchRun

RIVALRY, CONTENT = 1, 2
"""Codes of the reason a government rejects (0: it does not)."""
REASONS = {RIVALRY: "rivalry", CONTENT: "content"}


@dataclass
class _Table:
    """Per-table constants (the same governments always sit at a table the same way)."""

    idx: np.ndarray
    weight: np.ndarray  # (R, m) proposal weight: capability, the chair's multiplied up
    rival_share: np.ndarray  # (R, m) rival-bloc share of the others' capability (for trust)
    same_bloc: np.ndarray  # (m, m) whether members i and j share a bloc
    cross: np.ndarray  # (m,) X_i when every member signs
    required: np.ndarray | None = None  # (m,) members the 'required' rule names


class _Reading(NamedTuple):
    """What members make of this round's proposal, whatever its depth: arrays (R, m), tension (R, 1)."""

    legitimacy: np.ndarray
    gain: np.ndarray
    bonus: np.ndarray  # focal gain of a cross-bloc industry standard near what they read
    distance: np.ndarray  # D_i of what each member reads the proposal as
    tension: np.ndarray


class _Vote(NamedTuple):
    """A text put to a table, per replication: passed (R,), the rest (R, m)."""

    passed: np.ndarray
    signers: np.ndarray
    accepts: np.ndarray
    reason: np.ndarray  # why each rejecter rejects (RIVALRY or CONTENT), as of its last appraisal
    blockers: np.ndarray  # members the rule counts as blocking a failed text


@dataclass
class TableResult:
    """What one table achieved in one round, in every replication."""

    x: np.ndarray  # (R, K) proposal
    agreed: np.ndarray  # (R,) ladder index of the deepest text agreed, -1 for none
    signers: np.ndarray  # (R, m) its signatories
    failed: np.ndarray  # (R, L) rungs offered and refused this round
    codes: np.ndarray  # (R, L, G) who blocked each refused rung, and why (RIVALRY, CONTENT; 0 not)
    wider: list = field(default_factory=list)  # [(level index, (R,) mask, (R, m) signers)]


class TableBatch:
    """Runs a round at a table of governments for a :class:`~sim.rules.batch.BatchRun`."""

    def __init__(self, run: BatchRun):
        """Keep the run for its arrays, rule, ladder and state (tension, forum)."""
        self.run = run
        self._fixed: dict[tuple[int, ...], _Table] = {}

    def fixed(self, members: tuple[int, ...]) -> _Table:
        """What does not change while the same governments sit at a table (cached per table)."""
        run = self.run
        found = self._fixed.get(members)
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
            same = np.array([[a == b for b in blocs] for a in blocs])
            m = len(members)
            cross = np.array([(m - blocs.count(b)) / (m - 1) if m > 1 else 0.0 for b in blocs])
            required = None
            if not isinstance(run.rule, Consensus | QualifiedMajority):
                required = np.array([run.gov_ids[i] in run.rule.signatories for i in members])
            found = _Table(
                idx,
                weight,
                np.divide(rivals, others, out=np.zeros_like(others), where=others > 0),
                same,
                cross,
                required,
            )
            self._fixed[members] = found
        return found

    def proposal(self, t: _Table, positions: np.ndarray) -> np.ndarray:
        """Compromise point of the members' positions (R, m, K), chair weighted up: (R, K)."""
        run = self.run
        sal = run.sal[:, t.idx]
        w = t.weight[:, :, None] * sal
        total = w.sum(axis=1)
        x = (w * positions).sum(axis=1) / np.where(total > 0, total, 1.0)
        bad = ~np.all(total > 0, axis=1)
        for r in np.flatnonzero(bad):  # an issue nobody at the table cares about: the Mesa fallback
            x[r] = compromise_point(positions[r], sal[r], t.weight[r])
        return x

    def negotiate(self, members: tuple[int, ...]) -> TableResult:
        """Propose, walk the ladder deep → shallow, then let the frontier's rejecters concede."""
        run = self.run
        t = self.fixed(members)
        reps, m = run.reps, len(members)
        positions = run.pos[:, t.idx]
        sal = run.sal[:, t.idx]
        x = self.proposal(t, positions)
        perceived = np.clip(x[:, None, :] + run.mis[:, t.idx], 0.0, 1.0)
        gap = np.abs(perceived - positions)
        dist = np.einsum("...j,...j->...", sal, gap)
        reading = _Reading(
            run.leg[:, t.idx],
            run.gain[:, t.idx],
            run.forum.focal_bonus(perceived, run.focal_gain),
            dist,
            run.tension[:, None],
        )
        walking = np.ones(reps, dtype=bool)
        agreed = np.full(reps, -1)
        signers = np.zeros((reps, m), dtype=bool)
        best_count = np.zeros(reps, dtype=np.int64)
        levels = len(run.ladder)
        result = TableResult(
            x,
            agreed,
            signers,
            np.zeros((reps, levels), dtype=bool),
            np.zeros((reps, levels, len(run.gov_ids)), np.int8),
        )
        frontier_reject = np.zeros((reps, m), dtype=bool)  # rejecters of the offer just above the deepest agreed
        last_reject = np.zeros((reps, m), dtype=bool)
        for level in range(len(run.ladder) - 1, -1, -1):
            passed, sign, accepts, reason, blockers = self._vote(t, reading, run.depth[level])
            offered = walking.copy()
            result.failed[:, level] = offered & ~passed
            result.codes[:, level, t.idx] = np.where(blockers, reason, 0)
            first = offered & passed & (agreed < 0)
            frontier_reject[first] = last_reject[first]
            agreed[first] = level
            signers[first] = sign[first]
            count = sign.sum(axis=1)
            prev = np.where(first, count, best_count)
            more = offered & passed & ~first & (count > best_count)
            if more.any():
                result.wider.append((level, more, sign.copy()))
            best_count = np.where(more, count, prev)
            last_reject = np.where(offered[:, None], ~accepts, last_reject)
            walking &= ~(passed & (count == m))
        none = agreed < 0
        frontier_reject[none] = last_reject[none]
        frontier_reject[agreed == len(run.ladder) - 1] = False  # the deepest passed: nothing to concede
        self._concede(t, frontier_reject, x)
        return result

    def _appraise(self, r: _Reading, d: float, cross: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Whether each member signs at depth ``d`` given X_i = ``cross``, and why not (reason codes)."""
        run = self.run
        cooperation = d * (r.gain + r.bonus)
        content = d * r.distance
        rivalry = cross * r.tension * (run.k0 + run.k1 * d)
        value = r.legitimacy + cooperation - content - rivalry  # the Mesa model's order of terms
        reason = np.where(rivalry >= content - cooperation, RIVALRY, CONTENT).astype(np.int8)
        return value >= 0.0, reason

    def _vote(self, t: _Table, reading: _Reading, d: float) -> _Vote:
        """Put the text at depth ``d`` to the table under the decision rule, in every replication."""
        run = self.run
        reps, m = run.reps, len(t.idx)
        if isinstance(run.rule, Consensus):
            accepts, reason = self._appraise(reading, d, t.cross[None, :])
            blockers = ~accepts
            passed = ~blockers.any(axis=1) & (m >= 2)
            return _Vote(passed, accepts & passed[:, None], accepts, reason, blockers)
        # fixed point: drop rejecters and ask the rest again (X_i depends on who signs)
        current = np.ones((reps, m), dtype=bool)
        accepts = np.zeros((reps, m), dtype=bool)
        reason = np.zeros((reps, m), dtype=np.int8)
        for _ in range(m):
            n = current.sum(axis=1)[:, None]
            same = current.astype(np.int64) @ t.same_bloc.T.astype(np.int64)
            with np.errstate(divide="ignore", invalid="ignore"):
                cross = np.where(n > 1, (n - same) / (n - 1), 0.0)
            acc, why = self._appraise(reading, d, cross)
            accepts = np.where(current, acc, accepts)
            reason = np.where(current, why, reason)
            staying = current & acc
            if np.array_equal(staying, current):
                break
            current = staying
        n_sign = current.sum(axis=1)
        refusals = ~current
        if isinstance(run.rule, QualifiedMajority):
            cap = run.cap[:, t.idx]
            total = np.zeros(reps)
            signed = np.zeros(reps)
            for j in range(m):
                total = total + cap[:, j]
                signed = signed + np.where(current[:, j], cap[:, j], 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(total > 0, signed / total, 0.0)
            passed = (share >= run.threshold) & (n_sign >= 2)
            blockers = refusals & ~passed[:, None]
        else:
            missing = refusals & t.required[None, :]
            any_missing = missing.any(axis=1)
            passed = ~any_missing & (n_sign >= 2)
            blockers = np.where(any_missing[:, None], missing, refusals & ~passed[:, None])
        return _Vote(passed, current & passed[:, None], accepts, reason, blockers)

    def _concede(self, t: _Table, rejecters: np.ndarray, x: np.ndarray) -> None:
        """Rejecters of the frontier offer move towards the proposal, as in the Mesa model."""
        run = self.run
        if not rejecters.any():
            return
        trust = (1.0 - t.rival_share) + t.rival_share * run.trust_cross * (1.0 - run.tension[:, None])
        for j, i in enumerate(t.idx):
            who = rejecters[:, j]
            if not who.any():
                continue
            position, sal = run.pos[:, i], run.sal[:, i]
            dist = np.einsum("...j,...j->...", sal, np.abs(x - position))
            step = run.flex[:, i] * trust[:, j]
            move = who & (dist <= run.gov_bound[:, 0]) & (step > 0)
            moved = np.clip(position + step[:, None] * (x - position), 0.0, 1.0)
            run.pos[move, i] = moved[move]
