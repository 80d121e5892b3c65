"""Who signs a text, and whether it is adopted: the participation game and the adoption rules.

A text (content and depth) is opened for signature at a table. Who signs is a stable
coalition: start from everyone at the table signing, and remove, one at a time, the
member with the most negative utility, recomputing everyone's rival share R_i for the
rest, until every remaining signatory has V >= 0: no signatory gains by leaving, and
each non-signer left when signing was worth less than nothing to it (it is not asked
again if the coalition shrinks further; the non-signers stay out). The adoption rule then says whether the text counts:

* ``open``: at least two sign, the chair among them when it sits at the table, holding
  at least ``min_share`` of the table's capability;
* ``consensus``: every member of the table signs;
* ``qualified_majority``: the signatories hold at least ``threshold`` of the capability;
* ``required``: every listed member present signs (others may join).

"At least two" becomes "at least one" at a venue whose other members carry the text
(``venue.others_adopt``, model v3).

Every array carries a leading replication axis ``R``; ``m`` is the table's size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from sim.rules.utility import rival_shares
from sim.scenario import Consensus, OpenSignature, QualifiedMajority, RequiredSignatories

Rule = OpenSignature | Consensus | QualifiedMajority | RequiredSignatories


class Appraised(NamedTuple):
    """Each member's reading of a text given who else signs: (R, m) arrays."""

    value: np.ndarray  # V_i; a player's "no" is -inf, a player's "yes" +inf
    terms: tuple[np.ndarray, ...]  # legitimacy, cooperation, content, rivalry, too deep


AppraiseFn = Callable[[np.ndarray], Appraised]
"""Given R_i (R, m), what each member makes of the text."""


class Signature(NamedTuple):
    """A text opened for signature, per replication: ``adopted`` (R,), the rest (R, m).

    ``terms`` and ``value`` are each member's last appraisal: for one who left the
    coalition, the appraisal that made it leave.
    """

    adopted: np.ndarray
    signers: np.ndarray
    value: np.ndarray
    terms: tuple[np.ndarray, ...]


def participation(appraise: AppraiseFn, capability: np.ndarray, same_bloc: np.ndarray) -> Signature:
    """The coalition no signatory gains by leaving, reached from everyone signing (``adopted``: see :func:`adopt`)."""
    reps, m = capability.shape
    current = np.ones((reps, m), dtype=bool)
    value = np.zeros((reps, m))
    terms = tuple(np.zeros((reps, m)) for _ in range(5))
    rows = np.arange(reps)
    for _ in range(m):
        a = appraise(rival_shares(current, capability, same_bloc))
        value = np.where(current, a.value, value)
        terms = tuple(
            np.where(current, np.broadcast_to(new, (reps, m)), old) for new, old in zip(a.terms, terms, strict=True)
        )
        worst = np.where(current, a.value, np.inf)
        leaver = np.argmin(worst, axis=1)
        leaving = worst[rows, leaver] < 0.0
        if not leaving.any():
            break
        current[rows[leaving], leaver[leaving]] = False
    return Signature(np.ones(reps, dtype=bool), current, value, terms)


def adopt(
    rule: Rule,
    signers: np.ndarray,
    capability: np.ndarray,
    chair: np.ndarray,
    required: np.ndarray | None,
    threshold: np.ndarray | None,
    others_adopt: bool = False,
) -> np.ndarray:
    """Whether each replication's signatories meet ``rule`` (R,).

    ``chair`` (m,) marks the chair at the table (all False when it is absent);
    ``required`` (m,) the members the ``required`` rule names; ``threshold`` (R,) the
    qualified-majority share or the open rule's minimum share. ``others_adopt``: the
    venue's members outside the table carry the text, so one signature at the table is
    enough where the rule asks for two (a General Assembly resolution).
    """
    n_sign = signers.sum(axis=1)
    enough = n_sign >= (1 if others_adopt else 2)
    if isinstance(rule, Consensus):
        return enough & signers.all(axis=1)
    if isinstance(rule, RequiredSignatories):
        return enough & ~(required[None, :] & ~signers).any(axis=1)
    total = capability.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, np.where(signers, capability, 0.0).sum(axis=1) / total, 0.0)
    if isinstance(rule, QualifiedMajority):
        return enough & (share >= threshold)
    chair_signs = ~(chair[None, :] & ~signers).any(axis=1)
    return enough & chair_signs & (share >= threshold)
