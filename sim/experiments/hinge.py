"""The hinge of a sweep's answers: which swept or drawn inputs, past which threshold, flip each main outcome.

A sweep's runs differ in the values of the swept fields (the grid's or the sample's point)
and, within a point, in what each replication drew from the scenario's distributions. The
box search of :mod:`sim.outputs.hinge` reads both. The draws are not stored in the sweep's
parts: each is drawn again from the replication's own seed, as the run did (a run draws
its scenario's distributions first, from a fresh generator of that seed), which costs
tens of microseconds a run and no simulation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from sim.experiments.runner import replication_seed
from sim.outputs.hinge import Input, drawn_inputs, hinge_block, label
from sim.scenario.distributions import realize, uncertain_paths, values_at

if TYPE_CHECKING:  # pyarrow only for annotations
    import pyarrow as pa


def point_seeds(master: int, point: int, replications: Sequence[int], common: bool) -> list[np.random.SeedSequence]:
    """Seeds of replications ``replications`` of grid point ``point`` (with ``common``: those of ``simrun FILE``)."""
    return [replication_seed(master, r) if common else replication_seed(master, point, r) for r in replications]


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def sweep_inputs(plan, rows: list[dict]) -> list[Input]:  # noqa: ANN001 - a SweepPlan (sweep imports this module)
    """The inputs of a sweep's rows: the numeric swept fields, then every distribution the points still draw."""
    scenario = plan.scenario
    swept = [path for path in plan.points[0] if all(_number(p[path]) for p in plan.points)]
    out = []
    for path in swept:
        values = np.array([float(r[path]) for r in rows])
        column = [float(p[path]) for p in plan.points]
        out.append(Input(path, label(scenario, path), values, min(column), max(column), "swept"))
    # a distribution that a point sets to a number is swept, not drawn: only those every point draws
    paths = [p for p, _ in uncertain_paths(scenario)]
    for point_scenario in plan.scenarios:
        held = {p for p, _ in uncertain_paths(point_scenario)}
        paths = [p for p in paths if p in held]
    if not paths:
        return out
    drawn = np.full((len(rows), len(paths)), np.nan)
    by_point: dict[int, list[int]] = {}
    for i, row in enumerate(rows):
        by_point.setdefault(int(row["point"]), []).append(i)
    for g, members in by_point.items():
        seeds = point_seeds(plan.master, g, [int(rows[i]["replication"]) for i in members], plan.common)
        for i, seed in zip(members, seeds, strict=True):
            drawn[i] = values_at(realize(plan.scenarios[g], np.random.default_rng(seed)), paths)
    # the scenario's own labels and ranges for the drawn inputs, in its order
    by_path = {p: j for j, p in enumerate(paths)}
    every = [p for p, _ in uncertain_paths(scenario)]
    full = np.full((len(rows), len(every)), np.nan)
    for j, p in enumerate(every):
        if p in by_path:
            full[:, j] = drawn[:, by_path[p]]
    named = [spec for spec, p in zip(drawn_inputs(scenario, full), every, strict=True) if p in by_path]
    return out + [spec for spec in named if spec.path not in swept]


def sweep_hinge(plan, table: pa.Table) -> dict:  # noqa: ANN001 - a SweepPlan
    """The ``hinge`` block of a sweep: its main outcomes over the swept and drawn inputs of every run."""
    rows = table.to_pylist()
    return hinge_block(plan.scenario, rows, sweep_inputs(plan, rows))
