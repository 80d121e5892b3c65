"""The Mesa model: one replication of a realised scenario, as users and the classroom see it.

Its state and rules are a :class:`~sim.rules.kernel.Negotiation` with one replication;
``step()`` runs the kernel's round, the agents are views over its arrays, and a Mesa
``DataCollector`` records the kernel's per-round snapshot. Player overrides (``simrun
play``) and the teacher's live events (the demo) go through the kernel too.
"""

from __future__ import annotations

from collections.abc import Sequence

import mesa
import numpy as np

from sim.model.agents import CompanyGroup, Government
from sim.rules.kernel import Counter, Deal, Negotiation
from sim.rules.outcomes import blockers, classify
from sim.rules.utility import rival_shares
from sim.scenario import Scenario


class NegotiationModel(mesa.Model):
    """Two-track negotiation for one replication of a realised scenario (no distributions left)."""

    def __init__(
        self,
        scenario: Scenario,
        rng: np.random.Generator | int | None = None,
        log_events: bool = True,
        collect_rounds: bool = True,
    ):
        """``rng`` is the replication's generator (or seed); every draw goes through ``self.rng``."""
        super().__init__(rng=rng)
        self.spec = scenario  # not ``self.scenario``: Mesa 3.5 reserves that name for its own scenarios
        self.coefficients = scenario.model
        self.kernel = Negotiation([scenario], [self.rng], log=log_events, drafts=log_events, mesa_seeded=True)
        k = self.kernel
        self.governments = [Government(self, k, i, a) for i, a in enumerate(scenario.governments)]
        self.by_id = {g.actor_id: g for g in self.governments}
        self.bloc_of = {g.actor_id: g.bloc for g in self.governments}
        self.company_groups = [CompanyGroup(self, k, i, a) for i, a in enumerate(scenario.companies)]
        self.group_by_id = {c.actor_id: c for c in self.company_groups}
        self.ladder = k.ladder
        columns = list(k.snapshot()) if collect_rounds else []
        self._snapshot: tuple[int, dict] | None = None
        self.datacollector = mesa.DataCollector(
            model_reporters={c: (lambda m, c=c: m._column(c)) for c in columns}  # noqa: B023 - bound by default
        )

    # -- one round ------------------------------------------------------------------
    def step(self) -> None:
        """One round of both tracks."""
        self.kernel.step()
        if self.datacollector.model_reporters:
            self.datacollector.collect(self)

    def apply_live_event(self, label: str, tension_change: float = 0.0, restriction_change: float = 0.0) -> None:
        """An event thrown in between rounds (by a teacher in the demo): it takes effect at the next round."""
        self.kernel.apply_event(label, tension_change, restriction_change)

    def _column(self, name: str) -> object:
        """One column of this round's snapshot, as a plain Python value."""
        if self._snapshot is None or self._snapshot[0] != self.kernel.round:
            self._snapshot = (self.kernel.round, {c: v[0].item() for c, v in self.kernel.snapshot().items()})
        return self._snapshot[1][name]

    # -- state, read from the kernel ------------------------------------------------------
    @property
    def round(self) -> int:
        """Rounds played so far."""
        return self.kernel.round

    @property
    def tension(self) -> float:
        """Geopolitical tension now, on [0, 1]."""
        return float(self.kernel.tension[0])

    @property
    def restriction(self) -> float:
        """Restrictions on cross-bloc business contact now, on [0, 1]."""
        return float(self.kernel.restriction[0])

    @property
    def log(self) -> list[tuple]:
        """The event log (see :mod:`sim.rules.log`); empty when logging is off."""
        return self.kernel.log.entries[0] if self.kernel.log is not None else []

    @property
    def deals(self) -> dict[str, Deal]:
        """Deals so far by rung name."""
        return self.kernel.deals(0)

    @property
    def blockers(self) -> dict[str, dict[str, str]]:
        """Last blockers of each refused rung: rung -> actor -> reason."""
        return blockers(self.kernel, 0)

    @property
    def business_cross_now(self) -> bool:
        """Whether a standard holds in every bloc now."""
        return bool(self.kernel.forum.cross_now[0])

    @property
    def business_within_now(self) -> bool:
        """Whether a standard holds in at least one bloc now."""
        return bool(self.kernel.forum.within_now[0])

    @property
    def business_shares(self) -> np.ndarray:
        """Adoption share of the standard per company bloc, on [0, 1]."""
        return self.kernel.forum.shares[0]

    @property
    def last_proposal(self) -> np.ndarray | None:
        """Content proposed at the last table that met."""
        return None if self.kernel.last_proposal is None else self.kernel.last_proposal[0]

    @property
    def tabled_proposal(self) -> tuple[str, np.ndarray] | None:
        """(actor id, content) a government tables for the next round only, or ``None``."""
        tabled = self.kernel.tabled
        return None if tabled is None else (self.governments[tabled[0]].actor_id, tabled[1])

    @tabled_proposal.setter
    def tabled_proposal(self, value: tuple[str, np.ndarray] | None) -> None:
        self.kernel.tabled = None if value is None else (self.by_id[value[0]].index, np.asarray(value[1], float))

    @property
    def counter_proposals(self) -> dict[str, tuple[np.ndarray, str | None]]:
        """Counter-proposals to the next round's tables: actor id -> (content, rung name or ``None`` for every rung)."""
        k = self.kernel
        return {
            self.governments[c.gov].actor_id: (c.x, None if c.level is None else k.ladder[c.level].name)
            for c in k.counters
        }

    def counter_propose(self, actor: str, x: np.ndarray | None, level: str | None = None) -> None:
        """``actor``'s counter-proposal to its next table, for the next round only (``x`` ``None`` withdraws it).

        ``x``: content, a position on [0, 1] per issue; ``level``: the rung's name, or
        ``None`` to offer it at every rung. The chair tables it only where it beats its own
        drafts by its objective (:mod:`sim.rules.table`).
        """
        gov = self.by_id[actor].index
        kept = [c for c in self.kernel.counters if c.gov != gov]
        if x is not None:
            rung = None if level is None else [lv.name for lv in self.ladder].index(level)
            kept.append(Counter(gov, np.clip(np.asarray(x, dtype=float), 0.0, 1.0), rung))
        self.kernel.counters = kept

    def is_cross_bloc(self, ids: Sequence[str] | set[str]) -> bool:
        """Whether the governments ``ids`` span two or more blocs."""
        return self.kernel.is_cross_bloc(ids)

    def tables(self, round_no: int) -> list[list[Government]]:
        """Who meets whom in ``round_no``: the protocol's tables, then forced ones."""
        return [[self.governments[i] for i in t] for t in self.kernel.tables(round_no)]

    def rival_shares(self, members: Sequence[Government]) -> np.ndarray:
        """R_i of each of ``members`` if all of them sign: capability share of rival-bloc co-signatories."""
        seating = self.kernel.table.seating(tuple(g.index for g in members))
        cap = self.kernel.cap[:1, seating.idx]
        return rival_shares(np.ones_like(cap, dtype=bool), cap, seating.same_bloc)[0]

    def proposal(self, members: Sequence[Government]) -> np.ndarray:
        """The chair's compromise proposal to ``members`` from their stated positions now."""
        return self.kernel.table.proposal(tuple(g.index for g in members))[0]

    def focal_bonus(self, x: np.ndarray) -> float:
        """Gain a cross-bloc industry standard adds for content ``x`` read exactly (0 while none holds)."""
        x = np.asarray(x, dtype=float)[None, None, :]
        return float(self.kernel.forum.focal_bonus(x, self.kernel.focal_gain)[0, 0])

    def deepest(self, cross_bloc: bool) -> int:
        """Index (1-based on the ladder, 0 for none) of the deepest deal so far, optionally cross-bloc only."""
        return int(self.kernel.deepest(cross_bloc)[0])

    def outcome(self) -> dict:
        """The outcome row of this run so far (see :mod:`sim.rules.outcomes`)."""
        return classify(self.kernel, 0)
