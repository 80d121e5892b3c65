"""Parameter sweeps: many grid points × replications, in parallel, resumable.

Layout of a sweep folder::

    sweep.json        what is being computed (scenario hash, points, seed, R, chunk)
    manifest.json     its ``status``: ``running`` (or killed), ``interrupted`` or ``complete``
    parts/*.parquet   one file per finished chunk, written atomically (tmp + rename)
    summary.csv/.parquet, *.png   written when every chunk is done (manifest then complete)
    runs.parquet      every part's rows in one file, sorted by point and replication (when complete)

Replication ``r`` of grid point ``g`` is seeded by ``SeedSequence(master, spawn_key=(g, r))``,
so the rows do not depend on workers, chunking or the order tasks finish. Running the
same command again into the same folder computes only the missing chunks; a folder
holding a different sweep is refused.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sim.experiments.executors import available_cores, cap_workers, check_scheduler, make_executor
from sim.experiments.hinge import point_seeds
from sim.experiments.runner import check_replications, check_seed, outcome_rows, run_on_mesa
from sim.experiments.sweep_spec import agents_of, chunk_size, grid_points, lhs_points, parse_vary, scenarios_for
from sim.outputs.files import check_out, check_out_name, code_sha256, default_out, manifest, write_json
from sim.outputs.lock import writer_lock
from sim.scenario import Scenario, load_scenario, scenario_hash
from sim.scenario.errors import InputError, Problem
from sim.scenario.reading import read_json

if TYPE_CHECKING:  # pyarrow is imported where parts are written or read: a refused sweep answers without it
    import pyarrow as pa


@dataclass(frozen=True)
class Chunk:
    """A task: replications ``start``..``stop`` (exclusive) of one grid point."""

    point_index: int
    point: dict
    scenario: Scenario
    master: int
    start: int
    stop: int
    engine: str = "batch"
    common: bool = False  # common random numbers: replication r draws the same streams at every point

    @property
    def name(self) -> str:
        """File name of the chunk's part."""
        return f"p{self.point_index:06d}-r{self.start:07d}-{self.stop:07d}.parquet"


ENGINES = ("batch", "mesa")
"""``batch``: all replications of a chunk in one kernel of the rulebook (:mod:`sim.rules.kernel`);
``mesa``: one Mesa model per replication, over a kernel of one. Both give identical rows."""


def run_chunk(chunk: Chunk) -> tuple[str, list[dict]]:
    """Run one chunk in a worker; a failing replication becomes a row with its error."""
    seeds = point_seeds(chunk.master, chunk.point_index, range(chunk.start, chunk.stop), chunk.common)
    outcomes: list | None = None
    if chunk.engine == "batch":
        try:
            outcomes = outcome_rows(chunk.scenario, seeds)
        except Exception:  # noqa: BLE001 - rerun one by one below, so the failing replication is named
            outcomes = None
    rows = []
    for i, r in enumerate(range(chunk.start, chunk.stop)):
        seed = f"{chunk.master}:{r}" if chunk.common else f"{chunk.master}:{chunk.point_index}:{r}"
        row = {"point": chunk.point_index, "replication": r, "seed": seed}
        row.update(chunk.point)
        try:
            if outcomes is not None:
                row.update(outcomes[i])
            elif chunk.engine == "mesa":
                row.update(run_on_mesa(chunk.scenario, seeds[i]))
            else:
                row.update(outcome_rows(chunk.scenario, [seeds[i]])[0])
            row["error"] = ""
        except Exception as exc:  # noqa: BLE001 - one failure must not stop a sweep; it is recorded
            row["error"] = f"{type(exc).__name__}: {exc} | {traceback.format_exc(limit=3)!r}"
        rows.append(row)
    return chunk.name, rows


def _fsync_folder(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (where the system allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_part(parts: Path, name: str, rows: list[dict]) -> None:
    """Write one chunk's rows as Parquet, atomically and durably.

    The file is synced before the rename and the folder after it, so that a part a
    resume finds after a crash or power loss is complete, not an empty or torn file.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = parts / f".{name}.tmp"
    try:
        with open(tmp, "wb") as fh:
            pq.write_table(pa.Table.from_pylist(rows), fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, parts / name)
    except BaseException:  # a signal mid-write leaves no temporary file
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(parts)


def part_problem(path: Path, chunk: Chunk) -> str:
    """Why the finished part at ``path`` cannot be trusted for ``chunk`` ("" if it can).

    It must read back whole as Parquet and hold exactly the chunk's grid point and
    replications: a zero-byte, truncated or foreign file is recomputed, never trusted.
    """
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
        points = table.column("point").to_pylist()
        reps = table.column("replication").to_pylist()
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds for a damaged file
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        return f"cannot be read ({reason})"
    if set(points) != {chunk.point_index} or reps != list(range(chunk.start, chunk.stop)):
        return "holds other rows than its chunk's"
    return ""


def read_parts(parts: Path) -> pa.Table:
    """All finished parts as one table, sorted by grid point and replication."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted(parts.glob("*.parquet"))
    if not files:
        return pa.table({})
    table = pa.concat_tables([pq.read_table(f) for f in files], promote_options="default")
    return table.sort_by([("point", "ascending"), ("replication", "ascending")])


@dataclass
class SweepPlan:
    """A validated sweep: the points, their scenarios, and the identity of the computation."""

    scenario: Scenario
    scenario_file: str
    points: list[dict]
    scenarios: list[Scenario]
    replications: int
    master: int
    chunk: int
    spec: dict
    common: bool = False
    """Common random numbers: every point's replication r has the seed of ``simrun run``'s replication r,
    so a difference between points comes from the inputs, not from the draws (sensitivity analysis)."""


def plan_sweep(
    scenario_file: str | Path | Scenario,
    *,
    vary: list[str],
    replications: int | None = None,
    seed: int | None = None,
    sample: str = "grid",
    points: int | None = None,
    allow_large: bool = False,
) -> SweepPlan:
    """Parse and validate everything before any work starts (errors as :class:`InputError`).

    ``points`` is the size of a Latin hypercube (``sample="lhs"``, ``--points``); a grid has
    every combination of its axes' values and takes none. ``scenario_file`` may be a
    validated :class:`Scenario` (the Python API's ``sim.sweep``), named ``<name>``.
    """
    check_seed(seed)
    if isinstance(scenario_file, Scenario):
        scenario, scenario_file = scenario_file, f"<{scenario_file.name}>"
    else:
        scenario = load_scenario(scenario_file)
    if not vary:
        raise InputError([Problem("--vary", 0, "", "name at least one field to vary, e.g. --vary tension=0:1:11")])
    axes = [parse_vary(v) for v in vary]
    paths = [a.path for a in axes]
    if len(set(paths)) != len(paths):
        raise InputError([Problem("--vary", 0, "", "a field is varied twice")])
    master = scenario.seed if seed is None else seed
    reps = scenario.replications if replications is None else replications
    check_replications(reps, allow_large=allow_large)
    if sample == "grid":
        if points is not None:  # a grid has every combination: a point count would be silently ignored
            raise InputError(
                [Problem("--points", 0, "", "--points sets the size of --sample lhs; a grid has every combination")]
            )
        count = math.prod(len(a.values) for a in axes)
    elif sample == "lhs":
        if not points or points < 1:
            raise InputError([Problem("--points", 0, "", "--sample lhs needs --points N (>= 1)")])
        count = points
    else:
        raise InputError([Problem("--sample", 0, "", f"unknown sample {sample!r}; use grid or lhs")])
    check_sweep_memory(scenario, count, reps, "--vary" if sample == "grid" else "--points")  # before points are built
    drawn = grid_points(axes) if sample == "grid" else lhs_points(axes, count, master)
    scenarios = scenarios_for(scenario, drawn)
    chunk = chunk_size(reps, len(drawn), agents=agents_of(scenario))
    spec = {
        "scenario": scenario.name,
        "scenario_sha256": scenario_hash(scenario),
        "vary": vary,
        "sample": sample,
        "points": drawn,
        "replications": reps,
        "seed": master,
        "code_sha256": code_sha256(),  # parts of another version of the model are not mixed in
    }
    return SweepPlan(scenario, str(scenario_file), drawn, scenarios, reps, master, chunk, spec)


def check_sweep_memory(scenario: Scenario, points: int, replications: int, flag: str) -> None:
    """Refuse, before any point is built, a sweep whose points, rows and kernels would not fit in memory."""
    from sim.experiments.budget import check_memory, local_workers, sweep_bytes
    from sim.experiments.sweep_spec import MAX_POINTS

    if points > MAX_POINTS:  # said before the estimate: the cap is the clearer message
        what = "the grid" if flag == "--vary" else "the sample"
        raise InputError([Problem(flag, 0, "", f"{what} has {points:,} points; at most {MAX_POINTS:,}")])
    chunk = chunk_size(replications, points, agents=agents_of(scenario))
    need = sweep_bytes(scenario, points, replications, local_workers(), chunk)
    check_memory(need, flag, f"{points:,} points × {replications:,} replications")


def prepare_folder(out: Path, spec: dict, chunk: int) -> int:
    """Create the sweep folder, or check that an existing one holds this very sweep.

    Returns the chunk size to use: ``chunk`` for a new folder, the folder's own when
    resuming (so the missing parts are exactly the chunks that were not finished).
    """
    marker = out / "sweep.json"
    if marker.exists():
        held = read_json(marker, what="sweep file")
        stored = held.pop("chunk", chunk) if isinstance(held, dict) else None
        if not isinstance(stored, int) or isinstance(stored, bool) or stored < 1:
            raise InputError([Problem(str(marker), 0, "", "damaged sweep file; use another --out folder")])
        for stale in (out / "parts").glob(".*.tmp"):  # left by a sweep killed mid-write
            stale.unlink(missing_ok=True)
        if held != json.loads(json.dumps(spec)):
            differs = [k for k in spec if held.get(k) != json.loads(json.dumps(spec[k]))]
            raise InputError(
                [
                    Problem(
                        str(out),
                        0,
                        "--out",
                        f"holds a different sweep ({', '.join(differs)} differ); use another folder",
                    )
                ]
            )
        return int(stored)
    _clear_unfinished_start(out)
    if out.exists() and any(out.iterdir()):
        raise InputError([Problem(str(out), 0, "--out", "exists, is not empty and holds no sweep; use another folder")])
    check_out(out)
    created = not out.exists()
    tmp = out / ".sweep.json.tmp"
    try:
        (out / "parts").mkdir(parents=True, exist_ok=True)
        write_json(tmp, {**spec, "chunk": chunk})
        os.replace(tmp, marker)
    except BaseException:  # a full disk (or a signal) while the folder is made leaves nothing half-made
        tmp.unlink(missing_ok=True)
        shutil.rmtree(out / "parts", ignore_errors=True)
        if created:
            shutil.rmtree(out, ignore_errors=True)
        raise
    return chunk


def _clear_unfinished_start(out: Path) -> None:
    """Remove what a sweep stopped while creating its folder left (an empty ``parts/``, ``.sweep.json.tmp``).

    Such a folder holds no result; it is started afresh rather than refused as "holds no sweep".
    """
    if not out.is_dir():
        return
    names = {p.name for p in out.iterdir()}
    if not names or not names <= {"parts", ".sweep.json.tmp"}:
        return
    if (out / "parts").exists() and (not (out / "parts").is_dir() or any((out / "parts").iterdir())):
        return
    (out / ".sweep.json.tmp").unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        (out / "parts").rmdir()


def sweep_notice(todo: list[Chunk], parts: Path, workers: int) -> str | None:
    """What a sweep says before computing ``todo`` on ``workers`` if it will take long, else None.

    Counts alone decide whether to look closer (:data:`~sim.experiments.budget.PROBE_ABOVE`);
    then the first chunk, at most its own size, is run on a throwaway seed (never the
    sweep's own generators) and its part written beside the others under a temporary name,
    then removed: nothing the sweep keeps changes.
    """
    from sim.experiments import budget

    if not todo:
        return None
    units = sum((c.stop - c.start) * budget.agent_rounds(c.scenario) for c in todo)
    typical = budget.estimate_seconds(units, budget.UNIT_SECONDS, workers, len(todo), budget.CHUNK_SECONDS)
    if typical < budget.PROBE_ABOVE:
        return None
    first = todo[0]
    k = budget.probe_size(first.scenario, first.stop - first.start)
    probe = replace(first, master=budget.PROBE_SEED, start=0, stop=k)
    rows: list[dict] = []

    def compute() -> None:
        rows[:] = run_chunk(probe)[1]

    name = ".probe.tmp"  # a stale one is removed with the other temporary files when a sweep resumes
    try:
        computing = budget.timed(compute)
        writing = budget.timed(lambda: write_part(parts, name, rows))
    finally:
        (parts / name).unlink(missing_ok=True)
    unit_seconds = computing / (k * budget.agent_rounds(first.scenario))
    return budget.long_notice(budget.estimate_seconds(units, unit_seconds, workers, len(todo), writing), k)


def chunks_of(plan: SweepPlan, engine: str = "batch") -> list[Chunk]:
    """Every chunk of the sweep, grid point by grid point."""
    return [
        Chunk(g, point, scenario, plan.master, start, min(start + plan.chunk, plan.replications), engine, plan.common)
        for g, (point, scenario) in enumerate(zip(plan.points, plan.scenarios, strict=True))
        for start in range(0, plan.replications, plan.chunk)
    ]


@dataclass
class SweepResult:
    """What a finished sweep left behind."""

    out: Path
    rows: pa.Table
    summary: list[dict]
    elapsed: float
    computed: int
    workers: int
    hinge: dict | None = None
    """What each main outcome hinges on over the swept and drawn inputs (:mod:`sim.experiments.hinge`)."""


def _trusted_parts(parts: Path, everything: list[Chunk], on_note: Callable[[str], None] | None) -> set[str]:
    """Names of the finished parts that read back whole with their chunk's rows; the others are removed."""
    chunks = {c.name: c for c in everything}
    done = set()
    for path in sorted(parts.glob("*.parquet")):
        chunk = chunks.get(path.name)
        why = part_problem(path, chunk) if chunk is not None else "is no chunk of this sweep"
        if not why:
            done.add(path.name)
            continue
        path.unlink(missing_ok=True)
        if on_note:
            on_note(f"{path}: note: {why}; it is computed again")
    return done


def _mark(target: Path, info: dict, status: str) -> None:
    tmp = target / ".manifest.json.tmp"
    try:
        write_json(tmp, {**info, "status": status})
        os.replace(tmp, target / "manifest.json")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def run_sweep(
    plan: SweepPlan,
    *,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    dask_local: int | None = None,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int, int], None] | None = None,
    engine: str = "batch",
    on_note: Callable[[str], None] | None = None,
    on_estimate: Callable[[str], None] | None = None,
) -> SweepResult:
    """Compute the missing chunks of ``plan`` into ``out``, then summarise and plot.

    With ``on_estimate``, a sweep that will take more than a minute on local workers
    tells it the line to print, before its first chunk (:func:`sweep_notice`).

    Only one process writes a folder at a time (:mod:`sim.outputs.lock`): another is
    refused with an :class:`InputError` naming it. A resumed sweep reads every part it
    finds back first; one that cannot be read, or holds other rows, is removed and
    computed again, and ``on_note`` is told so.

    ``engine`` (one of :data:`ENGINES`) does not change a single row, so a sweep may be
    resumed with the other one. ``manifest.json`` says ``running`` while chunks are
    computed, ``interrupted`` if stopped (Ctrl-C, SIGTERM, SIGHUP, an error) and
    ``complete`` at the end; a folder this call created and left without any finished
    chunk is removed.
    """
    if engine not in ENGINES:
        raise InputError([Problem("--engine", 0, "", f"unknown engine {engine!r}; use {' or '.join(ENGINES)}")])
    if scheduler is not None:
        check_scheduler(scheduler)
    target = Path(out) if out else default_out(plan.scenario.name, "sweep")
    check_out_name(target)
    if not target.exists():
        check_out(target)  # before the lock, whose file is made beside the folder
    with writer_lock(target):  # one writer per folder: a second sweep into it is refused, never mixed in
        return _run_locked(
            plan, target, workers, scheduler, dask_local, progress, on_total, engine, on_note, on_estimate
        )


def _run_locked(
    plan: SweepPlan,
    target: Path,
    workers: int | None,
    scheduler: str | None,
    dask_local: int | None,
    progress: Callable[[int], None] | None,
    on_total: Callable[[int, int], None] | None,
    engine: str,
    on_note: Callable[[str], None] | None,
    on_estimate: Callable[[str], None] | None = None,
) -> SweepResult:
    """:func:`run_sweep` once the folder's lock is held."""
    from sim.experiments.hinge import sweep_hinge
    from sim.outputs.sweep_report import summarise_sweep, write_sweep_outputs

    expected = dask_local or workers or (available_cores() if scheduler is None else None)
    created, fresh = not target.exists(), not (target / "sweep.json").exists()
    chunk = prepare_folder(
        target, plan.spec, chunk_size(plan.replications, len(plan.points), expected, agents_of(plan.scenario))
    )
    plan = replace(plan, chunk=chunk)
    parts = target / "parts"
    everything = chunks_of(plan, engine)
    done = _trusted_parts(parts, everything, on_note)
    todo = [c for c in everything if c.name not in done]
    total = len(plan.points) * plan.replications
    info = manifest(
        scenario_name=plan.scenario.name,
        scenario_file=plan.scenario_file,
        scenario_sha256=plan.spec["scenario_sha256"],
        seed=plan.master,
        vary=plan.spec["vary"],
        sample=plan.spec["sample"],
        grid_points=len(plan.points),
        replications=plan.replications,
        runs=total,
        chunks=len(everything),
        chunk=chunk,
        engine=engine,
    )
    start = time.perf_counter()
    try:
        _mark(target, info, "running")
        local = workers if scheduler or dask_local else cap_workers(workers, len(todo))
        if on_estimate and scheduler is None:  # a scheduler's workers are elsewhere: not estimated
            notice = sweep_notice(todo, parts, dask_local or local or 1)
            if notice:
                on_estimate(notice)
        if on_total:
            on_total(total, total - sum(c.stop - c.start for c in todo))
        with make_executor(local, scheduler, dask_local) as executor:
            used = executor.workers
            for name, rows in executor.imap_unordered(run_chunk, todo):
                write_part(parts, name, rows)
                if progress:
                    progress(len(rows))
        elapsed = time.perf_counter() - start
        table = read_parts(parts)
        summary = summarise_sweep(plan, table)
        hinge = sweep_hinge(plan, table)
        computed = sum(c.stop - c.start for c in todo)
        info.update(
            runs_computed_now=computed,
            elapsed_seconds=round(elapsed, 3),
            runs_per_second=round(computed / elapsed, 1) if elapsed > 0 and computed else None,
            executor=executor.name,
            workers=used,
            status="complete",
        )
        write_sweep_outputs(target, plan, summary, info, hinge, runs=table)
    except BaseException:
        if fresh and not any(parts.glob("*.parquet")):  # nothing finished: leave nothing behind
            if created:
                shutil.rmtree(target, ignore_errors=True)
            else:
                shutil.rmtree(parts, ignore_errors=True)
                for name in ("sweep.json", "manifest.json"):
                    (target / name).unlink(missing_ok=True)
        elif target.is_dir():
            finished = len(list(parts.glob("*.parquet")))
            _mark(target, {**info, "status": "interrupted", "chunks_finished": finished}, "interrupted")
        raise
    return SweepResult(target, table, summary, elapsed, computed, used, hinge)
