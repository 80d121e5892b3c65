"""The Mesa model: wires a realised scenario to agents, tracks, protocol and events.

A round: apply the scenario's events for the round, let the protocol's tables
negotiate (government track), run the business forum, couple the two levels
(a cross-bloc industry standard is a focal point for governments; a government deal
at or above ``relief_level`` eases business restrictions), then collect data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import mesa
import numpy as np

from sim.model.agents import CompanyGroup, Government
from sim.rules.forum import BusinessForum
from sim.rules.protocols import make_protocol, tables_in_round
from sim.rules.table import GovernmentTable, TableRound
from sim.scenario import Scenario


@dataclass
class Deal:
    """An agreement reached at one level: first round, signatories (union over rounds), content."""

    level: str
    depth: float
    round: int
    signatories: set[str]
    content: np.ndarray


class NegotiationModel(mesa.Model):
    """Two-track negotiation for one replication of a realised scenario (no distributions left)."""

    def __init__(
        self,
        scenario: Scenario,
        rng: np.random.Generator | int | None = None,
        log_events: bool = True,
        collect_rounds: bool = True,
    ):
        """``rng`` is the replication's generator (or seed); every draw goes through ``self.rng``.

        Sweeps switch off the event log and the per-round data (``log_events``,
        ``collect_rounds``); the outcome is the same either way.
        """
        super().__init__(rng=rng)
        self.spec = scenario  # not ``self.scenario``: Mesa 3.5 reserves that name for its own scenarios
        self.coefficients = scenario.model
        self.log_events = log_events
        self.collect_rounds = collect_rounds
        self.tension = float(scenario.tension)
        self.restriction_shift = 0.0
        self.relief = 0.0
        self.round = 0
        ids = scenario.issue_ids
        c = self.coefficients
        self.governments = [
            Government(self, a, ids, c.kappa0_government, c.kappa1_government) for a in scenario.governments
        ]
        self.by_id = {g.actor_id: g for g in self.governments}
        self.bloc_of = {g.actor_id: g.bloc for g in self.governments}
        groups = scenario.companies
        self.forum = BusinessForum(scenario, groups, self.rng)
        self.company_groups = [
            CompanyGroup(self, spec, slice(int(self.forum.rows[i]), int(self.forum.rows[i + 1])))
            for i, spec in enumerate(groups)
        ]
        # Perception noise is a persistent misreading per government, drawn once: a fresh
        # draw every round would turn repeated rounds into repeated lotteries.
        noise = self.coefficients.perception_noise
        for g in self.governments:
            g.misreading = self.rng.normal(0.0, noise, len(ids)) if noise > 0 else np.zeros(len(ids))
        self.protocol = make_protocol(scenario, self.governments)
        self.table = GovernmentTable(self)
        self.deals: dict[str, Deal] = {}
        self.table_deals: list[TableRound] = []
        self.blockers: dict[str, dict[str, str]] = {}
        self.business_shares = np.zeros(len(self.forum.blocs))
        self.business_cross_round: int | None = None  # first round a standard held across blocs
        self.business_cross_now = False  # whether one holds now (sanctions can undo it)
        self.business_within_now = False
        self.log: list[tuple] = []
        self.tabled_proposal: tuple[str, np.ndarray] | None = None  # (actor, content) for the next round only
        self.last_proposal: np.ndarray | None = None
        self.datacollector = mesa.DataCollector(model_reporters=self._reporters() if collect_rounds else {})
        self.ladder = scenario.ladder
        relief = self.coefficients.relief_level
        self.relief_depth = next((lv.depth for lv in self.ladder if lv.name == relief), None) if relief else None

    # -- state other parts read -------------------------------------------------
    @property
    def restriction(self) -> float:
        """Restrictions on cross-bloc business contact now, on [0, 1]."""
        b = self.spec.business
        value = b.restriction + b.restriction_per_tension * self.tension + self.restriction_shift - self.relief
        return float(min(max(value, 0.0), 1.0))

    def focal_bonus(self, x: np.ndarray) -> float:
        """Gain a cross-bloc industry standard adds for content ``x`` near it (0 while none holds)."""
        return float(self.focal_bonuses(np.asarray(x)[None, :])[0])

    def focal_bonuses(self, contents: np.ndarray) -> np.ndarray:
        """:meth:`focal_bonus` for each row of ``contents`` (one content per row)."""
        bound = self.spec.business.confidence_bound
        if not self.business_cross_now or bound <= 0:
            return np.zeros(len(contents))
        gap = np.abs(contents[:, self.forum.tech] - self.forum.standard).mean(axis=1)
        return self.coefficients.focal_gain * np.maximum(0.0, 1.0 - gap / bound)

    def best_deal_among(self, ids: set[str]) -> np.ndarray | None:
        """Content of the deepest, latest deal signed only by governments in ``ids``."""
        found = [t for t in self.table_deals if t.level is not None and set(t.signatories) <= ids]
        if not found:
            return None
        return max(found, key=lambda t: (t.level.depth, t.offers[-1].round)).content

    def tables(self, round_no: int) -> list[list[Government]]:
        """Who meets whom in ``round_no``: the protocol's tables, then forced ones (no side effects)."""
        return tables_in_round(self.protocol, self.spec, round_no)

    # -- one round ------------------------------------------------------------------
    def step(self) -> None:
        """One round of both tracks."""
        self.round += 1
        self._apply_events()
        self.protocol.start_round(self, self.round)
        for members in self.tables(self.round):
            self._record(self.table.negotiate(members, self.round))
        self.tabled_proposal = None
        self._business_round()
        if self.collect_rounds:
            self.datacollector.collect(self)

    def _apply_events(self) -> None:
        for event in self.spec.events:
            if event.round != self.round:
                continue
            self.tension = float(min(max(self.tension + event.tension_change, 0.0), 1.0))
            self.restriction_shift += event.restriction_change
            if self.log_events:
                detail = f"tension {self.tension:.2f}, restriction {self.restriction:.2f}"
                self.log.append((self.round, "", "", "", "event", float("nan"), event.label or "event", detail))

    def apply_live_event(self, label: str, tension_change: float = 0.0, restriction_change: float = 0.0) -> None:
        """An event thrown in between rounds (by a teacher in the demo): it takes effect at the next round."""
        self.tension = float(min(max(self.tension + tension_change, 0.0), 1.0))
        self.restriction_shift += restriction_change
        if self.log_events:
            detail = f"tension {self.tension:.2f}, restriction {self.restriction:.2f}"
            self.log.append((self.round, "", "", "", "event", float("nan"), label, detail))

    def _record(self, result: TableRound) -> None:
        self.last_proposal = result.content
        if self.log_events:
            self._log_offers(result)
        for offer in result.offers:
            if not offer.vote.passed:
                self.blockers[offer.level] = dict(offer.vote.blockers)
        if result.level is None:
            return
        self.table_deals.append(result)
        for agreed, signatories in result.agreements:
            # signing a deeper text commits to everything shallower
            for level in self.ladder:
                if level.depth > agreed.depth:
                    break
                deal = self.deals.get(level.name)
                if deal is None:
                    self.deals[level.name] = Deal(level.name, level.depth, self.round, set(signatories), result.content)
                else:
                    deal.signatories |= set(signatories)
            if (
                self.relief_depth is not None
                and self.relief == 0.0
                and agreed.depth >= self.relief_depth
                and self.is_cross_bloc(signatories)
            ):
                self.relief = self.coefficients.relief

    def is_cross_bloc(self, ids: Iterable[str]) -> bool:
        """Whether the governments ``ids`` span two or more blocs."""
        return len({self.bloc_of[i] for i in ids}) >= 2

    def _log_offers(self, result: TableRound) -> None:
        table = "+".join(result.table)
        for offer in result.offers:
            content = " ".join(f"{v:.3f}" for v in offer.content)
            outcome = "agreed" if offer.vote.passed else "failed"
            self.log.append((offer.round, table, offer.level, "", "offer", float("nan"), outcome, content))
            for actor, appraisal in offer.vote.appraisals.items():
                action = "accept" if appraisal.accepts else "reject"
                terms = (
                    f"L={appraisal.legitimacy:.3f} dG={appraisal.cooperation:.3f} "
                    f"dD={appraisal.content:.3f} rival={appraisal.rivalry:.3f}"
                )
                self.log.append(
                    (offer.round, table, offer.level, actor, action, appraisal.value, appraisal.reason or "", terms)
                )

    def _business_round(self) -> None:
        forum, c = self.forum, self.coefficients
        forum.meet(self.rng, self.restriction)
        forum.pull_home(np.array([g.position for g in self.governments]))
        shares = forum.adopt(self.tension, self.restriction, c.kappa0_company, c.kappa1_company)
        self.business_shares = shares
        reached = shares >= self.spec.business.quorum
        was_cross = self.business_cross_now
        self.business_within_now = bool(reached.any())
        self.business_cross_now = bool(len(shares) >= 2 and reached.all())
        if self.business_cross_round is None and self.business_cross_now:
            self.business_cross_round = self.round
        if self.log_events and was_cross != self.business_cross_now:
            detail = " ".join(f"{b}={s:.2f}" for b, s in zip(forum.blocs, shares, strict=True))
            what = "adopted across blocs" if self.business_cross_now else "no longer adopted across blocs"
            self.log.append((self.round, "forum", "", "", "standard", float("nan"), what, detail))

    # -- data collection --------------------------------------------------------------
    def deepest(self, cross_bloc: bool) -> int:
        """Index (1-based on the ladder, 0 for none) of the deepest deal so far, optionally cross-bloc only."""
        best = 0
        for i, level in enumerate(self.ladder, start=1):
            deal = self.deals.get(level.name)
            if deal and (not cross_bloc or self.is_cross_bloc(deal.signatories)):
                best = i
        return best

    def _reporters(self) -> dict:
        reporters = {
            "round": lambda m: m.round,
            "tension": lambda m: m.tension,
            "restriction": lambda m: m.restriction,
            "gov_level": lambda m: m.deepest(cross_bloc=False),
            "gov_cross_level": lambda m: m.deepest(cross_bloc=True),
            "business_cross": lambda m: m.business_cross_now,
        }
        for b, bloc in enumerate(self.forum.blocs):
            reporters[f"adoption_{bloc}"] = lambda m, b=b: float(m.business_shares[b])
        for g in self.governments:
            for k, issue in enumerate(self.spec.issue_ids):
                reporters[f"pos_{g.actor_id}_{issue}"] = lambda m, g=g, k=k: float(g.position[k])
        return reporters
