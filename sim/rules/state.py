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

A kernel's replications can be taken into a new kernel, copies included, with some
coefficients changed that they have not read yet (:meth:`RunState.take`): runs that
differ only there share everything up to that point (the history fit's grid points,
:mod:`sim.experiments.history_grid`). Copies of one replication share its generator.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
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

COEFFICIENTS: dict[str, str] = {
    "model.kappa0_government": "summit",
    "model.kappa1_government": "summit",
    "model.depth_cost": "summit",
    "model.focal_gain": "summit",
    "model.chair_depth_weight": "summit",
    "business.restriction_per_tension": "start",
}
"""Scenario coefficients :meth:`RunState.take` can give the replications it takes, and until when.

``summit``: read only when a summit opens a text for signature (:mod:`sim.rules.table`),
so replications that differ only in it are the same run up to their first summit.
``start``: read from the first round on (restrictions: the forum's every round), so only
before the first round. Each is a plain number: a replication realised at another value
differs in nothing else, and drew the same numbers (a number is not drawn).
"""


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
        (scenario.venue.kind, tuple(sorted(scenario.venue.fixes.items())), scenario.venue.others_adopt),
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

    REPLICATED = ("pos", "ideal", "sal", "cap", "flex", "leg", "gain", "mis", "k0", "k1", "trust_cross", "gov_bound")
    REPLICATED += ("chair_factor", "focal_gain", "chair_w", "content_sal", "fixed_ambition", "lam", "relief_amount")
    REPLICATED += ("threshold", "tension", "restriction0", "per_tension", "shift", "relief", "deal_round")
    REPLICATED += ("deal_signers", "deal_content", "blocker_code", "blocker_set", "settled_round", "best_key")
    REPLICATED += ("best_content", "last_proposal", "own_cost")
    """State arrays with the replication on axis 0 (``threshold``, ``last_proposal`` may be None)."""
    SHARED = ("depth_array", "gov_in_bloc")
    """Arrays without a replication axis."""

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

    # -- replications taken from another kernel ------------------------------------------
    def take(self, parts: Sequence[tuple[np.ndarray, Mapping[str, float]]], *, companies: bool = True) -> RunState:
        """A kernel of some of these replications, part by part, each part at its own coefficients.

        ``parts`` is a list of ``(rows, coefficients)``: the new kernel's replications are
        the rows of every part in turn (a row may be taken many times), each part's run on
        from this round with the :data:`COEFFICIENTS` it names set to the given numbers. A
        replication taken at coefficients it has not read yet is, bit for bit, the one a
        kernel of the scenario at those coefficients would have reached: every array is
        row-wise, and a row's generator is shared by its copies, which draw the same
        pairings once (:attr:`sim.rules.forum.Forum.stream`); the generators are copies,
        so this kernel and every kernel taken from it run on independently.

        The realised scenarios (:attr:`specs`) stay the rows' own: a coefficient set here
        lives in the arrays only (nothing after set-up reads it from a scenario).
        Without ``companies`` the forum keeps only what the tables read, and the generators
        are left behind: the new kernel can hold summits but not run the forum
        (:meth:`sim.rules.kernel.Negotiation.step_government`).
        No event log, players, counter-proposals or tabled text can be taken.
        """
        if self.log is not None or self.players or self.counters or self.tabled is not None or self.forum.players:
            raise ValueError("a kernel with an event log, players or tabled texts cannot be taken apart")
        if companies and not self.forum.companies:
            raise ValueError("this kernel was taken without its companies: it has none to give")
        unknown = [
            k for k, v in vars(self).items() if isinstance(v, np.ndarray) and k not in (*self.REPLICATED, *self.SHARED)
        ]
        if unknown:
            raise TypeError(f"RunState.take does not know how to take {unknown}")
        for _, coefficients in parts:
            for path in coefficients:
                self._check_coefficient(path)
        rows = np.concatenate([np.asarray(r, dtype=np.intp) for r, _ in parts]) if parts else np.zeros(0, np.intp)
        out = object.__new__(type(self))
        out.__dict__.update(vars(self))
        for name in self.REPLICATED:
            value = getattr(self, name)
            setattr(out, name, None if value is None else np.take(value, rows, axis=0))
        out.reps, out.specs = len(rows), [self.specs[i] for i in rows]
        out.events = [(r, label, np.take(dt, rows), np.take(dr, rows)) for r, label, dt, dr in self.events]
        # each row's generator: the rows sharing one get one copy between them (none: no forum rounds to draw for)
        stream = self.forum.stream[rows] if self.forum.stream is not None else rows
        used, stream = np.unique(stream, return_inverse=True) if companies else ([], None)
        out.rngs = [copy.deepcopy(self.rngs[i]) for i in used]
        out.forum = self.forum.take(rows, None if stream is None else stream.reshape(-1), companies=companies)
        out.players, out.counters = {}, []
        start = 0
        for part_rows, coefficients in parts:
            where = slice(start, start + len(part_rows))
            start += len(part_rows)
            for path, value in coefficients.items():
                out._set_coefficient(path, where, float(value))
        return out

    def _check_coefficient(self, path: str) -> None:
        """Refuse a coefficient take cannot set now: unknown, or already read by this run."""
        when = COEFFICIENTS.get(path)
        if when is None:
            raise ValueError(f"take cannot set {path!r}; it sets {sorted(COEFFICIENTS)}")
        if when == "start" and self.round > 0:
            raise ValueError(f"{path} is read from the first round on: take can set it only before round 1")
        if when == "summit" and any(any(self.summits(r)) for r in range(1, self.round + 1)):
            raise ValueError(f"{path} is read at summits: take can set it only before the first summit")

    def _set_coefficient(self, path: str, where: slice, value: float) -> None:
        """Set coefficient ``path`` of the replications ``where`` to ``value``, as set-up would have read it."""
        if path == "model.kappa0_government":
            self.k0[where] = value
        elif path == "model.kappa1_government":
            self.k1[where] = value
        elif path == "model.focal_gain":
            self.focal_gain[where] = value
        elif path == "model.chair_depth_weight":
            self.chair_w[where] = value
        elif path == "model.depth_cost":  # the governments without a depth cost of their own
            self.lam[where] = np.where(self.own_cost[where], self.lam[where], value)
        elif path == "business.restriction_per_tension":
            self.per_tension[where] = value
        else:  # pragma: no cover - _check_coefficient refused it
            raise ValueError(path)

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
        own_cost = [[a.depth_cost is not None for a in g] for g in gov]  # λ_i its own, not the model's
        self.own_cost = np.array(own_cost, dtype=bool).reshape(self.lam.shape)
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
