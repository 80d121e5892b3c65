"""The batched engine: many replications of one scenario advanced together.

A sweep asks for thousands of runs of a small model (a handful of governments, a
forum of tens of companies, a dozen rounds). Run one at a time, nearly all the cost
is Python overhead per array operation. Here every state array carries a leading
replication axis (``R``), so one numpy call serves a whole chunk of replications.

This engine is a second implementation of :class:`~sim.model.NegotiationModel`, not a
different model: replication ``r`` draws from its own generator, in the same order,
and every floating-point operation is the one the Mesa model performs, so each
outcome row is identical to the Mesa model's for the same seed (checked row for row
by ``tests/test_batch.py``). The Mesa model stays the reference and the API (demo,
play, event log, per-round data); this one serves sweeps and sensitivity runs, which
need outcomes only.

This module sets the replications up, runs the rounds and records what was agreed,
as :mod:`sim.model` does; a round at a table is :mod:`sim.rules.batch_table` (as
:mod:`sim.rules.table`), the business forum :mod:`sim.rules.batch_forum` (as :mod:`sim.rules.forum`),
and :mod:`sim.rules.batch_outcomes` hands each replication to the one classification both
engines share. Who meets whom comes from :func:`sim.rules.protocols.table_plan`, as it does
for the Mesa model.

Replications whose realised scenarios differ in *structure* (ladder order, tables,
decision rule) cannot share arrays; :func:`run_batch` then returns ``None`` and the
caller runs them one by one on the Mesa model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import SimpleNamespace

import numpy as np

from sim.rules.batch_forum import ForumBatch
from sim.rules.batch_outcomes import outcome_views
from sim.rules.batch_table import TableBatch, TableResult
from sim.rules.forum import layout
from sim.rules.outcomes import classify
from sim.rules.protocols import make_protocol, table_plan
from sim.rules.utility import normalise
from sim.scenario import QualifiedMajority, Scenario
from sim.scenario.distributions import realize

# Mesa's Model.__init__ draws one stdlib seed from the generator it is given; the
# Mesa model's later draws come after it, so ours must too.
_MESA_SEED_HIGH = np.iinfo(np.int32).max


def structure(scenario: Scenario) -> tuple:
    """Everything that must be equal across replications for them to share arrays."""
    return (
        tuple((lv.name, lv.depth) for lv in scenario.ladder),
        scenario.decision_rule.rule,
        tuple(getattr(scenario.decision_rule, "signatories", ())),
        table_plan(scenario),
    )


class BatchRun:
    """``R`` replications of one scenario, stepped together; outcomes as the Mesa model's."""

    def __init__(self, scenario: Scenario, seeds: Sequence[np.random.SeedSequence]):
        """Realise each replication's scenario and draw its forum and misreadings, in the Mesa model's order."""
        self.rngs = [np.random.default_rng(s) for s in seeds]
        self.specs = [realize(scenario, rng) for rng in self.rngs]
        shapes = {structure(s) for s in self.specs}
        if len(shapes) != 1:
            raise _HeterogeneousError
        first = self.specs[0]
        plan = layout(first, first.companies)
        companies = (sum(plan.sizes), len(plan.tech))
        scatter, misreadings = [], []
        for spec, rng in zip(self.specs, self.rngs, strict=True):
            rng.integers(_MESA_SEED_HIGH)
            scatter.append(rng.normal(0.0, 1.0, companies))  # companies around their group's position
            noise = spec.model.perception_noise
            k = len(spec.issues)
            misreadings.append([rng.normal(0.0, noise, k) if noise > 0 else np.zeros(k) for _ in spec.governments])
        self.spec = first
        self.reps, self.ids = len(self.specs), first.issue_ids
        self.ladder = first.ladder
        self.depth = [lv.depth for lv in self.ladder]
        self.tables = table_plan(first)
        self.rule = first.decision_rule
        if isinstance(self.rule, QualifiedMajority):
            self.threshold = self.per_rep(lambda s: s.decision_rule.threshold)
        self.gov_ids = [a.id for a in first.governments]
        self.gov_bloc = [a.bloc for a in first.governments]
        blocs = list(dict.fromkeys(self.gov_bloc))
        self.gov_in_bloc = np.array([[b == c for c in blocs] for b in self.gov_bloc], dtype=float)  # (G, B)
        self.depth_array = np.array(self.depth)
        self._init_governments(misreadings)
        self.forum = ForumBatch(self.specs, plan, np.array(scatter).reshape(len(self.specs), *companies))
        self._init_state()
        self.protocol = None  # west_first: the bloc that converges first, and when its phase ends
        if first.protocol == "west_first":
            stand_ins = [SimpleNamespace(actor_id=i, bloc=b) for i, b in zip(self.gov_ids, self.gov_bloc, strict=True)]
            self.protocol = make_protocol(first, stand_ins)
        self.table = TableBatch(self)

    # -- set-up -------------------------------------------------------------------------
    def per_rep(self, get: Callable[[Scenario], float]) -> np.ndarray:
        """One realised number per replication, as a float array (R,)."""
        return np.array([float(get(s)) for s in self.specs])

    def _init_governments(self, misreadings: list) -> None:
        """The governments' arrays (R, G[, K]) and coefficients (R, 1), as each Government holds them."""
        ids = self.ids
        self.pos = np.array([[[a.position[k] for k in ids] for a in s.governments] for s in self.specs], dtype=float)
        self.ideal = self.pos.copy()
        # normalised row by row, as each Government normalises its own (same sums, same floats)
        self.sal = normalise(
            np.array([[[a.salience[k] for k in ids] for a in s.governments] for s in self.specs], dtype=float)
        )
        gov = [list(s.governments) for s in self.specs]
        self.cap = np.array([[float(a.capability) for a in g] for g in gov])
        self.flex = np.array([[float(a.flexibility) for a in g] for g in gov])
        self.leg = np.array([[float(a.legitimacy) for a in g] for g in gov])
        self.gain = np.array([[float(a.gain) for a in g] for g in gov])
        self.mis = np.array(misreadings, dtype=float).reshape(self.pos.shape)
        c = [s.model for s in self.specs]
        self.k0 = np.array([x.kappa0_government for x in c])[:, None]
        self.k1 = np.array([x.kappa1_government for x in c])[:, None]
        self.trust_cross = np.array([x.trust_cross_bloc for x in c])[:, None]
        self.gov_bound = np.array([x.confidence_bound for x in c])[:, None]
        self.chair_factor = np.array([x.chair_weight for x in c])
        self.focal_gain = np.array([x.focal_gain for x in c])[:, None]
        self.relief_amount = np.array([x.relief for x in c])
        relief = self.spec.model.relief_level
        self.relief_depth = next((lv.depth for lv in self.ladder if lv.name == relief), None) if relief else None

    def _init_state(self) -> None:
        """What changes over a run: tension, restrictions, deals, blockers, west_first's best deal."""
        reps, levels, n_gov = self.reps, len(self.ladder), len(self.gov_ids)
        self.tension = self.per_rep(lambda s: s.tension)
        self.restriction0 = self.per_rep(lambda s: s.business.restriction)
        self.per_tension = self.per_rep(lambda s: s.business.restriction_per_tension)
        self.shift = np.zeros(reps)
        self.relief = np.zeros(reps)
        self.round = 0
        self.deal_round = np.zeros((reps, levels), dtype=np.int64)  # 0: no deal at this level
        self.deal_signers = np.zeros((reps, levels, n_gov), dtype=bool)
        self.deal_content = np.zeros((reps, levels, len(self.ids)))
        self.blocker_code = np.zeros((reps, levels, n_gov), dtype=np.int8)  # last failed offer's blockers
        self.blocker_set = np.zeros((reps, levels), dtype=bool)
        self.best_key = np.full((reps, 2), -np.inf)  # west_first: (depth, round) of the bloc's best deal
        self.best_content = np.zeros((reps, len(self.ids)))
        self.events = [
            (
                e.round,
                np.array([float(s.events[i].tension_change) for s in self.specs]),
                np.array([float(s.events[i].restriction_change) for s in self.specs]),
            )
            for i, e in enumerate(self.spec.events)
        ]

    @property
    def restriction(self) -> np.ndarray:
        """Restrictions on cross-bloc business contact now (R,), as the Mesa model computes them."""
        value = self.restriction0 + self.per_tension * self.tension + self.shift - self.relief
        return np.minimum(np.maximum(value, 0.0), 1.0)

    # -- one round ------------------------------------------------------------------------
    def run(self) -> list[dict]:
        """Run every round; the outcome row of each replication, in seed order."""
        for _ in range(self.spec.rounds):
            self.step()
        return [classify(view) for view in outcome_views(self)]

    def step(self) -> None:
        """One round of both tracks, for every replication."""
        self.round += 1
        for round_no, dt, dr in self.events:
            if round_no == self.round:
                self.tension = np.minimum(np.maximum(self.tension + dt, 0.0), 1.0)
                self.shift = self.shift + dr
        if self.protocol is not None and self.round == self.protocol.coalition_round:
            self._coalition_position()
        for members in self.tables[self.round - 1]:
            self._record(members, self.table.negotiate(members))
        self.forum.round(self.rngs, self.round, self.restriction, self.tension, self.pos)

    def _coalition_position(self) -> None:
        """west_first: the bloc meets the rest holding its best deal (where it has one)."""
        has = np.isfinite(self.best_key[:, 0])
        members = [i for i, b in enumerate(self.gov_bloc) if b == self.protocol.bloc]
        for i in members:
            self.pos[has, i] = self.best_content[has]

    def _record(self, members: tuple[int, ...], result: TableResult) -> None:
        """What a table round leaves behind: blockers of refused rungs, deals, relief, west_first's best."""
        # blockers of a refused rung replace its record, as in the Mesa model
        self.blocker_code[result.failed] = result.codes[result.failed]
        self.blocker_set |= result.failed
        agreed = result.agreed
        has = agreed >= 0
        if not has.any():
            return
        idx = np.array(members)
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
        if self.protocol is not None:
            bloc = np.array([b == self.protocol.bloc for b in self.gov_bloc])
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


class _HeterogeneousError(Exception):
    """Replications of one chunk differ in structure and cannot share arrays."""


COMPANY_ROWS = 1_000_000
"""Companies × replications held at once: each forum array then takes about 8 MB per
issue, so a batch of a 100,000-company forum stays within a few hundred MB (it is cut
into batches of 10 replications), while small forums batch whole chunks."""


def batch_size(scenario: Scenario) -> int:
    """Replications to advance together for ``scenario`` (at least 1), bounded by :data:`COMPANY_ROWS`."""
    companies = sum(a.count for a in scenario.companies)
    return max(1, COMPANY_ROWS // max(companies, 1))


def run_batch(scenario: Scenario, seeds: Sequence[np.random.SeedSequence]) -> list[dict] | None:
    """Outcome rows of the replications seeded by ``seeds``, or ``None`` if they cannot be batched.

    Replications are independent, so cutting them into batches (for memory) changes no row.
    """
    size = batch_size(scenario)
    rows: list[dict] = []
    for first in range(0, len(seeds), size):
        try:
            engine = BatchRun(scenario, seeds[first : first + size])
        except _HeterogeneousError:
            return None
        rows += engine.run()
    return rows
