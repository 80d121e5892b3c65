"""Classify a finished run into flat outcome fields (one row per replication).

Government level: for each rung of the ladder, whether a deal was reached, whether
its signatories span two or more blocs, when, who signed and who blocked it last
(with the term of their utility that made them reject). Business level: none,
within one bloc only, or across blocs (every bloc's adoption share >= quorum).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from sim.rules import baselines

if TYPE_CHECKING:
    from sim.model import NegotiationModel
    from sim.scenario import Level


def _join(items: Iterable[str]) -> str:
    return ";".join(sorted(items))


def classify(model: NegotiationModel) -> dict:
    """Outcome fields of a finished model run; values are str, int, float or bool."""
    s = model.spec
    out: dict = {}
    deepest = deepest_cross = None
    substantive = s.substantive_level
    sub_round = None
    for level in model.ladder:
        deal = model.deals.get(level.name)
        cross = bool(deal) and model.is_cross_bloc(deal.signatories)
        out[f"{level.name}_agreed"] = deal is not None
        out[f"{level.name}_cross_bloc"] = cross
        out[f"{level.name}_round"] = deal.round if deal else 0
        out[f"{level.name}_signatories"] = _join(deal.signatories) if deal else ""
        blockers = {} if deal and cross else model.blockers.get(level.name, {})
        out[f"{level.name}_blockers"] = _join(f"{a}:{r}" for a, r in blockers.items())
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
        members = {g.actor_id for g in model.governments if g.bloc == bloc}
        best = 0.0
        for level in model.ladder:
            deal = model.deals.get(level.name)
            if deal and members <= deal.signatories:
                best = level.depth
        out[f"bloc_{bloc}_depth"] = best
    business = "cross_bloc" if model.business_cross_now else "within_bloc" if model.business_within_now else "none"
    out["business_level"] = business
    out["business_round"] = model.business_cross_round or 0
    for bloc, share in zip(model.forum.blocs, model.business_shares, strict=True):
        out[f"adoption_{bloc}"] = round(float(share), 6)
    out["first"] = _first(sub_round, model.business_cross_round)
    out["rounds"] = model.round
    out.update(_baselines(model, deepest))
    return out


def _first(gov_round: int | None, business_round: int | None) -> str:
    if gov_round is None and business_round is None:
        return "neither"
    if business_round is None or (gov_round is not None and gov_round < business_round):
        return "government"
    if gov_round is None or business_round < gov_round:
        return "business"
    return "same_round"


def _baselines(model: NegotiationModel, deepest: Level | None) -> dict:
    """Baseline predictions from the initial positions, and the deal's content beside them."""
    govs = model.governments
    pos = np.array([g.ideal for g in govs])
    sal = np.array([g.salience for g in govs])
    cap = np.array([g.capability for g in govs])
    q = np.array([i.status_quo for i in model.spec.issues])
    ids = tuple(model.spec.issue_ids)
    out = dict(_predict(pos.tobytes(), sal.tobytes(), cap.tobytes(), q.tobytes(), pos.shape, ids))
    deal = model.deals[deepest.name].content if deepest is not None else np.full(len(q), np.nan)
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
