"""What a run's two figures show, as plain data (numpy arrays, strings, numbers).

Computed from the per-round table with numpy alone, no matplotlib: the figures are
drawn from these few kilobytes (:mod:`sim.outputs.plots`), possibly in another process
(:mod:`sim.outputs.plot_process`), whatever the number of replications.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.outputs.stats import wilson

if TYPE_CHECKING:
    from sim.scenario import Scenario


def _by_round(rounds: dict[str, list], column: str, n_rounds: int) -> np.ndarray:
    """(replications × rounds) array of one column."""
    return np.asarray(rounds[column], dtype=float).reshape(-1, n_rounds)


def _wilson_band(hits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95% Wilson interval per round of a (replications × rounds) boolean array."""
    bounds = [wilson(int(k), hits.shape[0])[1:] for k in hits.sum(axis=0)]
    return np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])


def _spread(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """10th and 90th percentile per round."""
    low, high = np.percentile(values, [10, 90], axis=0)
    return low, high


def agreement_data(scenario: Scenario, rounds: dict[str, list]) -> dict:
    """Per round: each rung's probability (95% band) and across blocs; the standard; adoption shares."""
    n = scenario.rounds
    gov = _by_round(rounds, "gov_level", n)
    cross = _by_round(rounds, "gov_cross_level", n)
    business = _by_round(rounds, "business_cross", n)
    adoption = []
    for j, bloc in enumerate(scenario.blocs):
        column = f"adoption_{bloc}"
        if column in rounds:
            share = _by_round(rounds, column, n)
            adoption.append({"bloc": bloc, "colour": j, "mean": share.mean(axis=0), "band": _spread(share)})
    return {
        "title": scenario.title or scenario.name,
        "rounds": n,
        "replications": gov.shape[0],
        "levels": [
            {
                "label": f"{level.label or level.name}",
                "p": (gov >= i).mean(axis=0),
                "band": _wilson_band(gov >= i),
                "cross": (cross >= i).mean(axis=0),
            }
            for i, level in enumerate(scenario.ladder, start=1)
        ],
        "business": {"p": business.mean(axis=0), "band": _wilson_band(business > 0.5)},
        "adoption": adoption,
        "quorum": scenario.business.quorum,
        "events": [(event.round, event.label or "event") for event in scenario.events],
    }


def positions_data(scenario: Scenario, rounds: dict[str, list]) -> dict:
    """Per issue and government: the mean stated position per round and its 10–90% band."""
    n = scenario.rounds
    issues = []
    for issue in scenario.issues:
        lines = []
        for gov in scenario.governments:
            values = _by_round(rounds, f"pos_{gov.id}_{issue.id}", n)
            lines.append({"mean": values.mean(axis=0), "band": _spread(values)})
        issues.append({"title": issue.id.replace("_", " "), "high": issue.high, "low": issue.low, "lines": lines})
    return {"rounds": n, "governments": [gov.name for gov in scenario.governments], "issues": issues}
