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
from sim.scenario.errors import InputError, Problem

EVENT_COLUMNS = ("round", "table", "level", "actor", "action", "value", "reason", "detail")


MAX_SEED = 2**63
"""Seeds are 0 <= seed < 2**63 (a signed 64-bit integer, as in the scenario file)."""
MAX_REPLICATIONS = 1_000_000
"""Replications accepted without ``--allow-large`` (the scenario file's own cap)."""


def check_seed(seed: int | None) -> None:
    """Refuse a ``--seed`` outside [0, 2**63) before anything is created."""
    if seed is not None and not 0 <= seed < MAX_SEED:
        raise InputError([Problem("--seed", 0, "", f"must be an integer with 0 <= seed < 2**63, got {seed}")])


def available_memory() -> int | None:
    """Bytes of memory available now (Linux: MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def check_replications(
    n: int, *, allow_large: bool = False, bytes_each: int = 0, runs: int | None = None, flag: str = "--replications"
) -> None:
    """Refuse ``n`` < 1, or above :data:`MAX_REPLICATIONS` unless ``allow_large``, before anything runs.

    ``runs * bytes_each`` (``runs`` defaults to ``n``; ``bytes_each`` estimates what the
    command keeps in memory per run) must also fit in the memory available now.
    """
    if n < 1:
        raise InputError([Problem(flag, 0, "", f"must be at least 1, got {n}")])
    if n > MAX_REPLICATIONS and not allow_large:
        raise InputError(
            [Problem(flag, 0, "", f"{n} is more than {MAX_REPLICATIONS:,}; add --allow-large if you mean it")]
        )
    free = available_memory()
    need = (n if runs is None else runs) * bytes_each
    if free is not None and need > free:
        raise InputError(
            [
                Problem(
                    flag,
                    0,
                    "",
                    f"{n} replications need about {need / 2**30:.1f} GB of memory; {free / 2**30:.1f} GB is available",
                )
            ]
        )


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
