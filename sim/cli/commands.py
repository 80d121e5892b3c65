"""The ``simrun`` app: the shared options and the core commands (run, validate, schema).

``analysis`` adds sweep, sensitivity and backtest, ``classroom`` adds demo, class,
play and report; :func:`sim.cli.main` is the entry point.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

import sim.cli
from sim.scenario.errors import InputError, Problem

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Scenario simulator of multilateral negotiation: probabilities of agreement at government and business level.",
)
PIPED_WIDTH = 160
"""Columns of output that goes to a file or a pipe (rich would cut it to 80: a sweep's or a
backtest's table then loses its figures); a terminal keeps its own width, and COLUMNS wins."""


def _console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    piped = not (stream and stream.isatty()) and not os.environ.get("COLUMNS")
    return Console(stderr=stderr, width=PIPED_WIDTH if piped else None)


err = _console(stderr=True)
out = _console()


def fail(exc: InputError) -> None:
    """Print every problem as FILE:LINE: key: message and exit with status 2."""
    for problem in exc.problems:
        typer.echo(str(problem), err=True)  # plain text: never wrapped, one problem per line
    raise typer.Exit(2)


def print_notes(notes: list) -> None:
    """Print a scenario's notes (FILE:LINE: key: note: ...) to stderr: things to know, not errors."""
    for note in notes:
        typer.echo(str(note), err=True)


class Stopped(KeyboardInterrupt):
    """The command was stopped by a signal (Ctrl-C, SIGTERM, SIGHUP); ``code`` is 128 + its number."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.code = 128 + signum


STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP stop a command like Ctrl-C does, as an exception.

    So every ``finally`` runs: workers are killed, temporary files removed, finished parts kept.

    Further signals are ignored while that cleanup runs, so it is not cut short.
    """

    def stop(signum: int, frame: object) -> None:
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        raise Stopped(signum)

    previous = {sig: signal.signal(sig, stop) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def exit_code(exc: KeyboardInterrupt) -> int:
    """128 + the signal's number (130 for Ctrl-C)."""
    return exc.code if isinstance(exc, Stopped) else 130


@contextmanager
def progress_bar(label: str) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """A rich progress bar: runs done, runs per second, time left. Yields (advance, set_total)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    # no refresh thread: workers may then be forked safely (see sim.experiments.executors.start_method)
    with Progress(*columns, console=err, transient=True, auto_refresh=False) as bar:
        task = bar.add_task(label, total=None, rate="")

        def advance(k: int = 1) -> None:
            bar.advance(task, k)
            speed = bar.tasks[task].speed
            if speed:
                bar.update(task, rate=f"{speed:,.0f} runs/s")
            bar.refresh()

        def set_total(n: int) -> None:
            bar.update(task, total=n)
            bar.refresh()

        yield advance, set_total


ScenarioArg = Annotated[Path, typer.Argument(help="scenario YAML file", show_default=False)]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="master seed (overrides the scenario's)")]
RepsOpt = Annotated[
    int | None, typer.Option("--replications", "-n", min=1, help="replications (overrides the scenario's)")
]
OutOpt = Annotated[Path | None, typer.Option("--out", help="result folder (default results/<scenario>-<time>)")]
LargeOpt = Annotated[
    bool, typer.Option("--allow-large", help="allow more than 1,000,000 replications (memory is still checked)")
]


def renamed(old: str, hint: str) -> Callable[[str | None], str | None]:
    """The callback of a hidden option that only refuses an old spelling: ``OLD: hint`` on one line, exit 2.

    ``-n``/``--replications`` is the replications in every command; an option that meant
    something else (``sweep --n``, ``sensitivity -r``, ``play --runs``) names its new spelling.
    """

    def refuse(value: str | None) -> str | None:
        if value is not None:
            fail(InputError([Problem(old, 0, "", f"no longer an option: {hint}")]))
        return value

    return refuse


def old_option(old: str, hint: str) -> typer.models.OptionInfo:
    """A hidden option ``old`` (taking a value) that is refused with ``hint`` (:func:`renamed`)."""
    return typer.Option(old, hidden=True, callback=renamed(old, hint), show_default=False)


def print_version(value: bool) -> None:
    """``--version``: print ``simrun <version>`` (the installed package's) and exit with status 0."""
    if value:
        typer.echo(f"simrun {sim.__version__}")
        raise typer.Exit()


@app.callback()
def options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=print_version, is_eager=True, help="print simrun's version and exit"),
    ] = False,
) -> None:
    """Options before the command (``simrun --version``)."""


@app.command()
def run(
    scenario: ScenarioArg,
    seed: SeedOpt = None,
    replications: RepsOpt = None,
    out_dir: OutOpt = None,
    horizon_curve: Annotated[
        bool, typer.Option("--horizon-curve", help="also plot each outcome against the number of sessions")
    ] = False,
    allow_large: LargeOpt = False,
) -> None:
    """Run a scenario's replications, print the outcome tables and write a result folder."""
    from sim.outputs.plot_process import PlotError

    try:
        # a second process imports matplotlib meanwhile, then draws the figures
        with sim.cli.take_plotter() as plotter:
            from sim.experiments.study import run_study

            sim.cli.imports_done()
            with stop_on_signals(), progress_bar("replications") as (advance, set_total):
                study = run_study(
                    scenario,
                    seed=seed,
                    replications=replications,
                    out=out_dir,
                    progress=advance,
                    on_total=set_total,
                    allow_large=allow_large,
                    plotter=plotter,
                    on_estimate=lambda text: typer.echo(text, err=True),  # plain text, above the bar
                )
    except InputError as exc:
        fail(exc)
    except PlotError as exc:
        typer.echo(f"The figures could not be drawn: {exc}. No result folder was written.", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt as exc:
        err.print("Interrupted: no result folder was written.")
        raise typer.Exit(exit_code(exc)) from None
    from sim.outputs.console import render_summary

    print_notes(study.notes)
    names = {a.id: a.name for a in study.scenario.actors}
    render_summary(study.summary, names, out)
    if horizon_curve:
        from sim.experiments.horizon import horizon_curve as curve
        from sim.outputs.files import write_csv
        from sim.outputs.horizon_plot import plot_horizon

        start = time.perf_counter()
        rows = curve(study.scenario, study.summary["replications"], study.summary["seed"])
        write_csv(study.out / "horizon.csv", list(rows[0]), ([r[k] for k in rows[0]] for r in rows))
        plot_horizon(study.scenario, rows, study.out / "horizon.png")
        out.print(
            f"Horizon curve: horizon.png and horizon.csv (each outcome against the number of sessions; "
            f"{time.perf_counter() - start:.2f} s)"
        )
    out.print(f"Results in [bold]{study.out}[/bold] ({study.elapsed:.2f} s)")


@app.command()
def validate(
    scenarios: Annotated[list[Path], typer.Argument(help="scenario files")],
    sources: Annotated[
        bool,
        typer.Option(
            "--sources",
            help="also require a labelled source behind every actor number; a dated case file may set only who "
            "sits, the chair, the rule, the date and the tension, and use only stances sourced before its date",
        ),
    ] = False,
) -> None:
    """Check scenario files; print each problem as FILE:LINE: key: message (exit 2 if any)."""
    from sim.scenario.checks import clipping_notes
    from sim.scenario.load import load_document, validate_document

    problems = []
    for path in scenarios:
        try:
            doc = load_document(path)
            s = validate_document(doc)
            if sources:
                from sim.scenario.sources import case_problems, source_problems

                untraced = source_problems(doc, s) + case_problems(str(path), doc)
                if untraced:
                    problems += untraced
                    continue
            out.print(
                f"{path}: ok — {len(s.governments)} governments, {len(s.companies)} company groups, "
                f"{len(s.issues)} issues",
                highlight=False,
            )
            print_notes(clipping_notes(doc, s))
        except InputError as exc:
            problems += exc.problems
    if problems:
        fail(InputError(problems))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario language (for editors)."""
    from sim.scenario import json_schema

    sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")
