"""Builders for unit tests: scripted governments put to a decision rule, small scenarios, kernels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.rules.decision import Appraised, adopt, participation
from sim.rules.kernel import Negotiation
from sim.rules.utility import REASONS, distance, reason_codes, terms, value_of
from sim.scenario import RequiredSignatories, Scenario, scenario_from_text
from sim.scenario.distributions import realize


@dataclass
class Gov:
    """A scripted government: what the participation game needs to know of it."""

    id: str
    bloc: str
    position: tuple[float, float]
    capability: float = 1.0
    legitimacy: float = 0.1
    gain: float = 0.5
    ambition: float = 1.0


@dataclass
class Decision:
    adopted: bool
    signatories: list[str]
    decliners: dict[str, str]
    value: dict[str, float]
    rivalry: dict[str, float]


def decide(rule, govs, x, depth, tension, kappa0=0.2, kappa1=0.5, chair=None, depth_cost=0.0, threshold=None):
    """Open content ``x`` at ``depth`` to ``govs`` under ``rule`` (one replication), equal salience on two issues."""
    sal = np.array([0.5, 0.5])
    leg = np.array([[g.legitimacy for g in govs]])
    gain = np.array([[g.gain for g in govs]])
    amb = np.array([[g.ambition for g in govs]])
    dist = np.array([[distance(np.asarray(x, float), np.array(g.position), sal) for g in govs]])

    def appraise(rival):
        parts = terms(leg, gain, dist, depth, rival, tension, kappa0, kappa1, amb, depth_cost)
        return Appraised(value_of(parts), parts)

    same = np.array([[a.bloc == b.bloc for b in govs] for a in govs])
    cap = np.array([[g.capability for g in govs]])
    game = participation(appraise, cap, same)
    required = np.array([g.id in rule.signatories for g in govs]) if isinstance(rule, RequiredSignatories) else None
    if threshold is None:
        threshold = getattr(rule, "threshold", getattr(rule, "min_share", 0.0))
    chair_mask = np.array([g.id == chair for g in govs])
    adopted = adopt(rule, game.signers, cap, chair_mask, required, np.array([threshold]))
    why = reason_codes(*(np.broadcast_to(p, game.value.shape) for p in game.terms[2:]))
    rival = np.broadcast_to(game.terms[3], game.value.shape)
    return Decision(
        bool(adopted[0]),
        [g.id for g, s in zip(govs, game.signers[0], strict=True) if s],
        {g.id: REASONS[int(c)] for g, s, c in zip(govs, game.signers[0], why[0], strict=True) if not s},
        {g.id: float(v) for g, v in zip(govs, game.value[0], strict=True)},
        {g.id: float(r) for g, r in zip(govs, rival[0], strict=True)},
    )


def scenario(text: str, **update) -> Scenario:
    s = scenario_from_text(text)
    return s.model_copy(update=update) if update else s


def kernel(s: Scenario, seed: int = 1, log: bool = False) -> Negotiation:
    """A kernel of one replication of ``s`` (its distributions drawn from ``seed``)."""
    rng = np.random.default_rng(seed)
    return Negotiation([realize(s, rng)], [rng], log=log)
