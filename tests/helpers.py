"""Builders for unit tests: scripted governments put to a decision rule, small scenarios, kernels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.rules.decision import Appraised, vote
from sim.rules.kernel import Negotiation
from sim.rules.utility import CONTENT, RIVALRY, distance, rivalry_decides, terms
from sim.scenario import QualifiedMajority, RequiredSignatories, Scenario, scenario_from_text
from sim.scenario.distributions import realize


@dataclass
class Gov:
    """A scripted government: what the decision rule needs to know of it."""

    id: str
    bloc: str
    position: tuple[float, float]
    capability: float = 1.0
    legitimacy: float = 0.1
    gain: float = 0.5


@dataclass
class Decision:
    passed: bool
    signatories: list[str]
    blockers: dict[str, str]
    value: dict[str, float]
    rivalry: dict[str, float]


def decide(rule, govs: list[Gov], x, depth: float, tension: float, kappa0: float = 0.2, kappa1: float = 0.5):
    """Put content ``x`` at ``depth`` to ``govs`` under ``rule`` (one replication), salience equal on two issues."""
    sal = np.array([0.5, 0.5])
    leg = np.array([[g.legitimacy for g in govs]])
    gain = np.array([[g.gain for g in govs]])
    dist = np.array([[distance(np.asarray(x, float), np.array(g.position), sal) for g in govs]])

    def appraise(cross):
        lg, co, ct, rv = terms(leg, gain, dist, depth, cross, tension, kappa0, kappa1)
        reason = np.where(rivalry_decides(co, ct, rv), RIVALRY, CONTENT).astype(np.int8)
        return Appraised(lg + co - ct - rv >= 0.0, reason, (lg, co, ct, rv))

    same = np.array([[a.bloc == b.bloc for b in govs] for a in govs])
    required = np.array([g.id in rule.signatories for g in govs]) if isinstance(rule, RequiredSignatories) else None
    threshold = np.array([rule.threshold]) if isinstance(rule, QualifiedMajority) else None
    v = vote(rule, appraise, same, np.array([[g.capability for g in govs]]), required, threshold)
    reasons = {1: "rivalry", 2: "content"}
    values = v.terms[0] + v.terms[1] - v.terms[2] - v.terms[3]
    return Decision(
        bool(v.passed[0]),
        [g.id for g, s in zip(govs, v.signers[0], strict=True) if s],
        {g.id: reasons[int(c)] for g, b, c in zip(govs, v.blockers[0], v.reason[0], strict=True) if b},
        {g.id: float(val) for g, val in zip(govs, values[0], strict=True)},
        {g.id: float(r) for g, r in zip(govs, np.broadcast_to(v.terms[3], values.shape)[0], strict=True)},
    )


def scenario(text: str, **update) -> Scenario:
    s = scenario_from_text(text)
    return s.model_copy(update=update) if update else s


def kernel(s: Scenario, seed: int = 1, log: bool = False) -> Negotiation:
    """A kernel of one replication of ``s`` (its distributions drawn from ``seed``)."""
    rng = np.random.default_rng(seed)
    return Negotiation([realize(s, rng)], [rng], log=log)
