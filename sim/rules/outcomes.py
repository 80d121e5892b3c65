"""Classify finished runs into flat outcome fields (one row per replication).

Government level: for each rung of the ladder, whether a deal was reached, whether
its signatories span two or more blocs, when, who signed and who blocked it last
(with the term of their utility that made them reject). Business level: none,
within one bloc only, or across blocs (every bloc's adoption share >= quorum).
Read from a kernel's arrays (:class:`~sim.rules.state.RunState`), one replication
at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from sim.rules import baselines
from sim.rules.utility import REASONS

if TYPE_CHECKING:
    from sim.rules.state import RunState
    from sim.scenario import Level


def _join(items: Iterable[str]) -> str:
    return ";".join(sorted(items))


def classify_all(run: RunState) -> list[dict]:
    """Outcome fields of every replication of a finished kernel, in replication order."""
    return [classify(run, r) for r in range(run.reps)]


def blockers(run: RunState, r: int) -> dict[str, dict[str, str]]:
    """Replication ``r``'s last blockers of each refused rung: rung -> actor -> reason."""
    return {
        lv.name: {run.gov_ids[g]: REASONS[int(c)] for g, c in enumerate(run.blocker_code[r, level]) if c}
        for level, lv in enumerate(run.ladder)
        if run.blocker_set[r, level]
    }


def classify(run: RunState, r: int = 0) -> dict:
    """Outcome fields of replication ``r`` of a finished kernel; values are str, int, float or bool."""
    s = run.specs[r]
    deals = run.deals(r)
    refused = blockers(run, r)
    out: dict = {}
    deepest = deepest_cross = None
    substantive = s.substantive_level
    sub_round = None
    for level in run.ladder:
        deal = deals.get(level.name)
        cross = bool(deal) and run.is_cross_bloc(deal.signatories)
        out[f"{level.name}_agreed"] = deal is not None
        out[f"{level.name}_cross_bloc"] = cross
        out[f"{level.name}_round"] = deal.round if deal else 0
        out[f"{level.name}_signatories"] = _join(deal.signatories) if deal else ""
        who = {} if deal and cross else refused.get(level.name, {})
        out[f"{level.name}_blockers"] = _join(f"{a}:{why}" for a, why in who.items())
        if deal:
            deepest = level
        if cross:
            deepest_cross = level
            if level.depth >= substantive.depth and sub_round is None:
                sub_round = deal.round
    out["gov_level"] = deepest.name if deepest else "none"
    out["gov_depth"] = deepest.depth if deepest else 0.0
    out["gov_cross_level"] = deepest_cross.name if deepest_cross else "none"
    out["gov_cross_depth"] = deepest_cross.depth if deepest_cross else 0.0
    out["gov_substantive_round"] = sub_round or 0
    for bloc in s.blocs:
        members = {g for g, b in zip(run.gov_ids, run.gov_bloc, strict=True) if b == bloc}
        best = 0.0
        for level in run.ladder:
            deal = deals.get(level.name)
            if deal and members <= deal.signatories:
                best = level.depth
        out[f"bloc_{bloc}_depth"] = best
    forum = run.forum
    business = "cross_bloc" if forum.cross_now[r] else "within_bloc" if forum.within_now[r] else "none"
    out["business_level"] = business
    business_round = int(forum.cross_round[r]) or None
    out["business_round"] = business_round or 0
    for bloc, share in zip(forum.blocs, forum.shares[r], strict=True):
        out[f"adoption_{bloc}"] = round(float(share), 6)
    for bloc, share in zip(forum.blocs, forum.bloc_shares[r], strict=True):
        out[f"own_standard_{bloc}"] = round(float(share), 6)  # on its bloc's standard only
    out["first"] = _first(sub_round, business_round)
    out["rounds"] = run.round
    out.update(_baselines(run, r, deals, deepest))
    return out


def _first(gov_round: int | None, business_round: int | None) -> str:
    if gov_round is None and business_round is None:
        return "neither"
    if business_round is None or (gov_round is not None and gov_round < business_round):
        return "government"
    if gov_round is None or business_round < gov_round:
        return "business"
    return "same_round"


def _baselines(run: RunState, r: int, deals: dict, deepest: Level | None) -> dict:
    """Baseline predictions from the initial positions, and the deal's content beside them."""
    pos = np.ascontiguousarray(run.ideal[r])
    sal = np.ascontiguousarray(run.sal[r])
    cap = np.ascontiguousarray(run.cap[r])
    q = np.array([i.status_quo for i in run.specs[r].issues])
    ids = tuple(run.ids)
    out = dict(_predict(pos.tobytes(), sal.tobytes(), cap.tobytes(), q.tobytes(), pos.shape, ids))
    deal = deals[deepest.name].content if deepest is not None else np.full(len(q), np.nan)
    out.update(_fields("deal", ids, deal))
    return out


def _fields(name: str, issue_ids: tuple[str, ...], x: np.ndarray) -> dict:
    return {f"{name}_{issue}": round(float(value), 6) for issue, value in zip(issue_ids, x, strict=True)}


@lru_cache(maxsize=256)
def _predict(pos: bytes, sal: bytes, cap: bytes, q: bytes, shape: tuple, issue_ids: tuple[str, ...]) -> tuple:
    """Baseline fields for one set of inputs; cached because fixed inputs repeat across replications."""
    pos_a = np.frombuffer(pos).reshape(shape)
    sal_a = np.frombuffer(sal).reshape(shape)
    cap_a, q_a = np.frombuffer(cap), np.frombuffer(q)
    predictions = {
        "weighted_mean": baselines.weighted_mean(pos_a, sal_a, cap_a),
        "median": baselines.median(pos_a),
        "nash": baselines.nash_bargaining(pos_a, sal_a, cap_a, q_a),
    }
    return tuple(item for name, x in predictions.items() for item in _fields(name, issue_ids, x).items())
