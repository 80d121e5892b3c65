"""Backtest of the government-track engine on real negotiations (DEU III, EU legislation).

Each controversial issue of the dataset becomes a one-issue negotiation: the actors
that took a position (position and salience given), capability from the file's
second line (GDP, trillions), the decision rule from ``counvte`` (QMV → qualified
majority of capability, Unan → consensus), no blocs and no tension, and the
reference point ``rp`` as the status quo where the file has one. The engine's
predicted outcome is the content of the agreement it reaches (the last proposal if
none). Baselines come from :mod:`sim.rules.baselines`, computed on the same actors.

How an issue maps onto the model (scale 0–100 → [0, 1]):

* salience s_i enters through a second, inert issue: the actor's salience on the
  real issue is s_i/100 and the rest sits on a dimension where everyone agrees, so
  the compromise weight is c_i·s_i/100 (the compromise model) while votes count
  capability alone;
* the gain of agreeing is what the actor gains over the status quo,
  G_i = (s_i/100)·|q − p_i|, so V_i = L + G_i − D_i(x) ≥ 0 means "x is no worse than
  the status quo, give or take the slack L"; without a reference point G_i = g·s_i/100.

Calibrated on proposals with an odd ``prnrnmc`` (chair weight of the Commission, slack
L, default gain g); the error is reported on the even ones separately.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.rules import baselines
from sim.scenario import Scenario
from sim.scenario.errors import InputError, Problem
from sim.scenario.reading import read_text


@dataclass
class Position:
    """One actor on one issue: position and salience (0–100), capability."""

    actor: str
    position: float
    salience: float
    capability: float


@dataclass
class DeuIssue:
    """One controversial issue of the dataset."""

    issue: str
    proposal: int
    rule: str
    reference: float | None
    outcome: float
    positions: list[Position] = field(default_factory=list)


def load_deu(path: str | Path) -> list[DeuIssue]:
    """Read a DEU III TSV (header, capability line, one issue per line); issues without outcome are skipped."""
    file = str(path)
    text = read_text(path, 20_000_000, "dataset file")  # DEU III is about 90 kB
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t"))
    except csv.Error as exc:
        raise InputError([Problem(file, 0, "", f"not a TSV file ({exc})")]) from None
    if len(rows) < 3:
        raise InputError([Problem(file, 1, "", "expected a header, a capability line and issue lines")])
    header = rows[0]
    needed = ("prnrnmc", "isnr", "counvte", "rp", "out")
    missing = [c for c in needed if c not in header]
    if missing:
        raise InputError([Problem(file, 1, "header", f"missing columns {missing}")])
    col = {name: i for i, name in enumerate(header)}
    actors = [
        h[1:] for h in header if h.startswith("p") and f"s{h[1:]}" in col and h not in ("prnrnmc", "prnr", "prname")
    ]
    issues = []
    for line_no, row in enumerate(rows[2:], start=3):
        if len(row) < len(header):
            row = row + [""] * (len(header) - len(row))

        def number(name: str, row: list = row, line_no: int = line_no) -> float | None:
            text = row[col[name]].strip()
            if text == "":
                return None
            try:
                return float(text)
            except ValueError:
                raise InputError([Problem(file, line_no, name, f"not a number: {text!r}")]) from None

        outcome = number("out")
        if outcome is None:
            continue
        positions = []
        for a in actors:
            pos, sal = number(f"p{a}"), number(f"s{a}")
            if pos is None or sal is None:
                continue  # no position taken
            cap = float(rows[1][col[f"p{a}"]] or 0)
            positions.append(Position(a, pos, sal, cap))
        if not positions:
            continue
        rule = "QMV" if row[col["counvte"]].startswith("QMV") else "Unan"
        proposal = int(number("prnrnmc") or 0)
        issues.append(DeuIssue(row[col["isnr"]], proposal, rule, number("rp"), outcome, positions))
    return issues


def baseline_predictions(issue: DeuIssue) -> dict[str, float]:
    """Weighted mean (c·s), median and weighted median of the positions, on 0–100."""
    pos = np.array([[p.position] for p in issue.positions])
    sal = np.array([[p.salience] for p in issue.positions])
    cap = np.array([p.capability for p in issue.positions])
    if sal.sum() == 0:
        sal = np.ones_like(sal)
    return {
        "weighted_mean": float(baselines.weighted_mean(pos, sal, cap)[0]),
        "median": float(baselines.median(pos)[0]),
        "weighted_median": float(baselines.weighted_median(pos, sal, cap)[0]),
    }


@dataclass(frozen=True)
class EngineParams:
    """The three calibrated numbers of the backtest adapter."""

    chair_weight: float = 1.0
    slack: float = 0.0
    default_gain: float = 0.2
    fallback: str = "status_quo"  # prediction when no agreement: status_quo, opening or last proposal
    rounds: int = 10


def issue_scenario(issue: DeuIssue, params: EngineParams) -> Scenario:
    """The one-issue negotiation the engine runs for a DEU issue."""
    q = None if issue.reference is None else issue.reference / 100
    actors = []
    for p in issue.positions:
        s = min(max(p.salience / 100, 0.0), 1.0)
        gain = s * abs(q - p.position / 100) if q is not None else params.default_gain * s
        actors.append(
            {
                "id": f"a_{p.actor}",
                "name": p.actor,
                "kind": "government",
                "bloc": "eu",
                "position": {"issue": p.position / 100, "rest": 0.5},
                "salience": {"issue": s, "rest": 1.0 - s} if s < 1 else {"issue": 1.0, "rest": 0.0},
                "capability": max(p.capability, 1e-6),
                "flexibility": 0.3,
                "legitimacy": params.slack,
                "gain": min(gain, 2.0),
            }
        )
    rule = {"rule": "qualified_majority", "threshold": 0.65} if issue.rule == "QMV" else {"rule": "consensus"}
    if len(actors) == 1:
        actors.append({**actors[0], "id": "a_echo", "name": "echo", "capability": 1e-6})
    chair = "a_com" if any(a["id"] == "a_com" for a in actors) else None
    return Scenario.model_validate(
        {
            "name": "deu",
            "issues": [
                {"id": "issue", "low": "0", "high": "100", "status_quo": q if q is not None else 0.0},
                {"id": "rest", "low": "-", "high": "-"},
            ],
            "actors": actors,
            "tension": 0.0,
            "chair": chair,
            "decision_rule": rule,
            "depth_ladder": [{"name": "adopted", "depth": 1.0}],
            "model": {"chair_weight": params.chair_weight, "perception_noise": 0.0, "confidence_bound": 1.0},
            "rounds": params.rounds,
            "replications": 1,
        }
    )


def engine_run(issue: DeuIssue, params: EngineParams) -> dict[str, float | None]:
    """Run the engine on ``issue``: the agreed content, the opening and the last proposal (0–100)."""
    import numpy as np

    from sim.rules.kernel import Negotiation

    run = Negotiation([issue_scenario(issue, params)], [np.random.default_rng(0)])
    everyone = tuple(range(len(run.gov_ids)))
    opening = 100 * float(run.table.proposal(everyone)[0, 0])
    for _ in range(params.rounds):
        run.step()
        deals = run.deals(0)
        if "adopted" in deals:
            return {"agreed": 100 * float(deals["adopted"].content[0]), "opening": opening, "last": None}
    return {"agreed": None, "opening": opening, "last": 100 * float(run.table.proposal(everyone)[0, 0])}


def predict(issue: DeuIssue, run: dict[str, float | None], fallback: str) -> float:
    """The engine's prediction: the agreement, else what ``fallback`` names.

    Every DEU issue ended in an adopted act, so "no agreement within the rounds" means
    the engine did not find it: the status quo (where known), the opening compromise,
    or the last proposal stand in; which one is calibrated.
    """
    if run["agreed"] is not None:
        return run["agreed"]
    if fallback == "status_quo" and issue.reference is not None:
        return issue.reference
    if fallback == "last":
        return run["last"]
    return run["opening"]


def engine_prediction(issue: DeuIssue, params: EngineParams) -> float:
    """Outcome the engine predicts for ``issue`` on 0–100 (deterministic: no noise, no companies)."""
    return predict(issue, engine_run(issue, params), params.fallback)


def mae(errors: list[float]) -> float:
    """Mean absolute error (nan for no issues)."""
    return statistics.fmean(errors) if errors else math.nan


@dataclass
class BacktestResult:
    """Per-issue predictions and the error of each predictor, overall and by half."""

    issues: list[DeuIssue]
    predictions: dict[str, list[float]]
    params: EngineParams
    grid: list[tuple[EngineParams, float]]

    def errors(self, name: str, subset: str = "all") -> float:
        """MAE of predictor ``name`` on ``all``, ``odd`` (calibration) or ``even`` (test) proposals."""
        keep = {"all": lambda i: True, "odd": lambda i: i.proposal % 2 == 1, "even": lambda i: i.proposal % 2 == 0}[
            subset
        ]
        return mae([abs(p - i.outcome) for i, p in zip(self.issues, self.predictions[name], strict=True) if keep(i)])


CALIBRATION_GRID = {
    "chair_weight": (1.0, 1.5, 3.0),
    "slack": (0.0, 0.05),
    "default_gain": (0.1, 0.3),
}
FALLBACKS = ("status_quo", "opening", "last")


def run_backtest(path: str | Path, calibrate: bool = True) -> BacktestResult:
    """Baselines and the engine on every issue; engine parameters calibrated on odd proposals."""
    issues = load_deu(path)
    predictions = {name: [] for name in ("weighted_mean", "median", "weighted_median")}
    for issue in issues:
        for name, value in baseline_predictions(issue).items():
            predictions[name].append(value)
    odd = [i for i in issues if i.proposal % 2 == 1]
    grid = []
    if calibrate:
        for values in itertools.product(*CALIBRATION_GRID.values()):
            params = EngineParams(**dict(zip(CALIBRATION_GRID, values, strict=True)))
            runs = [engine_run(i, params) for i in odd]
            for fallback in FALLBACKS:
                error = mae([abs(predict(i, r, fallback) - i.outcome) for i, r in zip(odd, runs, strict=True)])
                grid.append((EngineParams(**{**params.__dict__, "fallback": fallback}), error))
        best = min(grid, key=lambda g: g[1])[0]  # ties: the first in grid order
    else:
        best = EngineParams()
    predictions["engine"] = [engine_prediction(i, best) for i in issues]
    return BacktestResult(issues, predictions, best, grid)
