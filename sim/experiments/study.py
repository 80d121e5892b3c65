"""A study: run a scenario's replications and write its result folder.

This is the library function behind ``simrun FILE``; it works without the CLI.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sim.experiments.budget import check_memory, companies_of, run_bytes, run_notice
from sim.experiments.runner import EVENT_COLUMNS, Replication, check_replications, check_seed, run_replications
from sim.outputs.files import check_out, check_out_name, default_out, manifest, publish, write_csv, write_json
from sim.outputs.lock import writer_lock
from sim.outputs.plot_data import figures, figures_data
from sim.outputs.plot_process import Plotter
from sim.outputs.summary import summarise
from sim.outputs.tidy import blocker_columns, position_columns, signatory_columns, write_columns, write_parquet
from sim.scenario import Scenario, scenario_hash
from sim.scenario.checks import clipping_notes
from sim.scenario.errors import Problem
from sim.scenario.load import load_document, validate_document
from sim.scenario.yamlio import Document

FIGURE_FILES = ("agreement.png", "positions.png")
"""The files of :func:`sim.outputs.plot_data.figures`, in its order."""


@dataclass
class Study:
    """What a study produced."""

    scenario: Scenario
    out: Path
    summary: dict
    elapsed: float
    notes: list[Problem] = field(default_factory=list)  # what validate says of the file, not errors


def rounds_table(reps: list[Replication]) -> dict[str, list]:
    """All replications' per-round data as columns, replication index first."""
    columns: dict[str, list] = {"replication": []}
    for rep in reps:
        data = rep.rounds
        n = len(next(iter(data.values())))
        columns["replication"] += [rep.index] * n
        for key, values in data.items():
            columns.setdefault(key, []).extend(values)
    return columns


TIDY_FILES = ("signatories", "blockers", "positions")
"""Long tables a run writes beside its CSV files (:mod:`sim.outputs.tidy`), as CSV and Parquet."""


def write_tidy(folder: Path, scenario: Scenario, reps: list[Replication], rounds: dict[str, list]) -> None:
    """The long tables (``signatories``, ``blockers``, ``positions``) as CSV and every table as Parquet too.

    ``outcomes.parquet``, ``rounds.parquet`` and ``events.parquet`` hold the columns of
    their CSV files (typed: numbers as numbers, an empty cell of ``events.csv`` as an
    empty string).
    """
    outcomes = [(rep.index, rep.outcome) for rep in reps]
    tidy = {
        "signatories": signatory_columns(scenario, outcomes),
        "blockers": blocker_columns(scenario, outcomes),
        "positions": position_columns(scenario, rounds),
    }
    for name in TIDY_FILES:
        write_columns(folder / f"{name}.csv", tidy[name])
    header = ["replication", *reps[0].outcome]
    tables = {
        "outcomes": {h: [rep.index if h == "replication" else rep.outcome[h] for rep in reps] for h in header},
        "rounds": rounds,
        "events": {
            column: [rep.index if j < 0 else row[j] for rep in reps for row in rep.events]
            for j, column in enumerate(("replication", *EVENT_COLUMNS), start=-1)
        },
        **tidy,
    }
    for name, columns in tables.items():
        write_parquet(folder / f"{name}.parquet", columns)


def run_study(
    scenario_file: str | Path,
    *,
    seed: int | None = None,
    replications: int | None = None,
    out: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    allow_large: bool = False,
    plotter: Plotter | None = None,
    on_estimate: Callable[[str], None] | None = None,
) -> Study:
    """Validate ``scenario_file``, run its replications and write ``out`` (default ``results/<name>-<time>``).

    Every input (seed, replications, the result folder) is checked before any replication
    runs; ``allow_large`` lifts the cap of 1,000,000 replications (memory is checked anyway).
    The figures are drawn by ``plotter`` (default: in this process), while the tables are
    written; a failed figure raises :class:`sim.outputs.plot_process.PlotError` and no
    folder is written. With ``on_estimate``, a run that will take more than a minute
    tells it the line to print before its first replication
    (:func:`sim.experiments.budget.run_notice`).
    """
    check_seed(seed)
    if out is not None:
        check_out_name(out)
    doc = load_document(scenario_file)
    scenario = validate_document(doc)
    n = scenario.replications if replications is None else replications
    check_replications(n, allow_large=allow_large)
    # a run keeps every replication's rounds and events, and its kernels hold every company
    companies = companies_of(scenario)
    what = f"{n:,} replications" + (f" of {companies:,} companies" if companies else "")
    check_memory(run_bytes(scenario, n), "--replications", what)
    master = scenario.seed if seed is None else seed
    target = Path(out) if out else default_out(scenario.name)
    check_out(target)  # before the lock, whose file is made beside the folder
    with writer_lock(target):  # one writer per folder: a second run into it is refused, not mixed in
        return _study(scenario, doc, scenario_file, n, master, target, progress, on_total, plotter, on_estimate)


def _study(
    scenario: Scenario,
    doc: Document,
    scenario_file: str | Path,
    n: int,
    master: int,
    target: Path,
    progress: Callable[[int], None] | None,
    on_total: Callable[[int], None] | None,
    plotter: Plotter | None,
    on_estimate: Callable[[str], None] | None = None,
) -> Study:
    """The body of :func:`run_study` once its inputs are checked and the folder's lock is held."""
    check_out(target)
    drawing = plotter or Plotter()  # matplotlib only once there is a result
    drawing.prepare(figures(scenario, n))  # a plotting process builds the frames meanwhile
    notice = run_notice(scenario, n) if on_estimate else None  # a probe on a throwaway seed, if long at all
    if notice and on_estimate:
        on_estimate(notice)
    if on_total:
        on_total(n)
    start = time.perf_counter()
    reps = run_replications(scenario, replications=n, seed=master, progress=progress)
    elapsed = time.perf_counter() - start
    summary = summarise(scenario, [r.outcome for r in reps], master, [r.drawn for r in reps])
    rounds = rounds_table(reps)

    def write_tables(folder: Path) -> None:
        write_json(folder / "summary.json", summary)
        write_json(folder / "scenario.json", scenario.model_dump(mode="json"))  # what ran, sources included
        header = list(rounds)
        write_csv(folder / "rounds.csv", header, zip(*(rounds[h] for h in header), strict=True))
        write_csv(
            folder / "events.csv",
            ("replication", *EVENT_COLUMNS),
            ((rep.index, *row) for rep in reps for row in rep.events),
        )
        outcome_header = list(reps[0].outcome)
        write_csv(
            folder / "outcomes.csv",
            ("replication", *outcome_header),
            ((rep.index, *(rep.outcome[h] for h in outcome_header)) for rep in reps),
        )
        write_tidy(folder, scenario, reps, rounds)

    def fill(folder: Path) -> None:
        try:
            drawing.draw(list(zip(figures_data(scenario, rounds), (folder / f for f in FIGURE_FILES), strict=True)))
            write_tables(folder)
            drawing.wait()
        except BaseException:
            drawing.close()  # no figure is written into a folder about to be removed
            raise
        write_json(
            folder / "manifest.json",
            manifest(
                scenario_name=scenario.name,
                scenario_file=str(scenario_file),
                scenario_sha256=scenario_hash(scenario),
                seed=master,
                replications=n,
                rounds=scenario.rounds,
                elapsed_seconds=round(elapsed, 3),
            ),
        )

    target = publish(target, fill)
    return Study(scenario, target, summary, elapsed, clipping_notes(doc, scenario))
