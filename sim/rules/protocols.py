"""Negotiating formats: which governments sit at which table in which round.

``simultaneous``: all governments at one table every round. ``west_first``: one bloc
(by default the chair's) negotiates alone for the first phase, then meets the others
as a coalition holding the best text it agreed. ``bilateral_first``: the two principal
rivals meet alone first, then everyone. Events may force extra tables in a round
(a bilateral summit). Tables are tuples of government indices in file order.

A round is one negotiating session. Texts are opened for signature only at summits:
the last round, the last round of a sequenced format's first phase (its table's own
summit), and tables an event forces (a leaders' meeting). In the other rounds positions
move and drafts are floated, nothing is signed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.scenario import Scenario

TablePlan = tuple[tuple[tuple[int, ...], ...], ...]
"""Per round, the tables that meet, each as the indices of its governments."""
_PLANS: dict[tuple, TablePlan] = {}


def first_phase(scenario: Scenario) -> int:
    """Rounds of the first phase of a sequenced format (default half the rounds, at least one)."""
    return scenario.protocol_options.first_phase_rounds or max(1, scenario.rounds // 2)


def first_bloc(scenario: Scenario) -> str:
    """west_first's bloc: ``protocol_options.first_bloc``, else the chair's, else the first listed."""
    governments = scenario.governments
    chair_bloc = next((g.bloc for g in governments if g.id == scenario.chair), None)
    return scenario.protocol_options.first_bloc or chair_bloc or governments[0].bloc


def coalition(scenario: Scenario) -> tuple[str, int] | None:
    """west_first: the bloc that converges first and the round it meets the rest; else ``None``."""
    if scenario.protocol != "west_first":
        return None
    return first_bloc(scenario), first_phase(scenario) + 1


def bilateral_pair(scenario: Scenario) -> list[str]:
    """bilateral_first's pair: ``protocol_options.pair``, else the most capable government of the two largest blocs."""
    if scenario.protocol_options.pair is not None:
        return list(scenario.protocol_options.pair)
    best: dict[str, tuple[float, str]] = {}
    for g in scenario.governments:
        if g.bloc not in best or g.capability > best[g.bloc][0]:
            best[g.bloc] = (float(g.capability), g.id)
    leaders = sorted(best.values(), key=lambda c: -c[0])[:2]
    return [i for _, i in leaders]


def _protocol_tables(scenario: Scenario, round_no: int) -> list[list[int]]:
    ids = [g.id for g in scenario.governments]
    everyone = list(range(len(ids)))
    early = round_no <= first_phase(scenario)
    if scenario.protocol == "west_first" and early:
        bloc = first_bloc(scenario)
        return [[i for i, g in enumerate(scenario.governments) if g.bloc == bloc]]
    if scenario.protocol == "bilateral_first" and early:
        pair = [i for i, g in enumerate(ids) if g in bilateral_pair(scenario)]
        if len(pair) == 2:
            return [pair]
    return [everyone]


def summit_plan(scenario: Scenario) -> tuple[tuple[bool, ...], ...]:
    """Per round, whether each table of :func:`table_plan` is a summit (texts open for signature)."""
    out = []
    phase = first_phase(scenario) if scenario.protocol != "simultaneous" else None
    for round_no, tables in enumerate(table_plan(scenario), start=1):
        forced = sum(1 for e in scenario.events if e.round == round_no and e.table)
        own = len(tables) - forced
        last = round_no == scenario.rounds or round_no == phase
        out.append(tuple(last if k < own else True for k in range(len(tables))))
    return tuple(out)


def table_plan(scenario: Scenario) -> TablePlan:
    """Who meets whom in every round: the protocol's tables, then the events' forced ones.

    Cached per format: a kernel asks once, sweeps ask per chunk, and only the
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
        index = {a.id: i for i, a in enumerate(scenario.governments)}
        rounds = []
        for round_no in range(1, scenario.rounds + 1):
            tables = _protocol_tables(scenario, round_no)
            tables += [[index[i] for i in e.table] for e in scenario.events if e.round == round_no and e.table]
            rounds.append(tuple(tuple(t) for t in tables))
        found = _PLANS[key] = tuple(rounds)
    return found
