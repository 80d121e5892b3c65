"""Outputs of the history backtest: summary.json, cases.csv, a plot of P(observed), the console tables."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import tempfile
from pathlib import Path

from matplotlib.figure import Figure

from sim.experiments.history import HistoryResult, stored_json
from sim.experiments.history_noise import noise_of
from sim.experiments.history_oos import out_of_sample
from sim.experiments.history_scores import LOG_FLOOR, tied, totals, unfixed_axes
from sim.outputs.files import code_sha256, manifest, write_csv, write_json
from sim.scenario.errors import InputError, Problem

LABELS = {
    "model": "model (now)",
    "everyone_declares": "baseline (a): all at the table declare",
    "western_median": "baseline (b): west at median ambition, China ≤ declaration",
    "lookup_rule": "baseline (c): lookup rule (ambition 0 → none; China → all declare; else lowest ambition)",
}
NO_FIT = (
    "no --fit given: every case is predicted with its case file's coefficients, which were fitted on "
    "this record (scenarios/history/base.yaml, sources), so these hits are in-sample; --fit gives leave-one-out"
)
BUSINESS_NOTE = (
    "business cases: the model fixes the depth of an industry standard (business.standard_depth, "
    "voluntary_commitments in the base) and predicts only which homes' firms adopt it"
)
STORED_NOTE = (
    "a stored prediction is scored as it was frozen, on the cases it holds; those of v2 were made after its "
    "coefficients were fitted and some inputs set on those same 19 cases, so their scores are in-sample whatever "
    "the scheme's name"
)
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def label(name: str) -> str:
    """Readable name of a predictor (``stored:v1`` → ``stored: v1``)."""
    return LABELS.get(name) or f"stored: {name.removeprefix('stored:')}"


def summary_of(result: HistoryResult, record: str, scenarios: str) -> dict:
    """Every figure of the backtest, per predictor and per case, leave-one-out and the model's misses."""
    dates = {c.id: c.date for c in result.cases}
    predictors = {
        name: {
            "label": label(name),
            "totals": totals(scores),
            "cases": [dataclasses.asdict(s) | {"date": dates[s.case]} for s in scores],
        }
        for name, scores in result.scores.items()
    }
    model = [result.predictions["model"][c.id] for c in result.cases]
    predictors["model"]["noise"] = noise_of(result.cases, model, result.replications, result.seed)
    loo: dict = {"fitted": bool(result.points)}
    if result.points:
        loo["note"] = "each case predicted with the grid point that minimises mean RPS over the other cases"
        loo["axes"] = {a.path: list(a.values) for a in result.axes}
        loo["grid"] = [
            {"point": p, "mean_rps": round(sum(row) / len(row), 6)}
            for p, row in zip(result.points, result.grid_rps, strict=True)
        ]
        ties = [tied(result.grid_rps, i, k) for i, k in enumerate(result.chosen)]
        loo["folds"] = [
            {"case": c.id, "chosen": result.points[k], "ties": len(t)}
            for c, k, t in zip(result.cases, result.chosen, ties, strict=True)
        ]
        loo["not_fixed"] = unfixed_axes(result.points, result.chosen, ties)
        loo["cases"] = [dataclasses.asdict(s) for s in result.loo]
        loo["totals"] = totals(result.loo)
        loo["noise"] = noise_of(result.cases, result.loo_predictions, result.replications, result.seed)
    else:
        loo["note"] = NO_FIT
        loo["totals"] = predictors["model"]["totals"]
    failures = [
        {
            "case": s.case,
            "level": s.level,
            "observed": s.observed,
            "modal": s.modal,
            "p_modal": s.p_modal,
            "why": s.differs,
        }
        for s in result.scores["model"]
        if not s.hit
    ]
    return {
        "record": record,
        "scenarios": scenarios,
        "cases": len(result.cases),
        "missing_case_files": [c.id for c in result.missing],
        "replications": result.replications,
        "seed": result.seed,
        "scores": {
            "hit": "the modal pattern (deepest rung, exact signatories among the four) is the observed one",
            "p_observed": "probability given to the observed pattern",
            "log_p_observed": f"natural log of P(observed), floored at {LOG_FLOOR}",
            "rps": "ranked probability score over none..binding (5 ranks, divided by 4), mean over actors at the table",
        },
        "business_note": BUSINESS_NOTE,
        "predictors": predictors,
        "leave_one_out": loo,
        "out_of_sample": out_of_sample(result),
        "model_failures": failures,
    }


def _column(name: str) -> str:
    return name.replace(":", "_")


def write_history(folder: Path, result: HistoryResult, summary: dict) -> None:
    """Write summary.json, cases.csv, p_observed.png and manifest.json (how to reproduce it) into ``folder``."""
    names = list(summary["predictors"])
    by_case = {name: {c["case"]: c for c in summary["predictors"][name]["cases"]} for name in names}
    fields = ("modal", "p_modal", "p_observed", "rps", "hit")
    header = ["case", "level", "date", "confidence", "observed"]
    header += [f"{_column(n)}_{f}" for n in names for f in fields]
    header.append("model_hit_chance")
    chance = summary["predictors"]["model"]["noise"]["hit_chance"]
    loo = {c["case"]: c for c in summary["leave_one_out"].get("cases", [])}
    if loo:
        header += [f"loo_{f}" for f in fields] + ["loo_hit_chance"]
        loo_chance = summary["leave_one_out"]["noise"]["hit_chance"]
    rows = []
    for case in result.cases:
        row: list = [case.id, case.level, case.date, case.confidence, case.observed]
        for n in names:
            found = by_case[n].get(case.id)
            row += [found[f] if found else "" for f in fields]
        row.append(chance[case.id])
        if loo:
            row += [loo[case.id][f] for f in fields] + [loo_chance[case.id]]
        rows.append(row)
    write_csv(folder / "cases.csv", header, rows)
    plot_p_observed(summary, result, folder / "p_observed.png")
    write_json(folder / "summary.json", summary)
    record = Path(summary["record"])
    write_json(
        folder / "manifest.json",
        manifest(
            scenario_name="history",
            scenario_file=str(record),
            scenario_sha256=hashlib.sha256(record.read_bytes()).hexdigest(),  # the record: what was scored
            seed=result.seed,
            kind="history_backtest",
            scenarios=summary["scenarios"],
            replications=result.replications,
            fit=summary["leave_one_out"].get("axes", {}),
            code_sha256=code_sha256(),
        ),
    )


def plot_p_observed(summary: dict, result: HistoryResult, path: Path) -> None:
    """Probability each predictor gave to the observed pattern, case by case."""
    ids = [c.id for c in result.cases]
    fig = Figure(figsize=(max(8.0, 0.55 * len(ids) + 2), 5.2), layout="constrained")
    ax = fig.subplots()
    markers = ("o", "s", "^", "D", "v", "P", "X")
    series = [(p["label"], p["cases"], p["totals"]) for p in summary["predictors"].values()]
    loo = summary["leave_one_out"]
    if loo["fitted"]:
        series.append(("model, leave-one-out fit", loo["cases"], loo["totals"]))
    for j, (name, cases, tot) in enumerate(series):
        found = {c["case"]: c["p_observed"] for c in cases}
        xs = [i + (j - (len(series) - 1) / 2) * 0.08 for i, cid in enumerate(ids) if cid in found]
        ys = [found[cid] for cid in ids if cid in found]
        mean = tot.get("mean_p_observed", float("nan"))
        ax.plot(xs, ys, markers[j % len(markers)], ms=6, alpha=0.8, label=f"{name} (mean {mean:.2f})")
    ax.set_xticks(range(len(ids)), [f"{cid} [{c.level[0]}]" for cid, c in zip(ids, result.cases, strict=True)])
    ax.tick_params(axis="x", labelrotation=60, labelsize=8)
    ax.set_ylim(-0.03, 1.03)
    ax.set_ylabel("P(observed pattern)")
    ax.grid(alpha=0.3)
    fig.legend(fontsize=8, loc="outside lower center", ncols=2)
    ax.set_title(
        f"History backtest: probability of what happened, {len(ids)} cases ([g] government, [b] business)", fontsize=10
    )
    fig.savefig(path, dpi=110)


def baseline_path(folder: Path, name: str) -> Path:
    """``folder/baselines/NAME.json`` for a new stored baseline; checked before anything runs."""
    if not _NAME.match(name):
        raise InputError([Problem("--save-baseline", 0, name, "use lower-case letters, digits, '.', '_' or '-'")])
    target = folder / "baselines" / f"{name}.json"
    if target.exists():
        raise InputError(
            [Problem(str(target), 0, "--save-baseline", "exists; stored baselines are frozen: pick a new name")]
        )
    return target


def save_baseline(folder: Path, name: str, result: HistoryResult) -> Path:
    """Write the model's per-case distributions to ``folder/baselines/NAME.json`` (atomic; never overwrites)."""
    target = baseline_path(folder, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = stored_json(name, result.predictions["model"], result.replications, result.seed)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".json", dir=target.parent)
    os.close(fd)
    try:
        write_json(Path(tmp), data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a stored baseline is shared project data
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
