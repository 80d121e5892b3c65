"""The state of a kernel: the arrays of ``R`` replications of one scenario, and their draws.

Every state array carries a leading replication axis ``R``. Replication ``r`` draws
only from its own generator, in a fixed order: the scenario's uncertain numbers (drawn
by the caller), one integer that seeds Python's ``random`` for Mesa (``mesa.Model``
draws it; the kernel draws it itself when no Mesa model did, so both give the same
runs), the companies' scatter, each government's misreading, then per round the
forum's pairings. The round itself is :mod:`sim.rules.kernel`.

Replications whose realised scenarios differ in *structure* (ladder order, tables,
decision rule) cannot share arrays: :class:`MixedStructureError` is raised and the
caller groups them (:func:`sim.experiments.runner.outcome_rows`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from sim.rules.forum import Forum
from sim.rules.protocols import coalition, summit_plan, table_plan
from sim.rules.standards import layout
from sim.rules.utility import Appraisal, normalise
from sim.scenario import OpenSignature, QualifiedMajority, Scenario

MESA_SEED_HIGH = np.iinfo(np.int32).max
"""Upper bound of the integer Mesa's Model draws first from a generator it is given."""


class MixedStructureError(ValueError):
    """Replications of one kernel differ in structure and cannot share arrays."""


@dataclass
class Deal:
    """An agreement reached at one rung: first round, signatories (union over rounds), content."""

    level: str
    depth: float
    round: int
    signatories: set[str]
    content: np.ndarray


def structure(scenario: Scenario) -> tuple:
    """Everything that must be equal across replications for them to share arrays."""
    return (
        tuple((lv.name, lv.depth) for lv in scenario.ladder),
        scenario.decision_rule.rule,
        tuple(getattr(scenario.decision_rule, "signatories", ())),
        table_plan(scenario),
    )


Player = Callable[[str, Appraisal], bool]
"""Takes a government's vote: given the rung's name and its appraisal, whether it signs."""


class Counter(NamedTuple):
    """A government's counter-proposal to the next table it sits at (a player's; see :mod:`sim.rules.table`).

    ``x`` (K,): its content, a position on [0, 1] per issue; ``level``: the ladder index
    of the rung it is offered at, or ``None`` for every rung.
    """

    gov: int
    x: np.ndarray
    level: int | None = None


class RunState:
    """The arrays of ``R`` replications of one scenario (realised: no distributions left)."""

    def __init__(
        self,
        specs: Sequence[Scenario],
        rngs: Sequence[np.random.Generator],
        *,
        mesa_seeded: bool = False,
    ):
        """Draw each replication's forum and misreadings from its generator.

        ``mesa_seeded`` says a Mesa model already drew its integer from each generator.
        """
        self.rngs, self.specs = list(rngs), list(specs)
        if len({structure(s) for s in self.specs}) != 1:
            raise MixedStructureError("replications differ in ladder, tables or decision rule")
        first = self.spec = self.specs[0]
        plan = layout(first, first.companies)
        companies = (sum(plan.sizes), len(plan.tech))
        scatter, misreadings = [], []
        for spec, rng in zip(self.specs, self.rngs, strict=True):
            if not mesa_seeded:
                rng.integers(MESA_SEED_HIGH)
            scatter.append(rng.normal(0.0, 1.0, companies))  # companies around their group's position
            # Perception noise is a persistent misreading per government, drawn once: a fresh
            # draw every round would turn repeated rounds into repeated lotteries.
            noise, k = spec.model.perception_noise, len(spec.issues)
            misreadings.append([rng.normal(0.0, noise, k) if noise > 0 else np.zeros(k) for _ in spec.governments])
        self.reps, self.ids = len(self.specs), first.issue_ids
        self.ladder = first.ladder
        self.depth = [lv.depth for lv in self.ladder]
        self.depth_array = np.array(self.depth)
        self.plan = table_plan(first)
        self.summit_flags = summit_plan(first)
        self.rule = first.decision_rule
        self.threshold = None  # the share the signatories must hold (qualified majority, open signature)
        if isinstance(self.rule, QualifiedMajority):
            self.threshold = self.per_rep(lambda s: s.decision_rule.threshold)
        elif isinstance(self.rule, OpenSignature):
            self.threshold = self.per_rep(lambda s: s.decision_rule.min_share)
        self.gov_ids = [a.id for a in first.governments]
        self.gov_bloc = [a.bloc for a in first.governments]
        self.blocs = list(dict.fromkeys(self.gov_bloc))
        self.gov_in_bloc = np.array([[b == c for c in self.blocs] for b in self.gov_bloc], dtype=float)  # (G, B)
        self._init_governments(misreadings)
        self.forum = Forum(self.specs, plan, np.array(scatter).reshape(self.reps, *companies))
        self._init_state()
        self.coalition = coalition(first)  # west_first: (bloc, round it meets the rest), else None
        self.players: dict[int, Player] = {}  # government index -> who takes its votes (R = 1 only)
        self.tabled: tuple[int, np.ndarray] | None = None  # (government index, text) for the next round only
        self.counters: list[Counter] = []  # counter-proposals to the next round's tables only (R = 1 only)
        self.last_proposal: np.ndarray | None = None  # (R, K) of the last table that met
        self.log = None  # the event log, where the kernel keeps one

    # -- set-up -------------------------------------------------------------------------
    def per_rep(self, get: Callable[[Scenario], float]) -> np.ndarray:
        """One realised number per replication, as a float array (R,)."""
        return np.array([float(get(s)) for s in self.specs])

    def _init_governments(self, misreadings: list) -> None:
        """The governments' arrays (R, G[, K]) and coefficients (R, 1)."""
        ids = self.ids
        self.pos = np.array([[[a.position[k] for k in ids] for a in s.governments] for s in self.specs], dtype=float)
        self.pos = self.pos.reshape(self.reps, len(self.gov_ids), len(ids))
        self.ideal = self.pos.copy()
        self.sal = normalise(
            np.array([[[a.salience[k] for k in ids] for a in s.governments] for s in self.specs], dtype=float)
        ).reshape(self.pos.shape)
        gov = [list(s.governments) for s in self.specs]
        self.cap = np.array([[float(a.capability) for a in g] for g in gov]).reshape(self.reps, -1)
        self.flex = np.array([[float(a.flexibility) for a in g] for g in gov]).reshape(self.reps, -1)
        self.leg = np.array([[float(a.legitimacy) for a in g] for g in gov]).reshape(self.reps, -1)
        self.gain = np.array([[float(a.gain) for a in g] for g in gov]).reshape(self.reps, -1)
        self.mis = np.array(misreadings, dtype=float).reshape(self.pos.shape)
        c = [s.model for s in self.specs]
        self.k0 = np.array([x.kappa0_government for x in c])[:, None]
        self.k1 = np.array([x.kappa1_government for x in c])[:, None]
        self.trust_cross = np.array([x.trust_cross_bloc for x in c])[:, None]
        self.gov_bound = np.array([x.confidence_bound for x in c])[:, None]
        self.chair_factor = np.array([x.chair_weight for x in c])
        self.focal_gain = np.array([x.focal_gain for x in c])[:, None]
        self.chair_w = np.array([x.chair_depth_weight for x in c])
        # depth preferences: who wants how deep (a_i), and what depth beyond that costs (λ_i)
        self.depth_issue = self.spec.depth_issue
        self.content_sal = self.sal.copy()
        if self.depth_issue is not None:  # depth is not content: D_i is over the other issues
            self.content_sal[:, :, self.depth_issue] = 0.0
            self.content_sal = normalise(self.content_sal)
        self.fixed_ambition = np.array(
            [[np.nan if a.ambition is None else float(a.ambition) for a in g] for g in gov]
        ).reshape(self.reps, -1)
        self.lam = np.array(
            [
                [x.depth_cost if a.depth_cost is None else float(a.depth_cost) for a in g]
                for g, x in zip(gov, c, strict=True)
            ]
        ).reshape(self.reps, -1)
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
        self.settled_round = np.zeros(reps, dtype=np.int64)  # first session after which nobody moved; 0: never
        self.best_key = np.full((reps, 2), -np.inf)  # west_first: (depth, round) of the bloc's best deal
        self.best_content = np.zeros((reps, len(self.ids)))
        self.events = [
            (
                e.round,
                e.label,
                np.array([float(s.events[i].tension_change) for s in self.specs]),
                np.array([float(s.events[i].restriction_change) for s in self.specs]),
            )
            for i, e in enumerate(self.spec.events)
        ]

    # -- state other parts read ---------------------------------------------------------
    @property
    def restriction(self) -> np.ndarray:
        """Restrictions on cross-bloc business contact now (R,), on [0, 1]."""
        value = self.restriction0 + self.per_tension * self.tension + self.shift - self.relief
        return np.minimum(np.maximum(value, 0.0), 1.0)

    def ambition(self) -> np.ndarray:
        """a_i (R, G): the depth each government wants now (its stated position on the depth issue, which moves)."""
        stated = self.pos[:, :, self.depth_issue] if self.depth_issue is not None else 1.0
        return np.where(np.isnan(self.fixed_ambition), stated, self.fixed_ambition)

    def tables(self, round_no: int) -> tuple[tuple[int, ...], ...]:
        """Who meets whom in ``round_no`` (1-based): tables of government indices."""
        return self.plan[round_no - 1] if 1 <= round_no <= len(self.plan) else (tuple(range(len(self.gov_ids))),)

    def summits(self, round_no: int) -> tuple[bool, ...]:
        """Whether each table of ``round_no`` is a summit (the last round of a run beyond its plan is not)."""
        if 1 <= round_no <= len(self.summit_flags):
            return self.summit_flags[round_no - 1]
        return (False,) * len(self.tables(round_no))

    def deepest(self, cross_bloc: bool) -> np.ndarray:
        """Per replication, the 1-based ladder index of the deepest deal so far (0: none), optionally cross-bloc."""
        has = self.deal_round > 0
        if cross_bloc:
            has &= ((self.deal_signers.astype(float) @ self.gov_in_bloc) > 0).sum(axis=2) >= 2
        index = np.arange(1, len(self.ladder) + 1)
        return np.where(has, index, 0).max(axis=1, initial=0)

    def deals(self, r: int) -> dict[str, Deal]:
        """Replication ``r``'s deals by rung name."""
        out = {}
        for level, lv in enumerate(self.ladder):
            if self.deal_round[r, level]:
                who = {self.gov_ids[g] for g in np.flatnonzero(self.deal_signers[r, level])}
                out[lv.name] = Deal(lv.name, lv.depth, int(self.deal_round[r, level]), who, self.deal_content[r, level])
        return out

    def is_cross_bloc(self, ids: Sequence[str] | set[str]) -> bool:
        """Whether the governments ``ids`` span two or more blocs."""
        bloc = dict(zip(self.gov_ids, self.gov_bloc, strict=True))
        return len({bloc[i] for i in ids}) >= 2

    # -- per-round record ---------------------------------------------------------------------
    def snapshot(self) -> dict[str, np.ndarray]:
        """The state after this round, per replication, one (R,) array per column of ``rounds.csv``."""
        out = {
            "round": np.full(self.reps, self.round),
            "tension": self.tension,
            "restriction": self.restriction,
            "gov_level": self.deepest(cross_bloc=False),
            "gov_cross_level": self.deepest(cross_bloc=True),
            "business_cross": self.forum.cross_now,
        }
        for b, bloc in enumerate(self.forum.blocs):
            out[f"adoption_{bloc}"] = self.forum.shares[:, b]
        for g, gov in enumerate(self.gov_ids):
            for k, issue in enumerate(self.ids):
                out[f"pos_{gov}_{issue}"] = self.pos[:, g, k]
        return out
