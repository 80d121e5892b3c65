"""Negotiating formats: which governments sit at which table in which round.

Each protocol is a small class. ``simultaneous``: all governments at one table every
round. ``west_first``: one bloc (by default the chair's) negotiates alone for the
first phase, then meets the others as a coalition holding the position it agreed
(so its weight in the compromise point is the members' summed capability).
``bilateral_first``: the two principal rivals meet alone first, then everyone.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING

from sim.model.agents import Government

if TYPE_CHECKING:
    from sim.model import NegotiationModel
    from sim.scenario import Scenario


class Protocol:
    """Base: every round, every government at one table."""

    name = "simultaneous"

    def __init__(self, scenario: Scenario, governments: list[Government]):
        """Keep the governments in file order and the length of the first phase."""
        self.governments = governments
        opts = scenario.protocol_options
        self.first_phase = opts.first_phase_rounds or max(1, scenario.rounds // 2)

    def start_round(self, model: NegotiationModel, round_no: int) -> None:
        """What the format does before its tables meet in ``round_no`` (nothing, here)."""

    def tables(self, round_no: int) -> list[list[Government]]:
        """Tables meeting in ``round_no`` (1-based). No side effects: a player may look ahead."""
        return [self.governments]


class Simultaneous(Protocol):
    """All governments at one table from the first round."""


class WestFirst(Protocol):
    """One bloc converges first, then talks to the rest as a coalition (Tudorache's sequencing)."""

    name = "west_first"

    def __init__(self, scenario: Scenario, governments: list[Government]):
        """The first bloc is ``protocol_options.first_bloc``, else the chair's, else the first listed."""
        super().__init__(scenario, governments)
        chair_bloc = next((g.bloc for g in governments if g.actor_id == scenario.chair), None)
        self.bloc = scenario.protocol_options.first_bloc or chair_bloc or governments[0].bloc
        self.members = [g for g in governments if g.bloc == self.bloc]

    @property
    def coalition_round(self) -> int:
        """The round the bloc first meets the others, holding the text it agreed."""
        return self.first_phase + 1

    def start_round(self, model: NegotiationModel, round_no: int) -> None:
        """At :attr:`coalition_round`, the bloc's members take its best deal as their position."""
        if round_no != self.coalition_round:
            return
        deal = model.best_deal_among({g.actor_id for g in self.members})
        if deal is not None:
            for g in self.members:
                g.position = deal.copy()

    def tables(self, round_no: int) -> list[list[Government]]:
        """The bloc alone during the first phase, then everyone."""
        return [self.members] if round_no <= self.first_phase else [self.governments]


class BilateralFirst(Protocol):
    """The two principal rivals meet first (a summit), then all governments."""

    name = "bilateral_first"

    def __init__(self, scenario: Scenario, governments: list[Government]):
        """The pair is ``protocol_options.pair``, else the most capable government of the two largest blocs."""
        super().__init__(scenario, governments)
        ids = scenario.protocol_options.pair
        if ids is None:
            best: dict[str, Government] = {}
            for g in governments:
                if g.bloc not in best or g.capability > best[g.bloc].capability:
                    best[g.bloc] = g
            leaders = sorted(best.values(), key=lambda g: -g.capability)[:2]
            ids = [g.actor_id for g in leaders]
        self.pair = [g for g in governments if g.actor_id in ids]

    def tables(self, round_no: int) -> list[list[Government]]:
        """The pair alone during the first phase, then everyone."""
        return [self.pair] if round_no <= self.first_phase and len(self.pair) == 2 else [self.governments]


PROTOCOLS: dict[str, type[Protocol]] = {
    "simultaneous": Simultaneous,
    "west_first": WestFirst,
    "bilateral_first": BilateralFirst,
}


def make_protocol(scenario: Scenario, governments: list[Government]) -> Protocol:
    """The protocol object the scenario names."""
    return PROTOCOLS[scenario.protocol](scenario, governments)


def tables_in_round(protocol: Protocol, scenario: Scenario, round_no: int) -> list[list[Government]]:
    """Tables meeting in ``round_no``: the protocol's, then those the scenario's events force."""
    by_id = {g.actor_id: g for g in protocol.governments}
    forced = [[by_id[i] for i in e.table] for e in scenario.events if e.round == round_no and e.table]
    return [*protocol.tables(round_no), *forced]


TablePlan = tuple[tuple[tuple[int, ...], ...], ...]
"""Per round, the tables that meet, each as the indices of its governments."""
_PLANS: dict[tuple, TablePlan] = {}


def table_plan(scenario: Scenario) -> TablePlan:
    """Who meets whom in every round: the protocol's tables, then the events' forced ones.

    Cached per format: the batched engine asks once per replication, and only the
    capabilities (which pick bilateral_first's pair) may differ between replications.
    """
    o = scenario.protocol_options
    key = (
        scenario.protocol,
        (o.first_phase_rounds, o.first_bloc, tuple(o.pair or ())),
        scenario.rounds,
        scenario.chair,
        tuple((a.id, a.bloc, a.capability) for a in scenario.governments),
        tuple((e.round, tuple(e.table)) for e in scenario.events),
    )
    found = _PLANS.get(key)
    if found is None:
        if len(_PLANS) > 256:
            _PLANS.clear()
        found = _PLANS[key] = _plan(scenario)
    return found


def _plan(scenario: Scenario) -> TablePlan:
    governments = [SimpleNamespace(actor_id=a.id, bloc=a.bloc, capability=a.capability) for a in scenario.governments]
    index = {a.id: i for i, a in enumerate(scenario.governments)}
    protocol = make_protocol(scenario, governments)
    rounds = []
    for round_no in range(1, scenario.rounds + 1):
        tables = tables_in_round(protocol, scenario, round_no)
        rounds.append(tuple(tuple(index[g.actor_id] for g in t) for t in tables))
    return tuple(rounds)
