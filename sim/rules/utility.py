"""Pure numpy functions of the bargaining model: distances, utilities, proposals.

Positions and contents are arrays on [0, 1] (one entry per issue); salience rows are
normalised to sum to 1, so a salience-weighted distance is also on [0, 1].

The utility of an agreement with content ``x`` at depth ``d`` for actor *i*
(status quo, i.e. no agreement, = 0)::

    V_i(x, d) = L_i + d · (G_i − D_i(x)) − τ · X_i · (κ0 + κ1 · d)

with ``D_i(x) = Σ_k s_ik |x_k − p_ik|``. The actor signs when ``V_i >= 0``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np


def normalise(salience: np.ndarray) -> np.ndarray:
    """Scale salience rows to sum to 1 (rows of zeros stay zero)."""
    salience = np.asarray(salience, dtype=float)
    total = salience.sum(axis=-1, keepdims=True)
    return np.divide(salience, total, out=np.zeros_like(salience), where=total > 0)


def distance(x: np.ndarray, position: np.ndarray, salience: np.ndarray) -> np.ndarray:
    """Salience-weighted absolute distance ``Σ_k s_k |x_k − p_k|`` on [0, 1], row-wise."""
    gap = np.abs(np.asarray(x) - position)
    # One reduction for every shape (not ``gap @ salience``, whose BLAS order differs):
    # the batched engine sums over the same last axis and must agree to the last bit.
    return np.einsum("...j,...j->...", np.broadcast_to(salience, gap.shape), gap)


RIVALRY, CONTENT, CHOICE = 1, 2, 3
"""Codes of the reason an actor declines (0: it signs)."""
REASONS = {RIVALRY: "rivalry", CONTENT: "content", CHOICE: "choice"}


def terms(legitimacy, gain, distance_, depth, cross_share, tension, kappa0, kappa1):  # noqa: ANN001, ANN201
    """The four terms of ``V_i(x, d)``: legitimacy, cooperation ``d·G``, content ``d·D``, rivalry.

    Works on floats and on arrays alike (the kernel passes (R, m) arrays). ``gain`` is
    G_i plus any focal bonus; ``distance_`` is D_i(x) on [0, 1]; ``cross_share`` X_i on
    [0, 1]. V is ``legitimacy + cooperation − content − rivalry``, summed in that order.
    """
    return (
        legitimacy,
        depth * gain,
        depth * distance_,
        cross_share * tension * (kappa0 + kappa1 * depth),
    )


def rivalry_decides(cooperation, content, rivalry):  # noqa: ANN001, ANN201
    """Whether a rejection is for rivalry (else for content, counted net of cooperation: d·(D − G))."""
    return rivalry >= content - cooperation


class Appraisal(NamedTuple):
    """One actor's reading of one offer: the terms of its utility and its decision.

    A named tuple: one is made per actor, level and round in the event log, so it must be cheap.
    """

    legitimacy: float
    cooperation: float
    content: float
    rivalry: float
    choice: bool | None = None  # a player's own decision, overriding the utility rule

    @property
    def value(self) -> float:
        """V: sum of the terms; the actor signs when it is >= 0."""
        return self.legitimacy + self.cooperation - self.content - self.rivalry

    @property
    def accepts(self) -> bool:
        """Whether the actor signs: its player's choice, else whether the deal beats no deal."""
        return self.value >= 0.0 if self.choice is None else self.choice

    @property
    def reason(self) -> str | None:
        """Why the actor rejects: ``"rivalry"``, ``"content"``, or ``"choice"`` (a player said no)."""
        if self.accepts:
            return None
        if self.choice is False:
            return "choice"
        return "rivalry" if rivalry_decides(self.cooperation, self.content, self.rivalry) else "content"


def appraise(
    *,
    x: np.ndarray,
    depth: float,
    position: np.ndarray,
    salience: np.ndarray,
    legitimacy: float,
    gain: float,
    tension: float,
    cross_share: float,
    kappa0: float,
    kappa1: float,
) -> Appraisal:
    """``V_i(x, d)`` for one actor reading content ``x`` exactly, as an :class:`Appraisal`."""
    d_i = float(distance(x, position, salience))
    return Appraisal(
        *(float(v) for v in terms(legitimacy, gain, d_i, float(depth), cross_share, tension, kappa0, kappa1))
    )


def compromise_point(positions: np.ndarray, salience: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Capability × salience weighted mean of positions, issue by issue.

    ``positions`` and ``salience`` are (actors × issues); ``weight`` is per actor.
    An issue nobody cares about falls back to the plain weighted mean.
    """
    weight = np.asarray(weight, dtype=float)
    w = weight[:, None] * salience
    total = w.sum(axis=0)
    if np.all(total > 0):
        return (w * positions).sum(axis=0) / total
    plain = np.average(positions, axis=0, weights=weight + 1e-12)
    return np.where(total > 0, (w * positions).sum(axis=0) / np.where(total > 0, total, 1.0), plain)


def rival_cosigners(signing: np.ndarray, same_bloc: np.ndarray) -> np.ndarray:
    """X_i for each member: the share of the *other* signatories in another bloc (0 if none).

    ``signing`` (..., m) says who signs; ``same_bloc`` (m, m) whether two members share a
    bloc. Counts are integers, so the shares are exact.
    """
    signing = np.asarray(signing)
    n = signing.sum(axis=-1, keepdims=True)
    same = signing.astype(np.int64) @ same_bloc.T.astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 1, (n - same) / (n - 1), 0.0)


def cross_shares(blocs: Sequence[str] | np.ndarray) -> np.ndarray:
    """X_i for each member of a group that all sign, given their blocs."""
    blocs = [str(b) for b in blocs]
    same = np.array([[a == b for b in blocs] for a in blocs], dtype=bool).reshape(len(blocs), len(blocs))
    return rival_cosigners(np.ones(len(blocs), dtype=bool), same)


def trust(cross_capability_share: float, tension: float, trust_cross_bloc: float) -> float:
    """Trust in a proposal on [0, 1]: full from one's own bloc, θ·(1 − τ) from rivals, mixed by capability."""
    return (1.0 - cross_capability_share) + cross_capability_share * trust_cross_bloc * (1.0 - tension)
