"""Pure numpy functions of the bargaining model: distances, utilities, proposals.

Positions and contents are arrays on [0, 1] (one entry per issue); salience rows are
normalised to sum to 1, so a salience-weighted distance is also on [0, 1].

The utility for actor *i* of signing a text with content ``x`` at depth ``d`` beside
co-signatories ``S`` (not signing = 0)::

    V_i = L_i + d·G_i − d·D_i(x) − λ_i·max(0, d − a_i) − τ·R_i(S)·(κ0 + κ1·d)

with ``D_i(x) = Σ_k s_ik |x_k − p_ik|`` over the content issues, ``a_i`` the depth the
actor wants (its ambition), ``λ_i`` what depth beyond it costs, and ``R_i(S)`` the
rival blocs' share of the capability of the coalition it signs in (0 when none): an
actor split into two identical halves weighs as it did whole. The actor signs when ``V_i >= 0``.
"""

from __future__ import annotations

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


RIVALRY, CONTENT, CHOICE, TOO_DEEP = 1, 2, 3, 4
"""Codes of the reason an actor declines (0: it signs)."""
REASONS = {RIVALRY: "rivalry", CONTENT: "content", CHOICE: "choice", TOO_DEEP: "too_deep"}


def terms(legitimacy, gain, distance_, depth, rival_share, tension, kappa0, kappa1, ambition=1.0, depth_cost=0.0):  # noqa: ANN001, ANN201
    """The five terms of ``V_i``: legitimacy, cooperation ``d·G``, content ``d·D``, rivalry, too deep.

    Works on floats and on arrays alike (the kernel passes (R, m) arrays). ``gain`` is
    G_i plus any focal bonus; ``distance_`` is D_i(x) on [0, 1]; ``rival_share`` R_i on
    [0, 1]; ``ambition`` a_i and ``depth`` on [0, 1]. V is
    ``legitimacy + cooperation − content − rivalry − too_deep``, summed in that order.
    """
    return (
        legitimacy,
        depth * gain,
        depth * distance_,
        rival_share * tension * (kappa0 + kappa1 * depth),
        depth_cost * np.maximum(0.0, depth - ambition),
    )


def value_of(terms_: tuple) -> np.ndarray | float:
    """V from its terms (see :func:`terms`)."""
    legitimacy, cooperation, content, rivalry, too_deep = terms_
    return legitimacy + cooperation - content - rivalry - too_deep


def reason_codes(content, rivalry, too_deep) -> np.ndarray:  # noqa: ANN001
    """Why a decliner declines: the largest of its three costs (rivalry first on ties, then content)."""
    content, rivalry, too_deep = np.broadcast_arrays(content, rivalry, too_deep)
    code = np.where(rivalry >= content, RIVALRY, CONTENT)
    worst = np.maximum(rivalry, content)
    return np.where(too_deep > worst, TOO_DEEP, code).astype(np.int8)


class Appraisal(NamedTuple):
    """One actor's reading of one text: the terms of its utility and its decision.

    A named tuple: one is made per actor, text and round in the event log, so it must be cheap.
    """

    legitimacy: float
    cooperation: float
    content: float
    rivalry: float
    too_deep: float = 0.0
    choice: bool | None = None  # a player's own decision, overriding the utility rule

    @property
    def value(self) -> float:
        """V: sum of the terms; the actor signs when it is >= 0."""
        return self.legitimacy + self.cooperation - self.content - self.rivalry - self.too_deep

    @property
    def accepts(self) -> bool:
        """Whether the actor signs: its player's choice, else whether the deal beats no deal."""
        return self.value >= 0.0 if self.choice is None else self.choice

    @property
    def reason(self) -> str | None:
        """Why the actor declines: ``"rivalry"``, ``"content"``, ``"too_deep"``, or ``"choice"`` (its player)."""
        if self.accepts:
            return None
        if self.choice is False:
            return "choice"
        return REASONS[int(reason_codes(self.content, self.rivalry, self.too_deep))]


def appraise(
    *,
    x: np.ndarray,
    depth: float,
    position: np.ndarray,
    salience: np.ndarray,
    legitimacy: float,
    gain: float,
    tension: float,
    rival_share: float,
    kappa0: float,
    kappa1: float,
    ambition: float = 1.0,
    depth_cost: float = 0.0,
) -> Appraisal:
    """``V_i`` for one actor reading content ``x`` exactly, as an :class:`Appraisal`."""
    d_i = float(distance(x, position, salience))
    values = terms(legitimacy, gain, d_i, float(depth), rival_share, tension, kappa0, kappa1, ambition, depth_cost)
    return Appraisal(*(float(v) for v in values))


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


SEQUENTIAL_SUM = 8
"""numpy adds fewer terms than this one after another in every memory layout (from 8 on it
may sum pairwise, in an order that depends on the layout)."""


def fallback_points(positions: np.ndarray, salience: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """:func:`compromise_point` of every row: ``positions``, ``salience`` (R, m, K), ``weight`` (R, m); (R, K).

    Bit for bit the row-by-row result: each sum below adds the same m terms, one after
    another, as the row's own does (numpy sums fewer than :data:`SEQUENTIAL_SUM` terms
    in order whatever the layout). Larger tables, and weights that sum to zero (the row's
    own call raises), are left to :func:`compromise_point` row by row.
    """
    weight = np.asarray(weight, dtype=float)
    plain_w = weight + 1e-12
    scale = plain_w.sum(axis=1)  # np.average's sum of the weights
    if positions.shape[1] >= SEQUENTIAL_SUM or np.any(scale == 0.0):
        return np.array([compromise_point(p, s, w) for p, s, w in zip(positions, salience, weight, strict=True)])
    w = weight[:, :, None] * salience
    total = w.sum(axis=1)
    mean = (w * positions).sum(axis=1)
    plain = np.multiply(positions, plain_w[:, :, None]).sum(axis=1) / scale[:, None]
    partial = np.where(total > 0, mean / np.where(total > 0, total, 1.0), plain)
    with np.errstate(divide="ignore", invalid="ignore"):
        whole = mean / total
    return np.where(np.all(total > 0, axis=1)[:, None], whole, partial)


def rival_shares(signing: np.ndarray, capability: np.ndarray, same_bloc: np.ndarray) -> np.ndarray:
    """R_i for each member: the rival blocs' share of the capability of the coalition it would sign in.

    The coalition is those ``signing`` (..., m) plus the member itself; ``capability``
    (..., m); ``same_bloc`` (m, m) whether two members share a bloc. Counting the member
    itself in the whole makes R invariant to splitting any actor into identical halves
    (a half's twin is not a rival, and the bloc's total is unchanged) and to relabelling;
    R is 0 when no rival signs.
    """
    held = np.where(signing, capability, 0.0)
    own = np.where(signing, 0.0, capability)  # the member itself, where it is not already counted
    total = held.sum(axis=-1, keepdims=True) + own
    same = held @ same_bloc.T.astype(float) + own  # its own bloc's capability in the coalition
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, (total - same) / total, 0.0)


def trust(cross_capability_share: float, tension: float, trust_cross_bloc: float) -> float:
    """Trust in a proposal on [0, 1]: full from one's own bloc, θ·(1 − τ) from rivals, mixed by capability."""
    return (1.0 - cross_capability_share) + cross_capability_share * trust_cross_bloc * (1.0 - tension)
