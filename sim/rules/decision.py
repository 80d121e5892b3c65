"""Decision rules: which governments at a table sign a text, and whether the rule is met.

``consensus``: every government at the table signs. ``qualified_majority``: the
governments that sign hold at least ``threshold`` of the table's capability.
``required``: every listed government present at the table signs; others may join.

Under the last two, signing is a fixed point: an actor's rivalry cost depends on who
else signs (X_i), so rejecters are removed and the rest asked again until no one
else leaves. At least two signatories make an agreement.

Every array carries a leading replication axis ``R``; ``m`` is the table's size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from sim.rules.utility import rival_cosigners
from sim.scenario import Consensus, QualifiedMajority, RequiredSignatories

Rule = Consensus | QualifiedMajority | RequiredSignatories

AppraiseFn = Callable[[np.ndarray], "Appraised"]
"""Given X_i (R, m), what each member makes of the text (see :class:`Appraised`)."""


class Appraised(NamedTuple):
    """Each member's reading of a text given who else signs: (R, m) arrays."""

    accepts: np.ndarray
    reason: np.ndarray  # code of why a rejecter rejects (see sim.rules.utility.REASONS)
    terms: tuple[np.ndarray, ...]  # legitimacy, cooperation, content, rivalry


class Vote(NamedTuple):
    """A text put to a table, per replication: ``passed`` (R,), the rest (R, m).

    ``accepts``, ``reason`` and ``terms`` are each member's last appraisal: for one who
    left the fixed point, the appraisal that made it leave.
    """

    passed: np.ndarray
    signers: np.ndarray
    accepts: np.ndarray
    reason: np.ndarray
    terms: tuple[np.ndarray, ...]
    blockers: np.ndarray  # members the rule counts as blocking a failed text


def vote(
    rule: Rule,
    appraise: AppraiseFn,
    same_bloc: np.ndarray,
    capability: np.ndarray,
    required: np.ndarray | None,
    threshold: np.ndarray | None,
) -> Vote:
    """Put a text to a table under ``rule``.

    ``same_bloc`` (m, m) says which members share a bloc; ``capability`` (R, m);
    ``required`` (m,) marks the members the ``required`` rule names; ``threshold`` (R,)
    is the qualified-majority share of each replication.
    """
    reps, m = capability.shape
    if isinstance(rule, Consensus):
        everyone = np.ones((reps, m), dtype=bool)
        a = appraise(rival_cosigners(everyone, same_bloc))
        blockers = ~a.accepts
        passed = ~blockers.any(axis=1) & (m >= 2)
        return Vote(passed, a.accepts & passed[:, None], a.accepts, a.reason, a.terms, blockers)
    current = np.ones((reps, m), dtype=bool)
    accepts = np.zeros((reps, m), dtype=bool)
    reason = np.zeros((reps, m), dtype=np.int8)
    terms = tuple(np.zeros((reps, m)) for _ in range(4))
    for _ in range(m):
        a = appraise(rival_cosigners(current, same_bloc))
        accepts = np.where(current, a.accepts, accepts)
        reason = np.where(current, a.reason, reason)
        terms = tuple(np.where(current, new, old) for new, old in zip(a.terms, terms, strict=True))
        staying = current & a.accepts
        if np.array_equal(staying, current):
            break
        current = staying
    n_sign = current.sum(axis=1)
    refusals = ~current
    if isinstance(rule, QualifiedMajority):
        total = np.zeros(reps)
        signed = np.zeros(reps)
        for j in range(m):  # summed member by member, in table order
            total = total + capability[:, j]
            signed = signed + np.where(current[:, j], capability[:, j], 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(total > 0, signed / total, 0.0)
        passed = (share >= threshold) & (n_sign >= 2)
        blockers = refusals & ~passed[:, None]
    else:
        missing = refusals & required[None, :]
        any_missing = missing.any(axis=1)
        passed = ~any_missing & (n_sign >= 2)
        blockers = np.where(any_missing[:, None], missing, refusals & ~passed[:, None])
    return Vote(passed, current & passed[:, None], accepts, reason, terms, blockers)
