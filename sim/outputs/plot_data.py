"""What a run's two figures show, as plain data (numpy arrays, strings, numbers).

A figure's *layout* (frame, titles, panels, events) is known from the scenario before
any replication runs; its *data* are computed from the per-round table with numpy
alone, no matplotlib. The figures are drawn from these few kilobytes
(:mod:`sim.outputs.plots`), possibly in another process that builds each frame while
the replications run (:mod:`sim.outputs.plot_process`), whatever their number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.outputs.stats import wilson
from sim.rules.protocols import summit_plan

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


def summits(scenario: Scenario) -> list[int]:
    """The rounds in which some table is a summit (texts open for signature): the figures mark them."""
    return [r for r, tables in enumerate(summit_plan(scenario), start=1) if any(tables)]


def agreement_layout(scenario: Scenario, replications: int) -> dict:
    """What the agreement figure shows before any replication has run: its frame, titles and events."""
    return {
        "title": scenario.title or scenario.name,
        "rounds": scenario.rounds,
        "replications": replications,
        "quorum": scenario.business.quorum,
        "events": [(event.round, event.label or "event") for event in scenario.events],
        "summits": summits(scenario),
    }


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
    }


def positions_layout(scenario: Scenario) -> dict:
    """What the positions figure shows before any replication has run: a panel per issue, the governments."""
    return {
        "rounds": scenario.rounds,
        "summits": summits(scenario),
        "governments": [gov.name for gov in scenario.governments],
        "issues": [
            {"title": issue.id.replace("_", " "), "high": issue.high, "low": issue.low} for issue in scenario.issues
        ],
    }


def positions_data(scenario: Scenario, rounds: dict[str, list]) -> dict:
    """Per issue, per government: the mean stated position per round and its 10–90% band."""
    n = scenario.rounds
    return {
        "lines": [
            [
                {"mean": values.mean(axis=0), "band": _spread(values)}
                for values in (_by_round(rounds, f"pos_{gov.id}_{issue.id}", n) for gov in scenario.governments)
            ]
            for issue in scenario.issues
        ]
    }


def figures(scenario: Scenario, replications: int) -> list[tuple[str, dict]]:
    """The run's figures, each as the name of its class in :mod:`sim.outputs.plots` and its layout."""
    return [
        ("AgreementFigure", agreement_layout(scenario, replications)),
        ("PositionsFigure", positions_layout(scenario)),
    ]


def figures_data(scenario: Scenario, rounds: dict[str, list]) -> list[dict]:
    """The numbers of the run's figures, in the order of :func:`figures`."""
    return [agreement_data(scenario, rounds), positions_data(scenario, rounds)]
