"""Pure numpy functions of the bargaining model: distances, utilities, proposals.

Positions and contents are arrays on [0, 1] (one entry per issue); salience rows are
normalised to sum to 1, so a salience-weighted distance is also on [0, 1].

The utility of an agreement with content ``x`` at depth ``d`` for actor *i*
(status quo, i.e. no agreement, = 0)::

    V_i(x, d) = L_i + d · (G_i − D_i(x)) − τ · X_i · (κ0 + κ1 · d)

with ``D_i(x) = Σ_k s_ik |x_k − p_ik|``. The actor signs when ``V_i >= 0``.
"""

from __future__ import annotations

from functools import lru_cache
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


class Appraisal(NamedTuple):
    """One actor's reading of one offer: the terms of its utility and its decision.

    A named tuple: one is made per actor, level and round, so it must be cheap.
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
        """Why the actor rejects: ``"rivalry"``, ``"content"``, or ``"choice"`` (a player said no).

        Content counts net of the gain of cooperating, d·(D − G): a far proposal is
        only a reason to reject when it costs more than cooperation brings.
        """
        if self.accepts:
            return None
        if self.choice is False:
            return "choice"
        return "rivalry" if self.rivalry >= self.content - self.cooperation else "content"


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
    extra_cost: float = 0.0,
) -> Appraisal:
    """Terms of ``V_i(x, d)`` for one actor.

    ``cross_share`` (X_i, on [0, 1]) is the share of the other signatories that
    belong to another bloc; ``extra_cost`` is added to the rivalry term per unit of
    ``cross_share`` (business restrictions).
    """
    d = float(depth)
    return Appraisal(
        legitimacy=float(legitimacy),
        cooperation=d * float(gain),
        content=d * float(distance(x, position, salience)),
        rivalry=float(cross_share) * (float(tension) * (kappa0 + kappa1 * d) + extra_cost),
    )


def utility_rows(
    x: np.ndarray,
    depth: float,
    positions: np.ndarray,
    salience: np.ndarray,
    legitimacy: np.ndarray,
    gain: np.ndarray,
    rival_cost: np.ndarray,
) -> np.ndarray:
    """Vectorised ``V`` for many actors (companies): ``rival_cost`` is X_i·(τ(κ0+κ1 d)+extra)."""
    return legitimacy + depth * (gain - distance(x, positions, salience)) - rival_cost


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


def cross_shares(blocs: np.ndarray) -> np.ndarray:
    """X_i for each member of a group of signatories: share of the others in another bloc."""
    return np.array(cross_share_tuple(tuple(str(b) for b in blocs)))


@lru_cache(maxsize=4096)
def cross_share_tuple(blocs: tuple[str, ...]) -> tuple[float, ...]:
    """:func:`cross_shares` as plain floats for a tuple of blocs.

    Cached: a run asks about the same few tables over and over.
    """
    n = len(blocs)
    if n <= 1:
        return (0.0,) * n
    return tuple((n - blocs.count(b)) / (n - 1) for b in blocs)


def trust(cross_capability_share: float, tension: float, trust_cross_bloc: float) -> float:
    """Trust in a proposal on [0, 1]: full from one's own bloc, θ·(1 − τ) from rivals, mixed by capability."""
    return (1.0 - cross_capability_share) + cross_capability_share * trust_cross_bloc * (1.0 - tension)
