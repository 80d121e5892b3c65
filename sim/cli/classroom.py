"""Commands for the classroom: demo, play, report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.commands import ScenarioArg, SeedOpt, app, fail, old_option, out
from sim.scenario.errors import InputError, Problem


@app.command(name="play")
def play_command(
    scenario: ScenarioArg,
    actor: Annotated[str, typer.Option("--as", help="the government you play: its id or name, any case, e.g. eu")],
    seed: SeedOpt = None,
    replications: Annotated[
        int,
        typer.Option("--replications", "-n", min=0, max=2000, help="model runs the debrief compares your game with"),
    ] = 200,
    old_runs: Annotated[str | None, old_option("--runs", "the model runs of the debrief are -n/--replications")] = None,
) -> None:
    """Play one government in the terminal against the model's agents; a debrief at the end."""
    from sim.classroom.commands import WIDTH, decode, printable
    from sim.classroom.play import play

    def read(prompt: str) -> str:
        raw = sys.stdin.buffer.readline()
        if not raw:
            raise EOFError
        line = decode(raw)  # any bytes: UTF-8, else Latin-1, so a stray byte never ends the game
        if not sys.stdin.isatty():
            # echo piped moves so a replay reads like a session (cut to fit, control bytes shown as ?)
            typer.echo(f"{prompt}{printable(line.rstrip())}"[:WIDTH])
        return line

    def ask(prompt: str) -> str:
        if not sys.stdin.isatty():
            return read(prompt)
        try:
            return input(prompt)
        except UnicodeDecodeError:
            return "\ufffd"  # the parser names it as an unknown command and asks again

    from sim.experiments.runner import check_seed

    try:
        check_seed(seed)
        play(str(scenario), actor, seed=seed, read=ask, write=typer.echo, runs=replications)
    except InputError as exc:
        fail(exc)
    except KeyboardInterrupt:
        typer.echo("\n(stopped)")
        raise typer.Exit(130) from None


@app.command()
def report(
    results: Annotated[Path, typer.Argument(help="a run, sweep, sensitivity or class game folder, or a class record")],
    worksheet: Annotated[bool, typer.Option(help="also write worksheet.html, a printable student sheet")] = False,
) -> None:
    """Turn a run, sweep, sensitivity or class game folder into one self-contained HTML file (report.html)."""
    from sim.classroom.record import record_path
    from sim.classroom.record_report import build_class_report
    from sim.outputs.report import build_report
    from sim.outputs.worksheet import build_worksheet

    try:
        record = record_path(results)
        if record is not None and worksheet:
            raise InputError([Problem(str(record), 0, "--worksheet", "a class game has no worksheet; leave it out")])
        path = build_class_report(record) if record is not None else build_report(results)
        sheet = build_worksheet(results) if worksheet else None
    except InputError as exc:
        fail(exc)
    out.print(f"Report: [bold]{path}[/bold] ({path.stat().st_size / 1024:.0f} kB, opens offline)")
    if sheet is not None:
        out.print(f"Worksheet: [bold]{sheet}[/bold] (print it: two pages, before and after the run)")


@app.command()
def demo(
    scenario: ScenarioArg,
    host: Annotated[str, typer.Option(help="address to bind (default: this machine only)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="port (0: any free port)")] = 8765,
) -> None:
    """Start the classroom demo in the browser (each visitor gets a private run) for a scenario."""
    from sim.classroom.demo import ENV, serve
    from sim.scenario import load_scenario

    try:
        load_scenario(scenario)
    except InputError as exc:
        fail(exc)
    import importlib.util

    # look for the packages without importing them: importing solara here, outside the
    # server's offline settings, would write a persistent id under ~/.solara
    if not all(importlib.util.find_spec(name) for name in ("solara", "mesa")):
        fail(InputError([Problem("demo", 0, "", "the demo needs its extra: pip install -e '.[demo]'")]))
    out.print(f"simrun demo of {scenario}: open http://{host}:{port}/ in a browser (Ctrl-C stops it)")
    code = serve("sim.classroom.app", host, port, {ENV: str(Path(scenario).resolve())})
    raise typer.Exit(0 if code >= 128 else code)  # stopped by a signal: a normal end


@app.command(name="class")
def class_command(
    scenario: ScenarioArg,
    host: Annotated[str, typer.Option(help="address to bind (default: this machine only)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="port (0: any free port)")] = 8766,
    seed: SeedOpt = None,
    round_seconds: Annotated[int, typer.Option(min=10, max=900, help="default round timer, seconds")] = 90,
    delegation: Annotated[
        int, typer.Option(min=1, max=30, help="devices or teams that may share one seat (the seat votes as most do)")
    ] = 3,
    per_device: Annotated[int, typer.Option(min=1, max=30, help="places one device (address) may hold at once")] = 2,
    address: Annotated[
        str, typer.Option(help="the address students open, e.g. http://192.168.1.20:8766/ (default: guessed)")
    ] = "",
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="folder of the game's record, class-game.json (default results/<scenario>-class-<time>)"
        ),
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(help="resume the game a record holds (class-game.json or its folder) at the round it reached"),
    ] = None,
) -> None:
    """Start a class game: teams take governments' and company groups' seats with a join code; the teacher runs it."""
    from sim.classroom.classgame import ClassGame
    from sim.classroom.classserver import run
    from sim.classroom.record import RECORD
    from sim.classroom.resume import resume_game
    from sim.outputs.files import check_out, default_out
    from sim.scenario import load_scenario

    try:
        loaded = load_scenario(scenario)
        settings = {"round_seconds": round_seconds, "delegation": delegation, "per_device": per_device}
        settings["address"] = address
        if resume is not None:
            if out_dir is not None:
                raise InputError([Problem(str(out_dir), 0, "--out", "a resumed game goes on in its record's folder")])
            game, folder, told = resume_game(loaded, resume, seed, **settings)
        else:
            folder = out_dir if out_dir is not None else default_out(loaded.name, "class")
            if (folder / RECORD).is_file():
                raise InputError(
                    [Problem(str(folder), 0, "--out", f"holds a game's record: --resume {folder} goes on")]
                )
            check_out(folder)
            folder.mkdir(parents=True, exist_ok=True)
            game = ClassGame(loaded, seed, **settings)  # type: ignore[arg-type]
            game.folder = folder
            game.save()
            told = ""
    except InputError as exc:
        fail(exc)
    notes = (f"The game's record: {folder / RECORD} (written after every round; hand it out, or --resume it)",)
    try:
        run(game, host, port, say=typer.echo, notes=(told, *notes) if told else notes)
    except OSError as exc:
        fail(InputError([Problem("--port", 0, str(port), f"cannot listen on {host}:{port}: {exc.strerror}")]))
