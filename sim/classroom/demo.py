"""The model behind the browser demo: the negotiation model with keyword parameters.

SolaraViz builds models from keyword arguments; this class turns the controls
(tension, protocol, chair, decision rule, business openness, seed) into a validated
scenario and runs replication 0 of it, the same as ``simrun`` would.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from sim.experiments.runner import replication_seed
from sim.experiments.sweep_spec import apply_point
from sim.model import NegotiationModel
from sim.scenario import Scenario, load_scenario
from sim.scenario.distributions import expected, realize

ENV = "SIMRUN_SCENARIO"
DEFAULT = str(Path(__file__).resolve().parents[2] / "scenarios" / "bletchley.yaml")


def scenario_file() -> str:
    """The scenario the demo serves (``simrun demo FILE`` sets it in the environment)."""
    return os.environ.get(ENV, DEFAULT)


@lru_cache(maxsize=8)
def base_scenario(path: str) -> Scenario:
    """Load once per server process."""
    return load_scenario(path)


def required_pair(scenario: Scenario) -> list[str]:
    """Signatories for the ``required`` rule: the scenario's own, else the most capable government of each big bloc."""
    rule = scenario.decision_rule
    if getattr(rule, "signatories", None):
        return list(rule.signatories)
    best: dict[str, tuple[float, str]] = {}
    for g in scenario.governments:
        cap = float(expected(g.capability))
        if g.bloc not in best or cap > best[g.bloc][0]:
            best[g.bloc] = (cap, g.id)
    return [gid for _, gid in sorted(best.values(), reverse=True)[:2]]


class DemoModel(NegotiationModel):
    """One replication of the demo's scenario with the controls applied."""

    def __init__(
        self,
        scenario_file: str = DEFAULT,
        tension: float | None = None,
        protocol: str | None = None,
        chair: str | None = None,
        decision_rule: str | None = None,
        threshold: float = 0.65,
        openness: float | None = None,
        seed: int | str | None = None,
    ):
        """Controls left as None keep the scenario's value (or its distribution, drawn with the seed)."""
        base = base_scenario(scenario_file)
        point: dict = {}
        if tension is not None:
            point["tension"] = float(tension)
        if protocol:
            point["protocol"] = protocol
        if chair:
            point["chair"] = chair
        if openness is not None:
            point["business.openness"] = float(openness)
        if decision_rule == "qualified_majority":
            point["decision_rule"] = {"rule": "qualified_majority", "threshold": float(threshold)}
        elif decision_rule == "required":
            point["decision_rule"] = {"rule": "required", "signatories": required_pair(base)}
        elif decision_rule == "consensus":
            point["decision_rule"] = {"rule": "consensus"}
        scenario = apply_point(base, point) if point else base
        try:
            master = int(seed) if seed not in (None, "") else base.seed
        except ValueError:
            master = base.seed
        rng = np.random.default_rng(replication_seed(master, 0))
        super().__init__(realize(scenario, rng), rng=rng)
        self.scenario_file = scenario_file
        self.master_seed = master
