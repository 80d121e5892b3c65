"""Scores of predicted outcome patterns against the record.

A prediction of a case is a distribution over patterns (``"declaration:china;us"``,
``"none:"``) and, for each actor at the table, a distribution over the five ranks of
the ladder (none, declaration, voluntary_commitments, shared_testing, binding).

* hit: the modal pattern (most probable; ties go to the first key in sorted order) is
  the observed one;
* P(observed): the probability given to the observed pattern, and its log floored
  at :data:`LOG_FLOOR`;
* RPS: the ranked probability score of each actor's rank distribution against the
  rank it reached, ``(1/(K−1)) Σ_{k<K} (F_k − O_k)²`` with cumulative predicted F and
  observed O over the K = 5 ranks (0 perfect, 1 all mass on the far wrong end),
  averaged over the actors at the table.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from sim.experiments.history_record import LADDER, Case

LOG_FLOOR = 1e-3
"""Probability floor for log scores: a pattern given probability 0 scores log(0.001)."""


@dataclass(frozen=True)
class Prediction:
    """Probabilities per pattern key and, per actor at the table, per rank of :data:`LADDER`."""

    patterns: dict[str, float]
    depths: dict[str, list[float]]

    @property
    def modal(self) -> tuple[str, float]:
        """The most probable pattern and its probability (ties: first key in sorted order)."""
        if not self.patterns:
            return "none:", 0.0
        key = min(sorted(self.patterns), key=lambda k: -self.patterns[k])
        return key, self.patterns[key]


@dataclass(frozen=True)
class CaseScore:
    """One case scored: observed and modal patterns, P(observed), mean RPS, hit, what differs."""

    case: str
    level: str
    observed: str
    modal: str
    p_modal: float
    p_observed: float
    rps: float
    hit: bool
    differs: str
    actor_rps: dict[str, float]


def rps(probabilities: list[float], observed: int) -> float:
    """Ranked probability score of a distribution over ordered categories; ``observed`` is an index."""
    k = len(probabilities)
    cumulative, total = 0.0, 0.0
    for i in range(k - 1):
        cumulative += probabilities[i]
        total += (cumulative - (1.0 if i >= observed else 0.0)) ** 2
    return total / (k - 1)


def split(key: str) -> tuple[str, set[str]]:
    """``"declaration:china;us"`` → ("declaration", {"china", "us"})."""
    depth, _, names = key.partition(":")
    return depth, {a for a in names.split(";") if a}


def differences(case: Case, modal: str) -> str:
    """What the modal pattern gets wrong against the record, in words ('' for a hit)."""
    depth, signers = split(modal)
    parts = []
    if depth != case.depth:
        parts.append(f"rung {depth} (observed {case.depth})")
    for a in case.at_table:
        if a in signers and a not in case.signed:
            parts.append(f"{a} signs (observed: did not)")
        elif a not in signers and a in case.signed:
            parts.append(f"{a} does not sign (observed: signed)")
    return "; ".join(parts)


def score_case(case: Case, prediction: Prediction) -> CaseScore:
    """Score one prediction against the case's observed pattern."""
    modal, p_modal = prediction.modal
    per_actor = {}
    for a in case.at_table:
        dist = prediction.depths.get(a) or [1.0] + [0.0] * (len(LADDER) - 1)
        per_actor[a] = rps(dist, case.observed_depth(a))
    return CaseScore(
        case.id,
        case.level,
        case.observed,
        modal,
        p_modal,
        prediction.patterns.get(case.observed, 0.0),
        statistics.fmean(per_actor.values()),
        modal == case.observed,
        differences(case, modal),
        per_actor,
    )


def totals(scores: list[CaseScore]) -> dict:
    """Hit rates and mean RPS (government, business, all), mean P(observed), mean log P(observed)."""

    def rate(level: str | None) -> float | None:
        chosen = [s.hit for s in scores if level is None or s.level == level]
        return round(sum(chosen) / len(chosen), 6) if chosen else None

    def mean_rps(level: str) -> float | None:  # by track: the two tracks' scores differ in kind and size
        chosen = [s.rps for s in scores if s.level == level]
        return round(statistics.fmean(chosen), 6) if chosen else None

    def mean_log_p(level: str) -> float | None:
        chosen = [math.log(max(s.p_observed, LOG_FLOOR)) for s in scores if s.level == level]
        return round(statistics.fmean(chosen), 6) if chosen else None

    if not scores:
        return {"cases": 0}
    return {
        "cases": len(scores),
        "hits": sum(s.hit for s in scores),
        "hit_rate": rate(None),
        "hit_rate_government": rate("government"),
        "hit_rate_business": rate("business"),
        "mean_p_observed": round(statistics.fmean(s.p_observed for s in scores), 6),
        "mean_log_p_observed": round(statistics.fmean(math.log(max(s.p_observed, LOG_FLOOR)) for s in scores), 6),
        "mean_rps": round(statistics.fmean(s.rps for s in scores), 6),
        "mean_rps_government": mean_rps("government"),
        "mean_rps_business": mean_rps("business"),
        "mean_log_p_observed_government": mean_log_p("government"),
        "mean_log_p_observed_business": mean_log_p("business"),
    }


def choose_loo(grid_rps: list[list[float]]) -> list[int]:
    """For each held-out case, the grid point with the least mean RPS over the other cases.

    ``grid_rps[k][i]`` is case i's RPS at point k. Ties go to the first point in grid
    order. With one case, the held-out fold has nothing to fit on: point 0.
    """
    n = len(grid_rps[0]) if grid_rps else 0
    chosen = []
    for i in range(n):
        if n == 1:
            chosen.append(0)
            continue
        means = fold_means(grid_rps, i)
        chosen.append(min(range(len(means)), key=lambda k: (means[k], k)))
    return chosen


def choose_on(grid_rps: list[list[float]], train: list[int]) -> int:
    """The grid point with the least mean RPS over the cases ``train`` (ties: the first point in grid order)."""
    means = [sum(row[i] for i in train) / len(train) for row in grid_rps]
    return min(range(len(means)), key=lambda k: (means[k], k))


def fold_means(grid_rps: list[list[float]], i: int) -> list[float]:
    """Each grid point's mean RPS over the cases other than ``i`` (the fold that holds ``i`` out)."""
    n = len(grid_rps[0])
    return [(sum(row) - row[i]) / (n - 1) for row in grid_rps]


def tied(grid_rps: list[list[float]], i: int, k: int, tol: float = 1e-9) -> list[int]:
    """The grid points other than ``k`` whose mean RPS over the cases other than ``i`` equals ``k``'s.

    Points that predict the other cases identically cannot be told apart by the record: the
    fold's choice among them is the grid's order, not a finding.
    """
    if not grid_rps or len(grid_rps[0]) <= 1:
        return []
    means = fold_means(grid_rps, i)
    return [j for j, m in enumerate(means) if j != k and abs(m - means[k]) <= tol]


def unfixed_axes(points: list[dict], chosen: list[int], ties: list[list[int]]) -> dict[str, dict]:
    """Per axis, in how many folds the record leaves its value open, and the values that tie.

    An axis is open in a fold when a point tied with the chosen one has another value on it.
    """
    out: dict[str, dict] = {}
    for k, others in zip(chosen, ties, strict=True):
        for axis, value in points[k].items():
            values = {value} | {points[j][axis] for j in others}
            if len(values) > 1:
                entry = out.setdefault(axis, {"folds": 0, "values": set()})
                entry["folds"] += 1
                entry["values"] |= values
    return {a: {"folds": e["folds"], "values": sorted(e["values"], key=str)} for a, e in out.items()}
