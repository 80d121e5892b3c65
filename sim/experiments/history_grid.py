"""The fit's runs of one case at every grid point, computing once what the points share.

The leave-one-out fit (:func:`sim.experiments.history.run_history`) runs each case at
every point of its grid, on the same seeds, and the points differ only in coefficients
(:data:`sim.rules.state.COEFFICIENTS`). Run one by one, each point repeats the others'
work: the same draws, the same sessions, the same forum up to the first summit. Here a
case's points (a :class:`Family`) run together, and give the same numbers as one by one:

* the replications are realised once: a coefficient set to a plain number is not drawn,
  so each replication draws the same numbers at every point;
* one kernel per value of the coefficients read from the first round (the restrictions'
  ``restriction_per_tension``) runs up to the round before the first summit;
* there every point's replications are taken from it, with the coefficients read only at
  summits (κ0, κ1, λ, the focal gain, the chair's weight on depth) set to the point's
  (:meth:`sim.rules.kernel.Negotiation.take`), and hold the summits together, in kernels
  of :data:`TAKEN_ROWS` replications. With all summits in one round (the protocol
  ``simultaneous`` without forced tables, as every history case): the taken replications
  leave the forum's companies behind (a summit reads only the forum's standard), where
  the standard does not hold across blocs the focal gain adds nothing and points that
  differ only in it are one run, a government case's deals are then final, and a
  business case's forum runs on once per prefix replication and relief (nothing else a
  coefficient changed reaches it). Otherwise every point's replications run on whole;
* a prediction reads only what a pattern is made of
  (:func:`sim.experiments.history_predictors.row_pattern`): the rungs agreed and their
  signatories, or the forum's adoption shares, as :func:`sim.rules.outcomes.classify`
  writes them, counted once per distinct outcome.

Runs that are no such variants of the others (another family, or a coefficient that is
a distribution) run one by one, as :func:`~sim.experiments.history_predictors.case_rows`
runs them. ``tests/test_history_grid.py`` holds the grid to the one-by-one predictions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from sim.experiments.history_predictors import case_rows, model_prediction
from sim.experiments.history_record import Case
from sim.experiments.history_scores import Prediction
from sim.experiments.runner import COMPANY_ROWS, replication_seed
from sim.rules.kernel import Negotiation, structure
from sim.rules.state import COEFFICIENTS
from sim.scenario import Scenario
from sim.scenario.distributions import realize

TAKEN_ROWS = 4_000
"""Replications × points held in one taken kernel at most (a summit's arrays grow with it)."""


class Family(NamedTuple):
    """Runs of one scenario at several sets of coefficients: ``points`` are ``(k, coefficients)``.

    Every point's scenario is ``scenario`` with its coefficients (:data:`~sim.rules.state.COEFFICIENTS`,
    each a plain number) set, and nothing else changed.
    """

    scenario: Scenario
    points: list[tuple[int, dict[str, float]]]


MAX_FAMILIES = 16
"""Families one case's runs are sorted into at most; runs beyond them run one by one."""


def grid_predictions(case: Case, scenarios: Sequence[Scenario], replications: int, seed: int) -> list[Prediction]:
    """The model's prediction of ``case`` at each of ``scenarios`` (its grid points), each on the same seeds.

    Equal, point by point, to ``model_prediction(case, s, case_rows(s, replications, seed))``.
    """
    found, alone = families(list(enumerate(scenarios)))
    out = dict(case_predictions(case, found, alone, replications, seed))
    return [out[k] for k in range(len(scenarios))]


def case_predictions(
    case: Case, found: list[Family], alone: list[tuple[int, Scenario]], replications: int, seed: int
) -> list[tuple[int, Prediction]]:
    """``(k, prediction)`` of every run of ``case``: each family's together, the runs of no family one by one."""
    out = []
    for family in found:
        out += family_predictions(case, family, replications, seed)
    out += [(k, model_prediction(case, s, case_rows(s, replications, seed))) for k, s in alone]
    return out


def coefficients(scenario: Scenario) -> dict[str, object]:
    """The scenario's value of each coefficient a kernel can be taken at (:data:`~sim.rules.state.COEFFICIENTS`)."""
    out = {}
    for path in COEFFICIENTS:
        block, name = path.split(".")
        out[path] = getattr(getattr(scenario, block), name)
    return out


def families(runs: Sequence[tuple[int, Scenario]]) -> tuple[list[Family], list[tuple[int, Scenario]]]:
    """Sort runs ``(k, scenario)`` into families (scenarios equal but for plain-number coefficients); the rest alone.

    A coefficient that is a distribution is drawn: such a run shares no draws and runs alone.
    """
    found: list[tuple[dict[str, object], Family]] = []
    alone = []
    for k, scenario in runs:
        values = coefficients(scenario)
        if any(isinstance(v, bool) or not isinstance(v, int | float) for v in values.values()):
            alone.append((k, scenario))
            continue
        point = (k, {path: float(v) for path, v in values.items()})  # type: ignore[arg-type]
        for head, family in found:
            if scenario is family.scenario or _with(scenario, head) == family.scenario:
                family.points.append(point)
                break
        else:
            if len(found) < MAX_FAMILIES:
                found.append((values, Family(scenario, [point])))
            else:
                alone.append((k, scenario))
    return [family for _, family in found], alone


def family_predictions(case: Case, family: Family, replications: int, seed: int) -> list[tuple[int, Prediction]]:
    """``(k, prediction)`` of every point of ``family``, its replications run together (see the module)."""
    distinct: dict[tuple, int] = {}  # equal coefficients: the same scenario, the same run
    variants = []
    for _, values in family.points:
        distinct.setdefault(tuple(values.values()), len(variants))
        if len(variants) < len(distinct):
            variants.append(values)
    outcomes = _run_points(case, family.scenario, variants, replications, seed)
    out = []
    for k, values in family.points:
        rows, counts = outcomes[distinct[tuple(values.values())]]
        out.append((k, model_prediction(case, _with(family.scenario, values), rows, counts)))
    return out


def _with(scenario: Scenario, values: dict[str, object]) -> Scenario:
    """``scenario`` with the coefficients ``values`` (unvalidated: only to compare with another)."""
    blocks: dict[str, dict[str, object]] = {}
    for path, value in values.items():
        block, name = path.split(".")
        blocks.setdefault(block, {})[name] = value
    return scenario.model_copy(update={b: getattr(scenario, b).model_copy(update=u) for b, u in blocks.items()})


def _run_points(
    case: Case, first: Scenario, variants: list[dict[str, float]], replications: int, seed: int
) -> list[tuple[list[dict], list[int]]]:
    """Per point: the distinct outcome rows its replications gave (only the fields its pattern reads), and how many."""
    rngs = [np.random.default_rng(replication_seed(seed, r)) for r in range(replications)]
    specs = [realize(first, rng) for rng in rngs]
    groups: dict[tuple, list[int]] = {}
    for i, spec in enumerate(specs):
        groups.setdefault(structure(spec), []).append(i)
    found: list[list[bytes]] = [[b""] * replications for _ in variants]  # per point, per replication: its outcome
    rows: dict[bytes, dict] = {}
    for group, members in enumerate(groups.values()):  # a key names its group: ladders may differ
        kernel = Negotiation([specs[i] for i in members], [rngs[i] for i in members])
        for p, keys in _run_group(case, kernel, variants, rows, b"%d:" % group).items():
            for i, key in zip(members, keys, strict=True):
                found[p][i] = key
    out = []
    for keys in found:
        counts: dict[bytes, int] = {}
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
        out.append(([rows[k] for k in counts], list(counts.values())))
    return out


def _run_group(
    case: Case, kernel: Negotiation, variants: list[dict[str, float]], rows: dict[bytes, dict], tag: bytes
) -> dict[int, list[bytes]]:
    """Run the replications of one kernel at every point; per point, each replication's outcome key in ``rows``."""
    reps, rounds = kernel.reps, kernel.spec.rounds
    start_paths = [p for p, when in COEFFICIENTS.items() if when == "start"]
    starts: dict[tuple, int] = {}  # coefficients read from the first round -> block of the prefix kernel
    for v in variants:
        starts.setdefault(tuple(v[p] for p in start_paths), len(starts))
    block = [starts[tuple(v[p] for p in start_paths)] for v in variants]
    summits = [r for r in range(1, rounds + 1) if any(kernel.summits(r))]
    everyone = np.arange(reps)
    prefix = kernel.take([(everyone, dict(zip(start_paths, s, strict=True))) for s in starts])
    for _ in range(summits[0] - 1 if summits else rounds):
        prefix.step()
    if len(summits) != 1 or prefix.coalition is not None:
        return _run_on(case, prefix, reps, variants, block, summits[-1] if summits else rounds, rows, tag)
    return _one_summit_round(case, prefix, reps, variants, block, rows, tag)


def _summit_part(values: dict[str, float]) -> dict[str, float]:
    """The coefficients of a point that summits read (the rest were set on its block)."""
    return {p: v for p, v in values.items() if COEFFICIENTS[p] == "summit"}


def _run_on(
    case: Case,
    prefix: Negotiation,
    reps: int,
    variants: list[dict[str, float]],
    block: list[int],
    last_summit: int,
    rows: dict[bytes, dict],
    tag: bytes,
) -> dict[int, list[bytes]]:
    """Every point's replications taken whole at the first summit round and run on (several summit rounds)."""
    rounds = prefix.spec.rounds
    companies = sum(a.count for a in prefix.spec.companies)
    points = max(1, min(TAKEN_ROWS, COMPANY_ROWS // max(companies, 1)) // max(reps, 1))
    last = rounds if case.level == "business" else last_summit  # deals are fixed after the last summit
    out: dict[int, list[bytes]] = {}
    for first in range(0, len(variants), points):
        chunk = range(first, min(first + points, len(variants)))
        run = prefix.take([(block[p] * reps + np.arange(reps), _summit_part(variants[p])) for p in chunk])
        while run.round < last:
            run.step()
        keys = _outcomes(case, run, rows, tag)
        for j, p in enumerate(chunk):
            out[p] = keys[j * reps : (j + 1) * reps]
    return out


def _one_summit_round(
    case: Case,
    prefix: Negotiation,
    reps: int,
    variants: list[dict[str, float]],
    block: list[int],
    rows: dict[bytes, dict],
    tag: bytes,
) -> dict[int, list[bytes]]:
    """Every point's replications through the one round with summits, sharing every run two points share.

    ``prefix`` has run up to that round. Each point's replications are taken from it
    without their companies (the tables read only the forum's standard) and hold their
    summits; where the standard does not hold across blocs the focal gain adds nothing, so
    points that differ only in it are the same run there. A government case's deals are
    then final. A business case's forum runs on from the taken replications that differ
    in what it reads: their prefix row (forum, tension, positions) and the relief.
    """
    focal = "model.focal_gain"
    read = prefix.forum.cross_now & (prefix.forum.bound > 0)  # where the focal gain counts (Forum.focal_bonus)
    parts: dict[tuple, tuple[np.ndarray, dict[str, float]]] = {}  # a distinct run -> its prefix rows, coefficients
    keys_of = []
    for p, values in enumerate(variants):
        src = block[p] * reps + np.arange(reps)
        mask = read[src]
        summit = _summit_part(values)
        free = {q: v for q, v in summit.items() if q != focal}
        keys = ((block[p], *summit.values()), (block[p], *free.values(), None))
        if mask.any():
            parts.setdefault(keys[0], (src[mask], summit))
        if not mask.all():
            parts.setdefault(keys[1], (src[~mask], free))
        keys_of.append(keys)
    offset, size = {}, 0
    for key, (src, _) in parts.items():
        offset[key], size = size, size + len(src)
    layout = list(parts.values())
    taken = [_outcome_keys_and_relief(case, prefix, chunk, rows, tag) for chunk in _chunks(layout, TAKEN_ROWS)]
    outcome = [k for keys, _ in taken for k in keys]
    if case.level == "business":
        outcome = _forum_after_summits(case, prefix, layout, np.concatenate([r for _, r in taken]), rows, tag)
    out: dict[int, list[bytes]] = {}
    for p, (on_key, off_key) in enumerate(keys_of):
        mask = read[block[p] * reps + np.arange(reps)]
        rank = np.where(mask, np.cumsum(mask) - 1, np.cumsum(~mask) - 1)
        index = rank + np.where(mask, offset.get(on_key, 0), offset.get(off_key, 0))
        out[p] = [outcome[i] for i in index.tolist()]
    return out


def _chunks(
    layout: list[tuple[np.ndarray, dict[str, float]]], size: int
) -> list[list[tuple[np.ndarray, dict[str, float]]]]:
    """``layout``'s parts, in order, cut into chunks of at most ``size`` rows (a part may be cut in two)."""
    chunks: list[list[tuple[np.ndarray, dict[str, float]]]] = [[]]
    room = size
    for src, values in layout:
        start = 0
        while start < len(src):
            if room == 0:
                chunks.append([])
                room = size
            n = min(room, len(src) - start)
            chunks[-1].append((src[start : start + n], values))
            start, room = start + n, room - n
    return chunks


def _outcome_keys_and_relief(
    case: Case,
    prefix: Negotiation,
    chunk: list[tuple[np.ndarray, dict[str, float]]],
    rows: dict[bytes, dict],
    tag: bytes,
) -> tuple[list[bytes], np.ndarray]:
    """Hold the summit round for ``chunk``'s runs (without companies): their outcome keys (government) and relief."""
    if not chunk:
        return [], np.zeros(0)
    run = prefix.take(chunk, companies=False)
    run.step_government()
    keys = _outcomes(case, run, rows, tag) if case.level != "business" else []
    return keys, run.relief


def _forum_after_summits(
    case: Case,
    prefix: Negotiation,
    layout: list[tuple[np.ndarray, dict[str, float]]],
    relief: np.ndarray,
    rows: dict[bytes, dict],
    tag: bytes,
) -> list[bytes]:
    """A business case's outcome key for every run of ``layout``, its summits held and its relief ``relief``.

    After the one summit round nothing a coefficient changed reaches the forum but the
    relief: runs of one prefix row and one relief run the same forum to the end. One run
    of each is taken again, with its companies, and runs the summit round and the rest.
    """
    src = np.concatenate([s for s, _ in layout])
    part = np.repeat(np.arange(len(layout)), [len(s) for s, _ in layout])
    distinct: dict[tuple[int, int], int] = {}  # (prefix row, relief's bits) -> first run with them
    pairs = zip(src.tolist(), relief.view(np.int64).tolist(), strict=True)
    first = [distinct.setdefault(k, t) for t, k in enumerate(pairs)]
    chosen: dict[int, list[int]] = {}  # part -> its runs taken again
    for t in distinct.values():
        chosen.setdefault(int(part[t]), []).append(t)
    order = [t for ts in chosen.values() for t in ts]
    run = prefix.take([(src[ts], layout[p][1]) for p, ts in chosen.items()])
    while run.round < run.spec.rounds:
        run.step()
    keys = _outcomes(case, run, rows, tag)
    at = {t: keys[j] for j, t in enumerate(order)}
    return [at[t] for t in first]


def _outcomes(case: Case, run: Negotiation, rows: dict[bytes, dict], tag: bytes) -> list[bytes]:
    """Each replication's outcome as a key into ``rows``, which gains the fields of every new one.

    The fields are those :func:`~sim.experiments.history_predictors.row_pattern` reads,
    with the values :func:`sim.rules.outcomes.classify` gives them: a government case's
    ``<rung>_agreed`` and ``<rung>_signatories``, a business case's ``adoption_<bloc>``
    and ``own_standard_<bloc>``.
    """
    if case.level == "business":
        forum = run.forum
        table = np.concatenate([forum.shares, forum.bloc_shares], axis=1)
        keys = [tag + row.tobytes() for row in np.ascontiguousarray(table)]
        for key, row in zip(keys, table, strict=True):
            if key not in rows:
                fields = {}
                for bloc, share in zip(forum.blocs, row[: len(forum.blocs)], strict=True):
                    fields[f"adoption_{bloc}"] = round(float(share), 6)
                for bloc, share in zip(forum.blocs, row[len(forum.blocs) :], strict=True):
                    fields[f"own_standard_{bloc}"] = round(float(share), 6)
                rows[key] = fields
        return keys
    agreed = run.deal_round > 0  # (R, L)
    table = np.concatenate([agreed[:, :, None], run.deal_signers], axis=2).reshape(run.reps, -1)
    keys = [tag + row.tobytes() for row in np.ascontiguousarray(table)]
    for key, r in zip(keys, range(run.reps), strict=True):
        if key not in rows:
            fields = {}
            for level, lv in enumerate(run.ladder):
                deal = bool(agreed[r, level])
                signers = sorted(run.gov_ids[g] for g in np.flatnonzero(run.deal_signers[r, level])) if deal else []
                fields[f"{lv.name}_agreed"] = deal
                fields[f"{lv.name}_signatories"] = ";".join(signers)
            rows[key] = fields
    return keys
