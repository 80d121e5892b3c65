"""The ``simrun`` command line: thin commands over the library functions.

``simrun FILE`` is short for ``simrun run FILE``. This module holds the app, the
shared options and the core commands (run, validate, schema); ``analysis`` adds
sweep, sensitivity and backtest, ``classroom`` adds demo, class, play and report.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sim.scenario.errors import InputError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Scenario simulator of multilateral negotiation: probabilities of agreement at government and business level.",
)
err = Console(stderr=True)
out = Console()


def fail(exc: InputError) -> None:
    """Print every problem as FILE:LINE: key: message and exit with status 2."""
    for problem in exc.problems:
        typer.echo(str(problem), err=True)  # plain text: never wrapped, one problem per line
    raise typer.Exit(2)


@contextmanager
def progress_bar(label: str) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """A rich progress bar: runs done, runs per second, time left. Yields (advance, set_total)."""
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


@app.command()
def run(scenario: ScenarioArg, seed: SeedOpt = None, replications: RepsOpt = None, out_dir: OutOpt = None) -> None:
    """Run a scenario's replications, print the outcome tables and write a result folder."""
    from sim.experiments.study import run_study
    from sim.outputs.console import render_summary

    try:
        with progress_bar("replications") as (advance, set_total):
            study = run_study(
                scenario, seed=seed, replications=replications, out=out_dir, progress=advance, on_total=set_total
            )
    except InputError as exc:
        fail(exc)
    names = {a.id: a.name for a in study.scenario.actors}
    render_summary(study.summary, names, out)
    out.print(f"Results in [bold]{study.out}[/bold] ({study.elapsed:.2f} s)")


@app.command()
def validate(scenarios: Annotated[list[Path], typer.Argument(help="scenario files")]) -> None:
    """Check scenario files; print each problem as FILE:LINE: key: message (exit 2 if any)."""
    from sim.scenario import load_scenario

    problems = []
    for path in scenarios:
        try:
            s = load_scenario(path)
            out.print(
                f"{path}: ok — {len(s.governments)} governments, {len(s.companies)} company groups, "
                f"{len(s.issues)} issues",
                highlight=False,
            )
        except InputError as exc:
            problems += exc.problems
    if problems:
        fail(InputError(problems))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario language (for editors)."""
    from sim.scenario import json_schema

    sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")


# the other commands register themselves on ``app`` when their modules are imported
from sim.cli import analysis, classroom  # noqa: E402, F401

COMMANDS = {"run", "validate", "schema", "sweep", "backtest", "sensitivity", "demo", "play", "report", "class"}


def main() -> None:
    """Entry point: ``simrun FILE …`` runs the scenario (``run`` is the default command)."""
    args = sys.argv[1:]
    if args and args[0] not in COMMANDS and not args[0].startswith("-"):
        sys.argv.insert(1, "run")
    app()
