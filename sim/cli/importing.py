"""``simrun import FORMAT FILE``: a scenario file from an actor table (KTAB, BDM, DEU III)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.commands import app, fail, out
from sim.scenario.errors import InputError


@app.command(name="import")
def import_command(
    fmt: Annotated[
        str,
        typer.Argument(
            metavar="FORMAT",
            help="ktab (KTAB SMP CSV), bdm (actor, capability, position, salience [, issue, bloc, source]) or deu "
            "(one issue of a DEU III TSV)",
        ),
    ],
    table: Annotated[Path, typer.Argument(help="the table file", show_default=False)],
    out_file: Annotated[
        Path | None, typer.Option("--out", help="scenario YAML to write (default: the table's name, .yaml)")
    ] = None,
    issue: Annotated[str | None, typer.Option("--issue", help="deu: the issue (isnr), default the first")] = None,
) -> None:
    """Write a scenario YAML from the field's actor table, with the sources the table carries; it validates."""
    from sim.experiments.importer import import_table, write_scenario

    target = out_file or table.with_suffix(".yaml")
    try:
        data = import_table(fmt, table, issue)
        write_scenario(data, target)
    except InputError as exc:
        fail(exc)
    out.print(
        f"{target}: {len(data['actors'])} governments, {len(data['issues'])} issues (positions on [0, 1] from 0–100); "
        f"blocs, rule and ladder are the defaults: edit them, then `simrun validate --sources {target}`",
        highlight=False,
    )
