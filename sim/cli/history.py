"""``simrun backtest history``: the model against the public record of AI-governance outcomes.

:mod:`sim.cli.analysis` declares the ``backtest`` command and its options; this module
runs the history dataset: the plan, a progress bar, the checkpoint of a fit, the result
folder and the tables.
"""

from __future__ import annotations

from pathlib import Path

import typer

from sim.cli.commands import err, exit_code, fail, out, progress_bar, stop_on_signals
from sim.scenario.errors import InputError


def backtest_history(
    record: Path,
    out_dir: Path | None,
    scenarios: Path | None,
    replications: int,
    seed: int | None,
    fit: list[str] | None,
    name: str | None,
    workers: int | None = None,
    strict: bool = False,
    forecasts: Path | None = None,
) -> None:
    """``simrun backtest history [RECORD]``: every case of the record, model against baselines, out of sample.

    ``fit`` None fits the default grid (:data:`~sim.experiments.history.DEFAULT_FIT`); an
    empty list fits nothing (``--no-fit``: in-sample scores only).

    A fit (``--fit``) keeps every finished grid run beside ``--out``
    (:mod:`sim.experiments.history_checkpoint`): stopped by Ctrl-C, SIGTERM, SIGHUP or a
    crash, the same command with the same ``--out`` computes only the missing runs.
    """
    from sim.experiments.executors import available_cores
    from sim.experiments.history import DEFAULT_FIT, DEFAULT_SCENARIOS, plan_history, run_history
    from sim.experiments.history_checkpoint import Checkpoint, partial_folder
    from sim.experiments.history_console import render
    from sim.experiments.history_report import baseline_path, save_baseline, summary_of, write_history
    from sim.outputs.files import check_out, default_out, publish

    folder = scenarios or DEFAULT_SCENARIOS
    checkpoint = None
    try:
        target = out_dir or default_out("history", "backtest")
        check_out(target)
        if name:
            baseline_path(folder, name)  # a bad or taken name fails before the runs, not after
        plan = plan_history(record, folder, seed, list(DEFAULT_FIT) if fit is None else fit, strict)
        sealed = None  # sealed forecasts are verified before any run: a changed one stops the backtest at once
        if forecasts is not None or Path("forecasts").is_dir():
            from sim.experiments.forecast import score_forecasts
            from sim.experiments.history_record import load_record

            sealed = score_forecasts(forecasts or Path("forecasts"), load_record(record))
        if plan.missing:
            err.print(
                f"[yellow]Not scored, no case file in {folder}: {', '.join(c.id for c in plan.missing)} "
                "(--strict refuses instead).[/yellow]"
            )
        if plan.points:
            checkpoint = Checkpoint(partial_folder(target), plan.identity(replications))
            runs = len(plan.points) * len(plan.cases)
            if checkpoint.done:
                err.print(f"Resuming: {len(checkpoint.done)} of {runs} grid runs kept in {checkpoint.folder}.")
            else:  # said up front, so that even a SIGKILL leaves the user knowing how to resume
                err.print(f"Fit of {runs} grid runs: finished ones are kept in {checkpoint.folder}; "
                          f"if stopped, run the same command with --out {target} to resume.")  # fmt: skip
        with stop_on_signals(), progress_bar("case runs") as (advance, set_total):
            result = run_history(
                plan,
                replications,
                progress=advance,
                on_total=set_total,
                workers=workers or available_cores(),
                checkpoint=checkpoint,
            )
        if name:
            saved = save_baseline(folder, name, result)
            out.print(f"Model predictions frozen in [bold]{saved}[/bold]")
    except InputError as exc:
        fail(exc)
    except KeyboardInterrupt as exc:
        if checkpoint:
            checkpoint.close()
            err.print(
                f"Interrupted: the finished grid runs are kept in {checkpoint.folder}; "
                f"run the same command with --out {target} to resume."
            )
        raise typer.Exit(exit_code(exc)) from None
    summary = summary_of(result, str(record), str(folder))
    if sealed is not None:
        summary["sealed_forecasts"] = sealed
    try:
        with stop_on_signals():
            written = publish(target, lambda f: write_history(f, result, summary))
    except InputError as exc:  # another run filled --out meanwhile: the finished runs stay for a rerun
        fail(exc)
    except KeyboardInterrupt as exc:
        raise typer.Exit(exit_code(exc)) from None
    if checkpoint:
        checkpoint.remove()
    render(summary, out)
    out.print(f"Results in [bold]{written}[/bold]")
