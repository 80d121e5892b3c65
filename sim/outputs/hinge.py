"""The hinge of every headline: which uncertain inputs, on which side of which threshold, decide an outcome.

A headline such as "a declaration signed across blocs: 42%" is a share of replications,
and every replication draws the scenario's uncertain inputs anew. So the share is often
the part of the assumed input ranges that lies on one side of a threshold. Scenario
discovery finds that threshold on the run's own replications, with no extra run: each
replication is a point (its drawn inputs) labelled by whether the outcome happened, and
PRIM (the Patient Rule Induction Method, Friedman & Fisher 1999, *Bump hunting in
high-dimensional data*) finds the box of inputs where it happens (or fails) most.

PRIM here: *peeling* removes, from the box, the share ``alpha`` of its runs at the low or
high end of one input, choosing each time the peel that leaves the densest box, until
the box holds ``min_mass`` of the runs; the box reported from that trajectory is the one
that separates the outcome best (largest Youden's J: the share of the outcome's runs
inside it minus the share of the other runs inside it); *pasting* then widens it again
wherever that separates better; a last step puts each limit at the best run value. Boxes
are searched on each input alone and on pairs of the four strongest, and the simplest
one within 0.05 of the best J is reported, so a hinge names one or two inputs.

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

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sim.scenario import Scenario
from sim.scenario.distributions import Distribution, uncertain_paths

ALPHA = 0.05
"""Share of a box's runs removed by one peel (and added back by one paste)."""
MIN_MASS = 0.05
"""Peeling stops before a box holds fewer than this share of the runs."""
MAX_P_VALUE = 1e-3
"""A box is a hinge only if the boxes found on each half of the runs separate the other half with a smaller
p-value (Fisher's exact test, :func:`held_out`) ..."""
MIN_DIFFERENCE = 0.2
"""... and the outcome's shares inside and outside differ by at least this much, there and in all runs."""
SIMPLER = 0.05
"""A box on fewer inputs is preferred unless a box on more separates better by more than this (Youden's J)."""
CANDIDATES = 4
"""Inputs (the strongest alone) whose pairs are searched."""
MAX_ROWS = 20_000
"""Runs the box search uses at most (an evenly spaced subset of a larger sweep); the figures use all."""


# -- PRIM ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    """Limits per input (``-inf``/``inf`` where an input is not restricted); a run is inside at the limits too."""

    low: np.ndarray
    high: np.ndarray

    def contains(self, x: np.ndarray) -> np.ndarray:
        """Which rows of ``x`` (runs × inputs) lie inside."""
        return np.all((x >= self.low) & (x <= self.high), axis=1)

    @property
    def restricted(self) -> list[int]:
        """The inputs this box limits."""
        return [j for j in range(len(self.low)) if self.low[j] > -np.inf or self.high[j] < np.inf]


def youden(inside: np.ndarray, y: np.ndarray) -> float:
    """Share of the target runs inside the box minus share of the other runs inside (0: no separation)."""
    hits, others = int(y.sum()), int((~y).sum())
    if hits == 0 or others == 0:
        return 0.0
    return float((inside & y).sum() / hits - (inside & ~y).sum() / others)


def peel(x: np.ndarray, y: np.ndarray, alpha: float = ALPHA, min_mass: float = MIN_MASS) -> list[Box]:
    """PRIM's peeling trajectory: the whole space first, then each box after one more peel."""
    n, d = x.shape
    low, high = np.full(d, -np.inf), np.full(d, np.inf)
    boxes = [Box(low.copy(), high.copy())]
    inside = np.ones(n, dtype=bool)
    while True:
        m = int(inside.sum())
        yb, xb = y[inside], x[inside]
        if m == 0 or yb.all():
            break
        k = max(1, math.ceil(alpha * m))
        best: tuple | None = None
        for j in range(d):
            col = xb[:, j]
            for side in ("low", "high"):
                cut = np.partition(col, k - 1)[k - 1] if side == "low" else np.partition(col, m - k)[m - k]
                keep = col > cut if side == "low" else col < cut
                size = int(keep.sum())
                if size == 0 or size == m or size < min_mass * n:
                    continue
                key = (float(yb[keep].mean()), size, -j, side == "low")
                if best is None or key > best[0]:
                    bound = col[keep].min() if side == "low" else col[keep].max()
                    best = (key, j, side, bound)
        if best is None:
            break
        _, j, side, bound = best
        if side == "low":
            low[j] = bound
        else:
            high[j] = bound
        box = Box(low.copy(), high.copy())
        inside = box.contains(x)
        boxes.append(box)
    return boxes


def paste(x: np.ndarray, y: np.ndarray, box: Box, alpha: float = ALPHA) -> Box:
    """PRIM's pasting: widen ``box`` by ``alpha`` of its runs on one side at a time while that separates better."""
    current = box
    score = youden(current.contains(x), y)
    while True:
        inside = current.contains(x)
        k = max(1, math.ceil(alpha * int(inside.sum())))
        best: tuple[float, Box] | None = None
        for j in current.restricted:
            freed_low, freed_high = current.low.copy(), current.high.copy()
            freed_low[j], freed_high[j] = -np.inf, np.inf
            others = Box(freed_low, freed_high).contains(x)  # inside on every other input
            col = x[others, j]
            for side in ("low", "high"):
                limit = current.low[j] if side == "low" else current.high[j]
                if not np.isfinite(limit):
                    continue
                outside = np.sort(col[col < limit])[::-1] if side == "low" else np.sort(col[col > limit])
                if outside.size == 0:
                    continue
                low, high = current.low.copy(), current.high.copy()
                # with k runs or fewer left on this side, the limit goes
                new = (-np.inf if side == "low" else np.inf) if outside.size <= k else outside[k - 1]
                if side == "low":
                    low[j] = new
                else:
                    high[j] = new
                wider = Box(low, high)
                gain = youden(wider.contains(x), y)
                if gain > score + 1e-12 and (best is None or gain > best[0]):
                    best = (gain, wider)
        if best is None:
            return current
        score, current = best


def refine(x: np.ndarray, y: np.ndarray, box: Box, passes: int = 3, min_mass: float = MIN_MASS) -> Box:
    """Move each limit of ``box`` to the run value that separates ``y`` best, the other limits held.

    Peeling and pasting move a limit by a share ``alpha`` of the box's runs at a time; this
    last step puts it at the best value exactly (or lifts it), so a threshold is not off by
    up to ``alpha`` of the runs. A limit must leave out at least ``min_mass`` of all runs (or
    go): one that trims a run or two is noise. Limits are never added: an input the box
    leaves free stays free.
    """
    current, hits, others = box, max(int(y.sum()), 1), max(int((~y).sum()), 1)
    trim = math.ceil(min_mass * len(y))
    for _ in range(passes):
        moved = False
        for j in current.restricted:
            for side in ("low", "high"):
                if not np.isfinite(current.low[j] if side == "low" else current.high[j]):
                    continue
                low, high = current.low.copy(), current.high.copy()
                if side == "low":
                    low[j] = -np.inf
                else:
                    high[j] = np.inf
                free = Box(low, high).contains(x)  # the limit lifted
                col, goal = x[free, j], y[free]
                order = np.argsort(-col if side == "low" else col, kind="stable")
                col, goal = col[order], goal[order]
                # J when the limit sits at col[i]: the runs up to i (in order) are inside
                score = np.cumsum(goal) / hits - np.cumsum(~goal) / others
                last = np.r_[col[1:] != col[:-1], True]  # only after the last run of a value
                last &= (len(col) - 1 - np.arange(len(col)) >= trim) | (np.arange(len(col)) == len(col) - 1)
                i = int(np.flatnonzero(last)[np.argmax(score[last])])
                new = -np.inf if side == "low" and i == len(col) - 1 else col[i]
                if side == "high" and i == len(col) - 1:
                    new = np.inf
                if side == "low" and new != current.low[j]:
                    low[j], moved = new, True
                elif side == "high" and new != current.high[j]:
                    high[j], moved = new, True
                else:
                    continue
                current = Box(low, high)
        if not moved:
            break
    return current


def prim(x: np.ndarray, y: np.ndarray, alpha: float = ALPHA, min_mass: float = MIN_MASS) -> Box:
    """The box of the peeling trajectory that separates ``y`` best (Youden's J), pasted, its limits refined."""
    boxes = peel(x, y, alpha, min_mass)
    scores = [youden(b.contains(x), y) for b in boxes]
    return refine(x, y, paste(x, y, boxes[int(np.argmax(scores))], alpha))


@dataclass(frozen=True)
class Found:
    """A box over some of the inputs, for the target ``happens`` (or for its complement)."""

    box: Box  # over all inputs
    score: float  # Youden's J
    happens: bool  # True: the box is where the outcome happens; False: where it fails


def _widen(box: Box, dims: Sequence[int], d: int) -> Box:
    low, high = np.full(d, -np.inf), np.full(d, np.inf)
    low[list(dims)], high[list(dims)] = box.low, box.high
    return Box(low, high)


def find_box(x: np.ndarray, y: np.ndarray) -> Found | None:
    """The simplest box over one or two inputs that separates ``y`` (or ``~y``) about as well as any; None if flat.

    PRIM runs on each input alone, then on each pair of the :data:`CANDIDATES` strongest;
    the box for the outcome happening is preferred over the box for it failing unless the
    latter separates better by more than :data:`SIMPLER`.
    """
    n, d = x.shape
    if n > MAX_ROWS:  # an evenly spaced subset: the same every time
        rows = np.linspace(0, n - 1, MAX_ROWS).round().astype(int)
        x, y = x[rows], y[rows]
    varied = [j for j in range(d) if np.ptp(x[:, j]) > 0]
    if not varied or y.all() or not y.any():
        return None
    best: Found | None = None
    for target in (True, False):
        goal = y if target else ~y
        singles = []
        for j in varied:
            box = _widen(prim(x[:, [j]], goal), [j], d)
            singles.append(Found(box, youden(box.contains(x), goal), target))
        singles.sort(key=lambda f: -f.score)
        pairs = []
        strongest = [f.box.restricted[0] for f in singles if f.box.restricted][:CANDIDATES]
        for a, b in itertools.combinations(sorted(strongest), 2):
            box = _widen(prim(x[:, [a, b]], goal), [a, b], d)
            if len(box.restricted) == 2:
                pairs.append(Found(box, youden(box.contains(x), goal), target))
        pairs.sort(key=lambda f: -f.score)
        choice = singles[0]
        if pairs and pairs[0].score > choice.score + SIMPLER:
            choice = pairs[0]
        if not choice.box.restricted:
            continue
        if best is None or choice.score > best.score + SIMPLER:
            best = choice
    return best


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


def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """Two-sided p-value of Fisher's exact test on the table ``[[a, b], [c, d]]`` (as ``scipy.stats.fisher_exact``).

    The sum of the hypergeometric probabilities of every table with the same margins that
    is no more likely than this one. Written out because importing ``scipy.stats`` takes
    longer than a run of a few hundred replications.
    """
    row, col, n = a + b, a + c, a + b + c + d
    k = np.arange(max(0, col - (c + d)), min(row, col) + 1)
    lg = np.vectorize(math.lgamma, otypes=[float])
    log_p = (
        lg(row + 1) - lg(k + 1) - lg(row - k + 1)
        + lg(n - row + 1) - lg(col - k + 1) - lg(n - row - col + k + 1)
        - (lg(n + 1) - lg(col + 1) - lg(n - col + 1))
    )  # fmt: skip
    observed = log_p[a - k[0]]
    return float(min(1.0, np.exp(log_p[log_p <= observed + 1e-7]).sum()))


def held_out(x: np.ndarray, y: np.ndarray) -> float:
    """How well the box search generalises: the p-value of its boxes on runs they were not found on.

    A box found on the very runs it is tested on separates them by construction: on noise
    the best of the many boxes tried often has a p-value below 10⁻⁶. So the runs are split
    in two halves (alternate runs); the search runs on each half, and each run is placed
    by the box found on the *other* half (where that box says the outcome happens, or not:
    outside a box for its failure). Fisher's exact test on those
    placings gives the p-value; it is 1 where the outcome's shares inside and outside
    differ by less than :data:`MIN_DIFFERENCE`, or a half has no box.
    """
    inside = np.zeros(len(y), dtype=bool)
    halves = (np.arange(len(y)) % 2 == 0, np.arange(len(y)) % 2 == 1)
    for train, test in (halves, halves[::-1]):
        found = find_box(x[train], y[train])
        if found is None:
            return 1.0
        inside[test] = found.box.contains(x[test]) == found.happens  # a box where it fails: outside counts
    n_in, n_out = int(inside.sum()), int((~inside).sum())
    if not n_in or not n_out:
        return 1.0
    a, c = int((inside & y).sum()), int((~inside & y).sum())
    if abs(a / n_in - c / n_out) < MIN_DIFFERENCE:
        return 1.0
    return fisher_exact(a, n_in - a, c, n_out - c)


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
