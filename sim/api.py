"""The Python API: load, validate and run a scenario; the results as tidy pandas tables.

``sim.load``, ``sim.validate``, ``sim.run`` and ``sim.RunResult`` are this module's,
re-exported by :mod:`sim` (see ``docs/api.md``). :func:`run` runs the seeded
replications exactly as ``simrun FILE`` does: the same scenario, replications and seed
give the same numbers (``summary`` is the dict of the run's ``summary.json``).

This module sits above every layer of ``sim/`` (``tests/test_architecture.py``). It
imports pydantic, numpy, the kernel and pandas only when a function needs them, so
``import sim`` stays cheap and ``sim.load`` does not pay for pandas.
"""

from __future__ import annotations

import math
import operator
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from sim.scenario.errors import InputError, Problem, dotted

if TYPE_CHECKING:
    import pandas as pd

    from sim.experiments.history import HistoryResult
    from sim.experiments.runner import Replication
    from sim.scenario.schema import Scenario

__all__ = ["Backtest", "RunResult", "backtest_history", "load", "run", "sweep", "validate"]

TERMS = {"L": "legitimacy", "dG": "cooperation", "dD": "content", "rival": "rivalry", "deep": "too_deep"}
"""The five terms of a government's utility V for a text, as the event log abbreviates them, and their column names."""

_TERM = re.compile(r"(\w+)=(\S+)")


@dataclass(repr=False, eq=False)
class RunResult:
    """What :func:`run` produced: the scenario that ran, its summary, and tidy tables of every replication.

    Every table has a ``replication`` column (0-based index of the replication, 0 ≤
    replication < ``replications``); replication ``r`` is seeded by
    ``SeedSequence(seed, spawn_key=(r,))``, as in ``simrun FILE``.

    Attributes:
        scenario: the validated scenario that ran.
        summary: the run's ``summary.json`` as a dict: every probability with its estimate
            ``p`` on [0, 1], 95% Wilson interval ``low``–``high``, and ``n``.
        outcomes: one row per replication: the columns of ``outcomes.csv`` except the
            ``;``-packed ``<level>_signatories`` and ``<level>_blockers`` (tables
            ``signatories`` and ``blockers``). ``<level>_agreed`` and
            ``<level>_cross_bloc`` are booleans, ``<level>_round`` the round (1-based) the
            text was signed (0: never), ``gov_level``/``gov_cross_level`` the deepest rung
            signed (across blocs) or ``"none"``, ``gov_depth``/``gov_cross_depth`` its depth
            on [0, 1], ``business_level`` ``"cross_bloc"``, ``"within_bloc"`` or ``"none"``,
            ``adoption_<bloc>`` the share of the bloc's companies on the common standard
            (on [0, 1]), the baselines ``weighted_mean_<issue>``, ``median_<issue>``,
            ``nash_<issue>`` and the deal's content ``deal_<issue>`` on [0, 1] (NaN: no deal).
        signatories: one row per replication × level × government that signed that rung's
            text: ``replication``, ``level`` (rung name), ``actor`` (government id),
            ``bloc``. A rung without a text has no rows.
        blockers: one row per replication × level × government that last declined a rung
            left without a cross-bloc text: ``replication``, ``level``, ``actor``,
            ``reason`` (``rivalry``, ``content``, ``too_deep`` or ``choice``).
        rounds: one row per replication × round: ``replication``, ``round`` (1-based),
            ``tension`` and ``restriction`` after the round's events (on [0, 1]),
            ``gov_level``/``gov_cross_level`` (1-based index of the deepest rung signed so
            far on the replication's depth ladder, shallow to deep; 0: none),
            ``business_cross`` (bool: the common standard holds across blocs) and
            ``adoption_<bloc>`` (share of the bloc's companies on it, on [0, 1]).
        positions: one row per replication × round × government × issue: ``replication``,
            ``round``, ``actor``, ``issue``, ``position`` (the stated position after the
            round, on [0, 1]). With ``rounds`` it holds what ``rounds.csv`` holds.
        events: one row per logged event, as ``events.csv`` (``replication``, ``round``,
            ``table``, ``level``, ``actor``, ``action``, ``value``, ``reason``,
            ``detail``; empty cells are missing values), and for ``accept``/``reject``
            rows the five terms of the government's utility V for the text, read from
            ``detail`` (3 decimals): ``legitimacy``, ``cooperation``, ``content``,
            ``rivalry``, ``too_deep``; ``value`` = legitimacy + cooperation − content −
            rivalry − too_deep. NaN on other rows.
        notes: what validation says of the scenario that is not an error (normal
            distributions clipped by their field's range), one sentence each.
    """

    scenario: Scenario
    summary: dict
    outcomes: pd.DataFrame
    signatories: pd.DataFrame
    blockers: pd.DataFrame
    rounds: pd.DataFrame
    positions: pd.DataFrame
    events: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def seed(self) -> int:
        """The master seed the replications were drawn from (0 ≤ seed < 2**63)."""
        return self.summary["seed"]

    @property
    def replications(self) -> int:
        """The number of replications run (≥ 1)."""
        return self.summary["replications"]

    def __repr__(self) -> str:
        return f"RunResult(scenario={self.scenario.name!r}, replications={self.replications}, seed={self.seed})"


def load(path: str | os.PathLike[str]) -> Scenario:
    """Load and validate a scenario file (YAML, ``base:`` resolved), as ``simrun validate`` does.

    Returns the validated :class:`~sim.scenario.schema.Scenario`: actors with the
    stances in force at its ``date``, only those seated by ``at_table``. Raises
    :class:`~sim.scenario.errors.InputError`, whose ``problems`` say
    ``FILE:LINE: key.path: message`` for every problem found.
    """
    from sim.scenario.load import load_scenario

    return load_scenario(path)


def validate(scenario: Scenario | Mapping[str, Any]) -> Scenario:
    """Check a scenario made or changed in Python as a file is checked; return it validated.

    A :class:`~sim.scenario.schema.Scenario` (typically one from :func:`load` changed
    with ``model_copy(update=...)``, which checks nothing) is checked field by field and
    across fields (references, duplicates, issue coverage) as :func:`load` checks a file,
    then seated by its ``at_table``. Its stances are kept as they are: :func:`load`
    applied the stance periods of its ``date`` already, and a stance changed in Python
    wins. References left behind by seating on purpose are not errors: stance periods of
    actors not at the table, required signatories not at the table.

    A mapping is taken as the contents of a scenario file (without ``base:``) and goes
    through exactly :func:`load`'s path: checks, the stances at its ``date``, seating.

    Raises :class:`~sim.scenario.errors.InputError` listing every problem as
    ``<name>: key.path: message`` (no file, no line).
    """
    from sim.scenario.schema import Scenario

    if isinstance(scenario, Scenario):
        return _recheck(scenario)
    if isinstance(scenario, Mapping):
        from sim.scenario.load import validate_document
        from sim.scenario.yamlio import Document

        label = f"<{scenario.get('name', 'scenario')}>"
        try:
            return validate_document(Document(label, _plain(scenario), {}))
        except InputError as exc:
            raise InputError([Problem(p.file, 0, p.path, p.message) for p in exc.problems]) from None
    raise TypeError(f"expected a Scenario or a mapping, got {type(scenario).__name__}")


def run(
    scenario: Scenario | Mapping[str, Any] | str | os.PathLike[str],
    replications: int | None = None,
    seed: int | None = None,
    *,
    allow_large: bool = False,
) -> RunResult:
    """Run a scenario's seeded replications as ``simrun FILE`` does, and return the tables.

    ``scenario`` is a :class:`~sim.scenario.schema.Scenario`, a mapping or a file path;
    it is validated first (:func:`validate`, or :func:`load` for a path), so a scenario
    changed in Python into one a file could not hold never runs. ``replications`` (≥ 1,
    at most 1,000,000 unless ``allow_large``) and ``seed`` (0 ≤ seed < 2**63) default to
    the scenario's. The
    same scenario, replications and seed give the same numbers as
    ``simrun FILE -n REPLICATIONS --seed SEED``. Raises
    :class:`~sim.scenario.errors.InputError` for a bad scenario, seed or count, before
    anything runs; a count that would not fit in the memory available is refused too.
    """
    from sim.experiments.runner import check_replications, run_replications
    from sim.outputs.summary import summarise

    checked = load(scenario) if isinstance(scenario, str | os.PathLike) else validate(scenario)
    n = checked.replications if replications is None else operator.index(replications)
    master = checked.seed if seed is None else _check_seed(seed)
    # a run keeps every replication's rounds and events: about 1.7 kB per round and actor (as simrun FILE)
    try:
        check_replications(
            n, allow_large=allow_large, bytes_each=2048 * checked.rounds * len(checked.actors), flag="replications"
        )
    except InputError as exc:  # the command line's words for the option
        problems = [
            Problem(p.file, 0, p.path, p.message.replace("--allow-large", "allow_large=True")) for p in exc.problems
        ]
        raise InputError(problems) from None
    reps = run_replications(checked, replications=n, seed=master)
    summary = summarise(checked, [r.outcome for r in reps], master, [r.drawn for r in reps])
    return RunResult(checked, summary, **_tables(checked, reps), notes=_notes(checked))


def _check_seed(seed: int) -> int:
    """``seed`` as an int, refused (InputError) outside [0, 2**63)."""
    from sim.experiments.runner import MAX_SEED

    value = operator.index(seed)
    if not 0 <= value < MAX_SEED:
        raise InputError([Problem("seed", 0, "", f"must be an integer with 0 <= seed < 2**63, got {value}")])
    return value


def _plain(value: Any) -> Any:
    """A value as a file could hold it: models dumped, numpy numbers and arrays as Python numbers and lists."""
    from pydantic import BaseModel

    from sim.scenario.distributions import Distribution

    if isinstance(value, Distribution):  # as a file writes it: {normal: [mean, sd]}
        return {value.family: list(value.params)}
    if isinstance(value, BaseModel):
        return _dump(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return _numpy_item(value)


def _numpy_item(value: Any) -> Any:
    """A numpy number or array as a Python number or list (anything else unchanged)."""
    if hasattr(value, "tolist") and type(value).__module__ == "numpy":
        return value.tolist()
    return value


def _dump(model: Any) -> Any:
    """A pydantic model as JSON data; a numpy number set with ``model_copy`` is read as the number it is."""
    return model.model_dump(mode="json", warnings=False, fallback=_numpy_item)


def _recheck(scenario: Scenario) -> Scenario:
    """Validate an already loaded scenario again (see :func:`validate`): schema, cross-checks, seating."""
    from pydantic import ValidationError

    from sim.scenario.checks import clean_loc, cross_check, pydantic_message
    from sim.scenario.load import seat
    from sim.scenario.schema import Scenario

    label = f"<{scenario.name}>"
    try:
        checked = Scenario.model_validate(_dump(scenario))
    except ValidationError as exc:
        problems = [Problem(label, 0, dotted(clean_loc(e["loc"])), pydantic_message(e)) for e in exc.errors()]
        raise InputError(problems) from None
    found = [(loc, msg) for loc, msg in cross_check(checked) if not _left_by_seating(checked, loc)]
    if found:
        raise InputError([Problem(label, 0, dotted(loc), msg) for loc, msg in found])
    return seat(checked)


def _left_by_seating(scenario: Scenario, loc: tuple) -> bool:
    """Whether a cross-check finding at ``loc`` names an actor that seating (``at_table``) removed on purpose."""
    if scenario.at_table is None:
        return False
    present = {a.id for a in scenario.actors}
    if loc[:1] == ("stances",) and len(loc) > 1:
        return scenario.stances[loc[1]].actor not in present
    if loc[:2] == ("decision_rule", "signatories") and len(loc) > 2:
        return scenario.decision_rule.signatories[loc[2]] not in present
    return False


def _notes(scenario: Scenario) -> list[str]:
    """Validation's notes on ``scenario`` (distributions clipped by their field's range), as sentences."""
    from sim.scenario.checks import clipping_notes
    from sim.scenario.yamlio import Document

    found = clipping_notes(Document(f"<{scenario.name}>", {}, {}), scenario)
    return [str(Problem(p.file, 0, p.path, p.message)) for p in found]


def _split(packed: str) -> list[str]:
    """The items of a ``;``-packed cell of ``outcomes.csv`` (ids and reasons never hold ``;``)."""
    return [item for item in packed.split(";") if item]


def _terms(action: str, detail: str) -> tuple[float, ...]:
    """The five utility terms of an accept/reject row's ``detail`` (NaN for other rows)."""
    if action in ("accept", "reject"):
        found = dict(_TERM.findall(detail))
        if all(key in found for key in TERMS):
            return tuple(float(found[key]) for key in TERMS)
    return (math.nan,) * len(TERMS)


def _tables(scenario: Scenario, reps: list[Replication]) -> dict[str, pd.DataFrame]:
    """The tidy tables of :class:`RunResult` from the replications of a run."""
    import pandas as pd

    from sim.experiments.runner import EVENT_COLUMNS

    levels = [lv.name for lv in scenario.ladder]
    packed = {f"{name}_{part}" for name in levels for part in ("signatories", "blockers")}
    bloc = {a.id: a.bloc for a in scenario.actors}

    outcomes = pd.DataFrame(
        [{"replication": rep.index, **{k: v for k, v in rep.outcome.items() if k not in packed}} for rep in reps]
    )

    signed: dict[str, list] = {"replication": [], "level": [], "actor": [], "bloc": []}
    blocked: dict[str, list] = {"replication": [], "level": [], "actor": [], "reason": []}
    for rep in reps:
        for name in levels:
            for actor in _split(rep.outcome[f"{name}_signatories"]):
                for column, value in zip(signed, (rep.index, name, actor, bloc[actor]), strict=True):
                    signed[column].append(value)
            for item in _split(rep.outcome[f"{name}_blockers"]):
                actor, _, reason = item.partition(":")
                for column, value in zip(blocked, (rep.index, name, actor, reason), strict=True):
                    blocked[column].append(value)

    position_keys = [(g.id, issue, f"pos_{g.id}_{issue}") for g in scenario.governments for issue in scenario.issue_ids]
    taken = {key for *_, key in position_keys}
    rounds: dict[str, list] = {"replication": []}
    positions: dict[str, list] = {"replication": [], "round": [], "actor": [], "issue": [], "position": []}
    for rep in reps:
        data = rep.rounds
        numbers = data["round"]
        rounds["replication"] += [rep.index] * len(numbers)
        for key, values in data.items():
            if key not in taken:
                rounds.setdefault(key, []).extend(values)
        for actor, issue, key in position_keys:
            if key in data:
                positions["replication"] += [rep.index] * len(numbers)
                positions["round"] += numbers
                positions["actor"] += [actor] * len(numbers)
                positions["issue"] += [issue] * len(numbers)
                positions["position"] += data[key]

    action, detail = EVENT_COLUMNS.index("action"), EVENT_COLUMNS.index("detail")
    rows = [
        # an empty cell of events.csv is a missing value here, as pandas.read_csv reads it
        (rep.index, *(None if v == "" else v for v in entry), *_terms(entry[action], entry[detail]))
        for rep in reps
        for entry in rep.events
    ]
    events = pd.DataFrame(rows, columns=["replication", *EVENT_COLUMNS, *TERMS.values()])
    return {
        "outcomes": outcomes,
        "signatories": pd.DataFrame(signed),
        "blockers": pd.DataFrame(blocked),
        "rounds": pd.DataFrame(rounds),
        "positions": pd.DataFrame(positions),
        "events": events,
    }


def _scenario_of(scenario: Scenario | Mapping[str, Any] | str | os.PathLike[str]) -> Scenario:
    """A validated scenario from a Scenario, a mapping or a file path (as :func:`run` takes it)."""
    return load(scenario) if isinstance(scenario, str | os.PathLike) else validate(scenario)


def sweep(
    scenario: Scenario | Mapping[str, Any] | str | os.PathLike[str],
    vary: list[str],
    replications: int | None = None,
    seed: int | None = None,
    *,
    sample: str = "grid",
    points: int | None = None,
    out: str | os.PathLike[str] | None = None,
    workers: int | None = None,
    allow_large: bool = False,
) -> pd.DataFrame:
    """Sweep fields of a scenario as ``simrun sweep`` does; the summary as a tidy DataFrame.

    ``vary`` holds ``--vary`` specifications (``"tension=0:1:11"``, ``"protocol=a,b"``, or
    ``"tension=0:1"`` with ``sample="lhs"`` and ``points``). Same scenario, axes,
    replications and seed: the same numbers as ``simrun sweep FILE --vary ... -n
    REPLICATIONS --seed SEED``. ``out`` keeps the sweep folder there (resumable, as
    ``--out``); without it the folder is temporary and removed. ``workers`` are local
    processes (default every core; 1 runs in this process).

    Returns one row per point × outcome: ``point`` (0-based), one column per swept path
    (its value at the point), ``outcome`` (``declaration``, ``substantive``, ``binding``,
    ``business``, ``bloc_<bloc>``), ``label`` (readable), ``p``, ``low``, ``high`` (95%
    Wilson interval, on [0, 1]), ``n`` (replications without error) and ``errors``.
    ``attrs`` holds ``replications``, ``seed``, ``sample``, ``out`` (the folder, or None)
    and ``hinge`` (what each outcome hinges on, ``hinge.json``).
    """
    import shutil
    import tempfile
    from pathlib import Path

    import pandas as pd

    from sim.experiments.sweep import plan_sweep, run_sweep
    from sim.outputs.sweep_report import measures

    checked = _scenario_of(scenario)
    plan = plan_sweep(
        checked,
        vary=list(vary),
        replications=None if replications is None else operator.index(replications),
        seed=None if seed is None else _check_seed(seed),
        sample=sample,
        points=points,
        allow_large=allow_large,
    )
    temporary = None if out is not None else tempfile.mkdtemp(prefix="simrun-sweep-")
    try:
        folder = Path(out) if out is not None else Path(temporary) / "sweep"
        result = run_sweep(plan, out=folder, workers=workers)
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
    tests = measures(plan.scenario)
    paths = list(plan.points[0])
    rows = [
        {
            "point": row["point"],
            **{path: row[path] for path in paths},
            "outcome": name,
            "label": label,
            "p": row[f"p_{name}"],
            "low": row[f"low_{name}"],
            "high": row[f"high_{name}"],
            "n": row["n"],
            "errors": row["errors"],
        }
        for row in result.summary
        for name, (label, _) in tests.items()
    ]
    table = pd.DataFrame(rows)
    table.attrs.update(
        replications=plan.replications,
        seed=plan.master,
        sample=plan.spec["sample"],
        out=None if out is None else Path(out),
        hinge=result.hinge,
    )
    return table


class Backtest(NamedTuple):
    """What :func:`backtest_history` returns (unpacks as ``summary, cases``).

    Attributes:
        summary: the backtest's ``summary.json`` as a dict; ``summary["out_of_sample"]``
            scores every predictor under leave-one-out and both time splits, with spreads.
        cases: one row per scheme × predictor × case: ``scheme`` (``in_sample``,
            ``leave_one_out``, ``time_split_forward``, ``time_split_backward``; the
            out-of-sample schemes for the fitted model only, given a fit), ``predictor``,
            ``case``, ``level``, ``date``, ``confidence``, ``observed`` and ``modal``
            (patterns), ``p_modal``, ``p_observed`` (on [0, 1]), ``rps`` (ranked
            probability score, lower is better), ``hit`` (bool).
    """

    summary: dict
    cases: pd.DataFrame


def backtest_history(
    replications: int = 200,
    fit: list[str] | str | None = None,
    seed: int | None = None,
    *,
    record: str | os.PathLike[str] | None = None,
    scenarios: str | os.PathLike[str] | None = None,
    workers: int | None = None,
    strict: bool = False,
) -> Backtest:
    """The history backtest as ``simrun backtest history`` runs it; the summary and a tidy per-case table.

    ``fit`` None fits nothing (``--no-fit``: in-sample scores only, quick); a list of
    ``PATH=values`` axes (``--fit`` syntax, e.g. ``"model.depth_cost=2,5"``) is fitted out of
    sample; ``"default"`` fits the 324-point grid of the command. ``record`` and
    ``scenarios`` default to the record shipped with simrun and ``scenarios/history``;
    ``workers`` to every core. Sealed forecasts are not scored here (``simrun backtest
    history --forecasts``). Raises :class:`~sim.scenario.errors.InputError` before any run.
    """
    from pathlib import Path

    from sim.data import HISTORY
    from sim.experiments.executors import available_cores
    from sim.experiments.history import DEFAULT_FIT, DEFAULT_SCENARIOS, plan_history, run_history
    from sim.experiments.history_report import summary_of

    n = operator.index(replications)
    if n < 1:
        raise InputError([Problem("replications", 0, "", f"must be at least 1, got {n}")])
    axes = list(DEFAULT_FIT) if fit == "default" else [] if fit is None else [fit] if isinstance(fit, str) else fit
    path = Path(record) if record is not None else HISTORY
    folder = Path(scenarios) if scenarios is not None else DEFAULT_SCENARIOS
    plan = plan_history(path, folder, None if seed is None else _check_seed(seed), list(axes), strict)
    result = run_history(plan, n, workers=workers or available_cores())
    summary = summary_of(result, str(path), str(folder))
    return Backtest(summary, _case_table(result, summary))


def _case_table(result: HistoryResult, summary: dict) -> pd.DataFrame:
    """The tidy per-case table of :class:`Backtest` (scores of every predictor, then the fitted model's)."""
    import pandas as pd

    info = {c.id: c for c in result.cases}
    scored = [("in_sample", name, [dict(c) for c in p["cases"]]) for name, p in summary["predictors"].items()]
    if result.points:
        scored.append(("leave_one_out", "model", [_asdict(s) for s in result.loo]))
        for scheme, split in result.splits.items():
            scored.append((scheme, "model", [_asdict(s) for s in split.scores]))
    columns = ["modal", "p_modal", "p_observed", "rps", "hit"]
    rows = [
        {
            "scheme": scheme,
            "predictor": name,
            "case": row["case"],
            "level": row["level"],
            "date": info[row["case"]].date,
            "confidence": info[row["case"]].confidence,
            "observed": row["observed"],
            **{k: row[k] for k in columns},
        }
        for scheme, name, found in scored
        for row in found
    ]
    return pd.DataFrame(rows)


def _asdict(score: Any) -> dict:
    """A case's score (a dataclass) as a dict."""
    import dataclasses

    return dataclasses.asdict(score)
