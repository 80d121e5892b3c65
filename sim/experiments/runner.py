"""Runs: replications of a scenario on the rulebook's kernel, and where their seeds come from.

Every replication's generator is spawned from the master seed by its index with
numpy's SeedSequence (``SeedSequence(master, spawn_key=index)``), so a result never
depends on which process ran it, in which order, or with which others it shared a
kernel. Distributions in the scenario are drawn first, then the kernel runs on the
same generator.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from sim.rules.kernel import Negotiation, structure
from sim.rules.log import COLUMNS as EVENT_COLUMNS
from sim.rules.outcomes import classify_all
from sim.scenario import Scenario
from sim.scenario.distributions import realize, uncertain_paths, values_at
from sim.scenario.errors import InputError, Problem

__all__ = ["EVENT_COLUMNS", "Replication", "outcome_rows", "replication_seed", "run_replications"]

COMPANY_ROWS = 1_000_000
"""Companies × replications held at once: each forum array then takes about 8 MB per
issue, so a kernel of a 100,000-company forum stays within a few hundred MB (it is cut
into kernels of 10 replications), while small forums run whole chunks at once."""


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
    """What one replication produced: its outcome row, per-round columns and event log.

    ``drawn`` holds the numbers its realised scenario drew where the scenario has a distribution,
    in :func:`~sim.scenario.distributions.uncertain_paths` order (read by :mod:`sim.outputs.hinge`).
    """

    index: int
    outcome: dict
    rounds: dict[str, list] = field(default_factory=dict)
    events: list[tuple] = field(default_factory=list)
    drawn: tuple[float, ...] = ()


def batch_size(scenario: Scenario) -> int:
    """Replications to run in one kernel for ``scenario`` (at least 1), bounded by :data:`COMPANY_ROWS`."""
    companies = sum(a.count for a in scenario.companies)
    return max(1, COMPANY_ROWS // max(companies, 1))


def _kernels(
    scenario: Scenario, seeds: Sequence[np.random.SeedSequence], log: bool
) -> list[tuple[list[int], Negotiation]]:
    """Kernels covering ``seeds``: replications realised, grouped by structure, cut by :func:`batch_size`."""
    rngs = [np.random.default_rng(s) for s in seeds]
    specs = [realize(scenario, rng) for rng in rngs]
    groups: dict[tuple, list[int]] = {}
    for i, spec in enumerate(specs):
        groups.setdefault(structure(spec), []).append(i)
    size = batch_size(scenario)
    out = []
    for members in groups.values():
        for first in range(0, len(members), size):
            part = members[first : first + size]
            out.append((part, Negotiation([specs[i] for i in part], [rngs[i] for i in part], log=log)))
    return out


def outcome_rows(scenario: Scenario, seeds: Sequence[np.random.SeedSequence]) -> list[dict]:
    """Outcome rows of the replications seeded by ``seeds``, in seed order (no log, no per-round data)."""
    rows: list[dict | None] = [None] * len(seeds)
    for members, kernel in _kernels(scenario, seeds, log=False):
        for _ in range(kernel.spec.rounds):
            kernel.step()
        for i, row in zip(members, classify_all(kernel), strict=True):
            rows[i] = row
    return rows  # type: ignore[return-value]


def run_replications(
    scenario: Scenario,
    *,
    replications: int | None = None,
    seed: int | None = None,
    log_events: bool = True,
    collect_rounds: bool = True,
    progress: Callable[[int], None] | None = None,
) -> list[Replication]:
    """Run ``replications`` (default the scenario's) seeded from ``seed`` (default the scenario's)."""
    n = scenario.replications if replications is None else replications
    master = scenario.seed if seed is None else seed
    seeds = [replication_seed(master, r) for r in range(n)]
    paths = [path for path, _ in uncertain_paths(scenario)]
    out: list[Replication | None] = [None] * n
    step = max(1, min(batch_size(scenario), 50))  # kernels of at most 50, so the progress bar moves
    for start in range(0, n, step):
        block = list(range(start, min(start + step, n)))
        for members, kernel in _kernels(scenario, [seeds[i] for i in block], log=log_events):
            snapshots = []
            for _ in range(kernel.spec.rounds):
                kernel.step()
                if collect_rounds:
                    snapshots.append({c: v.tolist() for c, v in kernel.snapshot().items()})
            for r, (i, row) in enumerate(zip(members, classify_all(kernel), strict=True)):
                index = block[i]
                rounds = {c: [s[c][r] for s in snapshots] for c in snapshots[0]} if snapshots else {}
                events = kernel.log.entries[r] if kernel.log is not None else []
                out[index] = Replication(index, row, rounds, events, values_at(kernel.specs[r], paths))
        if progress:
            progress(len(block))
    return out  # type: ignore[return-value]


def run_replication(
    scenario: Scenario,
    seed: np.random.SeedSequence,
    index: int = 0,
    log_events: bool = True,
    collect_rounds: bool = True,
) -> Replication:
    """One replication on the kernel (see :func:`run_replications`)."""
    [(_, kernel)] = _kernels(scenario, [seed], log=log_events)
    snapshots = []
    for _ in range(kernel.spec.rounds):
        kernel.step()
        if collect_rounds:
            snapshots.append({c: v[0].item() for c, v in kernel.snapshot().items()})
    rounds = {c: [s[c] for s in snapshots] for c in snapshots[0]} if snapshots else {}
    events = kernel.log.entries[0] if kernel.log is not None else []
    drawn = values_at(kernel.specs[0], [path for path, _ in uncertain_paths(scenario)])
    return Replication(index, classify_all(kernel)[0], rounds, events, drawn)


def run_on_mesa(scenario: Scenario, seed: np.random.SeedSequence) -> dict:
    """The outcome row of one replication run through the Mesa model (``simrun sweep --engine mesa``)."""
    from sim.model import NegotiationModel  # Mesa is slow to import; runs need it only here

    rng = np.random.default_rng(seed)
    model = NegotiationModel(realize(scenario, rng), rng=rng, log_events=False, collect_rounds=False)
    for _ in range(model.spec.rounds):
        model.step()
    return model.outcome()
