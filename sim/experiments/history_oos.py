"""Out-of-sample scores of the history backtest: leave-one-out, the time splits, and their spreads.

Every predictor is scored under three schemes, on the same cases:

* ``leave_one_out``: each case forecast by the grid point fitted on all the other cases
  (everything fitted is refitted: the case files hold no input of their own);
* ``time_split_forward``: one point fitted on the cases dated before
  :data:`~sim.experiments.history.SPLIT_DATE`, forecasting the cases dated after it;
* ``time_split_backward``: the reverse (fitted on the later cases, forecasting the earlier).

The baselines fit nothing, so under every scheme their forecast of a case is their
prediction of it; a stored prediction scores the cases it holds. Two spreads go with every
hit count:

* ``replications_90``: the 90% interval of the hit count when each case's replications are
  drawn again (:mod:`sim.experiments.history_noise`; zero width for a rule with no sampling);
* ``cases_90``: the 90% interval of the hit rate when the scored cases are resampled with
  replacement (:data:`BOOTSTRAP` draws): how much the figure owes to which cases the record
  happens to hold. ``versus_model`` gives the same for the paired difference of hit rates
  between the model and each other predictor (positive: the model hits more).
"""

from __future__ import annotations

import zlib

import numpy as np

from sim.experiments.history import SPLIT_DATE, HistoryResult
from sim.experiments.history_noise import noise_of
from sim.experiments.history_scores import CaseScore, Prediction, totals

SCHEMES = ("leave_one_out", "time_split_forward", "time_split_backward")
BOOTSTRAP = 2000
"""Case resamples for the ``cases_90`` intervals."""


def _rng(seed: int, *names: str) -> np.random.Generator:
    """A generator fixed by the master seed and names (the same command gives the same intervals)."""
    return np.random.default_rng([seed, *(zlib.crc32(n.encode()) for n in names)])


def case_interval(hits: list[bool], rng: np.random.Generator) -> list[float]:
    """90% interval of the hit rate under resampled cases; ``[]`` with no case."""
    if not hits:
        return []
    x = np.asarray(hits, dtype=float)
    rates = x[rng.integers(0, len(x), size=(BOOTSTRAP, len(x)))].mean(axis=1)
    return [round(float(np.quantile(rates, 0.05)), 4), round(float(np.quantile(rates, 0.95)), 4)]


def paired_interval(a: list[bool], b: list[bool], rng: np.random.Generator) -> dict:
    """Mean difference of hit rates ``a − b`` on the same cases, with its 90% case-resampling interval."""
    x = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    if not len(x):
        return {"cases": 0}
    draws = x[rng.integers(0, len(x), size=(BOOTSTRAP, len(x)))].mean(axis=1)
    return {
        "cases": len(x),
        "difference": round(float(x.mean()), 4),
        "interval_90": [round(float(np.quantile(draws, 0.05)), 4), round(float(np.quantile(draws, 0.95)), 4)],
    }


def schemes_of(result: HistoryResult) -> dict[str, dict[str, tuple[list[CaseScore], list[Prediction]]]]:
    """Per predictor, per scheme: the scores and predictions of the cases it forecasts out of sample."""
    index = {c.id: i for i, c in enumerate(result.cases)}
    out: dict[str, dict[str, tuple[list[CaseScore], list[Prediction]]]] = {}
    tests = {name: split.test for name, split in result.splits.items()}
    model: dict[str, tuple[list[CaseScore], list[Prediction]]] = {}
    if result.points:
        model["leave_one_out"] = (result.loo, result.loo_predictions)
        for name, split in result.splits.items():
            model[name] = (split.scores, split.predictions)
    out["model"] = model
    for name, scores in result.scores.items():
        if name == "model":
            continue
        by_id = {s.case: s for s in scores}
        preds = result.predictions[name]
        fixed: dict[str, tuple[list[CaseScore], list[Prediction]]] = {}
        for scheme in SCHEMES:
            ids = [c.id for c in result.cases] if scheme == "leave_one_out" else tests.get(scheme)
            if ids is None:
                continue
            ids = [i for i in sorted(ids, key=index.__getitem__) if i in by_id]
            fixed[scheme] = ([by_id[i] for i in ids], [preds[i] for i in ids])
        out[name] = fixed
    return out


def _spread(result: HistoryResult, name: str, scheme: str, scores: list[CaseScore], preds: list[Prediction]) -> dict:
    """Per level: hits, cases, and both 90% intervals."""
    by_id = {c.id: c for c in result.cases}
    cases = [by_id[s.case] for s in scores]
    noise = noise_of(cases, preds, result.replications, result.seed)
    out = {}
    for level in ("government", "business", "all"):
        chosen = [s for s in scores if level == "all" or s.level == level]
        if not chosen:
            continue
        out[level] = {
            "hits": sum(s.hit for s in chosen),
            "cases": len(chosen),
            "replications_90": noise[level]["interval_90"],
            "cases_90": case_interval([s.hit for s in chosen], _rng(result.seed, name, scheme, level)),
        }
    return out


def out_of_sample(result: HistoryResult) -> dict:
    """The ``out_of_sample`` block of summary.json (stable field names, README "History backtest")."""
    if not result.points:
        return {
            "fitted": False,
            "note": "no fit grid (--no-fit): only in-sample scores; run without --no-fit for out-of-sample scores",
        }
    n_before = sum(c.date < SPLIT_DATE for c in result.cases)
    schemes = {
        "leave_one_out": "each case forecast by the grid point fitted on all the other cases",
        "time_split_forward": f"one point fitted on the {n_before} cases dated before {SPLIT_DATE}, "
        f"forecasting the {len(result.cases) - n_before} later ones",
        "time_split_backward": f"one point fitted on the {len(result.cases) - n_before} cases dated on or after "
        f"{SPLIT_DATE}, forecasting the {n_before} earlier ones",
    }
    table = schemes_of(result)
    predictors: dict[str, dict] = {}
    for name, by_scheme in table.items():
        predictors[name] = {
            scheme: totals(scores) | {"spread": _spread(result, name, scheme, scores, preds)}
            for scheme, (scores, preds) in by_scheme.items()
        }
    versus: dict[str, dict] = {}
    for name, by_scheme in table.items():
        if name == "model":
            continue
        versus[name] = {}
        for scheme, (scores, _) in by_scheme.items():
            model_hits = {s.case: s.hit for s in table["model"].get(scheme, ([], []))[0]}
            common = [s for s in scores if s.case in model_hits]
            versus[name][scheme] = paired_interval(
                [model_hits[s.case] for s in common], [s.hit for s in common], _rng(result.seed, "versus", name, scheme)
            )
    splits = {
        name: {"train": split.train, "test": split.test, "chosen": result.points[split.chosen]}
        for name, split in result.splits.items()
    }
    return {
        "fitted": True,
        "stored_note": "a stored prediction is scored as frozen, on the cases it holds: not refitted, so not out of "
        "sample unless it was sealed before its cases happened",
        "split_date": SPLIT_DATE,
        "schemes": schemes,
        "splits": splits,
        "predictors": predictors,
        "versus_model": versus,
    }
