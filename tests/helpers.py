"""Builders for unit tests: scripted governments at a table, small scenarios."""

from __future__ import annotations

import mesa

from sim.model.agents import Government
from sim.scenario import Actor, Scenario, scenario_from_text

ISSUES = ["rules", "testing"]


def government(
    model: mesa.Model,
    actor_id: str,
    bloc: str,
    position: tuple[float, float],
    *,
    capability: float = 1.0,
    legitimacy: float = 0.1,
    gain: float = 0.5,
    flexibility: float = 0.5,
    kappa0: float = 0.2,
    kappa1: float = 0.5,
) -> Government:
    spec = Actor(
        id=actor_id,
        name=actor_id.upper(),
        kind="government",
        bloc=bloc,
        position=dict(zip(ISSUES, position, strict=True)),
        salience={"rules": 1.0, "testing": 1.0},
        capability=capability,
        flexibility=flexibility,
        legitimacy=legitimacy,
        gain=gain,
    )
    return Government(model, spec, ISSUES, kappa0, kappa1)


def scenario(text: str, **update) -> Scenario:
    s = scenario_from_text(text)
    return s.model_copy(update=update) if update else s
