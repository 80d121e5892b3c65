"""Global sensitivity analysis (SALib): which inputs drive the chance of agreement.

Inputs are every number the scenario gives as a distribution (its range: uniform and
triangular bounds, normal mean ± 2 sd clipped to the field's range) plus ranges named
on the command line (``--vary PATH=low:high``). SALib samples points in that box
(Morris elementary effects by default, Sobol on request); each point is run for
``replications`` seeded replications through the sweep machinery (parallel,
resumable), and the outputs — the probability of a declaration and of a substantive
text across blocs, and of a cross-bloc business standard at that point — are
analysed into indices with 95% confidence intervals.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.experiments.runner import check_replications, check_seed
from sim.experiments.sweep import SweepPlan, check_sweep_memory
from sim.experiments.sweep_spec import agents_of, apply_point, chunk_size, scenarios_for
from sim.scenario import Scenario, load_scenario, scenario_hash
from sim.scenario.distributions import Distribution, uncertain_paths
from sim.scenario.errors import InputError, Problem

OUTPUTS = {"declaration": "p_declaration", "government": "p_substantive", "business": "p_business"}
"""Output label -> sweep-summary column: the first rung (a declaration) across blocs, a
substantive text across blocs, the cross-bloc business standard. Model v2 never reaches a
substantive text with China at Bletchley's ranges, so the declaration is where its
government inputs show."""


def readable_path(scenario: Scenario, path: tuple) -> str:
    """Dotted path with list items named by id (``actors.china.gain``)."""
    parts, node = [], scenario.model_dump(mode="python")
    for part in path:
        if isinstance(node, list):
            item = node[part]
            parts.append(str(item.get("id") or item.get("name") or part) if isinstance(item, dict) else str(part))
        else:
            parts.append(str(part))
        node = node[part]
    return ".".join(parts)


def _bounds(dist: Distribution) -> tuple[float, float]:
    if dist.family == "normal":
        mean, sd = dist.params
        return max(mean - 2 * sd, dist.lo), min(mean + 2 * sd, dist.hi)
    return dist.support()


def input_ranges(scenario: Scenario, extra: list[str]) -> dict[str, tuple[float, float]]:
    """Name → (low, high) of every uncertain input, then the command line's ranges."""
    ranges = {readable_path(scenario, p): _bounds(d) for p, d in uncertain_paths(scenario)}
    for text in extra:
        path, sep, spec = text.partition("=")
        low, colon, high = spec.partition(":")
        try:
            bounds = (float(low), float(high))
        except ValueError:
            bounds = None
        if not sep or not colon or bounds is None or bounds[0] >= bounds[1]:
            raise InputError([Problem("--vary", 0, path or text, "expected PATH=low:high with low < high")])
        apply_point(scenario, {path: bounds[0]})  # the path and the value must be valid
        apply_point(scenario, {path: bounds[1]})
        ranges[path] = bounds
    degenerate = [k for k, (lo, hi) in ranges.items() if not lo < hi]
    for name in degenerate:
        del ranges[name]
    if len(ranges) < 2:
        raise InputError(
            [
                Problem(
                    "--vary",
                    0,
                    "",
                    "need at least two uncertain inputs: give distributions in the scenario or --vary PATH=low:high",
                )
            ]
        )
    return ranges


DEFAULT_N = {"morris": 40, "sobol": 64}
"""Sample size per method when none is given (Morris trajectories, Sobol base sample)."""


def sample(method: str, problem: dict, n: int, seed: int) -> np.ndarray:
    """SALib sample: Morris with ``n`` trajectories, or Sobol (Saltelli) with base ``n``."""
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, n, num_levels=4, seed=seed)
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, n, calc_second_order=False, seed=seed)
    raise InputError([Problem("--method", 0, "", f"unknown method {method!r}; use morris or sobol")])


def analyse(method: str, problem: dict, x: np.ndarray, y: np.ndarray, seed: int) -> list[dict]:
    """Indices per input with 95% confidence intervals, most influential first.

    An output that is the same at every point (no cross-bloc binding deal in any run) has
    no variance to apportion: every index is 0, said without SALib's division by zero.
    """
    if np.ptp(y) == 0:
        keys = ("mu_star", "mu_star_conf", "sigma") if method == "morris" else ("S1", "S1_conf", "ST", "ST_conf")
        return [{"input": name, **dict.fromkeys(keys, 0.0)} for name in problem["names"]]
    if method == "morris":
        from SALib.analyze import morris

        res = morris.analyze(problem, x, y, conf_level=0.95, num_levels=4, seed=seed)
        rows = [
            {
                "input": name,
                "mu_star": float(res["mu_star"][i]),
                "mu_star_conf": float(res["mu_star_conf"][i]),
                "sigma": float(res["sigma"][i]),
            }
            for i, name in enumerate(problem["names"])
        ]
        return sorted(rows, key=lambda r: -r["mu_star"])
    from SALib.analyze import sobol

    res = sobol.analyze(problem, y, calc_second_order=False, conf_level=0.95, seed=seed)
    rows = [
        {
            "input": name,
            "S1": float(res["S1"][i]),
            "S1_conf": float(res["S1_conf"][i]),
            "ST": float(res["ST"][i]),
            "ST_conf": float(res["ST_conf"][i]),
        }
        for i, name in enumerate(problem["names"])
    ]
    return sorted(rows, key=lambda r: -r["ST"])


@dataclass
class SensitivityDesign:
    """The problem, its sample, and the sweep plan that evaluates it."""

    method: str
    problem: dict
    x: np.ndarray
    plan: SweepPlan


def design(
    scenario_file: str | Path,
    *,
    method: str = "morris",
    samples: int | None = None,
    replications: int = 50,
    seed: int | None = None,
    vary: list[str] | None = None,
) -> SensitivityDesign:
    """Validate inputs, draw the SALib sample and plan its evaluation (nothing runs yet).

    ``samples`` (``--samples``) defaults to :data:`DEFAULT_N` for the method: 40 Morris
    trajectories, or a Sobol base sample of 64 (Saltelli's sequence wants a power of two).
    """
    n = DEFAULT_N.get(method, 40) if samples is None else samples
    check_seed(seed)
    check_replications(replications)
    if not 1 <= n <= 100_000:
        raise InputError([Problem("--samples", 0, "", f"must be between 1 and 100,000, got {n}")])
    scenario = load_scenario(scenario_file)
    master = scenario.seed if seed is None else seed
    ranges = input_ranges(scenario, vary or [])
    # Morris: n trajectories of k + 1 points; Sobol: n × (k + 2) without second order
    count = n * (len(ranges) + (1 if method == "morris" else 2))
    check_sweep_memory(scenario, count, replications, "--samples")  # before the sample is drawn
    problem = {"num_vars": len(ranges), "names": list(ranges), "bounds": [list(b) for b in ranges.values()]}
    x = sample(method, problem, n, master)
    points = [{name: float(v) for name, v in zip(problem["names"], row, strict=True)} for row in x]
    scenarios = scenarios_for(scenario, points)
    spec = {
        "scenario": scenario.name,
        "scenario_sha256": scenario_hash(scenario),
        "vary": [f"{k}={lo}:{hi}" for k, (lo, hi) in ranges.items()],
        "sample": f"{method}:{n}",
        "points": points,
        "replications": replications,
        "seed": master,
        # elementary effects are differences between points: with common random numbers the
        # draws cancel, so an input the model ignores gets exactly 0 instead of a noise floor
        "common_random_numbers": True,
    }
    chunk = chunk_size(replications, len(points), agents=agents_of(scenario))
    plan = SweepPlan(scenario, str(scenario_file), points, scenarios, replications, master, chunk, spec, common=True)
    return SensitivityDesign(method, problem, x, plan)


def indices(des: SensitivityDesign, summary: list[dict]) -> dict[str, list[dict]]:
    """Sensitivity indices of each output, from the per-point probabilities of a finished sweep."""
    out = {}
    for label, column in OUTPUTS.items():
        y = np.array([row[column] for row in sorted(summary, key=lambda r: r["point"])], dtype=float)
        out[label] = analyse(des.method, des.problem, des.x, y, des.plan.master)
    return out
