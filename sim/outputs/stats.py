"""Probabilities with honest uncertainty: Wilson score intervals."""

from __future__ import annotations

import math

Z95 = 1.959963984540054
TARGET_HALF_WIDTH = 0.05


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float, float]:
    """Estimate and 95% Wilson score interval ``(p, low, high)`` for ``successes`` of ``n``."""
    if n <= 0:
        return (float("nan"), 0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # at 0 or n successes the bound is exactly 0 or 1: rounding error would write 1.7e-18
    low = 0.0 if successes <= 0 else max(0.0, centre - half)
    high = 1.0 if successes >= n else min(1.0, centre + half)
    return (p, low, high)


def replications_for(p: float, half_width: float = TARGET_HALF_WIDTH, z: float = Z95) -> int:
    """Replications for a normal-approximation half-width of ``half_width`` at probability ``p``."""
    p = min(max(p, 0.05), 0.95) if math.isfinite(p) else 0.5
    return math.ceil(z * z * p * (1 - p) / half_width**2)


def estimate(successes: int, n: int) -> dict:
    """A probability as written to results: estimate, interval, n, and a warning if too wide."""
    p, lo, hi = wilson(successes, n)
    out = {"p": round(p, 6), "low": round(lo, 6), "high": round(hi, 6), "n": n}
    if (hi - lo) / 2 > TARGET_HALF_WIDTH:
        out["wide"] = True
        out["suggested_replications"] = replications_for(p)
    return out


def percent(est: dict) -> str:
    """A probability estimate as ``42% [36–49]``: the one format of run and sweep output (its Wilson interval)."""
    return f"{est['p'] * 100:.0f}% [{est['low'] * 100:.0f}–{est['high'] * 100:.0f}]"
