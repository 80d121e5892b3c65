"""Does the answer depend on the horizon? Each outcome's probability against the number of sessions.

A run is a number of negotiating sessions ending in a summit (the last round). This
reruns the scenario's replications, same seeds, with the summit after 1, 2, … sessions
up to twice the scenario's rounds, and reports for each horizon the probability of a
government text at each rung, across blocs, and of the cross-bloc industry standard.
A curve that flattens says the answer is the model's, not the calendar's.
"""

from __future__ import annotations

from sim.experiments.runner import outcome_rows, replication_seed
from sim.outputs.stats import wilson
from sim.scenario import Scenario


def horizons(rounds: int) -> list[int]:
    """Horizons to try: 1 … 2 × ``rounds``, at most about a dozen, always including ``rounds``."""
    top = 2 * rounds
    step = max(1, top // 12)
    return sorted({*range(1, top + 1, step), rounds, top})


def horizon_curve(scenario: Scenario, replications: int, seed: int) -> list[dict]:
    """One row per horizon: probabilities (with 95% Wilson intervals) of each outcome at that horizon."""
    seeds = [replication_seed(seed, r) for r in range(replications)]
    rows = []
    for h in horizons(scenario.rounds):
        shorter = scenario.model_copy(update={"rounds": h, "events": [e for e in scenario.events if e.round <= h]})
        out = outcome_rows(shorter, seeds)
        row: dict = {"rounds": h}
        for level in scenario.ladder:
            for key, name in (
                (f"{level.name}_agreed", level.name),
                (f"{level.name}_cross_bloc", f"{level.name}_cross"),
            ):
                k = sum(bool(o[key]) for o in out)
                _, low, high = wilson(k, len(out))
                row[name], row[f"{name}_low"], row[f"{name}_high"] = k / len(out), low, high
        k = sum(o["business_level"] == "cross_bloc" for o in out)
        _, low, high = wilson(k, len(out))
        row["business_cross"], row["business_cross_low"], row["business_cross_high"] = k / len(out), low, high
        rows.append(row)
    return rows
