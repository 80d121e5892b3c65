"""History backtest: the model on the public record of AI-governance outcomes, 2019-2025.

Each entry of the record (:mod:`sim.experiments.history_record`) is a case file
``scenarios/history/<id>.yaml`` (a variant of one base holding every coefficient).
What the model and the baselines predict for a case is in
:mod:`sim.experiments.history_predictors`; predictions are scored in
:mod:`sim.experiments.history_scores`. Leave-one-out: with ``--fit`` axes, every case is
run at every grid point once; each held-out case is scored at the point that minimises
the mean ranked probability score over the other cases.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sim.experiments.history_checkpoint import Checkpoint
from sim.experiments.history_grid import Family, case_predictions, families
from sim.experiments.history_predictors import BASELINES
from sim.experiments.history_record import ACTORS, LADDER, Case, load_record
from sim.experiments.history_scores import CaseScore, Prediction, choose_loo, choose_on, score_case
from sim.experiments.sweep_spec import Axis, apply_point, grid_points, parse_vary
from sim.outputs.files import code_sha256
from sim.scenario import Scenario, load_scenario
from sim.scenario.errors import InputError, Problem

DEFAULT_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios" / "history"
"""``scenarios/history`` of the project (the case files and ``baselines/``)."""


DEFAULT_FIT = (
    "model.kappa0_government=0.02,0.06,0.15",
    "model.kappa1_government=0.7,1.0,1.3",
    "model.depth_cost=2,3,5",
    "business.restriction_per_tension=0,0.125,0.25,0.5",
    "model.focal_gain=0,0.025,0.05",
)
"""The coefficient grid fitted out of sample by default (324 points): the five fitted coefficients of base.yaml."""


def case_file(folder: Path, case: Case) -> Path:
    """``<folder>/<id>.yaml``."""
    return folder / f"{case.id}.yaml"


def load_cases(
    record: str | Path, scenarios: Path, strict: bool = False
) -> tuple[list[Case], dict[str, Scenario], list[Case]]:
    """The record's cases that have a case file, each case's scenario, and the cases without one.

    A case with no file is skipped and named (the third list); with ``strict`` it is an
    error at its entry. Any problem in a file that exists is an error.
    """
    everything = load_record(record)
    problems: list[Problem] = []
    loaded = {}
    cases, missing = [], []
    for case in everything:
        path = case_file(scenarios, case)
        if not path.is_file():
            if strict:
                problems.append(Problem(str(record), case.line, f"{case.id}", f"no case file {path} (--strict)"))
            missing.append(case)
            continue
        cases.append(case)
        try:
            loaded[case.id] = load_scenario(path)
        except InputError as exc:
            problems += exc.problems
            continue
        scenario = loaded[case.id]
        if [lv.name for lv in scenario.ladder] != list(LADDER[1:]):
            problems.append(Problem(str(path), 1, "depth_ladder", f"must be the record's rungs {list(LADDER[1:])}"))
        seated = scenario.at_table
        if seated is None or sorted(a for a in seated if a in ACTORS) != sorted(case.at_table):
            problems.append(
                Problem(
                    str(path), 1, "at_table", f"must seat the record's at_table {list(case.at_table)}, not {seated}"
                )
            )
        if scenario.date is not None and scenario.date.isoformat() != case.date:
            problems.append(Problem(str(path), 1, "date", f"must be the record's date {case.date}"))
    if problems:
        raise InputError(problems)
    if not cases:
        raise InputError([Problem(str(record), 0, "", f"no case of the record has a case file in {scenarios}")])
    return cases, loaded, missing


def load_stored(folder: Path) -> dict[str, dict[str, Prediction]]:
    """Stored predictions (``baselines/NAME.json``), by name then case id."""
    stored = {}
    for path in sorted((folder / "baselines").glob("*.json")) if (folder / "baselines").is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            stored[path.stem] = {
                cid: Prediction(dict(c["patterns"]), {a: list(map(float, d)) for a, d in c["depths"].items()})
                for cid, c in data["cases"].items()
            }
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError([Problem(str(path), 0, "", f"not a stored baseline ({exc})")]) from None
    return stored


def stored_json(name: str, predictions: dict[str, Prediction], replications: int, seed: int) -> dict:
    """What ``--save-baseline NAME`` writes: per case the pattern and per-actor depth distributions."""
    return {
        "name": name,
        "replications": replications,
        "seed": seed,
        "ladder": list(LADDER),
        "cases": {cid: {"patterns": p.patterns, "depths": p.depths} for cid, p in predictions.items()},
    }


def parse_fit(specs: list[str]) -> list[Axis]:
    """``--fit PATH=start:stop:count`` axes (the syntax of ``simrun sweep --vary``)."""
    axes = []
    for spec in specs:
        try:
            axes.append(parse_vary(spec))
        except InputError as exc:
            raise InputError([Problem("--fit", 0, p.path, p.message) for p in exc.problems]) from None
    return axes


@dataclass
class HistoryPlan:
    """What a backtest runs, all checked before any run: cases, their scenarios, seed, fit grid."""

    record: str
    cases: list[Case]
    scenarios: dict[str, Scenario]
    seed: int
    axes: list[Axis]
    points: list[dict]
    grids: dict[str, list[Scenario]]
    stored: dict[str, dict[str, Prediction]]
    missing: list[Case] = field(default_factory=list)

    def identity(self, replications: int) -> dict:
        """What makes two fits the same computation: entries, case scenarios, grid, replications, seed, code."""
        digest = hashlib.sha256()
        for case in self.cases:
            digest.update(repr(case).encode())  # the record's entry: level, at_table, ...
            digest.update(self.scenarios[case.id].model_dump_json().encode())
        return {
            "cases": [c.id for c in self.cases],
            "scenarios_sha256": digest.hexdigest(),
            "code_sha256": code_sha256(),  # a resumed fit must not mix runs of two versions of the model
            "points": self.points,
            "replications": replications,
            "seed": self.seed,
        }


@dataclass
class HistoryResult:
    """Cases, the model's and every baseline's predictions and scores, and leave-one-out."""

    cases: list[Case]
    replications: int
    seed: int
    predictions: dict[str, dict[str, Prediction]]
    scores: dict[str, list[CaseScore]]
    axes: list[Axis] = field(default_factory=list)
    points: list[dict] = field(default_factory=list)
    grid_rps: list[list[float]] = field(default_factory=list)
    chosen: list[int] = field(default_factory=list)
    loo: list[CaseScore] = field(default_factory=list)
    loo_predictions: list[Prediction] = field(default_factory=list)
    splits: dict[str, Split] = field(default_factory=dict)
    missing: list[Case] = field(default_factory=list)


SPLIT_DATE = "2024-01-01"
"""The time split: cases dated before it against cases dated on or after it."""


@dataclass
class Split:
    """A time split of the record: the point fitted on the ``train`` cases, its forecasts of the ``test`` cases."""

    train: list[str]
    test: list[str]
    chosen: int
    scores: list[CaseScore]
    predictions: list[Prediction]


def time_folds(cases: list[Case]) -> dict[str, tuple[list[int], list[int]]]:
    """``time_split_forward``: fit before :data:`SPLIT_DATE`, forecast after; ``time_split_backward``: the reverse."""
    before = [i for i, c in enumerate(cases) if c.date < SPLIT_DATE]
    after = [i for i, c in enumerate(cases) if c.date >= SPLIT_DATE]
    return {"time_split_forward": (before, after), "time_split_backward": (after, before)}


def plan_history(
    record: str | Path,
    scenarios: Path = DEFAULT_SCENARIOS,
    seed: int | None = None,
    fit: list[str] | None = None,
    strict: bool = False,
) -> HistoryPlan:
    """Load the record, the case files, the stored baselines and every ``--fit`` grid point; raise on any problem."""
    cases, loaded, missing = load_cases(record, scenarios, strict)
    master = seed if seed is not None else loaded[cases[0].id].seed
    axes = parse_fit(fit or [])
    points = grid_points(axes) if axes else []
    for axis in axes:  # an actor's coefficient must name an actor some case seats (a typo is an error)
        actor = _actor_of(axis.path)
        if actor and actor.isdigit():  # a position names a different actor in each case
            raise InputError([Problem("--fit", 0, axis.path, "name the actor by its id or name, not its position")])
        if actor and not any(actor in _seated(s) for s in loaded.values()):
            raise InputError([Problem("--fit", 0, axis.path, f"no case seats an actor {actor!r}")])
    grids = {c.id: [_at(loaded[c.id], p) for p in points] for c in cases}
    return HistoryPlan(str(record), cases, loaded, master, axes, points, grids, load_stored(scenarios), missing)


def _predict_task(
    task: tuple[int, Case, list[Family], list[tuple[int, Scenario]], int, int],
) -> tuple[int, list[tuple[int, Prediction]]]:
    """Every pending run of case i, in a worker: at grid point k, or as its file says (k = -1).

    The runs come sorted into families of coefficient variants, run together, and runs
    alone (:mod:`sim.experiments.history_grid`); returns ``(i, [(k, prediction), ...])``.
    """
    i, case, found, alone, replications, seed = task
    return i, case_predictions(case, found, alone, replications, seed)


def run_history(
    plan: HistoryPlan,
    replications: int = 200,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    workers: int = 1,
    checkpoint: Checkpoint | None = None,
) -> HistoryResult:
    """Run every case (and every grid point), score the model, the baselines, stored baselines and leave-one-out.

    ``workers`` > 1 runs the cases and the grid's (point, case) pairs on that many local
    processes. Each run draws its own seeds (the plan's master seed, as in a serial run), so
    the result is the same, byte for byte, whatever the number of workers. With a ``checkpoint``
    (:mod:`sim.experiments.history_checkpoint`) the grid runs it already holds are not
    run again, and every new one is kept there as soon as it finishes.
    """
    from sim.experiments.executors import Executor, LocalExecutor, cap_workers

    cases, loaded, points = plan.cases, plan.scenarios, plan.points
    if on_total:
        on_total(len(cases) * (1 + len(points)))

    # one pool for every run: the cases as given (k = -1), then per case its grid runs not yet
    # kept, sorted into families that run together (a worker gets each family's scenario once)
    done = checkpoint.done if checkpoint else {}
    grid: list[list[Prediction | None]] = [[done.get((k, i)) for i in range(len(cases))] for k in range(len(points))]
    model: list[Prediction | None] = [None] * len(cases)
    pending = [
        [(k, plan.grids[c.id][k]) for k in range(len(points)) if grid[k][i] is None] for i, c in enumerate(cases)
    ]
    if progress and done:
        progress(len(cases) * len(points) - sum(len(runs) for runs in pending))

    def _tasks():  # _predict_task's, made as the pool asks for them
        for i, c in enumerate(cases):
            yield (i, c, *families([(-1, loaded[c.id])]), replications, plan.seed)
        for i in sorted(range(len(cases)), key=lambda i: -len(cases[i].at_table)):  # the longest first
            if pending[i]:
                yield (i, cases[i], *families(pending[i]), replications, plan.seed)

    n = cap_workers(workers, 2 * len(cases)) if workers > 1 else 1
    with LocalExecutor(n) if n > 1 else Executor() as pool:
        for i, runs in pool.imap_unordered(_predict_task, _tasks()):
            for k, prediction in runs:
                if k < 0:
                    model[i] = prediction
                else:
                    grid[k][i] = prediction
                    if checkpoint:
                        checkpoint.record(k, i, cases[i].id, prediction)
                if progress:
                    progress(1)

    predictions: dict[str, dict[str, Prediction]] = {"model": {c.id: model[i] for i, c in enumerate(cases)}}
    for name, baseline in BASELINES.items():
        predictions[name] = {c.id: baseline(c, loaded[c.id]) for c in cases}
    for name, stored in plan.stored.items():
        predictions[f"stored:{name}"] = stored
    scores = {name: [score_case(c, preds[c.id]) for c in cases if c.id in preds] for name, preds in predictions.items()}
    result = HistoryResult(cases, replications, plan.seed, predictions, scores, plan.axes, points)
    result.missing = list(plan.missing)
    if points:
        table = [[score_case(c, grid[k][i]) for i, c in enumerate(cases)] for k in range(len(points))]
        result.grid_rps = [[s.rps for s in row] for row in table]
        result.chosen = choose_loo(result.grid_rps)
        result.loo = [table[k][i] for i, k in enumerate(result.chosen)]
        result.loo_predictions = [grid[k][i] for i, k in enumerate(result.chosen)]
        for name, (train, test) in time_folds(cases).items():
            if train and test:  # a record on one side of the date has no time split
                k = choose_on(result.grid_rps, train)
                result.splits[name] = Split(
                    [cases[i].id for i in train],
                    [cases[i].id for i in test],
                    k,
                    [table[k][i] for i in test],
                    [grid[k][i] for i in test],
                )
    return result


def _actor_of(path: str) -> str | None:
    """The actor id of an ``actors.<id>.…`` path, else None."""
    parts = path.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "actors" else None


def _seated(scenario: Scenario) -> set[str]:
    """How a path may name the scenario's actors: by id or by name (as ``simrun sweep --vary`` does)."""
    return {a.id for a in scenario.actors} | {a.name for a in scenario.actors}


def _at(scenario: Scenario, point: dict) -> Scenario:
    """``scenario`` at a grid point; an actor's coefficient applies only where that actor is seated."""
    seated = _seated(scenario)
    point = {k: v for k, v in point.items() if _actor_of(k) in (None, *seated)}
    try:
        return apply_point(scenario, point)
    except InputError as exc:
        raise InputError([Problem("--fit", 0, p.path, p.message) for p in exc.problems]) from None
