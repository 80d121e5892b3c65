"""Decision rules: which governments sign an offer, and whether the rule is met.

``consensus``: every government at the table signs. ``qualified_majority``: the
governments that sign hold at least ``threshold`` of the table's capability.
``required``: every listed government present at the table signs; others may join.

Under the last two, signing is a fixed point: an actor's rivalry cost depends on who
else signs (X_i), so rejecters are removed and the rest asked again until no one
else leaves. At least two signatories make an agreement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sim.model.agents import Government
from sim.rules.utility import Appraisal, cross_share_tuple
from sim.scenario import Consensus, QualifiedMajority, RequiredSignatories

AppraiseFn = Callable[[Government, float], Appraisal]
"""Given a government and its cross-bloc share X_i, its appraisal of the offer."""


@dataclass
class Vote:
    """Result of putting one offer to one table."""

    passed: bool
    signatories: list[Government]
    appraisals: dict[str, Appraisal] = field(default_factory=dict)
    blockers: dict[str, str] = field(default_factory=dict)


def _appraise_all(members: Sequence[Government], appraise: AppraiseFn) -> dict[str, Appraisal]:
    shares = cross_share_tuple(tuple(g.bloc for g in members))
    return {g.actor_id: appraise(g, x) for g, x in zip(members, shares, strict=True)}


def _shrink(members: Sequence[Government], appraise: AppraiseFn) -> tuple[list[Government], dict[str, Appraisal]]:
    """Remove rejecters until everyone left accepts; keep the appraisal that made each leave."""
    current = list(members)
    final: dict[str, Appraisal] = {}
    while current:
        appraisals = _appraise_all(current, appraise)
        final.update(appraisals)
        staying = [g for g in current if appraisals[g.actor_id].accepts]
        if len(staying) == len(current):
            break
        current = staying
    return current, final


def decide(
    rule: Consensus | QualifiedMajority | RequiredSignatories, members: Sequence[Government], appraise: AppraiseFn
) -> Vote:
    """Apply ``rule`` (a decision-rule schema object) to an offer at a table of ``members``."""
    if isinstance(rule, Consensus):
        appraisals = _appraise_all(members, appraise)
        blockers = {i: a.reason for i, a in appraisals.items() if not a.accepts}
        passed = not blockers and len(members) >= 2
        return Vote(passed, list(members) if passed else [], appraisals, blockers)

    signers, appraisals = _shrink(members, appraise)
    signer_ids = {g.actor_id for g in signers}
    refusals = {g.actor_id: appraisals[g.actor_id].reason for g in members if g.actor_id not in signer_ids}
    if isinstance(rule, QualifiedMajority):
        total = sum(g.capability for g in members)
        share = sum(g.capability for g in signers) / total if total > 0 else 0.0
        passed = share >= rule.threshold and len(signers) >= 2
        blockers = {} if passed else refusals
    elif isinstance(rule, RequiredSignatories):
        required = [g.actor_id for g in members if g.actor_id in rule.signatories]
        missing = {i: refusals[i] for i in required if i in refusals}
        passed = not missing and len(signers) >= 2
        blockers = missing if missing else ({} if passed else refusals)
    else:  # pragma: no cover - the schema admits no other rule
        raise TypeError(f"unknown decision rule {rule!r}")
    return Vote(passed, signers if passed else [], appraisals, blockers)
