"""The hinge of every headline: which uncertain inputs, on which side of which threshold, decide an outcome.

A headline such as "a declaration signed across blocs: 42%" is a share of replications,
and every replication draws the scenario's uncertain inputs anew. So the share is often
the part of the assumed input ranges that lies on one side of a threshold. Scenario
discovery finds that threshold on the run's own replications, with no extra run: each
replication is a point (its drawn inputs) labelled by whether the outcome happened, and
PRIM (the Patient Rule Induction Method, Friedman & Fisher 1999, *Bump hunting in
high-dimensional data*) finds the box of inputs where it happens (or fails) most.

The box search (PRIM: peeling, pasting, one or two inputs) and the held-out test are
:mod:`sim.outputs.prim`.

A hinge is reported only when the box clearly separates the outcome beyond what searching
many boxes finds in noise: the search is repeated on each half of the runs (alternate
runs), each run is placed inside or outside by the box found on the other half, and those
placings must separate the outcome at p < 0.001 (Fisher's exact test), with the outcome's
shares inside and outside 20 points apart there and in all runs. Otherwise the entry says
that no input separates the outcome clearly, and gives the best box anyway.

The EMA Workbench's ``ema_workbench.analysis.prim`` is the reference implementation; it
is not used because it pulls scikit-learn, statsmodels, seaborn and an optimisation
library into the simulator for some hundred lines of peeling (see ``docs/model.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sim.outputs.prim import MAX_P_VALUE, MIN_DIFFERENCE, Box, find_box, held_out
from sim.scenario import Scenario
from sim.scenario.distributions import Distribution, uncertain_paths

# -- the inputs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """One input column: its dotted path, its words, its values per run and the range the scenario gives it."""

    path: str
    label: str
    values: np.ndarray
    low: float
    high: float
    how: str  # "assumed" (drawn from a distribution) or "swept"
    distribution: str = ""


def dotted(scenario: Scenario, path: tuple) -> str:
    """``('actors', 3, 'legitimacy')`` as ``actors.china.legitimacy`` (list items by id), as ``--vary`` names it."""
    parts, node = [], scenario
    for part in path:
        if isinstance(node, list | tuple):
            item = node[part]
            parts.append(str(getattr(item, "id", None) or part))
        else:
            parts.append(str(part))
        node = node[part] if isinstance(node, list | tuple | dict) else getattr(node, str(part), None)
    return ".".join(parts)


def label(scenario: Scenario, path: str) -> str:
    """An input in words: ``actors.china.legitimacy`` → ``China's legitimacy``."""
    parts = path.split(".")
    words = " ".join(p.replace("_", " ") for p in parts[2:])
    if parts[0] == "actors" and len(parts) > 2:
        names = {a.id: a.name for a in scenario.actors}
        name = names.get(parts[1], parts[1].replace("_", " "))
        if len(parts) == 4 and parts[2] in ("position", "salience"):
            words = f"{parts[2]} on {parts[3].replace('_', ' ')}"
        return f"{name}'{'' if name.endswith('s') else 's'} {words}"
    if parts[0] == "events" and len(parts) > 2 and parts[1].isdigit() and int(parts[1]) < len(scenario.events):
        event = scenario.events[int(parts[1])]
        return f"{event.label or 'event ' + parts[1]}: {words}"
    if parts[0] == "issues" and len(parts) > 2:
        return f"{parts[1].replace('_', ' ')} {words}"
    if parts[0] == "model":
        return " ".join(p.replace("_", " ") for p in parts[1:])
    return " ".join(p.replace("_", " ") for p in parts)


def _distribution(dist: Distribution) -> tuple[float, float, str]:
    low, high = dist.support()
    text = f"{dist.family} [{', '.join(f'{p:g}' for p in dist.params)}]"
    return low, high, text


def drawn_inputs(scenario: Scenario, drawn: Sequence[Sequence[float]]) -> list[Input]:
    """The scenario's uncertain inputs with the values each run drew (``drawn[run]`` in ``uncertain_paths`` order)."""
    values = np.array(drawn, dtype=float).reshape(len(drawn), -1)
    out = []
    for j, (path, dist) in enumerate(uncertain_paths(scenario)):
        name = dotted(scenario, path)
        low, high, text = _distribution(dist)
        if not (np.isfinite(low) and np.isfinite(high)):
            low, high = (float(values[:, j].min()), float(values[:, j].max())) if len(values) else (low, high)
        out.append(Input(name, label(scenario, name), values[:, j], float(low), float(high), "assumed", text))
    return out


# -- the outcomes -----------------------------------------------------------------------------


def outcomes(scenario: Scenario, rows: list[dict]) -> list[tuple[str, str, Callable[[dict], bool], str]]:
    """The main outcomes as (key, words, test on an outcome row, rung).

    A declaration, a substantive text and the deepest rung any run reached, each across
    blocs, and the business standard across blocs.
    """
    ladder = scenario.ladder
    first, sub = ladder[0], scenario.substantive_level

    def words(level: object) -> str:
        return getattr(level, "label", "") or level.name.replace("_", " ")  # type: ignore[attr-defined]

    found = [
        (
            "declaration_cross_bloc",
            f"A {words(first)} across blocs",
            lambda r: r["gov_cross_depth"] >= first.depth,
            first.name,
        ),
        (
            "substantive_cross_bloc",
            f"A text at {words(sub)} or deeper across blocs",
            lambda r: r["gov_cross_depth"] >= sub.depth,
            sub.name,
        ),
    ]
    reached = [lv for lv in ladder if any(r["gov_cross_depth"] >= lv.depth for r in rows)]
    deepest = reached[-1] if reached else ladder[0]
    found.append(
        (
            "deepest_cross_bloc",
            f"The deepest rung reached across blocs ({words(deepest)})",
            lambda r: r["gov_cross_depth"] >= deepest.depth,
            deepest.name,
        )
    )
    found.append(
        ("business_cross_bloc", "The business standard across blocs", lambda r: r["business_level"] == "cross_bloc", "")
    )
    return found


# -- the block --------------------------------------------------------------------------------


def _share(p: float) -> str:
    """A share in words: ``98%``, never ``100%`` for 199 of 200."""
    if 0 < p < 0.005:
        return "under 1%"
    if 0.995 <= p < 1:
        return "over 99%"
    return f"{p * 100:.0f}%"


def _num(v: float) -> str:
    return f"{v:.3g}"


def _limits(box: Box, x: np.ndarray, inputs: list[Input]) -> list[dict]:
    """The box's limits per restricted input, each halfway to the nearest value a run drew outside it."""
    out = []
    for j in box.restricted:
        col = x[:, j]
        low = high = None
        if box.low[j] > -np.inf:
            below = col[col < box.low[j]]
            low = float((below.max() + box.low[j]) / 2) if below.size else None
        if box.high[j] < np.inf:
            above = col[col > box.high[j]]
            high = float((above.min() + box.high[j]) / 2) if above.size else None
        if low is None and high is None:
            continue
        spec = inputs[j]
        out.append(
            {
                "input": spec.path,
                "label": spec.label,
                "low": None if low is None else round(low, 6),
                "high": None if high is None else round(high, 6),
                "range": [round(spec.low, 6), round(spec.high, 6)],
                "how": spec.how,
            }
        )
    return out


def condition(limit: dict) -> str:
    """One limit of a box in words: ``China's legitimacy ≥ 0.183``."""
    name, low, high = limit["label"], limit["low"], limit["high"]
    if low is not None and high is not None:
        return f"{_num(low)} ≤ {name} ≤ {_num(high)}"
    return f"{name} ≥ {_num(low)}" if low is not None else f"{name} ≤ {_num(high)}"


def _ranges(limits: list[dict]) -> str:
    def span(limit: dict) -> str:
        return f"{_num(limit['range'][0])}–{_num(limit['range'][1])}"

    if len(limits) == 1:
        verb = "the scenario assumes" if limits[0]["how"] == "assumed" else "the sweep covers"
        return f"{verb} {span(limits[0])}"
    return "the ranges are " + " and ".join(f"{lim['label']} {span(lim)} ({lim['how']})" for lim in limits)


def _inside(limits: list[dict], x: np.ndarray, inputs: list[Input]) -> np.ndarray:
    index = {spec.path: j for j, spec in enumerate(inputs)}
    inside = np.ones(len(x), dtype=bool)
    for lim in limits:
        col = x[:, index[lim["input"]]]
        if lim["low"] is not None:
            inside &= col >= lim["low"]
        if lim["high"] is not None:
            inside &= col <= lim["high"]
    return inside


BOX_FIELDS = (
    "box_for",
    "box",
    "runs_in_box",
    "share_in_box",
    "share_outside",
    "density",
    "coverage",
    "mass",
    "p_value",
)
"""Fields of an outcome's entry that describe its box: null (``box`` empty) where no box was found."""


def explain(key: str, words: str, y: np.ndarray, inputs: list[Input], same_as: str = "", rung: str = "") -> dict:
    """The hinge of one outcome (``y``: did it happen in each run) over ``inputs``; JSON-ready.

    Every entry has the same fields; ``status`` is ``hinge`` (a box separates it clearly),
    ``no_clear_hinge`` (the best box does not; it is still given), ``always``, ``never``,
    ``no_inputs`` (nothing varies between runs) or ``no_runs``.
    """
    n, hits = len(y), int(y.sum())
    entry: dict = {
        "outcome": key,
        "label": words,
        "rung": rung or None,
        "same_as": same_as or None,
        "runs": n,
        "happens": hits,
        "share": round(hits / n, 6) if n else None,
        "status": "",
        **{f: None for f in BOX_FIELDS},
        "box": [],
        "sentence": "",
    }
    if n == 0:
        return {**entry, "status": "no_runs", "sentence": f"{words}: no run to read."}
    if hits in (0, n):
        status, how = ("never", "in no run") if hits == 0 else ("always", "in every run")
        return {**entry, "status": status, "sentence": f"{words} happens {how} ({n}): no input flips it."}
    if not any(np.ptp(s.values) > 0 for s in inputs):
        return {
            **entry,
            "status": "no_inputs",
            "sentence": f"{words} happens in {_share(hits / n)} of runs, and no input varies between runs: "
            "the spread is the model's own chance (who meets whom, perception noise), so no input is its hinge.",
        }
    x = np.column_stack([s.values for s in inputs])
    found = find_box(x, y)
    limits = _limits(found.box, x, inputs) if found else []
    if not found or not limits:
        return {
            **entry,
            "status": "no_clear_hinge",
            "sentence": f"{words} happens in {_share(hits / n)} of runs; no input separates it.",
        }
    inside = _inside(limits, x, inputs)
    n_in, hits_in = int(inside.sum()), int((inside & y).sum())
    n_out, hits_out = n - n_in, hits - hits_in
    share_in = hits_in / n_in
    share_out = hits_out / n_out if n_out else float("nan")
    goal = y if found.happens else ~y
    target_in = int((inside & goal).sum())
    p_value = held_out(x, y)
    clear = n_out > 0 and p_value < MAX_P_VALUE and abs(share_in - share_out) >= MIN_DIFFERENCE
    where = " and ".join(condition(lim) for lim in limits)
    one_sided = len(limits) == 1 and (limits[0]["low"] is None or limits[0]["high"] is None)
    elsewhere = ("below" if limits[0]["low"] is not None else "above") if one_sided else "elsewhere"
    if clear:
        names = " and ".join(lim["label"] for lim in limits)
        sentence = (
            f"{words} hinges on {names}: it happens in {_share(share_in)} of runs where {where} "
            f"and in {_share(share_out)} {elsewhere}; {_ranges(limits)}."
        )
    else:
        sentence = (
            f"{words} happens in {_share(hits / n)} of runs; no input separates it clearly (the best box, "
            f"where {where}, has {_share(share_in)} against {_share(share_out)} {elsewhere})."
        )
    return {
        **entry,
        "status": "hinge" if clear else "no_clear_hinge",
        "box_for": "happens" if found.happens else "fails",
        "box": limits,
        "runs_in_box": n_in,
        "share_in_box": round(share_in, 6),
        "share_outside": None if not n_out else round(share_out, 6),
        "density": round(target_in / n_in, 6),
        "coverage": round(target_in / int(goal.sum()), 6),
        "mass": round(n_in / n, 6),
        "p_value": float(f"{p_value:.3g}"),
        "sentence": sentence,
    }


def hinge_block(scenario: Scenario, rows: list[dict], inputs: list[Input], runs: str = "runs") -> dict:
    """The ``hinge`` block of a summary: every main outcome explained over ``inputs`` (rows with an error skipped)."""
    ok = [i for i, r in enumerate(rows) if not r.get("error")]
    rows = [rows[i] for i in ok]
    inputs = [
        Input(s.path, s.label, s.values[ok], s.low, s.high, s.how, s.distribution) if len(ok) != len(s.values) else s
        for s in inputs
    ]
    explained, seen = [], {}
    for key, words, test, rung in outcomes(scenario, rows):
        y = np.array([bool(test(r)) for r in rows], dtype=bool)
        signature = y.tobytes()
        same = seen.get(signature, "") if key == "deepest_cross_bloc" else ""
        seen.setdefault(signature, key)
        explained.append(explain(key, words, y, inputs, same_as=same, rung=rung))
    return {
        "method": "PRIM (Friedman & Fisher 1999): peeling and pasting, alpha 0.05, boxes on one or two inputs; "
        "a hinge needs p < 0.001 (Fisher's exact test) for boxes found on the other half of the runs, "
        "and 20 points between the shares inside and outside",
        "runs": len(rows),
        "inputs": [
            {
                "input": s.path,
                "label": s.label,
                "how": s.how,
                "range": [round(s.low, 6), round(s.high, 6)],
                **({"distribution": s.distribution} if s.distribution else {}),
            }
            for s in inputs
        ],
        "outcomes": explained,
    }


def run_hinge(scenario: Scenario, rows: list[dict], drawn: Sequence[Sequence[float]]) -> dict:
    """The ``hinge`` block of a run: its outcomes over the inputs each replication drew."""
    return hinge_block(scenario, rows, drawn_inputs(scenario, drawn))


def hinge_lines(block: dict | None) -> list[str]:
    """The block's sentences, one per outcome (a deepest rung that is another outcome says which)."""
    if not block:
        return []
    names = {o["outcome"]: o["label"] for o in block["outcomes"]}
    lines = []
    for entry in block["outcomes"]:
        if entry.get("same_as"):
            lines.append(f"{entry['label']}: the same runs as “{names[entry['same_as']].lower()}” above.")
        else:
            lines.append(entry["sentence"])
    return lines


def hinge_title(block: dict) -> str:
    """The heading of the sentences: what was searched."""
    n = len(block["inputs"])
    return (
        f"What each answer hinges on (PRIM boxes over {n} input{'s' if n != 1 else ''} "
        f"that vary between the {block['runs']} runs)"
    )
