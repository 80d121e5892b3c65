"""Aggregate replications into probabilities with 95% Wilson intervals.

Every probability carries its estimate, interval and number of replications, and is
flagged ``wide`` with a suggested replication count when its half-width exceeds 0.05.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence

from sim.outputs.stats import estimate
from sim.scenario import Scenario


def _count(rows: list[dict], test: Callable[[dict], bool]) -> dict:
    return estimate(sum(1 for r in rows if test(r)), len(rows))


def _signed(row: dict, level: str) -> set[str]:
    return set(filter(None, row[f"{level}_signatories"].split(";")))


def _blocked(row: dict, level: str) -> dict[str, str]:
    pairs = (item.split(":") for item in row[f"{level}_blockers"].split(";") if item)
    return dict(pairs)


def summarise(scenario: Scenario, rows: list[dict], seed: int, drawn: Sequence[Sequence[float]] | None = None) -> dict:
    """Summary of outcome rows (one per replication) of ``scenario``; JSON-ready, deterministic.

    With ``drawn`` (what each replication drew where the scenario has a distribution, see
    :attr:`sim.experiments.runner.Replication.drawn`) it ends with the ``hinge`` block
    (:mod:`sim.outputs.hinge`): the inputs whose threshold flips each main outcome.
    """
    gov_ids = [g.id for g in scenario.governments]
    levels = []
    for level in scenario.ladder:
        name = level.name
        blockers = {}
        for actor in gov_ids:
            reasons = Counter(_blocked(r, name)[actor] for r in rows if actor in _blocked(r, name))
            if reasons:
                blockers[actor] = {
                    **_count(rows, lambda r, a=actor, n=name: a in _blocked(r, n)),
                    "reasons": dict(sorted(reasons.items())),
                }
        levels.append(
            {
                "level": name,
                "label": level.label or name.replace("_", " "),
                "depth": level.depth,
                "agreement": _count(rows, lambda r, n=name: r[f"{n}_agreed"]),
                "cross_bloc": _count(rows, lambda r, n=name: r[f"{n}_cross_bloc"]),
                "signs": {a: _count(rows, lambda r, a=a, n=name: a in _signed(r, n)) for a in gov_ids},
                "blockers": blockers,
            }
        )
    sub = scenario.substantive_level
    business = {
        "cross_bloc": _count(rows, lambda r: r["business_level"] == "cross_bloc"),
        "within_bloc_only": _count(rows, lambda r: r["business_level"] == "within_bloc"),
        "none": _count(rows, lambda r: r["business_level"] == "none"),
        "mean_adoption": {
            k.removeprefix("adoption_"): round(sum(r[k] for r in rows) / len(rows), 6)
            for k in rows[0]
            if k.startswith("adoption_")
        },
    }
    summary = {
        "scenario": scenario.name,
        "replications": len(rows),
        "seed": seed,
        "substantive_from": sub.name,
        "government": {
            "levels": levels,
            "none": _count(rows, lambda r: r["gov_level"] == "none"),
            "substantive_cross_bloc": _count(rows, lambda r: r["gov_cross_depth"] >= sub.depth),
        },
        "blocs": {
            bloc: {
                lv.name: _count(rows, lambda r, b=bloc, d=lv.depth: r[f"bloc_{b}_depth"] >= d) for lv in scenario.ladder
            }
            for bloc in scenario.blocs
        },
        "business": business,
        "first": {
            k: _count(rows, lambda r, k=k: r["first"] == k) for k in ("government", "business", "same_round", "neither")
        },
        "top_blockers": _top_blockers(levels),
        "baselines": _baselines(scenario, rows),
    }
    if drawn is not None:
        from sim.outputs.hinge import run_hinge  # numpy and the box search only where a hinge is asked for

        summary["hinge"] = run_hinge(scenario, rows, drawn)
    return summary


def _top_blockers(levels: list[dict], most: int = 8) -> list[dict]:
    found = []
    for level in levels:
        for actor, info in level["blockers"].items():
            reason = max(info["reasons"], key=lambda k: (info["reasons"][k], k))
            found.append(
                {
                    "actor": actor,
                    "level": level["level"],
                    "p": info["p"],
                    "low": info["low"],
                    "high": info["high"],
                    "n": info["n"],
                    "reason": reason,
                }
            )
    found.sort(key=lambda b: (-b["p"], b["actor"], b["level"]))
    return found[:most]


def _baselines(scenario: Scenario, rows: list[dict]) -> dict:
    """Mean baseline predictions per issue and the mean content of the deepest deal reached."""
    out = {}
    for issue in scenario.issue_ids:
        entry = {}
        for name in ("weighted_mean", "median", "nash", "deal"):
            values = [r[f"{name}_{issue}"] for r in rows if not math.isnan(r[f"{name}_{issue}"])]
            entry[name] = round(sum(values) / len(values), 6) if values else None
        out[issue] = entry
    return out


def wide_estimates(summary: dict, path: str = "") -> list[tuple[str, dict]]:
    """Every estimate in ``summary`` whose 95% interval is wider than ±0.05, with its path."""
    found = []
    if isinstance(summary, dict):
        if "wide" in summary and "p" in summary:
            return [(path, summary)]
        for k, v in summary.items():
            found += wide_estimates(v, f"{path}.{k}" if path else str(k))
    elif isinstance(summary, list):
        for i, v in enumerate(summary):
            label = v.get("level", i) if isinstance(v, dict) else i
            found += wide_estimates(v, f"{path}.{label}")
    return found
