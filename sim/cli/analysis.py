"""Commands for analysts: sweep, sensitivity, backtest."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from sim.cli.commands import (
    LargeOpt,
    OutOpt,
    RepsOpt,
    ScenarioArg,
    SeedOpt,
    app,
    err,
    exit_code,
    fail,
    old_option,
    out,
    progress_bar,
    stop_on_signals,
)
from sim.scenario.errors import InputError, Problem

if TYPE_CHECKING:
    from sim.experiments.sweep import SweepPlan, SweepResult


def run_with_progress(plan: SweepPlan, **options: object) -> SweepResult:
    """Run a planned sweep under a progress bar; input problems exit 2.

    Ctrl-C, SIGTERM and SIGHUP stop the workers and keep finished parts.
    """
    from sim.experiments.sweep import run_sweep
    from sim.outputs.files import describe_status, sweep_status

    folder = options.get("out")
    state = sweep_status(Path(folder)) if folder else None
    before = describe_status(Path(folder), state).split(";")[0] if state and state["status"] != "complete" else ""
    try:
        with stop_on_signals(), progress_bar("runs") as (advance, set_total):

            def on_total(total: int, done: int) -> None:  # called once the folder is known to hold this sweep
                set_total(total)
                if done:  # a resumed sweep starts where it stopped
                    err.print(f"Resuming in {folder}: {before or 'finished runs kept'}; {done} of {total} runs done.")
                    advance(done)

            def note(text: str) -> None:  # plain text: a path is never read as markup
                typer.echo(text, err=True)

            return run_sweep(plan, progress=advance, on_total=on_total, on_note=note, on_estimate=note, **options)
    except InputError as exc:
        fail(exc)
    except KeyboardInterrupt as exc:
        if folder and not any((Path(folder) / "parts").glob("*.parquet")):
            err.print("Interrupted before any chunk finished: nothing was kept.")
        else:
            err.print("Interrupted: finished chunks are kept; run the same command with the same --out to resume.")
        raise typer.Exit(exit_code(exc)) from None


def lock_out(out: Path | None) -> None:
    """Hold ``--out``'s writer lock until the command ends (:mod:`sim.outputs.lock`); InputError if taken."""
    from sim.outputs.files import check_out, check_out_name
    from sim.outputs.lock import hold_for_command

    if out is None:
        return
    check_out_name(out)
    if not Path(out).exists():
        check_out(Path(out))
    hold_for_command(out)


@app.command()
def sweep(
    scenario: ScenarioArg,
    vary: Annotated[
        list[str],
        typer.Option("--vary", help="PATH=start:stop:count or PATH=a,b,c (repeatable), e.g. tension=0:1:21"),
    ],
    replications: RepsOpt = None,
    seed: SeedOpt = None,
    sample: Annotated[str, typer.Option(help="grid (every combination) or lhs (Latin hypercube)")] = "grid",
    points: Annotated[
        int | None, typer.Option("--points", help="points of an lhs sample (ranges as PATH=low:high)")
    ] = None,
    old_n: Annotated[
        str | None, old_option("--n", "the points of an lhs sample are --points N (-n is --replications)")
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="local worker processes (default: all cores)")] = None,
    scheduler: Annotated[str | None, typer.Option(help="address of a Dask scheduler, tcp://HOST:PORT")] = None,
    dask_local: Annotated[int | None, typer.Option(min=1, help="start a Dask LocalCluster on 127.0.0.1")] = None,
    out_dir: OutOpt = None,
    engine: Annotated[
        str, typer.Option(help="batch (replications of a chunk at once) or mesa (one Mesa model each); same rows")
    ] = "batch",
    allow_large: LargeOpt = False,
) -> None:
    """Sweep fields of a scenario over a grid or a Latin hypercube; resumable (same --out)."""
    from sim.experiments.executors import check_scheduler
    from sim.experiments.sweep import plan_sweep

    try:
        if scheduler is not None:
            check_scheduler(scheduler)
        plan = plan_sweep(
            scenario,
            vary=vary,
            replications=replications,
            seed=seed,
            sample=sample,
            points=points,
            allow_large=allow_large,
        )
    except InputError as exc:
        fail(exc)
    result = run_with_progress(
        plan, out=out_dir, workers=workers, scheduler=scheduler, dask_local=dask_local, engine=engine
    )
    rate = f", {result.computed / result.elapsed:,.0f} runs/s" if result.computed and result.elapsed else ""
    out.print(
        f"{len(plan.points)} points × {plan.replications} replications: {result.computed} runs computed now "
        f"on {result.workers} worker(s){rate}."
    )
    render_sweep(result.summary, out, plan.spec["sample"])
    from sim.outputs.console import render_hinge

    render_hinge(result.hinge, out)
    out.print(f"Results in [bold]{result.out}[/bold]")


def render_sweep(summary: list[dict], console: Console, sample: str = "grid") -> None:
    """The sweep's probabilities: per point, or by bins of a sampled or long sweep (at most ~10 rows)."""
    from rich.table import Table

    from sim.outputs.sweep_report import sweep_table

    names = [k.removeprefix("p_") for k in summary[0] if k.startswith("p_")]
    title, header, rows, note = sweep_table(summary, sample)
    table = Table(title=title, title_justify="left", caption=note or None, caption_justify="left")
    for k in header:
        table.add_column(k, justify="right")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    wide = sum(row[f"wide_{m}"] for row in summary for m in names)
    if wide:
        need = max(row["suggested_replications"] for row in summary)
        console.print(
            f"[yellow]{wide} probabilities have a 95% interval wider than ±5 points at n={summary[0]['n']}; "
            f"about {need} replications per point would narrow every one (--replications).[/yellow]"
        )


@app.command()
def backtest(
    dataset: Annotated[
        str, typer.Argument(help="dataset format: deu (DEU III, EU legislation) or history (AI-governance record)")
    ],
    path: Annotated[
        Path | None,
        typer.Argument(
            help="the dataset file (deu: TSV; history: the record YAML); default the copy shipped with simrun"
        ),
    ] = None,
    out_dir: OutOpt = None,
    scenarios: Annotated[
        Path | None, typer.Option("--scenarios", help="history: folder of case files (default scenarios/history)")
    ] = None,
    replications: Annotated[
        int, typer.Option("--replications", "-n", min=1, help="history: replications per case")
    ] = 200,
    seed: SeedOpt = None,
    fit: Annotated[
        list[str] | None,
        typer.Option(
            "--fit",
            help="history: coefficient grid PATH=start:stop:count fitted out of sample (repeatable; default the "
            "324-point grid of the five fitted coefficients); a stopped fit resumes when run again with the same --out",
        ),
    ] = None,
    no_fit: Annotated[
        bool, typer.Option("--no-fit", help="history: no fit grid, in-sample scores only (quick)")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="history: refuse a record with a case that has no case file")
    ] = False,
    forecasts: Annotated[
        Path | None,
        typer.Option(
            "--forecasts",
            help="history: folder of sealed forecasts (simrun forecast) to verify and score once the record has "
            "their outcome (default: ./forecasts if it exists)",
        ),
    ] = None,
    save_baseline: Annotated[
        str | None,
        typer.Option("--save-baseline", help="history: freeze the model's predictions as baselines/NAME.json"),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="history: local worker processes (default: all cores)"),
    ] = None,
) -> None:
    """Compare the model with real outcomes: DEU III issues (deu) or the AI-governance record (history)."""
    from sim.data import DEU, HISTORY

    try:
        lock_out(out_dir)  # one writer per result folder, held until the command ends
    except InputError as exc:
        fail(exc)

    if path is None:
        path = HISTORY if dataset == "history" else DEU
    if dataset == "history":
        from sim.cli.history import backtest_history

        if no_fit and fit:
            fail(InputError([Problem("--no-fit", 0, "", "--no-fit and --fit exclude each other")]))
        backtest_history(
            path, out_dir, scenarios, replications, seed, [] if no_fit else fit or None, save_baseline, workers, strict,
            forecasts,
        )  # fmt: skip
        return
    if dataset != "deu":
        fail(InputError([Problem("DATASET", 0, "", f"unknown dataset format {dataset!r}; known: deu, history")]))
    history_only = (("--scenarios", scenarios), ("--seed", seed), ("--fit", fit), ("--save-baseline", save_baseline),
                    ("--workers", workers), ("--no-fit", no_fit), ("--strict", strict),
                    ("--forecasts", forecasts))  # fmt: skip
    extra = [name for name, value in history_only if value]
    if extra or replications != 200:
        fail(InputError([Problem("deu", 0, "", f"{', '.join(extra) or '--replications'}: only for history")]))
    from rich.table import Table

    from sim.experiments.backtest import run_backtest
    from sim.experiments.backtest_report import LABELS, summary_of, write_backtest
    from sim.outputs.files import check_out, default_out, publish

    if dataset != "deu":
        fail(InputError([Problem("DATASET", 0, "", f"unknown dataset format {dataset!r}; known: deu")]))
    try:
        target = out_dir or default_out("deu", "backtest")
        check_out(target)
        with err.status("calibrating on odd proposals, testing on even ones…"):
            result = run_backtest(path)
    except InputError as exc:
        fail(exc)
    summary = summary_of(result, str(path))
    publish(target, lambda folder: write_backtest(folder, result, summary))
    n = summary["issues"]
    table = Table(title=f"Mean absolute error on the 0–100 scale ({n['all']} issues)", title_justify="left")
    for col, width in (
        ("predictor", None),
        ("all", None),
        (f"odd: calibration ({n['odd']})", None),
        (f"even: test ({n['even']})", None),
    ):
        table.add_column(col, justify="left" if col == "predictor" else "right", min_width=width)
    for name in ("engine", "weighted_mean", "median", "weighted_median"):
        mae = summary["mae"][name]
        table.add_row(LABELS[name], f"{mae['all']:.1f}", f"{mae['odd']:.1f}", f"{mae['even']:.1f}")
    out.print(table)
    params = ", ".join(f"{k}={v}" for k, v in summary["engine_parameters"].items())
    out.print(f"engine parameters (calibrated on odd proposals): {params}")
    beat = summary["mae"]["engine"]["even"] < summary["mae"]["weighted_mean"]["even"]
    out.print(f"On the test half the engine {'beats' if beat else 'does not beat'} the weighted mean.")
    out.print(f"Results in [bold]{target}[/bold]")


@app.command()
def sensitivity(
    scenario: ScenarioArg,
    method: Annotated[str, typer.Option(help="morris (screening, default) or sobol (variance shares)")] = "morris",
    samples: Annotated[
        int | None, typer.Option("--samples", min=2, help="Morris trajectories (default 40), or Sobol base sample (64)")
    ] = None,
    replications: Annotated[int, typer.Option("--replications", "-n", min=1, help="replications per point")] = 50,
    old_r: Annotated[str | None, old_option("-r", "the replications per point are -n/--replications")] = None,
    old_n: Annotated[
        str | None, old_option("--n", "Morris trajectories or the Sobol base sample are --samples N")
    ] = None,
    vary: Annotated[
        list[str] | None, typer.Option("--vary", help="extra input range PATH=low:high (repeatable)")
    ] = None,
    seed: SeedOpt = None,
    workers: Annotated[int | None, typer.Option(min=1, help="local worker processes (default: all cores)")] = None,
    out_dir: OutOpt = None,
) -> None:
    """Which uncertain inputs drive the probability of government and business agreement (SALib)."""
    import os
    import shutil

    from rich.table import Table

    from sim.experiments.sensitivity import design, indices
    from sim.outputs.files import default_out
    from sim.outputs.sensitivity_report import TITLES, write_indices

    try:
        des = design(scenario, method=method, samples=samples, replications=replications, seed=seed, vary=vary or [])
        target = out_dir or default_out(des.plan.scenario.name, "sensitivity")
        lock_out(target)  # the indices are written after the sweep: the folder stays this command's until then
    except InputError as exc:
        fail(exc)
    result = run_with_progress(des.plan, out=target, workers=workers)
    staging = Path(result.out) / ".indices"
    try:
        with stop_on_signals():
            found = indices(des, result.summary)
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            meta = {
                "scenario": des.plan.scenario.name,
                "points": len(des.plan.points),
                "replications": replications,
                "common_random_numbers": des.plan.common,  # every point's replication r draws the same streams
                "inputs": {k: b for k, b in zip(des.problem["names"], des.problem["bounds"], strict=True)},
            }
            write_indices(staging, method, found, meta)
            for file in staging.iterdir():
                os.replace(file, Path(result.out) / file.name)
            staging.rmdir()
    except KeyboardInterrupt as exc:
        shutil.rmtree(staging, ignore_errors=True)
        err.print("Interrupted: the sweep's rows are kept; run the same command with the same --out to finish.")
        raise typer.Exit(exit_code(exc)) from None
    key, conf = ("mu_star", "mu_star_conf") if method == "morris" else ("ST", "ST_conf")
    for output, items in found.items():
        size = f"{len(des.plan.points)} points × {replications} replications"
        table = Table(title=f"{method.title()} indices — {TITLES[output]} ({size})", title_justify="left")
        table.add_column("input")
        table.add_column(key, justify="right")
        table.add_column("95% interval", justify="right")
        extra = "sigma" if method == "morris" else "S1"
        table.add_column(extra, justify="right")
        for r in items:
            table.add_row(r["input"], f"{r[key]:.3f}", f"± {r[conf]:.3f}", f"{r[extra]:.3f}")
        out.print(table)
    out.print(f"Results in [bold]{result.out}[/bold]")


@app.command()
def forecast(
    case: Annotated[Path, typer.Argument(help="a case file of a text not yet agreed (docs/cases.md conventions)")],
    level: Annotated[str, typer.Option("--level", help="government or business")] = "government",
    replications: Annotated[int, typer.Option("--replications", "-n", min=1, max=100_000)] = 200,
    seed: SeedOpt = None,
    out_dir: Annotated[Path, typer.Option("--out", help="folder of sealed forecasts (created if needed)")] = Path(
        "forecasts"
    ),
) -> None:
    """Seal a forecast: the predicted distribution for a future text, its inputs, the code's hash and the time."""
    import datetime as dt

    from sim.experiments.forecast import make_forecast, write_sealed

    try:
        data = make_forecast(case, level, replications, seed, dt.datetime.now(dt.UTC))
        path = write_sealed(out_dir, data)
    except InputError as exc:
        fail(exc)
    top = sorted(data["prediction"]["patterns"].items(), key=lambda kv: -kv[1])[:5]
    out.print(f"Forecast of [bold]{data['case']}[/bold] ({data['level']}, {data['date']}), "
              f"{data['replications']} replications:", highlight=False)  # fmt: skip
    for pattern, p in top:
        out.print(f"  {p:6.1%}  {pattern}", highlight=False)
    out.print(f"Sealed {data['sealed_at']} in [bold]{path}[/bold]", highlight=False)
    out.print(
        f"Seal (SHA-256): {data['seal']} — publish it now (a commit, a post): `simrun backtest history "
        f"--forecasts {out_dir}` verifies it and scores the forecast once the record has the outcome.",
        highlight=False,
    )
