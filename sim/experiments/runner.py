"""Runs: one replication, many replications, and where their seeds come from.

Every replication's generator is spawned from the master seed by its index with
numpy's SeedSequence (``SeedSequence(master, spawn_key=index)``), so a result never
depends on which process ran it or in which order. Distributions in the scenario are
drawn first, then the model runs on the same generator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sim.model import NegotiationModel
from sim.rules.outcomes import classify
from sim.scenario import Scenario
from sim.scenario.distributions import realize

EVENT_COLUMNS = ("round", "table", "level", "actor", "action", "value", "reason", "detail")


def replication_seed(master: int, *index: int) -> np.random.SeedSequence:
    """Seed of the replication at ``index`` (e.g. ``(r,)`` or ``(grid_point, r)``) under ``master``."""
    return np.random.SeedSequence(master, spawn_key=tuple(int(i) for i in index))


@dataclass
class Replication:
    """What one replication produced."""

    index: int
    outcome: dict
    rounds: dict[str, list] = field(default_factory=dict)
    events: list[tuple] = field(default_factory=list)


def run_replication(
    scenario: Scenario,
    seed: np.random.SeedSequence,
    index: int = 0,
    log_events: bool = True,
    collect_rounds: bool = True,
) -> Replication:
    """Draw the scenario's uncertain numbers, run the model for ``scenario.rounds`` rounds, classify."""
    rng = np.random.default_rng(seed)
    realised = realize(scenario, rng)
    model = NegotiationModel(realised, rng=rng, log_events=log_events, collect_rounds=collect_rounds)
    for _ in range(realised.rounds):
        model.step()
    return Replication(index, classify(model), model.datacollector.model_vars, model.log)


def run_replications(
    scenario: Scenario,
    *,
    replications: int | None = None,
    seed: int | None = None,
    log_events: bool = True,
    progress: Callable[[int], None] | None = None,
) -> list[Replication]:
    """Run ``replications`` (default the scenario's) seeded from ``seed`` (default the scenario's)."""
    n = scenario.replications if replications is None else replications
    master = scenario.seed if seed is None else seed
    out = []
    for r in range(n):
        out.append(run_replication(scenario, replication_seed(master, r), r, log_events))
        if progress:
            progress(1)
    return out
