"""What a sweep varies: ``--vary PATH=VALUES`` axes, grid or Latin hypercube points.

A path names a field of the scenario by its dotted path, with list items addressed
by their ``id`` (or ``name`` for depth levels) or by index: ``tension``,
``actors.china.flexibility``, ``events.0.tension_change``, ``decision_rule.threshold``,
``depth_ladder.binding.depth``. Values are ``start:stop:count`` (inclusive, evenly
spaced), ``low:high`` (a range with no grid: for a Latin hypercube, ``--sample lhs
--points N``), a comma-separated list, or a single value; list items are read as YAML
scalars, so ``0.5`` is a number and ``west_first`` a string.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import yaml
from pydantic import TypeAdapter, ValidationError

from sim.scenario import Scenario
from sim.scenario.checks import cross_check, pydantic_message
from sim.scenario.errors import InputError, Problem, dotted
from sim.scenario.schema import DecisionRule


@dataclass(frozen=True)
class Axis:
    """One swept field: its path, the grid values, and for numeric ranges the bounds.

    A ``low:high`` range has no grid (``sampled_only``): its values are its bounds, and
    only a Latin hypercube samples it.
    """

    path: str
    values: tuple
    low: float | None = None
    high: float | None = None
    sampled_only: bool = False

    @property
    def numeric(self) -> bool:
        """Whether every value is a number (plotted on a numeric x axis)."""
        return all(isinstance(v, int | float) and not isinstance(v, bool) for v in self.values)


def _scalar(text: str) -> object:
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if isinstance(value, str | int | float | bool) else text


def parse_vary(text: str) -> Axis:
    """Parse ``PATH=start:stop:count`` or ``PATH=a,b,c``; raise :class:`InputError` if malformed."""
    try:
        return _parse_vary(text)
    except (ValueError, OverflowError):  # an integer of more than 4,300 digits, or one no float can hold
        path = text.partition("=")[0].strip()
        raise InputError([Problem("--vary", 0, path, "a number is too large (at most 308 digits)")]) from None


def _parse_vary(text: str) -> Axis:
    path, sep, spec = text.partition("=")
    path, spec = path.strip(), spec.strip()
    if not sep or not path or not spec:
        raise InputError([Problem("--vary", 0, text, "expected PATH=start:stop:count, PATH=low:high or PATH=a,b,c")])
    if spec.count(":") == 1 and "," not in spec:  # a range to sample (lhs): no count to give, none ignored
        low, high = (_scalar(p) for p in spec.split(":"))
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high)):
            raise InputError([Problem("--vary", 0, path, f"{spec!r}: a sampled range is low:high, two numbers")])
        if not all(math.isfinite(v) for v in (low, high)):
            raise InputError([Problem("--vary", 0, path, f"{spec!r}: finite low and high")])
        low, high = float(min(low, high)), float(max(low, high))
        return Axis(path, (low, high), low, high, sampled_only=True)
    if spec.count(":") == 2 and "," not in spec:
        start, stop, count = (_scalar(p) for p in spec.split(":"))
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (start, stop)) or not (
            isinstance(count, int) and count >= 1
        ):
            raise InputError([Problem("--vary", 0, path, f"{spec!r}: a range is start:stop:count with count >= 1")])
        if count > MAX_POINTS or not all(math.isfinite(v) for v in (start, stop)):
            raise InputError(
                [Problem("--vary", 0, path, f"{spec!r}: finite start and stop, count at most {MAX_POINTS:,}")]
            )
        values = tuple(float(round(v, 12)) for v in np.linspace(start, stop, count))
        return Axis(path, values, float(min(start, stop)), float(max(start, stop)))
    values = tuple(_scalar(p.strip()) for p in spec.split(","))
    if any(v == "" for v in values):
        raise InputError([Problem("--vary", 0, path, f"{spec!r}: empty value in the list")])
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) == len(values) and any(isinstance(v, float) for v in values):
        values = tuple(float(v) for v in values)  # 0,0.5,1 is one float column, not ints and floats
    low, high = (min(numbers), max(numbers)) if len(numbers) == len(values) else (None, None)
    return Axis(path, values, low, high)


MAX_POINTS = 1_000_000
"""Points a sweep may have (grid or Latin hypercube): each is a validated scenario in memory."""


def grid_points(axes: list[Axis]) -> list[dict]:
    """Cartesian product of the axes' values; the first axis varies slowest (at most :data:`MAX_POINTS`)."""
    ranges = [a.path for a in axes if a.sampled_only]
    if ranges:
        raise InputError(
            [
                Problem("--vary", 0, p, "low:high is a range to sample (--sample lhs --points N); a grid needs "
                        "start:stop:count")
                for p in ranges
            ]
        )  # fmt: skip
    size = math.prod(len(a.values) for a in axes)
    if size > MAX_POINTS:
        raise InputError([Problem("--vary", 0, "", f"the grid has {size:,} points; at most {MAX_POINTS:,}")])
    return [
        dict(zip((a.path for a in axes), combo, strict=True)) for combo in itertools.product(*(a.values for a in axes))
    ]


def lhs_points(axes: list[Axis], n: int, seed: int) -> list[dict]:
    """``n`` Latin hypercube points (scipy.stats.qmc) over the axes' ranges.

    Numeric axes are sampled over [low, high]; categorical axes pick a value by
    stratum, so every category gets its share of points.
    """
    from scipy.stats import qmc

    if not 1 <= n <= MAX_POINTS:
        raise InputError([Problem("--points", 0, "", f"an lhs sample has 1 to {MAX_POINTS:,} points, not {n:,}")])

    sample = qmc.LatinHypercube(d=len(axes), rng=np.random.default_rng(seed)).random(n)
    points = []
    for row in sample:
        point = {}
        for u, axis in zip(row, axes, strict=True):
            if axis.numeric and axis.low is not None and axis.high is not None and axis.low < axis.high:
                point[axis.path] = float(axis.low + u * (axis.high - axis.low))
            else:
                point[axis.path] = axis.values[min(int(u * len(axis.values)), len(axis.values) - 1)]
        points.append(point)
    return points


def _resolve(data: object, parts: list[str], path: str) -> tuple[object, object]:
    """Container and key of ``path`` inside dumped scenario data."""
    node = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        where = ".".join(parts[:i]) or "the scenario"
        if isinstance(node, dict):
            if part not in node:
                keys = ", ".join(sorted(map(str, node)))
                raise InputError([Problem("--vary", 0, path, f"no key {part!r} in {where} (it has: {keys})")])
            key = part
        elif isinstance(node, list):
            key = _list_index(node, part)
            if key is None:
                raise InputError([Problem("--vary", 0, path, f"no item {part!r} in {where}")])
        else:
            raise InputError([Problem("--vary", 0, path, f"{where} is a value, not a section")])
        if last:
            return node, key
        node = node[key]
    raise InputError([Problem("--vary", 0, path, "empty path")])


def _list_index(items: list, part: str) -> int | None:
    if part.isdigit() and int(part) < len(items):
        return int(part)
    for i, item in enumerate(items):
        if isinstance(item, dict) and part in (item.get("id"), item.get("name")):
            return i
    return None


RUN_SETTINGS = {
    "seed": "the master seed is set with --seed (each replication's seed is spawned from it); "
    "to compare seeds, run the command once per --seed",
    "replications": "the number of replications is set with --replications (-n)",
}
"""Scenario keys that say how a run is done, not what is simulated: no point of a sweep,
fit or sensitivity design may set them (the runner reads them once, from the command)."""


def _rule_defaults(rule: object) -> dict:
    """A decision rule with its own defaults (``{"rule": rule}`` alone where it has none to give)."""
    try:
        return TypeAdapter(DecisionRule).validate_python({"rule": rule}).model_dump(mode="json")
    except ValidationError:  # an unknown rule, or one that needs a value (required: signatories)
        return {"rule": rule}


def apply_point(scenario: Scenario, point: dict) -> Scenario:
    """The scenario with each path set to its value, validated like a file would be."""
    refused = [Problem("--vary", 0, p, RUN_SETTINGS[p]) for p in point if p in RUN_SETTINGS]
    if refused:
        raise InputError(refused)
    data = scenario.model_dump(mode="json")
    # the rule first: another rule starts from its own defaults (the open rule's min_share is no
    # key of consensus), and a parameter on the same point (decision_rule.threshold) then applies
    for path, value in sorted(point.items(), key=lambda item: item[0] != "decision_rule.rule"):
        if path == "decision_rule.rule" and value != data["decision_rule"]["rule"]:
            data["decision_rule"] = _rule_defaults(value)
            continue
        container, key = _resolve(data, path.split("."), path)
        container[key] = value
    try:
        result = Scenario.model_validate(data)
    except ValidationError as exc:
        raise InputError(
            [Problem("--vary", 0, dotted(e["loc"]), f"{pydantic_message(e)} (at {point})") for e in exc.errors()]
        ) from None
    found = cross_check(result)
    if found:
        raise InputError([Problem("--vary", 0, dotted(loc), f"{msg} (at {point})") for loc, msg in found])
    return result


def agents_of(scenario: Scenario) -> int:
    """Governments plus every company of every group: what a chunk's memory grows with."""
    return sum(a.count if a.kind == "company" else 1 for a in scenario.actors)


def scenarios_for(scenario: Scenario, points: list[dict]) -> list[Scenario]:
    """Validate every point before anything runs; all problems are reported together."""
    problems: list[Problem] = []
    out = []
    for point in points:
        try:
            out.append(apply_point(scenario, point))
        except InputError as exc:
            problems += [p for p in exc.problems if p not in problems]
    if problems:
        raise InputError(problems)
    return out


MAX_CHUNK = 100
"""Replications per task at most: the batched engine gains little beyond this, and a
killed sweep loses at most one chunk per worker."""
TASKS_PER_WORKER = 4
"""Tasks a sweep is cut into per worker at least (while chunks stay >= 10 replications),
so that the last tasks to finish keep every worker busy."""


MAX_AGENT_REPLICATIONS = 200_000
"""Agents × replications in one chunk at most, so a chunk's arrays stay within tens of MB
(a scenario may have company groups of up to a million)."""


def chunk_size(replications: int, points: int = 1, workers: int | None = None, agents: int = 1) -> int:
    """Replications per task for a new sweep: between 10 and :data:`MAX_CHUNK`, equal-sized.

    Large chunks amortise the batched engine's per-round overhead over more
    replications; enough tasks (:data:`TASKS_PER_WORKER` per worker, 8 workers if not
    known) keep every worker busy. With many ``agents`` (governments plus companies)
    a chunk holds at most :data:`MAX_AGENT_REPLICATIONS` agent-replications. Rows never
    depend on it; a resumed sweep keeps the chunking its folder was started with.
    """
    tasks = TASKS_PER_WORKER * (workers or 8)
    per_point = math.ceil(tasks / max(points, 1))
    chunk = max(1, min(replications, MAX_CHUNK, max(10, math.ceil(replications / per_point))))
    chunk = max(1, min(chunk, MAX_AGENT_REPLICATIONS // max(agents, 1)))
    return math.ceil(replications / math.ceil(replications / chunk))  # equal chunks: 50 + 50, not 69 + 31
